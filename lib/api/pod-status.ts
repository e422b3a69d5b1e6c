/** Readings of a pod's status that controllers and the apiserver share. */
import type { KubeObject } from './object';

type Condition = { type?: string; status?: string; lastTransitionTime?: string };

/** The pod's condition of `type`, if it reports one. */
export function podCondition(pod: KubeObject, type: string): Condition | undefined {
  const conditions = (pod.status as { conditions?: unknown } | undefined)?.conditions;
  return Array.isArray(conditions) ? (conditions as (Condition | null)[]).find((c) => c?.type === type) ?? undefined : undefined;
}

/** True when the pod's Ready condition is True. */
export function isPodReady(pod: KubeObject): boolean {
  return podCondition(pod, 'Ready')?.status === 'True';
}
