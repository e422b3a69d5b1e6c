/**
 * The node's log shipper as its own detached process (log-shipper-main.ts), so container output
 * reaches the CRI log files while no agent runs (an agent restart or kill -9 does not stop it),
 * as dockershim's json-file symlinks did. One per node: its pid file under the agent's root
 * directory says whether one runs; a runtime opened with `logShipper: 'detached'` starts it when
 * none does, and it keeps running until stopDetachedLogShipper (or SIGTERM to its pid).
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The entry point's file name, also how a live shipper is recognised in /proc/<pid>/cmdline. */
const MAIN_FILE = 'log-shipper-main.js';
/** How long a started shipper may take to write its pid file, and a stopped one to exit, ms. */
const START_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 10_000;
const POLL_MS = 50;

export function shipperPidFile(rootDir: string, nodeName: string): string {
  return path.join(rootDir, `docker-log-shipper-${nodeName.replace(/[^a-zA-Z0-9_.-]/g, '-')}.pid`);
}

/** The pid of the node's running shipper, or null (no pid file, or the pid is not a shipper any more). */
export function runningShipperPid(rootDir: string, nodeName: string): number | null {
  let pid: number;
  try {
    pid = Number(fs.readFileSync(shipperPidFile(rootDir, nodeName), 'utf8').trim());
  } catch {
    return null;
  }
  if (!Number.isInteger(pid) || pid <= 0) return null;
  try {
    const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.includes(MAIN_FILE) && cmdline.includes(nodeName) ? pid : null;
  } catch {
    return null;
  }
}

async function until(what: string, ms: number, check: () => boolean): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** Starts the node's shipper unless one runs; returns its pid. Its output goes to `<pid file>.log`. */
export async function ensureDetachedLogShipper(opts: { rootDir: string; nodeName: string; socketPath: string }): Promise<number> {
  const running = runningShipperPid(opts.rootDir, opts.nodeName);
  if (running) return running;
  await fs.promises.mkdir(opts.rootDir, { recursive: true });
  const pidFile = shipperPidFile(opts.rootDir, opts.nodeName);
  const out = fs.openSync(`${pidFile}.log`, 'a');
  try {
    const child = spawn(
      process.execPath,
      [path.join(__dirname, MAIN_FILE), '--node', opts.nodeName, '--socket', opts.socketPath, '--pid-file', pidFile],
      { detached: true, stdio: ['ignore', out, out] },
    );
    child.unref();
  } finally {
    fs.closeSync(out);
  }
  await until('the log shipper to start', START_TIMEOUT_MS, () => runningShipperPid(opts.rootDir, opts.nodeName) !== null);
  return runningShipperPid(opts.rootDir, opts.nodeName)!;
}

/** Stops the node's shipper (SIGTERM to its pid) and waits for it to exit; no shipper is fine. */
export async function stopDetachedLogShipper(rootDir: string, nodeName: string): Promise<void> {
  const pid = runningShipperPid(rootDir, nodeName);
  if (!pid) return;
  process.kill(pid, 'SIGTERM');
  await until(`log shipper ${pid} to exit`, STOP_TIMEOUT_MS, () => {
    try {
      process.kill(pid, 0);
      return false;
    } catch {
      return true;
    }
  });
}
