/**
 * A ControllerContext over fakes, for controller unit tests: the in-memory FakeApiClient, a
 * FakeClock (nothing sleeps; `await clock.advance(ms)` runs watches, queues and requeues), an
 * informer factory on both, a silent logger, and recorders that keep their Events in memory.
 */
import { format } from 'node:util';
import pino from 'pino';
import type { EventRecorder, EventSubject } from '../client/events';
import { FakeClock } from '../client/fake-clock';
import { FakeApiClient } from '../client/testing/fake-api-client';
import type { ControllerContext } from './controller-context';
import { SharedInformerFactory } from './informer-factory';

/** One Event a fake recorder kept. */
export interface RecordedEvent {
  readonly component: string;
  readonly subject: EventSubject;
  readonly type: string;
  readonly reason: string;
  readonly message: string;
}

/** A context over fakes, with the fakes exposed. */
export interface FakeControllerContext extends ControllerContext {
  readonly client: FakeApiClient;
  readonly clock: FakeClock;
  /** Every Event recorded through `recorder(...)`, in order. */
  readonly events: RecordedEvent[];
}

/** A fresh fake context (a new FakeApiClient and FakeClock unless given). */
export function fakeControllerContext(client?: FakeApiClient, clock: FakeClock = new FakeClock()): FakeControllerContext {
  const api = client ?? new FakeApiClient(undefined, () => new Date(clock.now()));
  const events: RecordedEvent[] = [];
  const recorder = (component: string): EventRecorder => {
    const event = (subject: EventSubject, type: string, reason: string, message: string) => events.push({ component, subject, type, reason, message });
    return {
      event,
      eventf: (subject, type, reason, f, ...args) => event(subject, type, reason, format(f, ...args)),
      annotatedEventf: (subject, _annotations, type, reason, f, ...args) => event(subject, type, reason, format(f, ...args)),
    };
  };
  return {
    client: api,
    clock,
    events,
    informers: new SharedInformerFactory({ client: api, clock }),
    recorder,
    logger: pino({ level: 'silent' }),
  };
}
