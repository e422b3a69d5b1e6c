/**
 * Container cgroups for the process runtime, on either hierarchy a machine may mount:
 * - v1 (these test machines): one directory per controller mount (cpu, cpuacct, memory, pids;
 *   combined mounts such as `cpu,cpuacct` are one directory) — cpu.cfs_quota_us/period_us,
 *   cpu.shares, memory.limit_in_bytes, pids.max; OOM kills from memory.oom_control `oom_kill`.
 * - v2 (most users' machines): one directory under the unified mount — cpu.max, cpu.weight,
 *   memory.max, pids.max; OOM kills from memory.events `oom_kill`.
 * Detection reads /proc/self/mountinfo once. Paths are relative to the hierarchy roots.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { LinuxContainerResources } from '../runtime';

export type CgroupVersion = 1 | 2;

const V1_CONTROLLERS = ['cpu', 'cpuacct', 'memory', 'pids'] as const;
type V1Controller = (typeof V1_CONTROLLERS)[number];
const V2_CONTROLLERS = ['cpu', 'memory', 'pids'];
/** The SIGKILL exit status: with a memory failure count it means the limit killed the process (v1 kernels without oom_kill). */
const EXIT_SIGKILL = 137;
const NANOS_PER_MICRO = 1000;
/** cgroup v1 cpu.shares range, mapped onto v2's cpu.weight range (1..10000) as runc does. */
const SHARES_MIN = 2;
const SHARES_MAX = 262144;
const WEIGHT_MAX = 10000;

export interface CgroupStats {
  cpuUsageCoreNanoSeconds: number;
  memoryWorkingSetBytes: number;
}

/** The cgroup hierarchies this machine mounts. */
export interface CgroupLayout {
  version: CgroupVersion;
  /** v1: controller → mount point; v2: the unified mount under `unified`. */
  mounts: Record<string, string>;
}

/** Parses /proc/self/mountinfo text into the layout (v2 when the unified mount has cpu or memory, else v1); null: none usable. */
export function detectCgroupLayout(mountinfo: string, readControllers: (dir: string) => string): CgroupLayout | null {
  const v1: Record<string, string> = {};
  let unified: string | undefined;
  for (const line of mountinfo.split('\n')) {
    const [left, right] = line.split(' - ');
    if (!right) continue;
    const mountPoint = left.split(' ')[4];
    const [fsType, , superOptions] = right.split(' ');
    if (fsType === 'cgroup2') {
      if (/\b(cpu|memory)\b/.test(readControllers(mountPoint))) unified = mountPoint;
    } else if (fsType === 'cgroup') {
      for (const opt of (superOptions ?? '').split(',')) {
        if ((V1_CONTROLLERS as readonly string[]).includes(opt)) v1[opt] = mountPoint;
      }
    }
  }
  if (unified) return { version: 2, mounts: { unified } };
  if (V1_CONTROLLERS.every((c) => v1[c])) return { version: 1, mounts: v1 };
  return null;
}

/** cpu.shares → cpu.weight. */
export function sharesToWeight(shares: number): number {
  const s = Math.min(Math.max(shares, SHARES_MIN), SHARES_MAX);
  return 1 + Math.floor(((s - SHARES_MIN) * (WEIGHT_MAX - 1)) / (SHARES_MAX - SHARES_MIN));
}

/** The value of `key` in a `key value` per-line file (memory.stat, memory.events, cpu.stat). */
export function flatKeyed(text: string, key: string): number | undefined {
  for (const line of text.split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k === key) return Number(v);
  }
  return undefined;
}

function readOr(file: string, fallback = ''): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return fallback;
  }
}

function write(dir: string, file: string, value: string | number): void {
  try {
    fs.writeFileSync(path.join(dir, file), String(value));
  } catch (err) {
    throw new Error(`cgroup ${path.join(dir, file)} = ${value}: ${(err as Error).message}`);
  }
}

/** Creates, limits, measures and removes containers' cgroups on one machine's layout. */
export class Cgroups {
  constructor(readonly layout: CgroupLayout) {}

  /** The layout of this machine, or null when no usable hierarchy is mounted or it is not writable. */
  static detect(): Cgroups | null {
    const layout = detectCgroupLayout(readOr('/proc/self/mountinfo'), (dir) => readOr(path.join(dir, 'cgroup.controllers')));
    if (!layout) return null;
    try {
      for (const m of Object.values(layout.mounts)) fs.accessSync(m, fs.constants.W_OK);
    } catch {
      return null;
    }
    return new Cgroups(layout);
  }

  /** The distinct directories of `rel` (one per hierarchy): what the monitor puts the container into. */
  dirs(rel: string): string[] {
    return [...new Set(Object.values(this.layout.mounts).map((m) => path.join(m, rel)))];
  }

  private dir(controller: V1Controller | 'unified', rel: string): string {
    return path.join(this.layout.mounts[this.layout.version === 2 ? 'unified' : controller], rel);
  }

  /** Creates the cgroup `rel` with the limits; returns its directories. Throws naming the file that refused. */
  create(rel: string, r: LinuxContainerResources): string[] {
    if (this.layout.version === 2) {
      this.enableV2Controllers(rel);
      const dir = this.dir('unified', rel);
      fs.mkdirSync(dir, { recursive: true });
      if (r.cpuQuota !== undefined && r.cpuQuota > 0) write(dir, 'cpu.max', `${r.cpuQuota} ${r.cpuPeriod ?? 100000}`);
      if (r.cpuShares !== undefined) write(dir, 'cpu.weight', sharesToWeight(r.cpuShares));
      if (r.memoryLimitInBytes !== undefined && r.memoryLimitInBytes > 0) {
        write(dir, 'memory.max', r.memoryLimitInBytes);
        if (fs.existsSync(path.join(dir, 'memory.swap.max'))) write(dir, 'memory.swap.max', 0);
      }
      if (r.pidsLimit !== undefined && r.pidsLimit > 0) write(dir, 'pids.max', r.pidsLimit);
      return [dir];
    }
    for (const d of this.dirs(rel)) fs.mkdirSync(d, { recursive: true });
    const cpu = this.dir('cpu', rel);
    if (r.cpuPeriod !== undefined) write(cpu, 'cpu.cfs_period_us', r.cpuPeriod);
    if (r.cpuQuota !== undefined && r.cpuQuota > 0) write(cpu, 'cpu.cfs_quota_us', r.cpuQuota);
    if (r.cpuShares !== undefined) write(cpu, 'cpu.shares', r.cpuShares);
    const memory = this.dir('memory', rel);
    if (r.memoryLimitInBytes !== undefined && r.memoryLimitInBytes > 0) write(memory, 'memory.limit_in_bytes', r.memoryLimitInBytes);
    const pids = this.dir('pids', rel);
    if (r.pidsLimit !== undefined && r.pidsLimit > 0) write(pids, 'pids.max', r.pidsLimit);
    return this.dirs(rel);
  }

  /** v2 only lets a cgroup use a controller its parent delegates: enable them down the path. */
  private enableV2Controllers(rel: string): void {
    const root = this.layout.mounts.unified;
    const parts = rel.split('/').filter(Boolean);
    let dir = root;
    for (let i = 0; i < parts.length; i++) {
      for (const c of V2_CONTROLLERS) {
        try {
          fs.writeFileSync(path.join(dir, 'cgroup.subtree_control'), `+${c}`);
        } catch {
          // Not available on this machine (or a process sits in an inner node): limits for it are not enforced.
        }
      }
      dir = path.join(dir, parts[i]);
      fs.mkdirSync(dir, { recursive: true });
    }
  }

  stats(rel: string): CgroupStats | null {
    if (this.layout.version === 2) {
      const dir = this.dir('unified', rel);
      if (!fs.existsSync(dir)) return null;
      const usageUsec = flatKeyed(readOr(path.join(dir, 'cpu.stat')), 'usage_usec') ?? 0;
      const current = Number(readOr(path.join(dir, 'memory.current'), '0'));
      const inactive = flatKeyed(readOr(path.join(dir, 'memory.stat')), 'inactive_file') ?? 0;
      return { cpuUsageCoreNanoSeconds: usageUsec * NANOS_PER_MICRO, memoryWorkingSetBytes: Math.max(0, current - inactive) };
    }
    const memory = this.dir('memory', rel);
    if (!fs.existsSync(memory)) return null;
    const usage = Number(readOr(path.join(memory, 'memory.usage_in_bytes'), '0'));
    const inactive = flatKeyed(readOr(path.join(memory, 'memory.stat')), 'total_inactive_file') ?? 0;
    const cpu = Number(readOr(path.join(this.dir('cpuacct', rel), 'cpuacct.usage'), '0'));
    return { cpuUsageCoreNanoSeconds: cpu, memoryWorkingSetBytes: Math.max(0, usage - inactive) };
  }

  /** Whether the memory limit killed the container's process (read before remove()). */
  oomKilled(rel: string, exitCode: number): boolean {
    if (this.layout.version === 2) {
      return (flatKeyed(readOr(path.join(this.dir('unified', rel), 'memory.events')), 'oom_kill') ?? 0) > 0;
    }
    const memory = this.dir('memory', rel);
    const oomKills = flatKeyed(readOr(path.join(memory, 'memory.oom_control')), 'oom_kill');
    if (oomKills !== undefined) return oomKills > 0;
    return exitCode === EXIT_SIGKILL && Number(readOr(path.join(memory, 'memory.failcnt'), '0')) > 0;
  }

  /** Removes the cgroup and then its parents up to (not including) `keepAbove`, where empty. Never throws. */
  remove(rel: string, keepAbove: string): void {
    for (const mount of new Set(Object.values(this.layout.mounts))) {
      let cur = rel;
      while (cur && cur !== '.' && cur !== '/' && cur !== keepAbove && cur.startsWith(keepAbove)) {
        try {
          fs.rmdirSync(path.join(mount, cur));
        } catch {
          break; // still has processes or children
        }
        cur = path.dirname(cur);
      }
    }
  }

  /** Kills every process left in the cgroup (exec'd processes of a dead container). */
  killAll(rel: string): void {
    for (const d of this.dirs(rel)) {
      for (const pid of readOr(path.join(d, 'cgroup.procs')).split('\n').filter(Boolean)) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
  }
}
