/**
 * The fake runtime: a {@link Runtime} that runs nothing, for unit tests and for scale tests with
 * thousands of simulated nodes in one process. Sandboxes and containers are records; a started
 * container is running at once (after `startLatencyMs`, when set) and stays running unless:
 * - its command is one of the builtins of fake-commands.ts (`true`, `false`, `echo`, `sh -c
 *   'exit N'`, `cat`): it exits at once with that command's code, its output in its log;
 * - its command is `sleep N`: it exits 0 after N seconds;
 * - the pod (sandbox annotations) or container carries the simulated-kubelet annotations
 *   `bosun.dev/simulated-exit-code` (and `bosun.dev/simulated-run-ms`, default 200 ms): it exits
 *   with that code after that long, so benches written for the SimulatedKubelet keep meaning.
 * execSync/exec answer from the same builtins, so exec probes and hooks can be tested. Sandboxes
 * get addresses from the podCIDR given by updateRuntimeConfig (host networking before it).
 * Images whose reference contains {@link UNPULLABLE_IMAGE_MARK} fail to pull; `failNext` makes any
 * call fail once. Every change is saved to `<rootDir>/fake-runtime.json`, so a new FakeRuntime on
 * the same folder (an agent restarted after kill -9) lists the same sandboxes and containers.
 * Stats report the usage `<rootDir>/fake-usage.json` sets (fake-usage.ts), zero without it.
 */
import { FakeUsage, type FakeUsageFile } from './fake-usage';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PassThrough, Readable, type Duplex } from 'node:stream';
import { realClock, type Clock, type Timer } from '../../../lib/client/clock';
import { appendCriLog } from './cri-log-writer';
import { runFakeCommand } from './fake-commands';
import {
  RuntimeError,
  type ContainerConfig,
  type ContainerEvent,
  type ContainerEventType,
  type ContainerFilter,
  type ContainerStats,
  type ContainerStatus,
  type ExecSyncResult,
  type Image,
  type PodSandboxConfig,
  type PodSandboxStatus,
  type Runtime,
  type RuntimeStatus,
  type SandboxFilter,
  type StreamOptions,
  type StreamSession,
} from './runtime';

/** Pod/container annotation: the exit code a container ends with (the SimulatedKubelet's). */
export const FAKE_EXIT_CODE_ANNOTATION = 'bosun.dev/simulated-exit-code';
/** Pod/container annotation: how long such a container runs first, ms. */
export const FAKE_RUN_MS_ANNOTATION = 'bosun.dev/simulated-run-ms';
/** How long a container with an exit code but no run time runs, ms (the SimulatedKubelet's default). */
export const DEFAULT_FAKE_RUN_MS = 200;
/** An image reference containing this cannot be pulled (ErrImagePull tests). */
export const UNPULLABLE_IMAGE_MARK = 'doesnotexist';
/** The state file under the root folder. */
export const FAKE_STATE_FILE = 'fake-runtime.json';
/** Exit code of a container stopped by SIGTERM / killed by SIGKILL (128 + signal). */
const SIGTERM_EXIT = 143;
const SIGKILL_EXIT = 137;

/** Runtime methods `failNext` can make fail. */
export type FakeRuntimeMethod = 'pullImage' | 'runPodSandbox' | 'createContainer' | 'startContainer' | 'stopContainer' | 'execSync' | 'listContainers';

/** Options of a {@link FakeRuntime}. */
export interface FakeRuntimeOptions {
  /** Folder of the state file (made when missing). */
  readonly rootDir: string;
  readonly clock?: Clock;
  /** How long startContainer takes, ms (default 0). */
  readonly startLatencyMs?: number;
  /** Save state on every change (default true; scale runs may turn it off). */
  readonly persist?: boolean;
}

interface SandboxRecord {
  id: string;
  config: PodSandboxConfig;
  state: 'ready' | 'notready';
  createdAt: number;
  ip: string;
}

interface ContainerRecord {
  id: string;
  sandboxId: string;
  config: ContainerConfig;
  logPath: string;
  state: 'created' | 'running' | 'exited';
  createdAt: number;
  startedAt: number;
  finishedAt: number;
  exitCode: number;
  reason: string;
  /** When a running container will exit by itself, and with what code. */
  plannedExit?: { atMs: number; exitCode: number };
}

interface SavedState {
  podCIDR: string;
  nextHost: number;
  images: string[];
  sandboxes: SandboxRecord[];
  containers: ContainerRecord[];
}

/** See the file comment. */
export class FakeRuntime implements Runtime {
  readonly name = 'fake';
  private readonly clock: Clock;
  private readonly file: string;
  private state: SavedState = { podCIDR: '', nextHost: 0, images: [], sandboxes: [], containers: [] };
  private readonly exitTimers = new Map<string, Timer>();
  private readonly listeners = new Set<(e: ContainerEvent) => void>();
  private readonly failures: { method: FakeRuntimeMethod; error: Error }[] = [];
  private closed = false;
  /** Why the last save failed, if it did. */
  private saveError: string | undefined;
  /** Simulated usage the stats report (fake-usage.ts). */
  private readonly usage: FakeUsage;

  constructor(private readonly opts: FakeRuntimeOptions) {
    this.clock = opts.clock ?? realClock;
    this.file = path.join(opts.rootDir, FAKE_STATE_FILE);
    this.usage = new FakeUsage(opts.rootDir);
    this.load();
  }

  /** Makes the next call of `method` throw `error`. */
  failNext(method: FakeRuntimeMethod, error: Error = new RuntimeError('Internal', `injected failure of ${method}`)): void {
    this.failures.push({ method, error });
  }

  /** Ends a running container now with `exitCode` (a crash, an OOM kill with 137 and reason OOMKilled). */
  exitContainer(id: string, exitCode: number, reason?: string): void {
    const c = this.container(id);
    if (c.state === 'running') this.finish(c, exitCode, reason);
  }

  async version(): Promise<{ runtimeName: string; runtimeVersion: string }> {
    return { runtimeName: 'fake', runtimeVersion: '0.1.0' };
  }

  async status(): Promise<RuntimeStatus> {
    return {
      conditions: [
        { type: 'RuntimeReady', status: this.saveError === undefined, reason: this.saveError ? 'StateNotSaved' : '', message: this.saveError ?? '' },
        { type: 'NetworkReady', status: true, reason: '', message: '' },
      ],
      info: this.state.podCIDR ? { podCIDR: this.state.podCIDR } : { podNetwork: 'host' },
    };
  }

  async updateRuntimeConfig(config: { podCIDR: string }): Promise<void> {
    if (config.podCIDR === this.state.podCIDR) return;
    parseCidr(config.podCIDR);
    this.state.podCIDR = config.podCIDR;
    this.state.nextHost = 0;
    this.changed();
  }

  async pullImage(image: string): Promise<string> {
    this.maybeFail('pullImage');
    if (image.includes(UNPULLABLE_IMAGE_MARK)) throw new RuntimeError('ImagePull', `failed to pull image "${image}": not found`);
    if (!this.state.images.includes(image)) {
      this.state.images.push(image);
      this.changed();
    }
    return imageId(image);
  }

  async imageStatus(image: string): Promise<Image | null> {
    return this.state.images.includes(image) ? imageOf(image) : null;
  }

  async listImages(): Promise<Image[]> {
    return this.state.images.map(imageOf);
  }

  async removeImage(image: string): Promise<void> {
    this.state.images = this.state.images.filter((i) => i !== image);
    this.changed();
  }

  async runPodSandbox(config: PodSandboxConfig): Promise<string> {
    this.maybeFail('runPodSandbox');
    const id = newId();
    const ip = config.linux.hostNetwork ? '' : this.nextIp();
    this.state.sandboxes.push({ id, config: structuredClone(config), state: 'ready', createdAt: this.clock.now(), ip });
    this.changed();
    return id;
  }

  async stopPodSandbox(id: string): Promise<void> {
    const s = this.state.sandboxes.find((x) => x.id === id);
    if (!s) return;
    for (const c of this.state.containers) if (c.sandboxId === id && c.state === 'running') this.finish(c, SIGKILL_EXIT);
    s.state = 'notready';
    this.changed();
  }

  async removePodSandbox(id: string): Promise<void> {
    await this.stopPodSandbox(id);
    for (const c of this.state.containers.filter((x) => x.sandboxId === id)) await this.removeContainer(c.id);
    this.state.sandboxes = this.state.sandboxes.filter((x) => x.id !== id);
    this.changed();
  }

  async podSandboxStatus(id: string): Promise<PodSandboxStatus> {
    const s = this.state.sandboxes.find((x) => x.id === id);
    if (!s) throw new RuntimeError('NotFound', `pod sandbox ${id} not found`);
    return sandboxStatus(s);
  }

  async listPodSandboxes(filter: SandboxFilter = {}): Promise<PodSandboxStatus[]> {
    return this.state.sandboxes
      .filter((s) => (!filter.state || s.state === filter.state) && labelsMatch(s.config.labels, filter.labelSelector))
      .map(sandboxStatus);
  }

  async createContainer(podSandboxId: string, config: ContainerConfig, sandboxConfig: PodSandboxConfig): Promise<string> {
    this.maybeFail('createContainer');
    const s = this.state.sandboxes.find((x) => x.id === podSandboxId);
    if (!s) throw new RuntimeError('NotFound', `pod sandbox ${podSandboxId} not found`);
    if (s.state !== 'ready') throw new RuntimeError('InvalidConfig', `pod sandbox ${podSandboxId} is not ready`);
    if (!config.metadata.name) throw new RuntimeError('InvalidConfig', 'container config: metadata.name is empty');
    const id = newId();
    this.state.containers.push({
      id,
      sandboxId: podSandboxId,
      config: structuredClone(config),
      logPath: path.join(sandboxConfig.logDirectory, config.logPath),
      state: 'created',
      createdAt: this.clock.now(),
      startedAt: 0,
      finishedAt: 0,
      exitCode: 0,
      reason: '',
    });
    this.changed();
    this.emit('created', id, podSandboxId);
    return id;
  }

  async startContainer(id: string): Promise<void> {
    this.maybeFail('startContainer');
    const c = this.container(id);
    if (c.state !== 'created') throw new RuntimeError('InvalidConfig', `container ${id} is ${c.state}, not created`);
    const latency = this.opts.startLatencyMs ?? 0;
    if (latency > 0) await new Promise<void>((resolve) => this.clock.setTimer(latency, resolve));
    c.state = 'running';
    c.startedAt = this.clock.now();
    this.changed();
    this.emit('started', id, c.sandboxId);
    this.runMain(c);
  }

  async stopContainer(id: string, timeoutSeconds: number): Promise<void> {
    this.maybeFail('stopContainer');
    const c = this.state.containers.find((x) => x.id === id);
    if (!c || c.state !== 'running') return;
    // Fake processes obey SIGTERM at once; a zero timeout is a SIGKILL.
    this.finish(c, timeoutSeconds > 0 ? SIGTERM_EXIT : SIGKILL_EXIT);
  }

  async removeContainer(id: string): Promise<void> {
    const c = this.state.containers.find((x) => x.id === id);
    if (!c) return;
    if (c.state === 'running') this.finish(c, SIGKILL_EXIT);
    this.state.containers = this.state.containers.filter((x) => x.id !== id);
    this.usage.forget(id);
    fs.rmSync(c.logPath, { force: true });
    this.changed();
    this.emit('deleted', id, c.sandboxId);
  }

  async containerStatus(id: string): Promise<ContainerStatus> {
    return containerStatus(this.container(id));
  }

  async listContainers(filter: ContainerFilter = {}): Promise<ContainerStatus[]> {
    this.maybeFail('listContainers');
    return this.state.containers
      .filter(
        (c) =>
          (!filter.podSandboxId || c.sandboxId === filter.podSandboxId) &&
          (!filter.state || c.state === filter.state) &&
          labelsMatch(c.config.labels, filter.labelSelector),
      )
      .map(containerStatus);
  }

  async execSync(containerId: string, cmd: string[], timeoutMs: number): Promise<ExecSyncResult> {
    this.maybeFail('execSync');
    const c = this.runningContainer(containerId);
    const r = runFakeCommand(cmd, c.config.mounts, envOf(c.config));
    // A command that would sleep past the timeout is cut off (at once: nothing really runs).
    const timedOut = (r.sleepMs ?? 0) > timeoutMs;
    return { exitCode: timedOut ? -1 : r.exitCode, stdout: Buffer.from(r.stdout), stderr: Buffer.from(r.stderr), timedOut };
  }

  async exec(containerId: string, cmd: string[], options: StreamOptions): Promise<StreamSession> {
    const c = this.runningContainer(containerId);
    const r = runFakeCommand(cmd, c.config.mounts, envOf(c.config));
    const stdout = options.stdout ? Readable.from([Buffer.from(options.tty ? r.stdout + r.stderr : r.stdout)]) : undefined;
    const stderr = options.stderr && !options.tty ? Readable.from([Buffer.from(r.stderr)]) : undefined;
    const stdin = options.stdin ? new PassThrough() : undefined;
    stdin?.resume();
    return { stdin, stdout, stderr, resize: () => undefined, close: () => stdin?.end(), exit: Promise.resolve({ exitCode: r.exitCode }) };
  }

  async attach(containerId: string, options: StreamOptions): Promise<StreamSession> {
    const c = this.runningContainer(containerId);
    const stdout = options.stdout ? new PassThrough() : undefined;
    let detach: () => void = () => undefined;
    const exit = new Promise<{ exitCode: number }>((resolve) => {
      const off = this.onContainerEvent((e) => {
        if (e.containerId === c.id && e.type === 'stopped') {
          off();
          stdout?.end();
          resolve({ exitCode: c.exitCode });
        }
      });
      detach = () => {
        off();
        stdout?.end();
        resolve({ exitCode: 0 });
      };
    });
    return { stdout, resize: () => undefined, close: () => detach(), exit };
  }

  async portForward(podSandboxId: string, port: number): Promise<Duplex> {
    throw new RuntimeError('Internal', `fake runtime: pod sandbox ${podSandboxId} has nothing listening on port ${port} (no processes run)`);
  }

  async containerStats(id: string): Promise<ContainerStats | null> {
    const c = this.state.containers.find((x) => x.id === id);
    return c ? this.statsOf(c, this.clock.now(), this.usage.load()) : null;
  }

  async listContainerStats(filter: ContainerFilter = {}): Promise<ContainerStats[]> {
    const now = this.clock.now();
    const usage = this.usage.load();
    return (await this.listContainers(filter)).map((s) => this.statsOf(this.container(s.id), now, usage));
  }

  private statsOf(c: ContainerRecord, now: number, usage: FakeUsageFile): ContainerStats {
    const figures = c.state === 'running' ? this.usage.read(c.id, c.config.metadata.name, now, usage) : { cpuUsageCoreNanoSeconds: 0, memoryWorkingSetBytes: 0 };
    return { id: c.id, podSandboxId: c.sandboxId, timestamp: now, ...figures };
  }

  onContainerEvent(listener: (event: ContainerEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.exitTimers.values()) t.cancel();
    this.exitTimers.clear();
    this.listeners.clear();
    this.save();
  }

  /** What a started container's main process does (see the file comment). */
  private runMain(c: ContainerRecord): void {
    const scripted = scriptedExit(c, this.sandboxOf(c));
    if (scripted) {
      c.plannedExit = { atMs: c.startedAt + scripted.runMs, exitCode: scripted.exitCode };
    } else {
      const cmd = [...c.config.command, ...c.config.args];
      // No command: the image's entrypoint, which the fake cannot know: it runs until stopped.
      const r = cmd.length === 0 ? { exitCode: 0, stdout: '', stderr: '', forever: true } : runFakeCommand(cmd, c.config.mounts, envOf(c.config), true);
      if (r.stdout) appendCriLog(c.logPath, this.clock.now(), 'stdout', r.stdout);
      if (r.stderr) appendCriLog(c.logPath, this.clock.now(), 'stderr', r.stderr);
      if (!r.forever) c.plannedExit = { atMs: c.startedAt + (r.sleepMs ?? 0), exitCode: r.exitCode };
    }
    this.changed();
    this.scheduleExit(c);
  }

  private scheduleExit(c: ContainerRecord): void {
    if (c.state !== 'running' || !c.plannedExit || this.closed) return;
    const planned = c.plannedExit;
    this.exitTimers.get(c.id)?.cancel();
    this.exitTimers.set(
      c.id,
      this.clock.setTimer(planned.atMs - this.clock.now(), () => {
        this.exitTimers.delete(c.id);
        if (c.state === 'running') this.finish(c, planned.exitCode);
      }),
    );
  }

  private finish(c: ContainerRecord, exitCode: number, reason?: string): void {
    this.exitTimers.get(c.id)?.cancel();
    this.exitTimers.delete(c.id);
    c.state = 'exited';
    c.finishedAt = this.clock.now();
    c.exitCode = exitCode;
    c.reason = reason ?? (exitCode === 0 ? 'Completed' : 'Error');
    delete c.plannedExit;
    this.changed();
    this.emit('stopped', c.id, c.sandboxId);
  }

  private sandboxOf(c: ContainerRecord): SandboxRecord | undefined {
    return this.state.sandboxes.find((s) => s.id === c.sandboxId);
  }

  private container(id: string): ContainerRecord {
    const c = this.state.containers.find((x) => x.id === id);
    if (!c) throw new RuntimeError('NotFound', `container ${id} not found`);
    return c;
  }

  private runningContainer(id: string): ContainerRecord {
    const c = this.container(id);
    if (c.state !== 'running') throw new RuntimeError('InvalidConfig', `container ${id} is not running`);
    return c;
  }

  private maybeFail(method: FakeRuntimeMethod): void {
    const i = this.failures.findIndex((f) => f.method === method);
    if (i >= 0) throw this.failures.splice(i, 1)[0]!.error;
  }

  private emit(type: ContainerEventType, containerId: string, podSandboxId: string): void {
    const event: ContainerEvent = { type, containerId, podSandboxId, timestamp: this.clock.now() };
    for (const l of [...this.listeners]) l(event);
  }

  /** The next free address of the podCIDR ('' before one is set: host networking). */
  private nextIp(): string {
    if (!this.state.podCIDR) return '';
    const { base, size } = parseCidr(this.state.podCIDR);
    const used = new Set(this.state.sandboxes.map((s) => s.ip));
    // .0 is the network, .1 the node's bridge, the last the broadcast address.
    for (let tries = 0; tries < size; tries++) {
      const host = (this.state.nextHost % (size - 3)) + 2;
      this.state.nextHost++;
      const ip = intToIp(base + host);
      if (!used.has(ip)) return ip;
    }
    throw new RuntimeError('SandboxFailed', `no free address left in the pod CIDR ${this.state.podCIDR}`);
  }

  private load(): void {
    fs.mkdirSync(this.opts.rootDir, { recursive: true });
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch {
      return;
    }
    try {
      this.state = JSON.parse(text) as SavedState;
    } catch (err) {
      throw new RuntimeError('Internal', `fake runtime: ${this.file} is not valid JSON: ${(err as Error).message}`);
    }
    const now = this.clock.now();
    for (const c of this.state.containers) {
      if (c.state !== 'running' || !c.plannedExit) continue;
      if (c.plannedExit.atMs <= now) this.finish(c, c.plannedExit.exitCode);
      else this.scheduleExit(c);
    }
  }

  /** Saves at once, so a runtime opened on the folder right after (a restarted agent) sees every change. */
  private changed(): void {
    if (this.closed) return;
    this.save();
  }

  private save(): void {
    if (this.opts.persist === false) return;
    const tmp = `${this.file}.tmp`;
    try {
      fs.writeFileSync(tmp, JSON.stringify(this.state));
      fs.renameSync(tmp, this.file);
      this.saveError = undefined;
    } catch (err) {
      // Never thrown from a timer (a container's scripted exit); status() reports it instead.
      this.saveError = `cannot save ${this.file}: ${(err as Error).message}`;
    }
  }
}

/** The exit a container is scripted to make by the simulated-kubelet annotations (container's first, then the pod's). */
function scriptedExit(c: ContainerRecord, s: SandboxRecord | undefined): { exitCode: number; runMs: number } | undefined {
  const from = (key: string) => c.config.annotations[key] ?? s?.config.annotations[key];
  const code = from(FAKE_EXIT_CODE_ANNOTATION);
  if (code === undefined) return undefined;
  const runMs = Number(from(FAKE_RUN_MS_ANNOTATION) ?? DEFAULT_FAKE_RUN_MS);
  return { exitCode: Number(code) || 0, runMs: Number.isFinite(runMs) && runMs >= 0 ? runMs : DEFAULT_FAKE_RUN_MS };
}

function envOf(config: ContainerConfig): Record<string, string> {
  return Object.fromEntries(config.envs.map((e) => [e.key, e.value]));
}

function sandboxStatus(s: SandboxRecord): PodSandboxStatus {
  return {
    id: s.id,
    metadata: { ...s.config.metadata },
    state: s.state,
    createdAt: s.createdAt,
    network: { ip: s.ip, additionalIps: [] },
    labels: { ...s.config.labels },
    annotations: { ...s.config.annotations },
    info: { runtime: 'fake' },
  };
}

function containerStatus(c: ContainerRecord): ContainerStatus {
  return {
    id: c.id,
    podSandboxId: c.sandboxId,
    metadata: { ...c.config.metadata },
    state: c.state,
    createdAt: c.createdAt,
    startedAt: c.startedAt,
    finishedAt: c.finishedAt,
    exitCode: c.exitCode,
    image: c.config.image,
    imageRef: imageId(c.config.image),
    reason: c.reason,
    message: '',
    labels: { ...c.config.labels },
    annotations: { ...c.config.annotations },
    mounts: c.config.mounts.map((m) => ({ ...m })),
    logPath: c.logPath,
  };
}

function labelsMatch(labels: Record<string, string>, selector: Record<string, string> | undefined): boolean {
  return !selector || Object.entries(selector).every(([k, v]) => labels[k] === v);
}

function newId(): string {
  return randomBytes(32).toString('hex');
}

function imageId(image: string): string {
  return `sha256:${createHash('sha256').update(image).digest('hex')}`;
}

function imageOf(image: string): Image {
  return { id: imageId(image), repoTags: [image], repoDigests: [], size: 0 };
}

/** An IPv4 CIDR's first address (as an integer) and number of addresses; RuntimeError when malformed. */
function parseCidr(cidr: string): { base: number; size: number } {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  const octets = m ? m.slice(1, 5).map(Number) : [];
  const bits = m ? Number(m[5]) : -1;
  if (!m || octets.some((o) => o > 255) || bits < 8 || bits > 30) throw new RuntimeError('InvalidConfig', `podCIDR: "${cidr}" is not an IPv4 CIDR from /8 to /30`);
  const size = 2 ** (32 - bits);
  const addr = octets.reduce((a, o) => a * 256 + o, 0);
  return { base: addr - (addr % size), size };
}

function intToIp(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}
