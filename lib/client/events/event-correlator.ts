import type { Event } from '../../api/core-event';
import type { Clock } from '../clock';
import { EventAggregator, type EventAggregatorOptions } from './event-aggregator';
import { EventObservations, type EventPatch } from './event-observations';
import { EventSpamFilter, type EventSpamFilterOptions } from './event-spam-filter';

/** Settings of an EventCorrelator (each defaults to client-go's). */
export interface EventCorrelatorOptions {
  readonly clock?: Clock;
  readonly aggregator?: Omit<EventAggregatorOptions, 'clock'>;
  readonly spamFilter?: Omit<EventSpamFilterOptions, 'clock'>;
}

/** What to do with an Event. */
export type Correlated =
  | { readonly skip: true }
  | {
      readonly skip: false;
      readonly event: Event;
      /** Set when the Event is a repeat: patch the stored one (named event.metadata.name) with it. */
      readonly patch?: EventPatch;
    };

/**
 * Decides how an Event reaches the server (client-go's EventCorrelator): similar Events are
 * combined (EventAggregator), repeats are counted onto the stored Event (EventObservations),
 * and a source writing too much about one object is held back (EventSpamFilter).
 */
export class EventCorrelator {
  private readonly aggregator: EventAggregator;
  private readonly observations = new EventObservations();
  private readonly spamFilter: EventSpamFilter;

  constructor(options: EventCorrelatorOptions = {}) {
    this.aggregator = new EventAggregator({ ...options.aggregator, clock: options.clock });
    this.spamFilter = new EventSpamFilter({ ...options.spamFilter, clock: options.clock });
  }

  /** Filters, combines and counts `ev`. */
  correlate(ev: Event): Correlated {
    const aggregated = this.aggregator.aggregate(ev);
    const { event, patch } = this.observations.observe(aggregated.event, aggregated.key);
    if (this.spamFilter.filter(event)) return { skip: true };
    return { skip: false, event, patch };
  }

  /** Takes in the Event as the server stored it (its name, count and resourceVersion). */
  updateState(stored: Event): void {
    this.observations.updateState(stored);
  }
}
