/**
 * The apimachinery types whose JSON form is not their message shape: Time and MicroTime
 * (RFC 3339 strings), IntOrString (a number or a string), Quantity (a string). Each pair of
 * functions converts one value; `null`/`undefined` in means "unset" out. Errors are thrown as
 * plain Error with a short reason; the caller adds the field path.
 */
import { isQuantity, QUANTITY_FORMAT_ERROR } from '../quantity';

/** A meta/v1 Time or MicroTime message. */
export interface ProtoTimestamp {
  seconds?: number;
  nanos?: number;
}

/** An intstr.IntOrString message: type 0 = intVal, type 1 = strVal. */
export interface ProtoIntOrString {
  type?: number;
  intVal?: number;
  strVal?: string;
}

const RFC3339 = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/i;

/** Times parseRfc3339 remembers: an object's times repeat across its writes and across objects made in the same second. */
const PARSED_TIMES_MAX = 4096;
const parsedTimes = new Map<string, Readonly<{ seconds: number; nanos: number }>>();

/** Parses an RFC 3339 time into seconds and nanoseconds since the epoch (the result is shared: do not change it). */
function parseRfc3339(text: unknown): Readonly<{ seconds: number; nanos: number }> {
  const known = typeof text === 'string' ? parsedTimes.get(text) : undefined;
  if (known) return known;
  const m = typeof text === 'string' ? RFC3339.exec(text) : null;
  if (!m) throw new Error(`expected an RFC 3339 time like "2006-01-02T15:04:05Z", got ${JSON.stringify(text)}`);
  const ms = Date.parse(`${m[1]}${m[3]!.toUpperCase()}`);
  if (Number.isNaN(ms)) throw new Error(`invalid time ${JSON.stringify(text)}`);
  const nanos = m[2] ? Number(m[2].slice(1).padEnd(9, '0')) : 0;
  const parsed = { seconds: Math.floor(ms / 1000), nanos };
  if (parsedTimes.size >= PARSED_TIMES_MAX) parsedTimes.clear();
  parsedTimes.set(text as string, parsed);
  return parsed;
}

/** First and last second RFC 3339 can write (0001-01-01T00:00:00Z, 9999-12-31T23:59:59Z). */
const MIN_RFC3339_SECONDS = -62135596800;
const MAX_RFC3339_SECONDS = 253402300799;

/** The seconds of a time message, checked to be writable as RFC 3339. */
function rfc3339Seconds(t: ProtoTimestamp): number {
  const seconds = t.seconds ?? 0;
  if (!Number.isFinite(seconds) || seconds < MIN_RFC3339_SECONDS || seconds > MAX_RFC3339_SECONDS) {
    throw new Error(`time out of range: ${seconds} seconds since 1970 is outside years 0001 to 9999`);
  }
  return seconds;
}

/** True for an unset time: Kubernetes writes the zero time as an empty message. */
function isZeroTime(t: ProtoTimestamp | undefined): boolean {
  return !t || (!t.seconds && !t.nanos);
}

/** meta/v1 Time from JSON: whole seconds (Kubernetes drops the fraction, as its own decoder does). */
export function timeFromJson(value: unknown): ProtoTimestamp {
  return { seconds: parseRfc3339(value).seconds };
}

/** meta/v1 Time to JSON `2006-01-02T15:04:05Z`, or undefined for the zero time. */
export function timeToJson(t: ProtoTimestamp | undefined): string | undefined {
  if (isZeroTime(t)) return undefined;
  // Years 0001-9999 (rfc3339Seconds) print as YYYY-MM-DDTHH:mm:ss.sssZ: drop the milliseconds.
  return new Date(rfc3339Seconds(t!) * 1000).toISOString().slice(0, 19) + 'Z';
}

/** meta/v1 MicroTime from JSON, keeping microseconds. */
export function microTimeFromJson(value: unknown): ProtoTimestamp {
  const { seconds, nanos } = parseRfc3339(value);
  return { seconds, nanos: Math.floor(nanos / 1000) * 1000 };
}

/** meta/v1 MicroTime to JSON `2006-01-02T15:04:05.000000Z`, or undefined for the zero time. */
export function microTimeToJson(t: ProtoTimestamp | undefined): string | undefined {
  if (isZeroTime(t)) return undefined;
  const base = new Date(rfc3339Seconds(t!) * 1000).toISOString().slice(0, 19);
  const micros = String(Math.floor((t!.nanos ?? 0) / 1000)).padStart(6, '0');
  return `${base}.${micros}Z`;
}

/** IntOrString from JSON: an int32 or a string such as "25%" or "http". */
export function intOrStringFromJson(value: unknown): ProtoIntOrString {
  if (typeof value === 'string') return { type: 1, strVal: value };
  if (typeof value === 'number' && Number.isInteger(value) && value >= -0x80000000 && value <= 0x7fffffff) {
    return { type: 0, intVal: value };
  }
  throw new Error(`expected an integer or a string, got ${JSON.stringify(value)}`);
}

/** IntOrString to JSON: a number or a string. */
export function intOrStringToJson(v: ProtoIntOrString): number | string {
  return v.type === 1 ? (v.strVal ?? '') : (v.intVal ?? 0);
}

/** Quantity from JSON: a string ("100m", "128Mi") or a plain number (`cpu: 2`). */
export function quantityFromJson(value: unknown): { string: string } {
  const text = typeof value === 'string' ? value : typeof value === 'number' && Number.isFinite(value) ? String(value) : undefined;
  if (text === undefined) throw new Error(`expected a quantity string like "128Mi", got ${JSON.stringify(value)}`);
  // Kubernetes refuses a malformed quantity when it decodes the body, before validation.
  if (!isQuantity(text)) throw new Error(`${QUANTITY_FORMAT_ERROR}, got ${JSON.stringify(value)}`);
  return { string: text };
}

/** Quantity to JSON: its string ("0" when empty, as Kubernetes prints the zero quantity). */
export function quantityToJson(q: { string?: string }): string {
  return q.string || '0';
}
