/**
 * Plain JSON values as the patch code handles them, and the few operations on them that must be
 * safe against hostile input: keys such as `__proto__` or `constructor` are ordinary own
 * properties here (never setters, never inherited lookups), and nesting is bounded so that no
 * recursion can overflow the stack.
 */
import { parseJsonText } from '../body/json-text';
import { MAX_NESTING_DEPTH } from '../body/nesting';
import { BadRequestError } from '../errors';

export type JsonPrimitive = string | number | boolean | null;
export type JsonValue = JsonPrimitive | JsonObject | JsonValue[];
export interface JsonObject {
  [key: string]: JsonValue;
}

/**
 * Deepest nesting of objects and arrays a patch or a patched object may have: the one limit of
 * every request body (see lib/api/body/nesting.ts), far below where any recursion here could
 * overflow the JavaScript stack.
 */
export const MAX_JSON_DEPTH = MAX_NESTING_DEPTH;

const hasOwnProperty = Object.prototype.hasOwnProperty;

/** True for a JSON object (not an array, not null). */
export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Own-property test: never true for inherited names like `toString` or `__proto__`. */
export function hasOwn(obj: object, key: string): boolean {
  return hasOwnProperty.call(obj, key);
}

/** The own value of `key`, or undefined: inherited properties are never read. */
export function getOwn(obj: JsonObject, key: string): JsonValue | undefined {
  return hasOwnProperty.call(obj, key) ? obj[key] : undefined;
}

/** Sets `key` as an own enumerable property: `__proto__` becomes data, not a prototype change. */
export function setOwn(obj: JsonObject, key: string, value: JsonValue): void {
  // `__proto__` is the one accessor plain objects inherit; every other key assigns as data.
  if (key === '__proto__') Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
  else obj[key] = value;
}

/** Removes an own property (no-op when absent). */
export function deleteOwn(obj: JsonObject, key: string): void {
  if (hasOwnProperty.call(obj, key)) delete obj[key];
}

/** A fresh empty object whose keys are set through setOwn. */
export function emptyObject(): JsonObject {
  return {};
}

/** The type name used in error messages, as Go's encoding/json would say it. */
export function jsonTypeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v === 'object' ? 'object' : typeof v;
}

/**
 * A deep copy of a JSON value, built with own properties only. Values that are not JSON
 * (undefined, functions, symbols, non-finite numbers) are rejected as a BadRequest, since they
 * cannot come from a parsed body and are not storable.
 */
export function cloneJson(v: unknown, depth = 0): JsonValue {
  if (depth > MAX_JSON_DEPTH) throw new BadRequestError(`JSON nesting exceeds the maximum depth of ${MAX_JSON_DEPTH}`);
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new BadRequestError(`invalid JSON number: ${String(v)}`);
    return v;
  }
  if (Array.isArray(v)) return v.map((e) => cloneJson(e, depth + 1));
  if (typeof v === 'object') {
    const out = emptyObject();
    for (const k of Object.keys(v as object)) {
      const e = (v as Record<string, unknown>)[k];
      if (e === undefined) continue;
      setOwn(out, k, cloneJson(e, depth + 1));
    }
    return out;
  }
  throw new BadRequestError(`not a JSON value: ${typeof v}`);
}

/** Structural equality of two JSON values (object key order ignored, array order significant). */
export function jsonEqual(a: JsonValue | undefined, b: JsonValue | undefined, depth = 0): boolean {
  if (a === b) return true;
  if (depth > MAX_JSON_DEPTH) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i], b[i], depth + 1)) return false;
    return true;
  }
  if (isObject(a)) {
    if (!isObject(b)) return false;
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    for (const k of ka) {
      if (!hasOwn(b, k) || !jsonEqual(a[k], b[k], depth + 1)) return false;
    }
    return true;
  }
  return false;
}

/**
 * Parses a request body (bytes or text) into a JSON value; a malformed body or one nested
 * deeper than MAX_JSON_DEPTH is a BadRequest naming `what`. An already-parsed value is deep-copied
 * through cloneJson so that later mutation never reaches the caller's object.
 */
export function parseJsonBody(body: Uint8Array | string | unknown, what: string): JsonValue {
  if (typeof body === 'string' || body instanceof Uint8Array) {
    let text: string;
    try {
      text = typeof body === 'string' ? body : new TextDecoder('utf-8', { fatal: true }).decode(body);
    } catch {
      throw new BadRequestError(`${what}: body is not valid UTF-8`);
    }
    return parseJsonText(text, what) as JsonValue;
  }
  if (body === undefined) throw new BadRequestError(`${what}: empty body`);
  return cloneJson(body);
}

