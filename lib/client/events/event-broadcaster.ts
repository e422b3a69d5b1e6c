import type { Event, EventSource } from '../../api/core-event';
import { ApiError } from '../../api/errors';
import { isNotFound } from '../../api/status';
import type { Logger } from '../../logger';
import { Clock, realClock, type Timer } from '../clock';
import { EventCorrelator, type EventCorrelatorOptions } from './event-correlator';
import type { EventPatch } from './event-observations';
import { SourceRecorder, type EventRecorder } from './event-recorder';
import type { EventSink } from './event-sink';

/** Events waiting to be written before new ones are dropped (client-go's maxQueuedEvents). */
export const MAX_QUEUED_EVENTS = 1000;
/** Attempts to write one Event while the server cannot be reached (client-go's maxTriesPerEvent). */
export const MAX_TRIES_PER_EVENT = 12;
/** Pause between attempts, in ms; the first pause is a random part of it (client-go's defaultSleepDuration). */
export const EVENT_RETRY_SLEEP_MS = 10_000;

/** Constructor parameters of an EventBroadcaster. */
export interface EventBroadcasterOptions {
  readonly sink: EventSink;
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** Random source in [0, 1) for the first retry pause (default Math.random). */
  readonly random?: () => number;
  readonly maxQueued?: number;
  readonly maxTries?: number;
  readonly retrySleepMs?: number;
  readonly correlator?: Omit<EventCorrelatorOptions, 'clock'>;
}

/** Counts of what the broadcaster did with the Events handed to it. */
export interface EventBroadcasterStats {
  /** Created or patched on the server. */
  readonly written: number;
  /** Dropped: queue full or shut down, held back by the spam filter, refused or out of retries. */
  readonly dropped: number;
}

/**
 * The writer behind every recorder of a process (client-go's EventBroadcaster with
 * StartRecordingToSink): recorders hand it Events, which wait in a bounded queue (an Event
 * arriving at a full queue, or after shutdown, is dropped with a log line) and are written one
 * at a time by a background loop: correlated (combined, counted, rate-limited; see
 * EventCorrelator), then created, or patched onto the stored Event when they repeat one — a
 * repeat whose Event is gone (expired) is created again. A write the server refuses (4xx) is
 * dropped; one that did not reach it (5xx, unavailable) is tried up to MAX_TRIES_PER_EVENT times,
 * EVENT_RETRY_SLEEP_MS apart, while later Events wait. Nothing here throws to a recorder.
 */
export class EventBroadcaster {
  private readonly sink: EventSink;
  private readonly clock: Clock;
  private readonly logger: Logger | undefined;
  private readonly random: () => number;
  private readonly maxQueued: number;
  private readonly maxTries: number;
  private readonly retrySleepMs: number;
  private readonly correlator: EventCorrelator;
  private readonly queue: Event[] = [];
  private running: Promise<void> | undefined;
  private stopped = false;
  private pause: { timer: Timer; wake: () => void } | undefined;
  private counts = { written: 0, dropped: 0 };

  constructor(options: EventBroadcasterOptions) {
    this.sink = options.sink;
    this.clock = options.clock ?? realClock;
    this.logger = options.logger;
    this.random = options.random ?? Math.random;
    this.maxQueued = options.maxQueued ?? MAX_QUEUED_EVENTS;
    this.maxTries = options.maxTries ?? MAX_TRIES_PER_EVENT;
    this.retrySleepMs = options.retrySleepMs ?? EVENT_RETRY_SLEEP_MS;
    this.correlator = new EventCorrelator({ ...options.correlator, clock: this.clock });
  }

  /** A recorder whose Events come from `source` (component, and host when it has one). */
  newRecorder(source: EventSource): EventRecorder {
    return new SourceRecorder(source, (ev) => this.enqueue(ev), this.clock, this.logger);
  }

  /** Queues `ev` for writing; drops it (with a log line) when the queue is full or shut down. Never throws. */
  enqueue(ev: Event): void {
    if (this.stopped || this.queue.length >= this.maxQueued) {
      this.counts.dropped++;
      this.logger?.warn({ reason: ev.reason, object: ev.involvedObject?.name, queued: this.queue.length }, this.stopped ? 'event dropped: recorder shut down' : 'event dropped: queue full');
      return;
    }
    this.queue.push(ev);
    this.running ??= this.drain();
  }

  /** Events queued and not yet taken by the writer. */
  get queued(): number {
    return this.queue.length;
  }

  get stats(): EventBroadcasterStats {
    return { ...this.counts };
  }

  /** Resolves once every queued Event has been written or dropped (for tests and clean shutdown). */
  async whenIdle(): Promise<void> {
    while (this.running) await this.running;
  }

  /** Stops taking Events: queued ones are dropped, a retry pause ends, the write in progress finishes. */
  async shutdown(): Promise<void> {
    this.stopped = true;
    this.counts.dropped += this.queue.splice(0).length;
    const pause = this.pause;
    if (pause) {
      pause.timer.cancel();
      pause.wake();
    }
    await this.whenIdle();
  }

  private async drain(): Promise<void> {
    // Start after the recorder's caller has returned: no part of a write runs on its time.
    await Promise.resolve();
    try {
      for (let ev = this.queue.shift(); ev !== undefined && !this.stopped; ev = this.queue.shift()) await this.write(ev);
    } catch (err) {
      this.logger?.error({ err: (err as Error).message }, 'event writer failed');
    } finally {
      this.running = undefined;
      if (this.queue.length > 0 && !this.stopped) this.running = this.drain();
    }
  }

  /** Correlates and writes one Event, retrying while the server is unreachable. */
  private async write(ev: Event): Promise<void> {
    const correlated = this.correlator.correlate(ev);
    if (correlated.skip) {
      this.counts.dropped++;
      this.logger?.debug({ reason: ev.reason, object: ev.involvedObject?.name }, 'event dropped: rate limited');
      return;
    }
    for (let tries = 1; ; tries++) {
      const outcome = await this.attempt(correlated.event, correlated.patch);
      if (outcome === 'written') this.counts.written++;
      if (outcome !== 'retry') return;
      if (tries >= this.maxTries) {
        this.counts.dropped++;
        this.logger?.error({ reason: ev.reason, object: ev.involvedObject?.name, tries }, 'event dropped: could not write it (retry limit exceeded)');
        return;
      }
      // The first pause is randomized so that clients don't all retry in step after an outage.
      await this.sleep(tries === 1 ? this.retrySleepMs * this.random() : this.retrySleepMs);
      if (this.stopped) {
        this.counts.dropped++;
        this.logger?.warn({ reason: ev.reason, object: ev.involvedObject?.name }, 'event dropped: recorder shut down');
        return;
      }
    }
  }

  /** One write: 'written', 'dropped' (refused; never tried again) or 'retry'. */
  private async attempt(ev: Event, patch: EventPatch | undefined): Promise<'written' | 'dropped' | 'retry'> {
    try {
      let stored: Event | undefined;
      if (patch) stored = await this.patchIfStored(ev, patch);
      stored ??= await this.sink.create({ ...ev, metadata: { ...ev.metadata, resourceVersion: undefined } });
      this.correlator.updateState(stored);
      return 'written';
    } catch (err) {
      const log = { reason: ev.reason, object: ev.involvedObject?.name, err: (err as Error).message };
      if (isRetryable(err)) {
        this.logger?.warn(log, 'could not write an event (will retry)');
        return 'retry';
      }
      this.counts.dropped++;
      this.logger?.warn(log, 'server refused an event (will not retry)');
      return 'dropped';
    }
  }

  /** The stored Event after patching it, or undefined when it is gone (to be created again). */
  private async patchIfStored(ev: Event, patch: EventPatch): Promise<Event | undefined> {
    try {
      return await this.sink.patch(ev, patch);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        this.pause = undefined;
        resolve();
      };
      this.pause = { timer: this.clock.setTimer(ms, wake), wake };
    });
  }
}

/** True when a failed write may succeed later: it did not reach a server, or the server could not serve it. */
function isRetryable(err: unknown): boolean {
  if (!(err instanceof ApiError)) return true;
  return err.code >= 500 || err.code === 429 || err.code === 0;
}
