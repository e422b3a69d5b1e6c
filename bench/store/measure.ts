import * as fs from 'node:fs';

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

/** VmRSS of one process in bytes, from /proc/<pid>/status; undefined if gone. */
export function procRssBytes(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** CPU spent over a phase: by this process (the load generator) and by the server members. */
export interface CpuSpent {
  /** Load generator user + system CPU, ms. */
  clientMs: number;
  /** Sum over server members of user + system CPU, ms (members that died mid-phase count up to their last sample). */
  serverMs: number;
  /** Wall time of the phase, ms. */
  wallMs: number;
}

/** Starts a CPU meter over this process and `pids()`; call the returned function to stop it. */
export function startCpuMeter(pids: () => (number | undefined)[]): () => CpuSpent {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const s0 = new Map<number, number>();
  for (const pid of pids()) {
    const ms = procCpuMs(pid);
    if (pid !== undefined && ms !== undefined) s0.set(pid, ms);
  }
  return () => {
    const c = process.cpuUsage(c0);
    let serverMs = 0;
    for (const pid of pids()) {
      if (pid === undefined) continue;
      const ms = procCpuMs(pid);
      if (ms === undefined) continue;
      serverMs += ms - (s0.get(pid) ?? 0);
    }
    return { clientMs: (c.user + c.system) / 1000, serverMs, wallMs: performance.now() - t0 };
  };
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
