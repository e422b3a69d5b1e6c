/**
 * Probes of the running containers (the kubelet's prober manager): one worker per container
 * instance and probe kind, on the injected clock. Each probe runs every periodSeconds once
 * initialDelaySeconds have passed since the container started, with timeoutSeconds; a result
 * turns after successThreshold successes or failureThreshold failures in a row (Kubernetes'
 * defaults: 1 s, 10 s, 1, 3, delay 0). Liveness and readiness wait until the startup probe (if
 * any) succeeded. Results start as: liveness success, readiness failure, startup unknown. Every
 * failed attempt is reported (the Unhealthy event); every change of a result calls onChange so
 * the pod is synced.
 */
import type { Container, Pod } from '../../../lib/api/types';
import type { Clock, Timer } from '../../../lib/client/clock';
import type { RuntimeService } from '../runtime/runtime';
import { runAction, type HandlerAction } from './handler-actions';

export type ProbeKind = 'liveness' | 'readiness' | 'startup';
export type ProbeResult = 'success' | 'failure' | 'unknown';

/** A probe as the pod spec writes it. */
export interface ProbeSpec extends HandlerAction {
  initialDelaySeconds?: number;
  timeoutSeconds?: number;
  periodSeconds?: number;
  successThreshold?: number;
  failureThreshold?: number;
}

/** Kubernetes' probe defaults. */
export const PROBE_DEFAULTS = { initialDelaySeconds: 0, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 } as const;
const MS_PER_SECOND = 1000;
const SPEC_FIELD: Record<ProbeKind, string> = { liveness: 'livenessProbe', readiness: 'readinessProbe', startup: 'startupProbe' };
const INITIAL: Record<ProbeKind, ProbeResult> = { liveness: 'success', readiness: 'failure', startup: 'unknown' };

/** A running container the manager should probe. */
export interface ProbedContainer {
  container: Container;
  id: string;
  startedAt: number;
}

/** What the manager reports to the agent. */
export interface ProbeCallbacks {
  /** A result changed: the pod wants a sync. */
  onChange(podUid: string): void;
  /** One attempt failed (kind Liveness/Readiness/Startup, the message of the Unhealthy event). */
  onFailedAttempt(pod: Pod, container: Container, kind: ProbeKind, message: string): void;
}

interface Worker {
  kind: ProbeKind;
  spec: ProbeSpec;
  containerId: string;
  result: ProbeResult;
  successes: number;
  failures: number;
  timer?: Timer;
  running: boolean;
}

/** The probe's spec for `kind` on `container`, if set. */
export function probeOf(container: Container, kind: ProbeKind): ProbeSpec | undefined {
  return container[SPEC_FIELD[kind]] as ProbeSpec | undefined;
}

export class ProbeManager {
  /** Workers by pod uid, then `containerId/kind`. */
  private readonly pods = new Map<string, Map<string, Worker>>();
  private readonly latest = new Map<string, { pod: Pod; podIP: string }>();

  constructor(
    private readonly runtime: RuntimeService,
    private readonly clock: Clock,
    private readonly callbacks: ProbeCallbacks,
  ) {}

  /** Makes the pod's workers match its running containers (new containers get workers, gone ones lose them). */
  sync(pod: Pod, podIP: string, running: readonly ProbedContainer[]): void {
    const uid = pod.metadata.uid ?? '';
    this.latest.set(uid, { pod, podIP });
    const workers = this.pods.get(uid) ?? new Map<string, Worker>();
    this.pods.set(uid, workers);
    const wanted = new Set<string>();
    for (const rc of running) {
      for (const kind of ['startup', 'liveness', 'readiness'] as const) {
        const spec = probeOf(rc.container, kind);
        if (!spec) continue;
        const key = `${rc.id}/${kind}`;
        wanted.add(key);
        if (workers.has(key)) continue;
        const w: Worker = { kind, spec, containerId: rc.id, result: INITIAL[kind], successes: 0, failures: 0, running: false };
        workers.set(key, w);
        const delay = rc.startedAt + (spec.initialDelaySeconds ?? PROBE_DEFAULTS.initialDelaySeconds) * MS_PER_SECOND - this.clock.now();
        this.schedule(uid, w, rc.container.name ?? '', Math.max(0, delay));
      }
    }
    for (const [key, w] of workers) {
      if (wanted.has(key)) continue;
      w.timer?.cancel();
      workers.delete(key);
    }
  }

  /** Stops every worker of the pod. */
  removePod(uid: string): void {
    for (const w of this.pods.get(uid)?.values() ?? []) w.timer?.cancel();
    this.pods.delete(uid);
    this.latest.delete(uid);
  }

  stop(): void {
    for (const uid of [...this.pods.keys()]) this.removePod(uid);
  }

  /** The current result of a probe of a container instance; the kind's initial result when it has no such probe worker. */
  result(podUid: string, containerId: string, kind: ProbeKind): ProbeResult {
    return this.pods.get(podUid)?.get(`${containerId}/${kind}`)?.result ?? 'success';
  }

  /** Whether the container counts as started (its startup probe succeeded, or it has none). */
  started(podUid: string, containerId: string): boolean {
    return this.result(podUid, containerId, 'startup') === 'success';
  }

  private schedule(uid: string, w: Worker, containerName: string, delayMs: number): void {
    w.timer = this.clock.setTimer(delayMs, () => void this.probe(uid, w, containerName));
  }

  private async probe(uid: string, w: Worker, containerName: string): Promise<void> {
    const workers = this.pods.get(uid);
    const latest = this.latest.get(uid);
    if (!workers || workers.get(`${w.containerId}/${w.kind}`) !== w || !latest) return;
    const period = (w.spec.periodSeconds ?? PROBE_DEFAULTS.periodSeconds) * MS_PER_SECOND;
    const gated = w.kind !== 'startup' && !this.started(uid, w.containerId);
    const stopped = w.kind === 'startup' && w.result === 'success';
    if (!gated && !stopped && !w.running) {
      w.running = true;
      const container = (latest.pod.spec?.containers ?? []).concat(latest.pod.spec?.initContainers ?? []).find((c) => c.name === containerName);
      if (container) await this.attempt(uid, w, latest.pod, container, latest.podIP);
      w.running = false;
    }
    if (workers.get(`${w.containerId}/${w.kind}`) === w) this.schedule(uid, w, containerName, period);
  }

  private async attempt(uid: string, w: Worker, pod: Pod, container: Container, podIP: string): Promise<void> {
    const timeoutMs = (w.spec.timeoutSeconds ?? PROBE_DEFAULTS.timeoutSeconds) * MS_PER_SECOND;
    const r = await runAction(w.spec, { runtime: this.runtime, containerId: w.containerId, container, podIP }, timeoutMs);
    const before = w.result;
    if (r.success) {
      w.failures = 0;
      w.successes++;
      if (w.successes >= (w.spec.successThreshold ?? PROBE_DEFAULTS.successThreshold)) w.result = 'success';
    } else {
      w.successes = 0;
      w.failures++;
      this.callbacks.onFailedAttempt(pod, container, w.kind, r.message);
      if (w.failures >= (w.spec.failureThreshold ?? PROBE_DEFAULTS.failureThreshold)) w.result = 'failure';
    }
    if (w.result !== before) this.callbacks.onChange(uid);
  }
}
