/**
 * The typed objects of the scheduling.k8s.io/v1 kinds: PriorityClass.
 * Kubernetes' JSON field names; only the fields Bosun reads are named, the rest stay open.
 * Shared by the apiserver (its strategies) and every client.
 */
import type { KubeObject } from '../object';

/** scheduling.k8s.io/v1 PriorityClass: cluster-scoped, fields at the top level (no spec). */
export type PriorityClass = KubeObject & {
  value?: number;
  globalDefault?: boolean;
  description?: string;
  preemptionPolicy?: string;
};
