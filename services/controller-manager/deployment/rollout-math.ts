/**
 * The arithmetic of a rollout (Kubernetes' deployment util and rolling/sync logic), as pure
 * functions that return the sizes to set; the controller applies them through the API.
 *
 * - maxSurge rounds a percentage up, maxUnavailable rounds it down; when both come out 0,
 *   maxUnavailable becomes 1 so a rollout can always move (ResolveFenceposts).
 * - A rolling update never has more than replicas + maxSurge pods (spec.replicas summed over
 *   every ReplicaSet) and scales old sets down only while replicas − maxUnavailable stay available.
 * - When the Deployment is resized mid-rollout, the difference is spread over the active sets in
 *   proportion to their size (max-replicas annotation), leftovers to the largest.
 */
import { resolveIntOrPercent } from '../../../lib/api/int-or-string';
import type { Deployment, ReplicaSet } from '../../../lib/api/types';
import { MAX_REPLICAS_ANNOTATION, replicaSetStatus } from './deployment-types';
import { activeReplicaSets, availableReplicaCount, byCreation, bySizeNewer, bySizeOlder, replicaCount, specReplicas } from './replica-sets';

/** Default maxSurge and maxUnavailable of a RollingUpdate strategy. */
export const DEFAULT_MAX_SURGE = '25%';
export const DEFAULT_MAX_UNAVAILABLE = '25%';

/** spec.replicas of a Deployment (default 1). */
export function desiredReplicas(d: Deployment): number {
  return d.spec?.replicas ?? 1;
}

/** Whether the strategy is RollingUpdate (the default) rather than Recreate. */
export function isRollingUpdate(d: Deployment): boolean {
  return (d.spec?.strategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
}

/**
 * maxSurge and maxUnavailable resolved against `desired` (ResolveFenceposts): surge rounds
 * up, unavailable rounds down; both 0 makes unavailable 1.
 */
export function resolveFenceposts(maxSurge: string | number | undefined, maxUnavailable: string | number | undefined, desired: number): { surge: number; unavailable: number } {
  const surge = resolveIntOrPercent(maxSurge ?? DEFAULT_MAX_SURGE, desired, true);
  let unavailable = resolveIntOrPercent(maxUnavailable ?? DEFAULT_MAX_UNAVAILABLE, desired, false);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { surge, unavailable };
}

/** The Deployment's maxSurge in pods (0 for Recreate). */
export function maxSurge(d: Deployment): number {
  if (!isRollingUpdate(d)) return 0;
  const ru = d.spec?.strategy?.rollingUpdate;
  return resolveFenceposts(ru?.maxSurge, ru?.maxUnavailable, desiredReplicas(d)).surge;
}

/** The Deployment's maxUnavailable in pods, at most replicas (0 for Recreate or 0 replicas). */
export function maxUnavailable(d: Deployment): number {
  const desired = desiredReplicas(d);
  if (!isRollingUpdate(d) || desired === 0) return 0;
  const ru = d.spec?.strategy?.rollingUpdate;
  return Math.min(resolveFenceposts(ru?.maxSurge, ru?.maxUnavailable, desired).unavailable, desired);
}

/**
 * The size the new ReplicaSet may grow to now (NewRSNewReplicas): for RollingUpdate as far as
 * replicas + maxSurge total pods allow, never past replicas; for Recreate straight to replicas.
 */
export function newRSNewReplicas(d: Deployment, allRSs: readonly ReplicaSet[], newRS: ReplicaSet): number {
  const desired = desiredReplicas(d);
  if (!isRollingUpdate(d)) return desired;
  const current = replicaCount(allRSs);
  const maxTotal = desired + maxSurge(d);
  if (current >= maxTotal) return specReplicas(newRS);
  const up = Math.min(maxTotal - current, desired - specReplicas(newRS));
  return specReplicas(newRS) + up;
}

/** A planned size per ReplicaSet name. */
export type SizePlan = Map<string, number>;

/**
 * Old sets' pods that are not available and may go at once (cleanupUnhealthyReplicas): oldest
 * set first, at most `maxCleanup` pods in all.
 */
export function planUnhealthyCleanup(oldRSs: readonly ReplicaSet[], maxCleanup: number): SizePlan {
  const plan: SizePlan = new Map();
  let done = 0;
  for (const rs of [...oldRSs].sort(byCreation)) {
    if (done >= maxCleanup) break;
    const size = specReplicas(rs);
    const available = replicaSetStatus(rs).availableReplicas ?? 0;
    if (size === 0 || size === available) continue;
    const down = Math.min(maxCleanup - done, size - available);
    plan.set(rs.metadata.name ?? '', size - down);
    done += down;
  }
  return plan;
}

/**
 * How far old sets may be scaled down in a rolling update (scaleDownOldReplicaSetsForRollingUpdate):
 * available pods above replicas − maxUnavailable, taken from the oldest set first.
 */
export function planRollingScaleDown(d: Deployment, allRSs: readonly ReplicaSet[], oldRSs: readonly ReplicaSet[]): SizePlan {
  const plan: SizePlan = new Map();
  const minAvailable = desiredReplicas(d) - maxUnavailable(d);
  const available = availableReplicaCount(allRSs);
  if (available <= minAvailable) return plan;
  const total = available - minAvailable;
  let done = 0;
  for (const rs of [...oldRSs].sort(byCreation)) {
    if (done >= total) break;
    const size = specReplicas(rs);
    if (size === 0) continue;
    const down = Math.min(size, total - done);
    plan.set(rs.metadata.name ?? '', size - down);
    done += down;
  }
  return plan;
}

/**
 * How many old pods may go in this step (reconcileOldReplicaSets' maxScaledDown): all pods
 * minus the minimum available minus the new set's pods not yet available. ≤ 0: none.
 */
export function maxOldScaleDown(d: Deployment, allRSs: readonly ReplicaSet[], newRS: ReplicaSet): number {
  const minAvailable = desiredReplicas(d) - maxUnavailable(d);
  const newUnavailable = specReplicas(newRS) - (replicaSetStatus(newRS).availableReplicas ?? 0);
  return replicaCount(allRSs) - minAvailable - newUnavailable;
}

/** Go's math.Round: halves away from zero. */
function roundHalfAway(x: number): number {
  return Math.sign(x) * Math.round(Math.abs(x));
}

/** The max-replicas annotation of a set, if it is a number. */
export function maxReplicasAnnotation(rs: ReplicaSet): number | undefined {
  const v = rs.metadata.annotations?.[MAX_REPLICAS_ANNOTATION];
  const n = v === undefined ? NaN : Number(v);
  return Number.isInteger(n) ? n : undefined;
}

/** The share of a resize one set takes (getReplicaSetFraction). */
function fraction(rs: ReplicaSet, d: Deployment, statusReplicas: number): number {
  const desired = desiredReplicas(d);
  if (desired === 0) return -specReplicas(rs);
  const maxNow = desired + maxSurge(d);
  // Without the annotation fall back to the Deployment's pod count: inexact, but the min/max
  // clamps of proportion() keep the total within bounds.
  const before = maxReplicasAnnotation(rs) ?? statusReplicas;
  if (before === 0) return 0;
  return roundHalfAway((specReplicas(rs) * maxNow) / before) - specReplicas(rs);
}

/** The part of `toAdd` one set gets, clamped to what is still to add (getProportion). */
function proportion(rs: ReplicaSet, d: Deployment, toAdd: number, added: number, statusReplicas: number): number {
  if (specReplicas(rs) === 0 || toAdd === 0 || toAdd === added) return 0;
  const share = fraction(rs, d, statusReplicas);
  const allowed = toAdd - added;
  return toAdd > 0 ? Math.min(share, allowed) : Math.max(share, allowed);
}

/**
 * Proportional scaling of the active sets after a resize mid-rollout (the RollingUpdate branch
 * of Kubernetes' `scale`): the total may be replicas + maxSurge (0 when replicas is 0); the
 * difference is shared in proportion to each set's size before the resize, the largest set
 * (newest on ties when growing, oldest when shrinking) taking the rounding leftover.
 * `statusReplicas` is the Deployment's status.replicas (the fallback base). Returns the new
 * size of every active set and whether this is a scale "up" or "down".
 */
export function planProportionalScale(d: Deployment, sets: readonly (ReplicaSet | undefined)[], statusReplicas: number): { plan: SizePlan; operation: 'up' | 'down' } {
  const active = activeReplicaSets(sets);
  const desired = desiredReplicas(d);
  const allowed = desired > 0 ? desired + maxSurge(d) : 0;
  const toAdd = allowed - replicaCount(active);
  const operation = toAdd > 0 ? 'up' : 'down';
  if (toAdd > 0) active.sort(bySizeNewer);
  else if (toAdd < 0) active.sort(bySizeOlder);
  const plan: SizePlan = new Map();
  let added = 0;
  for (const rs of active) {
    const share = toAdd !== 0 ? proportion(rs, d, toAdd, added, statusReplicas) : 0;
    plan.set(rs.metadata.name ?? '', specReplicas(rs) + share);
    added += share;
  }
  const leftover = toAdd - added;
  if (leftover !== 0 && active.length > 0) {
    const first = active[0].metadata.name ?? '';
    plan.set(first, Math.max(0, (plan.get(first) ?? 0) + leftover));
  }
  return { plan, operation };
}
