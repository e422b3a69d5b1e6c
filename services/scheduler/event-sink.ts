/**
 * Where the scheduler reports what it did to users: Kubernetes Events (`kubectl describe pod`
 * shows them). `SchedulerEventSink` is the narrow interface the scheduler uses, so the shared
 * recorder of lib/client/events can replace `ApiEventSink` when it lands.
 *
 * ApiEventSink, the minimal implementation: creates core/v1 Events through the API, fire and
 * forget, a bounded number at a time; a repeat of the same event (same object, type, reason and
 * message) bumps `count` and `lastTimestamp` of the Event it created instead of adding one. When
 * the backlog is full, new events are dropped (and logged): events never hold scheduling back.
 */
import type { Logger } from 'pino';
import type { KubeObject } from '../../lib/api/object';
import { isNotFound } from '../../lib/api/status';
import type { ApiClient, ResourceClient } from '../../lib/client/api-client';
import type { Clock } from '../../lib/client/clock';
import { EVENTS } from './api-resources';

/** Reports an event about an object. Never throws, never blocks. */
export interface SchedulerEventSink {
  event(obj: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string): void;
}

/** Event writes in flight at most. */
export const EVENT_WRITES_IN_FLIGHT = 8;
/** Events waiting to be written at most; more are dropped. */
export const EVENT_BACKLOG_MAX = 10_000;
/** Events remembered for aggregation of repeats. */
export const EVENT_AGGREGATION_ENTRIES = 4096;
/** Namespace of events about cluster-scoped objects (Kubernetes: default). */
const CLUSTER_SCOPED_EVENT_NAMESPACE = 'default';

/** Options of an {@link ApiEventSink}. */
export interface ApiEventSinkOptions {
  readonly client: ApiClient;
  /** source.component and reportingComponent, e.g. "default-scheduler". */
  readonly component: string;
  /** source.host and reportingInstance. */
  readonly instance: string;
  readonly clock: Clock;
  readonly logger?: Logger;
}

/** Kubernetes' Time format: RFC 3339 with whole seconds. */
function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export class ApiEventSink implements SchedulerEventSink {
  private readonly events: ResourceClient;
  private readonly backlog: (() => Promise<void>)[] = [];
  private inFlight = 0;
  /** aggregation key → the Event written for it. */
  private readonly written = new Map<string, { namespace: string; name: string; count: number }>();
  private seq = 0;

  constructor(private readonly opts: ApiEventSinkOptions) {
    this.events = opts.client.resource(EVENTS);
  }

  event(obj: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string): void {
    if (this.backlog.length >= EVENT_BACKLOG_MAX) {
      this.opts.logger?.warn({ reason, object: obj.metadata.name }, 'event backlog full; event dropped');
      return;
    }
    this.backlog.push(() => this.write(obj, type, reason, message));
    this.pump();
  }

  /** Number of events waiting or being written. */
  pending(): number {
    return this.backlog.length + this.inFlight;
  }

  private pump(): void {
    while (this.inFlight < EVENT_WRITES_IN_FLIGHT && this.backlog.length > 0) {
      const job = this.backlog.shift()!;
      this.inFlight++;
      job()
        .catch((err: unknown) => this.opts.logger?.debug({ err: (err as Error).message }, 'event write failed'))
        .finally(() => {
          this.inFlight--;
          this.pump();
        });
    }
  }

  private async write(obj: KubeObject, type: string, reason: string, message: string): Promise<void> {
    const meta = obj.metadata;
    const key = `${meta.uid ?? `${meta.namespace}/${meta.name}`}|${type}|${reason}|${message}`;
    const now = rfc3339(this.opts.clock.now());
    const seen = this.written.get(key);
    if (seen) {
      seen.count++;
      try {
        await this.events.patch(seen.namespace, seen.name, 'application/merge-patch+json', JSON.stringify({ count: seen.count, lastTimestamp: now }));
        return;
      } catch (err) {
        if (!isNotFound(err)) throw err;
        this.written.delete(key);
      }
    }
    const namespace = meta.namespace || CLUSTER_SCOPED_EVENT_NAMESPACE;
    const name = `${meta.name}.${(this.opts.clock.now() * 1000 + (this.seq++ % 1000)).toString(16)}`;
    await this.events.create(namespace, {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace },
      involvedObject: { kind: obj.kind, apiVersion: obj.apiVersion, namespace: meta.namespace, name: meta.name, uid: meta.uid, resourceVersion: meta.resourceVersion },
      reason,
      message,
      type,
      source: { component: this.opts.component, host: this.opts.instance },
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
      reportingComponent: this.opts.component,
      reportingInstance: this.opts.instance,
    });
    this.written.set(key, { namespace, name, count: 1 });
    if (this.written.size > EVENT_AGGREGATION_ENTRIES) this.written.delete(this.written.keys().next().value as string);
  }
}
