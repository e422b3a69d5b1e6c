import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BenchCluster, REJOIN_TIMEOUT_MS, snapshotBuild, startBosun, startEtcd, SystemName } from './clusters';
import { PHASE_FILE, PROF_DIR_ENV } from './cpu-profile-hook';
import { CpuMeter, sleep, startCpuMeter, waitForQuietMachine } from './measure';
import { failoverPhase, memoryPhase, PhaseRun, putPhase, rangePhase, watchPhase } from './phases';
import { benchPlan, BenchPlan } from './plan';
import { CLIENT_BOUND_ELU, clientBoundPhases, cpuTable, figuresTable, Outcome, renderMarkdown, renderText, SystemResults } from './report';
import { MEMBERS, PHASE_SLACK_MS, PROFILE_WRITE_MS, QUIET_BUSY_FRACTION, QUIET_WAIT_MS, RESULTS_DIR } from '../common/settings';

/**
 * The store benchmark: a Bosun 3-member store cluster against an etcd 3.4 3-member cluster
 * (its anchor), same load client, same machine, one after the other in one run. Prints the
 * side-by-side table and the load generator's CPU per phase, and writes them as markdown to
 * bench/results/store-<date>.md.
 *
 *   node dist/bench/store/run.js [--quick] [--only bosun|etcd] [--cpu-prof] [--live-build]
 *
 * --cpu-prof   profiles the Bosun members (cpu-profile-hook): one .cpuprofile per member and
 *              phase in bench/results/cpu-prof-<time>/; read them with profile-summary.js.
 * --live-build runs the members from this tree's dist/ instead of a copy taken at the start
 *              (the copy keeps a concurrent rebuild from changing Bosun mid-run).
 */

interface Args {
  quick: boolean;
  only: SystemName | undefined;
  cpuProf: boolean;
  liveBuild: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { quick: false, only: undefined, cpuProf: false, liveBuild: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') args.quick = true;
    else if (a === '--cpu-prof') args.cpuProf = true;
    else if (a === '--live-build') args.liveBuild = true;
    else if (a === '--only' || a.startsWith('--only=')) {
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i];
      if (v !== 'bosun' && v !== 'etcd') throw new Error(`--only takes "bosun" or "etcd", not "${v}"`);
      args.only = v;
    } else if (a === '--help' || a === '-h') {
      console.log('usage: node dist/bench/store/run.js [--quick] [--only bosun|etcd] [--cpu-prof] [--live-build]');
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  return args;
}

const log = (msg: string): void => console.log(`[bench:store ${new Date().toISOString().slice(11, 19)}] ${msg}`);

/** The cluster being measured, so a signal can stop it. */
let current: BenchCluster | undefined;
/** The copy of the build the Bosun members run (unless --live-build). */
let buildCopy: string | undefined;
/** The profile directory while the members are profiled (--cpu-prof). */
let profiling: string | undefined;

/**
 * Runs one phase, bounded by `limitMs`; errors become the outcome. CPU is what the phase
 * measured with its meter (the load itself), or the whole phase if it measured nothing.
 */
async function phase<T>(
  cluster: BenchCluster,
  name: string,
  limitMs: number,
  fn: (meter: CpuMeter) => Promise<PhaseRun<T>>,
  describe: (v: T) => string,
): Promise<Outcome<T>> {
  const whole = startCpuMeter(() => cluster.pids());
  const meter = new CpuMeter(() => cluster.pids());
  let timer: NodeJS.Timeout | undefined;
  try {
    const limit = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`phase did not finish within ${Math.round(limitMs / 1000)} s`)), limitMs);
    });
    const run = await Promise.race([fn(meter), limit]);
    const cpu = meter.spent() ?? whole();
    log(
      `${cluster.system}: ${name}: ${describe(run.value)}; CPU ms client ${cpu.clientMs.toFixed(0)} (event loop ${(cpu.clientElu * 100).toFixed(0)}% busy), ` +
        `servers ${cpu.serverMs.toFixed(0)}, other processes ${cpu.otherMs.toFixed(0)}, over ${(cpu.wallMs / 1000).toFixed(1)} s`,
    );
    return { run, cpu };
  } catch (err) {
    const cpu = meter.spent() ?? whole();
    const error = (err as Error).message;
    log(`${cluster.system}: ${name}: ERROR ${error}`);
    return { error, cpu };
  } finally {
    clearTimeout(timer);
    if (profiling) await cutProfiles(cluster, profiling, name);
  }
}

const f1 = (n: number): string => n.toFixed(1);
const loadLine = (v: { throughput: number; p50Ms: number; p99Ms: number; errors: number; ok: number; capped: boolean; firstError: string | undefined }): string =>
  `${Math.round(v.throughput)}/s p50 ${f1(v.p50Ms)} ms p99 ${f1(v.p99Ms)} ms (${v.ok} ok, ${v.errors} err${v.capped ? ', time cap' : ''})` +
  (v.firstError ? `; first error: ${v.firstError}` : '');

/** Runs every phase against one system; never throws. */
async function measureSystem(name: SystemName, plan: BenchPlan, args: Args, stamp: string): Promise<SystemResults> {
  const results: SystemResults = { system: name === 'bosun' ? 'Bosun' : 'etcd 3.4', puts: [] };
  let cluster: BenchCluster;
  let profDir: string | undefined;
  const busy = await waitForQuietMachine(QUIET_BUSY_FRACTION, QUIET_WAIT_MS);
  results.otherLoadBefore = busy;
  if (busy >= QUIET_BUSY_FRACTION) log(`warning: other processes keep ${(busy * 100).toFixed(0)}% of the CPUs busy; figures will be skewed`);
  log(`${results.system}: starting a ${MEMBERS}-member cluster on 127.0.0.1`);
  try {
    if (name === 'bosun') {
      const env: NodeJS.ProcessEnv = {};
      if (args.cpuProf) {
        profDir = path.join(RESULTS_DIR, `cpu-prof-${stamp}`);
        fs.mkdirSync(profDir, { recursive: true });
        env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --require ${path.join(__dirname, 'cpu-profile-hook.js')}`.trim();
        env[PROF_DIR_ENV] = profDir;
        log(`Bosun members are profiled; one .cpuprofile per member and phase goes to ${profDir}`);
      }
      cluster = await startBosun(MEMBERS, env, args.liveBuild ? undefined : (buildCopy ??= snapshotBuild()));
    } else {
      cluster = await startEtcd(MEMBERS);
    }
  } catch (err) {
    results.startError = (err as Error).message;
    log(`${results.system}: cluster did not start: ${results.startError}`);
    return results;
  }
  current = cluster;
  log(`${results.system}: up on ${cluster.endpoints.join(', ')} (pids ${cluster.pids().join(', ')})`);
  let failed = false;
  const note = <T>(o: Outcome<T>): Outcome<T> => {
    if (o.error !== undefined) failed = true;
    return o;
  };
  if (profDir) await cutProfiles(cluster, profDir, 'startup');
  profiling = profDir;
  try {
    const m = plan.memoryKeys;
    results.memory = note(
      await phase(cluster, `load ${m.total} keys`, plan.idleSettleMs + m.capMs + plan.memorySettleMs + plan.quietSettleMs + PHASE_SLACK_MS, (meter) => memoryPhase(cluster, plan, meter), (v) =>
        `${v.keysLoaded} keys at ${Math.round(v.loadThroughput)}/s${v.loadErrors ? ` (${v.loadErrors} errors, first: ${v.loadFirstError})` : ''}; RSS leader ${(v.leaderRss / 2 ** 20).toFixed(1)} MiB, max ${(v.maxRss / 2 ** 20).toFixed(1)} MiB; last ${v.tailPuts} puts p99.9 ${f1(v.tailP999Ms)} ms max ${f1(v.tailMaxMs)} ms, ${v.snapshots} snapshot(s)`,
      ),
    );
    for (const s of plan.puts) {
      results.puts.push(note(await phase(cluster, `put (${s.conns}, ${s.clients})`, s.capMs + PHASE_SLACK_MS, (meter) => putPhase(cluster, s, plan.warmupCalls, meter), loadLine)));
    }
    const r = plan.ranges;
    const keys = results.memory.run?.value.keysLoaded ?? 0;
    results.rangeLinearizable = note(await phase(cluster, 'range linearizable', r.capMs + PHASE_SLACK_MS, (meter) => rangePhase(cluster, r, false, keys, meter), loadLine));
    results.rangeSerializable = note(await phase(cluster, 'range serializable', r.capMs + PHASE_SLACK_MS, (meter) => rangePhase(cluster, r, true, keys, meter), loadLine));
    results.watch = note(
      await phase(cluster, 'watch', plan.watch.capMs + PHASE_SLACK_MS, (meter) => watchPhase(cluster, plan, meter), (v) =>
        `p50 ${f1(v.p50Ms)} ms p99 ${f1(v.p99Ms)} ms, ${v.eventsReceived}/${v.eventsExpected} events, put p50 ${f1(v.putP50Ms)} ms`,
      ),
    );
    const fo = plan.failover;
    results.failover = note(
      await phase(cluster, 'failover', fo.trials * (fo.beforeKillMs + fo.capAfterKillMs + REJOIN_TIMEOUT_MS) + PHASE_SLACK_MS, (meter) => failoverPhase(cluster, plan, meter), (v) =>
        `gaps ${v.gapsMs.map((g) => Math.round(g)).join(', ')} ms (median ${Math.round(v.gapMs)}), first new put ok ${Math.round(v.recoveryMs)} ms after the kill (median), ${v.errors} errors; ` +
        (v.rejoinError ? `rejoin failed: ${v.rejoinError}` : `rejoined within ${Math.round(v.rejoinMs)} ms`),
      ),
    );
  } finally {
    current = undefined;
    profiling = undefined;
    const keep = failed && name === 'bosun';
    await cluster.stop(keep);
    log(`${results.system}: stopped${keep ? `; logs kept in ${cluster.logDir}` : ''}`);
  }
  return results;
}

/**
 * Has every member write its profile since the last cut (see cpu-profile-hook), labelled
 * `label`, and waits a moment for the files.
 */
async function cutProfiles(cluster: BenchCluster, dir: string, label: string): Promise<void> {
  fs.writeFileSync(path.join(dir, PHASE_FILE), label.replace(/[^\w.-]+/g, '_'));
  for (const pid of cluster.pids()) {
    if (pid === undefined) continue;
    try {
      process.kill(pid, 'SIGUSR2');
    } catch {
      // gone
    }
  }
  await sleep(PROFILE_WRITE_MS);
}

function removeBuildCopy(): void {
  if (buildCopy) fs.rmSync(buildCopy, { recursive: true, force: true });
  buildCopy = undefined;
}

/** A 0..1 fraction as a percentage, or "?" when unknown. */
function pct(f: number | undefined): string {
  return f === undefined || Number.isNaN(f) ? '?' : `${(f * 100).toFixed(0)}%`;
}

function etcdVersion(): string {
  try {
    return execFileSync('/usr/bin/etcd', ['--version'], { encoding: 'utf8' }).split('\n')[0].replace('etcd Version: ', '');
  } catch {
    return 'unknown';
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const plan = benchPlan(args.quick);
  const started = Date.now();
  const now = new Date();
  const date = now.toISOString().slice(0, 10);
  const stamp = now.toISOString().slice(0, 19).replace(/[:T]/g, '-');
  const command = `node dist/bench/store/run.js${process.argv.slice(2).length ? ` ${process.argv.slice(2).join(' ')}` : ''}`;
  log(`${args.quick ? 'quick' : 'full'} run: etcd 3.4 first, then Bosun, one after the other (never loaded together)`);

  const skipped = (system: string): SystemResults => ({ system, startError: 'skipped (--only)', puts: [] });
  const etcd = args.only === 'bosun' ? skipped('etcd 3.4') : await measureSystem('etcd', plan, args, stamp);
  const bosun = args.only === 'etcd' ? skipped('Bosun') : await measureSystem('bosun', plan, args, stamp);
  removeBuildCopy();

  const figures = figuresTable(plan, bosun, etcd);
  const cpu = cpuTable(plan, bosun, etcd);
  const minutes = ((Date.now() - started) / 60_000).toFixed(1);
  const cpus = os.cpus();
  const machine = `${cpus.length} × ${cpus[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.type()} ${os.release()}, Node ${process.version}, etcd ${etcdVersion()}`;
  const setup =
    'puts go to the leader; ranges and watch streams are spread over all members; 256-byte values; ' +
    'closed-loop clients (one call in flight each) on a lean node:http2 gRPC client; failed calls count as errors, not samples.';
  const contention = `other processes on the machine used ${pct(etcd.otherLoadBefore)} of its CPUs just before the etcd run and ${pct(bosun.otherLoadBefore)} before the Bosun run`;
  const bound = clientBoundPhases(plan, [bosun, etcd]);
  const boundNote = bound.length
    ? `Client-bound (load generator's event loop ≥ ${CLIENT_BOUND_ELU * 100}% busy, so these figures understate the server): ${bound.join('; ')}.`
    : 'No phase saturated the load generator.';
  const profiled = args.cpuProf ? ' Bosun members ran under the CPU profiler (slower than normal).' : '';

  console.log('');
  console.log(renderText(figures));
  console.log('');
  console.log('Load generator CPU (process.cpuUsage) and server members CPU (/proc/<pid>/stat) per phase:');
  console.log(renderText(cpu));
  console.log(boundNote);
  console.log('');
  console.log(`${args.quick ? 'quick' : 'full'} run, ${minutes} min: ${command}`);
  console.log(`machine: ${machine}; ${contention}.${profiled}`);

  const md = [
    `# Store benchmark, ${date}${args.quick ? ' (quick)' : ''}`,
    '',
    `\`${command}\` — ${minutes} min. ${machine}.`,
    '',
    `Bosun and etcd 3.4 (its anchor), 3 members each on 127.0.0.1, defaults (fsync on), measured one after the other in the same run with the same client. ${setup} ` +
      `Failover: median over ${plan.failover.trials} kills of the leader, clients time out a put after ${plan.failover.callTimeoutMs} ms and retry on the next member. ` +
      `Memory: VmRSS after loading ${plan.memoryKeys.total.toLocaleString('en-US')} keys, read ${plan.memorySettleMs / 1000} s after the load and again ${plan.quietSettleMs / 1000} s later; idle RSS read ${plan.idleSettleMs / 1000} s after the cluster started.`,
    '',
    `Contention: ${contention}; the CPU table gives the share other processes took during each phase.${profiled}`,
    '',
    renderMarkdown(figures),
    '',
    'Load generator CPU (process.cpuUsage) and the three members\' CPU (/proc) per phase:',
    '',
    renderMarkdown(cpu),
    '',
    boundNote,
    '',
  ].join('\n');
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  // Partial or perturbed runs get their own file, so they never overwrite a comparison.
  const variant = [args.quick ? 'quick' : '', args.only ? `only-${args.only}` : '', args.cpuProf ? 'profiled' : ''].filter(Boolean).join('-');
  const file = path.join(RESULTS_DIR, `store-${date}${variant ? `-${variant}` : ''}.md`);
  fs.writeFileSync(file, md);
  console.log(`written: ${path.relative(process.cwd(), file) || file}`);
}

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    log(`${sig}: stopping the cluster under test`);
    const c = current;
    void (c ? c.stop() : Promise.resolve()).finally(() => {
      removeBuildCopy();
      process.exit(130);
    });
  });
}

main().catch((err) => {
  removeBuildCopy();
  console.error(`bench:store failed: ${(err as Error).stack ?? err}`);
  process.exitCode = 1;
});
