/**
 * One level-triggered pass over one pod (the kubelet's SyncPod / SyncTerminatingPod): read the
 * runtime's view of the pod, compare it with the pod's spec, act (sandbox, init containers in
 * order, sidecars, app containers by restartPolicy with crash back-off, restarts for liveness
 * failures and changed specs, termination with preStop hooks and grace periods, teardown of pods
 * gone from the API), keep only the newest exited instance of each container, and write the
 * status. The outcome says whether the pod is done and when to look again.
 */
import { EVENT_TYPE_NORMAL, EVENT_TYPE_WARNING } from '../../../lib/api/core-event';
import { isConflict, isNotFound } from '../../../lib/api/status';
import type { Container, Pod } from '../../../lib/api/types';
import type { ResourceClient } from '../../../lib/client/api-client';
import { VolumeSetupError } from '../pod-setup/pod-setup';
import { ANNOTATION_CONTAINER_HASH, LABEL_POD_NAME, LABEL_POD_NAMESPACE, LABEL_POD_UID, type ContainerStatus, type PodSandboxConfig, type PodSandboxStatus } from '../runtime/runtime';
import { hashContainer as containerHash } from '../pod-setup/container-hash';
import { ContainerStarter, CONTAINER_RETRY_MS } from './container-starter';
import { deletionGraceSeconds, ORPHAN_GRACE_SECONDS, PodKiller } from './pod-killer';
import type { PodSyncDeps, PodWorkState } from './pod-sync-context';
import { computePodStatus, isSidecar } from './pod-status';
import { instancesOf, readySandbox, runtimePodOf, type RuntimePod } from './runtime-pod';
import type { StatusManager } from './status-manager';

/** What a sync asks of its worker. */
export interface SyncOutcome {
  /** The pod is gone (deleted and torn down): the worker ends. */
  done?: boolean;
  /** Sync again after this long, ms (a back-off or a deadline ending). */
  requeueAfterMs?: number;
}

const MS_PER_SECOND = 1000;
const DEADLINE_MESSAGE = 'Pod was active on the node longer than the specified deadline';

function isTerminalPhase(phase: unknown): boolean {
  return phase === 'Succeeded' || phase === 'Failed';
}

/** The earlier of two optional delays. */
function sooner(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}

export class PodSyncer {
  private readonly starter: ContainerStarter;
  private readonly killer: PodKiller;

  constructor(
    private readonly deps: PodSyncDeps,
    private readonly pods: ResourceClient<Pod>,
    private readonly status: StatusManager,
  ) {
    this.starter = new ContainerStarter(deps);
    this.killer = new PodKiller(deps);
  }

  /** Syncs the pod `state.uid`; `pod` is its latest cached object, undefined once it is gone from the API. */
  async sync(pod: Pod | undefined, state: PodWorkState): Promise<SyncOutcome> {
    const rp = await runtimePodOf(this.deps.runtime, state.uid);
    if (!pod) {
      await this.killer.killPod(undefined, rp, ORPHAN_GRACE_SECONDS);
      await this.killer.removePod(state.uid, rp);
      this.status.forget(state.uid);
      return { done: true };
    }
    if (pod.metadata.deletionTimestamp) return this.terminate(pod, rp, state);
    if (isTerminalPhase(pod.status?.phase)) {
      await this.killer.killPod(pod, rp, deletionGraceSeconds(pod));
      return {};
    }
    const deadlineIn = this.deadlineRemainingMs(pod);
    if (deadlineIn !== undefined && deadlineIn <= 0 && !state.terminal) {
      state.terminal = { phase: 'Failed', reason: 'DeadlineExceeded', message: DEADLINE_MESSAGE };
      this.deps.events.event(pod, EVENT_TYPE_NORMAL, 'DeadlineExceeded', DEADLINE_MESSAGE);
    }
    if (state.terminal) {
      await this.killer.killPod(pod, rp, deletionGraceSeconds(pod));
      await this.writeStatus(pod, await runtimePodOf(this.deps.runtime, state.uid), state);
      return {};
    }
    const requeue = await this.syncRunning(pod, rp, state);
    const fresh = await runtimePodOf(this.deps.runtime, state.uid);
    this.syncProbes(pod, fresh);
    await this.writeStatus(pod, fresh, state);
    return { requeueAfterMs: sooner(requeue, deadlineIn) };
  }

  /** Brings a live pod's sandbox and containers toward its spec; returns when to look again. */
  private async syncRunning(pod: Pod, rp: RuntimePod, state: PodWorkState): Promise<number | undefined> {
    try {
      await this.deps.setup.setUpVolumes(pod);
    } catch (err) {
      if (!(err instanceof VolumeSetupError)) throw err;
      this.deps.events.event(pod, EVENT_TYPE_WARNING, 'FailedMount', err.message);
      return CONTAINER_RETRY_MS;
    }
    const refresh = this.deps.setup.volumeRefreshInMs?.(pod);
    const requeue = await this.syncSandboxAndContainers(pod, rp, state);
    return sooner(requeue, refresh);
  }

  /** syncRunning once the volumes are set up. */
  private async syncSandboxAndContainers(pod: Pod, rp: RuntimePod, state: PodWorkState): Promise<number | undefined> {
    const sandboxed = await this.ensureSandbox(pod, rp, state);
    if (!sandboxed) return CONTAINER_RETRY_MS;
    const { sandbox, config } = sandboxed;
    const current = await runtimePodOf(this.deps.runtime, state.uid);
    const init = await this.syncInitContainers(pod, current, sandbox, config, state);
    if (!init.done) return init.requeueAfterMs;
    let requeue = init.requeueAfterMs;
    for (const c of pod.spec?.containers ?? []) requeue = sooner(requeue, await this.syncContainer(pod, c, current, sandbox, config, state, false));
    await this.removeOldInstances(current, sandbox);
    return requeue;
  }

  /** The pod's ready sandbox (made when missing); undefined when it cannot be made now. */
  private async ensureSandbox(pod: Pod, rp: RuntimePod, state: PodWorkState): Promise<{ sandbox: PodSandboxStatus; config: PodSandboxConfig } | undefined> {
    const ready = readySandbox(rp);
    if (ready) return { sandbox: ready, config: this.sandboxConfig(pod, ready.metadata.attempt) };
    const ran = rp.containers.length > 0;
    if (ran && (pod.spec?.restartPolicy ?? 'Always') === 'Never') return undefined;
    // The sandbox died (or never was): the pod's containers start over in a new one.
    await this.killer.killPod(pod, rp, 0);
    const attempt = rp.sandboxes.length > 0 ? rp.sandboxes[0]!.metadata.attempt + 1 : 0;
    let config: PodSandboxConfig;
    try {
      config = this.sandboxConfig(pod, attempt);
      const id = await this.deps.runtime.runPodSandbox(config);
      for (const old of rp.sandboxes) await this.deps.runtime.removePodSandbox(old.id);
      state.waiting.clear();
      return { sandbox: await this.deps.runtime.podSandboxStatus(id), config };
    } catch (err) {
      this.deps.events.event(pod, EVENT_TYPE_WARNING, 'FailedCreatePodSandBox', `Failed to create pod sandbox: ${(err as Error).message}`);
      return undefined;
    }
  }

  private sandboxConfig(pod: Pod, attempt: number): PodSandboxConfig {
    const config = this.deps.setup.sandboxConfig(pod, attempt);
    config.labels = { ...config.labels, [LABEL_POD_UID]: pod.metadata.uid ?? '', [LABEL_POD_NAME]: pod.metadata.name ?? '', [LABEL_POD_NAMESPACE]: pod.metadata.namespace ?? '' };
    return config;
  }

  /**
   * Init containers in order: each regular one must exit 0 before the next starts; a sidecar
   * (restartPolicy Always) must have started, and is kept running. `done` once all are through.
   */
  private async syncInitContainers(pod: Pod, rp: RuntimePod, sandbox: PodSandboxStatus, config: PodSandboxConfig, state: PodWorkState): Promise<{ done: boolean; requeueAfterMs?: number }> {
    let requeue: number | undefined;
    for (const c of pod.spec?.initContainers ?? []) {
      const inst = instancesOf(rp, c.name ?? '', sandbox.id)[0];
      if (isSidecar(c)) {
        requeue = sooner(requeue, await this.syncContainer(pod, c, rp, sandbox, config, state, true));
        const now = instancesOf(await runtimePodOf(this.deps.runtime, state.uid), c.name ?? '', sandbox.id)[0];
        if (!now || now.state !== 'running' || !this.deps.probes.started(state.uid, now.id)) return { done: false, requeueAfterMs: requeue };
        continue;
      }
      if (inst?.state === 'exited' && inst.exitCode === 0) continue;
      if (inst?.state === 'running') return { done: false, requeueAfterMs: requeue };
      if (inst?.state === 'exited' && (pod.spec?.restartPolicy ?? 'Always') === 'Never') {
        await this.killer.killPod(pod, rp, deletionGraceSeconds(pod));
        return { done: false };
      }
      const r = await this.starter.start(pod, c, instancesOf(rp, c.name ?? ''), sandbox, config, state);
      return { done: false, requeueAfterMs: sooner(requeue, r.retryAfterMs) };
    }
    return { done: true, requeueAfterMs: requeue };
  }

  /** One long-running container (app or sidecar): restart it by its policy, or kill it for a failed probe or a changed spec. */
  private async syncContainer(pod: Pod, c: Container, rp: RuntimePod, sandbox: PodSandboxStatus, config: PodSandboxConfig, state: PodWorkState, sidecar: boolean): Promise<number | undefined> {
    const name = c.name ?? '';
    const policy = sidecar ? 'Always' : (pod.spec?.restartPolicy ?? 'Always');
    const inst = instancesOf(rp, name, sandbox.id)[0];
    if (inst?.state === 'running') {
      const why = this.killReason(c, inst, state.uid);
      if (!why) return undefined;
      await this.killer.killContainer(pod, c, inst, deletionGraceSeconds(pod), why, sandbox.network.ip);
      // The next sync sees it exited and restarts it by its policy (with back-off).
      return 0;
    }
    if (inst && inst.state !== 'created') {
      const restart = policy === 'Always' || (policy === 'OnFailure' && inst.exitCode !== 0);
      if (!restart) return undefined;
    }
    return (await this.starter.start(pod, c, instancesOf(rp, name), sandbox, config, state)).retryAfterMs;
  }

  /** Why a running container must be killed (the Killing event's message), or undefined. */
  private killReason(c: Container, inst: ContainerStatus, uid: string): string | undefined {
    const name = c.name ?? '';
    if (inst.annotations[ANNOTATION_CONTAINER_HASH] !== undefined && inst.annotations[ANNOTATION_CONTAINER_HASH] !== containerHash(c)) return `Container ${name} definition changed, will be restarted`;
    if (this.deps.probes.result(uid, inst.id, 'startup') === 'failure') return `Container ${name} failed startup probe, will be restarted`;
    if (this.deps.probes.result(uid, inst.id, 'liveness') === 'failure') return `Container ${name} failed liveness probe, will be restarted`;
    return undefined;
  }

  /** Keeps, per container name, the running instance and the newest exited one (for `logs --previous`); removes the rest. */
  private async removeOldInstances(rp: RuntimePod, sandbox: PodSandboxStatus): Promise<void> {
    const keptExited = new Set<string>();
    for (const c of rp.containers) {
      if (c.state === 'running' && c.podSandboxId === sandbox.id) continue;
      const name = c.metadata.name;
      if (c.state === 'exited' && !keptExited.has(name)) {
        keptExited.add(name);
        continue;
      }
      if (c.state === 'running') continue;
      await this.deps.runtime.removeContainer(c.id);
    }
  }

  private syncProbes(pod: Pod, rp: RuntimePod): void {
    const sandbox = readySandbox(rp);
    const specs = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? []).filter(isSidecar)];
    const running = rp.containers
      .filter((c) => c.state === 'running' && c.podSandboxId === sandbox?.id)
      .flatMap((c) => {
        const container = specs.find((s) => s.name === c.metadata.name);
        return container ? [{ container, id: c.id, startedAt: c.startedAt }] : [];
      });
    this.deps.probes.sync(pod, sandbox?.network.ip ?? '', running);
  }

  /** ms until activeDeadlineSeconds runs out (undefined without one or before the pod started). */
  private deadlineRemainingMs(pod: Pod): number | undefined {
    const ads = pod.spec?.activeDeadlineSeconds;
    const start = pod.status?.startTime as string | undefined;
    if (ads === undefined || !start) return undefined;
    return Date.parse(start) + ads * MS_PER_SECOND - this.deps.clock.now();
  }

  /** Deletion: stop everything within the grace period, write the final status, remove the pod's things, then delete it with grace 0. */
  private async terminate(pod: Pod, rp: RuntimePod, state: PodWorkState): Promise<SyncOutcome> {
    await this.killer.killPod(pod, rp, deletionGraceSeconds(pod));
    const stopped = await runtimePodOf(this.deps.runtime, state.uid);
    await this.writeStatus(pod, stopped, state).catch(() => undefined);
    await this.killer.removePod(state.uid, stopped);
    this.status.forget(state.uid);
    try {
      await this.pods.delete(pod.metadata.namespace, pod.metadata.name ?? '', { gracePeriodSeconds: 0, preconditions: { uid: state.uid } });
    } catch (err) {
      if (!isNotFound(err) && !isConflict(err) && (err as { code?: number }).code !== 409) throw err;
    }
    return { done: true };
  }

  private async writeStatus(pod: Pod, rp: RuntimePod, state: PodWorkState): Promise<void> {
    const now = this.deps.clock.now();
    const status = computePodStatus({
      pod,
      runtimePod: rp,
      runtimeName: this.deps.runtime.name,
      hostIP: this.deps.hostIP,
      now,
      waiting: state.waiting,
      ready: (id) => this.deps.probes.result(state.uid, id, 'readiness') === 'success',
      started: (id) => this.deps.probes.started(state.uid, id),
      terminal: state.terminal,
    });
    if (!state.startReported && status.phase === 'Running' && ((status.containerStatuses as { state: { running?: unknown } }[]) ?? []).every((s) => s.state.running)) {
      state.startReported = true;
      this.deps.onPodStarted?.((now - state.firstSeenMs) / MS_PER_SECOND);
    }
    await this.status.write(pod, status);
  }
}
