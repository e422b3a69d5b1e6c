import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * The benchmark's apiserver as a child process (apiserver-child.js next to this file), so its
 * CPU is its own and can be read from /proc and profiled apart from the load generator.
 */

/** What the child prints, followed by its host:port, once the API is served. */
export const LISTENING_LINE_PREFIX = 'BENCH_APISERVER_LISTENING';
/** What the child prints, followed by the message, when it could not start. */
export const FAILED_LINE_PREFIX = 'BENCH_APISERVER_FAILED';
/** How long start() waits for the child to serve (watch caches load first), ms. */
export const APISERVER_START_TIMEOUT_MS = 60_000;
/** How long stop() waits after SIGTERM before SIGKILL, ms. */
const STOP_GRACE_MS = 5_000;

/** A running apiserver child. */
export interface ApiServerProcess {
  /** host:port of its gRPC API. */
  readonly address: string;
  readonly pid: number;
  /** Where it logs. */
  readonly logFile: string;
  /** True while the process runs. */
  running(): boolean;
  /** SIGTERM, then SIGKILL after a grace period; resolves once it has exited. */
  stop(): Promise<void>;
}

/**
 * Starts the apiserver child over `storeEndpoints` (requests go to the first), logging into
 * `logFile`; `env` is added to its environment (NODE_OPTIONS for profiling).
 */
export function startApiServerProcess(storeEndpoints: readonly string[], logFile: string, env: NodeJS.ProcessEnv = {}, extraArgs: readonly string[] = []): Promise<ApiServerProcess> {
  const script = path.join(__dirname, 'apiserver-child.js');
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  const child: ChildProcess = spawn(process.execPath, [script, '--store', storeEndpoints.join(','), '--log-file', logFile, '--log-level', 'warn', ...extraArgs], {
    // stdin stays open as a lifeline: the child stops when the benchmark's end of it closes.
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, ...env },
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    await exited;
    clearTimeout(timer);
  };
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`the apiserver did not serve within ${APISERVER_START_TIMEOUT_MS / 1000} s (log: ${logFile})`));
    }, APISERVER_START_TIMEOUT_MS);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the apiserver exited (${signal ?? code}) before serving: ${out.trim().slice(-2000)} (log: ${logFile})`));
    });
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      out += chunk;
      const failed = out.split('\n').find((l) => l.startsWith(FAILED_LINE_PREFIX));
      if (failed) return; // the exit handler reports it
      const line = out.split('\n').find((l) => l.startsWith(LISTENING_LINE_PREFIX));
      if (!line) return;
      clearTimeout(timer);
      child.stdout!.removeAllListeners('data');
      child.stdout!.resume();
      resolve({
        address: line.slice(LISTENING_LINE_PREFIX.length).trim(),
        pid: child.pid!,
        logFile,
        running: () => child.exitCode === null && child.signalCode === null,
        stop,
      });
    });
  });
}
