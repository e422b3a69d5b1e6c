/**
 * A pod as the runtime sees it: its sandboxes and containers, found by the io.kubernetes.pod.uid
 * label (so an agent that restarted finds what its predecessor made), with the helpers that pick
 * the current instance of each container name.
 */
import {
  ANNOTATION_RESTART_COUNT,
  LABEL_CONTAINER_NAME,
  LABEL_POD_UID,
  type ContainerStatus,
  type PodSandboxStatus,
  type RuntimeService,
} from '../runtime/runtime';

export interface RuntimePod {
  /** Newest first. */
  sandboxes: PodSandboxStatus[];
  /** Newest first. */
  containers: ContainerStatus[];
}

/** The runtime's view of the pod `uid`. */
export async function runtimePodOf(runtime: RuntimeService, uid: string): Promise<RuntimePod> {
  const selector = { [LABEL_POD_UID]: uid };
  const [sandboxes, containers] = await Promise.all([runtime.listPodSandboxes({ labelSelector: selector }), runtime.listContainers({ labelSelector: selector })]);
  sandboxes.sort((a, b) => b.createdAt - a.createdAt || b.metadata.attempt - a.metadata.attempt);
  containers.sort((a, b) => b.createdAt - a.createdAt || b.metadata.attempt - a.metadata.attempt);
  return { sandboxes, containers };
}

/** The ready sandbox the pod runs in (the newest), if any. */
export function readySandbox(rp: RuntimePod): PodSandboxStatus | undefined {
  const s = rp.sandboxes[0];
  return s && s.state === 'ready' ? s : undefined;
}

/** The instances of container `name` in the sandbox `sandboxId`, newest first. */
export function instancesOf(rp: RuntimePod, name: string, sandboxId?: string): ContainerStatus[] {
  return rp.containers.filter((c) => (c.labels[LABEL_CONTAINER_NAME] ?? c.metadata.name) === name && (!sandboxId || c.podSandboxId === sandboxId));
}

/** The restart count an instance was created with (its annotation). */
export function restartCountOf(c: ContainerStatus | undefined): number {
  const n = Number(c?.annotations[ANNOTATION_RESTART_COUNT] ?? 0);
  return Number.isInteger(n) && n >= 0 ? n : 0;
}
