/**
 * The DaemonSet controller (Kubernetes' DaemonSetsController): one daemon pod on every node the
 * DaemonSet's template fits (node-placement.ts), created through the scheduler with a node-pinning
 * affinity (daemon-pod.ts), with failed/extra/misplaced pods deleted and RollingUpdate or
 * OnDelete updates (daemon-plan.ts), and the status kubectl reads (daemonset-status.ts).
 * Per sync: claim pods (adopt/release), act once when expectations are satisfied, write status.
 * ControllerRevisions of the template (daemon-history.ts) name the pods' controller-revision-hash
 * and serve `kubectl rollout history|undo`.
 */
import type { Logger } from 'pino';
import type { ObjectReference } from '../../../lib/api/core-event';
import { selectorFromLabelSelector, type Selector } from '../../../lib/api/label-selector';
import { apiVersionOf, type ResourceInfo } from '../../../lib/api/object';
import { RESOURCES } from '../../../lib/api/resources';
import { isNotFound } from '../../../lib/api/status';
import type { DaemonSet } from '../../../lib/api/types/apps';
import type { Node, Pod } from '../../../lib/api/types/core';
import type { EventRecorder } from '../../../lib/client/events';
import { objectKey, splitObjectKey, type SharedInformer } from '../../../lib/client/informer';
import type { Controller, ControllerContext } from '../../../lib/controller/controller-context';
import type { ControllerDescriptor } from '../../../lib/controller/controller-registry';
import { CONTROLLER_UID_INDEX, getControllerOf, indexByControllerUid, newControllerRef, resolveControllerRef } from '../../../lib/controller/controller-ref';
import { ControllerRefManager } from '../../../lib/controller/controller-ref-manager';
import { ControllerRunner, type ReconcileResult } from '../../../lib/controller/controller-runner';
import { ControllerExpectations } from '../../../lib/controller/expectations';
import { ControllerHistory, type ControllerRevision } from '../../../lib/controller/history';
import { writeStatus } from '../../../lib/controller/status-writer';
import { slowStartBatch } from '../replicaset/slow-start';
import { constructDaemonHistory, truncateDaemonHistory } from './daemon-history';
import { newDaemonPod } from './daemon-pod';
import { planDaemonSync, updateLimits, type DaemonView } from './daemon-plan';
import { calculateDaemonStatus, daemonStatusDiffers } from './daemonset-status';
import { compilePlacement } from './node-placement';

export const DAEMONSET_CONTROLLER_NAME = 'daemonset';
/** The component name on the controller's Events (Kubernetes'). */
export const DAEMONSET_CONTROLLER_COMPONENT = 'daemonset-controller';
/** At most this many creates or deletes per sync (Kubernetes' BurstReplicas). */
export const DAEMON_BURST = 250;

export const REASON_SUCCESSFUL_CREATE = 'SuccessfulCreate';
export const REASON_FAILED_CREATE = 'FailedCreate';
export const REASON_SUCCESSFUL_DELETE = 'SuccessfulDelete';
export const REASON_FAILED_DELETE = 'FailedDelete';
export const REASON_FAILED_PLACEMENT = 'FailedPlacement';

const PODS = RESOURCES.pods;
const DAEMONSETS = RESOURCES.daemonsets;
const REVISIONS = RESOURCES.controllerrevisions;

export const daemonSetControllerDescriptor: ControllerDescriptor = {
  name: DAEMONSET_CONTROLLER_NAME,
  create: (ctx) => new DaemonSetController(ctx),
};

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export class DaemonSetController implements Controller {
  private readonly sets: SharedInformer<DaemonSet>;
  private readonly pods: SharedInformer<Pod>;
  private readonly nodes: SharedInformer<Node>;
  private readonly revisions: SharedInformer<ControllerRevision>;
  private readonly history: ControllerHistory;
  private readonly expectations: ControllerExpectations;
  private readonly runner: ControllerRunner<string>;
  private readonly recorder: EventRecorder;
  private readonly logger: Logger;

  constructor(private readonly ctx: ControllerContext) {
    this.sets = ctx.informers.informer<DaemonSet>(DAEMONSETS);
    this.pods = ctx.informers.informer<Pod>(PODS, { indexers: { [CONTROLLER_UID_INDEX]: indexByControllerUid } });
    this.nodes = ctx.informers.informer<Node>(RESOURCES.nodes);
    this.revisions = ctx.informers.informer<ControllerRevision>(REVISIONS, { indexers: { [CONTROLLER_UID_INDEX]: indexByControllerUid } });
    this.history = new ControllerHistory(ctx.client.resource<ControllerRevision>(REVISIONS));
    this.expectations = new ControllerExpectations(ctx.clock);
    this.recorder = ctx.recorder(DAEMONSET_CONTROLLER_COMPONENT);
    this.logger = ctx.logger.child({ controller: DAEMONSET_CONTROLLER_NAME });
    this.runner = new ControllerRunner({
      name: DAEMONSET_CONTROLLER_NAME, reconcile: (k) => this.sync(k), clock: ctx.clock,
      logger: this.logger, metrics: ctx.workQueueMetrics?.(DAEMONSET_CONTROLLER_NAME),
    });
    this.sets.addEventHandler({ onAdd: (ds) => this.runner.enqueue(objectKey(ds)), onUpdate: (_o, ds) => this.runner.enqueue(objectKey(ds)) });
    this.pods.addEventHandler({
      onAdd: (pod) => this.podChanged(pod, 'add'),
      onUpdate: (old, pod) => {
        if (getControllerOf(old)?.uid !== getControllerOf(pod)?.uid) this.enqueueAllSelecting(old);
        this.podChanged(pod, pod.metadata.deletionTimestamp && !old.metadata.deletionTimestamp ? 'delete' : 'update');
      },
      onDelete: (pod) => this.podChanged(pod, 'delete'),
    });
    // Labels, taints and readiness of nodes decide placement: any node change looks at every DaemonSet.
    const allSets = () => this.enqueueAll();
    this.nodes.addEventHandler({ onAdd: allSets, onUpdate: allSets, onDelete: allSets });
    // A revision changed or deleted behind the controller's back: its DaemonSet rebuilds its history.
    const revisionChanged = (rev: ControllerRevision) => this.revisionChanged(rev);
    this.revisions.addEventHandler({ onAdd: revisionChanged, onUpdate: (_o, rev) => revisionChanged(rev), onDelete: revisionChanged });
  }

  private revisionChanged(rev: ControllerRevision): void {
    const ref = getControllerOf(rev);
    const owner = ref && resolveControllerRef(rev.metadata.namespace ?? '', ref, DAEMONSETS, this.sets.lister);
    if (owner) this.runner.enqueue(objectKey(owner));
  }

  async run(): Promise<void> {
    await Promise.all([this.sets.waitForSync(), this.pods.waitForSync(), this.nodes.waitForSync(), this.revisions.waitForSync()]);
    this.runner.start();
  }

  stop(): Promise<void> {
    return this.runner.stop();
  }

  private enqueueAll(): void {
    for (const ds of this.sets.lister.list()) this.runner.enqueue(objectKey(ds));
  }

  /** An orphan (or a pod just released) may be adopted by any DaemonSet selecting it. */
  private enqueueAllSelecting(pod: Pod): void {
    for (const ds of this.sets.lister.listInNamespace(pod.metadata.namespace ?? '')) {
      try {
        if (selectorFromLabelSelector(ds.spec?.selector).matches(pod.metadata.labels ?? {})) this.runner.enqueue(objectKey(ds));
      } catch {
        // A DaemonSet with a malformed selector adopts nothing.
      }
    }
  }

  private podChanged(pod: Pod, what: 'add' | 'update' | 'delete'): void {
    const ref = getControllerOf(pod);
    if (!ref) {
      if (what !== 'delete') this.enqueueAllSelecting(pod);
      return;
    }
    const owner = resolveControllerRef(pod.metadata.namespace ?? '', ref, DAEMONSETS, this.sets.lister);
    if (!owner) return;
    const key = objectKey(owner);
    if (what === 'add') this.expectations.creationObserved(key);
    if (what === 'delete') this.expectations.deletionObserved(key);
    this.runner.enqueue(key);
  }

  private async sync(key: string): Promise<ReconcileResult | void> {
    const { namespace, name } = splitObjectKey(key);
    const ds = this.sets.lister.get(namespace, name);
    if (!ds) {
      this.expectations.delete(key);
      return;
    }
    let selector: Selector;
    let placement: DaemonView['placement'];
    try {
      selector = selectorFromLabelSelector(ds.spec?.selector);
      placement = compilePlacement(ds);
      updateLimits(ds, 0); // a malformed maxSurge/maxUnavailable is reported here, not thrown mid-sync
    } catch (err) {
      // A malformed DaemonSet never gets better by retrying; it is looked at again when it changes.
      this.recorder.event(this.refOf(ds), 'Warning', REASON_FAILED_PLACEMENT, `Invalid DaemonSet: ${errorMessage(err)}`);
      this.logger.warn({ daemonset: key, err: errorMessage(err) }, 'invalid daemonset; skipped');
      return;
    }
    const needsSync = this.expectations.satisfied(key);
    const claimed = await this.claim<Pod>(ds, selector, this.pods, PODS);
    const pods = claimed.filter((p) => !p.metadata.deletionTimestamp);
    if (ds.metadata.deletionTimestamp) return;
    const revisions = await constructDaemonHistory(this.history, ds, await this.claim<ControllerRevision>(ds, selector, this.revisions, REVISIONS), pods);
    const view: DaemonView = { ds, nodes: this.nodes.lister.list(), pods, placement, hash: revisions.hash, nowMs: this.ctx.clock.now() };
    let error: unknown;
    if (needsSync) error = await this.manage(key, ds, view);
    const { status, nextAvailableInMs } = calculateDaemonStatus(view, revisions.collisionCount);
    if (daemonStatusDiffers(ds.status, status)) await writeStatus(this.ctx.client.resource<DaemonSet>(DAEMONSETS), ds, status);
    await truncateDaemonHistory(this.history, ds, revisions, pods);
    if (error !== undefined) throw error;
    return nextAvailableInMs !== undefined ? { requeueAfterMs: nextAvailableInMs } : {};
  }

  /** The DaemonSet's children of one kind from the cache (its own plus selected orphans), after adoption and release. */
  private claim<C extends Pod | ControllerRevision>(ds: DaemonSet, selector: Selector, informer: SharedInformer<C>, info: ResourceInfo): Promise<C[]> {
    const namespace = ds.metadata.namespace ?? '';
    const candidates = [
      ...informer.lister.byIndex(CONTROLLER_UID_INDEX, ds.metadata.uid ?? ''),
      ...informer.lister.listInNamespace(namespace, selector).filter((c) => !getControllerOf(c)),
    ];
    return new ControllerRefManager<DaemonSet, C>({
      owner: ds, ownerInfo: DAEMONSETS, selector, children: this.ctx.client.resource<C>(info),
      getOwnerFresh: () => this.ctx.client.resource<DaemonSet>(DAEMONSETS).get(namespace, ds.metadata.name ?? '').catch(() => undefined),
    }).claim(candidates);
  }

  /** Makes the plan's creates (slow start) and deletes; returns the first error. */
  private async manage(key: string, ds: DaemonSet, view: DaemonView): Promise<unknown> {
    const plan = planDaemonSync(view);
    const creates = plan.create.slice(0, DAEMON_BURST);
    const deletes = plan.delete.slice(0, DAEMON_BURST);
    this.expectations.expectCreations(key, creates.length);
    this.expectations.expectDeletions(key, deletes.length);
    const deleted = await Promise.allSettled(deletes.map((pod) => this.deletePod(key, ds, pod)));
    const { successes, error } = await slowStartBatch(creates.length, (i) => this.createPod(ds, creates[i]!, view.hash));
    // Creates that failed or were never made produce no watch event: stop expecting them.
    for (let i = successes; i < creates.length; i++) this.expectations.creationObserved(key);
    return error ?? deleted.find((r): r is PromiseRejectedResult => r.status === 'rejected')?.reason;
  }

  private async createPod(ds: DaemonSet, nodeName: string, hash: string): Promise<void> {
    const pod = newDaemonPod(ds, nodeName, hash);
    pod.metadata.ownerReferences = [newControllerRef(ds, DAEMONSETS)];
    try {
      const created = await this.ctx.client.resource<Pod>(PODS).create(ds.metadata.namespace, pod);
      this.recorder.event(this.refOf(ds), 'Normal', REASON_SUCCESSFUL_CREATE, `Created pod: ${created.metadata.name}`);
    } catch (err) {
      this.recorder.event(this.refOf(ds), 'Warning', REASON_FAILED_CREATE, `Error creating: ${errorMessage(err)}`);
      throw err;
    }
  }

  /** Deletes one pod (uid precondition); a pod already gone is fine. */
  private async deletePod(key: string, ds: DaemonSet, pod: Pod): Promise<void> {
    try {
      await this.ctx.client.resource<Pod>(PODS).delete(pod.metadata.namespace, pod.metadata.name ?? '', { preconditions: { uid: pod.metadata.uid } });
      this.recorder.event(this.refOf(ds), 'Normal', REASON_SUCCESSFUL_DELETE, `Deleted pod: ${pod.metadata.name}`);
    } catch (err) {
      // No watch event will come for a delete that failed: stop expecting it.
      this.expectations.deletionObserved(key);
      if (isNotFound(err)) return;
      this.recorder.event(this.refOf(ds), 'Warning', REASON_FAILED_DELETE, `Error deleting: ${errorMessage(err)}`);
      throw err;
    }
  }

  private refOf(ds: DaemonSet): ObjectReference {
    return { apiVersion: apiVersionOf(DAEMONSETS), kind: DAEMONSETS.kind, namespace: ds.metadata.namespace, name: ds.metadata.name, uid: ds.metadata.uid };
  }
}
