import * as fs from 'node:fs';
import * as os from 'node:os';

/**
 * Measurement helpers of the store benchmark: latency percentiles, the load generator's own
 * CPU (process.cpuUsage) and the server processes' CPU and resident memory from /proc.
 */

/** Linux clock ticks per second (getconf CLK_TCK), the unit of utime/stime in /proc/<pid>/stat. */
const CLOCK_TICKS_PER_S = 100;

/** The p-th percentile (0 < p ≤ 100, nearest rank) of `values`, sorted in place; NaN when empty. */
export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

/** p99.9 and maximum of latency samples in ms (the array is sorted in place); NaN when empty. */
export function tailSummary(samples: Float64Array): { p999: number; max: number } {
  samples.sort();
  return { p999: percentile(samples, 99.9), max: samples.length ? samples[samples.length - 1] : NaN };
}

/** p50 and p99 of latency samples in ms (the array is sorted in place). */
export function latencySummary(samples: Float64Array): { p50: number; p99: number } {
  samples.sort();
  return { p50: percentile(samples, 50), p99: percentile(samples, 99) };
}

/** CPU time (user + system) of one process in ms, from /proc/<pid>/stat; undefined if gone. */
export function procCpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state); utime and stime are fields 14 and 15.
    const ticks = Number(fields[11]) + Number(fields[12]);
    return (ticks * 1000) / CLOCK_TICKS_PER_S;
  } catch {
    return undefined;
  }
}

/** A memory line (in kB) of /proc/<pid>/status, in bytes; undefined if the process is gone. */
function procStatusBytes(pid: number | undefined, field: 'VmRSS' | 'RssAnon'): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** VmRSS of one process in bytes; undefined if gone. */
export function procRssBytes(pid: number | undefined): number | undefined {
  return procStatusBytes(pid, 'VmRSS');
}

/**
 * The anonymous (private) part of a process's resident memory in bytes; undefined if gone. The
 * rest of VmRSS is mapped files, mostly the program's binary, which every process running the
 * same binary shares (the embedded cluster runs fifteen Node.js processes).
 */
export function procRssAnonBytes(pid: number | undefined): number | undefined {
  return procStatusBytes(pid, 'RssAnon');
}

/** Busy CPU time of the whole machine (all CPUs) in ms, from the first line of /proc/stat. */
export function machineBusyMs(): number {
  try {
    const line = fs.readFileSync('/proc/stat', 'utf8').split('\n', 1)[0];
    const [user, nice, system, , , irq, softirq, steal] = line.split(/\s+/).slice(1).map(Number);
    return ((user + nice + system + irq + softirq + (steal || 0)) * 1000) / CLOCK_TICKS_PER_S;
  } catch {
    return NaN;
  }
}

/** CPU spent over a measured stretch of a phase. */
export interface CpuSpent {
  /** Load generator user + system CPU (process.cpuUsage), ms. */
  clientMs: number;
  /** Sum over server members of user + system CPU, ms (a member killed mid-stretch is not counted). */
  serverMs: number;
  /** CPU of every other process on the machine (other work sharing it), ms. */
  otherMs: number;
  /** Wall time, ms. */
  wallMs: number;
  /** Event-loop utilization of the load generator (0..1): near 1 means the client is the bottleneck. */
  clientElu: number;
}

/** Starts a CPU meter over this process and `pids()`; call the returned function to stop it. */
export function startCpuMeter(pids: () => (number | undefined)[]): () => CpuSpent {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const m0 = machineBusyMs();
  const elu0 = performance.eventLoopUtilization();
  const s0 = new Map<number, number>();
  for (const pid of pids()) {
    const ms = procCpuMs(pid);
    if (pid !== undefined && ms !== undefined) s0.set(pid, ms);
  }
  return () => {
    const c = process.cpuUsage(c0);
    const elu = performance.eventLoopUtilization(elu0).utilization;
    let serverMs = 0;
    for (const pid of pids()) {
      if (pid === undefined) continue;
      const ms = procCpuMs(pid);
      const before = s0.get(pid);
      if (ms === undefined || before === undefined) continue;
      serverMs += ms - before;
    }
    const clientMs = (c.user + c.system) / 1000;
    const otherMs = Math.max(0, machineBusyMs() - m0 - clientMs - serverMs);
    return { clientMs, serverMs, otherMs, wallMs: performance.now() - t0, clientElu: elu };
  };
}

/**
 * Accumulates CPU over the measured stretches of one phase (set-up such as pre-encoding
 * requests and warm-up calls stays outside).
 */
export class CpuMeter {
  private acc: CpuSpent = { clientMs: 0, serverMs: 0, otherMs: 0, wallMs: 0, clientElu: 0 };
  private stretches = 0;

  constructor(private readonly pids: () => (number | undefined)[]) {}

  /** Runs `fn` with the meter on. */
  async measure<T>(fn: () => Promise<T>): Promise<T> {
    const stop = startCpuMeter(this.pids);
    try {
      return await fn();
    } finally {
      const s = stop();
      const wall = this.acc.wallMs + s.wallMs;
      this.acc = {
        clientMs: this.acc.clientMs + s.clientMs,
        serverMs: this.acc.serverMs + s.serverMs,
        otherMs: this.acc.otherMs + s.otherMs,
        wallMs: wall,
        clientElu: wall > 0 ? (this.acc.clientElu * this.acc.wallMs + s.clientElu * s.wallMs) / wall : 0,
      };
      this.stretches++;
    }
  }

  /** The accumulated figures, or undefined when nothing was measured. */
  spent(): CpuSpent | undefined {
    return this.stretches > 0 ? { ...this.acc } : undefined;
  }
}

/**
 * Waits (at most maxWaitMs) until the rest of the machine uses less than `maxBusyFraction` of
 * its CPUs over a 1 s sample; returns the last sampled fraction. Other work sharing the machine
 * skews the figures of whichever system runs during it.
 */
export async function waitForQuietMachine(maxBusyFraction: number, maxWaitMs: number): Promise<number> {
  const cpus = os.cpus().length;
  const deadline = Date.now() + maxWaitMs;
  for (;;) {
    const b0 = machineBusyMs();
    const c0 = process.cpuUsage();
    await sleep(1_000);
    const c = process.cpuUsage(c0);
    const busy = Math.max(0, (machineBusyMs() - b0 - (c.user + c.system) / 1000) / (1_000 * cpus));
    if (busy < maxBusyFraction || Date.now() >= deadline) return busy;
  }
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
