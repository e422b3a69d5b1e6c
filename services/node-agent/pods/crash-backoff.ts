/**
 * The kubelet's restart back-off, per key (pod uid + container name, or an image): the first
 * restart is at once; each later one waits a delay that starts at {@link INITIAL_BACKOFF_MS} and
 * doubles up to {@link MAX_BACKOFF_MS}. A container that ran {@link BACKOFF_RESET_AFTER_MS} before
 * it ended starts over at the initial delay. The clock is injected.
 */
import type { Clock } from '../../../lib/client/clock';

export const INITIAL_BACKOFF_MS = 10_000;
export const MAX_BACKOFF_MS = 300_000;
/** A container that ran this long resets its back-off. */
export const BACKOFF_RESET_AFTER_MS = 600_000;

interface Entry {
  delayMs: number;
  lastUpdateMs: number;
}

export class CrashBackoff {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly clock: Clock,
    private readonly initialMs = INITIAL_BACKOFF_MS,
    private readonly maxMs = MAX_BACKOFF_MS,
  ) {}

  /**
   * How long `key` must still wait before its next attempt, counted from `sinceMs` (when the
   * last attempt ended); 0 when it may go now. Never-failed keys may always go.
   */
  remainingMs(key: string, sinceMs: number): number {
    const e = this.entries.get(key);
    if (!e) return 0;
    return Math.max(0, sinceMs + e.delayMs - this.clock.now());
  }

  /** The current delay of `key` (0 when it has none): what "back-off 10s" reports. */
  delayMs(key: string): number {
    return this.entries.get(key)?.delayMs ?? 0;
  }

  /** Records an attempt now: the next delay doubles (the first is the initial delay). */
  next(key: string): void {
    const e = this.entries.get(key);
    const now = this.clock.now();
    if (!e) this.entries.set(key, { delayMs: this.initialMs, lastUpdateMs: now });
    else this.entries.set(key, { delayMs: Math.min(e.delayMs * 2, this.maxMs), lastUpdateMs: now });
  }

  /** Forgets `key` (a container that ran long enough, or a pull that succeeded). */
  reset(key: string): void {
    this.entries.delete(key);
  }

  /** Forgets every key starting with `prefix` (a pod that is gone). */
  forgetPrefix(prefix: string): void {
    for (const k of this.entries.keys()) if (k.startsWith(prefix)) this.entries.delete(k);
  }
}
