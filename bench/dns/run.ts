/**
 * bench/dns — DNS queries/s of Bosun's cluster DNS and of a C authoritative server (Debian's
 * nsd), side by side in one run, serving the same records.
 *
 * The record set: SERVICES ClusterIP Services (`svc-<i>.ns-<j>.svc.cluster.local` A
 * 10.43.x.y). Bosun's side runs services/dns's resolver and wire server in a process of its own,
 * fed from an in-memory DnsIndex holding those Services (the structure the informers fill in
 * `bosun dns`; no apiserver behind it, so the figure is the DNS's own). nsd serves the same
 * records from a generated zone file, with one server process (Bosun's server is one thread).
 * dnsperf (Debian) then runs for SECONDS against each, over UDP and then TCP, with at most
 * OUTSTANDING queries in flight, cycling through every name. The table shows queries/s, mean and
 * max latency, lost queries, each server's CPU (cores used over the run) and Bosun's ratio to
 * nsd; the target is ≥ 0.5×.
 * Installs dnsperf and nsd from Debian when missing (as root). Bounded: each run lasts SECONDS;
 * every process started is stopped.
 * Usage: npm run bench:dns [-- --services N --seconds S --outstanding Q]   (as root)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as dgram from 'node:dgram';
import * as dnsPacket from 'dns-packet';
import { freePort } from '../../lib/launcher/store-cluster';
import { ensureDebianPackages } from '../common/debian-packages';
import { runDnsperf, type DnsperfResult } from './dnsperf';
import { startNsd } from './nsd-server';
import { benchRecords, fqdn, queryFile, zoneFile } from './records';

const DEFAULT_SERVICES = 1000;
const DEFAULT_SECONDS = 10;
const DEFAULT_OUTSTANDING = 100;
/** Rounds of (nsd, Bosun) runs per transport; the table shows each server's median round (the machine is shared, so single runs are noisy). */
const DEFAULT_ROUNDS = 3;
/** The target: Bosun's queries/s at least this share of nsd's. */
const TARGET_RATIO = 0.5;
/** How long a server may take to answer its first query, ms. */
const READY_TIMEOUT_MS = 15_000;
const READY_POLL_MS = 100;
/** Clock ticks per second of /proc/<pid>/stat's CPU times (Linux's USER_HZ). */
const CLOCK_TICKS_PER_S = 100;

function argValue(flag: string, fallback: string): string {
  const i = process.argv.indexOf(flag);
  return i >= 0 ? process.argv[i + 1] ?? fallback : fallback;
}

function positiveInt(flag: string, fallback: number): number {
  const raw = argValue(flag, String(fallback));
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${flag}: "${raw}" is not a positive integer`);
  return n;
}

const say = (line: string) => process.stdout.write(`${line}\n`);
const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : '—');

/** User + system CPU seconds of one process so far, and its parent's pid. */
function procStat(pid: number): { cpu: number; ppid: number } | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { cpu: (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_S, ppid: Number(fields[1]) };
  } catch {
    return undefined;
  }
}

/** CPU seconds a process and all its descendants (nsd forks its main and server processes) have used so far. */
function cpuSeconds(pid: number | undefined): number {
  if (!pid) return NaN;
  const stats = new Map<number, { cpu: number; ppid: number }>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const st = procStat(Number(entry));
    if (st) stats.set(Number(entry), st);
  }
  let total = 0;
  const family = new Set([pid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [p, st] of stats) {
      if (!family.has(p) && family.has(st.ppid)) {
        family.add(p);
        grew = true;
      }
    }
  }
  for (const p of family) total += stats.get(p)?.cpu ?? 0;
  return total;
}

/** Resolves once `name` A gets an answer from 127.0.0.1:`port` over UDP. */
async function waitAnswers(port: number, name: string, what: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = dgram.createSocket('udp4');
      const timer = setTimeout(() => done(false), READY_POLL_MS * 5);
      const done = (v: boolean) => {
        clearTimeout(timer);
        socket.close();
        resolve(v);
      };
      socket.on('message', (m) => done((dnsPacket.decode(m).answers ?? []).length > 0));
      socket.on('error', () => done(false));
      socket.send(dnsPacket.encode({ type: 'query', id: 1, questions: [{ type: 'A', name }] }), port, '127.0.0.1');
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${what} did not answer ${name} on 127.0.0.1:${port} within ${READY_TIMEOUT_MS} ms`);
    await new Promise((r) => setTimeout(r, READY_POLL_MS));
  }
}

/** Starts Bosun's DNS child on `port`. */
function startBosun(services: number, port: number): { process: ChildProcess; stop(): Promise<void> } {
  const child = spawn(process.execPath, [path.join(__dirname, 'bosun-dns-child.js'), String(services), String(port)], { stdio: ['ignore', 'ignore', 'inherit'] });
  return {
    process: child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** One row of the table. */
interface Row {
  readonly server: string;
  readonly mode: 'udp' | 'tcp';
  readonly result: DnsperfResult;
  /** Cores the server used over the run. */
  readonly cores: number;
}

async function measure(server: string, pid: number | undefined, mode: 'udp' | 'tcp', run: Parameters<typeof runDnsperf>[0]): Promise<Row> {
  const before = cpuSeconds(pid);
  const started = Date.now();
  const result = await runDnsperf({ ...run, mode });
  const cores = (cpuSeconds(pid) - before) / ((Date.now() - started) / 1000);
  say(`  ${server} ${mode}: ${fmt(result.qps)} queries/s, mean latency ${fmt(result.avgLatencyMs, 2)} ms, lost ${result.lost}, ${result.rcodes}`);
  return { server, mode, result, cores };
}

/** Server CPU per answered query, µs. */
function cpuPerQueryUs(row: Row): number {
  return (row.cores / row.result.qps) * 1e6;
}

/** The run with the median queries/s. */
function medianRow(runs: Row[]): Row {
  const sorted = [...runs].sort((a, b) => a.result.qps - b.result.qps);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

async function main(): Promise<void> {
  const services = positiveInt('--services', DEFAULT_SERVICES);
  const seconds = positiveInt('--seconds', DEFAULT_SECONDS);
  const outstanding = positiveInt('--outstanding', DEFAULT_OUTSTANDING);
  const rounds = positiveInt('--rounds', DEFAULT_ROUNDS);
  ensureDebianPackages({ dnsperf: 'dnsperf', nsd: 'nsd' }, say);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bosun-bench-dns-'));
  const records = benchRecords(services);
  const queries = path.join(dir, 'queries.txt');
  fs.writeFileSync(queries, queryFile(records));
  const probe = fqdn(records[records.length - 1]!);
  const bosunPort = await freePort();
  const nsdPort = await freePort();
  say(`bench/dns: ${services} Services, dnsperf -l ${seconds} -q ${outstanding} (one client thread), ${rounds} rounds per transport, ${os.cpus().length} cores on this machine (load average ${os.loadavg()[0]!.toFixed(1)})`);
  say("  Bosun's side: services/dns's resolver and wire server in their own process over an in-memory index of the Services (no apiserver behind it)");
  const bosun = startBosun(services, bosunPort);
  const nsd = startNsd(path.join(dir, 'nsd'), nsdPort, zoneFile(records));
  const rows: Row[] = [];
  try {
    await waitAnswers(bosunPort, probe, 'Bosun DNS');
    await waitAnswers(nsdPort, probe, 'nsd');
    for (const mode of ['udp', 'tcp'] as const) {
      const runs: Row[] = [];
      for (let round = 0; round < rounds; round++) {
        // Alternate who goes first, so a burst of load elsewhere does not always hit the same server.
        const order = round % 2 === 0 ? (['nsd', 'bosun'] as const) : (['bosun', 'nsd'] as const);
        for (const server of order) {
          const target = server === 'nsd' ? { pid: nsd.process.pid, port: nsdPort } : { pid: bosun.process.pid, port: bosunPort };
          runs.push(await measure(server, target.pid, mode, { port: target.port, queryFile: queries, seconds, outstanding }));
        }
      }
      for (const server of ['nsd', 'bosun']) rows.push(medianRow(runs.filter((r) => r.server === server)));
    }
  } finally {
    await bosun.stop();
    await nsd.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  say('');
  say('Median round of each server:');
  say('| server | transport | queries/s | mean latency ms | max latency ms | lost | server CPU (cores) | CPU µs/query | vs nsd (queries/s) |');
  say('|---|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const row of rows) {
    const ref = rows.find((r) => r.server === 'nsd' && r.mode === row.mode)!;
    const ratio = row.result.qps / ref.result.qps;
    say(`| ${row.server} | ${row.mode} | ${fmt(row.result.qps)} | ${fmt(row.result.avgLatencyMs, 3)} | ${fmt(row.result.maxLatencyMs, 1)} | ${row.result.lost} | ${fmt(row.cores, 2)} | ${fmt(cpuPerQueryUs(row), 1)} | ${fmt(ratio, 2)}× |`);
  }
  const udpRatio = rows.find((r) => r.server === 'bosun' && r.mode === 'udp')!.result.qps / rows.find((r) => r.server === 'nsd' && r.mode === 'udp')!.result.qps;
  say('');
  say(`Bosun/nsd over UDP: ${fmt(udpRatio, 2)}× (target ≥ ${TARGET_RATIO}×) — ${udpRatio >= TARGET_RATIO ? 'met' : 'NOT met'}`);
  const cpuRatio = cpuPerQueryUs(rows.find((r) => r.server === 'bosun' && r.mode === 'udp')!) / cpuPerQueryUs(rows.find((r) => r.server === 'nsd' && r.mode === 'udp')!);
  say(`Server CPU per UDP query, Bosun/nsd: ${fmt(cpuRatio, 2)}× (when neither server is saturated, queries/s measures the client and the machine; CPU per query measures the server)`);
  say('Note: dnsperf shares the machine with the server it drives; on 2 cores the client takes about one.');
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench:dns: ${(err as Error).message}\n`);
    process.exit(1);
  },
);
