/**
 * Whether a controller's freshly computed status differs from the stored one. The API drops
 * empty strings, empty maps and lists and absent fields on the way through protobuf, so a
 * status read back must compare equal to the one written, or the controller would rewrite it on
 * every event (a write loop). Every controller compares through here.
 */
import { jsonEqual, type JsonValue } from '../api/patch/json-value';

/** `value` without empty strings, empty maps, empty lists and undefined/null members. */
function compact(value: unknown): JsonValue | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (Array.isArray(value)) {
    const items = value.map((v) => compact(v) ?? null);
    return items.length === 0 ? undefined : items;
  }
  if (typeof value !== 'object') return value as JsonValue;
  const out: Record<string, JsonValue> = {};
  for (const [k, v] of Object.entries(value)) {
    const c = compact(v);
    if (c !== undefined && !(typeof c === 'object' && c !== null && !Array.isArray(c) && Object.keys(c).length === 0)) out[k] = c;
  }
  return out;
}

/** True when `a` and `b` are the same status once what the API drops is ignored. */
export function sameStatus(a: unknown, b: unknown): boolean {
  return jsonEqual(compact(a ?? {}), compact(b ?? {}));
}
