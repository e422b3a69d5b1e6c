import type { GrpcLiteChannel } from '../store/grpc-lite';

/**
 * The open-loop load generator: calls start on a fixed schedule (one every 1000/rate ms)
 * whatever the server's answers, so a slow server shows as latency rather than as fewer calls.
 * Latency is measured from each call's scheduled start (not from when the timer got to it), so
 * a stall of the generator or the server is not hidden (no coordinated omission). Bounded:
 * `total` calls, none started after `capMs`, and a per-call deadline.
 */

/** Timer granularity of the schedule: each tick starts every call that is due, ms. */
const TICK_MS = 2;

/** What to run. */
export interface OpenLoopSpec {
  readonly channels: readonly GrpcLiteChannel[];
  /** Calls per second. */
  readonly rate: number;
  /** Upper bound on calls started. */
  readonly total: number;
  /** No call starts after this many ms. */
  readonly capMs: number;
  /** Deadline of each call, ms (a call past it counts as an error). */
  readonly callTimeoutMs: number;
  /** gRPC method path. */
  readonly path: string;
  /** The framed request of call number i (0-based). */
  readonly body: (i: number) => Buffer;
}

/** What happened. */
export interface OpenLoopResult {
  readonly ok: number;
  readonly errors: number;
  readonly firstError: string | undefined;
  /** Calls per second achieved (ok calls over the time from the first scheduled start to the last completion). */
  readonly throughput: number;
  /** Latency of each successful call from its scheduled start, ms. */
  readonly latenciesMs: Float64Array;
  /** Largest lag of the generator behind its schedule, ms (large: the client, not the server, was late). */
  readonly maxLagMs: number;
  readonly capped: boolean;
}

/** Runs an open-loop load; never rejects. */
export function runOpenLoop(spec: OpenLoopSpec): Promise<OpenLoopResult> {
  return new Promise((resolve) => {
    const interval = 1000 / spec.rate;
    const latencies = new Float64Array(spec.total);
    let issued = 0;
    let done = 0;
    let ok = 0;
    let errors = 0;
    let firstError: string | undefined;
    let maxLag = 0;
    let capped = false;
    let lastDone = 0;
    const start = performance.now();

    const finish = (): void => {
      const elapsed = (lastDone || performance.now()) - start;
      resolve({ ok, errors, firstError, throughput: elapsed > 0 ? (ok * 1000) / elapsed : 0, latenciesMs: latencies.subarray(0, ok), maxLagMs: maxLag, capped });
    };

    const tick = (): void => {
      const now = performance.now();
      while (issued < spec.total) {
        const due = start + issued * interval;
        if (due > now) break;
        if (due - start >= spec.capMs) {
          capped = true;
          break;
        }
        maxLag = Math.max(maxLag, now - due);
        const i = issued++;
        spec.channels[i % spec.channels.length].unary(
          spec.path,
          spec.body(i),
          (err) => {
            const t = performance.now();
            lastDone = t;
            if (err) {
              errors++;
              firstError ??= err.message;
            } else latencies[ok++] = t - due;
            if (++done === issued && (issued >= spec.total || capped)) finish();
          },
          spec.callTimeoutMs,
        );
      }
      if (issued >= spec.total || capped) {
        clearInterval(timer);
        if (done === issued) finish();
      }
    };
    const timer = setInterval(tick, TICK_MS);
    tick();
  });
}
