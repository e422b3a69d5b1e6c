/**
 * The status of a PodDisruptionBudget, computed from the pods it selects (Kubernetes' disruption
 * controller): how many are healthy, how many must stay healthy, and so how many voluntary
 * disruptions (evictions) are allowed now. Pure: the controller reads the caches and writes.
 */
import { resolveIntOrPercent } from '../../../lib/api/int-or-string';
import type { OwnerReference } from '../../../lib/api/object';
import { isPodReady } from '../../../lib/api/pod-status';
import type { Pod } from '../../../lib/api/types/core';
import type { PodDisruptionBudget, PodDisruptionBudgetStatus } from '../../../lib/api/types/policy';

/** How long an eviction recorded in status.disruptedPods keeps its pod out of the healthy count (Kubernetes' DeletionTimeout). */
export const DELETION_TIMEOUT_MS = 2 * 60 * 1000;
/** The condition saying whether an eviction is allowed now. */
export const DISRUPTION_ALLOWED = 'DisruptionAllowed';
/** Its reasons. */
export const SUFFICIENT_PODS = 'SufficientPods';
export const INSUFFICIENT_PODS = 'InsufficientPods';
export const SYNC_FAILED = 'SyncFailed';

/** The desired scale (spec.replicas) of the workload a controllerRef names; undefined when it is not found. */
export type ScaleOf = (namespace: string, ref: OwnerReference) => number | undefined;

/** What a sync computed. */
export interface BudgetComputation {
  readonly status: PodDisruptionBudgetStatus;
  /** Why the counts could not be computed (the status then allows no disruption). */
  readonly error?: string;
  /** Look again after this long: the earliest disruptedPods entry expiring. */
  readonly requeueAfterMs?: number;
}

type Condition = NonNullable<PodDisruptionBudgetStatus['conditions']>[number];

/** The budget's new status from its selected `pods`, at `nowMs`. */
export function computeBudgetStatus(pdb: PodDisruptionBudget, pods: readonly Pod[], scaleOf: ScaleOf, nowMs: number): BudgetComputation {
  const old = pdb.status ?? {};
  const { disrupted, requeueAfterMs } = liveDisruptions(old.disruptedPods ?? {}, pods, nowMs);
  const currentHealthy = pods.filter((p) => !p.metadata.deletionTimestamp && !(p.metadata.name! in disrupted) && isPodReady(p)).length;
  const observedGeneration = pdb.metadata.generation;
  let expected: { expectedPods: number; desiredHealthy: number };
  try {
    expected = expectedCounts(pdb, pods, scaleOf);
  } catch (err) {
    const message = (err as Error).message;
    const status = { ...old, observedGeneration, disruptedPods: disrupted, currentHealthy, disruptionsAllowed: 0 };
    return { status: { ...status, conditions: withCondition(old.conditions, { type: DISRUPTION_ALLOWED, status: 'False', reason: SYNC_FAILED, message }, nowMs) }, error: message, requeueAfterMs };
  }
  const margin = currentHealthy - expected.desiredHealthy;
  const disruptionsAllowed = expected.expectedPods <= 0 || margin <= 0 ? 0 : margin;
  const condition: Condition =
    disruptionsAllowed > 0 ? { type: DISRUPTION_ALLOWED, status: 'True', reason: SUFFICIENT_PODS, message: '' } : { type: DISRUPTION_ALLOWED, status: 'False', reason: INSUFFICIENT_PODS, message: '' };
  return {
    status: {
      observedGeneration,
      disruptedPods: disrupted,
      disruptionsAllowed,
      currentHealthy,
      desiredHealthy: expected.desiredHealthy,
      expectedPods: expected.expectedPods,
      conditions: withCondition(old.conditions, condition, nowMs),
    },
    requeueAfterMs,
  };
}

/**
 * The disruptedPods entries still in force: the pod still exists, is not being deleted yet, and
 * was evicted less than DELETION_TIMEOUT_MS ago; with the time until the first of them expires.
 */
function liveDisruptions(recorded: Record<string, string>, pods: readonly Pod[], nowMs: number): { disrupted: Record<string, string>; requeueAfterMs?: number } {
  const byName = new Map(pods.map((p) => [p.metadata.name!, p]));
  const disrupted: Record<string, string> = {};
  let requeueAfterMs: number | undefined;
  for (const [name, at] of Object.entries(recorded)) {
    const pod = byName.get(name);
    const expiresAt = Date.parse(at) + DELETION_TIMEOUT_MS;
    if (!pod || pod.metadata.deletionTimestamp || !Number.isFinite(expiresAt) || expiresAt <= nowMs) continue;
    disrupted[name] = at;
    requeueAfterMs = Math.min(requeueAfterMs ?? Infinity, expiresAt - nowMs);
  }
  return { disrupted, requeueAfterMs };
}

/**
 * expectedPods and desiredHealthy: an integer minAvailable counts the selected pods; a
 * percentage minAvailable or any maxUnavailable counts the scale of the workloads owning them
 * (every selected pod must have a controller whose scale is known — else an error, as in
 * Kubernetes). Percentages of desiredHealthy round up.
 */
function expectedCounts(pdb: PodDisruptionBudget, pods: readonly Pod[], scaleOf: ScaleOf): { expectedPods: number; desiredHealthy: number } {
  const { minAvailable, maxUnavailable } = pdb.spec ?? {};
  if (maxUnavailable !== undefined && maxUnavailable !== null) {
    const expectedPods = expectedScale(pods, scaleOf);
    const unavailable = resolveIntOrPercent(maxUnavailable, expectedPods, true);
    return { expectedPods, desiredHealthy: Math.max(0, expectedPods - unavailable) };
  }
  if (typeof minAvailable === 'number') return { expectedPods: pods.length, desiredHealthy: minAvailable };
  if (typeof minAvailable === 'string') {
    const expectedPods = expectedScale(pods, scaleOf);
    return { expectedPods, desiredHealthy: resolveIntOrPercent(minAvailable, expectedPods, true) };
  }
  return { expectedPods: 0, desiredHealthy: 0 };
}

/** The summed scale of the distinct workloads controlling `pods`. */
function expectedScale(pods: readonly Pod[], scaleOf: ScaleOf): number {
  const seen = new Map<string, number>();
  for (const pod of pods) {
    const ref = (pod.metadata.ownerReferences ?? []).find((r) => r.controller);
    if (!ref) throw new Error(`found no controller ref for pod "${pod.metadata.name}"`);
    if (seen.has(ref.uid)) continue;
    const scale = scaleOf(pod.metadata.namespace ?? '', ref);
    if (scale === undefined) throw new Error(`found no controllers for pod "${pod.metadata.name}"`);
    seen.set(ref.uid, scale);
  }
  let total = 0;
  for (const n of seen.values()) total += n;
  return total;
}

/** `conditions` with `c` set, keeping lastTransitionTime when its status did not change. */
function withCondition(conditions: readonly Condition[] | undefined, c: Condition, nowMs: number): Condition[] {
  const old = (conditions ?? []).find((x) => x.type === c.type);
  const lastTransitionTime = old && old.status === c.status && old.lastTransitionTime ? old.lastTransitionTime : new Date(nowMs).toISOString().replace(/\.\d+Z$/, 'Z');
  return [...(conditions ?? []).filter((x) => x.type !== c.type), { ...c, lastTransitionTime }];
}
