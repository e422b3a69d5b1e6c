/**
 * A Deployment's status from its ReplicaSets, and its conditions (Kubernetes' calculateStatus,
 * syncRolloutStatus, checkPausedConditions and the DeploymentComplete / Progressing / TimedOut
 * predicates) as pure functions of the Deployment, its sets and the time. These fields are
 * exactly what `kubectl rollout status` reads: observedGeneration, replicas, updatedReplicas,
 * availableReplicas and the Progressing condition's reason.
 */
import type { Deployment, ReplicaSet } from '../../../lib/api/types';
import {
  CONDITION_AVAILABLE, CONDITION_PROGRESSING, CONDITION_REPLICA_FAILURE, deploymentStatus, REASON, replicaSetStatus,
  type DeploymentCondition, type DeploymentStatus,
} from './deployment-types';
import { actualReplicaCount, availableReplicaCount, readyReplicaCount, replicaCount } from './replica-sets';
import { desiredReplicas, maxUnavailable } from './rollout-math';

/** progressDeadlineSeconds meaning "no deadline" (math.MaxInt32). */
export const NO_PROGRESS_DEADLINE = 2 ** 31 - 1;
/** Extra delay after a progress deadline before looking again, in ms (so the deadline has surely passed). */
export const DEADLINE_RECHECK_SLACK_MS = 1000;
const MS_PER_SECOND = 1000;

/** Kubernetes' metav1.Time format: RFC 3339 in whole seconds. */
export function formatTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A condition stamped `now` (update and transition time). */
export function newCondition(type: string, status: DeploymentCondition['status'], reason: string, message: string, nowMs: number): DeploymentCondition {
  const t = formatTime(nowMs);
  return { type, status, lastUpdateTime: t, lastTransitionTime: t, reason, message };
}

/** The condition of `type`, if any. */
export function getCondition(status: DeploymentStatus, type: string): DeploymentCondition | undefined {
  return status.conditions?.find((c) => c.type === type);
}

/**
 * Sets a condition (SetDeploymentCondition): unchanged when one of that type already has the
 * same status and reason; otherwise replaces it, keeping lastTransitionTime when the status is
 * the same.
 */
export function setCondition(status: DeploymentStatus, cond: DeploymentCondition): void {
  const current = getCondition(status, cond.type);
  if (current && current.status === cond.status && current.reason === cond.reason) return;
  const next = { ...cond };
  if (current && current.status === cond.status) next.lastTransitionTime = current.lastTransitionTime;
  status.conditions = [...(status.conditions ?? []).filter((c) => c.type !== cond.type), next];
}

/** Removes the condition of `type`. */
export function removeCondition(status: DeploymentStatus, type: string): void {
  if (!status.conditions) return;
  status.conditions = status.conditions.filter((c) => c.type !== type);
}

/** Whether the Deployment has a progress deadline (spec.progressDeadlineSeconds set and not MaxInt32). */
export function hasProgressDeadline(d: Deployment): boolean {
  const pds = d.spec?.progressDeadlineSeconds;
  return pds !== undefined && pds !== null && pds !== NO_PROGRESS_DEADLINE;
}

/** Every pod updated, there and available, for the current generation (DeploymentComplete). */
export function deploymentComplete(d: Deployment, s: DeploymentStatus): boolean {
  const want = desiredReplicas(d);
  return (s.updatedReplicas ?? 0) === want && (s.replicas ?? 0) === want && (s.availableReplicas ?? 0) === want && (s.observedGeneration ?? 0) >= (d.metadata.generation ?? 0);
}

/** Whether `next` moved on from the stored status (more updated/ready/available, fewer old). */
export function deploymentProgressing(d: Deployment, next: DeploymentStatus): boolean {
  const old = deploymentStatus(d);
  const oldOld = (old.replicas ?? 0) - (old.updatedReplicas ?? 0);
  const newOld = (next.replicas ?? 0) - (next.updatedReplicas ?? 0);
  return (next.updatedReplicas ?? 0) > (old.updatedReplicas ?? 0) || newOld < oldOld
    || (next.readyReplicas ?? 0) > (old.readyReplicas ?? 0) || (next.availableReplicas ?? 0) > (old.availableReplicas ?? 0);
}

/** Whether the progress deadline has passed since the Progressing condition last moved. */
export function deploymentTimedOut(d: Deployment, s: DeploymentStatus, nowMs: number): boolean {
  if (!hasProgressDeadline(d)) return false;
  const cond = getCondition(s, CONDITION_PROGRESSING);
  if (!cond) return false;
  if (cond.reason === REASON.newReplicaSetAvailable) return false;
  if (cond.reason === REASON.progressDeadlineExceeded) return true;
  const from = Date.parse(cond.lastUpdateTime ?? '');
  if (Number.isNaN(from)) return false;
  return from + (d.spec!.progressDeadlineSeconds! * MS_PER_SECOND) < nowMs;
}

/**
 * The status the sets imply (calculateStatus): counts summed over every set, updatedReplicas
 * from the new one, the stored conditions carried over and Available set from whether
 * replicas − maxUnavailable pods are available.
 */
export function calculateStatus(d: Deployment, allRSs: readonly ReplicaSet[], newRS: ReplicaSet | undefined, nowMs: number): DeploymentStatus {
  const old = deploymentStatus(d);
  const available = availableReplicaCount(allRSs);
  const status: DeploymentStatus = {
    observedGeneration: d.metadata.generation ?? 0,
    replicas: actualReplicaCount(allRSs),
    updatedReplicas: actualReplicaCount(newRS ? [newRS] : []),
    readyReplicas: readyReplicaCount(allRSs),
    availableReplicas: available,
    unavailableReplicas: Math.max(0, replicaCount(allRSs) - available),
  };
  if (old.collisionCount !== undefined) status.collisionCount = old.collisionCount;
  for (const c of old.conditions ?? []) setCondition(status, c);
  const minAvailable = desiredReplicas(d) - maxUnavailable(d);
  setCondition(status, available >= minAvailable
    ? newCondition(CONDITION_AVAILABLE, 'True', REASON.minimumReplicasAvailable, 'Deployment has minimum availability.', nowMs)
    : newCondition(CONDITION_AVAILABLE, 'False', REASON.minimumReplicasUnavailable, 'Deployment does not have minimum availability.', nowMs));
  return status;
}

/**
 * The status after a rollout step (syncRolloutStatus): calculateStatus plus the Progressing
 * condition — NewReplicaSetAvailable once complete, ReplicaSetUpdated (lastUpdateTime moved)
 * while progressing, ProgressDeadlineExceeded when stuck past the deadline — and ReplicaFailure
 * mirrored from the sets.
 */
export function rolloutStatus(d: Deployment, allRSs: readonly ReplicaSet[], newRS: ReplicaSet | undefined, nowMs: number): DeploymentStatus {
  const next = calculateStatus(d, allRSs, newRS, nowMs);
  if (!hasProgressDeadline(d)) removeCondition(next, CONDITION_PROGRESSING);
  const current = getCondition(deploymentStatus(d), CONDITION_PROGRESSING);
  const alreadyComplete = next.replicas === next.updatedReplicas && current?.reason === REASON.newReplicaSetAvailable;
  if (hasProgressDeadline(d) && !alreadyComplete) {
    const rsName = newRS?.metadata.name;
    if (deploymentComplete(d, next)) {
      const msg = rsName ? `ReplicaSet "${rsName}" has successfully progressed.` : 'Deployment has successfully progressed.';
      setCondition(next, newCondition(CONDITION_PROGRESSING, 'True', REASON.newReplicaSetAvailable, msg, nowMs));
    } else if (deploymentProgressing(d, next)) {
      const msg = rsName ? `ReplicaSet "${rsName}" is progressing.` : 'Deployment is progressing.';
      const cond = newCondition(CONDITION_PROGRESSING, 'True', REASON.replicaSetUpdated, msg, nowMs);
      // Progress moves lastUpdateTime (the deadline's origin); the transition time stays while True.
      if (current?.status === 'True') cond.lastTransitionTime = current.lastTransitionTime;
      removeCondition(next, CONDITION_PROGRESSING);
      setCondition(next, cond);
    } else if (deploymentTimedOut(d, next, nowMs)) {
      const msg = rsName ? `ReplicaSet "${rsName}" has timed out progressing.` : `Deployment "${d.metadata.name}" has timed out progressing.`;
      setCondition(next, newCondition(CONDITION_PROGRESSING, 'False', REASON.progressDeadlineExceeded, msg, nowMs));
    }
  }
  const failure = allRSs.map((rs) => replicaSetStatus(rs).conditions?.find((c) => c.type === CONDITION_REPLICA_FAILURE)).find((c) => c);
  if (failure) {
    setCondition(next, newCondition(CONDITION_REPLICA_FAILURE, failure.status as DeploymentCondition['status'], failure.reason ?? '', failure.message ?? '', nowMs));
  } else {
    removeCondition(next, CONDITION_REPLICA_FAILURE);
  }
  return next;
}

/**
 * When to look again at a Deployment whose status did not change, so a stuck rollout is
 * marked ProgressDeadlineExceeded on time (requeueStuckDeployment): undefined when there is
 * nothing to wait for.
 */
export function stuckRecheckDelayMs(d: Deployment, next: DeploymentStatus, nowMs: number): number | undefined {
  const cond = getCondition(next, CONDITION_PROGRESSING);
  if (!hasProgressDeadline(d) || !cond) return undefined;
  if (deploymentComplete(d, next) || cond.reason === REASON.progressDeadlineExceeded) return undefined;
  const from = Date.parse(cond.lastUpdateTime ?? '');
  if (Number.isNaN(from)) return undefined;
  const after = from + d.spec!.progressDeadlineSeconds! * MS_PER_SECOND - nowMs;
  return after < MS_PER_SECOND ? 0 : after + DEADLINE_RECHECK_SLACK_MS;
}

/**
 * The Progressing condition for spec.paused (checkPausedConditions): DeploymentPaused when
 * paused, DeploymentResumed once resumed (restarting the deadline clock); left alone when there
 * is no deadline or it has already been exceeded. Returns the new status, or undefined when unchanged.
 */
export function pausedConditionStatus(d: Deployment, nowMs: number): DeploymentStatus | undefined {
  if (!hasProgressDeadline(d)) return undefined;
  const status = structuredClone(deploymentStatus(d));
  const cond = getCondition(status, CONDITION_PROGRESSING);
  if (cond?.reason === REASON.progressDeadlineExceeded) return undefined;
  const pausedCond = cond?.reason === REASON.paused;
  if (d.spec?.paused && !pausedCond) {
    setCondition(status, newCondition(CONDITION_PROGRESSING, 'Unknown', REASON.paused, 'Deployment is paused', nowMs));
    return status;
  }
  if (!d.spec?.paused && pausedCond) {
    setCondition(status, newCondition(CONDITION_PROGRESSING, 'Unknown', REASON.resumed, 'Deployment is resumed', nowMs));
    return status;
  }
  return undefined;
}
