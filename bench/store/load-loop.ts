import { GrpcLiteChannel } from './grpc-lite';

/**
 * The closed-loop load generator: `clients` request loops, each with one call in flight,
 * spread round-robin over `channels`, together issuing at most `total` calls and starting none
 * after `capMs`. Loops are callback chains (no async functions, no per-call timers) to keep the
 * generator's own CPU low. A watchdog closes the channels `WATCHDOG_GRACE_MS` after the cap so
 * a stalled server fails the outstanding calls instead of hanging the run.
 */

/** How long after the time cap outstanding calls may still finish before their channels are closed. */
export const WATCHDOG_GRACE_MS = 10_000;

/** What to run. */
export interface LoadSpec {
  readonly channels: readonly GrpcLiteChannel[];
  readonly clients: number;
  /** Upper bound on calls started. */
  readonly total: number;
  /** No call starts after this many ms. */
  readonly capMs: number;
  /** gRPC method path. */
  readonly path: string;
  /** The framed request of call number i (0-based). */
  readonly body: (i: number) => Buffer;
  /** Decodes a response; a throw counts the call as an error. */
  readonly decode: (msg: Buffer) => unknown;
}

/** What happened. */
export interface LoadResult {
  readonly ok: number;
  readonly errors: number;
  /** First error message seen, for the report. */
  readonly firstError: string | undefined;
  /** From the first call to the last completion, ms. */
  readonly elapsedMs: number;
  /** Successful calls per second over elapsedMs. */
  readonly throughput: number;
  /** Latency of each successful call, ms (length ok). */
  readonly latenciesMs: Float64Array;
  /** True when the time cap, not the count, ended the load. */
  readonly capped: boolean;
  /** True when the watchdog had to close the channels. */
  readonly watchdogFired: boolean;
}

/** Runs a closed-loop load; never rejects. */
export function runLoad(spec: LoadSpec): Promise<LoadResult> {
  return new Promise((resolve) => {
    const latencies = new Float64Array(spec.total);
    let issued = 0;
    let ok = 0;
    let errors = 0;
    let firstError: string | undefined;
    let lastDone = 0;
    let active = spec.clients;
    let capped = false;
    let watchdogFired = false;
    const start = performance.now();
    const deadline = start + spec.capMs;
    const watchdog = setTimeout(() => {
      watchdogFired = true;
      for (const ch of spec.channels) ch.close();
    }, spec.capMs + WATCHDOG_GRACE_MS);

    const finishClient = (): void => {
      active--;
      if (active > 0) return;
      clearTimeout(watchdog);
      const elapsedMs = (lastDone || performance.now()) - start;
      resolve({
        ok,
        errors,
        firstError,
        elapsedMs,
        throughput: elapsedMs > 0 ? (ok * 1000) / elapsedMs : 0,
        latenciesMs: latencies.subarray(0, ok),
        capped,
        watchdogFired,
      });
    };

    const loop = (ch: GrpcLiteChannel): void => {
      if (issued >= spec.total) return finishClient();
      const t0 = performance.now();
      if (t0 >= deadline) {
        capped = true;
        return finishClient();
      }
      const i = issued++;
      ch.unary(spec.path, spec.body(i), (err, msg) => {
        const t1 = performance.now();
        lastDone = t1;
        if (!err) {
          try {
            spec.decode(msg as Buffer);
            latencies[ok++] = t1 - t0;
          } catch (e) {
            errors++;
            firstError ??= `bad response: ${(e as Error).message}`;
          }
        } else {
          errors++;
          firstError ??= err.message;
        }
        loop(ch);
      });
    };

    if (spec.clients <= 0) {
      active = 1;
      finishClient();
      return;
    }
    for (let c = 0; c < spec.clients; c++) loop(spec.channels[c % spec.channels.length]);
  });
}

/** Opens `count` channels to `endpoints` round-robin and waits until all are connected. */
export async function openChannels(endpoints: readonly string[], count: number): Promise<GrpcLiteChannel[]> {
  const channels = Array.from({ length: count }, (_, i) => new GrpcLiteChannel(endpoints[i % endpoints.length]));
  try {
    await Promise.all(channels.map((ch) => ch.connect()));
  } catch (err) {
    for (const ch of channels) ch.close();
    throw err;
  }
  return channels;
}

/** Closes every channel. */
export function closeChannels(channels: readonly GrpcLiteChannel[]): void {
  for (const ch of channels) ch.close();
}
