/**
 * Pure conversion from the engine's inspect and stats documents to the runtime's sandbox and
 * container statuses and stats, reading back the labels docker-spec wrote at creation.
 */
import type Dockerode from 'dockerode';
import type { ContainerState, ContainerStats, ContainerStatus, Mount, PodSandboxMetadata, PodSandboxStatus } from '../runtime';
import {
  LABEL_ANNOTATIONS,
  LABEL_HOST_NETWORK,
  LABEL_IMAGE,
  LABEL_LOG_PATH,
  LABEL_METADATA,
  LABEL_MOUNTS,
  LABEL_SANDBOX_ID,
  jsonLabel,
  userLabels,
} from './docker-labels';

/** The engine's "never" time (Go's zero time). */
const ZERO_TIME_PREFIX = '0001-01-01';

/** Milliseconds since the epoch of an engine time, 0 for the zero time or an unparseable one. */
export function engineTimeMs(t: string | undefined): number {
  if (!t || t.startsWith(ZERO_TIME_PREFIX)) return 0;
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? 0 : ms;
}

/** The pod's address: the first engine network that gave the sandbox one ('' on the host network or when stopped). */
export function sandboxIp(info: Dockerode.ContainerInspectInfo): string {
  if (info.Config.Labels?.[LABEL_HOST_NETWORK] === 'true' || !info.State.Running) return '';
  for (const net of Object.values(info.NetworkSettings?.Networks ?? {})) {
    if (net.IPAddress) return net.IPAddress;
  }
  return '';
}

export function sandboxStatus(info: Dockerode.ContainerInspectInfo): PodSandboxStatus {
  const labels = info.Config.Labels ?? {};
  return {
    id: info.Id,
    metadata: jsonLabel<PodSandboxMetadata>(labels, LABEL_METADATA, info.Id),
    state: info.State.Running ? 'ready' : 'notready',
    createdAt: engineTimeMs(info.Created),
    network: { ip: sandboxIp(info), additionalIps: [] },
    labels: userLabels(labels),
    annotations: jsonLabel<Record<string, string>>(labels, LABEL_ANNOTATIONS, info.Id, {}),
    info: {
      containerId: info.Id,
      containerName: info.Name.replace(/^\//, ''),
      networkMode: String(info.HostConfig.NetworkMode ?? ''),
      pid: String(info.State.Pid ?? 0),
    },
  };
}

function containerState(status: string): ContainerState {
  switch (status) {
    case 'created':
      return 'created';
    case 'running':
    case 'paused':
    case 'restarting':
      return 'running';
    case 'exited':
    case 'dead':
      return 'exited';
    default:
      return 'unknown';
  }
}

/** Kubernetes' terminated reasons: OOMKilled from the engine's flag, else by exit code. */
export function exitReason(state: { OOMKilled: boolean; ExitCode: number }): string {
  if (state.OOMKilled) return 'OOMKilled';
  return state.ExitCode === 0 ? 'Completed' : 'Error';
}

export function containerStatus(info: Dockerode.ContainerInspectInfo): ContainerStatus {
  const labels = info.Config.Labels ?? {};
  const state = containerState(info.State.Status);
  const startedAt = engineTimeMs(info.State.StartedAt);
  // The engine records StartedAt after runc returns: a process that exits at once can carry a
  // FinishedAt a few ms before it. Report it as finishing when it started.
  const finishedAt = state === 'exited' ? Math.max(engineTimeMs(info.State.FinishedAt), startedAt) : 0;
  return {
    id: info.Id,
    podSandboxId: labels[LABEL_SANDBOX_ID] ?? '',
    metadata: jsonLabel<{ name: string; attempt: number }>(labels, LABEL_METADATA, info.Id),
    state,
    createdAt: engineTimeMs(info.Created),
    startedAt,
    finishedAt,
    exitCode: state === 'exited' ? info.State.ExitCode : 0,
    image: labels[LABEL_IMAGE] ?? info.Config.Image,
    imageRef: info.Image,
    reason: state === 'exited' ? exitReason(info.State) : state === 'created' && info.State.Error ? 'ContainerCannotRun' : '',
    message: info.State.Error ?? '',
    labels: userLabels(labels),
    annotations: jsonLabel<Record<string, string>>(labels, LABEL_ANNOTATIONS, info.Id, {}),
    mounts: jsonLabel<Mount[]>(labels, LABEL_MOUNTS, info.Id, []),
    logPath: labels[LABEL_LOG_PATH] ?? '',
  };
}

/**
 * One-shot engine stats → CPU time (ns) and working set: memory usage minus inactive file pages
 * (cgroup v1 reports `total_inactive_file`, v2 `inactive_file`), never below zero.
 */
export function containerStats(id: string, podSandboxId: string, s: Dockerode.ContainerStats, now: number): ContainerStats {
  const mem = s.memory_stats ?? ({} as Dockerode.MemoryStats);
  const inactive = mem.stats?.total_inactive_file ?? mem.stats?.inactive_file ?? 0;
  const usage = mem.usage ?? 0;
  const read = Date.parse(s.read);
  return {
    id,
    podSandboxId,
    timestamp: Number.isNaN(read) || read <= 0 ? now : read,
    cpuUsageCoreNanoSeconds: s.cpu_stats?.cpu_usage?.total_usage ?? 0,
    memoryWorkingSetBytes: Math.max(0, usage - inactive),
  };
}
