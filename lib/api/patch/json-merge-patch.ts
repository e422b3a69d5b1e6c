/**
 * JSON merge patch (RFC 7386, `application/merge-patch+json`): objects merge recursively, `null`
 * removes a member, anything else (arrays included) replaces the target whole. Also the two
 * patch constructors the `bosun apply` client needs: the two-way diff and kubectl's three-way
 * (last-applied, desired, live) patch.
 *
 * None of these functions mutates its arguments; results share no structure with them.
 */
import { cloneJson, deleteOwn, emptyObject, getOwn, hasOwn, isObject, jsonEqual, setOwn } from './json-value';
import type { JsonObject, JsonValue } from './json-value';

/**
 * RFC 7386 MergePatch(target, patch). `target` may be undefined (absent). A non-object patch
 * replaces the target; an object patch turns a non-object target into `{}` first.
 */
export function applyMergePatch(target: JsonValue | undefined, patch: JsonValue): JsonValue {
  if (!isObject(patch)) return cloneJson(patch);
  const out = isObject(target) ? (cloneJson(target) as JsonObject) : emptyObject();
  mergeInto(out, patch, 0);
  return out;
}

function mergeInto(target: JsonObject, patch: JsonObject, depth: number): void {
  for (const key of Object.keys(patch)) {
    const value = patch[key]!;
    if (value === null) {
      deleteOwn(target, key);
    } else if (isObject(value)) {
      const current = getOwn(target, key);
      const sub = isObject(current) ? current : emptyObject();
      mergeInto(sub, value, depth + 1);
      setOwn(target, key, sub);
    } else {
      setOwn(target, key, cloneJson(value, depth + 1));
    }
  }
}

/**
 * The merge patch that turns `original` into `modified`: changed and added members, `null` for
 * removed ones, nested objects diffed recursively, arrays (and any non-object) replaced whole.
 * Equal inputs give `{}`. When either side is not an object the patch is `modified` itself.
 */
export function createMergePatch(original: JsonValue, modified: JsonValue): JsonValue {
  if (!isObject(original) || !isObject(modified)) return cloneJson(modified);
  return diffObjects(original, modified);
}

function diffObjects(original: JsonObject, modified: JsonObject): JsonObject {
  const patch = emptyObject();
  for (const key of Object.keys(original)) {
    if (!hasOwn(modified, key)) setOwn(patch, key, null);
  }
  for (const key of Object.keys(modified)) {
    const m = modified[key]!;
    if (!hasOwn(original, key)) {
      setOwn(patch, key, cloneJson(m));
      continue;
    }
    const o = original[key]!;
    if (isObject(o) && isObject(m)) {
      const sub = diffObjects(o, m);
      if (Object.keys(sub).length > 0) setOwn(patch, key, sub);
    } else if (!jsonEqual(o, m)) {
      setOwn(patch, key, cloneJson(m));
    }
  }
  return patch;
}

/**
 * The patch a client-side apply sends (kubectl's three-way JSON merge patch):
 * - members present in `lastApplied` but no longer in `desired` become `null` (removed);
 * - members of `desired` that differ from `live` are set (objects recursively, arrays whole);
 * - members only in `live` that were never in `lastApplied` are left alone.
 * `lastApplied` may be undefined (first apply: nothing is removed). Non-object `desired` or
 * `live` makes the patch `desired` itself.
 */
export function threeWayMergePatch(lastApplied: JsonValue | undefined, desired: JsonValue, live: JsonValue): JsonValue {
  if (!isObject(desired) || !isObject(live)) return cloneJson(desired);
  return threeWay(isObject(lastApplied) ? lastApplied : undefined, desired, live);
}

function threeWay(last: JsonObject | undefined, desired: JsonObject, live: JsonObject): JsonObject {
  const patch = emptyObject();
  if (last) {
    for (const key of Object.keys(last)) {
      if (!hasOwn(desired, key) && hasOwn(live, key)) setOwn(patch, key, null);
    }
  }
  for (const key of Object.keys(desired)) {
    const d = desired[key]!;
    const l = getOwn(live, key);
    if (isObject(d) && isObject(l)) {
      const la = last ? getOwn(last, key) : undefined;
      const sub = threeWay(isObject(la) ? la : undefined, d, l);
      if (Object.keys(sub).length > 0) setOwn(patch, key, sub);
    } else if (l === undefined ? d !== null : !jsonEqual(d, l)) {
      // A desired `null` for a member live lacks is a no-op: leave it out.
      setOwn(patch, key, cloneJson(d));
    }
  }
  return patch;
}
