import type { Event } from '../../api/core-event';

/**
 * The keys the event correlator groups Events by (client-go's tools/record key functions).
 * Parts are joined with a newline, which no part of a well-formed Event's identity contains.
 */

function join(parts: readonly (string | undefined)[]): string {
  return parts.map((p) => p ?? '').join('\n');
}

/** The source and involved object of an Event: who says something about what. */
function sourceAndObject(ev: Event): (string | undefined)[] {
  const io = ev.involvedObject ?? {};
  return [ev.source?.component, ev.source?.host, io.kind, io.namespace, io.name, io.uid, io.apiVersion];
}

/** Same source, object (and field), type, reason and message: the same Event seen again. */
export function eventKey(ev: Event): string {
  return join([...sourceAndObject(ev), ev.involvedObject?.fieldPath, ev.type, ev.reason, ev.message]);
}

/** Same source and object: the Events that share one rate limit. */
export function spamKey(ev: Event): string {
  return join(sourceAndObject(ev));
}

/**
 * Similar Events: the group (same source, object, type, reason and reporting controller) and
 * what tells them apart inside it (the message).
 */
export function aggregateKey(ev: Event): { readonly group: string; readonly local: string } {
  return { group: join([...sourceAndObject(ev), ev.type, ev.reason, ev.reportingComponent, ev.reportingInstance]), local: ev.message ?? '' };
}
