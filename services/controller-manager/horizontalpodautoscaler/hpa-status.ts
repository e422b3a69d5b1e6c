/**
 * The status an HPA sync writes: Kubernetes' conditions (AbleToScale, ScalingActive,
 * ScalingLimited) with their reasons and messages, a condition's lastTransitionTime kept while
 * its status stays, and currentMetrics in autoscaling/v2's shape.
 */
import type { ResourceName } from './replica-calculator';

/** One HPA condition. */
export interface HpaCondition {
  readonly type: 'AbleToScale' | 'ScalingActive' | 'ScalingLimited';
  readonly status: 'True' | 'False';
  readonly reason: string;
  readonly message: string;
  readonly lastTransitionTime?: string;
}

/** `next` with the lastTransitionTime of `previous` conditions whose status did not change. */
export function mergeConditions(previous: readonly HpaCondition[] | undefined, next: readonly HpaCondition[], now: string): HpaCondition[] {
  return next.map((c) => {
    const old = (previous ?? []).find((p) => p.type === c.type);
    return { ...c, lastTransitionTime: old && old.status === c.status && old.lastTransitionTime ? old.lastTransitionTime : now };
  });
}

/** Kubernetes' words for a metric, e.g. "cpu resource utilization (percentage of request)". */
export function metricDescription(resource: ResourceName, utilization: boolean): string {
  return utilization ? `${resource} resource utilization (percentage of request)` : `${resource} resource`;
}

/** The ScalingLimited condition for a limit reason. */
export function limitedCondition(limit: string | undefined): Omit<HpaCondition, 'lastTransitionTime'> {
  switch (limit) {
    case 'TooManyReplicas':
      return { type: 'ScalingLimited', status: 'True', reason: limit, message: 'the desired replica count is more than the maximum replica count' };
    case 'TooFewReplicas':
      return { type: 'ScalingLimited', status: 'True', reason: limit, message: 'the desired replica count is less than the minimum replica count' };
    case 'ScaleUpLimit':
      return { type: 'ScalingLimited', status: 'True', reason: limit, message: 'the desired replica count is increasing faster than the maximum scale rate' };
    case 'ScaleDownLimit':
      return { type: 'ScalingLimited', status: 'True', reason: limit, message: 'the desired replica count is decreasing faster than the maximum scale rate' };
    default:
      return { type: 'ScalingLimited', status: 'False', reason: 'DesiredWithinRange', message: 'the desired count is within the acceptable range' };
  }
}

/** A MetricStatus of a Resource metric. */
export function resourceMetricStatus(resource: ResourceName, averageMilli: number, utilization: number | undefined): Record<string, unknown> {
  const averageValue = resource === 'cpu' ? `${Math.round(averageMilli)}m` : `${Math.round(averageMilli / 1000)}`;
  return { type: 'Resource', resource: { name: resource, current: { averageValue, ...(utilization !== undefined ? { averageUtilization: utilization } : {}) } } };
}
