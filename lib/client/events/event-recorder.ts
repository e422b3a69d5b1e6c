import { format } from 'node:util';
import { EVENT_TYPES, type Event, type EventSource, type EventType } from '../../api/core-event';
import type { Logger } from '../../logger';
import type { Clock } from '../clock';
import { eventTimestamp, newEventName } from './event-stamps';
import { referenceTo, type EventSubject } from './object-reference';

/** The namespace of Events about cluster-scoped objects (Kubernetes: metav1.NamespaceDefault). */
export const CLUSTER_EVENT_NAMESPACE = 'default';

/**
 * Records Events about API objects (client-go's EventRecorder). Every call returns at once: the
 * Event is handed to a writer that correlates, rate-limits and writes it in the background. A
 * call never throws and never waits; an Event that cannot be made (no kind or name to refer to,
 * an unknown type) is dropped with a log line.
 */
export interface EventRecorder {
  /** Records an Event of `type` about `subject`, for `reason` (UpperCamelCase, e.g. FailedCreate), with `message`. */
  event(subject: EventSubject, type: EventType, reason: string, message: string): void;
  /** `event` with a printf-style message (Node's util.format: %s, %d, %j, %o). */
  eventf(subject: EventSubject, type: EventType, reason: string, messageFormat: string, ...args: unknown[]): void;
  /** `eventf` with annotations set on the Event object. */
  annotatedEventf(subject: EventSubject, annotations: Readonly<Record<string, string>>, type: EventType, reason: string, messageFormat: string, ...args: unknown[]): void;
}

/** Where a recorder hands its Events (the broadcaster's queue); must not throw or wait. */
export type EventHandoff = (ev: Event) => void;

/**
 * The recorder of one source (component and host): makes each Event as client-go's makeEvent
 * does — named `<object>.<unique hex>` in the object's namespace (CLUSTER_EVENT_NAMESPACE for
 * cluster-scoped objects), involvedObject from the subject, count 1, first and last timestamp
 * now, source, reportingComponent/reportingInstance = source component/host — and hands it on.
 */
export class SourceRecorder implements EventRecorder {
  constructor(
    private readonly source: EventSource,
    private readonly handoff: EventHandoff,
    private readonly clock: Clock,
    private readonly logger?: Logger,
  ) {}

  event(subject: EventSubject, type: EventType, reason: string, message: string): void {
    this.record(subject, undefined, type, reason, () => message);
  }

  eventf(subject: EventSubject, type: EventType, reason: string, messageFormat: string, ...args: unknown[]): void {
    this.record(subject, undefined, type, reason, () => format(messageFormat, ...args));
  }

  annotatedEventf(subject: EventSubject, annotations: Readonly<Record<string, string>>, type: EventType, reason: string, messageFormat: string, ...args: unknown[]): void {
    this.record(subject, annotations, type, reason, () => format(messageFormat, ...args));
  }

  private record(subject: EventSubject, annotations: Readonly<Record<string, string>> | undefined, type: string, reason: string, message: () => string): void {
    try {
      const ev = this.make(subject, annotations, type, reason, message());
      if (ev) this.handoff(ev);
    } catch (err) {
      this.logger?.error({ err: (err as Error).message, reason }, 'could not record an event');
    }
  }

  private make(subject: EventSubject, annotations: Readonly<Record<string, string>> | undefined, type: string, reason: string, message: string): Event | undefined {
    const ref = referenceTo(subject);
    if (!ref) {
      this.logger?.error({ reason }, 'could not record an event: its object has no kind or name');
      return undefined;
    }
    if (!EVENT_TYPES.includes(type)) {
      this.logger?.error({ type, reason }, 'could not record an event: unsupported event type');
      return undefined;
    }
    const now = this.clock.now();
    const at = eventTimestamp(now);
    return {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: {
        name: newEventName(ref.name!, now),
        namespace: ref.namespace || CLUSTER_EVENT_NAMESPACE,
        ...(annotations ? { annotations: { ...annotations } } : {}),
      },
      involvedObject: ref,
      reason,
      message,
      source: { ...this.source },
      type,
      count: 1,
      firstTimestamp: at,
      lastTimestamp: at,
      ...(this.source.component ? { reportingComponent: this.source.component } : {}),
      ...(this.source.host ? { reportingInstance: this.source.host } : {}),
    };
  }
}
