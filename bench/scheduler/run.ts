import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { QUIET_BUSY_FRACTION, QUIET_WAIT_MS, RESULTS_DIR } from '../common/settings';
import { waitForQuietMachine } from '../store/measure';
import { renderMarkdown, renderText } from '../store/report';
import { runAlgorithm, type AlgorithmFigures } from './algorithm-phase';
import { runEndToEnd, type EndToEndFigures } from './end-to-end-phase';
import { ALGORITHM_TARGET_AT_5000, CLUSTERLOADER2_ANCHOR, END_TO_END_TARGETS, SCHEDULER_PERF_ANCHOR, schedulerBenchPlan } from './plan';

/**
 * The scheduler benchmark (issue 11), side by side in one run:
 * (a) the algorithm alone, in process: decisions/s at 1,000 and 5,000 nodes with 10,000 pods;
 * (b) end to end through apiserver and store (real processes): 5,000 pods pre-created, 1,000
 *     and 5,000 Node objects; pods/s from scheduler start to the last bind seen through a
 *     watch; then pods created at 100/s and their create→bound p50/p99.
 * Prints a table with the anchors (kube-scheduler's scheduler_perf, ClusterLoader2) and the
 * targets, and writes it to bench/results/scheduler-<date>.md.
 *
 *   npm run bench:scheduler [-- --quick]
 */

const log = (msg: string): void => console.log(`[bench:scheduler ${new Date().toISOString().slice(11, 19)}] ${msg}`);
const int = (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '?');
const verdict = (ok: boolean): string => (ok ? 'PASS' : 'MISS');

type Outcome<T> = { value: T } | { error: string };

function attempt<T>(name: string, fn: () => T | Promise<T>): Promise<Outcome<T>> {
  return Promise.resolve()
    .then(fn)
    .then(
      (value) => ({ value }),
      (err: unknown) => {
        log(`${name}: ERROR ${(err as Error).message}`);
        return { error: (err as Error).message };
      },
    );
}

function table(algorithm: Outcome<AlgorithmFigures>[], endToEnd: Outcome<EndToEndFigures>[]): string[][] {
  const rows = [['figure', 'Bosun', 'anchor', 'target', 'result']];
  for (const o of algorithm) {
    if ('error' in o) {
      rows.push(['(a) algorithm', `ERROR: ${o.error}`, '', '', 'MISS']);
      continue;
    }
    const a = o.value;
    const target = a.nodes === 5000 ? ALGORITHM_TARGET_AT_5000 : undefined;
    rows.push([
      `(a) algorithm alone, ${int(a.nodes)} nodes, ${int(a.pods)} pods`,
      `${int(a.decisionsPerSecond)} decisions/s (${int(a.nodesPerDecision)} nodes filtered per pod, ${int(a.placed)} placed)`,
      a.nodes === 5000 ? SCHEDULER_PERF_ANCHOR : '',
      target ? `≥ ${int(target)} /s` : '',
      target ? verdict(a.decisionsPerSecond >= target) : '',
    ]);
  }
  for (const o of endToEnd) {
    if ('error' in o) {
      rows.push(['(b) end to end', `ERROR: ${o.error}`, '', '', 'MISS']);
      continue;
    }
    const e = o.value;
    const target = END_TO_END_TARGETS[e.nodes];
    rows.push([
      `(b) ${int(e.pods)} pre-created pods, ${int(e.nodes)} nodes: start → last bind`,
      `${int(e.podsPerSecond)} pods/s (${e.seconds.toFixed(1)} s; ${int(e.podsPerSecondAfterFirstBind)} /s after the first bind at ${e.startupSeconds.toFixed(1)} s; ${e.bindErrors} bind errors)`,
      e.nodes === 5000 ? SCHEDULER_PERF_ANCHOR : CLUSTERLOADER2_ANCHOR,
      target ? `≥ ${int(target)} pods/s` : '',
      target ? verdict(e.podsPerSecond >= target) : '',
    ]);
    rows.push([
      `(b) create→bound at ${e.stream.rate} pods/s, ${int(e.nodes)} nodes`,
      `p50 ${int(e.stream.p50Ms)} ms, p99 ${int(e.stream.p99Ms)} ms, max ${int(e.stream.maxMs)} ms (${e.stream.pods} pods)`,
      CLUSTERLOADER2_ANCHOR,
      '',
      '',
    ]);
    const c = e.cpuMs;
    rows.push([`(b) CPU during the bind wave, ${int(e.nodes)} nodes`, `scheduler ${int(c.scheduler)} ms, apiserver ${int(c.apiserver)} ms, store ${int(c.store)} ms over ${int(c.wallMs)} ms`, '', '', '']);
  }
  return rows;
}

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const plan = schedulerBenchPlan(quick);
  const started = Date.now();
  const busy = await waitForQuietMachine(QUIET_BUSY_FRACTION, QUIET_WAIT_MS);
  if (busy >= QUIET_BUSY_FRACTION) log(`warning: other processes keep ${(busy * 100).toFixed(0)}% of the CPUs busy; figures will be skewed`);

  const algorithm: Outcome<AlgorithmFigures>[] = [];
  for (const nodes of plan.algorithm.nodeCounts) {
    const o = await attempt(`(a) ${nodes} nodes`, () => runAlgorithm(nodes, plan.algorithm.pods));
    if ('value' in o) log(`(a) ${nodes} nodes: ${int(o.value.decisionsPerSecond)} decisions/s`);
    algorithm.push(o);
  }
  const endToEnd: Outcome<EndToEndFigures>[] = [];
  for (const nodes of plan.endToEnd.nodeCounts) {
    log(`(b) ${nodes} nodes: starting a cluster`);
    endToEnd.push(await attempt(`(b) ${nodes} nodes`, () => runEndToEnd(nodes, plan.endToEnd, (m) => log(`(b) ${nodes} nodes: ${m}`))));
  }

  const rows = table(algorithm, endToEnd);
  const cpus = os.cpus();
  const machine = `${cpus.length} × ${cpus[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
  const minutes = ((Date.now() - started) / 60_000).toFixed(1);
  const command = `npm run bench:scheduler${quick ? ' -- --quick' : ''}`;
  console.log('');
  console.log(renderText(rows));
  console.log(`${quick ? 'quick' : 'full'} run, ${minutes} min: ${command}; machine: ${machine}; other processes used ${(busy * 100).toFixed(0)}% of the CPUs just before.`);
  const md = [
    `# scheduler benchmark, ${new Date().toISOString().slice(0, 10)}${quick ? ' (quick)' : ''}`,
    '',
    `\`${command}\` — ${minutes} min. ${machine}. Other processes used ${(busy * 100).toFixed(0)}% of the CPUs just before the run.`,
    '',
    '(a) runs the default profile in process, each decided pod assumed on its node. (b) runs a 3-member store, one apiserver and one `bosun scheduler` as processes on 127.0.0.1; binds are observed through a watch by the benchmark process, which also created the objects.',
    '',
    renderMarkdown(rows),
    '',
  ].join('\n');
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, `scheduler-${new Date().toISOString().slice(0, 10)}${quick ? '-quick' : ''}.md`);
  fs.writeFileSync(file, md);
  console.log(`written: ${path.relative(process.cwd(), file) || file}`);
}

main().catch((err) => {
  console.error(`bench:scheduler failed: ${(err as Error).stack ?? err}`);
  process.exit(1);
});
