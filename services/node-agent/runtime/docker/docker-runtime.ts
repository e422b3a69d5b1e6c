/**
 * The `docker` runtime: the Runtime contract (runtime.ts) on the Docker Engine API through
 * dockerode, dockershim's design.
 *
 * - A sandbox container per pod (the sandbox image's `sh` sleeping as PID 1) owns the pod's
 *   network (the node's pod network, see pod-network.ts; `host` for hostNetwork), its IPC
 *   namespace (`shareable`), hostname and resolv.conf; app containers join them with
 *   `container:<sandbox id>` modes and so share its IP, loopback, /etc/hosts and resolv.conf.
 * - All state lives on the engine, in container labels (docker-labels.ts): a new DockerRuntime
 *   for the same node lists the same sandboxes and containers. Several nodes may share one
 *   engine; each sees only containers labelled with its node name.
 * - Logs: the engine's json-file log, copied into the CRI file by the node's LogShipper
 *   (cri-log-copier.ts states the tradeoff), by default in a detached process of its own.
 * - Before updateRuntimeConfig gives a podCIDR, pods join the engine's default bridge network
 *   (private addresses that reach each other on this node only); status() says which.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Duplex } from 'node:stream';
import Dockerode from 'dockerode';
import type { Logger } from 'pino';
import {
  ContainerConfig,
  ContainerEvent,
  ContainerEventType,
  ContainerFilter,
  ContainerStats,
  ContainerStatus,
  ExecSyncResult,
  Image,
  PodSandboxConfig,
  PodSandboxStatus,
  Runtime,
  RuntimeError,
  RuntimeStatus,
  SandboxFilter,
  StreamOptions,
  StreamSession,
} from '../runtime';
import {
  CONTAINER_TYPE_CONTAINER,
  CONTAINER_TYPE_SANDBOX,
  LABEL_CONTAINER_TYPE,
  LABEL_LOG_PATH,
  LABEL_NODE,
  LABEL_SANDBOX_ID,
} from './docker-labels';
import * as images from './docker-images';
import { containerCreateOptions, sandboxCreateOptions, SandboxNetwork } from './docker-spec';
import { containerStats, containerStatus, sandboxStatus } from './docker-status';
import { attachStream, execStream, execSync, portForwardStream } from './docker-streams';
import { EngineEvents } from './engine-events';
import { ensureDetachedLogShipper } from './detached-log-shipper';
import { acquireLogShipper, sharedLogShipper } from './log-shipper';
import { ensurePodNetwork, podNetworkName } from './pod-network';
import { engineMessage, statusCode } from './engine-errors';

export const DEFAULT_DOCKER_SOCKET = '/var/run/docker.sock';
/** The sandbox image when none is configured: the project's offline busybox (it has `sh`, `sleep` and `nc`). */
export const DEFAULT_SANDBOX_IMAGE = 'busybox:latest';
export const DEFAULT_CLUSTER_CIDR = '10.42.0.0/16';
/** The engine's default bridge, used until the node has a podCIDR. */
const DEFAULT_ENGINE_NETWORK = 'bridge';
/** Engine API calls that do not stream give up after this long, ms. */
const ENGINE_CALL_TIMEOUT_MS = 60_000;

export interface DockerRuntimeOptions {
  /** The engine's unix socket (default /var/run/docker.sock); ignored when `docker` is given. */
  socketPath?: string;
  docker?: Dockerode;
  /** The node this runtime serves; its containers carry it in a label. */
  nodeName: string;
  /** The agent's state directory: the detached log shipper's pid file and its log live there. */
  rootDir: string;
  logger: Logger;
  /** The image of sandbox containers; it must be present (imported) and have sh, sleep and nc. */
  sandboxImage?: string;
  /** The cluster's pod range: pods of this node may forward to it (other nodes' pods). */
  clusterCIDR?: string;
  /**
   * Who copies container output into the CRI files: `detached` (default) — the node's own
   * shipper process, started when none runs, which outlives the agent (stop it with
   * stopDetachedLogShipper when the node goes away); `in-process` — this process, while a runtime
   * object is open (tests, or when nothing must be logged without an agent); `external` — someone
   * else already runs one.
   */
  logShipper?: 'detached' | 'in-process' | 'external';
}

/** Inspections kept for relists (dropped all at once beyond this, e.g. after much churn). */
const MAX_CACHED_INSPECTIONS = 5_000;

export class DockerRuntime implements Runtime {
  readonly name = 'docker';
  /** Container id → its last inspection and the listed state it was taken in (see inspectAll). */
  private readonly inspections = new Map<string, { state: string; info: Dockerode.ContainerInspectInfo }>();
  private podNetwork: { name: string; podCIDR: string; crossNode: boolean } | null = null;
  private releaseShipper: (() => void) | null = null;

  private constructor(
    private readonly docker: Dockerode,
    private readonly opts: Required<Pick<DockerRuntimeOptions, 'nodeName' | 'sandboxImage' | 'clusterCIDR'>> & { logger: Logger },
    private readonly events: EngineEvents,
  ) {}

  /** This process's log shipper for the node, when it runs one. */
  private get shipper() {
    return this.releaseShipper ? sharedLogShipper(this.docker, this.opts.nodeName) : undefined;
  }

  /** Connects to the engine (RuntimeError('Internal') when it does not answer), adopts the node's pod network if it exists, and starts copying logs. */
  static async open(options: DockerRuntimeOptions): Promise<DockerRuntime> {
    if (!options.nodeName) throw new RuntimeError('InvalidConfig', 'nodeName: must not be empty');
    const docker = options.docker ?? new Dockerode({ socketPath: options.socketPath ?? DEFAULT_DOCKER_SOCKET, timeout: ENGINE_CALL_TIMEOUT_MS });
    try {
      await docker.ping();
    } catch (err) {
      throw new RuntimeError('Internal', `docker engine at ${options.socketPath ?? DEFAULT_DOCKER_SOCKET} does not answer: ${engineMessage(err)}`, { cause: err });
    }
    const logger = options.logger.child({ runtime: 'docker', node: options.nodeName });
    const events = new EngineEvents(docker, options.nodeName, logger);
    const rt = new DockerRuntime(
      docker,
      {
        nodeName: options.nodeName,
        sandboxImage: options.sandboxImage ?? DEFAULT_SANDBOX_IMAGE,
        clusterCIDR: options.clusterCIDR ?? DEFAULT_CLUSTER_CIDR,
        logger,
      },
      events,
    );
    await rt.adoptPodNetwork();
    const shipper = options.logShipper ?? 'detached';
    if (shipper === 'in-process') rt.releaseShipper = await acquireLogShipper(docker, options.nodeName, logger);
    if (shipper === 'detached') {
      const socketPath = (docker.modem as { socketPath?: string }).socketPath;
      if (!socketPath) throw new RuntimeError('InvalidConfig', 'logShipper: "detached" needs an engine reached by its unix socket');
      await ensureDetachedLogShipper({ rootDir: options.rootDir, nodeName: options.nodeName, socketPath });
    }
    return rt;
  }

  private async adoptPodNetwork(): Promise<void> {
    try {
      const net = (await this.docker.getNetwork(podNetworkName(this.opts.nodeName)).inspect()) as Dockerode.NetworkInspectInfo;
      const podCIDR = net.IPAM?.Config?.[0]?.Subnet;
      if (podCIDR) await this.updateRuntimeConfig({ podCIDR });
    } catch (err) {
      if (statusCode(err) !== 404) throw err;
    }
  }

  async version(): Promise<{ runtimeName: string; runtimeVersion: string }> {
    const v = await this.docker.version();
    return { runtimeName: 'docker', runtimeVersion: v.Version };
  }

  async status(): Promise<RuntimeStatus> {
    let ready = true;
    let message = '';
    try {
      await this.docker.ping();
    } catch (err) {
      ready = false;
      message = `docker engine does not answer: ${engineMessage(err)}`;
    }
    const net = this.podNetwork;
    return {
      conditions: [
        { type: 'RuntimeReady', status: ready, reason: ready ? '' : 'DockerDaemonNotReady', message },
        { type: 'NetworkReady', status: ready, reason: ready ? '' : 'DockerDaemonNotReady', message },
      ],
      info: net
        ? { podNetwork: net.name, podCIDR: net.podCIDR, crossNodeForwarding: String(net.crossNode) }
        : { podNetwork: DEFAULT_ENGINE_NETWORK, podCIDR: '', note: 'no podCIDR yet: pods use the engine default bridge' },
    };
  }

  async updateRuntimeConfig(config: { podCIDR: string }): Promise<void> {
    if (this.podNetwork?.podCIDR === config.podCIDR) return;
    const net = await ensurePodNetwork(this.docker, { nodeName: this.opts.nodeName, podCIDR: config.podCIDR, clusterCIDR: this.opts.clusterCIDR });
    this.podNetwork = { ...net, podCIDR: config.podCIDR };
    if (!net.crossNode) this.opts.logger.warn({ podCIDR: config.podCIDR }, 'no iptables: pods on other nodes of this engine may be unreachable');
  }

  // --- sandboxes -----------------------------------------------------------------------------

  async runPodSandbox(config: PodSandboxConfig): Promise<string> {
    const network: SandboxNetwork = config.linux.hostNetwork
      ? { mode: 'host' }
      : { mode: 'network', name: this.podNetwork?.name ?? DEFAULT_ENGINE_NETWORK };
    const create = sandboxCreateOptions(config, { nodeName: this.opts.nodeName, image: this.opts.sandboxImage, network });
    if (!(await images.imageStatus(this.docker, this.opts.sandboxImage))) {
      throw new RuntimeError('SandboxFailed', `sandbox image ${this.opts.sandboxImage} is not present on the docker engine; import it (bosun image import --runtime docker)`);
    }
    await fs.promises.mkdir(config.logDirectory, { recursive: true });
    const container = await this.createReplacingStale(create, 'SandboxFailed');
    try {
      await container.start();
    } catch (err) {
      await container.remove({ force: true }).catch(() => undefined);
      throw new RuntimeError('SandboxFailed', `cannot start sandbox for pod ${config.metadata.namespace}/${config.metadata.name}: ${engineMessage(err)}`, { cause: err });
    }
    if (config.dnsConfig) await this.rewriteResolvConf(container.id, config.dnsConfig);
    return container.id;
  }

  /**
   * On its own networks the engine points resolv.conf at its embedded resolver (127.0.0.11);
   * pods must see the cluster DNS itself, so the sandbox's resolv.conf (which the app containers
   * share) is rewritten from the DnsConfig, as dockershim did. Needs the engine's files on this
   * host; otherwise the engine's forwarder to the same servers stays, with a warning.
   */
  private async rewriteResolvConf(sandboxId: string, dns: NonNullable<PodSandboxConfig['dnsConfig']>): Promise<void> {
    const info = await this.docker.getContainer(sandboxId).inspect();
    const lines = [
      ...(dns.searches.length ? [`search ${dns.searches.join(' ')}`] : []),
      ...dns.servers.map((s) => `nameserver ${s}`),
      ...(dns.options.length ? [`options ${dns.options.join(' ')}`] : []),
    ];
    try {
      await fs.promises.writeFile(info.ResolvConfPath, `${lines.join('\n')}\n`);
    } catch (err) {
      this.opts.logger.warn({ sandboxId, err: (err as Error).message }, 'cannot rewrite the sandbox resolv.conf; the engine\'s DNS forwarder stays');
    }
  }

  /**
   * Creates a container; a leftover of ours with the same name that is not running (a failed
   * earlier attempt) is removed first, as dockershim did.
   */
  private async createReplacingStale(create: Dockerode.ContainerCreateOptions, code: 'SandboxFailed' | 'InvalidConfig'): Promise<Dockerode.Container> {
    for (let tries = 0; ; tries++) {
      try {
        return await this.docker.createContainer(create);
      } catch (err) {
        const status = statusCode(err);
        if (status === 409 && tries === 0) {
          const stale = await this.inspectOwn(create.name!, null);
          if (stale && !stale.State.Running) {
            await this.docker.getContainer(stale.Id).remove({ force: true }).catch(() => undefined);
            continue;
          }
        }
        if (status === 404) throw new RuntimeError('InvalidConfig', `image ${create.Image} is not present: ${engineMessage(err)}`, { cause: err });
        throw new RuntimeError(code, `cannot create container ${create.name}: ${engineMessage(err)}`, { cause: err });
      }
    }
  }

  /** Inspects a container of this node (of `type`, when given); null when absent or someone else's. */
  private async inspectOwn(id: string, type: string | null): Promise<Dockerode.ContainerInspectInfo | null> {
    let info: Dockerode.ContainerInspectInfo;
    try {
      info = await this.docker.getContainer(id).inspect();
    } catch (err) {
      if (statusCode(err) === 404) return null;
      throw new RuntimeError('Internal', `cannot inspect container ${id}: ${engineMessage(err)}`, { cause: err });
    }
    const labels = info.Config.Labels ?? {};
    if (labels[LABEL_NODE] !== this.opts.nodeName) return null;
    if (type !== null && labels[LABEL_CONTAINER_TYPE] !== type) return null;
    return info;
  }

  private async mustInspect(id: string, type: string): Promise<Dockerode.ContainerInspectInfo> {
    const info = await this.inspectOwn(id, type);
    if (!info) throw new RuntimeError('NotFound', `${type === CONTAINER_TYPE_SANDBOX ? 'pod sandbox' : 'container'} ${id} not found`);
    return info;
  }

  /** Ids of this node's containers of `type` matching the engine-side label filters. */
  private async listIds(type: string, labelSelector: Record<string, string> = {}, extra: Record<string, string> = {}): Promise<string[]> {
    return (await this.listEntries(type, labelSelector, extra)).map((c) => c.Id);
  }

  /** This node's containers of `type` matching the labels, as the engine lists them (id and state). */
  private async listEntries(type: string, labelSelector: Record<string, string> = {}, extra: Record<string, string> = {}): Promise<Dockerode.ContainerInfo[]> {
    const label = [`${LABEL_NODE}=${this.opts.nodeName}`, `${LABEL_CONTAINER_TYPE}=${type}`];
    for (const [k, v] of Object.entries({ ...labelSelector, ...extra })) label.push(`${k}=${v}`);
    return this.docker.listContainers({ all: true, filters: { label } });
  }

  /**
   * The inspections of listed containers. The agent relists every second, so an inspection is
   * reused while the engine reports the container in the same state (created, running, exited):
   * nothing it reads changes within a state, and one inspect per container per second would
   * keep the engine busy with a hundred pods.
   */
  private async inspectAll(entries: Dockerode.ContainerInfo[], type: string): Promise<Dockerode.ContainerInspectInfo[]> {
    if (this.inspections.size > MAX_CACHED_INSPECTIONS) this.inspections.clear();
    const infos = await Promise.all(
      entries.map(async (entry) => {
        const cached = this.inspections.get(entry.Id);
        if (cached && cached.state === entry.State) return cached.info;
        const info = await this.inspectOwn(entry.Id, type);
        if (info) this.inspections.set(entry.Id, { state: entry.State, info });
        return info;
      }),
    );
    return infos.filter((i): i is Dockerode.ContainerInspectInfo => i !== null);
  }

  async stopPodSandbox(id: string): Promise<void> {
    const sandbox = await this.inspectOwn(id, CONTAINER_TYPE_SANDBOX);
    if (!sandbox) return;
    const members = await this.listIds(CONTAINER_TYPE_CONTAINER, {}, { [LABEL_SANDBOX_ID]: sandbox.Id });
    await Promise.all(members.map((c) => this.stopContainer(c, 0)));
    await this.stopEngineContainer(sandbox.Id, 0);
  }

  async removePodSandbox(id: string): Promise<void> {
    const sandbox = await this.inspectOwn(id, CONTAINER_TYPE_SANDBOX);
    if (!sandbox) return;
    const members = await this.listIds(CONTAINER_TYPE_CONTAINER, {}, { [LABEL_SANDBOX_ID]: sandbox.Id });
    await Promise.all(members.map((c) => this.removeContainer(c)));
    await this.removeEngineContainer(sandbox.Id);
  }

  async podSandboxStatus(id: string): Promise<PodSandboxStatus> {
    return sandboxStatus(await this.mustInspect(id, CONTAINER_TYPE_SANDBOX));
  }

  async listPodSandboxes(filter: SandboxFilter = {}): Promise<PodSandboxStatus[]> {
    const infos = await this.inspectAll(await this.listEntries(CONTAINER_TYPE_SANDBOX, filter.labelSelector), CONTAINER_TYPE_SANDBOX);
    return infos.map(sandboxStatus).filter((s) => !filter.state || s.state === filter.state);
  }

  // --- containers ----------------------------------------------------------------------------

  async createContainer(podSandboxId: string, config: ContainerConfig, sandboxConfig: PodSandboxConfig): Promise<string> {
    const sandbox = await this.mustInspect(podSandboxId, CONTAINER_TYPE_SANDBOX);
    const create = containerCreateOptions(sandbox.Id, config, sandboxConfig, { nodeName: this.opts.nodeName });
    const logPath = create.Labels![LABEL_LOG_PATH];
    const container = await this.createReplacingStale(create, 'InvalidConfig');
    // The CRI file exists from creation on, so a reader can open it before the first line.
    await fs.promises.mkdir(path.dirname(logPath), { recursive: true });
    await fs.promises.writeFile(logPath, '', { flag: 'a' });
    return container.id;
  }

  async startContainer(id: string): Promise<void> {
    const info = await this.mustInspect(id, CONTAINER_TYPE_CONTAINER);
    try {
      await this.docker.getContainer(info.Id).start();
    } catch (err) {
      if (statusCode(err) === 304) return; // already running
      throw new RuntimeError('InvalidConfig', `cannot start container ${info.Name.replace(/^\//, '')}: ${engineMessage(err)}`, { cause: err });
    }
    await this.shipper?.follow(info.Id);
  }

  async stopContainer(id: string, timeoutSeconds: number): Promise<void> {
    const info = await this.inspectOwn(id, CONTAINER_TYPE_CONTAINER);
    if (!info) return;
    await this.stopEngineContainer(info.Id, Math.max(0, Math.ceil(timeoutSeconds)));
  }

  /** Stops (signal, then SIGKILL after `graceSeconds`); not running or gone is fine. */
  private async stopEngineContainer(id: string, graceSeconds: number): Promise<void> {
    try {
      await this.docker.getContainer(id).stop({ t: graceSeconds });
    } catch (err) {
      const status = statusCode(err);
      if (status === 304 || status === 404) return;
      throw new RuntimeError('Internal', `cannot stop container ${id}: ${engineMessage(err)}`, { cause: err });
    }
  }

  private async removeEngineContainer(id: string): Promise<void> {
    try {
      await this.docker.getContainer(id).remove({ force: true });
    } catch (err) {
      if (statusCode(err) === 404) return;
      // 409: removal already in progress — the engine finishes it.
      if (statusCode(err) === 409 && /already in progress/.test(engineMessage(err))) return;
      throw new RuntimeError('Internal', `cannot remove container ${id}: ${engineMessage(err)}`, { cause: err });
    }
  }

  async removeContainer(id: string): Promise<void> {
    const info = await this.inspectOwn(id, CONTAINER_TYPE_CONTAINER);
    if (!info) return;
    this.shipper?.forget(info.Id);
    await this.removeEngineContainer(info.Id);
    const logPath = info.Config.Labels?.[LABEL_LOG_PATH];
    if (logPath) await fs.promises.rm(logPath, { force: true });
  }

  async containerStatus(id: string): Promise<ContainerStatus> {
    return containerStatus(await this.mustInspect(id, CONTAINER_TYPE_CONTAINER));
  }

  async listContainers(filter: ContainerFilter = {}): Promise<ContainerStatus[]> {
    const extra: Record<string, string> = filter.podSandboxId ? { [LABEL_SANDBOX_ID]: await this.sandboxEngineId(filter.podSandboxId) } : {};
    const infos = await this.inspectAll(await this.listEntries(CONTAINER_TYPE_CONTAINER, filter.labelSelector, extra), CONTAINER_TYPE_CONTAINER);
    return infos.map(containerStatus).filter((c) => !filter.state || c.state === filter.state);
  }

  /** The full id of a sandbox given by (possibly short) id; an unknown one yields an id no container carries. */
  private async sandboxEngineId(id: string): Promise<string> {
    return (await this.inspectOwn(id, CONTAINER_TYPE_SANDBOX))?.Id ?? id;
  }

  // --- streaming -----------------------------------------------------------------------------

  private async mustRun(id: string, type: string): Promise<Dockerode.ContainerInspectInfo> {
    const info = await this.mustInspect(id, type);
    if (!info.State.Running) throw new RuntimeError('InvalidConfig', `container ${info.Name.replace(/^\//, '')} is not running`);
    return info;
  }

  async execSync(containerId: string, cmd: string[], timeoutMs: number): Promise<ExecSyncResult> {
    const info = await this.mustRun(containerId, CONTAINER_TYPE_CONTAINER);
    return execSync(this.docker, info.Id, cmd, timeoutMs);
  }

  async exec(containerId: string, cmd: string[], options: StreamOptions): Promise<StreamSession> {
    const info = await this.mustRun(containerId, CONTAINER_TYPE_CONTAINER);
    return execStream(this.docker, info.Id, cmd, options);
  }

  async attach(containerId: string, options: StreamOptions): Promise<StreamSession> {
    const info = await this.mustRun(containerId, CONTAINER_TYPE_CONTAINER);
    return attachStream(this.docker, info.Id, options);
  }

  async portForward(podSandboxId: string, port: number): Promise<Duplex> {
    const info = await this.mustRun(podSandboxId, CONTAINER_TYPE_SANDBOX);
    return portForwardStream(this.docker, info.Id, port);
  }

  // --- stats, events, images -----------------------------------------------------------------

  async containerStats(id: string): Promise<ContainerStats | null> {
    const info = await this.mustInspect(id, CONTAINER_TYPE_CONTAINER);
    if (!info.State.Running) return null;
    try {
      const s = (await this.docker.getContainer(info.Id).stats({ stream: false })) as Dockerode.ContainerStats;
      return containerStats(info.Id, info.Config.Labels?.[LABEL_SANDBOX_ID] ?? '', s, Date.now());
    } catch (err) {
      if (statusCode(err) === 404) return null;
      throw new RuntimeError('Internal', `cannot read stats of container ${id}: ${engineMessage(err)}`, { cause: err });
    }
  }

  async listContainerStats(filter: ContainerFilter = {}): Promise<ContainerStats[]> {
    const running = await this.listContainers({ ...filter, state: 'running' });
    const stats = await Promise.all(running.map((c) => this.containerStats(c.id).catch(() => null)));
    return stats.filter((s): s is ContainerStats => s !== null);
  }

  onContainerEvent(listener: (event: ContainerEvent) => void): () => void {
    const types: Record<string, ContainerEventType> = { create: 'created', start: 'started', die: 'stopped', destroy: 'deleted' };
    return this.events.subscribe((e) => {
      const type = types[e.action];
      if (!type || e.attributes[LABEL_CONTAINER_TYPE] !== CONTAINER_TYPE_CONTAINER) return;
      listener({ type, containerId: e.id, podSandboxId: e.attributes[LABEL_SANDBOX_ID] ?? '', timestamp: Number(e.timeNano / 1_000_000n) });
    });
  }

  /** Resolves once the CRI log of `id` holds everything the engine had when the container stopped (tests, `kubectl logs` of a finished container). */
  async logsFlushed(id: string): Promise<void> {
    await this.shipper?.flushed(id);
  }

  pullImage(image: string): Promise<string> {
    return images.pullImage(this.docker, image);
  }

  imageStatus(image: string): Promise<Image | null> {
    return images.imageStatus(this.docker, image);
  }

  listImages(): Promise<Image[]> {
    return images.listImages(this.docker);
  }

  removeImage(image: string): Promise<void> {
    return images.removeImage(this.docker, image);
  }

  async close(): Promise<void> {
    this.releaseShipper?.();
    this.releaseShipper = null;
    this.events.close();
  }
}
