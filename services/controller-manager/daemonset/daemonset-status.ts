/**
 * A DaemonSet's status (Kubernetes' updateDaemonSetStatus): per node that should run the daemon,
 * whether a pod is there, Ready, available and up to date; pods on nodes that should not run it
 * are misscheduled. What `kubectl get ds` and `kubectl rollout status ds/x` read.
 */
import type { DaemonSet } from '../../../lib/api/types/apps';
import { isPodReady, msUntilAvailable } from '../replicaset/pod-readiness';
import { isPodUpdated } from './daemon-pod';
import { podsByNode, type DaemonView } from './daemon-plan';

/** apps/v1 DaemonSetStatus (the fields the controller owns). */
export interface DaemonSetStatus {
  currentNumberScheduled: number;
  numberMisscheduled: number;
  desiredNumberScheduled: number;
  numberReady: number;
  observedGeneration?: number;
  updatedNumberScheduled: number;
  numberAvailable: number;
  numberUnavailable: number;
  collisionCount?: number;
  [field: string]: unknown;
}

/** The status, and when a Ready pod becomes available (to look again then). */
export function calculateDaemonStatus(view: DaemonView, collisionCount = 0): { status: DaemonSetStatus; nextAvailableInMs?: number } {
  const byNode = podsByNode(view.pods);
  const minReady = view.ds.spec?.minReadySeconds ?? 0;
  const s: DaemonSetStatus = {
    currentNumberScheduled: 0, numberMisscheduled: 0, desiredNumberScheduled: 0, numberReady: 0,
    updatedNumberScheduled: 0, numberAvailable: 0, numberUnavailable: 0,
    ...(view.ds.metadata.generation !== undefined ? { observedGeneration: view.ds.metadata.generation } : {}),
    ...(collisionCount > 0 ? { collisionCount } : {}),
  };
  let nextAvailableInMs: number | undefined;
  for (const node of view.nodes) {
    const pods = byNode.get(node.metadata.name ?? '') ?? [];
    if (!view.placement(node).shouldRun) {
      if (pods.length > 0) s.numberMisscheduled++;
      continue;
    }
    s.desiredNumberScheduled++;
    // Look again when any pod here becomes available: with surge a new pod beside the old one
    // must be seen available for the old one to go.
    for (const p of pods.slice(1)) {
      const wait = isPodReady(p) ? msUntilAvailable(p, minReady, view.nowMs) : undefined;
      if (wait) nextAvailableInMs = Math.min(nextAvailableInMs ?? wait, wait);
    }
    const pod = pods[0];
    if (!pod) continue;
    s.currentNumberScheduled++;
    if (isPodUpdated(pod, view.hash)) s.updatedNumberScheduled++;
    if (!isPodReady(pod)) continue;
    s.numberReady++;
    const wait = msUntilAvailable(pod, minReady, view.nowMs);
    if (wait === 0) s.numberAvailable++;
    else if (wait !== undefined) nextAvailableInMs = Math.min(nextAvailableInMs ?? wait, wait);
  }
  s.numberUnavailable = Math.max(0, s.desiredNumberScheduled - s.numberAvailable);
  return { status: s, ...(nextAvailableInMs !== undefined ? { nextAvailableInMs } : {}) };
}

const COUNTS = ['currentNumberScheduled', 'numberMisscheduled', 'desiredNumberScheduled', 'numberReady', 'observedGeneration', 'updatedNumberScheduled', 'numberAvailable', 'numberUnavailable', 'collisionCount'] as const;

/** Whether writing `next` would change the stored status. */
export function daemonStatusDiffers(prev: DaemonSet['status'], next: DaemonSetStatus): boolean {
  const p = (prev ?? {}) as Record<string, unknown>;
  return COUNTS.some((k) => (p[k] ?? 0) !== (next[k] ?? 0));
}
