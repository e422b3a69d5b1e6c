import type { CpuSpent } from './measure';
import type { FailoverFigures, LoadFigures, MemoryFigures, PhaseRun, WatchFigures } from './phases';
import type { BenchPlan } from './plan';

/**
 * The side-by-side report of the store benchmark: the figures table (metric | Bosun | etcd 3.4
 * | target | verdict) and the load generator's CPU per phase, as aligned text for the console
 * and as markdown for bench/results/.
 */

/** The outcome of one phase on one system: figures, or the error that stopped it. */
export interface Outcome<T> {
  readonly run?: PhaseRun<T>;
  readonly error?: string;
  readonly cpu?: CpuSpent;
}

/** Everything measured on one system. */
export interface SystemResults {
  readonly system: string;
  startError?: string;
  /** Share of the CPUs other processes used just before this system's run (0..1). */
  otherLoadBefore?: number;
  memory?: Outcome<MemoryFigures>;
  puts: (Outcome<LoadFigures> | undefined)[];
  rangeLinearizable?: Outcome<LoadFigures>;
  rangeSerializable?: Outcome<LoadFigures>;
  watch?: Outcome<WatchFigures>;
  failover?: Outcome<FailoverFigures>;
}

/** A table cell: the number the verdict compares, and its text. */
interface Cell {
  readonly value?: number;
  readonly text: string;
}

/** Compares Bosun's value with etcd's. */
interface Target {
  readonly text: string;
  readonly pass: (bosun: number, etcd: number) => boolean;
}

interface RowDef {
  readonly metric: string;
  readonly cell: (r: SystemResults) => Cell;
  readonly target?: Target;
}

const fmtInt = (n: number): string => Math.round(n).toLocaleString('en-US');
const fmtMs = (n: number): string => (n >= 100 ? `${n.toFixed(0)} ms` : n >= 10 ? `${n.toFixed(1)} ms` : `${n.toFixed(2)} ms`);
const fmtMiB = (b: number): string => `${(b / 1024 / 1024).toFixed(1)} MiB`;

function shortError(e: string): string {
  const line = e.split('\n')[0];
  return `error: ${line.length > 70 ? `${line.slice(0, 67)}...` : line}`;
}

/** A cell from a phase outcome, or the reason there is none. */
function cellOf<T>(r: SystemResults, o: Outcome<T> | undefined, pick: (v: T) => Cell): Cell {
  if (r.startError) return { text: shortError(`cluster did not start: ${r.startError}`) };
  if (!o) return { text: 'not run' };
  if (o.error !== undefined || !o.run) return { text: shortError(o.error ?? 'no result') };
  return pick(o.run.value);
}

function loadNote(f: LoadFigures): string {
  const notes: string[] = [];
  if (f.errors > 0) notes.push(`${fmtInt(f.errors)} err`);
  if (f.capped) notes.push(`time cap, ${fmtInt(f.ok)} done`);
  return notes.length ? ` (${notes.join(', ')})` : '';
}

function loadRows(label: string, get: (r: SystemResults) => Outcome<LoadFigures> | undefined, targets: { tput?: Target; p99?: Target } = {}): RowDef[] {
  return [
    {
      metric: `${label} throughput`,
      cell: (r) => cellOf(r, get(r), (f) => ({ value: f.throughput, text: `${fmtInt(f.throughput)} /s${loadNote(f)}` })),
      target: targets.tput,
    },
    { metric: `${label} p50`, cell: (r) => cellOf(r, get(r), (f) => ({ value: f.p50Ms, text: fmtMs(f.p50Ms) })) },
    { metric: `${label} p99`, cell: (r) => cellOf(r, get(r), (f) => ({ value: f.p99Ms, text: fmtMs(f.p99Ms) })), target: targets.p99 },
  ];
}

const AT_LEAST_ETCD: Target = { text: '≥ etcd', pass: (b, e) => b >= e };
const AT_MOST_ETCD: Target = { text: '≤ etcd', pass: (b, e) => b <= e };
const AT_MOST_TWICE_ETCD: Target = { text: '≤ 2× etcd', pass: (b, e) => b <= 2 * e };
/** Issue 18: an idle member at most 60 MB, as three of them run beside a dozen other processes. */
const IDLE_MEMBER_RSS: Target = { text: '≤ 60 MB (57.2 MiB)', pass: (b) => b <= 60e6 };
/** "No latency cliff when a snapshot is taken": the worst put across it within twice etcd's. */
const AT_MOST_TWICE_ETCD_LATENCY: Target = { text: 'no cliff (≤ 2× etcd)', pass: (b, e) => b <= 2 * e };

const snapshotNote = (n: number): string => (n === 0 ? 'no snapshot taken' : n === 1 ? '1 snapshot' : `${n} snapshots`);

function rowDefs(plan: BenchPlan): RowDef[] {
  const rows: RowDef[] = [];
  plan.puts.forEach((s, i) => {
    const last = i === plan.puts.length - 1;
    rows.push(...loadRows(`put (${s.conns} conn, ${s.clients} cl)`, (r) => r.puts[i], last ? { tput: AT_LEAST_ETCD, p99: AT_MOST_ETCD } : {}));
  });
  const rs = plan.ranges;
  rows.push(...loadRows(`range linearizable (${rs.conns}, ${rs.clients})`, (r) => r.rangeLinearizable));
  rows.push(...loadRows(`range serializable (${rs.conns}, ${rs.clients})`, (r) => r.rangeSerializable));
  const w = plan.watch;
  rows.push(
    { metric: `watch put→event p50 (${w.watchers} watchers)`, cell: (r) => cellOf(r, r.watch, (f) => ({ value: f.p50Ms, text: fmtMs(f.p50Ms) })) },
    { metric: `watch put→event p99 (${w.watchers} watchers)`, cell: (r) => cellOf(r, r.watch, (f) => ({ value: f.p99Ms, text: fmtMs(f.p99Ms) })) },
    {
      metric: 'watch events received',
      cell: (r) => cellOf(r, r.watch, (f) => ({ value: f.eventsReceived, text: `${fmtInt(f.eventsReceived)} / ${fmtInt(f.eventsExpected)}` })),
    },
    {
      metric: `failover gap (kill -9 leader, ${plan.failover.clients} cl${plan.failover.trials > 1 ? `, median of ${plan.failover.trials}` : ''})`,
      cell: (r) =>
        cellOf(r, r.failover, (f) => ({
          value: f.gapMs,
          text: f.gapsMs.length > 1 ? `${fmtInt(f.gapMs)} ms (${f.gapsMs.map(fmtInt).join(', ')})` : `${fmtInt(f.gapMs)} ms`,
        })),
      target: AT_MOST_ETCD,
    },
    { metric: 'failover: kill → first new put ok', cell: (r) => cellOf(r, r.failover, (f) => ({ value: f.recoveryMs, text: `${fmtInt(f.recoveryMs)} ms` })) },
    {
      metric: 'failover: restarted member rejoins',
      cell: (r) => cellOf(r, r.failover, (f) => (f.rejoinError ? { text: shortError(f.rejoinError) } : { value: f.rejoinMs, text: `${fmtInt(f.rejoinMs)} ms` })),
    },
    {
      metric: 'failover: failed puts (all trials)',
      cell: (r) => cellOf(r, r.failover, (f) => ({ value: f.errors, text: fmtInt(f.errors) })),
    },
  );
  const m = plan.memoryKeys;
  const keysNote = (f: MemoryFigures): string => (f.keysLoaded < f.keysWanted ? ` (only ${fmtInt(f.keysLoaded)} keys)` : '');
  rows.push(
    {
      metric: `load ${fmtInt(m.total)} keys × 256 B${plan.snapshotTail ? ` + ${fmtInt(plan.snapshotTail)} overwrites` : ''} (${m.conns}, ${m.clients})`,
      cell: (r) => cellOf(r, r.memory, (f) => ({ value: f.loadThroughput, text: `${fmtInt(f.loadThroughput)} /s${f.loadErrors ? ` (${fmtInt(f.loadErrors)} err)` : ''}` })),
    },
    {
      metric: `puts across the first snapshot: p99.9 (last puts of the load)`,
      cell: (r) => cellOf(r, r.memory, (f) => ({ value: f.tailP999Ms, text: `${fmtMs(f.tailP999Ms)} (${fmtInt(f.tailPuts)} puts, ${snapshotNote(f.snapshots)})` })),
    },
    {
      metric: 'puts across the first snapshot: max',
      cell: (r) => cellOf(r, r.memory, (f) => ({ value: f.tailMaxMs, text: fmtMs(f.tailMaxMs) })),
      target: AT_MOST_TWICE_ETCD_LATENCY,
    },
    {
      metric: 'RSS idle, fresh cluster (max member)',
      cell: (r) => cellOf(r, r.memory, (f) => ({ value: f.baselineMaxRss, text: fmtMiB(f.baselineMaxRss) })),
      target: IDLE_MEMBER_RSS,
    },
    {
      metric: 'RSS idle, private part (anonymous; the rest is the shared binary)',
      cell: (r) => cellOf(r, r.memory, (f) => ({ value: f.baselineMaxAnon, text: fmtMiB(f.baselineMaxAnon) })),
    },
    { metric: 'RSS after load, leader', cell: (r) => cellOf(r, r.memory, (f) => ({ value: f.leaderRss, text: fmtMiB(f.leaderRss) + keysNote(f) })) },
    {
      metric: 'RSS after load, max member',
      cell: (r) => cellOf(r, r.memory, (f) => ({ value: f.maxRss, text: fmtMiB(f.maxRss) + keysNote(f) })),
      target: AT_MOST_TWICE_ETCD,
    },
    {
      metric: `RSS after load and ${plan.quietSettleMs / 1000} s more quiet, max member`,
      cell: (r) => cellOf(r, r.memory, (f) => ({ value: f.quietMaxRss, text: fmtMiB(f.quietMaxRss) + keysNote(f) })),
    },
  );
  return rows;
}

/** Rows of strings: header first. */
type Table = string[][];

/** The figures table. */
export function figuresTable(plan: BenchPlan, bosun: SystemResults, etcd: SystemResults): Table {
  const table: Table = [['metric', bosun.system, etcd.system, 'target', 'verdict']];
  for (const def of rowDefs(plan)) {
    const b = def.cell(bosun);
    const e = def.cell(etcd);
    let verdict = '';
    if (def.target) {
      verdict = b.value === undefined || e.value === undefined || Number.isNaN(b.value) || Number.isNaN(e.value) ? 'n/a' : def.target.pass(b.value, e.value) ? 'PASS' : 'MISS';
    }
    table.push([def.metric, b.text, e.text, def.target?.text ?? '', verdict]);
  }
  return table;
}

/** Phase names in run order, with the outcome getter. */
function phaseList(plan: BenchPlan): { name: string; get: (r: SystemResults) => Outcome<unknown> | undefined }[] {
  return [
    { name: `load ${fmtInt(plan.memoryKeys.total)} keys`, get: (r) => r.memory },
    ...plan.puts.map((s, i) => ({ name: `put (${s.conns}, ${s.clients})`, get: (r: SystemResults) => r.puts[i] })),
    { name: 'range linearizable', get: (r) => r.rangeLinearizable },
    { name: 'range serializable', get: (r) => r.rangeSerializable },
    { name: 'watch (events + puts)', get: (r) => r.watch },
    { name: 'failover', get: (r) => r.failover },
  ];
}

function perOp(ms: number, ops: number): string {
  return ops > 0 ? ` (${((ms * 1000) / ops).toFixed(0)} µs/op)` : '';
}

function clientCell(o: Outcome<unknown> | undefined): string {
  if (!o?.cpu) return '—';
  return `${fmtInt(o.cpu.clientMs)} ms${perOp(o.cpu.clientMs, o.run?.ops ?? 0)}, loop ${(o.cpu.clientElu * 100).toFixed(0)}%`;
}

function serverCell(o: Outcome<unknown> | undefined): string {
  if (!o?.cpu) return '—';
  return `${fmtInt(o.cpu.serverMs)} ms${perOp(o.cpu.serverMs, o.run?.ops ?? 0)}`;
}

function otherCell(o: Outcome<unknown> | undefined): string {
  if (!o?.cpu || o.cpu.wallMs <= 0) return '—';
  return `${((o.cpu.otherMs / o.cpu.wallMs) * 100).toFixed(0)}%`;
}

/**
 * CPU per phase over its measured load: the load generator's own (process.cpuUsage, with its
 * event-loop utilization), the three members' (/proc/<pid>/stat), and the share of one CPU
 * that other processes on the machine took meanwhile.
 */
export function cpuTable(plan: BenchPlan, bosun: SystemResults, etcd: SystemResults): Table {
  const b = bosun.system;
  const e = etcd.system;
  const table: Table = [['phase', `client CPU (${b})`, `client CPU (${e})`, `${b} members CPU`, `${e} members CPU`, `other procs, % of a CPU (${b} / ${e})`]];
  for (const p of phaseList(plan)) {
    const ob = p.get(bosun);
    const oe = p.get(etcd);
    table.push([p.name, clientCell(ob), clientCell(oe), serverCell(ob), serverCell(oe), `${otherCell(ob)} / ${otherCell(oe)}`]);
  }
  return table;
}

/** Event-loop utilization above which a phase's figures are limited by the load generator. */
export const CLIENT_BOUND_ELU = 0.9;

/** Phases whose load generator was saturated (its figures understate the server), per system. */
export function clientBoundPhases(plan: BenchPlan, results: SystemResults[]): string[] {
  const out: string[] = [];
  for (const p of phaseList(plan)) {
    const which = results.filter((r) => (p.get(r)?.cpu?.clientElu ?? 0) >= CLIENT_BOUND_ELU).map((r) => r.system);
    if (which.length > 0) out.push(`${p.name} (${which.join(', ')})`);
  }
  return out;
}

/** A table as aligned plain text. */
export function renderText(table: Table): string {
  const widths = table[0].map((_, c) => Math.max(...table.map((row) => [...row[c]].length)));
  const line = (row: string[]): string => row.map((cell, c) => cell + ' '.repeat(widths[c] - [...cell].length)).join(' | ').trimEnd();
  const sep = widths.map((w) => '-'.repeat(w)).join('-+-');
  return [line(table[0]), sep, ...table.slice(1).map(line)].join('\n');
}

/** A table as GitHub markdown. */
export function renderMarkdown(table: Table): string {
  const esc = (s: string): string => s.replace(/\|/g, '\\|');
  const line = (row: string[]): string => `| ${row.map(esc).join(' | ')} |`;
  return [line(table[0]), `|${table[0].map(() => '---').join('|')}|`, ...table.slice(1).map(line)].join('\n');
}
