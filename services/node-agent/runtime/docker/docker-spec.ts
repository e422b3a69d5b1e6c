/**
 * Pure translation from the CRI-shaped sandbox and container configs to Docker Engine create
 * options (dockershim's rules): the sandbox container owns the pod's network and IPC namespaces
 * and its resolv.conf/hostname; app containers join them with `container:<sandbox id>` modes.
 * Every value the engine would reject, or that makes no sense, is refused here with
 * RuntimeError('InvalidConfig') naming the field, before anything is created.
 *
 * Ulimits are never passed: a container inherits the engine's limits, which never exceed the
 * host's hard limits (asking for more — e.g. nofile above the host's 20000 here — makes runc fail
 * every start). On this machine containers get nofile 20000:20000 from dockerd.
 */
import * as path from 'node:path';
import type Dockerode from 'dockerode';
import { ContainerConfig, PodSandboxConfig, RuntimeError } from '../runtime';
import {
  CONTAINER_TYPE_CONTAINER,
  CONTAINER_TYPE_SANDBOX,
  LABEL_ANNOTATIONS,
  LABEL_CONTAINER_TYPE,
  LABEL_HOST_NETWORK,
  LABEL_IMAGE,
  LABEL_LOG_DIRECTORY,
  LABEL_LOG_PATH,
  LABEL_METADATA,
  LABEL_MOUNTS,
  LABEL_NODE,
  LABEL_SANDBOX_ID,
  appContainerName,
  sandboxContainerName,
} from './docker-labels';

/**
 * The sandbox's process: a shell that sleeps forever, exits at once on SIGTERM/SIGINT and, being
 * PID 1 of the sandbox, reaps what it inherits while it waits (the job of Kubernetes' `pause`).
 */
export const SANDBOX_COMMAND = ['sh', '-c', 'trap "exit 0" TERM INT; while :; do sleep 2147483647 & wait $!; done'];

/** The engine refuses memory limits below 6 MiB. */
export const MIN_MEMORY_LIMIT_BYTES = 6 * 1024 * 1024;
/** The kubelet's cpu.shares bounds. */
export const MIN_CPU_SHARES = 2;
export const MAX_CPU_SHARES = 262144;
/** CFS period bounds the kernel accepts, microseconds. */
export const MIN_CPU_PERIOD_US = 1000;
export const MAX_CPU_PERIOD_US = 1_000_000;
/** The engine keeps each container's output in json-file logs this large (the CRI file is the copy kubectl reads). */
export const ENGINE_LOG_MAX_SIZE = '50m';
export const ENGINE_LOG_MAX_FILES = '2';

function invalid(field: string, message: string): RuntimeError {
  return new RuntimeError('InvalidConfig', `${field}: ${message}`);
}

/** Where the sandbox's network comes from. */
export type SandboxNetwork = { mode: 'host' } | { mode: 'network'; name: string };

/** The create options of a pod's sandbox container. */
export function sandboxCreateOptions(
  config: PodSandboxConfig,
  opts: { nodeName: string; image: string; network: SandboxNetwork },
): Dockerode.ContainerCreateOptions {
  const meta = config.metadata;
  for (const key of ['name', 'namespace', 'uid'] as const) {
    if (!meta[key]) throw invalid(`metadata.${key}`, 'must not be empty');
  }
  if (!Number.isInteger(meta.attempt) || meta.attempt < 0) throw invalid('metadata.attempt', `must be a non-negative integer, got ${meta.attempt}`);
  if (!path.isAbsolute(config.logDirectory)) throw invalid('logDirectory', `must be an absolute path, got "${config.logDirectory}"`);
  const hostNetwork = opts.network.mode === 'host';
  const portBindings: Record<string, Array<{ HostPort: string; HostIp?: string }>> = {};
  const exposed: Record<string, Record<string, never>> = {};
  config.portMappings.forEach((p, i) => {
    if (!Number.isInteger(p.containerPort) || p.containerPort < 1 || p.containerPort > 65535) {
      throw invalid(`portMappings[${i}].containerPort`, `must be 1..65535, got ${p.containerPort}`);
    }
    if (!p.hostPort || hostNetwork) return;
    if (!Number.isInteger(p.hostPort) || p.hostPort < 1 || p.hostPort > 65535) {
      throw invalid(`portMappings[${i}].hostPort`, `must be 1..65535, got ${p.hostPort}`);
    }
    const key = `${p.containerPort}/${p.protocol.toLowerCase()}`;
    exposed[key] = {};
    (portBindings[key] ??= []).push({ HostPort: String(p.hostPort), ...(p.hostIp ? { HostIp: p.hostIp } : {}) });
  });
  const dns = config.dnsConfig;
  const hostConfig: Dockerode.HostConfig = {
    NetworkMode: hostNetwork ? 'host' : opts.network.mode === 'network' ? opts.network.name : 'none',
    IpcMode: config.linux.hostIpc ? 'host' : 'shareable',
    PidMode: config.linux.hostPid ? 'host' : '',
    RestartPolicy: { Name: 'no' },
    LogConfig: { Type: 'none', Config: {} },
    PortBindings: portBindings,
    ...(dns ? { Dns: dns.servers, DnsSearch: dns.searches, DnsOptions: dns.options } : {}),
    ...(config.linux.sysctls && !hostNetwork ? { Sysctls: config.linux.sysctls } : {}),
    ...(config.linux.cgroupParent ? { CgroupParent: config.linux.cgroupParent } : {}),
  };
  return {
    name: sandboxContainerName(meta),
    Image: opts.image,
    Entrypoint: [],
    Cmd: SANDBOX_COMMAND,
    // The engine refuses a hostname together with the host network.
    ...(hostNetwork ? {} : { Hostname: config.hostname }),
    ExposedPorts: exposed,
    Labels: {
      ...config.labels,
      [LABEL_CONTAINER_TYPE]: CONTAINER_TYPE_SANDBOX,
      [LABEL_NODE]: opts.nodeName,
      [LABEL_METADATA]: JSON.stringify(meta),
      [LABEL_ANNOTATIONS]: JSON.stringify(config.annotations),
      [LABEL_LOG_DIRECTORY]: config.logDirectory,
      [LABEL_HOST_NETWORK]: String(hostNetwork),
    },
    HostConfig: hostConfig,
  };
}

function validateResources(config: ContainerConfig): void {
  const r = config.linux.resources;
  const field = 'linux.resources';
  if (r.memoryLimitInBytes !== undefined && (!Number.isInteger(r.memoryLimitInBytes) || r.memoryLimitInBytes < MIN_MEMORY_LIMIT_BYTES)) {
    throw invalid(`${field}.memoryLimitInBytes`, `must be at least ${MIN_MEMORY_LIMIT_BYTES} bytes (the engine's minimum), got ${r.memoryLimitInBytes}`);
  }
  if (r.cpuShares !== undefined && (!Number.isInteger(r.cpuShares) || r.cpuShares < MIN_CPU_SHARES || r.cpuShares > MAX_CPU_SHARES)) {
    throw invalid(`${field}.cpuShares`, `must be ${MIN_CPU_SHARES}..${MAX_CPU_SHARES}, got ${r.cpuShares}`);
  }
  if (r.cpuPeriod !== undefined && (!Number.isInteger(r.cpuPeriod) || r.cpuPeriod < MIN_CPU_PERIOD_US || r.cpuPeriod > MAX_CPU_PERIOD_US)) {
    throw invalid(`${field}.cpuPeriod`, `must be ${MIN_CPU_PERIOD_US}..${MAX_CPU_PERIOD_US} µs, got ${r.cpuPeriod}`);
  }
  if (r.cpuQuota !== undefined && (!Number.isInteger(r.cpuQuota) || r.cpuQuota < MIN_CPU_PERIOD_US)) {
    throw invalid(`${field}.cpuQuota`, `must be at least ${MIN_CPU_PERIOD_US} µs, got ${r.cpuQuota}`);
  }
  if (r.pidsLimit !== undefined && (!Number.isInteger(r.pidsLimit) || r.pidsLimit < 1)) {
    throw invalid(`${field}.pidsLimit`, `must be a positive integer, got ${r.pidsLimit}`);
  }
}

function validateContainer(config: ContainerConfig): void {
  if (!config.metadata.name) throw invalid('metadata.name', 'must not be empty');
  if (!Number.isInteger(config.metadata.attempt) || config.metadata.attempt < 0) {
    throw invalid('metadata.attempt', `must be a non-negative integer, got ${config.metadata.attempt}`);
  }
  if (!config.image) throw invalid('image', 'must not be empty');
  if (!config.logPath || path.isAbsolute(config.logPath) || config.logPath.split('/').includes('..')) {
    throw invalid('logPath', `must be a relative path inside the log directory, got "${config.logPath}"`);
  }
  if (config.workingDir && !path.isAbsolute(config.workingDir)) throw invalid('workingDir', `must be an absolute path, got "${config.workingDir}"`);
  config.envs.forEach((e, i) => {
    if (!e.key || e.key.includes('=') || e.key.includes('\0')) throw invalid(`envs[${i}].key`, `invalid environment variable name "${e.key}"`);
  });
  config.mounts.forEach((m, i) => {
    if (!path.isAbsolute(m.containerPath)) throw invalid(`mounts[${i}].containerPath`, `must be an absolute path, got "${m.containerPath}"`);
    if (!path.isAbsolute(m.hostPath)) throw invalid(`mounts[${i}].hostPath`, `must be an absolute path, got "${m.hostPath}"`);
    if (m.containerPath.includes(':') || m.hostPath.includes(':')) throw invalid(`mounts[${i}]`, 'paths must not contain ":"');
  });
  validateResources(config);
}

/** The create options of an app container joining the sandbox `sandboxId`. */
export function containerCreateOptions(
  sandboxId: string,
  config: ContainerConfig,
  sandboxConfig: PodSandboxConfig,
  opts: { nodeName: string },
): Dockerode.ContainerCreateOptions {
  validateContainer(config);
  const r = config.linux.resources;
  const s = config.linux.security;
  const user = s.runAsUser === undefined ? undefined : s.runAsGroup === undefined ? String(s.runAsUser) : `${s.runAsUser}:${s.runAsGroup}`;
  const joined = `container:${sandboxId}`;
  const hostConfig: Dockerode.HostConfig = {
    NetworkMode: joined,
    IpcMode: sandboxConfig.linux.hostIpc ? 'host' : joined,
    PidMode: sandboxConfig.linux.hostPid ? 'host' : '',
    Binds: config.mounts.map((m) => `${m.hostPath}:${m.containerPath}${m.readonly ? ':ro' : ''}`),
    RestartPolicy: { Name: 'no' },
    LogConfig: { Type: 'json-file', Config: { 'max-size': ENGINE_LOG_MAX_SIZE, 'max-file': ENGINE_LOG_MAX_FILES } },
    ...(r.cpuPeriod !== undefined ? { CpuPeriod: r.cpuPeriod } : {}),
    ...(r.cpuQuota !== undefined ? { CpuQuota: r.cpuQuota } : {}),
    ...(r.cpuShares !== undefined ? { CpuShares: r.cpuShares } : {}),
    // Swap as large as memory: no swap, so exceeding the limit OOM-kills as in Kubernetes.
    ...(r.memoryLimitInBytes !== undefined ? { Memory: r.memoryLimitInBytes, MemorySwap: r.memoryLimitInBytes } : {}),
    ...(r.pidsLimit !== undefined ? { PidsLimit: r.pidsLimit } : {}),
    ...(r.oomScoreAdj !== undefined ? { OomScoreAdj: r.oomScoreAdj } : {}),
    ...(s.privileged ? { Privileged: true } : {}),
    ...(s.readonlyRootfs ? { ReadonlyRootfs: true } : {}),
    ...(s.capabilities ? { CapAdd: s.capabilities.add, CapDrop: s.capabilities.drop } : {}),
    ...(s.supplementalGroups?.length ? { GroupAdd: s.supplementalGroups.map(String) } : {}),
    ...(sandboxConfig.linux.cgroupParent ? { CgroupParent: sandboxConfig.linux.cgroupParent } : {}),
  };
  const meta = sandboxConfig.metadata;
  return {
    name: appContainerName(config.metadata, meta),
    Image: config.image,
    // An entrypoint override drops the image's cmd too (the engine's rule matches Kubernetes').
    ...(config.command.length ? { Entrypoint: config.command } : {}),
    ...(config.args.length ? { Cmd: config.args } : {}),
    Env: config.envs.map((e) => `${e.key}=${e.value}`),
    ...(config.workingDir ? { WorkingDir: config.workingDir } : {}),
    ...(user !== undefined ? { User: user } : {}),
    Tty: config.tty,
    OpenStdin: config.stdin,
    StdinOnce: config.stdinOnce,
    AttachStdin: false,
    AttachStdout: false,
    AttachStderr: false,
    Labels: {
      ...config.labels,
      [LABEL_CONTAINER_TYPE]: CONTAINER_TYPE_CONTAINER,
      [LABEL_SANDBOX_ID]: sandboxId,
      [LABEL_NODE]: opts.nodeName,
      [LABEL_METADATA]: JSON.stringify(config.metadata),
      [LABEL_ANNOTATIONS]: JSON.stringify(config.annotations),
      [LABEL_LOG_PATH]: path.join(sandboxConfig.logDirectory, config.logPath),
      [LABEL_MOUNTS]: JSON.stringify(config.mounts),
      [LABEL_IMAGE]: config.image,
    },
    HostConfig: hostConfig,
  };
}
