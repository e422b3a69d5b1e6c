/**
 * Kubernetes' replica calculation for a Resource metric (the HPA's ReplicaCalculator), pure:
 * desired = ceil(usageRatio × pods with metrics), where usageRatio is the pods' utilization of
 * their requests over the target utilization (Utilization) or their average usage over the
 * target average (AverageValue). Within the tolerance (10 %) of 1 nothing changes. Pods are
 * sorted as Kubernetes does:
 * - being deleted, or Failed: ignored;
 * - not Ready (cpu only; Kubernetes' unready pods): ignored, then counted as using nothing when
 *   the ratio says scale up — so pods still starting never push the count higher;
 * - without metrics (missing): counted as using their whole request (the target, for
 *   AverageValue) on scale down and nothing on scale up — so gaps never scale the wrong way.
 * If that second look flips the direction or falls within tolerance, the count stays.
 */
import type { Pod } from '../../../lib/api/types/core';
import { parseQuantity } from '../../../lib/api/quantity';

/** Kubernetes' --horizontal-pod-autoscaler-tolerance. */
export const DEFAULT_TOLERANCE = 0.1;

/** The resources an HPA Resource metric can name. */
export type ResourceName = 'cpu' | 'memory';

/** What the target asks: a utilization of requests in percent, or an average per pod (milli-units for cpu, bytes for memory... both in milli-units). */
export type ResourceTarget = { readonly type: 'Utilization'; readonly averageUtilization: number } | { readonly type: 'AverageValue'; readonly averageMilli: number };

/** The result of one calculation. */
export interface ReplicaRecommendation {
  readonly replicas: number;
  /** Average utilization of requests, percent (Utilization targets; rounded down like Kubernetes). */
  readonly utilization?: number;
  /** Average usage per pod with metrics, milli-units. */
  readonly averageMilli: number;
}

/** A failure to compute (becomes ScalingActive=False FailedGetResourceMetric). */
export class MetricComputationError extends Error {
  override readonly name = 'MetricComputationError';
}

/**
 * The replica count for `target` of `resource`, from the `pods` the target selects, their
 * `usage` (milli-units by pod name; absent = missing) and `currentReplicas`.
 */
export function calculateReplicas(args: {
  readonly resource: ResourceName;
  readonly target: ResourceTarget;
  readonly currentReplicas: number;
  readonly pods: readonly Pod[];
  readonly usage: ReadonlyMap<string, number>;
  readonly tolerance?: number;
}): ReplicaRecommendation {
  const { resource, target, currentReplicas, usage } = args;
  const tolerance = args.tolerance ?? DEFAULT_TOLERANCE;
  if (args.pods.length === 0) throw new MetricComputationError('no pods returned by selector while calculating replica count');
  const counted = args.pods.filter((p) => !p.metadata.deletionTimestamp && (p.status as { phase?: string } | undefined)?.phase !== 'Failed');
  const ready: Pod[] = [];
  const unready: Pod[] = [];
  const missing: Pod[] = [];
  for (const pod of counted) {
    const name = pod.metadata.name ?? '';
    if (!usage.has(name)) missing.push(pod);
    else if (resource === 'cpu' && !isPodReady(pod)) unready.push(pod);
    else ready.push(pod);
  }
  if (ready.length === 0) throw new MetricComputationError(`did not receive metrics for targeted pods (pods might be unready)`);
  const requests = new Map<string, number>();
  if (target.type === 'Utilization') for (const pod of counted) requests.set(pod.metadata.name ?? '', podRequestMilli(pod, resource));

  const usageOf = (pods: readonly Pod[]) => pods.reduce((sum, p) => sum + (usage.get(p.metadata.name ?? '') ?? 0), 0);
  const requestOf = (pods: readonly Pod[]) => pods.reduce((sum, p) => sum + (requests.get(p.metadata.name ?? '') ?? 0), 0);
  // ratio of `sumUsage` over what `pods` should use at the target.
  const ratioOf = (sumUsage: number, pods: readonly Pod[]): number =>
    target.type === 'Utilization' ? (sumUsage * 100) / requestOf(pods) / target.averageUtilization : sumUsage / pods.length / target.averageMilli;

  const readyUsage = usageOf(ready);
  const averageMilli = readyUsage / ready.length;
  const utilization = target.type === 'Utilization' ? Math.floor((readyUsage * 100) / requestOf(ready)) : undefined;
  const ratio = ratioOf(readyUsage, ready);
  const result = (replicas: number): ReplicaRecommendation => ({ replicas, averageMilli, ...(utilization !== undefined ? { utilization } : {}) });

  if (unready.length === 0 && missing.length === 0) {
    return result(Math.abs(1 - ratio) <= tolerance ? currentReplicas : Math.ceil(ratio * ready.length));
  }
  if (Math.abs(1 - ratio) <= tolerance) return result(currentReplicas);
  // Second look: fill the gaps in the direction that moves least.
  let filledUsage = readyUsage;
  const filledPods = [...ready, ...missing];
  if (ratio < 1) {
    for (const pod of missing) filledUsage += target.type === 'Utilization' ? (requests.get(pod.metadata.name ?? '') ?? 0) : target.averageMilli;
  } else {
    filledPods.push(...unready); // at zero usage
  }
  const newRatio = ratioOf(filledUsage, filledPods);
  if (Math.abs(1 - newRatio) <= tolerance || (ratio < 1 && newRatio > 1) || (ratio > 1 && newRatio < 1)) return result(currentReplicas);
  const replicas = Math.ceil(newRatio * filledPods.length);
  if ((newRatio < 1 && replicas > currentReplicas) || (newRatio > 1 && replicas < currentReplicas)) return result(currentReplicas);
  return result(replicas);
}

/** True when the pod's Ready condition is True. */
export function isPodReady(pod: Pod): boolean {
  const conditions = (pod.status as { conditions?: { type?: string; status?: string }[] } | undefined)?.conditions ?? [];
  return conditions.some((c) => c.type === 'Ready' && c.status === 'True');
}

/** The sum of the pod's containers' requests of `resource`, milli-units; an error naming the container without one. */
export function podRequestMilli(pod: Pod, resource: ResourceName): number {
  let total = 0;
  for (const c of pod.spec?.containers ?? []) {
    const requests = (c.resources as { requests?: Record<string, string | number> } | undefined)?.requests;
    const value = requests?.[resource];
    if (value === undefined) throw new MetricComputationError(`missing request for ${resource} in container ${c.name ?? ''} of Pod ${pod.metadata.name ?? ''}`);
    total += parseQuantity(String(value)).milliValue();
  }
  return total;
}
