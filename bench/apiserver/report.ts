import type { CpuSplit } from './cpu-split';
import type { LoadFigures, ListFigures, PhaseRun, WatchFigures } from './phases';
import { CREATE_TO_PUT_TARGET_RATIO, LIST_PAGE_LIMIT, LIST_TARGET_MS, LIST_TARGET_PODS, SINGLE_OBJECT_P99_TARGET_MS, type ApiBenchPlan } from './plan';

/**
 * The apiserver benchmark's tables: each figure next to its anchor (raw store puts measured in
 * the same run, or the issue's fixed number) with PASS/MISS, and the CPU of the load
 * generator, the apiserver and the store per phase.
 */

/** A table: header row first. */
export type Table = string[][];

/** The outcome of one phase: figures, or the error that stopped it. */
export interface Outcome<T> {
  readonly run?: PhaseRun<T>;
  readonly error?: string;
  readonly cpu?: CpuSplit;
}

/** Everything measured. */
export interface ApiResults {
  idle?: Outcome<{ seconds: number }>;
  puts?: Outcome<LoadFigures>;
  creates?: Outcome<LoadFigures>;
  gets?: Outcome<LoadFigures & { maxLagMs: number }>;
  rateCreates?: Outcome<LoadFigures & { maxLagMs: number }>;
  cacheList?: Outcome<ListFigures>;
  pagedList?: Outcome<ListFigures>;
  clientList?: Outcome<ListFigures>;
  watch?: Outcome<WatchFigures>;
}

/** Event-loop utilization of the load generator above which a phase is reported as client-bound. */
export const CLIENT_BOUND_ELU = 0.9;

const int = (n: number): string => Math.round(n).toLocaleString('en-US');
const ms = (n: number): string => (Number.isNaN(n) ? '?' : n >= 100 ? `${int(n)} ms` : `${n.toFixed(n >= 10 ? 1 : 2)} ms`);
const verdict = (ok: boolean): string => (ok ? 'PASS' : 'MISS');

function errorsNote(v: { errors: number; ok: number; capped: boolean; firstError: string | undefined }): string {
  const parts = [`${int(v.ok)} ok`];
  if (v.errors) parts.push(`${int(v.errors)} errors (first: ${v.firstError})`);
  if (v.capped) parts.push('time cap');
  return parts.join(', ');
}

/** The figures table. */
export function figuresTable(plan: ApiBenchPlan, r: ApiResults): Table {
  const rows: Table = [['figure', 'Bosun apiserver', 'anchor', 'target', 'result']];
  const failed = (label: string, o: Outcome<unknown> | undefined, target = ''): void => {
    rows.push([label, o?.error ? `ERROR: ${o.error}` : 'not run', '', target, 'MISS']);
  };
  const c = plan.creates;
  const shape = `C=${c.concurrency} over ${c.channels} conns`;
  const put = r.puts?.run?.value;
  const cr = r.creates?.run?.value;
  if (cr) {
    const anchor = put ? `raw put ${int(put.throughput)} /s` : `raw put: ${r.puts?.error ?? 'not run'}`;
    const ratio = put ? cr.throughput / put.throughput : NaN;
    rows.push([
      `pod create throughput (${shape})`,
      `${int(cr.throughput)} /s (${errorsNote(cr)})`,
      anchor,
      `≥ ${CREATE_TO_PUT_TARGET_RATIO * 100}% of raw put`,
      put ? `${verdict(ratio >= CREATE_TO_PUT_TARGET_RATIO)} (${(ratio * 100).toFixed(0)}%)` : 'MISS (no anchor)',
    ]);
    rows.push([`pod create p50 / p99 (${shape})`, `${ms(cr.p50Ms)} / ${ms(cr.p99Ms)}`, put ? `raw put ${ms(put.p50Ms)} / ${ms(put.p99Ms)} (${errorsNote(put)})` : '', '', '']);
  } else failed(`pod create throughput (${shape})`, r.creates, `≥ ${CREATE_TO_PUT_TARGET_RATIO * 100}% of raw put`);

  const o = plan.openLoop;
  const rate = (label: string, out: Outcome<LoadFigures & { maxLagMs: number }> | undefined): void => {
    const v = out?.run?.value;
    const target = `p99 < ${SINGLE_OBJECT_P99_TARGET_MS} ms`;
    if (!v) return failed(label, out, target);
    rows.push([
      label,
      `${ms(v.p50Ms)} / ${ms(v.p99Ms)} (${int(v.throughput)} /s achieved, ${errorsNote(v)}; generator late by ≤ ${ms(v.maxLagMs)})`,
      `${SINGLE_OBJECT_P99_TARGET_MS} ms (fixed)`,
      target,
      verdict(v.errors === 0 && v.p99Ms < SINGLE_OBJECT_P99_TARGET_MS),
    ]);
  };
  rate(`get at ${o.rate} req/s open loop, p50 / p99`, r.gets);
  rate(`create at ${o.rate} req/s open loop, p50 / p99`, r.rateCreates);

  const list = (label: string, out: Outcome<ListFigures> | undefined): void => {
    const v = out?.run?.value;
    const target = `< ${int(LIST_TARGET_MS)} ms${plan.list.pods !== LIST_TARGET_PODS ? ` (stated for ${int(LIST_TARGET_PODS)} pods)` : ''}`;
    if (!v) return failed(label, out, target);
    const size = v.bytes ? `, ${(v.bytes / 2 ** 20).toFixed(1)} MiB${v.pages ? ` in ${v.pages} pages` : ''}` : '';
    const scaled = plan.list.pods === LIST_TARGET_PODS || v.items >= LIST_TARGET_PODS;
    rows.push([
      label,
      `${ms(v.medianMs)} median, ${ms(v.maxMs)} max of ${v.timesMs.length} (${int(v.items)} pods${size})`,
      `${int(LIST_TARGET_MS)} ms (fixed)`,
      target,
      scaled ? verdict(v.medianMs < LIST_TARGET_MS) : `${verdict(v.medianMs < LIST_TARGET_MS)} (n/a: fewer pods)`,
    ]);
  };
  list(`list ${int(plan.list.pods)} pods, consistent (watch cache), to last byte`, r.cacheList);
  list(`list ${int(plan.list.pods)} pods, limit=${LIST_PAGE_LIMIT} pages (store), whole walk`, r.pagedList);
  list(`list ${int(plan.list.pods)} pods via GrpcApiClient (grpc-js + JSON conversion)`, r.clientList);

  const w = r.watch?.run?.value;
  const wl = `watch fan-out, ${int(plan.watch.watchers)} watchers: write start → event p50 / p99`;
  if (w) {
    const early = w.eventsReceived > 0 ? (w.beforeAck / w.eventsReceived) * 100 : 0;
    rows.push([wl, `${ms(w.fromWriteP50Ms)} / ${ms(w.fromWriteP99Ms)} (${int(w.updates)} updates)`, `update call p50 ${ms(w.writeP50Ms)}`, 'reported (no fixed target)', '']);
    rows.push([
      `watch fan-out, ${int(plan.watch.watchers)} watchers: write ack → event p50 / p99`,
      `${ms(w.p50Ms)} / ${ms(w.p99Ms)}`,
      `${early.toFixed(0)}% of events arrived before the write's ack (counted as 0 ms)`,
      'reported (no fixed target)',
      '',
    ]);
    rows.push([
      'watch events received',
      `${int(w.eventsReceived)} / ${int(w.eventsExpected)}`,
      `${w.established}/${w.watchers} watches established in ${ms(w.establishMs)}`,
      'all',
      verdict(w.eventsReceived === w.eventsExpected && w.watchErrors === 0) + (w.watchErrors ? ` (${w.watchErrors} stream errors: ${w.firstError})` : ''),
    ]);
  } else failed(wl, r.watch);
  return rows;
}

/** Phases of the CPU table, in run order. */
function cpuPhases(plan: ApiBenchPlan, r: ApiResults): [string, Outcome<unknown> | undefined][] {
  return [
    ['0 idle (baseline)', r.idle],
    ['1 raw put (anchor)', r.puts],
    ['2 pod create', r.creates],
    [`3 get at ${plan.openLoop.rate}/s`, r.gets],
    [`3 create at ${plan.openLoop.rate}/s`, r.rateCreates],
    ['4 list, watch cache', r.cacheList],
    [`4 list, pages of ${LIST_PAGE_LIMIT}`, r.pagedList],
    ['4 list, GrpcApiClient', r.clientList],
    ['5 watch fan-out', r.watch],
  ];
}

/** The CPU table: load generator, apiserver, store members and other processes per phase. */
export function cpuTable(plan: ApiBenchPlan, r: ApiResults): Table {
  const rows: Table = [['phase', 'ops', 'wall', 'load generator CPU', 'apiserver CPU', 'store (3 members) CPU', 'other processes']];
  for (const [name, o] of cpuPhases(plan, r)) {
    const cpu = o?.cpu;
    if (!cpu) {
      rows.push([name, '', '', '', '', '', '']);
      continue;
    }
    const ops = o?.run?.ops ?? 0;
    const per = (v: number): string => (ops > 0 ? `, ${int((v * 1000) / ops)} µs/op` : '');
    const share = (v: number): string => `${((v / cpu.wallMs) * 100).toFixed(0)}% of a core`;
    rows.push([
      name,
      int(ops),
      `${(cpu.wallMs / 1000).toFixed(1)} s`,
      `${int(cpu.clientMs)} ms${per(cpu.clientMs)}, loop ${(cpu.clientElu * 100).toFixed(0)}% busy`,
      `${int(cpu.apiserverMs)} ms${per(cpu.apiserverMs)}, ${share(cpu.apiserverMs)}`,
      `${int(cpu.storeMs)} ms${per(cpu.storeMs)}, ${share(cpu.storeMs)}`,
      share(cpu.otherMs),
    ]);
  }
  return rows;
}

/** Phases whose load generator was near saturation (their figures understate the server). */
export function clientBoundPhases(plan: ApiBenchPlan, r: ApiResults): string[] {
  return cpuPhases(plan, r)
    .filter(([, o]) => (o?.cpu?.clientElu ?? 0) >= CLIENT_BOUND_ELU)
    .map(([name, o]) => `${name} (${((o?.cpu?.clientElu ?? 0) * 100).toFixed(0)}%)`);
}
