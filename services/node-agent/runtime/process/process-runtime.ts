/**
 * The `process` runtime (Nomad's exec driver is the model): containers are local processes,
 * each started and watched by its own native monitor (native/bosun-monitor.c) that outlives the
 * agent, writes the CRI log and records the exit.
 *
 * As root: each pod sandbox gets a network namespace with a veth into the node's bridge and an
 * address from the node's podCIDR; each container gets its own mount, PID, UTS and IPC
 * namespaces, pivot_root'ed into an overlayfs view of its image (upper dir per container), with
 * its mounts, a minimal /proc /dev /sys, its user, environment and working directory, under
 * cgroup limits (v1 or v2).
 *
 * Without root: no namespaces, no root change (chroot needs root too), no cgroups. A container
 * is a plain host process on the host network, started in its image's directory
 * (`<rootfs>/<workingDir>`) with the image's bin directories first on PATH, so a static binary
 * such as busybox runs; absolute paths and mounts resolve on the host. status() says so:
 * NetworkReady false (`NoPodNetworkWithoutRoot`), info.podNetwork = 'host', info.isolation = 'none'.
 *
 * All state lives in files under rootDir (runtime-records.ts): a new ProcessRuntime on the same
 * root sees the same sandboxes and containers, and running ones keep running meanwhile.
 */
import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Duplex } from 'node:stream';
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
  RuntimeCondition,
  RuntimeError,
  RuntimeStatus,
  SandboxFilter,
  StreamOptions,
  StreamSession,
} from '../runtime';
import { Cgroups } from './cgroups';
import { attachTo, execIn, execSyncIn, ExecTarget, relayTo } from './container-streams';
import { containerArgv, containerCwd, containerEnv, containerUser, ContainerSpecError, validateMounts } from './container-spec';
import { ImageRefError } from './image-ref';
import { ImageNotFoundError, ImageStore, ImportOptions } from './image-store';
import { hostPathEnv, MonitorPlan, monitorRunArgs, overlayDirs, withSandboxFiles } from './monitor-args';
import { ensureMonitorBinary } from './monitor-binary';
import { NodeNetwork } from './node-network';
import { bridgeNameFor, holdsNetns, IFNAME_MAX_CHARS } from './pod-network';
import {
  CONTAINER_FILE,
  ContainerRecord,
  exitReason,
  FINAL_FILE,
  FinalRecord,
  observedState,
  SANDBOX_FILE,
  SandboxRecord,
} from './runtime-records';
import { runCommand } from '../../../../lib/run-command';
import { writeSandboxFiles } from './sandbox-files';
import { listDirs, newId, readJsonIfExists, writeJsonAtomic } from './state-files';

export const RUNTIME_NAME = 'process';
export const RUNTIME_VERSION = '0.1.0';
/** How often a stop looks for the monitor's exit record. */
const STOP_POLL_INTERVAL_MS = 20;
/** How long a SIGKILLed container may take to be recorded as exited before stop gives up. */
const KILL_WAIT_MS = 10_000;
/** How often exits are looked for while someone listens for container events. */
const EXIT_WATCH_INTERVAL_MS = 250;
/** Exit code the monitor records when the process could not be started. */
const EXIT_START_FAILED = 128;
const HOST_NETNS = '-';

export interface ProcessRuntimeOptions {
  /** Where sandboxes, containers, IPAM and (by default) images live. */
  rootDir: string;
  nodeName: string;
  logger: Logger;
  /** The node's bridge (≤ 15 characters); default derived from nodeName. */
  bridgeName?: string;
  /** An image store shared by several nodes on one machine; default `<rootDir>/images`. */
  imageStoreDir?: string;
  /** The cgroup all containers go under (relative to the hierarchy roots); default `bosun/<nodeName>`. */
  cgroupRoot?: string;
  /** Run as if without root (tests of the unprivileged mode); default: whether uid is 0. */
  unprivileged?: boolean;
  /** A prebuilt monitor; default: compiled on demand (monitor-binary.ts). */
  monitorPath?: string;
}

/** Refuses unusable options, naming the option. */
function validateOptions(o: ProcessRuntimeOptions): void {
  const bad = (option: string, why: string): never => {
    throw new RuntimeError('InvalidConfig', `process runtime option ${option}: ${why}`);
  };
  if (!o.rootDir || !path.isAbsolute(o.rootDir)) bad('rootDir', `must be an absolute path, got "${o.rootDir}"`);
  if (!o.nodeName) bad('nodeName', 'must not be empty');
  if (o.bridgeName !== undefined && !new RegExp(`^[A-Za-z0-9_.-]{1,${IFNAME_MAX_CHARS}}$`).test(o.bridgeName)) {
    bad('bridgeName', `must be 1..${IFNAME_MAX_CHARS} letters, digits, "_", "." or "-", got "${o.bridgeName}"`);
  }
  if (o.imageStoreDir !== undefined && !path.isAbsolute(o.imageStoreDir)) bad('imageStoreDir', `must be an absolute path, got "${o.imageStoreDir}"`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function matchesLabels(labels: Record<string, string>, selector?: Record<string, string>): boolean {
  return Object.entries(selector ?? {}).every(([k, v]) => labels[k] === v);
}

function sanitizeCgroupPart(s: string): string {
  return s.replace(/[^A-Za-z0-9_.-]/g, '_');
}

export class ProcessRuntime implements Runtime {
  readonly name = RUNTIME_NAME;
  readonly images: ImageStore;
  private readonly events = new EventEmitter();
  private exitWatch?: NodeJS.Timeout;
  private readonly reportedExits = new Set<string>();
  private readonly network: NodeNetwork;

  private constructor(
    private readonly opts: ProcessRuntimeOptions,
    private readonly privileged: boolean,
    private readonly cgroups: Cgroups | null,
    readonly monitorPath: string,
  ) {
    this.network = new NodeNetwork(opts.rootDir, opts.bridgeName ?? bridgeNameFor(opts.nodeName));
    this.images = new ImageStore(opts.imageStoreDir ?? path.join(opts.rootDir, 'images'));
    fs.mkdirSync(this.sandboxesDir, { recursive: true });
    fs.mkdirSync(this.containersDir, { recursive: true });
  }

  /** Opens (or reopens) the runtime on `rootDir`; builds the monitor if needed. */
  static async open(options: ProcessRuntimeOptions): Promise<ProcessRuntime> {
    validateOptions(options);
    const opts = { ...options, logger: options.logger.child({ component: 'process-runtime', node: options.nodeName }) };
    const privileged = !opts.unprivileged && process.getuid?.() === 0;
    const monitorPath = opts.monitorPath ?? (await ensureMonitorBinary());
    const cgroups = privileged ? Cgroups.detect() : null;
    const runtime = new ProcessRuntime(opts, privileged, cgroups, monitorPath);
    opts.logger.info({ privileged, cgroups: cgroups?.layout.version ?? 'none', root: opts.rootDir }, 'process runtime opened');
    return runtime;
  }

  private get sandboxesDir(): string {
    return path.join(this.opts.rootDir, 'sandboxes');
  }
  private get containersDir(): string {
    return path.join(this.opts.rootDir, 'containers');
  }
  private get cgroupRoot(): string {
    return this.opts.cgroupRoot ?? `bosun/${sanitizeCgroupPart(this.opts.nodeName)}`;
  }
  // ---- RuntimeService: status ----

  async version(): Promise<{ runtimeName: string; runtimeVersion: string }> {
    return { runtimeName: RUNTIME_NAME, runtimeVersion: RUNTIME_VERSION };
  }

  async status(): Promise<RuntimeStatus> {
    const info: Record<string, string> = {
      cgroups: this.cgroups ? `v${this.cgroups.layout.version}` : 'none',
      isolation: this.privileged ? 'namespaces' : 'none',
    };
    let network: RuntimeCondition;
    if (this.privileged) network = this.network.condition(info);
    else {
      info.podNetwork = 'host';
      network = {
        type: 'NetworkReady',
        status: false,
        reason: 'NoPodNetworkWithoutRoot',
        message: 'the process runtime runs without root: pods share the host network and run without namespaces, root change or cgroup limits',
      };
    }
    return { conditions: [{ type: 'RuntimeReady', status: true, reason: '', message: '' }, network], info };
  }

  async updateRuntimeConfig(config: { podCIDR: string }): Promise<void> {
    if (this.privileged) await this.network.configure(config.podCIDR); // without root: host network, nothing to set up
  }

  // ---- sandboxes ----

  private sandboxDir(id: string): string {
    return path.join(this.sandboxesDir, id);
  }

  private readSandbox(id: string): SandboxRecord {
    const rec = readJsonIfExists<SandboxRecord>(path.join(this.sandboxDir(id), SANDBOX_FILE));
    if (!rec) throw new RuntimeError('NotFound', `pod sandbox "${id}" not found`);
    return rec;
  }

  /**
   * A sandbox's state as it is now: a ready one whose network namespace is gone (the node's
   * namespace went with a restarted node container) is NotReady, as a CRI runtime reports a
   * sandbox whose network died, so the agent makes the pod a new one instead of failing to
   * start containers in it.
   */
  private stateOf(rec: SandboxRecord): SandboxRecord['state'] {
    return rec.state === 'ready' && rec.netnsPath && !holdsNetns(rec.netnsPath) ? 'notready' : rec.state;
  }

  async runPodSandbox(config: PodSandboxConfig): Promise<string> {
    const id = newId();
    const dir = this.sandboxDir(id);
    const hostNetwork = config.linux.hostNetwork || !this.privileged;
    const rec: SandboxRecord = { id, config, createdAt: Date.now(), state: 'ready', ip: '' };
    try {
      fs.mkdirSync(config.logDirectory, { recursive: true });
      fs.mkdirSync(dir, { recursive: true });
      if (!hostNetwork) {
        const attached = await this.network.attach(id, config.linux.sysctls ?? {});
        rec.ip = attached.ip;
        rec.netnsPath = attached.netnsPath;
        if (attached.ignoredSysctls.length > 0) rec.ignoredSysctls = attached.ignoredSysctls;
      }
      writeSandboxFiles(dir, config.hostname, rec.ip, config.dnsConfig);
      writeJsonAtomic(path.join(dir, SANDBOX_FILE), rec);
    } catch (err) {
      await this.releaseNetwork(id);
      fs.rmSync(dir, { recursive: true, force: true });
      if (err instanceof RuntimeError) throw err;
      throw new RuntimeError('SandboxFailed', `pod sandbox for ${config.metadata.namespace}/${config.metadata.name}: ${(err as Error).message}`, { cause: err });
    }
    this.opts.logger.debug({ sandbox: id, pod: `${config.metadata.namespace}/${config.metadata.name}`, ip: rec.ip }, 'sandbox ready');
    return id;
  }

  private async releaseNetwork(id: string): Promise<void> {
    if (this.privileged) await this.network.detach(id);
  }

  async stopPodSandbox(id: string): Promise<void> {
    const rec = this.readSandbox(id);
    for (const c of this.containerRecords().filter((c) => c.sandboxId === id)) await this.stopContainer(c.id, 0);
    await this.releaseNetwork(id);
    if (rec.state !== 'notready') writeJsonAtomic(path.join(this.sandboxDir(id), SANDBOX_FILE), { ...rec, state: 'notready' });
  }

  async removePodSandbox(id: string): Promise<void> {
    if (!fs.existsSync(path.join(this.sandboxDir(id), SANDBOX_FILE))) return;
    await this.stopPodSandbox(id);
    for (const c of this.containerRecords().filter((c) => c.sandboxId === id)) await this.removeContainer(c.id);
    if (this.cgroups) this.cgroups.remove(path.join(this.cgroupRoot, `pod-${id}`), this.cgroupRoot);
    fs.rmSync(this.sandboxDir(id), { recursive: true, force: true });
  }

  async podSandboxStatus(id: string): Promise<PodSandboxStatus> {
    return this.sandboxStatusOf(this.readSandbox(id));
  }

  private sandboxStatusOf(rec: SandboxRecord): PodSandboxStatus {
    const info: Record<string, string> = { network: rec.netnsPath ? 'namespace' : 'host' };
    if (rec.netnsPath) info.netns = rec.netnsPath;
    if (rec.ignoredSysctls) info.ignoredSysctls = rec.ignoredSysctls.join(',');
    return {
      id: rec.id,
      metadata: rec.config.metadata,
      state: this.stateOf(rec),
      createdAt: rec.createdAt,
      network: { ip: rec.ip, additionalIps: [] },
      labels: rec.config.labels,
      annotations: rec.config.annotations,
      info,
    };
  }

  async listPodSandboxes(filter?: SandboxFilter): Promise<PodSandboxStatus[]> {
    const out: PodSandboxStatus[] = [];
    for (const id of listDirs(this.sandboxesDir)) {
      const rec = readJsonIfExists<SandboxRecord>(path.join(this.sandboxDir(id), SANDBOX_FILE));
      if (!rec) continue;
      if (filter?.state && this.stateOf(rec) !== filter.state) continue;
      if (!matchesLabels(rec.config.labels, filter?.labelSelector)) continue;
      out.push(this.sandboxStatusOf(rec));
    }
    return out;
  }

  // ---- containers ----

  private containerDir(id: string): string {
    return path.join(this.containersDir, id);
  }

  private readContainer(id: string): ContainerRecord {
    const rec = readJsonIfExists<ContainerRecord>(path.join(this.containerDir(id), CONTAINER_FILE));
    if (!rec) throw new RuntimeError('NotFound', `container "${id}" not found`);
    return rec;
  }

  private containerRecords(): ContainerRecord[] {
    return listDirs(this.containersDir)
      .map((id) => readJsonIfExists<ContainerRecord>(path.join(this.containerDir(id), CONTAINER_FILE)))
      .filter((r): r is ContainerRecord => r !== undefined);
  }

  async createContainer(podSandboxId: string, config: ContainerConfig, sandboxConfig: PodSandboxConfig): Promise<string> {
    const sandbox = this.readSandbox(podSandboxId);
    if (this.stateOf(sandbox) !== 'ready') throw new RuntimeError('InvalidConfig', `pod sandbox "${podSandboxId}" is not ready`);
    const image = this.images.resolve(config.image);
    if (!image) throw new RuntimeError('ImagePull', new ImageNotFoundError(config.image).message);
    const id = newId();
    const dir = this.containerDir(id);
    const logPath = path.join(sandboxConfig.logDirectory, config.logPath);
    const rootfs = this.images.rootfsOf(image.id);
    let cgroup: string | undefined;
    try {
      const argv = containerArgv(config, image.config);
      if (argv.length === 0) throw new ContainerSpecError(`container "${config.metadata.name}": no command (neither command nor the image's entrypoint/cmd)`);
      validateMounts(config.mounts);
      const user = containerUser(config, image.config, rootfs);
      const cwd = containerCwd(config, image.config);
      const env = this.privileged ? containerEnv(config, image.config) : hostPathEnv(containerEnv(config, image.config), rootfs);
      fs.mkdirSync(path.dirname(logPath), { recursive: true });
      fs.mkdirSync(dir, { recursive: true });
      const plan: MonitorPlan = {
        stateDir: dir,
        logPath,
        envFile: path.join(dir, 'env'),
        argv,
        stdinFifo: config.stdin ? path.join(dir, 'stdin') : undefined,
        stdinOnce: config.stdinOnce,
        tty: config.tty,
        oomScoreAdj: config.linux.resources.oomScoreAdj,
      };
      if (this.privileged) {
        for (const d of Object.values(overlayDirs(dir))) fs.mkdirSync(d);
        let cgroupDirs: string[] = [];
        if (this.cgroups) {
          cgroup = path.join(this.cgroupRoot, sanitizeCgroupPart(sandboxConfig.linux.cgroupParent || `pod-${podSandboxId}`), id);
          cgroupDirs = this.cgroups.create(cgroup, config.linux.resources);
        }
        plan.isolated = {
          rootfs,
          hostname: sandboxConfig.hostname,
          netnsPath: sandbox.netnsPath,
          mounts: withSandboxFiles(this.sandboxDir(podSandboxId), config.mounts),
          readonlyRootfs: config.linux.security.readonlyRootfs ?? false,
          hostPid: sandboxConfig.linux.hostPid ?? false,
          hostIpc: sandboxConfig.linux.hostIpc ?? false,
          user,
          cwd,
          cgroupDirs,
        };
      } else {
        plan.hostCwd = path.join(rootfs, cwd);
      }
      fs.writeFileSync(plan.envFile, env.map((e) => `${e}\0`).join(''));
      if (plan.stdinFifo) await runCommand('mkfifo', [plan.stdinFifo]);
      const rec: ContainerRecord = { id, sandboxId: podSandboxId, config, imageId: image.id, createdAt: Date.now(), logPath, cgroup, monitorArgs: monitorRunArgs(plan), env, uid: user.uid, gid: user.gid };
      writeJsonAtomic(path.join(dir, CONTAINER_FILE), rec);
    } catch (err) {
      if (cgroup && this.cgroups) this.cgroups.remove(cgroup, this.cgroupRoot);
      fs.rmSync(dir, { recursive: true, force: true });
      const message = err instanceof ContainerSpecError || err instanceof ImageRefError ? err.message : `container "${config.metadata.name}": ${(err as Error).message}`;
      throw new RuntimeError('InvalidConfig', message, { cause: err });
    }
    this.emit('created', id, podSandboxId);
    return id;
  }

  async startContainer(id: string): Promise<void> {
    const rec = this.readContainer(id);
    const dir = this.containerDir(id);
    const observed = observedState(dir);
    if (observed.state !== 'created') throw new RuntimeError('InvalidConfig', `container "${id}" is ${observed.state}, not created`);
    const stderr = await new Promise<{ code: number | null; text: string }>((resolve) => {
      const child = spawn(this.monitorPath, rec.monitorArgs, { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
      let text = '';
      child.stderr.on('data', (b: Buffer) => (text += b.toString('utf8')));
      child.on('error', (e) => resolve({ code: -1, text: e.message }));
      child.on('close', (code) => resolve({ code, text }));
    });
    if (stderr.code !== 0) {
      const message = stderr.text.replace(/^bosun-monitor: /, '').trim();
      this.settleExit(rec); // the monitor recorded exit 128 (or nothing if it died first)
      this.emit('stopped', id, rec.sandboxId);
      throw new RuntimeError('InvalidConfig', `failed to start container "${rec.config.metadata.name}": ${message}`);
    }
    this.emit('started', id, rec.sandboxId);
  }

  /**
   * Turns the monitor's exit record into the final one, with OOMKilled read from the cgroup before
   * the cgroup goes. Idempotent; returns the final record once the container has exited.
   */
  private settleExit(rec: ContainerRecord): FinalRecord | undefined {
    const dir = this.containerDir(rec.id);
    const observed = observedState(dir);
    if (observed.final) return observed.final;
    let exit = observed.exit;
    let message = '';
    if (!exit && observed.state === 'unknown') {
      // The monitor died without recording an exit (machine restart, kill -9 of the monitor).
      if (observed.pid) {
        try {
          process.kill(observed.pid.pid, 'SIGKILL');
        } catch {
          // gone with its monitor
        }
      }
      exit = { exitCode: 255, finishedAt: Date.now() };
      message = "the container's monitor is gone; its exit was not recorded";
    }
    if (!exit) return undefined;
    const startError = fs.existsSync(path.join(dir, 'start-error')) ? fs.readFileSync(path.join(dir, 'start-error'), 'utf8') : '';
    const oom = rec.cgroup && this.cgroups ? this.cgroups.oomKilled(rec.cgroup, exit.exitCode) : false;
    const final: FinalRecord = {
      exitCode: exit.exitCode,
      finishedAt: exit.finishedAt,
      reason: startError && exit.exitCode === EXIT_START_FAILED ? 'StartError' : exitReason(exit.exitCode, oom),
      message: startError || message,
    };
    writeJsonAtomic(path.join(dir, FINAL_FILE), final);
    if (rec.cgroup && this.cgroups) {
      this.cgroups.killAll(rec.cgroup); // exec'd processes outlive the container's PID namespace only here
      this.cgroups.remove(rec.cgroup, this.cgroupRoot);
    }
    return final;
  }

  async stopContainer(id: string, timeoutSeconds: number): Promise<void> {
    const rec = this.readContainer(id);
    const dir = this.containerDir(id);
    const observed = observedState(dir);
    if (observed.state === 'created') {
      writeJsonAtomic(path.join(dir, FINAL_FILE), { exitCode: 0, finishedAt: 0, reason: 'Error', message: 'stopped before it started' } satisfies FinalRecord);
      return;
    }
    if (observed.state !== 'running' || !observed.pid) {
      this.settleExit(rec);
      return;
    }
    const pid = observed.pid.pid;
    const signal = (sig: NodeJS.Signals): void => {
      try {
        process.kill(pid, sig);
      } catch {
        // exited meanwhile
      }
    };
    const exitedWithin = async (ms: number): Promise<boolean> => {
      const deadline = Date.now() + ms;
      for (;;) {
        const s = observedState(dir).state;
        if (s === 'exited' || s === 'unknown') return true;
        if (Date.now() >= deadline) return false;
        await sleep(STOP_POLL_INTERVAL_MS);
      }
    };
    if (timeoutSeconds > 0) {
      signal('SIGTERM');
      if (await exitedWithin(timeoutSeconds * 1000)) {
        this.finishStop(rec);
        return;
      }
    }
    signal('SIGKILL');
    if (!(await exitedWithin(KILL_WAIT_MS))) throw new RuntimeError('Internal', `container "${id}" did not exit within ${KILL_WAIT_MS} ms of SIGKILL`);
    this.finishStop(rec);
  }

  private finishStop(rec: ContainerRecord): void {
    this.settleExit(rec);
    this.emitExitOnce(rec);
  }

  private emitExitOnce(rec: ContainerRecord): void {
    if (this.reportedExits.has(rec.id)) return;
    this.reportedExits.add(rec.id);
    this.emit('stopped', rec.id, rec.sandboxId);
  }

  async removeContainer(id: string): Promise<void> {
    let rec: ContainerRecord;
    try {
      rec = this.readContainer(id);
    } catch {
      return;
    }
    if (observedState(this.containerDir(id)).state === 'running') await this.stopContainer(id, 0);
    this.settleExit(rec);
    if (rec.cgroup && this.cgroups) this.cgroups.remove(rec.cgroup, this.cgroupRoot);
    fs.rmSync(rec.logPath, { force: true });
    fs.rmSync(this.containerDir(id), { recursive: true, force: true });
    this.reportedExits.delete(id);
    this.emit('deleted', id, rec.sandboxId);
  }

  async containerStatus(id: string): Promise<ContainerStatus> {
    return this.statusOf(this.readContainer(id));
  }

  private statusOf(rec: ContainerRecord): ContainerStatus {
    const observed = observedState(this.containerDir(rec.id));
    const final = observed.state === 'exited' || observed.state === 'unknown' ? this.settleExit(rec) : undefined;
    const image = this.images.resolve(rec.imageId);
    return {
      id: rec.id,
      podSandboxId: rec.sandboxId,
      metadata: rec.config.metadata,
      state: final ? 'exited' : observed.state,
      createdAt: rec.createdAt,
      startedAt: observed.pid?.startedAt ?? 0,
      finishedAt: final?.finishedAt ?? 0,
      exitCode: final?.exitCode ?? 0,
      image: rec.config.image,
      imageRef: image ? image.id : rec.imageId,
      reason: final?.reason ?? (observed.state === 'running' ? '' : 'Created'),
      message: final?.message ?? '',
      labels: rec.config.labels,
      annotations: rec.config.annotations,
      mounts: rec.config.mounts,
      logPath: rec.logPath,
    };
  }

  async listContainers(filter?: ContainerFilter): Promise<ContainerStatus[]> {
    return this.containerRecords()
      .filter((r) => (!filter?.podSandboxId || r.sandboxId === filter.podSandboxId) && matchesLabels(r.config.labels, filter?.labelSelector))
      .map((r) => this.statusOf(r))
      .filter((s) => !filter?.state || s.state === filter.state);
  }

  // ---- streaming ----

  private execTarget(id: string): ExecTarget {
    const rec = this.readContainer(id);
    const observed = observedState(this.containerDir(id));
    if (observed.state !== 'running' || !observed.pid) throw new RuntimeError('InvalidConfig', `container "${id}" is not running`);
    const rootfs = this.images.rootfsOf(rec.imageId);
    return {
      pid: this.privileged ? observed.pid.pid : undefined,
      hostCwd: this.privileged ? undefined : path.join(rootfs, rec.config.workingDir || '/'),
      cgroupDirs: rec.cgroup && this.cgroups ? this.cgroups.dirs(rec.cgroup) : [],
      env: rec.env,
      uid: rec.uid,
      gid: rec.gid,
    };
  }

  async execSync(containerId: string, cmd: string[], timeoutMs: number): Promise<ExecSyncResult> {
    return execSyncIn(this.execTarget(containerId), cmd, timeoutMs);
  }

  async exec(containerId: string, cmd: string[], options: StreamOptions): Promise<StreamSession> {
    return execIn(this.execTarget(containerId), cmd, options);
  }

  async attach(containerId: string, options: StreamOptions): Promise<StreamSession> {
    const rec = this.readContainer(containerId);
    const dir = this.containerDir(containerId);
    return attachTo(
      {
        logPath: rec.logPath,
        stdinFifo: rec.config.stdin ? path.join(dir, 'stdin') : undefined,
        exited: () => {
          const s = observedState(dir);
          return s.state === 'exited' ? { exitCode: (s.final ?? s.exit)?.exitCode ?? 0 } : undefined;
        },
      },
      options,
    );
  }

  async portForward(podSandboxId: string, port: number): Promise<Duplex> {
    const rec = this.readSandbox(podSandboxId);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RuntimeError('InvalidConfig', `port ${port}: must be 1..65535`);
    try {
      return await relayTo(this.monitorPath, rec.netnsPath ?? HOST_NETNS, port);
    } catch (err) {
      throw new RuntimeError('Internal', `port-forward to port ${port} of pod sandbox "${podSandboxId}": ${(err as Error).message}`, { cause: err });
    }
  }

  // ---- stats ----

  async containerStats(id: string): Promise<ContainerStats | null> {
    const rec = this.readContainer(id);
    if (!rec.cgroup || !this.cgroups) return null;
    const stats = this.cgroups.stats(rec.cgroup);
    if (!stats) return null;
    return { id, podSandboxId: rec.sandboxId, timestamp: Date.now(), ...stats };
  }

  async listContainerStats(filter?: ContainerFilter): Promise<ContainerStats[]> {
    const out: ContainerStats[] = [];
    for (const c of await this.listContainers(filter)) {
      if (c.state !== 'running') continue;
      const s = await this.containerStats(c.id);
      if (s) out.push(s);
    }
    return out;
  }

  // ---- events ----

  private emit(type: ContainerEventType, containerId: string, podSandboxId: string): void {
    const event: ContainerEvent = { type, containerId, podSandboxId, timestamp: Date.now() };
    this.events.emit('event', event);
  }

  onContainerEvent(listener: (event: ContainerEvent) => void): () => void {
    this.events.on('event', listener);
    if (!this.exitWatch) {
      this.exitWatch = setInterval(() => this.watchExits(), EXIT_WATCH_INTERVAL_MS);
      this.exitWatch.unref();
    }
    return () => {
      this.events.off('event', listener);
      if (this.events.listenerCount('event') === 0 && this.exitWatch) {
        clearInterval(this.exitWatch);
        this.exitWatch = undefined;
      }
    };
  }

  /** Reports containers that exited on their own since the last look. */
  private watchExits(): void {
    try {
      for (const rec of this.containerRecords()) {
        if (this.reportedExits.has(rec.id)) continue;
        const s = observedState(this.containerDir(rec.id));
        if (s.state === 'created') continue;
        if (s.state === 'running') continue;
        this.settleExit(rec);
        this.emitExitOnce(rec);
      }
    } catch (err) {
      this.opts.logger.warn({ err }, 'looking for container exits failed');
    }
  }

  /**
   * Removes everything of this node from the machine (not part of Runtime: for a node leaving
   * the machine, and tests): every sandbox and container, the bridge with its FORWARD rules,
   * the node's cgroups. The image store stays.
   */
  async destroyNode(): Promise<void> {
    for (const s of await this.listPodSandboxes()) await this.removePodSandbox(s.id);
    for (const c of this.containerRecords()) await this.removeContainer(c.id);
    if (this.privileged) await this.network.destroy();
    this.cgroups?.remove(this.cgroupRoot, '');
  }

  async close(): Promise<void> {
    if (this.exitWatch) clearInterval(this.exitWatch);
    this.exitWatch = undefined;
    this.events.removeAllListeners();
  }

  // ---- ImageService ----

  async pullImage(image: string): Promise<string> {
    let found;
    try {
      found = this.images.resolve(image);
    } catch (err) {
      throw new RuntimeError('ImagePull', `image "${image}": ${(err as Error).message}`, { cause: err });
    }
    if (!found) throw new RuntimeError('ImagePull', new ImageNotFoundError(image).message);
    return found.id;
  }

  async imageStatus(image: string): Promise<Image | null> {
    const found = this.images.resolve(image);
    return found ? this.images.describe(found) : null;
  }

  async listImages(): Promise<Image[]> {
    return this.images.list().map((i) => this.images.describe(i));
  }

  async removeImage(image: string): Promise<void> {
    const used = new Set(this.containerRecords().map((c) => c.imageId));
    this.images.remove(image, (id) => used.has(id));
  }

  /** Imports an image archive into this node's store (what `bosun image import` does). */
  async importImage(ref: string, file: string, options?: ImportOptions): Promise<Image> {
    return this.images.describe(await this.images.import(ref, file, options));
  }
}
