/**
 * The node's own CPU and memory figures, read from the host (what the kubelet reads from the
 * root cgroup): cumulative CPU time from the first line of /proc/stat (busy jiffies: user, nice,
 * system, irq, softirq, steal — not idle or iowait), and the working set as MemTotal minus
 * MemAvailable from /proc/meminfo. A host without /proc (not Linux) reports zeros rather than
 * failing the summary.
 */
import * as fs from 'node:fs';

/** Length of one /proc/stat jiffy (USER_HZ is 100 on every Linux architecture Node runs on), ns. */
export const NANOSECONDS_PER_JIFFY = 10_000_000;

/** One reading of the node's usage. */
export interface HostUsage {
  /** Cumulative CPU time of every core, nanoseconds. */
  readonly cpuUsageCoreNanoSeconds: number;
  /** Memory in use, bytes. */
  readonly memoryWorkingSetBytes: number;
}

/** Busy CPU time in a /proc/stat text, nanoseconds (0 when the `cpu` line is missing). */
export function parseProcStat(text: string): number {
  const line = text.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) return 0;
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = f;
  return (user + nice + system + irq + softirq + steal) * NANOSECONDS_PER_JIFFY;
}

/** MemTotal − MemAvailable of a /proc/meminfo text, bytes (0 when either is missing). */
export function parseMeminfo(text: string): number {
  const kib = (key: string) => {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text);
    return m ? Number(m[1]) : undefined;
  };
  const total = kib('MemTotal');
  const available = kib('MemAvailable');
  return total !== undefined && available !== undefined ? Math.max(0, total - available) * 1024 : 0;
}

/** Reads the host's usage now. */
export function readHostUsage(procDir = '/proc'): HostUsage {
  const read = (file: string) => {
    try {
      return fs.readFileSync(`${procDir}/${file}`, 'utf8');
    } catch {
      return '';
    }
  };
  return { cpuUsageCoreNanoSeconds: parseProcStat(read('stat')), memoryWorkingSetBytes: parseMeminfo(read('meminfo')) };
}
