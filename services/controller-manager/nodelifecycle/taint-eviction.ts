/**
 * When a pod must leave a node with NoExecute taints (Kubernetes' taint eviction manager): a pod
 * that does not tolerate one of them goes at once; otherwise the tolerations that match any of
 * the taints decide — the shortest tolerationSeconds among them (≤ 0: at once), counted from
 * when the earliest of the taints was added; none with a limit: the pod stays.
 */
import type { Pod, Taint, Toleration } from '../../../lib/api/types/core';
import { toleratesTaint } from '../../../lib/api/tolerations';
import { NO_EXECUTE } from './node-taints';

/** 'never', or the time (ms since the epoch) the pod is to be evicted at. */
export type EvictionTime = 'never' | number;


export function evictionTime(pod: Pod, taints: readonly Taint[]): EvictionTime {
  const noExecute = taints.filter((t) => t.effect === NO_EXECUTE);
  if (noExecute.length === 0) return 'never';
  const tolerations: Toleration[] = pod.spec?.tolerations ?? [];
  if (noExecute.some((taint) => !tolerations.some((t) => toleratesTaint(t, taint)))) return 0;
  const used = tolerations.filter((t) => noExecute.some((taint) => toleratesTaint(t, taint)));
  const limits = used.filter((t) => t.tolerationSeconds !== undefined && t.tolerationSeconds !== null).map((t) => Number(t.tolerationSeconds));
  if (limits.length === 0) return 'never';
  const seconds = Math.min(...limits);
  if (seconds <= 0) return 0;
  const added = noExecute.map((t) => (t.timeAdded ? Date.parse(t.timeAdded) : NaN)).filter((ms) => !Number.isNaN(ms));
  const since = added.length ? Math.min(...added) : 0;
  return since + seconds * 1000;
}
