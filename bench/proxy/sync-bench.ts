/**
 * bench/proxy/sync-bench — nftables rule sync time at 1,000 Services × 10 endpoints (issue 15's
 * target: ≤ 1 s at 10k endpoints), for a first full sync, a full resync of an unchanged table
 * (the 30 s periodic one), and incremental syncs of 1 and 10% of the Services after a rollout of
 * their endpoints. Runs in a network namespace of its own (never touches the host's rules); needs
 * root and nft. Prints a table: wall time, and CPU time (this process plus the nft, ip and
 * conntrack processes it waited for) — on a shared machine the CPU figure is the steadier one.
 * Usage: node dist/bench/proxy/sync-bench.js [--services N] [--endpoints M] [--runs R]
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import pino from 'pino';
import { NftablesDataPath } from '../../services/proxy/nftables/nftables-data-path';
import { syntheticSlice, syntheticTable } from '../../services/proxy/nftables/testing/synthetic-table';
import { canUseKernel, TestNode } from '../../services/proxy/nftables/testing/test-namespace';

const DEFAULT_SERVICES = 1_000;
const DEFAULT_ENDPOINTS = 10;
const DEFAULT_RUNS = 3;
/** Issue 15's target for one sync, ms. */
const TARGET_SYNC_MS = 1_000;

function argNumber(flag: string, fallback: number): number {
  const i = process.argv.indexOf(flag);
  const n = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${flag} wants a positive integer`);
  return n;
}

const CLOCK_TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

/** CPU time of this process and its waited-for children so far, ms (/proc/self/stat utime+stime+cutime+cstime). */
function cpuMs(): number {
  const stat = fs.readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields after the command name start at "state" (field 3): utime is field 14, cstime field 17.
  const ticks = [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0);
  return (ticks * 1000) / CLOCK_TICKS_PER_SECOND;
}

interface Timing {
  wallMs: number;
  cpuMs: number;
}

async function timed(fn: () => Promise<unknown>): Promise<Timing> {
  const t = process.hrtime.bigint();
  const c = cpuMs();
  await fn();
  return { wallMs: Number(process.hrtime.bigint() - t) / 1e6, cpuMs: cpuMs() - c };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const services = argNumber('--services', DEFAULT_SERVICES);
  const endpoints = argNumber('--endpoints', DEFAULT_ENDPOINTS);
  const runs = argNumber('--runs', DEFAULT_RUNS);
  if (!(await canUseKernel())) throw new Error('sync-bench needs root with nft and conntrack installed');
  const node = await TestNode.create();
  const rows: [string, Timing[], number][] = [];
  try {
    const options = { localNodes: new Set<string>(), serviceCidr: '10.43.0.0/16', clusterCidr: '10.42.0.0/16', nodePortAddresses: [], logger: pino({ level: 'warn' }), netns: node.netns };
    const first: Timing[] = [];
    const resync: Timing[] = [];
    const one: Timing[] = [];
    const tenth: Timing[] = [];
    let rules = 0;
    for (let run = 0; run < runs; run++) {
      const table = syntheticTable(services, endpoints);
      const dataPath = new NftablesDataPath(options);
      await dataPath.cleanup();
      await dataPath.start();
      first.push(await timed(async () => (rules = (await dataPath.sync(table, 'all')).rules)));
      resync.push(await timed(() => dataPath.sync(table, 'all')));
      table.setSlice(syntheticSlice(0, endpoints, run + 1));
      one.push(await timed(() => dataPath.sync(table, table.takeChanges())));
      for (let i = 0; i < services; i += 10) table.setSlice(syntheticSlice(i, endpoints, run + 2));
      tenth.push(await timed(() => dataPath.sync(table, table.takeChanges())));
    }
    rows.push(['full sync (empty table)', first, rules], ['full resync (unchanged)', resync, rules], ['incremental, 1 service', one, rules], [`incremental, ${Math.ceil(services / 10)} services`, tenth, rules]);
    const load = fs.readFileSync('/proc/loadavg', 'utf8').split(' ')[0];
    console.log(`nftables sync: ${services} services × ${endpoints} endpoints, ${runs} runs, medians (target ≤ ${TARGET_SYNC_MS} ms; load average ${load} on ${os.cpus().length} CPUs)`);
    console.log(`${'sync'.padEnd(30)}${'wall ms'.padStart(9)}${'max'.padStart(7)}${'CPU ms'.padStart(9)}${'rules'.padStart(8)}  target (wall)`);
    for (const [name, times, n] of rows) {
      const wall = median(times.map((t) => t.wallMs));
      const cpu = median(times.map((t) => t.cpuMs));
      console.log(`${name.padEnd(30)}${wall.toFixed(0).padStart(9)}${Math.max(...times.map((t) => t.wallMs)).toFixed(0).padStart(7)}${cpu.toFixed(0).padStart(9)}${String(n).padStart(8)}  ${wall <= TARGET_SYNC_MS ? 'met' : 'MISSED'}`);
    }
  } finally {
    await node.delete();
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
