import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { GrpcApiClient } from '../../lib/client/grpc-api-client';
import { BenchCluster, snapshotBuild, startBosun } from '../store/clusters';
import { PHASE_FILE, PROF_DIR_ENV } from '../store/cpu-profile-hook';
import { procRssBytes, sleep, waitForQuietMachine } from '../store/measure';
import { renderMarkdown, renderText } from '../store/report';
import { ApiServerProcess, startApiServerProcess } from './apiserver-process';
import { CpuSplitMeter } from './cpu-split';
import {
  BenchContext,
  cacheListPhase,
  clientListPhase,
  createPhase,
  createRatePhase,
  getRatePhase,
  idlePhase,
  pagedListPhase,
  PhaseRun,
  rawPutPhase,
  setUp,
  topUp,
  watchPhase,
} from './phases';
import { apiBenchPlan, LIST_PAGE_LIMIT } from './plan';
import { ApiResults, CLIENT_BOUND_ELU, clientBoundPhases, cpuTable, figuresTable, Outcome } from './report';
import { MEMBERS, PHASE_SLACK_MS, PROFILE_WRITE_MS, QUIET_BUSY_FRACTION, QUIET_WAIT_MS, RESULTS_DIR } from '../common/settings';

/**
 * The apiserver benchmark: a 3-member Bosun store (LocalStoreCluster processes) and one
 * apiserver in its own process; raw store puts as the anchor of pod creates (same
 * concurrency, same lean grpc-lite client), fixed-rate gets and creates against the 50 ms p99
 * target, lists of 10,000 pods against the 1 s target, and the fan-out delay of 1000 watchers.
 * Prints the figures and per-phase CPU (load generator, apiserver, store) and writes them as
 * markdown to bench/results/apiserver-<date>.md.
 *
 *   node dist/bench/apiserver/run.js [--quick] [--cpu-prof] [--live-build]
 *
 * --cpu-prof   profiles the apiserver process (bench/store/cpu-profile-hook): one .cpuprofile
 *              per phase in bench/results/apiserver-cpu-prof-<time>/; read them with
 *              node dist/bench/store/profile-summary.js.
 * --live-build runs the store members from this tree's dist/ instead of a copy taken at start.
 */

interface Args {
  quick: boolean;
  cpuProf: boolean;
  liveBuild: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { quick: false, cpuProf: false, liveBuild: false };
  for (const a of argv) {
    if (a === '--quick') args.quick = true;
    else if (a === '--cpu-prof') args.cpuProf = true;
    else if (a === '--live-build') args.liveBuild = true;
    else if (a === '--help' || a === '-h') {
      console.log('usage: node dist/bench/apiserver/run.js [--quick] [--cpu-prof] [--live-build]');
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  return args;
}

const log = (msg: string): void => console.log(`[bench:apiserver ${new Date().toISOString().slice(11, 19)}] ${msg}`);
const f1 = (n: number): string => n.toFixed(1);

/** What a signal must stop. */
let cluster: BenchCluster | undefined;
let apiserver: ApiServerProcess | undefined;
let buildCopy: string | undefined;
let profDir: string | undefined;

async function cleanUp(keepData: boolean): Promise<void> {
  await apiserver?.stop();
  apiserver = undefined;
  await cluster?.stop(keepData);
  cluster = undefined;
  if (buildCopy) fs.rmSync(buildCopy, { recursive: true, force: true });
  buildCopy = undefined;
}

/** Runs one phase bounded by `limitMs`; its error becomes the outcome. */
async function phase<T>(name: string, limitMs: number, fn: (measure: CpuSplitMeter['measure']) => Promise<PhaseRun<T>>, describe: (v: T) => string): Promise<Outcome<T>> {
  const meter = new CpuSplitMeter(
    () => apiserver?.pid,
    () => cluster?.pids() ?? [],
  );
  let timer: NodeJS.Timeout | undefined;
  try {
    const limit = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`phase did not finish within ${Math.round(limitMs / 1000)} s`)), limitMs);
    });
    const run = await Promise.race([fn(meter.measure), limit]);
    const cpu = meter.spent();
    log(
      `${name}: ${describe(run.value)}` +
        (cpu
          ? `; CPU ms: client ${cpu.clientMs.toFixed(0)} (loop ${(cpu.clientElu * 100).toFixed(0)}% busy), apiserver ${cpu.apiserverMs.toFixed(0)}, store ${cpu.storeMs.toFixed(0)}, other ${cpu.otherMs.toFixed(0)} over ${f1(cpu.wallMs / 1000)} s`
          : ''),
    );
    return { run, cpu };
  } catch (err) {
    const error = (err as Error).message;
    log(`${name}: ERROR ${error}`);
    return { error, cpu: meter.spent() };
  } finally {
    clearTimeout(timer);
    await cutProfile(name);
  }
}

/** Has the profiled apiserver write its profile since the last cut, labelled `label`. */
async function cutProfile(label: string): Promise<void> {
  if (!profDir || !apiserver) return;
  fs.writeFileSync(path.join(profDir, PHASE_FILE), label.replace(/[^\w.-]+/g, '_'));
  try {
    process.kill(apiserver.pid, 'SIGUSR2');
  } catch {
    return;
  }
  await sleep(PROFILE_WRITE_MS);
}

const loadLine = (v: { throughput: number; p50Ms: number; p99Ms: number; ok: number; errors: number; firstError: string | undefined; capped: boolean }): string =>
  `${Math.round(v.throughput)}/s p50 ${f1(v.p50Ms)} ms p99 ${f1(v.p99Ms)} ms (${v.ok} ok, ${v.errors} err${v.capped ? ', time cap' : ''})${v.firstError ? `; first error: ${v.firstError}` : ''}`;
const listLine = (v: { items: number; medianMs: number; maxMs: number; timesMs: readonly number[] }): string =>
  `${v.items} pods: ${v.timesMs.map((t) => Math.round(t)).join(', ')} ms (median ${Math.round(v.medianMs)})`;

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const plan = apiBenchPlan(args.quick);
  const started = Date.now();
  const now = new Date();
  const date = now.toISOString().slice(0, 10);
  const stamp = now.toISOString().slice(0, 19).replace(/[:T]/g, '-');
  const command = `node dist/bench/apiserver/run.js${process.argv.length > 2 ? ` ${process.argv.slice(2).join(' ')}` : ''}`;

  const busyBefore = await waitForQuietMachine(QUIET_BUSY_FRACTION, QUIET_WAIT_MS);
  if (busyBefore >= QUIET_BUSY_FRACTION) log(`warning: other processes keep ${(busyBefore * 100).toFixed(0)}% of the CPUs busy; figures will be skewed`);
  log(`${args.quick ? 'quick' : 'full'} run: starting a ${MEMBERS}-member Bosun store on 127.0.0.1`);
  cluster = await startBosun(MEMBERS, {}, args.liveBuild ? undefined : (buildCopy = snapshotBuild()));
  const leaderIndex = await cluster.leader();
  const endpoints = [cluster.endpoints[leaderIndex], ...cluster.endpoints.filter((_, i) => i !== leaderIndex)];
  log(`store up on ${cluster.endpoints.join(', ')}; leader ${endpoints[0]} (the apiserver's store client and the raw puts use it)`);

  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bosun-bench-apiserver-'));
  const env: NodeJS.ProcessEnv = {};
  if (args.cpuProf) {
    profDir = path.join(RESULTS_DIR, `apiserver-cpu-prof-${stamp}`);
    fs.mkdirSync(profDir, { recursive: true });
    env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --require ${path.join(__dirname, '..', 'store', 'cpu-profile-hook.js')}`.trim();
    env[PROF_DIR_ENV] = profDir;
    log(`the apiserver is profiled; one .cpuprofile per phase goes to ${profDir}`);
  }
  apiserver = await startApiServerProcess(endpoints, path.join(workDir, 'apiserver.log'), env);
  log(`apiserver (pid ${apiserver.pid}) serves on ${apiserver.address}; log ${apiserver.logFile}`);
  await cutProfile('startup');

  const api = new GrpcApiClient({ endpoints: [apiserver.address] });
  const ctx: BenchContext = { plan, storeLeader: endpoints[0], apiserver: apiserver.address, api, namespace: 'bench', rateNamespace: 'bench-rate', created: 0 };
  const results: ApiResults = {};
  let failed = false;
  let topUpNote = '';
  let rssNote = '';
  try {
    await setUp(ctx);
    log(`a stored pod is ${ctx.podValue!.length} bytes (JSON); the raw puts write those bytes`);
    const slack = PHASE_SLACK_MS;
    results.idle = await phase('0 idle', slack, (m) => idlePhase(m), (v) => `${v.seconds} s without load`);
    results.puts = await phase('1 raw put', plan.puts.capMs + slack, (m) => rawPutPhase(ctx, m), loadLine);
    results.creates = await phase('2 pod create', plan.creates.capMs + slack, (m) => createPhase(ctx, m), loadLine);
    results.gets = await phase(`3 get at ${plan.openLoop.rate}/s`, plan.openLoop.capMs + slack, (m) => getRatePhase(ctx, m), loadLine);
    results.rateCreates = await phase(`3 create at ${plan.openLoop.rate}/s`, plan.openLoop.capMs + slack, (m) => createRatePhase(ctx, m), loadLine);
    const t = await topUp(ctx);
    topUpNote = `the list namespace held ${t.before} pods after phase 2; topped up to ${t.after} in ${f1(t.seconds)} s`;
    log(topUpNote);
    results.cacheList = await phase('4 list, watch cache', plan.list.callTimeoutMs * (plan.list.repeats + 1) + slack, (m) => cacheListPhase(ctx, m), listLine);
    results.pagedList = await phase(`4 list, pages of ${LIST_PAGE_LIMIT}`, plan.list.callTimeoutMs * (plan.list.repeats + 1) + slack, (m) => pagedListPhase(ctx, m), listLine);
    results.clientList = await phase('4 list, GrpcApiClient', plan.list.callTimeoutMs * plan.list.clientRepeats + slack, (m) => clientListPhase(ctx, m), listLine);
    const rss = procRssBytes(apiserver.pid);
    rssNote = rss ? `apiserver RSS with ${t.after + plan.openLoop.total} pods cached: ${(rss / 2 ** 20).toFixed(0)} MiB` : '';
    results.watch = await phase('5 watch fan-out', plan.watch.capMs + slack, (m) => watchPhase(ctx, m), (v) =>
      `${v.eventsReceived}/${v.eventsExpected} events; ack→event p50 ${f1(v.p50Ms)} ms p99 ${f1(v.p99Ms)} ms; write→event p50 ${f1(v.fromWriteP50Ms)} p99 ${f1(v.fromWriteP99Ms)} ms`,
    );
  } catch (err) {
    failed = true;
    log(`set-up failed: ${(err as Error).message}`);
    throw err;
  } finally {
    api.close();
    failed ||= Object.values(results).some((o) => (o as Outcome<unknown> | undefined)?.error !== undefined);
    const logDir = cluster?.logDir;
    await cleanUp(failed);
    if (failed) log(`logs kept: store ${logDir}, apiserver ${workDir}`);
    else fs.rmSync(workDir, { recursive: true, force: true });
  }

  const figures = figuresTable(plan, results);
  const cpu = cpuTable(plan, results);
  const bound = clientBoundPhases(plan, results);
  const minutes = ((Date.now() - started) / 60_000).toFixed(1);
  const cpus = os.cpus();
  const machine = `${cpus.length} × ${cpus[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.type()} ${os.release()}, Node ${process.version}`;
  const setup =
    `3-member Bosun store (LocalStoreCluster processes, fsync on) and one apiserver process on 127.0.0.1. ` +
    `Hot loops use the lean node:http2 client of bench/store (grpc-lite) for both the raw puts and the API calls, requests encoded ahead of time with the ` +
    `codecs GrpcApiClient uses; responses checked by gRPC status, not decoded. Pods are ${ctx.podValue?.length ?? '?'} bytes as stored; ` +
    `raw puts write those bytes to the leader (plain Put), creates go through admission, validation and a create-if-absent transaction. ` +
    `Fixed-rate latency is measured from each call's scheduled start. Watch: sequential updates of one pod, each waiting for all watchers.`;
  const contention = `other processes used ${(busyBefore * 100).toFixed(0)}% of the CPUs just before the run; the CPU table gives their share during each phase`;
  const boundNote = bound.length ? `Client-bound (load generator's event loop ≥ ${CLIENT_BOUND_ELU * 100}% busy): ${bound.join('; ')}.` : 'No phase saturated the load generator.';
  const notes = [topUpNote, rssNote].filter(Boolean).join('; ');
  const profiled = args.cpuProf ? ` The apiserver ran under the CPU profiler (slower); profiles in ${profDir}.` : '';

  console.log('');
  console.log(renderText(figures));
  console.log('');
  console.log('CPU per phase (load generator: process.cpuUsage; apiserver and store: /proc/<pid>/stat):');
  console.log(renderText(cpu));
  console.log(boundNote);
  console.log(`${notes}.`);
  console.log(`${args.quick ? 'quick' : 'full'} run, ${minutes} min: ${command}`);
  console.log(`machine: ${machine}; ${contention}.${profiled}`);

  const md = [
    `# apiserver benchmark, ${date}${args.quick ? ' (quick)' : ''}`,
    '',
    `\`${command}\` — ${minutes} min. ${machine}.`,
    '',
    setup,
    '',
    `Contention: ${contention}.${profiled}`,
    '',
    renderMarkdown(figures),
    '',
    'CPU per phase (load generator: process.cpuUsage; apiserver and store members: /proc):',
    '',
    renderMarkdown(cpu),
    '',
    boundNote,
    '',
    `${notes}.`,
    '',
  ].join('\n');
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  const variant = [args.quick ? 'quick' : '', args.cpuProf ? 'profiled' : ''].filter(Boolean).join('-');
  const file = path.join(RESULTS_DIR, `apiserver-${date}${variant ? `-${variant}` : ''}.md`);
  fs.writeFileSync(file, md);
  console.log(`written: ${path.relative(process.cwd(), file) || file}`);
}

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    log(`${sig}: stopping the apiserver and the store`);
    void cleanUp(false).finally(() => process.exit(130));
  });
}

main().catch((err) => {
  console.error(`bench:apiserver failed: ${(err as Error).stack ?? err}`);
  void cleanUp(true).finally(() => process.exit(1));
});
