import type { Event } from '../../api/core-event';
import { Clock, realClock } from '../clock';
import { TokenBucket } from '../token-bucket';
import { spamKey } from './event-keys';
import { LruMap } from './lru-map';

/** Events one source may send about one object at once (client-go's defaultSpamBurst). */
export const DEFAULT_SPAM_BURST = 25;
/** Refill of that budget: one Event per 5 minutes (client-go's defaultSpamQPS = 1/300). */
export const DEFAULT_SPAM_REFILL_PER_SECOND = 1 / 300;
/** Sources × objects remembered by the event caches (client-go's maxLruCacheEntries). */
export const EVENT_CACHE_ENTRIES = 4096;

/** Settings of an EventSpamFilter. */
export interface EventSpamFilterOptions {
  readonly clock?: Clock;
  readonly burst?: number;
  readonly refillPerSecond?: number;
  readonly cacheEntries?: number;
}

/**
 * Rate-limits the Events one source writes about one object (client-go's
 * EventSourceObjectSpamFilter): a token bucket per source + object (burst 25, one more every
 * 5 minutes by default), kept for the most recent EVENT_CACHE_ENTRIES pairs. Every Event
 * written counts, repeats that only bump a count included.
 */
export class EventSpamFilter {
  private readonly clock: Clock;
  private readonly burst: number;
  private readonly refill: number;
  private readonly buckets: LruMap<string, TokenBucket>;

  constructor(options: EventSpamFilterOptions = {}) {
    this.clock = options.clock ?? realClock;
    this.burst = options.burst ?? DEFAULT_SPAM_BURST;
    this.refill = options.refillPerSecond ?? DEFAULT_SPAM_REFILL_PER_SECOND;
    this.buckets = new LruMap(options.cacheEntries ?? EVENT_CACHE_ENTRIES);
  }

  /** True when `ev` is over its source and object's budget and must be dropped. */
  filter(ev: Event): boolean {
    const key = spamKey(ev);
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = new TokenBucket(this.refill, this.burst, this.clock);
      this.buckets.set(key, bucket);
    }
    return !bucket.tryTake();
  }
}
