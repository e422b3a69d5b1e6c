import type { KubeObject } from '../../../../lib/api/object';
import type { HorizontalPodAutoscaler, MetricSpec } from './horizontal-pod-autoscaler';

/**
 * autoscaling/v1 HorizontalPodAutoscaler ⇄ the stored autoscaling/v2 object, as Kubernetes
 * converts them: v1 knows only a CPU utilization target; everything v2 has beyond it (other
 * metrics, behavior, conditions) travels in annotations of the v1 object, so a v1 client that
 * reads, changes and writes back loses none of it.
 */

/** Annotation carrying the v2 metrics a v1 object cannot express (besides the CPU target). */
export const METRICS_ANNOTATION = 'autoscaling.alpha.kubernetes.io/metrics';
/** Annotation carrying spec.behavior. */
export const BEHAVIOR_ANNOTATION = 'autoscaling.alpha.kubernetes.io/behavior';
/** Annotation carrying status.conditions. */
export const CONDITIONS_ANNOTATION = 'autoscaling.alpha.kubernetes.io/conditions';
/** Annotation carrying status.currentMetrics other than CPU. */
export const CURRENT_METRICS_ANNOTATION = 'autoscaling.alpha.kubernetes.io/current-metrics';

/** The autoscaling/v1 shape. */
export interface HorizontalPodAutoscalerV1 extends KubeObject {
  spec?: { scaleTargetRef?: unknown; minReplicas?: number; maxReplicas?: number; targetCPUUtilizationPercentage?: number };
  status?: { observedGeneration?: number; lastScaleTime?: string; currentReplicas?: number; desiredReplicas?: number; currentCPUUtilizationPercentage?: number };
}

type Rec = Record<string, unknown>;
const rec = (v: unknown): Rec | undefined => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Rec) : undefined);

function isCpuUtilization(m: MetricSpec): boolean {
  return m.type === 'Resource' && m.resource?.name === 'cpu' && m.resource.target?.type === 'Utilization';
}

/** The v1 view of a stored v2 object. */
export function hpaToV1(obj: HorizontalPodAutoscaler): HorizontalPodAutoscalerV1 {
  const spec = rec(obj.spec) ?? {};
  const status = rec(obj.status);
  const annotations: Record<string, string> = { ...(obj.metadata.annotations ?? {}) };
  const metrics = Array.isArray(spec.metrics) ? (spec.metrics as MetricSpec[]) : [];
  const cpu = metrics.find(isCpuUtilization);
  const others = metrics.filter((m) => m !== cpu);
  if (others.length > 0) annotations[METRICS_ANNOTATION] = JSON.stringify(others);
  if (spec.behavior !== undefined) annotations[BEHAVIOR_ANNOTATION] = JSON.stringify(spec.behavior);
  const out: HorizontalPodAutoscalerV1 = {
    apiVersion: 'autoscaling/v1',
    kind: 'HorizontalPodAutoscaler',
    metadata: { ...obj.metadata },
    spec: { scaleTargetRef: spec.scaleTargetRef, minReplicas: spec.minReplicas as number | undefined, maxReplicas: spec.maxReplicas as number | undefined },
  };
  const target = cpu?.resource?.target?.averageUtilization;
  if (target !== undefined) out.spec!.targetCPUUtilizationPercentage = target;
  if (status) {
    const current = Array.isArray(status.currentMetrics) ? (status.currentMetrics as Rec[]) : [];
    const currentCpu = current.find((m) => m.type === 'Resource' && rec(m.resource)?.name === 'cpu');
    const otherCurrent = current.filter((m) => m !== currentCpu);
    if (otherCurrent.length > 0) annotations[CURRENT_METRICS_ANNOTATION] = JSON.stringify(otherCurrent);
    if (Array.isArray(status.conditions) && status.conditions.length > 0) annotations[CONDITIONS_ANNOTATION] = JSON.stringify(status.conditions);
    out.status = {
      observedGeneration: status.observedGeneration as number | undefined,
      lastScaleTime: status.lastScaleTime as string | undefined,
      currentReplicas: (status.currentReplicas as number | undefined) ?? 0,
      desiredReplicas: (status.desiredReplicas as number | undefined) ?? 0,
    };
    const util = rec(rec(currentCpu?.resource)?.current)?.averageUtilization;
    if (typeof util === 'number') out.status.currentCPUUtilizationPercentage = util;
  }
  if (Object.keys(annotations).length > 0) out.metadata.annotations = annotations;
  else delete out.metadata.annotations;
  return out;
}

/** Parses a JSON annotation written by hpaToV1; absent or malformed: undefined. */
function fromAnnotation(annotations: Record<string, string>, key: string): unknown {
  const text = annotations[key];
  delete annotations[key];
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The v2 object a v1 body stands for (what is stored). */
export function hpaFromV1(obj: HorizontalPodAutoscalerV1): HorizontalPodAutoscaler {
  const annotations: Record<string, string> = { ...(obj.metadata?.annotations ?? {}) };
  const spec = rec(obj.spec) ?? {};
  const metrics: MetricSpec[] = [];
  const target = spec.targetCPUUtilizationPercentage;
  if (target !== undefined && target !== null) metrics.push({ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: target as number } } });
  const others = fromAnnotation(annotations, METRICS_ANNOTATION);
  if (Array.isArray(others)) metrics.push(...(others as MetricSpec[]));
  const behavior = fromAnnotation(annotations, BEHAVIOR_ANNOTATION);
  const conditions = fromAnnotation(annotations, CONDITIONS_ANNOTATION);
  const currentOthers = fromAnnotation(annotations, CURRENT_METRICS_ANNOTATION);
  const out: HorizontalPodAutoscaler = {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { ...(obj.metadata ?? {}) },
    spec: { scaleTargetRef: spec.scaleTargetRef as never, minReplicas: spec.minReplicas as number | undefined, maxReplicas: spec.maxReplicas as number | undefined },
  };
  if (metrics.length > 0) out.spec!.metrics = metrics;
  if (rec(behavior)) out.spec!.behavior = behavior as never;
  const status = rec(obj.status);
  if (status) {
    const current: Rec[] = [];
    if (typeof status.currentCPUUtilizationPercentage === 'number') {
      current.push({ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: status.currentCPUUtilizationPercentage } } });
    }
    if (Array.isArray(currentOthers)) current.push(...(currentOthers as Rec[]));
    const v2: Rec = { observedGeneration: status.observedGeneration, lastScaleTime: status.lastScaleTime, currentReplicas: status.currentReplicas, desiredReplicas: status.desiredReplicas };
    if (current.length > 0) v2.currentMetrics = current;
    if (Array.isArray(conditions)) v2.conditions = conditions;
    for (const k of Object.keys(v2)) if (v2[k] === undefined) delete v2[k];
    out.status = v2;
  }
  if (Object.keys(annotations).length > 0) out.metadata.annotations = annotations;
  else delete out.metadata.annotations;
  return out;
}
