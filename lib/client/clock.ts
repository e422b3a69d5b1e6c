/**
 * Time as the client machinery sees it: a wall clock and one-shot timers, injected so that work
 * queues, informers and leader election can be driven by a fake clock in unit tests.
 */

/** A scheduled one-shot timer; `cancel()` is idempotent and harmless after the timer fired. */
export interface Timer {
  cancel(): void;
}

/** Wall-clock milliseconds and one-shot timers. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Calls `fn` once, `ms` milliseconds from now (at once-ish when `ms <= 0`). */
  setTimer(ms: number, fn: () => void): Timer;
}

/** The real clock: `Date.now()` and Node's `setTimeout`. */
export const realClock: Clock = {
  now: () => Date.now(),
  setTimer(ms: number, fn: () => void): Timer {
    const handle = setTimeout(fn, Math.max(0, ms));
    return { cancel: () => clearTimeout(handle) };
  },
};
