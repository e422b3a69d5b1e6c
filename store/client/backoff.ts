/**
 * Retry pacing shared by unary calls, watch streams and lease keep-alive streams: exponential
 * backoff with "full jitter" (a uniform draw in [delay/2, delay]) so that many clients failing
 * over together do not retry in lockstep.
 */

/** Delay before the first retry. */
export const INITIAL_BACKOFF_MS = 25;
/** Upper bound of any single delay. */
export const MAX_BACKOFF_MS = 1000;
/** Growth factor between consecutive delays. */
export const BACKOFF_MULTIPLIER = 2;

/**
 * The delay before retry number `attempt` (1 for the first retry). `random` returns a number
 * in [0, 1) and is injected so tests can make it deterministic.
 */
export function backoffDelayMs(attempt: number, random: () => number = Math.random): number {
  const exponent = Math.max(0, attempt - 1);
  const ceiling = Math.min(MAX_BACKOFF_MS, INITIAL_BACKOFF_MS * BACKOFF_MULTIPLIER ** exponent);
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** Resolves after `ms` milliseconds; the timer does not keep the process alive. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
