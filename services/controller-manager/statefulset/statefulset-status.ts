/**
 * A StatefulSet's status (Kubernetes' computeReplicaStatus and completeRollingUpdate): pod
 * counts by readiness, availability and revision, the current and update revisions, and
 * collisionCount — what `kubectl get sts` and `kubectl rollout status sts/x` read.
 */
import type { StatefulSet } from '../../../lib/api/types/apps';
import type { Pod } from '../../../lib/api/types/core';
import { isPodReady, msUntilAvailable } from '../replicaset/pod-readiness';
import { isTerminating, type StatefulView } from './statefulset-plan';
import { podRevision } from './stateful-pod';

/** apps/v1 StatefulSetStatus (the fields the controller owns). */
export interface StatefulSetStatus {
  observedGeneration?: number;
  replicas: number;
  readyReplicas: number;
  currentReplicas: number;
  updatedReplicas: number;
  availableReplicas: number;
  currentRevision: string;
  updateRevision: string;
  collisionCount: number;
  [field: string]: unknown;
}

/** The status after a sync over `view`, and when a Ready pod becomes available (to look again then). */
export function calculateStatefulStatus(view: StatefulView, collisionCount: number): { status: StatefulSetStatus; nextAvailableInMs?: number } {
  const set: StatefulSet = view.set;
  const minReady = set.spec?.minReadySeconds ?? 0;
  const s: StatefulSetStatus = {
    ...(set.metadata.generation !== undefined ? { observedGeneration: set.metadata.generation } : {}),
    replicas: 0, readyReplicas: 0, currentReplicas: 0, updatedReplicas: 0, availableReplicas: 0,
    currentRevision: view.currentRevision, updateRevision: view.updateRevision, collisionCount,
  };
  let nextAvailableInMs: number | undefined;
  for (const pod of view.pods as Pod[]) {
    s.replicas++;
    if (pod.status?.phase === 'Running' && isPodReady(pod)) {
      s.readyReplicas++;
      const wait = msUntilAvailable(pod, minReady, view.nowMs);
      if (wait === 0) s.availableReplicas++;
      else if (wait !== undefined) nextAvailableInMs = Math.min(nextAvailableInMs ?? wait, wait);
    }
    if (isTerminating(pod)) continue;
    const rev = podRevision(pod);
    if (rev === view.currentRevision) s.currentReplicas++;
    if (rev === view.updateRevision) s.updatedReplicas++;
  }
  // A finished RollingUpdate makes the update revision current.
  if (set.spec?.updateStrategy?.type !== 'OnDelete' && s.updatedReplicas === s.replicas && s.readyReplicas === s.replicas) {
    s.currentReplicas = s.updatedReplicas;
    s.currentRevision = s.updateRevision;
  }
  return { status: s, ...(nextAvailableInMs !== undefined ? { nextAvailableInMs } : {}) };
}

/** Whether writing `next` would change the stored status (an absent count is 0, an absent revision ""). */
export function statefulStatusDiffers(prev: StatefulSet['status'], next: StatefulSetStatus): boolean {
  const p = (prev ?? {}) as Record<string, unknown>;
  return Object.entries(next).some(([k, v]) => (p[k] ?? (typeof v === 'string' ? '' : 0)) !== v);
}
