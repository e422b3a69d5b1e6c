import { machineBusyMs, procCpuMs } from '../store/measure';

/**
 * CPU of one measured stretch split between the load generator (process.cpuUsage), the
 * apiserver process, the store members (/proc/<pid>/stat) and everything else on the machine.
 */
export interface CpuSplit {
  clientMs: number;
  apiserverMs: number;
  storeMs: number;
  /** Other processes (other engineers' tests, the OS), ms. */
  otherMs: number;
  wallMs: number;
  /** Load generator event-loop utilization, 0..1 (near 1: the client is the bottleneck). */
  clientElu: number;
}

function sumCpu(pids: readonly (number | undefined)[]): Map<number, number> {
  const m = new Map<number, number>();
  for (const pid of pids) {
    const ms = procCpuMs(pid);
    if (pid !== undefined && ms !== undefined) m.set(pid, ms);
  }
  return m;
}

function delta(before: Map<number, number>, pids: readonly (number | undefined)[]): number {
  let total = 0;
  for (const [pid, ms] of sumCpu(pids)) {
    const b = before.get(pid);
    if (b !== undefined) total += ms - b;
  }
  return total;
}

/** Accumulates CPU over the measured stretches of one phase. */
export class CpuSplitMeter {
  private acc: CpuSplit = { clientMs: 0, apiserverMs: 0, storeMs: 0, otherMs: 0, wallMs: 0, clientElu: 0 };
  private stretches = 0;

  constructor(
    private readonly apiserverPid: () => number | undefined,
    private readonly storePids: () => (number | undefined)[],
  ) {}

  /** Runs `fn` with the meter on. */
  readonly measure = async <T>(fn: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const m0 = machineBusyMs();
    const e0 = performance.eventLoopUtilization();
    const api0 = sumCpu([this.apiserverPid()]);
    const store0 = sumCpu(this.storePids());
    try {
      return await fn();
    } finally {
      const c = process.cpuUsage(c0);
      const elu = performance.eventLoopUtilization(e0).utilization;
      const clientMs = (c.user + c.system) / 1000;
      const apiserverMs = delta(api0, [this.apiserverPid()]);
      const storeMs = delta(store0, this.storePids());
      const otherMs = Math.max(0, machineBusyMs() - m0 - clientMs - apiserverMs - storeMs);
      const wallMs = performance.now() - t0;
      const wall = this.acc.wallMs + wallMs;
      this.acc = {
        clientMs: this.acc.clientMs + clientMs,
        apiserverMs: this.acc.apiserverMs + apiserverMs,
        storeMs: this.acc.storeMs + storeMs,
        otherMs: this.acc.otherMs + otherMs,
        wallMs: wall,
        clientElu: wall > 0 ? (this.acc.clientElu * this.acc.wallMs + elu * wallMs) / wall : 0,
      };
      this.stretches++;
    }
  };

  /** The accumulated figures, or undefined when nothing was measured. */
  spent(): CpuSplit | undefined {
    return this.stretches > 0 ? { ...this.acc } : undefined;
  }
}
