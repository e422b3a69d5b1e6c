/** policy/v1 objects: PodDisruptionBudget. */
import type { IntOrString } from '../int-or-string';
import type { LabelSelector } from '../label-selector';
import type { KubeObject } from '../object';

/** policy/v1 PodDisruptionBudgetSpec. */
export type PodDisruptionBudgetSpec = {
  minAvailable?: IntOrString;
  maxUnavailable?: IntOrString;
  selector?: LabelSelector | null;
  unhealthyPodEvictionPolicy?: string;
};

/** policy/v1 PodDisruptionBudgetStatus (kept by the disruption controller; eviction decrements it). */
export type PodDisruptionBudgetStatus = {
  observedGeneration?: number;
  /** Pod name → RFC 3339 time of an eviction the controller has not yet seen take effect. */
  disruptedPods?: Record<string, string>;
  disruptionsAllowed?: number;
  currentHealthy?: number;
  desiredHealthy?: number;
  expectedPods?: number;
  conditions?: { type?: string; status?: string; reason?: string; message?: string; lastTransitionTime?: string; observedGeneration?: number }[];
};

/** policy/v1 PodDisruptionBudget. */
export type PodDisruptionBudget = KubeObject & { spec?: PodDisruptionBudgetSpec; status?: PodDisruptionBudgetStatus };
