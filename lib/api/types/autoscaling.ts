/**
 * The typed objects of the autoscaling/v2 kinds: HorizontalPodAutoscaler.
 * Kubernetes' JSON field names; only the fields Bosun reads are named, the rest stay open.
 * Shared by the apiserver (its strategies) and every client.
 */
import type { KubeObject } from '../object';

/** A metric target: what value of the metric the autoscaler aims at. */
export type MetricTarget = { type?: string; value?: string; averageValue?: string; averageUtilization?: number };
/** One autoscaling/v2 MetricSpec (sources other than Resource are kept as given). */
export type MetricSpec = {
  type?: string;
  resource?: { name?: string; target?: MetricTarget };
  containerResource?: { name?: string; container?: string; target?: MetricTarget };
  pods?: unknown;
  object?: unknown;
  external?: unknown;
};
type ScalingPolicy = { type?: string; value?: number; periodSeconds?: number };
type ScalingRules = { stabilizationWindowSeconds?: number; selectPolicy?: string; policies?: ScalingPolicy[] };
/** autoscaling/v2 HorizontalPodAutoscalerSpec. */
export type HorizontalPodAutoscalerSpec = {
  scaleTargetRef?: { apiVersion?: string; kind?: string; name?: string };
  minReplicas?: number;
  maxReplicas?: number;
  metrics?: MetricSpec[];
  behavior?: { scaleUp?: ScalingRules; scaleDown?: ScalingRules };
  [field: string]: unknown;
};
/** autoscaling/v2 HorizontalPodAutoscaler. */
export type HorizontalPodAutoscaler = KubeObject & { spec?: HorizontalPodAutoscalerSpec };
