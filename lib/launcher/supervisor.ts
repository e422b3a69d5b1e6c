/**
 * Keeps a local cluster's processes running, as a process supervisor would: a component that
 * exits on its own (crash, kill -9) is started again after a backoff that doubles with each
 * quick failure (1 s, 2 s, 4 s, … up to 30 s) and resets once it has stayed up for a minute.
 * Every exit and restart is reported through `say`. With a `pidDir`, each watched process's
 * current pid is kept in `<pidDir>/<name>.pid` (rewritten at every restart), so tools and chaos
 * tests can signal one component of a running cluster.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { LocalProcess } from './local-process';

/** First pause before a restart. */
export const RESTART_BACKOFF_BASE_MS = 1_000;
/** Longest pause before a restart. */
export const RESTART_BACKOFF_MAX_MS = 30_000;
/** A process up this long is healthy again: its next failure restarts after the base pause. */
export const RESTART_RESET_AFTER_MS = 60_000;
/** How often exits are looked for. */
const CHECK_INTERVAL_MS = 250;

interface Supervised {
  readonly proc: LocalProcess;
  /** Restarts since the last healthy minute. */
  failures: number;
  startedAt: number;
  restartTimer?: NodeJS.Timeout;
}

/** Restarts the processes it watches when they exit on their own. See the file comment. */
export class Supervisor {
  private readonly watched: Supervised[] = [];
  private readonly timer: NodeJS.Timeout;
  private stopped = false;

  constructor(
    private readonly say: (line: string) => void,
    private readonly now: () => number = Date.now,
    private readonly pidDir?: string,
  ) {
    this.timer = setInterval(() => this.check(), CHECK_INTERVAL_MS);
    this.timer.unref();
  }

  /** Watches `procs` (already started). */
  watch(...procs: LocalProcess[]): void {
    for (const proc of procs) {
      this.watched.push({ proc, failures: 0, startedAt: this.now() });
      this.writePid(proc);
    }
  }

  /** Records `proc`'s current pid in the pid folder (when there is one). */
  private writePid(proc: LocalProcess): void {
    if (this.pidDir === undefined || proc.pid === undefined) return;
    fs.mkdirSync(this.pidDir, { recursive: true });
    fs.writeFileSync(path.join(this.pidDir, `${proc.name}.pid`), `${proc.pid}\n`);
  }

  /** Stops restarting (call before stopping the processes on purpose). */
  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    for (const w of this.watched) clearTimeout(w.restartTimer);
  }

  /** The pause before restart number `failures` (1-based). */
  static backoffMs(failures: number): number {
    return Math.min(RESTART_BACKOFF_MAX_MS, RESTART_BACKOFF_BASE_MS * 2 ** Math.max(0, failures - 1));
  }

  private check(): void {
    if (this.stopped) return;
    for (const w of this.watched) {
      const exit = w.proc.exitInfo;
      if (!exit || w.restartTimer) continue;
      if (this.now() - w.startedAt >= RESTART_RESET_AFTER_MS) w.failures = 0;
      w.failures++;
      const delay = Supervisor.backoffMs(w.failures);
      this.say(`  ${w.proc.name} exited (${exit.signal ?? `code ${exit.code}`}); restarting in ${delay / 1000} s (restart ${w.failures}); see ${w.proc.logFile}`);
      w.restartTimer = setTimeout(() => {
        w.restartTimer = undefined;
        if (this.stopped) return;
        w.proc.start();
        w.startedAt = this.now();
        this.writePid(w.proc);
        this.say(`  ${w.proc.name}: restarted (pid ${w.proc.pid ?? '?'})`);
      }, delay);
      w.restartTimer.unref();
    }
  }
}
