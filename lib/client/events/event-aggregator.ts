import type { Event } from '../../api/core-event';
import { Clock, realClock } from '../clock';
import { aggregateKey, eventKey } from './event-keys';
import { EVENT_CACHE_ENTRIES } from './event-spam-filter';
import { eventTimestamp, newEventName } from './event-stamps';
import { LruMap } from './lru-map';

/** Different messages of one kind of Event within the interval before they are combined (client-go: 10). */
export const DEFAULT_AGGREGATE_MAX_EVENTS = 10;
/** How long similar Events are counted together, in ms (client-go: 600 s). */
export const DEFAULT_AGGREGATE_INTERVAL_MS = 600_000;
/** The message of a combined Event starts with this (client-go's EventAggregatorByReasonMessageFunc). */
export const COMBINED_MESSAGE_PREFIX = '(combined from similar events): ';

/** Settings of an EventAggregator. */
export interface EventAggregatorOptions {
  readonly clock?: Clock;
  readonly maxEvents?: number;
  readonly intervalMs?: number;
  readonly cacheEntries?: number;
}

/** The Event to write after aggregation and the key it is counted under. */
export interface Aggregated {
  readonly event: Event;
  /** eventKey of the Event as it was, or the group's key once it is combined. */
  readonly key: string;
}

/** What the aggregator remembers of one group of similar Events. */
interface GroupRecord {
  readonly messages: Set<string>;
  lastMs: number;
}

/**
 * Combines similar Events (client-go's EventAggregator): Events with the same source, object,
 * type, reason and reporting controller but different messages. Once a group has seen
 * `maxEvents` different messages, none older than `intervalMs` apart, every further Event of
 * the group becomes one combined Event ("(combined from similar events): <message>") counted
 * under the group's key, so it is written once and then only counted.
 */
export class EventAggregator {
  private readonly clock: Clock;
  private readonly maxEvents: number;
  private readonly intervalMs: number;
  private readonly groups: LruMap<string, GroupRecord>;

  constructor(options: EventAggregatorOptions = {}) {
    this.clock = options.clock ?? realClock;
    this.maxEvents = options.maxEvents ?? DEFAULT_AGGREGATE_MAX_EVENTS;
    this.intervalMs = options.intervalMs ?? DEFAULT_AGGREGATE_INTERVAL_MS;
    this.groups = new LruMap(options.cacheEntries ?? EVENT_CACHE_ENTRIES);
  }

  /** `ev` as it is to be written (itself, or the group's combined Event) and its key. */
  aggregate(ev: Event): Aggregated {
    const now = this.clock.now();
    const { group, local } = aggregateKey(ev);
    let record = this.groups.get(group);
    if (!record || now - record.lastMs > this.intervalMs) record = { messages: new Set(), lastMs: now };
    record.messages.add(local);
    record.lastMs = now;
    this.groups.set(group, record);
    if (record.messages.size < this.maxEvents) return { event: ev, key: eventKey(ev) };

    // Past the threshold: keep the set from growing, and write the combined Event.
    record.messages.delete(record.messages.values().next().value as string);
    const at = eventTimestamp(now);
    const combined: Event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: newEventName(ev.involvedObject?.name ?? '', now), namespace: ev.metadata.namespace },
      involvedObject: ev.involvedObject,
      reason: ev.reason,
      message: COMBINED_MESSAGE_PREFIX + (ev.message ?? ''),
      source: ev.source,
      type: ev.type,
      count: 1,
      firstTimestamp: at,
      lastTimestamp: at,
      reportingComponent: ev.reportingComponent,
      reportingInstance: ev.reportingInstance,
    };
    return { event: combined, key: group };
  }
}
