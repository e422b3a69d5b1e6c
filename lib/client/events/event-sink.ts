import { EVENTS_RESOURCE, type Event } from '../../api/core-event';
import { MERGE_PATCH_TYPE } from '../../api/patch';
import type { ApiClient } from '../api-client';
import type { EventPatch } from './event-observations';

/** Where Events are written (client-go's EventSink). Failures are ApiErrors. */
export interface EventSink {
  /** Creates `ev` in its namespace; the stored Event. */
  create(ev: Event): Promise<Event>;
  /** Patches the stored Event named like `ev` with `patch`; the stored Event (NotFound when it is gone). */
  patch(ev: Event, patch: EventPatch): Promise<Event>;
}

/** The sink of the core/v1 events resource through `client` (repeats are JSON merge patches). */
export function apiEventSink(client: ApiClient): EventSink {
  const events = client.resource<Event>(EVENTS_RESOURCE);
  return {
    create: (ev) => events.create(ev.metadata.namespace, ev),
    patch: (ev, patch) => events.patch(ev.metadata.namespace, ev.metadata.name ?? '', MERGE_PATCH_TYPE, JSON.stringify(patch)),
  };
}
