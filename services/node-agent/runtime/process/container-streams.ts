/**
 * The process runtime's streaming calls: exec (nsenter into the container's namespaces, joining
 * its cgroups; a TTY through util-linux `script`), attach (following the container's CRI log,
 * writing its stdin fifo) and port-forward (the monitor's `relay` connecting to 127.0.0.1:PORT
 * inside the sandbox's network namespace). Each returns a StreamSession or a Duplex.
 */
import { spawn, ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { Duplex, PassThrough } from 'node:stream';
import type { ExecSyncResult, StreamOptions, StreamSession } from '../runtime';
import { CriLogLineSplitter, recordPayload } from './cri-log';

/** How often attach looks for new log bytes and the container's exit when no change event came. */
const ATTACH_POLL_INTERVAL_MS = 200;
const LOG_READ_CHUNK_BYTES = 64 * 1024;

/** Where and as whom an exec'd process runs. */
export interface ExecTarget {
  /** The container's init pid (host view); absent when the runtime runs without namespaces. */
  pid?: number;
  /** Working directory on the host when there are no namespaces. */
  hostCwd?: string;
  cgroupDirs: string[];
  env: string[];
  uid: number;
  gid: number;
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The host argv that runs `cmd` inside the target (cgroups joined first, by a host shell). */
export function execArgv(target: ExecTarget, cmd: string[], tty: boolean): string[] {
  const enter =
    target.pid === undefined
      ? cmd
      : ['nsenter', '-t', String(target.pid), '-m', '-u', '-i', '-n', '-p', '-r', '-w', '-S', String(target.uid), '-G', String(target.gid), '--', ...cmd];
  const inner = tty ? ['script', '-q', '-e', '-c', enter.map(shellQuote).join(' '), '/dev/null'] : enter;
  const join = target.cgroupDirs.map((d) => `echo $$ > ${shellQuote(`${d}/cgroup.procs`)}`).join('; ');
  return ['/bin/sh', '-c', `${join ? `${join}; ` : ''}exec "$@"`, 'sh', ...inner];
}

function envObject(env: string[]): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const e of env) {
    const eq = e.indexOf('=');
    if (eq > 0) out[e.slice(0, eq)] = e.slice(eq + 1);
  }
  return out;
}

function spawnExec(target: ExecTarget, cmd: string[], tty: boolean): ChildProcess {
  const [file, ...args] = execArgv(target, cmd, tty);
  // Its own process group: nsenter forks into the PID namespace, and a kill must reach both.
  return spawn(file, args, { env: envObject(target.env), cwd: target.hostCwd, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
}

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  const signals: Record<string, number> = { SIGKILL: 9, SIGTERM: 15, SIGINT: 2, SIGHUP: 1 };
  return 128 + (signal ? (signals[signal] ?? 0) : 0);
}

export async function execSyncIn(target: ExecTarget, cmd: string[], timeoutMs: number): Promise<ExecSyncResult> {
  const child = spawnExec(target, cmd, false);
  child.stdin!.end();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout!.on('data', (b: Buffer) => out.push(b));
  child.stderr!.on('data', (b: Buffer) => err.push(b));
  let timedOut = false;
  const timer = timeoutMs > 0 ? setTimeout(() => ((timedOut = true), killGroup(child)), timeoutMs) : undefined;
  const exitCode = await new Promise<number>((resolve) => {
    child.on('error', (e) => (err.push(Buffer.from(e.message)), resolve(126)));
    child.on('close', (code, signal) => resolve(exitCodeOf(code, signal)));
  });
  if (timer) clearTimeout(timer);
  return { exitCode, stdout: Buffer.concat(out), stderr: Buffer.concat(err), timedOut };
}

export function execIn(target: ExecTarget, cmd: string[], options: StreamOptions): StreamSession {
  const child = spawnExec(target, cmd, options.tty);
  if (!options.stdin) child.stdin!.end();
  child.stdin!.on('error', () => undefined);
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  child.stdout!.pipe(stdout);
  // With a TTY the terminal merges stderr into stdout.
  child.stderr!.pipe(options.tty ? stdout : stderr, { end: !options.tty });
  const exit = new Promise<{ exitCode: number }>((resolve) => {
    child.on('error', () => resolve({ exitCode: 126 }));
    child.on('close', (code, signal) => {
      stderr.end();
      resolve({ exitCode: exitCodeOf(code, signal) });
    });
  });
  return {
    stdin: options.stdin ? child.stdin! : undefined,
    stdout: options.stdout ? stdout : undefined,
    stderr: options.stderr && !options.tty ? stderr : undefined,
    resize: () => undefined, // the `script` pty is not resizable from outside
    close: () => killGroup(child),
    exit,
  };
}

/** What attach needs of a container. */
export interface AttachTarget {
  logPath: string;
  /** The stdin fifo, when the container was created with stdin. */
  stdinFifo?: string;
  /** Resolves with the exit code once the container has exited. */
  exited(): { exitCode: number } | undefined;
}

/**
 * Attaches to a container: its output from now on (followed in its CRI log), its stdin through
 * the fifo. Ends when the container exits (after the log is drained) or the caller closes.
 */
export function attachTo(target: AttachTarget, options: StreamOptions): StreamSession {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let closed = false;
  let position = fs.existsSync(target.logPath) ? fs.statSync(target.logPath).size : 0;
  const splitter = new CriLogLineSplitter();
  let watcher: fs.FSWatcher | undefined;
  let wake: (() => void) | undefined;
  try {
    watcher = fs.watch(target.logPath, () => wake?.());
  } catch {
    watcher = undefined; // no log yet: polling finds it
  }
  const drain = (): void => {
    let fd: number;
    try {
      fd = fs.openSync(target.logPath, 'r');
    } catch {
      return;
    }
    try {
      const buf = Buffer.alloc(LOG_READ_CHUNK_BYTES);
      for (;;) {
        const n = fs.readSync(fd, buf, 0, buf.length, position);
        if (n <= 0) break;
        position += n;
        for (const r of splitter.push(buf.subarray(0, n).toString('utf8'))) {
          const sink = r.stream === 'stderr' && !options.tty ? stderr : stdout;
          if ((sink === stdout && options.stdout) || (sink === stderr && options.stderr)) sink.write(recordPayload(r));
        }
      }
    } finally {
      fs.closeSync(fd);
    }
  };
  let stdin: fs.WriteStream | undefined;
  if (options.stdin && target.stdinFifo) {
    stdin = fs.createWriteStream(target.stdinFifo, { flags: 'a' });
    stdin.on('error', () => undefined);
  }
  const exit = (async () => {
    let exitCode = 0;
    while (!closed) {
      const exited = target.exited();
      drain();
      if (exited) {
        exitCode = exited.exitCode;
        break;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ATTACH_POLL_INTERVAL_MS);
        wake = () => (clearTimeout(timer), resolve());
      });
    }
    watcher?.close();
    stdout.end();
    stderr.end();
    stdin?.end();
    return { exitCode };
  })();
  return {
    stdin: stdin,
    stdout: options.stdout ? stdout : undefined,
    stderr: options.stderr && !options.tty ? stderr : undefined,
    resize: () => undefined,
    close: () => {
      closed = true;
      wake?.();
    },
    exit,
  };
}

/**
 * A byte stream to 127.0.0.1:`port` in the network namespace `netnsPath` ('-' = the host's),
 * through the monitor's relay. Rejects with the relay's reason when the connection is refused.
 */
export function relayTo(monitorPath: string, netnsPath: string, port: number): Promise<Duplex> {
  const child = spawn(monitorPath, ['relay', netnsPath, String(port)], { stdio: ['pipe', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let err = '';
    let connected = false;
    child.stderr.on('data', (b: Buffer) => {
      err += b.toString('utf8');
      if (!connected && err.includes('connected\n')) {
        connected = true;
        const duplex = new Duplex({
          write: (chunk, _enc, cb) => child.stdin.write(chunk, cb),
          final: (cb) => child.stdin.end(cb),
          read: () => child.stdout.resume(),
          destroy: (error, cb) => {
            child.kill('SIGKILL');
            cb(error);
          },
        });
        child.stdin.on('error', () => undefined); // the relay went away: its exit says why
        child.stdout.on('data', (b: Buffer) => {
          if (!duplex.push(b)) child.stdout.pause();
        });
        child.stdout.on('end', () => duplex.push(null));
        child.on('close', (code) => {
          if (code !== 0 && code !== null) duplex.destroy(new Error(err.replace('connected\n', '').trim() || `relay exited with ${code}`));
        });
        resolve(duplex);
      }
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (!connected) reject(new Error(err.trim() || `port-forward relay exited with ${code}`));
    });
  });
}
