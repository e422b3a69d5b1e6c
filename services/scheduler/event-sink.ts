/**
 * Where the scheduler reports what it did to users: Kubernetes Events (`kubectl describe pod`
 * shows them). The scheduler needs only `event` of the shared recorder (lib/client/events), so
 * tests can hand it a plain recording fake.
 */
import type { EventRecorder } from '../../lib/client/events';

/** Reports an event about an object. Never throws, never blocks. */
export type SchedulerEventSink = Pick<EventRecorder, 'event'>;
