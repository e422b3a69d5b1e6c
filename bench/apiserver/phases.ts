import type { KubeObject } from '../../lib/api/object';
import type { GrpcApiClient } from '../../lib/client/grpc-api-client';
import { decodeRange, framedPut, framedRange, KV_PUT, KV_RANGE } from '../store/etcd-api';
import type { GrpcLiteChannel } from '../store/grpc-lite';
import { closeChannels, LoadResult, openChannels, runLoad } from '../store/load-loop';
import { latencySummary } from '../store/measure';
import { BulkChannel } from './bulk-call';
import type { CpuSplitMeter } from './cpu-split';
import { runOpenLoop } from './open-loop';
import type { ApiBenchPlan, ClosedLoad } from './plan';
import { LIST_PAGE_LIMIT } from './plan';
import { benchPod, framedCreate, framedGet, framedList, listSummary, PODS_CREATE, PODS_GET, PODS_LIST } from './pod-requests';
import { runFanout } from './watch-fanout';
import { namespaceStrategy, podStrategy } from '../../services/apiserver/kinds/core';
import { objectKey } from '../../services/apiserver/registry/storage-keys';

/**
 * The five phases of the apiserver benchmark. Each returns its figures and the number of
 * operations it measured (for CPU per operation); the runner bounds and meters it.
 */

/** What the phases share. */
export interface BenchContext {
  readonly plan: ApiBenchPlan;
  /** The store leader's endpoint (raw puts go there; the apiserver's store client too). */
  readonly storeLeader: string;
  /** host:port of the apiserver's gRPC API. */
  readonly apiserver: string;
  /** For set-up calls and the client-view list (grpc-js, full conversion). */
  readonly api: GrpcApiClient;
  /** The namespace of phases 2, 4 and 5. */
  readonly namespace: string;
  /** The namespace of the fixed-rate creates (keeps the list count exact). */
  readonly rateNamespace: string;
  /** Pods named pod(i) for i < created were sent a create. */
  created: number;
  /** Bytes of one pod as the apiserver stores it (the raw puts' value). */
  podValue?: Buffer;
}

export interface PhaseRun<T> {
  readonly value: T;
  readonly ops: number;
}

/** Throughput and latency of a closed or open loop. */
export interface LoadFigures {
  readonly throughput: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly ok: number;
  readonly errors: number;
  readonly firstError: string | undefined;
  readonly capped: boolean;
}

/** Name of the i-th pod of the main namespace. */
export const podName = (i: number): string => `pod-${String(i).padStart(5, '0')}`;

/** Deadline of each closed-loop call, ms (a stalled server fails calls instead of hanging). */
const CLOSED_CALL_TIMEOUT_MS = 10_000;
/** Distinct keys the raw puts cycle through. */
const PUT_KEYSPACE = 10_000;
/** Cap on warm-up loops, ms. */
const WARMUP_CAP_MS = 5_000;

function loadFigures(r: Pick<LoadResult, 'ok' | 'errors' | 'firstError' | 'throughput' | 'latenciesMs' | 'capped'>): LoadFigures {
  const { p50, p99 } = latencySummary(r.latenciesMs);
  return { throughput: r.throughput, p50Ms: p50, p99Ms: p99, ok: r.ok, errors: r.errors, firstError: r.firstError, capped: r.capped };
}

function requireSuccess(r: { ok: number; errors: number; firstError: string | undefined }, what: string): void {
  if (r.ok === 0) throw new Error(`${what}: no successful call (${r.errors} errors${r.firstError ? `, first: ${r.firstError}` : ''})`);
}

/**
 * The closed-loop runner of bench/store with a per-call deadline: runLoad only calls unary()
 * and close() of its channels, so each channel is wrapped in an object with just those two.
 */
function closedLoad(channels: readonly GrpcLiteChannel[], load: Pick<ClosedLoad, 'concurrency' | 'total' | 'capMs'>, path: string, body: (i: number) => Buffer): Promise<LoadResult> {
  const timed = channels.map((ch) => ({
    unary: (p: string, b: Buffer, cb: Parameters<GrpcLiteChannel['unary']>[2]) => ch.unary(p, b, cb, CLOSED_CALL_TIMEOUT_MS),
    close: () => ch.close(),
  })) as unknown as GrpcLiteChannel[];
  return runLoad({ channels: timed, clients: load.concurrency, total: load.total, capMs: load.capMs, path, body, decode: () => undefined });
}

// ---------------------------------------------------------------------------------------------
// Set-up

/**
 * Creates the namespaces and one probe pod through the API, then reads the probe back from the
 * store: its stored bytes are the value of the raw puts (the same size the creates write).
 */
export async function setUp(ctx: BenchContext): Promise<void> {
  const namespaces = ctx.api.resource(namespaceStrategy.info);
  for (const name of [ctx.namespace, ctx.rateNamespace]) await namespaces.create(undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  const probe = 'probe';
  await ctx.api.resource(podStrategy.info).create(ctx.namespace, benchPod(probe));
  const [ch] = await openChannels([ctx.storeLeader], 1);
  try {
    const res = decodeRange(await ch.call(KV_RANGE, framedRange(objectKey(podStrategy.info, ctx.namespace, probe), false), CLOSED_CALL_TIMEOUT_MS));
    const kv = res.kvs[0];
    if (!kv) throw new Error(`the probe pod is not at ${objectKey(podStrategy.info, ctx.namespace, probe)} in the store`);
    ctx.podValue = Buffer.from(kv.value);
  } finally {
    ch.close();
  }
}

/** Seconds of the idle baseline. */
const IDLE_MS = 3_000;

/** Nothing for IDLE_MS: the CPU the apiserver and the store spend with no load (heartbeats, progress notifications). */
export async function idlePhase(measure: CpuSplitMeter['measure']): Promise<PhaseRun<{ seconds: number }>> {
  await measure(() => new Promise((resolve) => setTimeout(resolve, IDLE_MS)));
  return { value: { seconds: IDLE_MS / 1000 }, ops: 0 };
}

// ---------------------------------------------------------------------------------------------
// Phase 1 and 2: raw puts (anchor) and pod creates, same concurrency and channels

/** Raw etcd v3 Puts of the stored pod's bytes to the store leader. */
export async function rawPutPhase(ctx: BenchContext, measure: CpuSplitMeter['measure']): Promise<PhaseRun<LoadFigures>> {
  const value = ctx.podValue;
  if (!value) throw new Error('set-up did not read a stored pod');
  const bodies = Array.from({ length: PUT_KEYSPACE }, (_, i) => framedPut(`/bench-raw/pods/${podName(i)}`, value));
  const body = (i: number): Buffer => bodies[i % PUT_KEYSPACE];
  const load = ctx.plan.puts;
  const channels = await openChannels([ctx.storeLeader], load.channels);
  try {
    await closedLoad(channels, { concurrency: load.concurrency, total: ctx.plan.warmupCalls, capMs: WARMUP_CAP_MS }, KV_PUT, body);
    const r = await measure(() => closedLoad(channels, load, KV_PUT, body));
    requireSuccess(r, 'raw put');
    return { value: loadFigures(r), ops: r.ok + r.errors };
  } finally {
    closeChannels(channels);
  }
}

/** Closed-loop creates of pods pod(created...) through the apiserver. */
export async function createPhase(ctx: BenchContext, measure: CpuSplitMeter['measure']): Promise<PhaseRun<LoadFigures>> {
  const load = ctx.plan.creates;
  const warm = ctx.plan.warmupCalls;
  const first = ctx.created;
  const bodies = Array.from({ length: warm + load.total }, (_, i) => framedCreate(ctx.namespace, benchPod(podName(first + i), i)));
  const channels = await openChannels([ctx.apiserver], load.channels);
  try {
    const w = await closedLoad(channels, { concurrency: load.concurrency, total: warm, capMs: WARMUP_CAP_MS }, PODS_CREATE, (i) => bodies[i]);
    ctx.created += w.ok + w.errors;
    const r = await measure(() => closedLoad(channels, load, PODS_CREATE, (i) => bodies[warm + i]));
    ctx.created += r.ok + r.errors;
    requireSuccess(r, 'pod create');
    return { value: loadFigures(r), ops: r.ok + r.errors };
  } finally {
    closeChannels(channels);
  }
}

// ---------------------------------------------------------------------------------------------
// Phase 3: single-object calls at a fixed rate

/** Gets of the created pods at the plan's fixed rate. */
export async function getRatePhase(ctx: BenchContext, measure: CpuSplitMeter['measure']): Promise<PhaseRun<LoadFigures & { maxLagMs: number }>> {
  const o = ctx.plan.openLoop;
  const n = Math.max(1, ctx.created);
  const bodies = Array.from({ length: Math.min(n, o.total) }, (_, i) => framedGet(ctx.namespace, podName((i * 7919) % n)));
  const channels = await openChannels([ctx.apiserver], o.channels);
  try {
    const r = await measure(() => runOpenLoop({ ...o, channels, path: PODS_GET, body: (i) => bodies[i % bodies.length] }));
    requireSuccess(r, 'get');
    return { value: { ...loadFigures(r), maxLagMs: r.maxLagMs }, ops: r.ok + r.errors };
  } finally {
    closeChannels(channels);
  }
}

/** Creates (in their own namespace) at the plan's fixed rate. */
export async function createRatePhase(ctx: BenchContext, measure: CpuSplitMeter['measure']): Promise<PhaseRun<LoadFigures & { maxLagMs: number }>> {
  const o = ctx.plan.openLoop;
  const bodies = Array.from({ length: o.total }, (_, i) => framedCreate(ctx.rateNamespace, benchPod(`rate-${i}`, i)));
  const channels = await openChannels([ctx.apiserver], o.channels);
  try {
    const r = await measure(() => runOpenLoop({ ...o, channels, path: PODS_CREATE, body: (i) => bodies[i] }));
    requireSuccess(r, 'create at a fixed rate');
    return { value: { ...loadFigures(r), maxLagMs: r.maxLagMs }, ops: r.ok + r.errors };
  } finally {
    closeChannels(channels);
  }
}

// ---------------------------------------------------------------------------------------------
// Phase 4: lists of many pods

/** Times of the repeated lists of one kind. */
export interface ListFigures {
  readonly items: number;
  readonly bytes: number;
  readonly timesMs: readonly number[];
  readonly medianMs: number;
  readonly maxMs: number;
  /** Pages per list (paged lists). */
  readonly pages?: number;
}

function listFigures(items: number, bytes: number, timesMs: number[], pages?: number): ListFigures {
  const sorted = [...timesMs].sort((a, b) => a - b);
  return { items, bytes, timesMs, medianMs: sorted[Math.floor((sorted.length - 1) / 2)], maxMs: sorted[sorted.length - 1], pages };
}

/** Counts the namespace's pods (a consistent list, items skipped). */
async function countPods(ch: BulkChannel, ctx: BenchContext): Promise<number> {
  return listSummary(await ch.call(PODS_LIST, framedList(ctx.namespace), ctx.plan.list.callTimeoutMs)).items;
}

/** Creates pods until the namespace holds the plan's list count (unmeasured set-up of phase 4). */
export async function topUp(ctx: BenchContext): Promise<{ before: number; after: number; seconds: number }> {
  const t0 = performance.now();
  const channels = await openChannels([ctx.apiserver], ctx.plan.creates.channels);
  const bulk = new BulkChannel(ctx.apiserver);
  try {
    const before = await countPods(bulk, ctx);
    const missing = ctx.plan.list.pods - before;
    if (missing > 0) {
      const first = ctx.created;
      const r = await closedLoad(channels, { concurrency: ctx.plan.creates.concurrency, total: missing, capMs: ctx.plan.list.topUpCapMs }, PODS_CREATE, (i) =>
        framedCreate(ctx.namespace, benchPod(podName(first + i), i)),
      );
      ctx.created += r.ok + r.errors;
    }
    return { before, after: await countPods(bulk, ctx), seconds: (performance.now() - t0) / 1000 };
  } finally {
    closeChannels(channels);
    bulk.close();
  }
}

/**
 * Full lists without a limit: a consistent read served from the watch cache (or from the
 * store when the cache lags). Time to the last byte (items counted, not decoded).
 */
export async function cacheListPhase(ctx: BenchContext, measure: CpuSplitMeter['measure']): Promise<PhaseRun<ListFigures>> {
  const ch = new BulkChannel(ctx.apiserver);
  try {
    const body = framedList(ctx.namespace);
    await ch.call(PODS_LIST, body, ctx.plan.list.callTimeoutMs); // warm-up
    const times: number[] = [];
    let items = 0;
    let bytes = 0;
    await measure(async () => {
      for (let k = 0; k < ctx.plan.list.repeats; k++) {
        const t0 = performance.now();
        const msg = await ch.call(PODS_LIST, body, ctx.plan.list.callTimeoutMs);
        times.push(performance.now() - t0);
        bytes = msg.length;
        if (k === 0) items = listSummary(msg).items;
      }
    });
    return { value: listFigures(items, bytes, times), ops: times.length };
  } finally {
    ch.close();
  }
}

/** Lists in pages of LIST_PAGE_LIMIT (read from the store), following continue tokens; time of the whole walk. */
export async function pagedListPhase(ctx: BenchContext, measure: CpuSplitMeter['measure']): Promise<PhaseRun<ListFigures>> {
  const ch = new BulkChannel(ctx.apiserver);
  try {
    const times: number[] = [];
    let items = 0;
    let bytes = 0;
    let pages = 0;
    const walk = async (): Promise<void> => {
      items = 0;
      bytes = 0;
      pages = 0;
      let token = '';
      do {
        const msg = await ch.call(PODS_LIST, framedList(ctx.namespace, LIST_PAGE_LIMIT, token), ctx.plan.list.callTimeoutMs);
        const s = listSummary(msg);
        items += s.items;
        bytes += msg.length;
        pages++;
        token = s.continueToken;
      } while (token && pages < ctx.plan.list.pods);
    };
    await walk(); // warm-up
    await measure(async () => {
      for (let k = 0; k < ctx.plan.list.repeats; k++) {
        const t0 = performance.now();
        await walk();
        times.push(performance.now() - t0);
      }
    });
    return { value: listFigures(items, bytes, times, pages), ops: times.length * pages };
  } finally {
    ch.close();
  }
}

/** Full lists through GrpcApiClient (grpc-js, every pod converted to JSON): what a real client waits for. */
export async function clientListPhase(ctx: BenchContext, measure: CpuSplitMeter['measure']): Promise<PhaseRun<ListFigures>> {
  const pods = ctx.api.resource(podStrategy.info);
  const times: number[] = [];
  let items = 0;
  await measure(async () => {
    for (let k = 0; k < ctx.plan.list.clientRepeats; k++) {
      const t0 = performance.now();
      const list = await pods.list(ctx.namespace);
      times.push(performance.now() - t0);
      items = list.items.length;
    }
  });
  return { value: listFigures(items, 0, times), ops: times.length };
}

// ---------------------------------------------------------------------------------------------
// Phase 5: watch fan-out

export interface WatchFigures {
  readonly watchers: number;
  readonly established: number;
  readonly establishMs: number;
  readonly updates: number;
  readonly eventsExpected: number;
  readonly eventsReceived: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly fromWriteP50Ms: number;
  readonly fromWriteP99Ms: number;
  readonly beforeAck: number;
  readonly writeP50Ms: number;
  readonly watchErrors: number;
  readonly firstError: string | undefined;
}

/** 1000 watchers of the namespace, then sequential updates of one pod; delay from each write's ack to each watcher's event. */
export async function watchPhase(ctx: BenchContext, measure: CpuSplitMeter['measure']): Promise<PhaseRun<WatchFigures>> {
  const w = ctx.plan.watch;
  const name = podName(0);
  const stored = await ctx.api.resource(podStrategy.info).get(ctx.namespace, name);
  const { resourceVersion: _rv, ...meta } = stored.metadata ?? {};
  const pod: KubeObject = { ...stored, metadata: meta };
  const streamChannels = await openChannels([ctx.apiserver], w.channels);
  const [writeChannel] = await openChannels([ctx.apiserver], 1);
  try {
    const rv = listSummary(await writeChannel.call(PODS_LIST, framedList(ctx.namespace, 1), CLOSED_CALL_TIMEOUT_MS)).resourceVersion;
    const r = await runFanout({ streamChannels, writeChannel, namespace: ctx.namespace, resourceVersion: rv, watchers: w.watchers, pod, updates: w.updates, gapMs: w.gapMs, capMs: w.capMs }, measure);
    if (r.eventsReceived === 0) throw new Error(`no watch event received (${r.established}/${r.watchers} established${r.firstError ? `; ${r.firstError}` : ''})`);
    const fromAck = latencySummary(r.fromAckMs);
    const fromWrite = latencySummary(r.fromWriteMs);
    const writes = latencySummary(r.writeMs);
    return {
      value: {
        watchers: r.watchers,
        established: r.established,
        establishMs: r.establishMs,
        updates: r.updates,
        eventsExpected: r.eventsExpected,
        eventsReceived: r.eventsReceived,
        p50Ms: fromAck.p50,
        p99Ms: fromAck.p99,
        fromWriteP50Ms: fromWrite.p50,
        fromWriteP99Ms: fromWrite.p99,
        beforeAck: r.beforeAck,
        writeP50Ms: writes.p50,
        watchErrors: r.watchErrors,
        firstError: r.firstError,
      },
      ops: r.eventsReceived + r.updates,
    };
  } finally {
    closeChannels(streamChannels);
    writeChannel.close();
  }
}
