/**
 * Pod predicates the replica controllers count and rank by (Kubernetes' podutil and
 * controller.FilterActivePods): active, ready, available after minReadySeconds.
 */
import { isPodReady, podCondition } from '../../../lib/api/pod-status';
import type { Pod, PodCondition } from '../../../lib/api/types/core';

/** Phases of a pod that will never run again: Kubernetes' ReplicaSet no longer counts such pods. */
const TERMINAL_PHASES: ReadonlySet<string> = new Set(['Succeeded', 'Failed']);

/** Milliseconds in a second (minReadySeconds is in seconds). */
const MS_PER_SECOND = 1000;

/** Whether `pod` counts as a replica: not terminating (no deletionTimestamp) and not Succeeded/Failed. */
export function isPodActive(pod: Pod): boolean {
  return !pod.metadata.deletionTimestamp && !TERMINAL_PHASES.has(pod.status?.phase ?? '');
}

/** The pod's Ready condition, if it has one. */
export function readyCondition(pod: Pod): PodCondition | undefined {
  return podCondition(pod, 'Ready') as PodCondition | undefined;
}

export { isPodReady };

/** When the pod last became Ready, ms since the epoch (undefined: not ready, or no usable time). */
export function readySinceMs(pod: Pod): number | undefined {
  const c = readyCondition(pod);
  if (c?.status !== 'True' || !c.lastTransitionTime) return undefined;
  const t = Date.parse(c.lastTransitionTime);
  return Number.isNaN(t) ? undefined : t;
}

/**
 * How long until a ready pod becomes available (Kubernetes' IsPodAvailable: Ready for at least
 * minReadySeconds), ms: 0 when available now, undefined when not ready. A ready pod without a
 * transition time counts as available, as in Kubernetes.
 */
export function msUntilAvailable(pod: Pod, minReadySeconds: number, nowMs: number): number | undefined {
  if (!isPodReady(pod)) return undefined;
  if (minReadySeconds <= 0) return 0;
  const since = readySinceMs(pod);
  if (since === undefined) return 0;
  return Math.max(0, since + minReadySeconds * MS_PER_SECOND - nowMs);
}

/** The highest restart count of the pod's containers (Kubernetes ranks by the maximum). */
export function maxRestarts(pod: Pod): number {
  const statuses = pod.status?.containerStatuses;
  if (!Array.isArray(statuses)) return 0;
  let max = 0;
  for (const s of statuses as { restartCount?: unknown }[]) {
    if (typeof s?.restartCount === 'number' && s.restartCount > max) max = s.restartCount;
  }
  return max;
}
