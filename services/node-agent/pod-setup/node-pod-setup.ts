/**
 * NodePodSetup: the node's PodSetup (pod-setup.ts) — Kubernetes' rules for what a pod needs before
 * its containers start: volumes on disk (volumes.ts), the sandbox config (hostname, log
 * directory, DNS, ports, labels), and each container's config (environment, expanded command
 * and args, mounts incl. /etc/hosts and the termination-message file, resources, security
 * context, labels and annotations, log path).
 */
import { readFileSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Logger } from 'pino';
import type { Container, Pod } from '../../../lib/api/types';
import type { ApiClient } from '../../../lib/client/api-client';
import {
  ANNOTATION_CONTAINER_HASH,
  ANNOTATION_RESTART_COUNT,
  LABEL_CONTAINER_NAME,
  LABEL_POD_NAME,
  LABEL_POD_NAMESPACE,
  LABEL_POD_UID,
  type ContainerConfig,
  type ContainerSecurity,
  type DnsConfig,
  type Mount,
  type PodSandboxConfig,
  type PortMapping,
} from '../runtime/runtime';
import { hashContainer } from './container-hash';
import { linuxResources } from './container-resources';
import { parseResolvConf, podDnsConfig } from './dns';
import { expandCommandAndArgs, resolveEnv } from './env';
import type { NodeAllocatable } from './field-ref';
import { hostsFileContent, podHostnameAndDomain } from './hosts-file';
import { apiObjectSource, type PodObjectSource } from './object-source';
import { apiTokenIssuer, PodTokenManager } from './pod-tokens';
import { ContainerConfigError, type ContainerRuntimeFacts, type PodSetup } from './pod-setup';
import { MASTER_SERVICE, podServiceEnv } from './service-env';
import { systemMounter, type Mounter } from './tmpfs';
import { VolumeManager, type EmptyDirOverLimit } from './volumes';

export const DEFAULT_CLUSTER_DNS = ['10.43.0.10'] as const;
export const DEFAULT_CLUSTER_DOMAIN = 'cluster.local';
export const DEFAULT_RESOLV_CONF = '/etc/resolv.conf';
/** Where a container's termination message goes when it names no path (Kubernetes'). */
export const DEFAULT_TERMINATION_MESSAGE_PATH = '/dev/termination-log';
export const ETC_HOSTS_PATH = '/etc/hosts';
/** More annotations the agent keeps on containers (the kubelet's names). */
export const ANNOTATION_TERMINATION_MESSAGE_PATH = 'io.kubernetes.container.terminationMessagePath';
export const ANNOTATION_TERMINATION_MESSAGE_POLICY = 'io.kubernetes.container.terminationMessagePolicy';
/** The termination-message file is writable by any user the container runs as. */
const TERMINATION_LOG_MODE = 0o666;
const ETC_HOSTS_MODE = 0o644;

/** How a NodePodSetup is built. One of `client` and `objects` is required. */
export interface NodePodSetupOptions {
  /** The API the ConfigMaps, Secrets, Services, claims and volumes are read through. */
  client?: ApiClient;
  /** Or any other source of them (an informer-backed one, a test's). */
  objects?: PodObjectSource;
  /** The agent's root directory: pods' volumes, /etc/hosts and termination files live under `<rootDir>/pods/<uid>`. */
  rootDir: string;
  /** Where pod log directories go (default `<rootDir>/logs/pods`, the kubelet's /var/log/pods). */
  logsRoot?: string;
  nodeName: string;
  /** Cluster DNS server addresses (default 10.43.0.10). */
  clusterDns?: readonly string[];
  clusterDomain?: string;
  /** The node's resolv.conf (Default policy, the searches ClusterFirst appends). */
  resolvConfPath?: string;
  /** What an unset limit means (default: this machine's CPUs and memory). */
  nodeAllocatable?: () => NodeAllocatable;
  /** tmpfs mounting (default mount(8) when root). */
  mounter?: Mounter;
  /** ServiceAccount tokens of projected volumes (default: TokenRequests through `client`; none without one). */
  tokens?: PodTokenManager;
  logger: Logger;
}

/** This machine's CPUs and memory, as allocatable. */
export function machineAllocatable(): NodeAllocatable {
  return { cpuMillis: os.cpus().length * 1000, memoryBytes: os.totalmem() };
}

interface SecurityContext {
  runAsUser?: number;
  runAsGroup?: number;
  supplementalGroups?: number[];
  fsGroup?: number;
  privileged?: boolean;
  readOnlyRootFilesystem?: boolean;
  capabilities?: { add?: string[]; drop?: string[] };
  sysctls?: { name?: string; value?: string }[];
}

/** The node's PodSetup (see the file comment). */
export class NodePodSetup implements PodSetup {
  private readonly objects: PodObjectSource;
  private readonly volumes: VolumeManager;
  private readonly logsRoot: string;
  private readonly clusterDns: string[];
  private readonly clusterDomain: string;
  private readonly nodeAllocatable: () => NodeAllocatable;
  private readonly logger: Logger;

  constructor(private readonly opts: NodePodSetupOptions) {
    if (!opts.objects && !opts.client) throw new Error('NodePodSetup: a client or an object source is required');
    this.objects = opts.objects ?? apiObjectSource(opts.client!);
    this.logsRoot = opts.logsRoot ?? path.join(opts.rootDir, 'logs', 'pods');
    this.clusterDns = [...(opts.clusterDns ?? DEFAULT_CLUSTER_DNS)];
    this.clusterDomain = opts.clusterDomain ?? DEFAULT_CLUSTER_DOMAIN;
    this.nodeAllocatable = opts.nodeAllocatable ?? machineAllocatable;
    this.logger = opts.logger.child({ part: 'pod-setup', node: opts.nodeName });
    const tokens = opts.tokens ?? (opts.client ? new PodTokenManager(apiTokenIssuer(opts.client)) : undefined);
    this.volumes = new VolumeManager({ rootDir: opts.rootDir, objects: this.objects, node: this.nodeAllocatable, mounter: opts.mounter ?? systemMounter, tokens, logger: this.logger });
  }

  volumeRefreshInMs(pod: Pod): number | undefined {
    return this.volumes.refreshInMs(pod.metadata.uid ?? '');
  }

  setUpVolumes(pod: Pod): Promise<void> {
    return this.volumes.setUp(pod);
  }

  tearDownVolumes(podUid: string): Promise<void> {
    return this.volumes.tearDown(podUid);
  }

  /** emptyDirs over their sizeLimit (an addition to PodSetup: the agent polls it and evicts such pods). */
  emptyDirsOverLimit(pod: Pod): Promise<EmptyDirOverLimit[]> {
    return this.volumes.emptyDirsOverLimit(pod);
  }

  /** The pod's log directory: `<logsRoot>/<namespace>_<name>_<uid>`. */
  podLogDirectory(pod: Pod): string {
    const m = pod.metadata;
    return path.join(this.logsRoot, `${m.namespace ?? 'default'}_${m.name ?? ''}_${m.uid ?? ''}`);
  }

  sandboxConfig(pod: Pod, attempt: number): PodSandboxConfig {
    const m = pod.metadata;
    const spec = pod.spec ?? {};
    const hostNetwork = spec.hostNetwork === true;
    const sc = (spec.securityContext ?? {}) as SecurityContext;
    const sysctls: Record<string, string> = {};
    for (const s of sc.sysctls ?? []) if (s.name) sysctls[s.name] = s.value ?? '';
    return {
      metadata: { name: m.name ?? '', namespace: m.namespace ?? 'default', uid: m.uid ?? '', attempt },
      hostname: hostNetwork ? os.hostname() : podHostnameAndDomain(pod, this.clusterDomain).hostname,
      logDirectory: this.podLogDirectory(pod),
      dnsConfig: podDnsConfig(pod, { clusterDns: this.clusterDns, clusterDomain: this.clusterDomain, host: this.hostDns() }),
      portMappings: portMappingsOf(pod),
      labels: { ...(m.labels ?? {}), [LABEL_POD_NAME]: m.name ?? '', [LABEL_POD_NAMESPACE]: m.namespace ?? 'default', [LABEL_POD_UID]: m.uid ?? '' },
      annotations: { ...(m.annotations ?? {}) },
      linux: {
        hostNetwork,
        hostPid: spec.hostPID === true,
        hostIpc: spec.hostIPC === true,
        ...(Object.keys(sysctls).length > 0 ? { sysctls } : {}),
      },
    };
  }

  async containerConfig(pod: Pod, container: Container, facts: ContainerRuntimeFacts): Promise<ContainerConfig> {
    const m = pod.metadata;
    const ns = m.namespace ?? 'default';
    const name = container.name ?? '';
    const serviceEnv = podServiceEnv(ns, pod.spec?.enableServiceLinks !== false, pod.spec?.enableServiceLinks === false ? [] : await this.objects.services(ns), await this.objects.service(MASTER_SERVICE.namespace, MASTER_SERVICE.name));
    const { env, invalidKeys } = await resolveEnv(pod, container, { objects: this.objects, facts, node: this.nodeAllocatable(), serviceEnv });
    if (invalidKeys.length > 0) this.logger.warn({ pod: `${ns}/${m.name ?? ''}`, container: name, keys: invalidKeys }, 'InvalidEnvironmentVariableNames: keys from envFrom skipped');
    const { command, args } = expandCommandAndArgs(container, env);
    const terminationMessagePath = container.terminationMessagePath || DEFAULT_TERMINATION_MESSAGE_PATH;
    return {
      metadata: { name, attempt: facts.attempt },
      image: container.image ?? '',
      command,
      args,
      ...(container.workingDir ? { workingDir: container.workingDir } : {}),
      envs: env,
      mounts: await this.mountsOf(pod, container, facts, terminationMessagePath),
      labels: { [LABEL_POD_NAME]: m.name ?? '', [LABEL_POD_NAMESPACE]: ns, [LABEL_POD_UID]: m.uid ?? '', [LABEL_CONTAINER_NAME]: name },
      annotations: {
        [ANNOTATION_CONTAINER_HASH]: hashContainer(container),
        [ANNOTATION_RESTART_COUNT]: String(facts.attempt),
        [ANNOTATION_TERMINATION_MESSAGE_PATH]: terminationMessagePath,
        [ANNOTATION_TERMINATION_MESSAGE_POLICY]: String(container.terminationMessagePolicy || 'File'),
      },
      logPath: `${name}/${facts.attempt}.log`,
      stdin: container.stdin === true,
      stdinOnce: container.stdinOnce === true,
      tty: container.tty === true,
      linux: { resources: linuxResources(container), security: securityOf(pod, container) },
    };
  }

  /** The node's resolv.conf, read each time (it may change); empty when unreadable. */
  private hostDns(): DnsConfig {
    try {
      return parseResolvConf(readFileSync(this.opts.resolvConfPath ?? DEFAULT_RESOLV_CONF, 'utf8'));
    } catch {
      return { servers: [], searches: [], options: [] };
    }
  }

  private async mountsOf(pod: Pod, container: Container, facts: ContainerRuntimeFacts, terminationMessagePath: string): Promise<Mount[]> {
    const name = container.name ?? '';
    const mounts: Mount[] = [];
    for (const [i, vm] of (container.volumeMounts ?? []).entries()) {
      if (!vm.mountPath) throw new ContainerConfigError(`volumeMounts[${i}].mountPath: Required value`);
      const where = await this.volumes.hostPathOf(pod, vm.name ?? '', name);
      let hostPath = where.path;
      if (vm.subPath) {
        const sub = path.normalize(vm.subPath);
        if (path.isAbsolute(vm.subPath) || sub === '..' || sub.startsWith('../')) throw new ContainerConfigError(`volumeMounts[${i}].subPath: Invalid value: "${vm.subPath}": must be a relative path not containing '..'`);
        hostPath = path.join(where.path, sub);
        // A subPath that does not exist yet becomes a directory (Kubernetes'); one that exists is resolved through ..data links.
        const real = await fs.realpath(hostPath).catch(() => undefined);
        if (real) hostPath = real;
        else if (!where.readOnly) await fs.mkdir(hostPath, { recursive: true, mode: 0o755 });
        else throw new ContainerConfigError(`volumeMounts[${i}].subPath: "${vm.subPath}" does not exist in volume "${vm.name ?? ''}"`);
      }
      const st = await fs.stat(hostPath).catch(() => undefined);
      mounts.push({ containerPath: vm.mountPath, hostPath, readonly: vm.readOnly === true || where.readOnly, ...(st?.isFile() ? { isFile: true } : {}) });
    }
    const podDir = this.volumes.podDir(pod.metadata.uid ?? '');
    const hostNetwork = pod.spec?.hostNetwork === true;
    if (!hostNetwork && facts.podIPs.length + (facts.podIP ? 1 : 0) > 0 && !mounts.some((mt) => mt.containerPath === ETC_HOSTS_PATH)) {
      const hostsFile = path.join(podDir, 'etc-hosts');
      await fs.mkdir(podDir, { recursive: true });
      const ips = facts.podIPs.length > 0 ? facts.podIPs : [facts.podIP];
      await fs.writeFile(hostsFile, hostsFileContent(pod, ips, this.clusterDomain), { mode: ETC_HOSTS_MODE });
      mounts.push({ containerPath: ETC_HOSTS_PATH, hostPath: hostsFile, readonly: false, isFile: true });
    }
    if (!mounts.some((mt) => mt.containerPath === terminationMessagePath)) {
      const dir = path.join(podDir, 'containers', name);
      await fs.mkdir(dir, { recursive: true });
      const file = path.join(dir, `termination-log-${facts.attempt}`);
      await (await fs.open(file, 'w')).close();
      await fs.chmod(file, TERMINATION_LOG_MODE);
      mounts.push({ containerPath: terminationMessagePath, hostPath: file, readonly: false, isFile: true });
    }
    return mounts;
  }
}

/** Every container's ports (Kubernetes maps the app containers' ports on the sandbox). */
function portMappingsOf(pod: Pod): PortMapping[] {
  const out: PortMapping[] = [];
  for (const c of pod.spec?.containers ?? []) {
    for (const [i, p] of (c.ports ?? []).entries()) {
      const protocol = (p.protocol || 'TCP').toUpperCase();
      if (protocol !== 'TCP' && protocol !== 'UDP' && protocol !== 'SCTP') throw new ContainerConfigError(`containers[${c.name ?? ''}].ports[${i}].protocol: Unsupported value: "${p.protocol}"`);
      out.push({ protocol, containerPort: p.containerPort ?? 0, ...(p.hostPort ? { hostPort: p.hostPort } : {}), ...(p.hostIP ? { hostIp: p.hostIP } : {}) });
    }
  }
  return out;
}

/** The container's security settings: the container's securityContext over the pod's. */
function securityOf(pod: Pod, container: Container): ContainerSecurity {
  const podSc = (pod.spec?.securityContext ?? {}) as SecurityContext;
  const sc = (container.securityContext ?? {}) as SecurityContext;
  const out: ContainerSecurity = {};
  const runAsUser = sc.runAsUser ?? podSc.runAsUser;
  const runAsGroup = sc.runAsGroup ?? podSc.runAsGroup;
  if (runAsUser !== undefined) out.runAsUser = runAsUser;
  if (runAsGroup !== undefined) out.runAsGroup = runAsGroup;
  const groups = [...(podSc.supplementalGroups ?? []), ...(podSc.fsGroup !== undefined ? [podSc.fsGroup] : [])];
  if (groups.length > 0) out.supplementalGroups = [...new Set(groups)];
  if (sc.privileged !== undefined) out.privileged = sc.privileged;
  if (sc.readOnlyRootFilesystem !== undefined) out.readonlyRootfs = sc.readOnlyRootFilesystem;
  if (sc.capabilities) out.capabilities = { add: sc.capabilities.add ?? [], drop: sc.capabilities.drop ?? [] };
  return out;
}

