import type { KeyValue } from '../../../gen/etcd/kv';
import { InternalError } from '../../../lib/api/errors';
import type { KubeObject } from '../../../lib/api/object';
import type { ProtoKind } from '../../../lib/api/proto/kinds';
import { messageOf } from '../../../lib/api/proto/typed-object';
import type { ValueTransformer } from '../encryption/value-transformer';

/**
 * How objects are stored: JSON without metadata.resourceVersion (the store's mod revision is
 * the resourceVersion, filled in on every read), plus the helpers the registry and the watch
 * cache share to compare and copy objects.
 */

/** The stored form of `obj`: JSON with metadata.resourceVersion left out. */
export function encodeObject(obj: KubeObject): string {
  const { resourceVersion: _rv, ...metadata } = obj.metadata;
  return JSON.stringify({ ...obj, metadata });
}

/** The bytes stored for `obj` at `storeKey`: its JSON, through the resource's transformer (encryption at rest) if any. */
export function storedValue(obj: KubeObject, storeKey: string, transformer: ValueTransformer | undefined): string | Buffer {
  const json = encodeObject(obj);
  return transformer ? transformer.toStorage(json, storeKey) : json;
}

/** A stored value that cannot be read as an object of its kind (written by hand, or by an older version). */
export class CorruptObjectError extends Error {
  constructor(
    /** The store key of the value. */
    readonly key: string,
    /** What is wrong with it, with the field path when a field has the wrong type. */
    readonly reason: string,
  ) {
    super(`corrupt object at ${key}: ${reason}`);
    this.name = 'CorruptObjectError';
  }
}

/** Options of decodeObject. */
export interface DecodeOptions {
  /** The resourceVersion to give the object (default: the key-value's mod revision). */
  readonly modRevision?: number;
  /** The kind's schema: the object must convert to it (every field of the right type). */
  readonly schema?: ProtoKind;
  /** Deep-freeze the object before the schema check (its converted message is then kept; see messageOf). */
  readonly freeze?: boolean;
  /** How the resource's values are stored (encryption at rest); absent: plain JSON. */
  readonly transformer?: ValueTransformer;
}

/**
 * The object a key-value holds, with resourceVersion = String(modRevision); a
 * CorruptObjectError naming the key when the value is not a JSON object with metadata, or
 * (given a schema) when a field has the wrong type for the kind.
 */
export function decodeObject<T extends KubeObject>(kv: Pick<KeyValue, 'key' | 'value' | 'modRevision'>, opts: DecodeOptions = {}): T {
  let value = kv.value;
  if (opts.transformer) {
    try {
      value = opts.transformer.fromStorage(Buffer.from(kv.value), kv.key.toString());
    } catch (err) {
      throw new CorruptObjectError(kv.key.toString(), (err as Error).message);
    }
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(value.toString('utf8'));
  } catch (err) {
    // JSON.parse quotes the bytes it choked on, which may be binary: say where instead.
    const at = /position (\d+)/.exec((err as Error).message)?.[1];
    throw new CorruptObjectError(kv.key.toString(), `not JSON (${value.length} bytes${at !== undefined ? `, invalid at byte ${at}` : ''})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new CorruptObjectError(kv.key.toString(), 'not a JSON object');
  const obj = parsed as T;
  if (typeof obj.metadata !== 'object' || obj.metadata === null || Array.isArray(obj.metadata)) throw new CorruptObjectError(kv.key.toString(), 'no metadata');
  obj.metadata.resourceVersion = String(opts.modRevision ?? kv.modRevision);
  if (opts.freeze) deepFreeze(obj);
  if (opts.schema) {
    try {
      messageOf(opts.schema, obj);
    } catch (err) {
      throw new CorruptObjectError(kv.key.toString(), (err as Error).message);
    }
  }
  return obj;
}

/**
 * The API error for reading a corrupt object by name: an InternalError (as Kubernetes answers),
 * saying how to remove it.
 */
export function corruptObjectApiError(err: CorruptObjectError): InternalError {
  return new InternalError(
    `${err.message}; it can be deleted with the delete option ignoreStoreReadErrorWithClusterBreakingPotential=true ` +
      '(bosun delete --ignore-store-read-error-with-cluster-breaking-potential), which skips finalizers and admission',
  );
}

/** The warning a list carries for each corrupt object it skipped. */
export function skippedObjectWarning(key: string, reason: string): string {
  return `skipped the corrupt object at ${key} (${reason}); delete it with ignoreStoreReadErrorWithClusterBreakingPotential=true`;
}

/** JSON with object keys sorted at every level: equal for objects that differ only in key order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(value).sort()) {
    const v = (value as Record<string, unknown>)[k];
    if (v !== undefined) out[k] = sortKeys(v);
  }
  return out;
}

/**
 * True when canonicalJson(a) === canonicalJson(b) (same JSON content, key order ignored),
 * computed by walking both values instead of sorting and printing them: the registry compares
 * every update with the stored object, and strategies compare specs, on every write. Anything
 * that is not plain JSON data (a Date, a Buffer, an object with toJSON) is compared through
 * canonicalJson itself, so the answer is the same as comparing the two strings.
 */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (!isPlainJson(a) || !isPlainJson(b)) return canonicalJson(a) === canonicalJson(b);
  if (typeof a === 'number' || typeof b === 'number') return jsonScalar(a) === jsonScalar(b);
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEqual(asArrayMember(a[i]), asArrayMember(b[i]))) return false;
    return true;
  }
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  let members = 0;
  // canonicalJson loses "__proto__" members (its copy's assignment sets a prototype): so does this.
  for (const k of Object.keys(ra)) {
    const v = ra[k];
    if (omitted(v) || k === '__proto__') continue;
    members++;
    if (!Object.prototype.hasOwnProperty.call(rb, k) || omitted(rb[k]) || !jsonEqual(v, rb[k])) return false;
  }
  for (const k of Object.keys(rb)) if (!omitted(rb[k]) && k !== '__proto__') members--;
  return members === 0;
}

/** True for a value JSON prints as its own content: a string, boolean or number, null, an array or a plain object without toJSON. */
function isPlainJson(v: unknown): boolean {
  switch (typeof v) {
    case 'string':
    case 'boolean':
    case 'number':
      return true;
    case 'object': {
      if (v === null || Array.isArray(v)) return true;
      const proto = Object.getPrototypeOf(v);
      return (proto === Object.prototype || proto === null) && typeof (v as { toJSON?: unknown }).toJSON !== 'function';
    }
    default:
      return false;
  }
}

/** A scalar as JSON reads it back: non-finite numbers print as null, -0 as 0. */
function jsonScalar(v: unknown): unknown {
  if (typeof v !== 'number') return v;
  return Number.isFinite(v) ? v + 0 : null;
}

/** True when JSON leaves an object member out (undefined, a function, a symbol). */
function omitted(v: unknown): boolean {
  return v === undefined || typeof v === 'function' || typeof v === 'symbol';
}

/** An array member as JSON prints it: what an object would leave out is null. */
function asArrayMember(v: unknown): unknown {
  return omitted(v) ? null : v;
}

/** True when two objects store the same (resourceVersion ignored, key order ignored). */
export function sameStoredContent(a: KubeObject, b: KubeObject): boolean {
  return jsonEqual({ ...a, metadata: { ...a.metadata, resourceVersion: undefined } }, { ...b, metadata: { ...b.metadata, resourceVersion: undefined } });
}

/**
 * A deep copy equal to a JSON round trip (JSON.parse(JSON.stringify(value))): members JSON
 * leaves out are left out, non-finite numbers become null, anything that is not plain data (a
 * Date, a Buffer) goes through JSON. Plain data is copied by a walk, which V8 runs several
 * times faster than the round trip; the registry copies every object it writes.
 */
export function deepCopy<T>(value: T): T {
  if (value === undefined) return value;
  if (!isPlainJson(value)) return JSON.parse(JSON.stringify(value)) as T;
  return copyPlain(value) as T;
}

/** Copy of a plain JSON value (see isPlainJson). */
function copyPlain(v: unknown): unknown {
  if (typeof v !== 'object' || v === null) return jsonScalar(v);
  if (Array.isArray(v)) {
    const out = new Array<unknown>(v.length);
    for (let i = 0; i < v.length; i++) out[i] = copyMember(v[i]) ?? null;
    return out;
  }
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v)) {
    const m = copyMember((v as Record<string, unknown>)[k]);
    if (m === undefined) continue;
    // JSON.parse makes "__proto__" an own member; an assignment would set the prototype instead.
    if (k === '__proto__') Object.defineProperty(out, k, { value: m, enumerable: true, writable: true, configurable: true });
    else out[k] = m;
  }
  return out;
}

/** Copy of a member: undefined when JSON leaves it out. */
function copyMember(v: unknown): unknown {
  if (omitted(v)) return undefined;
  if (isPlainJson(v)) return copyPlain(v);
  const json = JSON.stringify(v);
  return json === undefined ? undefined : JSON.parse(json);
}

/** Freezes an object and everything in it, so shared cache objects cannot be changed by readers. */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as object)) deepFreeze(v);
  }
  return value;
}

/** RFC 3339 with seconds precision, as Kubernetes writes metav1.Time: 2024-05-01T12:00:00Z. */
export function rfc3339Seconds(date: Date): string {
  return date.toISOString().replace(/\.\d+Z$/, 'Z');
}
