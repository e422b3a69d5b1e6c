import type { KeyValue } from '../../../gen/etcd/kv';
import type { KubeObject } from '../../../lib/api/object';

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

/**
 * The object a key-value holds, with resourceVersion = String(modRevision); throws a plain
 * Error naming the key when the value is not a JSON object with metadata.
 */
export function decodeObject<T extends KubeObject>(kv: Pick<KeyValue, 'key' | 'value' | 'modRevision'>, modRevision = kv.modRevision): T {
  let parsed: unknown;
  try {
    parsed = JSON.parse(kv.value.toString('utf8'));
  } catch (err) {
    throw new Error(`malformed object at ${kv.key.toString()}: ${(err as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error(`malformed object at ${kv.key.toString()}: not a JSON object`);
  const obj = parsed as T;
  if (typeof obj.metadata !== 'object' || obj.metadata === null) throw new Error(`malformed object at ${kv.key.toString()}: no metadata`);
  obj.metadata.resourceVersion = String(modRevision);
  return obj;
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

/** True when two objects store the same (resourceVersion ignored, key order ignored). */
export function sameStoredContent(a: KubeObject, b: KubeObject): boolean {
  return canonicalJson({ ...a, metadata: { ...a.metadata, resourceVersion: undefined } }) === canonicalJson({ ...b, metadata: { ...b.metadata, resourceVersion: undefined } });
}

/** A deep copy (JSON data only: a JSON round trip, which V8 does faster than structuredClone). */
export function deepCopy<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
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
