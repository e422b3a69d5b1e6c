import type * as http2 from 'node:http2';
import type { GrpcLiteChannel } from '../store/grpc-lite';
import { framedUpdate, framedWatch, PODS_UPDATE, PODS_WATCH, watchEventLetter } from './pod-requests';
import type { KubeObject } from '../../lib/api/object';

/**
 * Watch fan-out: `watchers` pod watches on one namespace (spread over a few HTTP/2
 * connections), then a sequence of updates of one pod in it. Each update is written, and the
 * next one starts once every watcher has seen it (or after a per-update timeout), so each
 * figure is the fan-out delay of one write, not a queue of them. A watcher's k-th MODIFIED
 * event belongs to the k-th update: events are counted, not decoded, to keep the load
 * generator's CPU out of the delay.
 */

/** How long to wait for every watcher to see one update before writing the next, ms. */
const PER_UPDATE_TIMEOUT_MS = 5_000;
/** Deadline of each update call, ms. */
const UPDATE_TIMEOUT_MS = 5_000;

/** What to run. */
export interface FanoutSpec {
  readonly streamChannels: readonly GrpcLiteChannel[];
  readonly writeChannel: GrpcLiteChannel;
  readonly namespace: string;
  /** The resourceVersion watches start from (the namespace's list RV: no initial events). */
  readonly resourceVersion: string;
  readonly watchers: number;
  /** The pod updated (as read back, without resourceVersion: each update is unconditional). */
  readonly pod: KubeObject;
  /** Measured updates (one more, unmeasured, first proves every watch is established). */
  readonly updates: number;
  /** Pause between one update's last event and the next write, ms. */
  readonly gapMs: number;
  /** The whole phase stops starting updates after this many ms. */
  readonly capMs: number;
}

/** What happened. */
export interface FanoutResult {
  readonly watchers: number;
  /** Watchers that saw the warm-up update (were established) in time. */
  readonly established: number;
  readonly updates: number;
  readonly eventsExpected: number;
  readonly eventsReceived: number;
  /** Delay from each write's acknowledgement to each watcher's event, ms (0 when the event came first). */
  readonly fromAckMs: Float64Array;
  /** Delay from each write's start to each watcher's event, ms. */
  readonly fromWriteMs: Float64Array;
  /** Events that arrived before their write was acknowledged. */
  readonly beforeAck: number;
  /** Latency of the update calls themselves, ms. */
  readonly writeMs: Float64Array;
  readonly watchErrors: number;
  readonly firstError: string | undefined;
  /** Time from opening the watches until all were established, ms. */
  readonly establishMs: number;
}

/**
 * Runs the fan-out; `measure` wraps the measured updates (CPU meter). Closes nothing: the
 * caller closes the channels (which ends the watch streams).
 */
export async function runFanout(spec: FanoutSpec, measure: <T>(fn: () => Promise<T>) => Promise<T>): Promise<FanoutResult> {
  const W = spec.watchers;
  const rounds = spec.updates + 1; // round 0: warm-up
  const arrivals = new Float64Array(rounds * W).fill(NaN);
  const seen = new Int32Array(W);
  const perRound = new Int32Array(rounds);
  let watchErrors = 0;
  let firstError: string | undefined;
  let waiting: { round: number; resolve: () => void } | undefined;
  const streams: http2.ClientHttp2Stream[] = [];
  const body = framedWatch(spec.namespace, spec.resourceVersion);

  for (let w = 0; w < W; w++) {
    const stream = spec.streamChannels[w % spec.streamChannels.length].openStream(
      PODS_WATCH,
      (msg) => {
        const t = performance.now();
        const letter = watchEventLetter(msg);
        if (letter === 'E') {
          watchErrors++;
          firstError ??= 'watch ended with an ERROR event';
          return;
        }
        if (letter !== 'M') return;
        const round = seen[w]++;
        if (round >= rounds) return;
        arrivals[round * W + w] = t;
        if (++perRound[round] === W && waiting && waiting.round === round) waiting.resolve();
      },
      (err) => {
        if (err) {
          watchErrors++;
          firstError ??= `watch stream: ${err.message}`;
        }
      },
    );
    stream.end(body);
    streams.push(stream);
  }

  const sends = new Float64Array(rounds);
  const acks = new Float64Array(rounds).fill(NaN);
  const writeMs: number[] = [];
  const waitRound = (round: number): Promise<void> =>
    perRound[round] >= W
      ? Promise.resolve()
      : new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            waiting = undefined;
            resolve();
          }, PER_UPDATE_TIMEOUT_MS);
          waiting = {
            round,
            resolve: () => {
              clearTimeout(timer);
              waiting = undefined;
              resolve();
            },
          };
        });
  const write = async (round: number): Promise<void> => {
    // A label no other phase sets, so every update changes the pod (an update that changes
    // nothing is answered without a write, and would send no event).
    const labels = { ...(spec.pod.metadata?.labels ?? {}), 'bench/watch-round': String(round) };
    const framed = framedUpdate(spec.namespace, { ...spec.pod, metadata: { ...spec.pod.metadata, labels } });
    const seenAll = waitRound(round);
    sends[round] = performance.now();
    await new Promise<void>((resolve, reject) =>
      spec.writeChannel.unary(
        PODS_UPDATE,
        framed,
        (err) => {
          if (err) return reject(new Error(`update ${round}: ${err.message}`));
          acks[round] = performance.now();
          writeMs.push(acks[round] - sends[round]);
          resolve();
        },
        UPDATE_TIMEOUT_MS,
      ),
    );
    await seenAll;
  };

  const opened = performance.now();
  await write(0);
  const establishMs = performance.now() - opened;
  const established = perRound[0];
  const deadline = performance.now() + spec.capMs;
  let done = 0;
  await measure(async () => {
    for (let r = 1; r < rounds && performance.now() < deadline; r++) {
      await write(r);
      done = r;
      if (spec.gapMs > 0) await new Promise((res) => setTimeout(res, spec.gapMs));
    }
  });
  for (const s of streams) s.close();

  const fromAck: number[] = [];
  const fromWrite: number[] = [];
  let beforeAck = 0;
  let received = 0;
  for (let r = 1; r <= done; r++) {
    for (let w = 0; w < W; w++) {
      const t = arrivals[r * W + w];
      if (Number.isNaN(t)) continue;
      received++;
      fromWrite.push(t - sends[r]);
      const d = t - acks[r];
      if (d < 0) beforeAck++;
      fromAck.push(Math.max(0, d));
    }
  }
  return {
    watchers: W,
    established,
    updates: done,
    eventsExpected: done * W,
    eventsReceived: received,
    fromAckMs: Float64Array.from(fromAck),
    fromWriteMs: Float64Array.from(fromWrite),
    beforeAck,
    writeMs: Float64Array.from(writeMs.slice(1)),
    watchErrors,
    firstError,
    establishMs,
  };
}
