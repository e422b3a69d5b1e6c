/**
 * Stopping pods and containers: the preStop hook (exec or httpGet, within the grace period) then
 * stopContainer with what is left of the grace period (Killing events), the sandbox stopped and
 * removed, the volumes torn down. Used for deleted pods, pods gone from the API, liveness
 * failures and spec changes.
 */
import { EVENT_TYPE_NORMAL, EVENT_TYPE_WARNING } from '../../../lib/api/core-event';
import type { Container, Pod } from '../../../lib/api/types';
import { runAction, type HandlerAction } from '../probes/handler-actions';
import { LABEL_CONTAINER_NAME, type ContainerStatus } from '../runtime/runtime';
import { containerRef, type PodSyncDeps } from './pod-sync-context';
import type { RuntimePod } from './runtime-pod';

/** Kubernetes' default terminationGracePeriodSeconds. */
export const DEFAULT_GRACE_SECONDS = 30;
/** The grace given to containers of a pod no longer in the API (its spec is unknown), seconds. */
export const ORPHAN_GRACE_SECONDS = 2;
const MS_PER_SECOND = 1000;

/** The grace period of a deletion: the smaller of the deletion's and the spec's. */
export function deletionGraceSeconds(pod: Pod): number {
  const spec = pod.spec?.terminationGracePeriodSeconds ?? DEFAULT_GRACE_SECONDS;
  const asked = pod.metadata.deletionGracePeriodSeconds;
  return asked === undefined || asked === null ? spec : Math.min(asked, spec);
}

export class PodKiller {
  constructor(private readonly deps: PodSyncDeps) {}

  /** Stops one running container: preStop hook, then stop with the remaining grace. `message` is the Killing event's. */
  async killContainer(pod: Pod | undefined, container: Container | undefined, c: ContainerStatus, graceSeconds: number, message: string, podIP: string): Promise<void> {
    if (c.state !== 'running') return;
    const started = this.deps.clock.now();
    const preStop = (container?.lifecycle as { preStop?: HandlerAction } | undefined)?.preStop;
    if (pod && container) this.deps.events.event(containerRef(pod, container), EVENT_TYPE_NORMAL, 'Killing', message);
    if (preStop && container && graceSeconds > 0) {
      const r = await runAction(preStop, { runtime: this.deps.runtime, containerId: c.id, container, podIP }, graceSeconds * MS_PER_SECOND);
      if (!r.success && pod) this.deps.events.event(containerRef(pod, container), EVENT_TYPE_WARNING, 'FailedPreStopHook', `PreStopHook failed: ${r.message}`);
    }
    const left = Math.max(0, graceSeconds - Math.floor((this.deps.clock.now() - started) / MS_PER_SECOND));
    await this.deps.runtime.stopContainer(c.id, left);
  }

  /** Stops every running container of the pod (in parallel) and its sandboxes. */
  async killPod(pod: Pod | undefined, rp: RuntimePod, graceSeconds: number): Promise<void> {
    const specs = [...(pod?.spec?.containers ?? []), ...(pod?.spec?.initContainers ?? [])];
    const podIP = rp.sandboxes[0]?.network.ip ?? '';
    await Promise.all(
      rp.containers
        .filter((c) => c.state === 'running')
        .map((c) => {
          const name = c.labels[LABEL_CONTAINER_NAME] ?? c.metadata.name;
          return this.killContainer(pod, specs.find((s) => s.name === name), c, graceSeconds, `Stopping container ${name}`, podIP);
        }),
    );
    for (const s of rp.sandboxes) if (s.state === 'ready') await this.deps.runtime.stopPodSandbox(s.id);
  }

  /** Removes the pod's sandboxes (with their containers) and volumes. */
  async removePod(uid: string, rp: RuntimePod): Promise<void> {
    for (const s of rp.sandboxes) await this.deps.runtime.removePodSandbox(s.id);
    await this.deps.setup.tearDownVolumes(uid);
    this.deps.probes.removePod(uid);
    this.deps.backoff.forgetPrefix(`${uid}/`);
  }
}
