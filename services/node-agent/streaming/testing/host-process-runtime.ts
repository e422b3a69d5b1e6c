/**
 * Test support: a small Runtime whose containers are plain host processes (child_process, no
 * namespaces, no images), enough to drive the streaming server through real processes:
 * containers run `command + args` with their output written to a CRI-format log file, exec
 * runs a command on the host, attach joins the container's own stdio, and port-forward
 * connects to 127.0.0.1:port. Image, stats and sandbox-network calls are inert. Not used
 * outside tests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { PassThrough, type Duplex } from 'node:stream';
import {
  RuntimeError,
  type ContainerConfig,
  type ContainerFilter,
  type ContainerStatus,
  type PodSandboxConfig,
  type PodSandboxStatus,
  type Runtime,
  type SandboxFilter,
  type StreamOptions,
  type StreamSession,
} from '../../runtime/runtime';

interface Sandbox {
  status: PodSandboxStatus;
  config: PodSandboxConfig;
}

interface Container {
  status: ContainerStatus;
  config: ContainerConfig;
  proc?: ChildProcess;
  /** Output of the main process, for attach. */
  output: EventEmitter;
  exited: Promise<void>;
}

/** The CRI log timestamp of now: RFC3339 with nine fraction digits. */
function criTime(now = new Date()): string {
  return now.toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z');
}

/** Writes a process's output to a CRI log file, one F record per line, a P record for an unfinished tail at the end. */
class CriLogWriter {
  private readonly pending: Record<'stdout' | 'stderr', string> = { stdout: '', stderr: '' };
  constructor(private readonly file: string) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, '');
  }

  write(stream: 'stdout' | 'stderr', chunk: Buffer): void {
    const text = this.pending[stream] + chunk.toString('utf8');
    const lines = text.split('\n');
    this.pending[stream] = lines.pop()!;
    const time = criTime();
    if (lines.length > 0) fs.appendFileSync(this.file, lines.map((l) => `${time} ${stream} F ${l}\n`).join(''));
  }

  flush(): void {
    for (const stream of ['stdout', 'stderr'] as const) {
      if (this.pending[stream] !== '') fs.appendFileSync(this.file, `${criTime()} ${stream} P ${this.pending[stream]}\n`);
      this.pending[stream] = '';
    }
  }
}

function matches(labels: Record<string, string>, selector: Record<string, string> | undefined): boolean {
  return Object.entries(selector ?? {}).every(([k, v]) => labels[k] === v);
}

function unsupported(what: string): never {
  throw new RuntimeError('Internal', `${what} is not supported by the host process test runtime`);
}

/** Exit code of a finished child as a shell reports it (128+signal for a signal death). */
function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  const signals: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };
  return 128 + (signal ? (signals[signal] ?? 0) : 0);
}

/** See the file comment. */
export class HostProcessRuntime implements Runtime {
  readonly name = 'host-process-test';
  private readonly sandboxes = new Map<string, Sandbox>();
  private readonly containers = new Map<string, Container>();
  private nextId = 1;

  async version() {
    return { runtimeName: this.name, runtimeVersion: '0' };
  }
  async status() {
    return { conditions: [], info: { podNetwork: 'host' } };
  }
  async updateRuntimeConfig(): Promise<void> {}

  async runPodSandbox(config: PodSandboxConfig): Promise<string> {
    const id = `sandbox-${this.nextId++}`;
    this.sandboxes.set(id, {
      config,
      status: { id, metadata: config.metadata, state: 'ready', createdAt: Date.now(), network: { ip: '', additionalIps: [] }, labels: config.labels, annotations: config.annotations },
    });
    return id;
  }
  async stopPodSandbox(id: string): Promise<void> {
    for (const c of this.containers.values()) if (c.status.podSandboxId === id) await this.stopContainer(c.status.id, 0);
    const sandbox = this.sandboxes.get(id);
    if (sandbox) sandbox.status.state = 'notready';
  }
  async removePodSandbox(id: string): Promise<void> {
    await this.stopPodSandbox(id);
    for (const c of [...this.containers.values()]) if (c.status.podSandboxId === id) this.containers.delete(c.status.id);
    this.sandboxes.delete(id);
  }
  async podSandboxStatus(id: string): Promise<PodSandboxStatus> {
    const s = this.sandboxes.get(id);
    if (!s) throw new RuntimeError('NotFound', `no sandbox ${id}`);
    return s.status;
  }
  async listPodSandboxes(filter?: SandboxFilter): Promise<PodSandboxStatus[]> {
    return [...this.sandboxes.values()].map((s) => s.status).filter((s) => (!filter?.state || s.state === filter.state) && matches(s.labels, filter?.labelSelector));
  }

  async createContainer(podSandboxId: string, config: ContainerConfig, sandboxConfig: PodSandboxConfig): Promise<string> {
    const id = `container-${this.nextId++}`;
    let markExited!: () => void;
    const exited = new Promise<void>((resolve) => (markExited = resolve));
    const container: Container = {
      config,
      output: new EventEmitter(),
      exited,
      status: {
        id,
        podSandboxId,
        metadata: config.metadata,
        state: 'created',
        createdAt: Date.now(),
        startedAt: 0,
        finishedAt: 0,
        exitCode: 0,
        image: config.image,
        imageRef: config.image,
        reason: '',
        message: '',
        labels: config.labels,
        annotations: config.annotations,
        mounts: [],
        logPath: path.join(sandboxConfig.logDirectory, config.logPath),
      },
    };
    container.output.once('exit', () => markExited());
    this.containers.set(id, container);
    return id;
  }

  async startContainer(id: string): Promise<void> {
    const c = this.get(id);
    const argv = [...c.config.command, ...c.config.args];
    if (argv.length === 0) throw new RuntimeError('InvalidConfig', 'the host process test runtime needs a command');
    const log = new CriLogWriter(c.status.logPath);
    // Its own process group, so a stop reaches the shell's children too (their pipes would keep it open).
    const proc = spawn(argv[0]!, argv.slice(1), {
      stdio: [c.config.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...Object.fromEntries(c.config.envs.map((e) => [e.key, e.value])) },
      detached: true,
    });
    c.proc = proc;
    c.status.state = 'running';
    c.status.startedAt = Date.now();
    for (const stream of ['stdout', 'stderr'] as const) {
      proc[stream]!.on('data', (chunk: Buffer) => {
        log.write(stream, chunk);
        c.output.emit(stream, chunk);
      });
    }
    proc.on('close', (code, signal) => {
      log.flush();
      c.status.state = 'exited';
      c.status.finishedAt = Date.now();
      c.status.exitCode = exitCodeOf(code, signal);
      c.status.reason = c.status.exitCode === 0 ? 'Completed' : 'Error';
      c.output.emit('exit');
    });
  }

  async stopContainer(id: string, timeoutSeconds: number): Promise<void> {
    const c = this.get(id);
    if (c.status.state !== 'running' || !c.proc) return;
    killGroup(c.proc, timeoutSeconds === 0 ? 'SIGKILL' : 'SIGTERM');
    const timer = setTimeout(() => killGroup(c.proc, 'SIGKILL'), timeoutSeconds * 1000);
    await c.exited;
    clearTimeout(timer);
  }
  async removeContainer(id: string): Promise<void> {
    await this.stopContainer(id, 0).catch(() => undefined);
    this.containers.delete(id);
  }
  async containerStatus(id: string): Promise<ContainerStatus> {
    return this.get(id).status;
  }
  async listContainers(filter?: ContainerFilter): Promise<ContainerStatus[]> {
    return [...this.containers.values()]
      .map((c) => c.status)
      .filter((s) => (!filter?.podSandboxId || s.podSandboxId === filter.podSandboxId) && (!filter?.state || s.state === filter.state) && matches(s.labels, filter?.labelSelector));
  }

  async execSync(): Promise<never> {
    return unsupported('execSync');
  }

  async exec(containerId: string, cmd: string[], options: StreamOptions): Promise<StreamSession> {
    const c = this.get(containerId);
    if (c.status.state !== 'running') throw new RuntimeError('NotFound', `container ${containerId} is not running`);
    if (cmd.length === 0) throw new RuntimeError('InvalidConfig', 'exec needs a command');
    const proc = spawn(cmd[0]!, cmd.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    if (!options.stdin) proc.stdin.end();
    proc.stdin.on('error', () => undefined);
    const exit = new Promise<{ exitCode: number }>((resolve) => {
      proc.on('error', () => resolve({ exitCode: 127 }));
      proc.on('close', (code, signal) => resolve({ exitCode: exitCodeOf(code, signal) }));
    });
    // Without a terminal to merge them, a TTY session still gets stderr on stdout.
    const stdout = options.tty ? mergeStreams([proc.stdout, proc.stderr]) : proc.stdout;
    return {
      stdin: options.stdin ? proc.stdin : undefined,
      stdout: options.stdout ? stdout : undefined,
      stderr: options.stderr && !options.tty ? proc.stderr : undefined,
      resize: () => undefined,
      close: () => killGroup(proc, 'SIGKILL'),
      exit,
    };
  }

  async attach(containerId: string, options: StreamOptions): Promise<StreamSession> {
    const c = this.get(containerId);
    if (c.status.state !== 'running') throw new RuntimeError('NotFound', `container ${containerId} is not running`);
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const onOut = (chunk: Buffer) => stdout.write(chunk);
    const onErr = (chunk: Buffer) => (options.tty ? stdout : stderr).write(chunk);
    c.output.on('stdout', onOut);
    c.output.on('stderr', onErr);
    let detach!: () => void;
    const detached = new Promise<void>((resolve) => (detach = resolve));
    const exit = Promise.race([c.exited, detached]).then(() => {
      c.output.off('stdout', onOut);
      c.output.off('stderr', onErr);
      stdout.end();
      stderr.end();
      return { exitCode: c.status.exitCode };
    });
    return {
      stdin: options.stdin && c.proc?.stdin ? c.proc.stdin : undefined,
      stdout: options.stdout ? stdout : undefined,
      stderr: options.stderr && !options.tty ? stderr : undefined,
      resize: () => undefined,
      close: () => detach(),
      exit,
    };
  }

  async portForward(podSandboxId: string, port: number): Promise<Duplex> {
    if (!this.sandboxes.has(podSandboxId)) throw new RuntimeError('NotFound', `no sandbox ${podSandboxId}`);
    const socket = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return socket;
  }

  async containerStats() {
    return null;
  }
  async listContainerStats() {
    return [];
  }
  onContainerEvent(): () => void {
    return () => undefined;
  }
  async pullImage(image: string): Promise<string> {
    return image;
  }
  async imageStatus() {
    return null;
  }
  async listImages() {
    return [];
  }
  async removeImage(): Promise<void> {}

  /** Kills every process (the test's cleanup). */
  async close(): Promise<void> {
    for (const c of this.containers.values()) if (c.status.state === 'running') await this.stopContainer(c.status.id, 0);
  }

  private get(id: string): Container {
    const c = this.containers.get(id);
    if (!c) throw new RuntimeError('NotFound', `no container ${id}`);
    return c;
  }
}

/** Signals a child's whole process group (it was spawned detached, as its group's leader). */
function killGroup(proc: ChildProcess | undefined, signal: NodeJS.Signals): void {
  if (!proc?.pid || proc.exitCode !== null || proc.signalCode !== null) return;
  try {
    process.kill(-proc.pid, signal);
  } catch {
    // already gone
  }
}

/** One readable of everything `sources` emit, ended once all have ended. */
function mergeStreams(sources: NodeJS.ReadableStream[]): PassThrough {
  const out = new PassThrough();
  let open = sources.length;
  for (const s of sources) {
    s.on('data', (chunk: Buffer) => out.write(chunk));
    s.on('end', () => {
      if (--open === 0) out.end();
    });
  }
  return out;
}
