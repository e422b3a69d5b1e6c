/**
 * The disruption controller (kube-controller-manager's "disruption"): keeps every
 * PodDisruptionBudget's status — currentHealthy, desiredHealthy, expectedPods,
 * disruptionsAllowed, disruptedPods, observedGeneration and the DisruptionAllowed condition — in
 * step with the pods it selects and the scale of the workloads owning them, so the eviction
 * subresource (and `kubectl drain`) can honour the budget. Until a budget's observedGeneration
 * catches up, evictions it covers are refused.
 */
import { budgetSelector } from '../../../lib/api/disruption-budget';
import { jsonEqual, type JsonValue } from '../../../lib/api/patch/json-value';
import type { KubeObject, OwnerReference, ResourceInfo } from '../../../lib/api/object';
import { RESOURCES, resourceForApiVersionKind } from '../../../lib/api/resources';
import type { Pod } from '../../../lib/api/types/core';
import type { PodDisruptionBudget } from '../../../lib/api/types/policy';
import type { EventRecorder } from '../../../lib/client/events';
import { objectKey, splitObjectKey, type SharedInformer } from '../../../lib/client/informer';
import { getControllerOf } from '../../../lib/controller/controller-ref';
import type { Controller, ControllerContext } from '../../../lib/controller/controller-context';
import type { ControllerDescriptor } from '../../../lib/controller/controller-registry';
import { sameStatus } from '../../../lib/controller/status-compare';
import { ControllerRunner, type ReconcileResult } from '../../../lib/controller/controller-runner';
import { computeBudgetStatus } from './budget-status';

/** The controller's name in `--controllers`. */
export const DISRUPTION_CONTROLLER_NAME = 'disruption';
/** Its Event source (Kubernetes' component name). */
export const DISRUPTION_CONTROLLER_COMPONENT = 'controllermanager';

/** The workload kinds whose scale a budget's percentage or maxUnavailable counts. */
const SCALED_KINDS: readonly ResourceInfo[] = [RESOURCES.replicasets, RESOURCES.deployments, RESOURCES.statefulsets];

type Scaled = KubeObject & { spec?: { replicas?: number } };

/** Keeps PodDisruptionBudget status; see the file comment. */
export class DisruptionController implements Controller {
  private readonly budgets: SharedInformer<PodDisruptionBudget>;
  private readonly pods: SharedInformer<Pod>;
  private readonly workloads = new Map<string, SharedInformer<Scaled>>();
  private readonly runner: ControllerRunner<string>;
  private readonly recorder: EventRecorder;

  constructor(private readonly ctx: ControllerContext) {
    this.recorder = ctx.recorder(DISRUPTION_CONTROLLER_COMPONENT);
    this.budgets = ctx.informers.informer<PodDisruptionBudget>(RESOURCES.poddisruptionbudgets);
    this.pods = ctx.informers.informer<Pod>(RESOURCES.pods);
    for (const info of SCALED_KINDS) this.workloads.set(info.kind, ctx.informers.informer<Scaled>(info));
    this.runner = new ControllerRunner<string>({
      name: DISRUPTION_CONTROLLER_NAME,
      reconcile: (key) => this.sync(key),
      clock: ctx.clock,
      logger: ctx.logger.child({ controller: DISRUPTION_CONTROLLER_NAME }),
      metrics: ctx.workQueueMetrics?.(DISRUPTION_CONTROLLER_NAME),
    });
    const budgetChanged = (b: PodDisruptionBudget) => this.runner.enqueue(objectKey(b));
    this.budgets.addEventHandler({ onAdd: budgetChanged, onUpdate: (_o, b) => budgetChanged(b) });
    const podChanged = (p: Pod) => this.enqueueBudgetsOf(p);
    this.pods.addEventHandler({
      onAdd: podChanged,
      onUpdate: (old, p) => {
        podChanged(p);
        if (!jsonEqual((old.metadata.labels ?? {}) as JsonValue, (p.metadata.labels ?? {}) as JsonValue)) podChanged(old);
      },
      onDelete: podChanged,
    });
    // A workload's scale changes expectedPods of the budgets in its namespace.
    const workloadChanged = (w: KubeObject) => this.enqueueNamespace(w.metadata.namespace ?? '');
    for (const informer of this.workloads.values()) informer.addEventHandler({ onAdd: workloadChanged, onUpdate: (_o, w) => workloadChanged(w), onDelete: workloadChanged });
  }

  async run(): Promise<void> {
    await Promise.all([this.budgets.waitForSync(), this.pods.waitForSync(), ...[...this.workloads.values()].map((i) => i.waitForSync())]);
    this.runner.start();
  }

  stop(): Promise<void> {
    return this.runner.stop();
  }

  private enqueueBudgetsOf(pod: Pod): void {
    for (const b of this.budgets.lister.listInNamespace(pod.metadata.namespace ?? '')) {
      if (budgetSelector(b).matches(pod.metadata.labels ?? {})) this.runner.enqueue(objectKey(b));
    }
  }

  private enqueueNamespace(namespace: string): void {
    for (const b of this.budgets.lister.listInNamespace(namespace)) this.runner.enqueue(objectKey(b));
  }

  /** The desired scale of the workload `ref` names (a Deployment's for the ReplicaSets it owns). */
  private scaleOf(namespace: string, ref: OwnerReference): number | undefined {
    const info = resourceForApiVersionKind(ref.apiVersion, ref.kind);
    const owner = info ? this.workloads.get(info.kind)?.lister.get(namespace, ref.name) : undefined;
    if (!owner || owner.metadata.uid !== ref.uid) return undefined;
    const parent = getControllerOf(owner);
    if (info!.kind === 'ReplicaSet' && parent?.kind === 'Deployment') {
      const deployment = this.workloads.get('Deployment')!.lister.get(namespace, parent.name);
      if (deployment && deployment.metadata.uid === parent.uid) return deployment.spec?.replicas ?? 1;
    }
    return owner.spec?.replicas ?? 1;
  }

  private async sync(key: string): Promise<ReconcileResult | void> {
    const { namespace, name } = splitObjectKey(key);
    const pdb = this.budgets.lister.get(namespace, name);
    if (!pdb || pdb.metadata.deletionTimestamp) return;
    const selector = budgetSelector(pdb);
    const pods = this.pods.lister.listInNamespace(namespace, selector);
    if (pods.length === 0) this.recorder.event(pdb, 'Normal', 'NoPods', 'No matching pods found');
    const result = computeBudgetStatus(pdb, pods, (ns, ref) => this.scaleOf(ns, ref), this.ctx.clock.now());
    if (result.error) this.recorder.eventf(pdb, 'Warning', 'CalculateExpectedPodCountFailed', 'Failed to calculate the number of expected pods: %s', result.error);
    if (!sameStatus(result.status, pdb.status)) {
      await this.ctx.client.resource<PodDisruptionBudget>(RESOURCES.poddisruptionbudgets).updateStatus(namespace, { ...pdb, status: result.status });
    }
    return result.requeueAfterMs !== undefined ? { requeueAfterMs: result.requeueAfterMs } : undefined;
  }
}

/** The registry entry of the disruption controller. */
export const disruptionControllerDescriptor: ControllerDescriptor = {
  name: DISRUPTION_CONTROLLER_NAME,
  create: (ctx) => new DisruptionController(ctx),
};
