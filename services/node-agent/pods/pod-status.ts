/**
 * The pod status the agent reports, computed from the pod, the runtime's view of it, the
 * worker's waiting reasons and the probe results (the kubelet's generateAPIPodStatus): phase,
 * conditions with Kubernetes' reasons, container and init container statuses with waiting /
 * running / terminated states, restart counts, pod and host IPs, start time. Pure; fields the
 * agent does not own (qosClass, nominatedNodeName, …) are kept from the stored status.
 */
import type { Container, Pod, PodCondition } from '../../../lib/api/types';
import type { ContainerStatus } from '../runtime/runtime';
import { rfc3339 } from '../time-format';
import { instancesOf, readySandbox, restartCountOf, type RuntimePod } from './runtime-pod';

/** Why a container waits, as the worker decided (CrashLoopBackOff, ErrImagePull, …). */
export interface Waiting {
  reason: string;
  message?: string;
}

/** What the status is computed from. */
export interface PodStatusInput {
  pod: Pod;
  runtimePod: RuntimePod;
  runtimeName: string;
  hostIP: string;
  now: number;
  /** Waiting reasons by container name. */
  waiting: ReadonlyMap<string, Waiting>;
  /** Whether a running container instance passed its readiness probe / counts as started. */
  ready(containerId: string): boolean;
  started(containerId: string): boolean;
  /** Set when the pod ended (Failed/Succeeded) for a pod-level reason (DeadlineExceeded). */
  terminal?: { phase: 'Failed' | 'Succeeded'; reason: string; message: string };
}

type State = Record<string, Record<string, unknown>>;

export interface ApiContainerStatus {
  name: string;
  state: State;
  lastState: State;
  ready: boolean;
  started: boolean;
  restartCount: number;
  image: string;
  imageID: string;
  containerID?: string;
}

/** Whether an init container is a sidecar (restartPolicy Always). */
export function isSidecar(c: Container): boolean {
  return c.restartPolicy === 'Always';
}

function terminatedState(c: ContainerStatus, runtimeName: string): Record<string, unknown> {
  return {
    exitCode: c.exitCode,
    reason: c.reason || (c.exitCode === 0 ? 'Completed' : 'Error'),
    ...(c.message ? { message: c.message } : {}),
    startedAt: c.startedAt ? rfc3339(c.startedAt) : null,
    finishedAt: rfc3339(c.finishedAt),
    containerID: `${runtimeName}://${c.id}`,
  };
}

function containerStatusOf(input: PodStatusInput, spec: Container, defaultWaiting: string): ApiContainerStatus {
  const name = spec.name ?? '';
  const sandbox = readySandbox(input.runtimePod) ?? input.runtimePod.sandboxes[0];
  const [inst, prev] = instancesOf(input.runtimePod, name, sandbox?.id);
  const waiting = input.waiting.get(name);
  const base = { name, image: spec.image ?? '', imageID: inst?.imageRef ?? '', restartCount: restartCountOf(inst) };
  const withId = inst ? { containerID: `${input.runtimeName}://${inst.id}` } : {};
  const waitingState = (w: Waiting) => ({ waiting: { reason: w.reason, ...(w.message ? { message: w.message } : {}) } });
  if (inst?.state === 'running') {
    return {
      ...base,
      ...withId,
      state: { running: { startedAt: rfc3339(inst.startedAt) } },
      lastState: prev?.state === 'exited' ? { terminated: terminatedState(prev, input.runtimeName) } : {},
      ready: input.started(inst.id) && input.ready(inst.id),
      started: input.started(inst.id),
    };
  }
  if (inst?.state === 'exited') {
    const terminated = { terminated: terminatedState(inst, input.runtimeName) };
    if (waiting) return { ...base, ...withId, state: waitingState(waiting), lastState: terminated, ready: false, started: false };
    return { ...base, ...withId, state: terminated, lastState: prev?.state === 'exited' ? { terminated: terminatedState(prev, input.runtimeName) } : {}, ready: false, started: false };
  }
  const w = waiting ?? { reason: defaultWaiting };
  return { ...base, ...withId, state: waitingState(w), lastState: prev?.state === 'exited' ? { terminated: terminatedState(prev, input.runtimeName) } : {}, ready: false, started: false };
}

/** Whether every regular init container completed and every sidecar started. */
export function initialized(statuses: readonly ApiContainerStatus[], specs: readonly Container[]): boolean {
  return specs.every((spec, i) => {
    const s = statuses[i]!;
    if (isSidecar(spec)) return s.started || s.state.running !== undefined;
    return s.state.terminated?.exitCode === 0;
  });
}

/** The kubelet's phase of a pod whose init containers are done, from its app containers. */
export function appPhase(statuses: readonly ApiContainerStatus[], restartPolicy: string): string {
  let running = 0;
  let waiting = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const s of statuses) {
    if (s.state.running) running++;
    else if (s.state.terminated) {
      stopped++;
      if (s.state.terminated.exitCode === 0) succeeded++;
    } else if (s.lastState.terminated) {
      stopped++;
      if (s.lastState.terminated.exitCode === 0) succeeded++;
    } else waiting++;
  }
  if (waiting > 0) return 'Pending';
  if (running > 0) return 'Running';
  if (stopped === statuses.length && stopped > 0) {
    if (restartPolicy === 'Always') return 'Running';
    if (restartPolicy === 'OnFailure') return succeeded === stopped ? 'Succeeded' : 'Running';
    return succeeded === stopped ? 'Succeeded' : 'Failed';
  }
  return 'Pending';
}

function condition(type: string, ok: boolean, reason?: string, message?: string): PodCondition {
  return { type, status: ok ? 'True' : 'False', ...(!ok && reason ? { reason } : {}), ...(!ok && message ? { message } : {}) };
}

/** Conditions with lastTransitionTime kept from `old` unless the status changed. */
function withTransitions(next: PodCondition[], old: readonly PodCondition[], now: string): PodCondition[] {
  return next.map((c) => {
    const o = old.find((x) => x.type === c.type);
    return { ...c, lastProbeTime: null, lastTransitionTime: o && o.status === c.status && o.lastTransitionTime ? o.lastTransitionTime : now };
  });
}

/** The status to write for `input.pod`. */
export function computePodStatus(input: PodStatusInput): Record<string, unknown> {
  const { pod } = input;
  const spec = pod.spec ?? {};
  const old = (pod.status ?? {}) as Record<string, unknown>;
  const oldConditions = (old.conditions as PodCondition[] | undefined) ?? [];
  const now = rfc3339(input.now);
  const initSpecs = spec.initContainers ?? [];
  const initStatuses = initSpecs.map((c) => containerStatusOf(input, c, 'PodInitializing'));
  const inited = initialized(initStatuses, initSpecs);
  const appStatuses = (spec.containers ?? []).map((c) => containerStatusOf(input, c, inited ? 'ContainerCreating' : 'PodInitializing'));
  const restartPolicy = spec.restartPolicy ?? 'Always';
  const initFailed = restartPolicy === 'Never' && initSpecs.some((c, i) => !isSidecar(c) && (initStatuses[i]!.state.terminated?.exitCode ?? 0) !== 0);
  let phase = input.terminal?.phase ?? (initFailed ? 'Failed' : inited ? appPhase(appStatuses, restartPolicy) : 'Pending');
  const oldPhase = old.phase as string | undefined;
  if (oldPhase === 'Succeeded' || oldPhase === 'Failed') phase = oldPhase;
  const terminal = phase === 'Succeeded' || phase === 'Failed';

  const sandbox = readySandbox(input.runtimePod);
  const podIP = spec.hostNetwork || (sandbox && !sandbox.network.ip) ? input.hostIP : (sandbox?.network.ip ?? (old.podIP as string | undefined) ?? '');
  const unready = appStatuses.filter((s) => !s.ready).map((s) => s.name);
  const containersReady = !terminal && unready.length === 0;
  const gates = ((spec.readinessGates as { conditionType: string }[] | undefined) ?? []).map((g) => g.conditionType);
  const failedGates = gates.filter((g) => oldConditions.find((c) => c.type === g)?.status !== 'True');
  const incompleteInit = initSpecs.filter((_c, i) => !initialized([initStatuses[i]!], [initSpecs[i]!])).map((c) => c.name ?? '');
  const readyReason = terminal ? 'PodCompleted' : unready.length > 0 ? 'ContainersNotReady' : 'ReadinessGatesNotReady';
  const readyMessage = terminal
    ? undefined
    : unready.length > 0
      ? `containers with unready status: [${unready.join(' ')}]`
      : `corresponding condition of pod readiness gate "${failedGates[0] ?? ''}" does not exist.`;
  const computed: PodCondition[] = [
    condition('PodReadyToStartContainers', sandbox !== undefined),
    condition('Initialized', inited || terminal, terminal ? 'PodCompleted' : 'ContainersNotInitialized', terminal ? undefined : `containers with incomplete status: [${incompleteInit.join(' ')}]`),
    condition('Ready', containersReady && failedGates.length === 0, readyReason, readyMessage),
    condition('ContainersReady', containersReady, terminal ? 'PodCompleted' : 'ContainersNotReady', terminal ? undefined : `containers with unready status: [${unready.join(' ')}]`),
  ];
  const others = oldConditions.filter((c) => !computed.some((x) => x.type === c.type));
  const scheduled = others.some((c) => c.type === 'PodScheduled') ? [] : [{ type: 'PodScheduled', status: 'True' } as PodCondition];
  const status: Record<string, unknown> = {
    ...old,
    phase,
    conditions: [...withTransitions(computed, oldConditions, now), ...others, ...withTransitions(scheduled, [], now)],
    hostIP: input.hostIP,
    hostIPs: [{ ip: input.hostIP }],
    podIP: podIP || undefined,
    podIPs: podIP ? [{ ip: podIP }] : undefined,
    startTime: (old.startTime as string | undefined) ?? now,
    initContainerStatuses: initStatuses.length > 0 ? initStatuses : undefined,
    containerStatuses: appStatuses,
  };
  if (input.terminal) {
    status.reason = input.terminal.reason;
    status.message = input.terminal.message;
  }
  return status;
}
