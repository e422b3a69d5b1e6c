import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';

/**
 * Runs the real `etcdctl` 3.4 binary (Debian's etcd-client) as a child process with bounded
 * time: every call has `--dial-timeout` and `--command-timeout`, and the child is killed by pid
 * if it outlives CHILD_KILL_AFTER_MS anyway.
 */

/** Where Debian's etcd-client package installs etcdctl. */
export const ETCDCTL_BINARY = '/usr/bin/etcdctl';
/** etcdctl's own bound on one short command. */
export const ETCDCTL_COMMAND_TIMEOUT = '5s';
/** etcdctl's bound on connecting to an endpoint. */
export const ETCDCTL_DIAL_TIMEOUT = '2s';
/** A foreground etcdctl child still running after this long is killed (SIGKILL). */
export const CHILD_KILL_AFTER_MS = 15_000;

/** What one etcdctl process did. */
export interface EtcdctlResult {
  /** Exit status; null when the process was ended by a signal. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** True when this module killed the child because it ran past its time limit. */
  readonly timedOut: boolean;
}

/** Options of one etcdctl run. */
export interface EtcdctlOptions {
  /** Bytes written to the child's stdin (then closed); stdin is empty otherwise. */
  readonly stdin?: string | Buffer;
  /** Kill the child after this many ms (default CHILD_KILL_AFTER_MS). */
  readonly killAfterMs?: number;
}

/** A running etcdctl child (e.g. `watch`), stopped by the caller. */
export interface BackgroundEtcdctl {
  readonly pid: number | undefined;
  /** Output so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves once `predicate(stdout)` holds; rejects after `timeoutMs` with the output so far. */
  waitFor(predicate: (stdout: string) => boolean, timeoutMs: number, what: string): Promise<void>;
  /** Ends the child (SIGTERM, SIGKILL if it lingers) and resolves with everything it printed. */
  stop(): Promise<EtcdctlResult>;
}

/** Processes started here and not yet exited, killed if the test process exits first. */
const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function track(child: ChildProcess): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const c of live) if (c.pid !== undefined) killQuietly(c.pid, 'SIGKILL');
    });
  }
  live.add(child);
  child.once('exit', () => live.delete(child));
}

function killQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/** True when the etcdctl binary is installed. */
export function etcdctlAvailable(): boolean {
  return fs.existsSync(ETCDCTL_BINARY);
}

/** The full argument list: global flags first, then the command's own arguments. */
function fullArgs(endpoints: readonly string[], args: readonly string[]): string[] {
  return [
    `--endpoints=${endpoints.join(',')}`,
    `--dial-timeout=${ETCDCTL_DIAL_TIMEOUT}`,
    `--command-timeout=${ETCDCTL_COMMAND_TIMEOUT}`,
    ...args,
  ];
}

function spawnEtcdctl(endpoints: readonly string[], args: readonly string[], stdin: string | Buffer | undefined): ChildProcess {
  const child = spawn(ETCDCTL_BINARY, fullArgs(endpoints, args), {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ETCDCTL_API: '3' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  track(child);
  child.stdin?.on('error', () => undefined); // the child may exit before reading all of stdin
  child.stdin?.end(stdin ?? '');
  return child;
}

/** Collects a child's output and resolves with it once the child has exited and closed its pipes. */
function collect(child: ChildProcess, timedOut: () => boolean): { out: () => string; err: () => string; done: Promise<EtcdctlResult> } {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout?.on('data', (c: Buffer) => out.push(c));
  child.stderr?.on('data', (c: Buffer) => err.push(c));
  const text = (parts: Buffer[]) => Buffer.concat(parts).toString('utf8');
  const done = new Promise<EtcdctlResult>((resolve) => {
    child.once('error', (e) => resolve({ code: null, signal: null, stdout: text(out), stderr: `${text(err)}spawn error: ${e.message}`, timedOut: timedOut() }));
    child.once('close', (code, signal) => resolve({ code, signal, stdout: text(out), stderr: text(err), timedOut: timedOut() }));
  });
  return { out: () => text(out), err: () => text(err), done };
}

/** Spawns etcdctl and collects its output; the child is killed once `killAfterMs` runs out. */
function spawnWithLimit(endpoints: readonly string[], args: readonly string[], options: EtcdctlOptions) {
  const child = spawnEtcdctl(endpoints, args, options.stdin);
  let killed = false;
  const timer = setTimeout(() => {
    killed = true;
    if (child.pid !== undefined) killQuietly(child.pid, 'SIGKILL');
  }, options.killAfterMs ?? CHILD_KILL_AFTER_MS);
  const collected = collect(child, () => killed);
  void collected.done.then(() => clearTimeout(timer));
  return { child, ...collected };
}

/** Runs `etcdctl --endpoints=… <args>` to completion (killed after the time limit). */
export function runEtcdctl(endpoints: readonly string[], args: readonly string[], options: EtcdctlOptions = {}): Promise<EtcdctlResult> {
  return spawnWithLimit(endpoints, args, options).done;
}

/**
 * Starts a long-running etcdctl command (`watch`, `lease keep-alive`) in the background. The
 * caller must stop() it; it is killed after `killAfterMs` (default CHILD_KILL_AFTER_MS) anyway.
 */
export function startEtcdctl(endpoints: readonly string[], args: readonly string[], options: EtcdctlOptions = {}): BackgroundEtcdctl {
  const { child, out, err, done } = spawnWithLimit(endpoints, args, options);
  return {
    pid: child.pid,
    stdout: out,
    stderr: err,
    async waitFor(predicate, timeoutMs, what) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(out())) {
        if (Date.now() > deadline || child.exitCode !== null || child.signalCode !== null) {
          throw new Error(`etcdctl ${args.join(' ')}: ${what} not seen within ${timeoutMs} ms; stdout:\n${out()}\nstderr:\n${err()}`);
        }
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    async stop() {
      if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
        killQuietly(child.pid, 'SIGTERM');
        const lingering = setTimeout(() => child.pid !== undefined && killQuietly(child.pid, 'SIGKILL'), 2000);
        const result = await done;
        clearTimeout(lingering);
        return result;
      }
      return done;
    },
  };
}
