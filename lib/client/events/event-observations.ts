import type { Event } from '../../api/core-event';
import { eventKey } from './event-keys';
import { EVENT_CACHE_ENTRIES } from './event-spam-filter';
import { LruMap } from './lru-map';

/** The fields a repeat of an Event changes on the stored one (a JSON merge patch). */
export interface EventPatch {
  readonly count: number;
  readonly lastTimestamp?: string;
  readonly message?: string;
}

/** An Event as it is to be written: created, or patched onto the one already stored. */
export interface Observed {
  readonly event: Event;
  /** Set when the Event was written before: the patch that counts this repeat. */
  readonly patch?: EventPatch;
}

/** What is known of an Event written before. */
interface Observation {
  readonly count: number;
  readonly firstTimestamp?: string;
  readonly name?: string;
  readonly resourceVersion?: string;
}

/**
 * Counts repeats of Events (client-go's eventLogger): the first time a key is seen the Event is
 * created as it is; each repeat takes the stored Event's name and firstTimestamp, count + 1, and
 * is written as a patch of count, lastTimestamp and message. The server's answer to each write
 * (updateState) keeps the name and count in step with what is stored. Remembers the most
 * recent EVENT_CACHE_ENTRIES keys.
 */
export class EventObservations {
  private readonly seen: LruMap<string, Observation>;

  constructor(cacheEntries = EVENT_CACHE_ENTRIES) {
    this.seen = new LruMap(cacheEntries);
  }

  /** `ev` (counted under `key`) as it is to be written. */
  observe(ev: Event, key: string): Observed {
    const last = this.seen.get(key);
    let event = ev;
    let patch: EventPatch | undefined;
    if (last && last.count > 0) {
      event = {
        ...ev,
        metadata: { ...ev.metadata, name: last.name, resourceVersion: last.resourceVersion },
        firstTimestamp: last.firstTimestamp,
        count: last.count + 1,
      };
      patch = { count: last.count + 1, lastTimestamp: event.lastTimestamp, message: event.message };
    }
    this.remember(key, event);
    return { event, patch };
  }

  /** Records the Event as the server stored it. */
  updateState(stored: Event): void {
    this.remember(eventKey(stored), stored);
  }

  private remember(key: string, ev: Event): void {
    this.seen.set(key, { count: ev.count ?? 1, firstTimestamp: ev.firstTimestamp, name: ev.metadata.name, resourceVersion: ev.metadata.resourceVersion });
  }
}
