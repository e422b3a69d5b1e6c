/**
 * The running `bosun up` of a data folder: its pid in `<dir>/bosun-up.pid`, written when it
 * starts and removed when it stops, so a second `bosun up` on the same folder refuses to start
 * and `bosun down` finds the one to stop (a stale file of a dead process is ignored).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export const UP_PID_FILE = 'bosun-up.pid';
/** How often `bosun down` looks whether the cluster has stopped. */
const STOP_POLL_MS = 100;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The pid of the live `bosun up` of `dir`, if any. */
export function runningUp(dir: string): number | undefined {
  const file = path.join(dir, UP_PID_FILE);
  const pid = Number.parseInt(fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '', 10);
  return Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid) ? pid : undefined;
}

/** Claims `dir` for this process; throws when another live `bosun up` holds it. */
export function claimUp(dir: string): void {
  const other = runningUp(dir);
  if (other !== undefined) throw new Error(`a cluster is already running from ${dir} (bosun up, pid ${other}); stop it with "bosun down --dir ${dir}" or Ctrl-C`);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, UP_PID_FILE), String(process.pid));
}

/** Gives `dir` up (when this process holds it). */
export function releaseUp(dir: string): void {
  const file = path.join(dir, UP_PID_FILE);
  try {
    if (fs.readFileSync(file, 'utf8').trim() === String(process.pid)) fs.rmSync(file);
  } catch {
    // Already gone.
  }
}

/** Stops the `bosun up` of `dir` (SIGTERM: it stops what it started and keeps the data); resolves with its pid once it exited, undefined when none ran. */
export async function stopUp(dir: string, timeoutMs: number): Promise<number | undefined> {
  const pid = runningUp(dir);
  if (pid === undefined) return undefined;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) throw new Error(`bosun up (pid ${pid}) did not stop within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, STOP_POLL_MS));
  }
  return pid;
}
