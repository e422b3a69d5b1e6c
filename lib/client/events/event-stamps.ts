/**
 * How a new Event is stamped: its name (`<object name>.<unique hex>`, as client-go names Events
 * `name.%x` of the time in nanoseconds) and its RFC 3339 timestamps.
 */

const NANOS_PER_MS = 1_000_000n;
/** Names made within one millisecond differ in the sub-millisecond digits (a per-process sequence). */
let sequence = 0n;

/**
 * A fresh Event name for `objectName` at `nowMs`: the object's name, a dot, and the time in
 * nanoseconds as hex, its sub-millisecond part a per-process sequence so that two names made in
 * the same millisecond differ.
 */
export function newEventName(objectName: string, nowMs: number): string {
  sequence = (sequence + 1n) % NANOS_PER_MS;
  return `${objectName}.${(BigInt(Math.floor(nowMs)) * NANOS_PER_MS + sequence).toString(16)}`;
}

/** `nowMs` as an Event timestamp: RFC 3339 in UTC, whole seconds. */
export function eventTimestamp(nowMs: number): string {
  return new Date(nowMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
