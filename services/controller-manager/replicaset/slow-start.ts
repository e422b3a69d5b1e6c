/**
 * Slow-start batches (Kubernetes' slowStartBatch): run `count` calls in batches of 1, 2, 4, …
 * (each batch in parallel, doubling while every call of the previous batch succeeded), and stop
 * at the first batch with a failure. A create that fails for a reason that hits every call
 * (quota, admission, a webhook) then costs a handful of calls instead of `count`.
 */

/** Size of the first batch (Kubernetes' SlowStartInitialBatchSize). */
export const SLOW_START_INITIAL_BATCH = 1;

/** What a slow start did: how many calls succeeded and the first failure, if any. */
export interface SlowStartResult {
  readonly successes: number;
  readonly error?: unknown;
}

/**
 * Calls `fn(i)` for i in 0..count-1 in doubling batches starting at `initialBatch`; returns after
 * the last batch, or after the first batch in which a call threw (later calls are not made).
 */
export async function slowStartBatch(count: number, fn: (index: number) => Promise<void>, initialBatch = SLOW_START_INITIAL_BATCH): Promise<SlowStartResult> {
  let successes = 0;
  let next = 0;
  for (let batch = Math.min(count, initialBatch); batch > 0; batch = Math.min(2 * batch, count - next)) {
    const results = await Promise.allSettled(Array.from({ length: batch }, (_, i) => fn(next + i)));
    next += batch;
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    successes += results.filter((r) => r.status === 'fulfilled').length;
    if (failed) return { successes, error: failed.reason };
  }
  return { successes };
}
