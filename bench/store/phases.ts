import * as crypto from 'node:crypto';
import type { BenchCluster } from './clusters';
import { decodePut, decodeRange, decodeWatch, framedPut, framedRange, framedWatchCreate, KV_PUT, KV_RANGE, WATCH_WATCH } from './etcd-api';
import { GrpcLiteChannel } from './grpc-lite';
import { closeChannels, LoadResult, openChannels, runLoad } from './load-loop';
import { CpuMeter, latencySummary, procRssAnonBytes, procRssBytes, sleep, tailSummary } from './measure';
import { BenchPlan, LoadShape, PUT_KEYSPACE, VALUE_BYTES } from './plan';

/**
 * The five measurements of the store benchmark, each against one running cluster: put
 * throughput/latency, range throughput/latency, watch put-to-event latency, leader failover
 * gap and resident memory. Each phase returns its figures and how many calls it made (for the
 * client CPU per call); a phase that cannot run throws, and the runner reports the error.
 */

/** Figures of one closed-loop load. */
export interface LoadFigures {
  readonly shape: LoadShape;
  /** Successful calls per second. */
  readonly throughput: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly ok: number;
  readonly errors: number;
  readonly firstError: string | undefined;
  readonly capped: boolean;
  readonly elapsedMs: number;
}

/** A phase's figures plus the number of client calls/events it handled. */
export interface PhaseRun<T> {
  readonly value: T;
  readonly ops: number;
}

/** One random 256-byte value shared by the put phases (the store never compresses it). */
const VALUE = crypto.randomBytes(VALUE_BYTES);

function putKey(i: number): string {
  return `bench/put/${String(i).padStart(6, '0')}`;
}

/** Key i of the memory load; the range phases read these back. */
function memKey(i: number): string {
  return `bench/mem/${String(i).padStart(6, '0')}`;
}

function figures(shape: LoadShape, r: LoadResult): LoadFigures {
  const { p50, p99 } = latencySummary(r.latenciesMs);
  return {
    shape,
    throughput: r.throughput,
    p50Ms: p50,
    p99Ms: p99,
    ok: r.ok,
    errors: r.errors,
    firstError: r.firstError,
    capped: r.capped,
    elapsedMs: r.elapsedMs,
  };
}

/** Throws when a load had no successful call, so the row shows the error instead of zeros. */
function requireSuccess(r: LoadResult, what: string): void {
  if (r.ok === 0) {
    throw new Error(`${what}: no successful call (${r.errors} errors${r.firstError ? `, first: ${r.firstError}` : ''})`);
  }
}

// ---------------------------------------------------------------------------------------------
// Memory

/** Resident memory before and after loading the keys. */
export interface MemoryFigures {
  readonly keysLoaded: number;
  readonly keysWanted: number;
  readonly loadThroughput: number;
  readonly loadErrors: number;
  readonly loadFirstError: string | undefined;
  /** Max VmRSS over members on the fresh cluster, bytes. */
  readonly baselineMaxRss: number;
  /** Max VmRSS over members once the cluster has been quiet for quietSettleMs more, bytes. */
  readonly quietMaxRss: number;
  /** Max anonymous (private) resident memory over members on the fresh cluster, bytes. */
  readonly baselineMaxAnon: number;
  /** VmRSS of the leader after loading, bytes. */
  readonly leaderRss: number;
  /** Max VmRSS over members after loading, bytes. */
  readonly maxRss: number;
  /** p99.9 and max latency of the load's last puts (see the phase), ms. */
  readonly tailP999Ms: number;
  readonly tailMaxMs: number;
  /** How many of the load's last puts those figures cover. */
  readonly tailPuts: number;
  /** Snapshots the members logged during the load (max over members). */
  readonly snapshots: number;
}

/** Puts at the end of the memory load whose latency tail is reported (they span the snapshot). */
const SNAPSHOT_WINDOW_PUTS = 20_000;

/**
 * Loads `plan.memoryKeys.total` distinct keys of 256-byte values through the leader, then
 * `plan.snapshotTail` overwrites of them (the load crosses the first snapshot; see the plan),
 * waits for the cluster to settle, and reads VmRSS of every member. The p99.9 and maximum
 * latency of the last SNAPSHOT_WINDOW_PUTS puts show what the snapshot costs the writers.
 */
export async function memoryPhase(cluster: BenchCluster, plan: BenchPlan, meter: CpuMeter): Promise<PhaseRun<MemoryFigures>> {
  const shape = { ...plan.memoryKeys, total: plan.memoryKeys.total + plan.snapshotTail };
  await sleep(plan.idleSettleMs);
  const baseline = cluster.pids().map(procRssBytes);
  const baselineAnon = cluster.pids().map(procRssAnonBytes);
  const snapshotsBefore = cluster.snapshotsTaken();
  const bodies = Array.from({ length: shape.total }, (_, i) => framedPut(memKey(i % plan.memoryKeys.total), VALUE));
  const leader = await cluster.leader();
  const channels = await openChannels([cluster.endpoints[leader]], shape.conns);
  let r: LoadResult;
  try {
    r = await meter.measure(() => runLoad({ ...shape, channels, path: KV_PUT, body: (i) => bodies[i], decode: decodePut }));
  } finally {
    closeChannels(channels);
  }
  requireSuccess(r, 'memory load');
  const window = r.latenciesMs.slice(Math.max(0, r.latenciesMs.length - SNAPSHOT_WINDOW_PUTS));
  const tail = tailSummary(window);
  const snapshots = cluster.snapshotsTaken() - snapshotsBefore;
  await sleep(plan.memorySettleMs);
  const after = cluster.pids().map(procRssBytes);
  await sleep(plan.quietSettleMs);
  const quiet = cluster.pids().map(procRssBytes);
  const leaderNow = await cluster.leader().catch(() => leader);
  const known = (xs: (number | undefined)[]): number[] => xs.filter((x): x is number => x !== undefined);
  return {
    value: {
      keysLoaded: Math.min(r.ok, plan.memoryKeys.total),
      keysWanted: plan.memoryKeys.total,
      loadThroughput: r.throughput,
      loadErrors: r.errors,
      loadFirstError: r.firstError,
      baselineMaxRss: Math.max(...known(baseline)),
      baselineMaxAnon: Math.max(...known(baselineAnon)),
      leaderRss: after[leaderNow] ?? NaN,
      maxRss: Math.max(...known(after)),
      quietMaxRss: Math.max(...known(quiet)),
      tailP999Ms: tail.p999,
      tailMaxMs: tail.max,
      tailPuts: window.length,
      snapshots,
    },
    ops: r.ok + r.errors,
  };
}

// ---------------------------------------------------------------------------------------------
// Put and range

/**
 * Puts to the leader at one (connections, clients) shape: a short warm-up on the same
 * connections, then the measured load over PUT_KEYSPACE keys.
 */
export async function putPhase(cluster: BenchCluster, shape: LoadShape, warmupCalls: number, meter: CpuMeter): Promise<PhaseRun<LoadFigures>> {
  const bodies = Array.from({ length: PUT_KEYSPACE }, (_, i) => framedPut(putKey(i), VALUE));
  const leader = await cluster.leader();
  const channels = await openChannels([cluster.endpoints[leader]], shape.conns);
  try {
    const body = (i: number): Buffer => bodies[i % PUT_KEYSPACE];
    const warm = Math.max(warmupCalls, shape.clients);
    await runLoad({ channels, clients: shape.clients, total: warm, capMs: 5_000, path: KV_PUT, body, decode: decodePut });
    const r = await meter.measure(() => runLoad({ ...shape, channels, path: KV_PUT, body: (i) => body(i + warm), decode: decodePut }));
    requireSuccess(r, 'put');
    return { value: figures(shape, r), ops: r.ok + r.errors };
  } finally {
    closeChannels(channels);
  }
}

/**
 * Single-key ranges over the keys of the memory load, connections spread over all members
 * (linearizable reads go through each member's read-index path, serializable ones are local).
 */
export async function rangePhase(
  cluster: BenchCluster,
  shape: LoadShape,
  serializable: boolean,
  keys: number,
  meter: CpuMeter,
): Promise<PhaseRun<LoadFigures>> {
  const distinct = Math.max(1, Math.min(keys, 1_000));
  const bodies = Array.from({ length: distinct }, (_, i) => framedRange(memKey(i), serializable));
  const channels = await openChannels(cluster.endpoints, shape.conns);
  try {
    const body = (i: number): Buffer => bodies[i % distinct];
    await runLoad({ channels, clients: shape.clients, total: shape.clients * 2, capMs: 5_000, path: KV_RANGE, body, decode: decodeRange });
    const r = await meter.measure(() => runLoad({ ...shape, channels, path: KV_RANGE, body, decode: decodeRange }));
    requireSuccess(r, serializable ? 'serializable range' : 'linearizable range');
    return { value: figures(shape, r), ops: r.ok + r.errors };
  } finally {
    closeChannels(channels);
  }
}

// ---------------------------------------------------------------------------------------------
// Watch

/** Put-to-event latency over all watchers. */
export interface WatchFigures {
  readonly watchers: number;
  readonly puts: number;
  readonly eventsExpected: number;
  readonly eventsReceived: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Latency of the paced puts themselves. */
  readonly putP50Ms: number;
}

/** How long to wait for every watcher to be created. */
const WATCH_CREATE_TIMEOUT_MS = 10_000;
/** Deadline of each paced put. */
const WATCH_PUT_TIMEOUT_MS = 2_000;
/** Bytes of the send-time stamp at the start of each watched value. */
const STAMP_BYTES = 24;

/**
 * `watchers` watchers on one key over `streams` bidi streams spread over all members; one
 * putter on the leader writes the key every putIntervalMs, stamping the value with the time the
 * put starts; each event's latency is its receipt time minus that stamp.
 */
export async function watchPhase(cluster: BenchCluster, plan: BenchPlan, meter: CpuMeter): Promise<PhaseRun<WatchFigures>> {
  const w = plan.watch;
  const key = 'bench/watch/key';
  const perStream = Math.ceil(w.watchers / w.streams);
  const expected = w.watchers * w.puts;
  const latencies = new Float64Array(expected);
  let received = 0;
  let created = 0;
  let failure: Error | undefined;
  let onCreated: () => void = () => undefined;
  let onAllEvents: () => void = () => undefined;

  const leader = await cluster.leader();
  const streamChannels = await openChannels(cluster.endpoints, cluster.endpoints.length);
  const putter = (await openChannels([cluster.endpoints[leader]], 1))[0];
  const streams: { close(code?: number): void }[] = [];
  try {
    for (let s = 0; s < w.streams; s++) {
      const n = Math.min(perStream, w.watchers - s * perStream);
      if (n <= 0) break;
      const stream = streamChannels[s % streamChannels.length].openStream(
        WATCH_WATCH,
        (msg) => {
          const now = performance.now();
          const res = decodeWatch(msg);
          if (res.created) {
            created++;
            if (created === w.watchers) onCreated();
          }
          if (res.canceled) failure ??= new Error(`watch canceled: ${res.cancelReason || 'no reason given'}`);
          for (const ev of res.events) {
            const stamp = ev.kv ? parseFloat(ev.kv.value.toString('latin1', 0, STAMP_BYTES)) : NaN;
            if (!Number.isNaN(stamp) && received < expected) latencies[received++] = now - stamp;
          }
          if (res.events.length > 0) onAllEvents();
        },
        (err) => {
          if (err) failure ??= err;
        },
      );
      streams.push(stream);
      for (let i = 0; i < n; i++) stream.write(framedWatchCreate(key));
    }
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(
        () => reject(failure ?? new Error(`only ${created} of ${w.watchers} watchers created after ${WATCH_CREATE_TIMEOUT_MS} ms`)),
        WATCH_CREATE_TIMEOUT_MS,
      );
      onCreated = () => {
        clearTimeout(t);
        resolve();
      };
      if (created >= w.watchers) onCreated();
    });

    const putLatencies = new Float64Array(w.puts);
    let putsOk = 0;
    let wanted = 0;
    await meter.measure(async () => {
      const start = performance.now();
      for (let k = 0; k < w.puts; k++) {
        if (failure) throw failure;
        if (performance.now() - start > w.capMs) break;
        const t0 = performance.now();
        const value = Buffer.alloc(VALUE_BYTES, 0x20);
        value.write(t0.toFixed(4), 0, STAMP_BYTES, 'latin1');
        try {
          await putter.call(KV_PUT, framedPut(key, value), WATCH_PUT_TIMEOUT_MS);
          putLatencies[putsOk++] = performance.now() - t0;
        } catch {
          // a failed put produces no event; the shortfall shows as events received < expected
        }
        const next = start + (k + 1) * w.putIntervalMs;
        const wait = next - performance.now();
        if (wait > 0) await sleep(wait);
      }
      wanted = putsOk * w.watchers;
      if (received < wanted) {
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, w.drainMs);
          onAllEvents = () => {
            if (received >= wanted) {
              clearTimeout(t);
              resolve();
            }
          };
        });
      }
    });
    if (received === 0) throw failure ?? new Error(`no watch event received (${putsOk} puts succeeded)`);
    const lat = latencySummary(latencies.subarray(0, received));
    const putLat = latencySummary(putLatencies.subarray(0, putsOk));
    return {
      value: {
        watchers: w.watchers,
        puts: putsOk,
        eventsExpected: wanted,
        eventsReceived: received,
        p50Ms: lat.p50,
        p99Ms: lat.p99,
        putP50Ms: putLat.p50,
      },
      ops: received + putsOk,
    };
  } finally {
    for (const s of streams) s.close();
    closeChannels(streamChannels);
    putter.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Failover

/** What kill -9 of the leader under steady put load cost (median over the trials). */
export interface FailoverFigures {
  /** Median over trials of the longest interval without a successful put, ms. */
  readonly gapMs: number;
  /** Every trial's gap, ms. */
  readonly gapsMs: readonly number[];
  /** Median over trials of: from the kill to the first successful put sent after the old leader died, ms. */
  readonly recoveryMs: number;
  /** Failed puts over all trials. */
  readonly errors: number;
  /** Successful puts over all trials. */
  readonly puts: number;
  /** Longest time a restarted member took to rejoin (whole cluster, one leader), ms. */
  readonly rejoinMs: number;
  readonly rejoinError: string | undefined;
}

/** One kill of the leader. */
interface FailoverTrial {
  readonly gapMs: number;
  readonly recoveryMs: number;
  readonly errors: number;
  readonly puts: number;
  readonly issued: number;
  readonly killedMember: number;
}

/** How far before the kill the gap window starts. */
const GAP_WINDOW_BEFORE_KILL_MS = 1_000;
/** Pause between a rejoin and the next trial, so the cluster settles. */
const BETWEEN_TRIALS_MS = 1_000;

/**
 * Steady put load from `clients` loops, all starting on the leader; after beforeKillMs the
 * leader gets kill -9. A client whose call fails moves to the next member and retries after a
 * short backoff. The load stops afterRecoveryMs after the first successful put sent after the
 * kill (or capAfterKillMs after the kill). The gap is the longest interval without a successful
 * put from 1 s before the kill to the end of the load.
 */
async function failoverTrial(cluster: BenchCluster, plan: BenchPlan, bodies: Buffer[]): Promise<FailoverTrial> {
  const f = plan.failover;
  const leader = await cluster.leader();
  const n = cluster.endpoints.length;
  const channels = cluster.endpoints.map((e) => new GrpcLiteChannel(e));
  await channels[leader].connect();

  const successes: number[] = [];
  let issued = 0;
  let errors = 0;
  let killAt = Infinity;
  let killedAt = Infinity; // the old leader's process has exited
  let recoveredAt = Infinity;
  let stopAt = performance.now() + f.beforeKillMs + f.capAfterKillMs;
  let active = f.clients;
  let onDone: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (onDone = resolve));

  const loop = (c: { ep: number }): void => {
    const t0 = performance.now();
    if (t0 >= stopAt || issued >= f.maxCalls) {
      if (--active === 0) onDone();
      return;
    }
    const i = issued++;
    channels[c.ep].unary(
      KV_PUT,
      bodies[i % bodies.length],
      (err, msg) => {
        const t1 = performance.now();
        let ok = !err;
        if (ok) {
          try {
            decodePut(msg as Buffer);
          } catch {
            ok = false;
          }
        }
        if (ok) {
          successes.push(t1);
          if (t0 > killedAt && recoveredAt === Infinity) {
            recoveredAt = t1;
            stopAt = Math.min(stopAt, t1 + f.afterRecoveryMs);
          }
          loop(c);
        } else {
          errors++;
          c.ep = (c.ep + 1) % n;
          setTimeout(loop, f.retryBackoffMs, c);
        }
      },
      f.callTimeoutMs,
    );
  };
  try {
    for (let c = 0; c < f.clients; c++) loop({ ep: leader });
    await sleep(f.beforeKillMs);
    if (cluster.pids()[leader] === undefined) throw new Error('the leader has no pid');
    killAt = performance.now();
    await cluster.kill(leader);
    killedAt = performance.now();
    await done;
  } finally {
    stopAt = 0; // stops the loops if the kill threw
    closeChannels(channels);
  }
  if (recoveredAt === Infinity) {
    throw new Error(`no successful put within ${f.capAfterKillMs} ms of killing the leader (${errors} errors)`);
  }
  let gapMs = 0;
  let prev = killAt - GAP_WINDOW_BEFORE_KILL_MS;
  for (const t of successes) {
    if (t < prev) continue;
    gapMs = Math.max(gapMs, t - prev);
    prev = t;
  }
  return { gapMs, recoveryMs: recoveredAt - killAt, errors, puts: successes.length, issued, killedMember: leader };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/**
 * `plan.failover.trials` kills of the leader (see failoverTrial), each followed by restarting
 * the killed member and waiting until the cluster is whole again.
 */
export async function failoverPhase(cluster: BenchCluster, plan: BenchPlan, meter: CpuMeter): Promise<PhaseRun<FailoverFigures>> {
  const bodies = Array.from({ length: PUT_KEYSPACE }, (_, i) => framedPut(`bench/failover/${String(i).padStart(6, '0')}`, VALUE));
  const trials: FailoverTrial[] = [];
  let rejoinMs = 0;
  let rejoinError: string | undefined;
  for (let t = 0; t < plan.failover.trials; t++) {
    const trial = await meter.measure(() => failoverTrial(cluster, plan, bodies));
    trials.push(trial);
    const restartStart = performance.now();
    try {
      await cluster.restart(trial.killedMember);
      rejoinMs = Math.max(rejoinMs, performance.now() - restartStart);
    } catch (err) {
      rejoinError = `member ${trial.killedMember}: ${(err as Error).message.split('\n')[0]}`;
      break; // a cluster short of a member would skew the next trial
    }
    await sleep(BETWEEN_TRIALS_MS);
  }
  const sum = (k: 'errors' | 'puts' | 'issued'): number => trials.reduce((a, x) => a + x[k], 0);
  return {
    value: {
      gapMs: median(trials.map((x) => x.gapMs)),
      gapsMs: trials.map((x) => x.gapMs),
      recoveryMs: median(trials.map((x) => x.recoveryMs)),
      errors: sum('errors'),
      puts: sum('puts'),
      rejoinMs: rejoinError ? NaN : rejoinMs,
      rejoinError,
    },
    ops: sum('issued'),
  };
}
