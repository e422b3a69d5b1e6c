/**
 * The scheduler of one leadership term (kube-scheduler's Scheduler + scheduleOne): informer
 * events feed the cache and the queue; a loop pops pods, runs the algorithm, assumes each
 * decided pod on its node and binds it in the background; a pod that fits nowhere gets
 * preemption, the PodScheduled=False/Unschedulable condition with Kubernetes' message, a
 * FailedScheduling event, and waits in the queue for a cluster event that could help.
 *
 * - Only pending pods (no spec.nodeName) whose spec.schedulerName is this scheduler's, not
 *   finished and not being deleted, are scheduled; bound pods of every scheduler fill the
 *   cache; pods that finished (Succeeded/Failed) count nowhere.
 * - A malformed pod or node is reported (a Warning event, a log line) and skipped, never a crash.
 * - Binding: a 409 means another scheduler (or an earlier term) bound it — forgotten, not
 *   retried; a 404 means it is gone; any other failure forgets the assumed pod and retries it
 *   after backoff.
 * - The loop schedules pods in batches and yields to the event loop between batches, so
 *   informer events and binding results interleave with decisions.
 */
import type { Logger } from 'pino';
import type { KubeObject } from '../../lib/api/object';
import { hasCode } from '../../lib/api/status';
import type { Clock } from '../../lib/client/clock';
import type { Node, Pod, PodCondition } from './algorithm/api-types';
import type { SpreadSelectorSource } from './algorithm/cluster-state';
import type { DisruptionBudgetSource } from './algorithm/disruption-budgets';
import { diagnosisMessage, NO_NODES_AVAILABLE } from './algorithm/fit-error';
import { MalformedObjectError } from './algorithm/malformed';
import { PodInfo } from './algorithm/pod-info';
import { postFilterMessage, preempt, type PreemptionOutcome } from './algorithm/preemption';
import { SchedulingAlgorithm, type Diagnosis, type RandomSource } from './algorithm/scheduling-algorithm';
import { DecisionLog, type Decision } from './decision-log';
import type { SchedulerEventSink } from './event-sink';
import type { SchedulerApi } from './scheduler-api';
import { SchedulerCache } from './scheduler-cache';
import type { PendingPods, SchedulingMetricsSink } from './scheduler-metrics';
import { namespaceEvent, NODE_ADDED, nodeEvent, podEvent } from './cluster-events';
import { SchedulingQueue, type QueueLengths, type QueuedPod } from './scheduling-queue';

/** kube-scheduler's default name, the default of spec.schedulerName. */
export const DEFAULT_SCHEDULER_NAME = 'default-scheduler';
/** Pods decided per batch before the loop yields to the event loop. */
export const PODS_PER_BATCH = 50;
/** Bindings in flight at most; the loop waits for a slot beyond that. */
export const MAX_BINDS_IN_FLIGHT = 128;
/** Malformed objects remembered as reported (so each version is reported once). */
const MALFORMED_REPORTS_KEPT = 10_000;

/** Constructor parameters of a {@link Scheduler}. */
export interface SchedulerOptions {
  readonly api: SchedulerApi;
  readonly events: SchedulerEventSink;
  readonly clock: Clock;
  readonly random: RandomSource;
  readonly logger: Logger;
  readonly schedulerName?: string;
  /** percentageOfNodesToScore; 0 or absent: adaptive. */
  readonly percentageOfNodesToScore?: number;
  readonly spreadSelector?: SpreadSelectorSource;
  /** The PodDisruptionBudgets preemption honours (none when absent). */
  readonly disruptionBudgets?: DisruptionBudgetSource;
  readonly maxBindsInFlight?: number;
  /** Where attempts and preemptions are counted (kube-scheduler's metrics); none when absent. */
  readonly metrics?: SchedulingMetricsSink;
}

/** Seconds since `startedMs` (a performance.now() reading). */
function secondsSince(startedMs: number): number {
  return (performance.now() - startedMs) / 1000;
}

/** A snapshot of the scheduler for the status API. */
export interface SchedulerStatus {
  readonly queue: QueueLengths;
  readonly nodes: number;
  readonly pods: number;
  readonly assumed: number;
  readonly totals: { readonly scheduled: number; readonly unschedulable: number; readonly bindErrors: number };
  readonly recent: readonly Decision[];
}

const TERMINAL_PHASES = new Set(['Succeeded', 'Failed']);

function isTerminal(pod: Pod): boolean {
  return TERMINAL_PHASES.has(pod.status?.phase ?? '');
}

function nodeNameOf(pod: Pod): string {
  const n = pod.spec?.nodeName;
  return typeof n === 'string' ? n : '';
}

function keyOf(obj: KubeObject): string {
  return `${obj.metadata?.namespace ?? ''}/${obj.metadata?.name ?? ''}`;
}

export class Scheduler {
  readonly cache: SchedulerCache;
  readonly queue: SchedulingQueue;
  readonly name: string;
  private readonly algorithm: SchedulingAlgorithm;
  private readonly decisions = new DecisionLog();
  private readonly maxBinds: number;
  private bindsInFlight = 0;
  private bindWaiters: (() => void)[] = [];
  private stopped = false;
  private loop: Promise<void> | undefined;
  /** uid@resourceVersion of malformed objects already reported. */
  private readonly reported = new Set<string>();
  /** Keys of our pending pods held back by spec.schedulingGates. */
  private readonly gated = new Set<string>();

  constructor(private readonly opts: SchedulerOptions) {
    this.name = opts.schedulerName ?? DEFAULT_SCHEDULER_NAME;
    this.cache = new SchedulerCache(opts.spreadSelector);
    this.queue = new SchedulingQueue(opts.clock);
    this.algorithm = new SchedulingAlgorithm({ random: opts.random, percentageOfNodesToScore: opts.percentageOfNodesToScore });
    this.maxBinds = opts.maxBindsInFlight ?? MAX_BINDS_IN_FLIGHT;
  }

  // ----- informer events -------------------------------------------------------------------

  onNodeAdd(node: Node): void {
    if (this.upsertNode(node)) this.queue.onClusterEvent(NODE_ADDED);
  }

  onNodeUpdate(old: Node, node: Node): void {
    if (!this.upsertNode(node)) return;
    const event = nodeEvent(old, node);
    if (event) this.queue.onClusterEvent(event);
  }

  onNodeDelete(node: Node): void {
    this.cache.removeNode(node.metadata.name ?? '');
  }

  onNamespace(ns: KubeObject, deleted: boolean): void {
    const before = this.cache.state.namespaceLabels(ns.metadata.name ?? '');
    const labels = deleted ? undefined : { ...(ns.metadata.labels ?? {}) };
    this.cache.state.setNamespaceLabels(ns.metadata.name ?? '', labels);
    if (!deleted && before && JSON.stringify(before) !== JSON.stringify(labels)) this.queue.onClusterEvent(namespaceEvent());
  }

  onPodAdd(pod: Pod): void {
    this.onPodUpdate(undefined, pod);
  }

  onPodUpdate(old: Pod | undefined, pod: Pod): void {
    const key = keyOf(pod);
    if (nodeNameOf(pod)) {
      this.dropPending(key);
      if (isTerminal(pod)) {
        if (this.cache.remove(key)) this.queue.onClusterEvent(podEvent('AssignedPodDelete'));
        return;
      }
      const info = this.compile(pod, false);
      if (!info) return;
      const wasBound = old !== undefined && !!nodeNameOf(old) && this.cache.has(key) && !this.cache.isAssumed(key);
      this.cache.addBoundPod(info);
      const labelsChanged = !wasBound || JSON.stringify(old?.metadata.labels ?? {}) !== JSON.stringify(pod.metadata.labels ?? {});
      if (labelsChanged) this.queue.onClusterEvent(podEvent(wasBound ? 'AssignedPodUpdate' : 'AssignedPodAdd'));
      return;
    }
    if (!this.responsibleFor(pod) || isTerminal(pod) || pod.metadata.deletionTimestamp) {
      this.dropPending(key);
      return;
    }
    if (this.cache.isAssumed(key)) return; // decided; its binding is in flight
    const info = this.compile(pod, true);
    if (!info) {
      this.dropPending(key);
      return;
    }
    if (info.nominatedNodeName) this.cache.state.setNominated(info, info.nominatedNodeName);
    else this.cache.state.clearNominated(key);
    if ((pod.spec?.schedulingGates?.length ?? 0) > 0) {
      this.queue.delete(key); // held back until its gates are removed
      this.gated.add(key);
      return;
    }
    this.gated.delete(key);
    this.queue.add(info);
  }

  onPodDelete(pod: Pod): void {
    const key = keyOf(pod);
    this.dropPending(key);
    if (this.cache.remove(key)) this.queue.onClusterEvent(podEvent('AssignedPodDelete'));
  }

  // ----- the loop ----------------------------------------------------------------------------

  /** Starts scheduling; resolves when stopped. */
  run(): Promise<void> {
    this.queue.start();
    this.loop ??= this.runLoop();
    return this.loop;
  }

  /** Stops scheduling (bindings in flight finish on their own). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.queue.close();
    for (const w of this.bindWaiters.splice(0)) w();
    await this.loop;
  }

  /** Pods waiting, per queue (scheduler_pending_pods). */
  pending(): PendingPods {
    const lengths = this.queue.lengths();
    return { active: lengths.active, backoff: lengths.backoff, unschedulable: lengths.unschedulable, gated: this.gated.size };
  }

  status(): SchedulerStatus {
    return { queue: this.queue.lengths(), ...this.cache.counts(), totals: this.decisions.totals(), recent: this.decisions.recent() };
  }

  private async runLoop(): Promise<void> {
    while (!this.stopped) {
      await this.queue.waitForPod();
      for (let i = 0; i < PODS_PER_BATCH && !this.stopped; i++) {
        if (this.bindsInFlight >= this.maxBinds) await new Promise<void>((resolve) => this.bindWaiters.push(resolve));
        if (this.stopped) break;
        const q = this.queue.pop();
        if (!q) break;
        this.scheduleOne(q);
      }
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  /** One scheduling cycle (synchronous up to the background writes). */
  scheduleOne(q: QueuedPod): void {
    const startedMs = performance.now();
    const nomination = this.cache.state.nominatedNodeOf(q.info.key) ?? '';
    const pod = nomination === q.info.nominatedNodeName ? q.info : q.info.withNominatedNode(nomination);
    const outcome = this.algorithm.schedule(pod, this.cache.state);
    switch (outcome.kind) {
      case 'scheduled':
        this.cache.assume(pod, outcome.node);
        this.decisions.add({ pod, outcome: 'Scheduled', node: outcome.node, atMs: this.opts.clock.now(), evaluatedNodes: outcome.evaluatedNodes, feasibleNodes: outcome.feasibleNodes, diagnosis: outcome.diagnosis, topScores: outcome.topScores });
        this.bind(pod, outcome.node, startedMs);
        return;
      case 'no-nodes':
        this.unschedulable(q, NO_NODES_AVAILABLE, undefined, new Set());
        this.opts.metrics?.attempt('unschedulable', secondsSince(startedMs));
        return;
      case 'unschedulable': {
        const budgets = this.opts.disruptionBudgets?.() ?? [];
        const preemption = preempt(pod, this.cache.state, outcome.diagnosis, outcome.cycle, this.algorithm.random, budgets);
        this.opts.metrics?.preemption(preemption.kind === 'preempt' ? preemption.victims.length : undefined);
        const message = diagnosisMessage(outcome.diagnosis, postFilterMessage(preemption));
        const plugins = new Set([...outcome.diagnosis.rejections.values()].map((r) => r.plugin));
        this.unschedulable(q, message, outcome.diagnosis, plugins, preemption);
        this.opts.metrics?.attempt('unschedulable', secondsSince(startedMs));
        return;
      }
    }
  }

  /** Records the failure, writes the condition and event, preempts, and parks the pod. */
  private unschedulable(q: QueuedPod, message: string, diagnosis: Diagnosis | undefined, plugins: ReadonlySet<string>, preemption?: PreemptionOutcome): void {
    const pod = q.info;
    let nominated: string | undefined;
    if (preemption?.kind === 'preempt') {
      nominated = preemption.node;
      this.evictVictims(pod, preemption.node, preemption.victims);
    } else if (preemption?.kind === 'failed' && preemption.clearNomination && pod.nominatedNodeName) {
      nominated = ''; // no node can be made room on any more: drop the old nomination
    }
    if (nominated !== undefined) this.cache.state.setNominated(pod, nominated);
    this.queue.requeueUnschedulable(pod.key, plugins);
    this.decisions.add({ pod, outcome: 'Unschedulable', node: nominated, message, atMs: this.opts.clock.now(), diagnosis });
    this.opts.logger.debug({ pod: pod.key, message }, 'pod is unschedulable');
    this.opts.events.event(pod.pod, 'Warning', 'FailedScheduling', message);
    this.writeCondition(pod, { type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message }, nominated);
  }

  /** Writes the PodScheduled condition unless the pod already carries it (and the nomination). */
  private writeCondition(pod: PodInfo, condition: PodCondition, nominated: string | undefined): void {
    const current = pod.pod.status?.conditions?.find((c) => c.type === condition.type);
    const sameCondition = current && current.status === condition.status && current.reason === condition.reason && current.message === condition.message;
    const sameNomination = nominated === undefined || nominated === pod.nominatedNodeName;
    if (sameCondition && sameNomination) return;
    const now = new Date(this.opts.clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const full: PodCondition = { ...condition, lastProbeTime: null, lastTransitionTime: current?.status === condition.status ? current.lastTransitionTime ?? now : now };
    this.opts.api.patchStatus(pod, sameCondition ? undefined : full, sameNomination ? undefined : nominated).catch((err: unknown) => {
      if (!hasCode(err, 404)) this.opts.logger.warn({ pod: pod.key, err: (err as Error).message }, 'could not write the pod condition');
    });
  }

  private evictVictims(preemptor: PodInfo, node: string, victims: readonly PodInfo[]): void {
    const message = `${this.name}: preempting to accommodate a higher priority pod`;
    for (const v of victims) {
      if (v.terminating) continue;
      this.opts.api.evict(v, message).then(
        () => this.opts.events.event(v.pod, 'Normal', 'Preempted', `Preempted by pod ${preemptor.uid} on node ${node}`),
        (err: unknown) => {
          if (!hasCode(err, 404)) this.opts.logger.warn({ victim: v.key, err: (err as Error).message }, 'could not evict a preemption victim');
        },
      );
    }
    // Lower-priority pods nominated there may not fit any more: let them look elsewhere.
    for (const other of this.cache.state.nominatedPods(node)) {
      if (other.priority >= preemptor.priority || other.key === preemptor.key) continue;
      this.cache.state.clearNominated(other.key);
      this.opts.api.patchStatus(other, undefined, '').catch(() => undefined);
    }
    this.opts.logger.info({ preemptor: preemptor.key, node, victims: victims.map((v) => v.key) }, 'preempting');
  }

  /** Binds in the background; `startedMs` is when the pod's scheduling attempt began (metrics). */
  private bind(pod: PodInfo, node: string, startedMs: number): void {
    this.bindsInFlight++;
    this.opts.api
      .bind(pod, node)
      .then(
        () => {
          this.opts.metrics?.attempt('scheduled', secondsSince(startedMs));
          this.queue.done(pod.key);
          this.cache.state.clearNominated(pod.key);
          this.opts.events.event(pod.pod, 'Normal', 'Scheduled', `Successfully assigned ${pod.namespace}/${pod.name} to ${node}`);
        },
        (err: unknown) => {
          this.opts.metrics?.attempt('error', secondsSince(startedMs));
          this.cache.forget(pod.key);
          this.decisions.bindFailed(pod, node, (err as Error).message, this.opts.clock.now());
          if (hasCode(err, 409) || hasCode(err, 404)) {
            // Bound by someone else (the informer brings it), gated, or gone.
            this.queue.done(pod.key);
            return;
          }
          this.opts.logger.warn({ pod: pod.key, node, err: (err as Error).message }, 'binding failed; retrying after backoff');
          this.opts.events.event(pod.pod, 'Warning', 'FailedScheduling', `Binding rejected: ${(err as Error).message}`);
          this.queue.requeueBackoff(pod.key);
          this.queue.onClusterEvent(podEvent('AssignedPodDelete'));
        },
      )
      .finally(() => {
        this.bindsInFlight--;
        this.bindWaiters.shift()?.();
      });
  }

  // ----- helpers -----------------------------------------------------------------------------

  private responsibleFor(pod: Pod): boolean {
    return (pod.spec?.schedulerName || DEFAULT_SCHEDULER_NAME) === this.name;
  }

  private dropPending(key: string): void {
    this.queue.delete(key);
    this.gated.delete(key);
    this.cache.state.clearNominated(key);
  }

  /** Compiles a node into the cache; a malformed node is reported and removed. */
  private upsertNode(node: Node): boolean {
    try {
      this.cache.upsertNode(node);
      return true;
    } catch (err) {
      if (!(err instanceof MalformedObjectError)) throw err;
      this.cache.removeNode(node.metadata?.name ?? '');
      this.reportMalformed(node, err);
      return false;
    }
  }

  /** Compiles a pod; a malformed one is reported (with an event when it is ours to schedule). */
  private compile(pod: Pod, ours: boolean): PodInfo | undefined {
    try {
      return PodInfo.of(pod);
    } catch (err) {
      if (!(err instanceof MalformedObjectError)) throw err;
      this.reportMalformed(pod, err, ours);
      return undefined;
    }
  }

  private reportMalformed(obj: KubeObject, err: MalformedObjectError, withEvent = true): void {
    const id = `${obj.metadata?.uid ?? keyOf(obj)}@${obj.metadata?.resourceVersion ?? ''}`;
    if (this.reported.has(id)) return;
    if (this.reported.size >= MALFORMED_REPORTS_KEPT) this.reported.clear();
    this.reported.add(id);
    this.opts.logger.warn({ kind: obj.kind, object: keyOf(obj), field: err.field, err: err.message }, 'skipping a malformed object');
    if (withEvent) this.opts.events.event(obj, 'Warning', 'FailedScheduling', `${obj.kind ?? 'object'} cannot be scheduled: ${err.message}`);
  }
}
