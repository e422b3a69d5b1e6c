/**
 * bench/proxy/sync-bench — nftables rule sync time at 1,000 Services × 10 endpoints (issue 15's
 * target: ≤ 1 s at 10k endpoints), for a first full sync, a full resync of an unchanged table
 * (the 30 s periodic one), and incremental syncs of 1 and 10% of the Services after a rollout of
 * their endpoints. Runs in a network namespace of its own (never touches the host's rules); needs
 * root and nft. Prints a table.
 * Usage: node dist/bench/proxy/sync-bench.js [--services N] [--endpoints M] [--runs R]
 */
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

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const services = argNumber('--services', DEFAULT_SERVICES);
  const endpoints = argNumber('--endpoints', DEFAULT_ENDPOINTS);
  const runs = argNumber('--runs', DEFAULT_RUNS);
  if (!(await canUseKernel())) throw new Error('sync-bench needs root with nft and conntrack installed');
  const node = await TestNode.create();
  const rows: [string, number[], number][] = [];
  try {
    const options = { localNodes: new Set<string>(), serviceCidr: '10.43.0.0/16', clusterCidr: '10.42.0.0/16', nodePortAddresses: [], logger: pino({ level: 'warn' }), netns: node.netns };
    const first: number[] = [];
    const resync: number[] = [];
    const one: number[] = [];
    const tenth: number[] = [];
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
    console.log(`nftables sync: ${services} services × ${endpoints} endpoints, ${runs} runs (median; target ≤ ${TARGET_SYNC_MS} ms)`);
    console.log(`${'sync'.padEnd(30)}${'median ms'.padStart(10)}${'max ms'.padStart(10)}${'rules'.padStart(8)}  target`);
    for (const [name, times, n] of rows) {
      console.log(`${name.padEnd(30)}${median(times).toFixed(0).padStart(10)}${Math.max(...times).toFixed(0).padStart(10)}${String(n).padStart(8)}  ${median(times) <= TARGET_SYNC_MS ? 'met' : 'MISSED'}`);
    }
  } finally {
    await node.delete();
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
