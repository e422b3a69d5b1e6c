/**
 * Simulated resource usage for the fake runtime, so a test can steer what `kubectl top` and the
 * HorizontalPodAutoscaler see through every real part in between: the file
 * `<rootDir>/fake-usage.json` (re-read on each stats call, a missing or unreadable file = no
 * usage) sets a CPU rate and a memory working set per container name:
 *
 *     { "containers": { "web": { "cpuMillicores": 800, "memoryBytes": 52428800 } },
 *       "default": { "cpuMillicores": 1, "memoryBytes": 1048576 } }
 *
 * A container's cumulative CPU time grows at its current rate between stats calls (so a changed
 * rate shows as a changed rate, not a jump), starting from 0 when it is first seen.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The usage file's name in the runtime's folder. */
export const FAKE_USAGE_FILE = 'fake-usage.json';

const NANOSECONDS_PER_MILLICORE_MS = 1_000;

/** The usage of one container. */
export interface FakeContainerUsage {
  readonly cpuMillicores?: number;
  readonly memoryBytes?: number;
}

/** The usage file's shape. */
export interface FakeUsageFile {
  readonly containers?: Readonly<Record<string, FakeContainerUsage>>;
  readonly default?: FakeContainerUsage;
}

/** Writes the usage file of a fake runtime whose folder is `rootDir` (tests). */
export function writeFakeUsage(rootDir: string, usage: FakeUsageFile): void {
  fs.mkdirSync(rootDir, { recursive: true });
  const tmp = path.join(rootDir, `${FAKE_USAGE_FILE}.tmp`);
  fs.writeFileSync(tmp, JSON.stringify(usage));
  fs.renameSync(tmp, path.join(rootDir, FAKE_USAGE_FILE));
}

/** Cumulative counters of the containers of one fake runtime. */
export class FakeUsage {
  private readonly cpu = new Map<string, { ns: number; atMs: number }>();

  constructor(private readonly rootDir: string) {}

  /** The figures of container `id` (named `name`) at `nowMs`. */
  read(id: string, name: string, nowMs: number, file: FakeUsageFile = this.load()): { cpuUsageCoreNanoSeconds: number; memoryWorkingSetBytes: number } {
    const usage = file.containers?.[name] ?? file.default ?? {};
    const last = this.cpu.get(id) ?? { ns: 0, atMs: nowMs };
    const ns = last.ns + Math.max(0, nowMs - last.atMs) * Math.max(0, usage.cpuMillicores ?? 0) * NANOSECONDS_PER_MILLICORE_MS;
    this.cpu.set(id, { ns, atMs: nowMs });
    return { cpuUsageCoreNanoSeconds: Math.round(ns), memoryWorkingSetBytes: Math.max(0, Math.round(usage.memoryBytes ?? 0)) };
  }

  /** Forgets a removed container. */
  forget(id: string): void {
    this.cpu.delete(id);
  }

  /** The usage file now (empty when missing or malformed). */
  load(): FakeUsageFile {
    try {
      const parsed = JSON.parse(fs.readFileSync(path.join(this.rootDir, FAKE_USAGE_FILE), 'utf8')) as unknown;
      return parsed !== null && typeof parsed === 'object' ? (parsed as FakeUsageFile) : {};
    } catch {
      return {};
    }
  }
}
