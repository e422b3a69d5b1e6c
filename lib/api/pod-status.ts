/** Readings of a pod's status that controllers and the apiserver share. */
import type { KubeObject } from './object';

type Condition = { type?: string; status?: string; lastTransitionTime?: string };

/** The pod's condition of `type`, if it reports one. */
export function podCondition(pod: KubeObject, type: string): Condition | undefined {
  const conditions = (pod.status as { conditions?: Condition[] } | undefined)?.conditions ?? [];
  return conditions.find((c) => c.type === type);
}

/** True when the pod's Ready condition is True. */
export function isPodReady(pod: KubeObject): boolean {
  return podCondition(pod, 'Ready')?.status === 'True';
}
