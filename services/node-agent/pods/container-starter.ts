/**
 * Starting one container of a pod the way the kubelet does: crash back-off first (CrashLoopBackOff
 * and a BackOff event while it lasts), then the image by imagePullPolicy (Pulling/Pulled events;
 * ErrImagePull, then ImagePullBackOff while its back-off lasts; ErrImageNeverPull), the runtime
 * config from PodSetup (CreateContainerConfigError), create (CreateContainerError) and start
 * (RunContainerError) with Created/Started events, then the postStart hook (a failure kills the
 * container: FailedPostStartHook). The outcome tells the worker when to look again.
 */
import { EVENT_TYPE_NORMAL, EVENT_TYPE_WARNING } from '../../../lib/api/core-event';
import type { Container, Pod } from '../../../lib/api/types';
import { ContainerConfigError } from '../pod-setup/pod-setup';
import { runAction, type HandlerAction } from '../probes/handler-actions';
import { ANNOTATION_CONTAINER_HASH, ANNOTATION_RESTART_COUNT, LABEL_CONTAINER_NAME, LABEL_POD_NAME, LABEL_POD_NAMESPACE, LABEL_POD_UID, type ContainerStatus, type PodSandboxConfig, type PodSandboxStatus } from '../runtime/runtime';
import { hashContainer as containerHash } from '../pod-setup/container-hash';
import { BACKOFF_RESET_AFTER_MS } from './crash-backoff';
import { containerRef, podDescription, type PodSyncDeps, type PodWorkState } from './pod-sync-context';
import { restartCountOf } from './runtime-pod';

/** How soon a container that could not be set up is tried again, ms. */
export const CONTAINER_RETRY_MS = 2_000;
/** The kubelet's default grace for a container killed by a failed postStart hook, seconds. */
const POST_START_KILL_GRACE_SECONDS = 30;
const MS_PER_SECOND = 1000;

/** Whether the container started, and otherwise when to try again. */
export interface StartOutcome {
  started: boolean;
  retryAfterMs?: number;
}

/** The pull policy of a container (Kubernetes' default: Always for `:latest` or no tag, else IfNotPresent). */
export function pullPolicyOf(c: Container): string {
  if (c.imagePullPolicy) return c.imagePullPolicy;
  const image = c.image ?? '';
  const lastPart = image.slice(image.lastIndexOf('/') + 1);
  const tagged = lastPart.includes(':') || image.includes('@');
  return !tagged || image.endsWith(':latest') ? 'Always' : 'IfNotPresent';
}

export class ContainerStarter {
  constructor(private readonly deps: PodSyncDeps) {}

  /**
   * Starts a new instance of `container` in `sandbox`; `instances` are its earlier instances
   * (newest first; they give the restart count and the back-off).
   */
  async start(pod: Pod, container: Container, instances: readonly ContainerStatus[], sandbox: PodSandboxStatus, sandboxConfig: PodSandboxConfig, state: PodWorkState): Promise<StartOutcome> {
    const { deps } = this;
    const name = container.name ?? '';
    const ref = containerRef(pod, container);
    const last = instances[0];
    const key = `${state.uid}/${name}`;
    if (last && last.state === 'exited') {
      if (last.finishedAt - last.startedAt >= BACKOFF_RESET_AFTER_MS) deps.backoff.reset(key);
      const remaining = deps.backoff.remainingMs(key, last.finishedAt);
      if (remaining > 0) {
        const delay = deps.backoff.delayMs(key) / MS_PER_SECOND;
        state.waiting.set(name, { reason: 'CrashLoopBackOff', message: `back-off ${delay}s restarting failed container=${name} pod=${podDescription(pod)}` });
        deps.events.event(ref, EVENT_TYPE_WARNING, 'BackOff', `Back-off restarting failed container ${name} in pod ${podDescription(pod)}`);
        return { started: false, retryAfterMs: remaining };
      }
    }
    const pulled = await this.ensureImage(pod, container, state);
    if (!pulled.started) return pulled;

    const restartCount = last ? restartCountOf(last) + 1 : 0;
    let id: string;
    try {
      const config = await deps.setup.containerConfig(pod, container, { podIP: sandbox.network.ip || deps.hostIP, podIPs: [sandbox.network.ip || deps.hostIP], hostIP: deps.hostIP, attempt: restartCount });
      config.metadata = { name, attempt: restartCount };
      config.labels = { ...config.labels, [LABEL_POD_UID]: state.uid, [LABEL_POD_NAME]: pod.metadata.name ?? '', [LABEL_POD_NAMESPACE]: pod.metadata.namespace ?? '', [LABEL_CONTAINER_NAME]: name };
      config.annotations = { ...config.annotations, [ANNOTATION_CONTAINER_HASH]: containerHash(container), [ANNOTATION_RESTART_COUNT]: String(restartCount) };
      id = await deps.runtime.createContainer(sandbox.id, config, sandboxConfig);
    } catch (err) {
      const reason = err instanceof ContainerConfigError ? err.reason : 'CreateContainerError';
      return this.failed(pod, container, state, reason, (err as Error).message, `Error: ${(err as Error).message}`);
    }
    deps.events.event(ref, EVENT_TYPE_NORMAL, 'Created', `Created container ${name}`);
    if (last?.state === 'exited') deps.backoff.next(key);
    try {
      await deps.runtime.startContainer(id);
    } catch (err) {
      const message = `failed to start container "${name}": ${(err as Error).message}`;
      return this.failed(pod, container, state, 'RunContainerError', message, `Error: ${message}`);
    }
    state.waiting.delete(name);
    deps.events.event(ref, EVENT_TYPE_NORMAL, 'Started', `Started container ${name}`);
    await this.postStart(pod, container, id, sandbox);
    return { started: true };
  }

  private failed(pod: Pod, container: Container, state: PodWorkState, reason: string, message: string, eventMessage: string): StartOutcome {
    state.waiting.set(container.name ?? '', { reason, message });
    this.deps.events.event(containerRef(pod, container), EVENT_TYPE_WARNING, 'Failed', eventMessage);
    return { started: false, retryAfterMs: CONTAINER_RETRY_MS };
  }

  /** Makes the container's image present per its pull policy. */
  private async ensureImage(pod: Pod, container: Container, state: PodWorkState): Promise<StartOutcome> {
    const { deps } = this;
    const image = container.image ?? '';
    const name = container.name ?? '';
    const ref = containerRef(pod, container);
    const policy = pullPolicyOf(container);
    const present = (await deps.runtime.imageStatus(image).catch(() => null)) !== null;
    if (policy === 'Never' && !present) {
      return this.failed(pod, container, state, 'ErrImageNeverPull', `Container image "${image}" is not present with pull policy of Never`, `Container image "${image}" is not present with pull policy of Never`);
    }
    if (present && policy !== 'Always') {
      deps.events.event(ref, EVENT_TYPE_NORMAL, 'Pulled', `Container image "${image}" already present on machine`);
      return { started: true };
    }
    const pullKey = `${state.uid}/pull/${image}`;
    const remaining = deps.backoff.remainingMs(pullKey, state.pullFailedAt.get(image) ?? 0);
    if (remaining > 0) {
      state.waiting.set(name, { reason: 'ImagePullBackOff', message: `Back-off pulling image "${image}"` });
      deps.events.event(ref, EVENT_TYPE_NORMAL, 'BackOff', `Back-off pulling image "${image}"`);
      return { started: false, retryAfterMs: remaining };
    }
    deps.events.event(ref, EVENT_TYPE_NORMAL, 'Pulling', `Pulling image "${image}"`);
    const t0 = deps.clock.now();
    try {
      await deps.runtime.pullImage(image);
    } catch (err) {
      deps.backoff.next(pullKey);
      state.pullFailedAt.set(image, deps.clock.now());
      const message = (err as Error).message;
      state.waiting.set(name, { reason: 'ErrImagePull', message });
      deps.events.event(ref, EVENT_TYPE_WARNING, 'Failed', `Failed to pull image "${image}": ${message}`);
      deps.events.event(ref, EVENT_TYPE_WARNING, 'Failed', 'Error: ErrImagePull');
      return { started: false, retryAfterMs: deps.backoff.remainingMs(pullKey, deps.clock.now()) };
    }
    deps.backoff.reset(pullKey);
    state.pullFailedAt.delete(image);
    deps.events.event(ref, EVENT_TYPE_NORMAL, 'Pulled', `Successfully pulled image "${image}" in ${deps.clock.now() - t0}ms`);
    return { started: true };
  }

  /** Runs the postStart hook; a failure kills the container (it is then restarted by its policy). */
  private async postStart(pod: Pod, container: Container, id: string, sandbox: PodSandboxStatus): Promise<void> {
    const hook = (container.lifecycle as { postStart?: HandlerAction } | undefined)?.postStart;
    if (!hook) return;
    const grace = pod.spec?.terminationGracePeriodSeconds ?? POST_START_KILL_GRACE_SECONDS;
    const r = await runAction(hook, { runtime: this.deps.runtime, containerId: id, container, podIP: sandbox.network.ip }, grace * MS_PER_SECOND);
    if (r.success) return;
    const ref = containerRef(pod, container);
    this.deps.events.event(ref, EVENT_TYPE_WARNING, 'FailedPostStartHook', r.message);
    this.deps.events.event(ref, EVENT_TYPE_NORMAL, 'Killing', `FailedPostStartHook`);
    await this.deps.runtime.stopContainer(id, grace).catch(() => undefined);
  }
}
