/**
 * Kubernetes strategic merge patch (`application/strategic-merge-patch+json`), applied the way
 * the apiserver applies what kubectl `apply`, `edit`, `patch`, `label`, `annotate` and `scale`
 * send:
 * - maps merge recursively and `null` deletes a member;
 * - a list whose field has patchStrategy `merge` merges by its patchMergeKey (containers by name,
 *   ports by containerPort, ...); a list of primitives with strategy merge merges as a set
 *   (metadata.finalizers); every other list is replaced whole. A merged list keeps the patch's
 *   order for the elements the patch names; live-only elements keep their live order and stay
 *   before a patch element they preceded live, so an element new to the list comes first (as
 *   `kubectl patch` adding a container shows it);
 * - directives: `$patch: replace | delete` on a map, `$patch: replace | delete` elements in a
 *   merging list, `$deleteFromPrimitiveList/<field>`, `$setElementOrder/<field>` (patch order
 *   first, live-only elements kept where they stood relative to their live neighbours) and
 *   `$retainKeys` (members not listed are cleared, e.g. a Deployment strategy switching to
 *   Recreate drops rollingUpdate);
 * - a subtree with no schema merges without strategy (like a JSON merge patch).
 * The result never contains directives, and the input object is not mutated.
 */
import { BadRequestError } from '../errors';
import { cloneJson, deleteOwn, emptyObject, getOwn, hasOwn, isObject, jsonTypeName, setOwn } from './json-value';
import type { JsonObject, JsonValue } from './json-value';
import { PatchApplyError } from './patch-errors';
import { lookupField } from './patch-schema';
import type { PatchSchema } from './patch-schema';

export type { PatchSchema } from './patch-schema';
export { rootSchema } from './patch-schema';

const DIRECTIVE = '$patch';
const RETAIN_KEYS = '$retainKeys';
const SET_ELEMENT_ORDER = '$setElementOrder/';
const DELETE_FROM_PRIMITIVE_LIST = '$deleteFromPrimitiveList/';

/** Marker for "this value disappears" (a new member whose patch says `$patch: delete`). */
const DROP = Symbol('drop');
type Merged = JsonValue | typeof DROP;

/**
 * Applies a strategic merge patch (already parsed) to `original` under `schema` (see
 * rootSchema) and returns the new object. A patch that is not a JSON object, or a malformed
 * directive, is a BadRequest (400); a patch that cannot merge (a merging-list element without its
 * merge key, mixed element types, an unknown `$patch` value) is a PatchApplyError (422).
 */
export function applyStrategicMergePatch(original: JsonValue, patch: JsonValue, schema: PatchSchema): JsonObject {
  if (!isObject(patch)) throw new BadRequestError(`strategic merge patch must be a JSON object, got ${jsonTypeName(patch)}`);
  const base = isObject(original) ? (cloneJson(original) as JsonObject) : emptyObject();
  return mergeMap(base, patch, schema, '');
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

function at(path: string): string {
  return path === '' ? 'the patch root' : path;
}

/** Merges `patch` into `original` (owned by the caller and mutated) and returns the result. */
function mergeMap(original: JsonObject, patch: JsonObject, schema: PatchSchema, path: string): JsonObject {
  if (hasOwn(patch, DIRECTIVE)) {
    const directive = patch[DIRECTIVE];
    if (directive === 'replace') return replacedMap(patch, schema, path);
    if (directive === 'delete') return emptyObject();
    throw new PatchApplyError(`invalid $patch directive ${JSON.stringify(directive)} at ${at(path)}: a map accepts "replace" or "delete"`);
  }
  applyRetainKeys(original, patch, path);
  const done = new Set<string>();
  for (const key of Object.keys(patch)) {
    if (key.startsWith(SET_ELEMENT_ORDER)) applySetElementOrder(original, patch, key, schema, path, done);
  }
  for (const key of Object.keys(patch)) {
    if (done.has(key) || key === RETAIN_KEYS || key.startsWith(SET_ELEMENT_ORDER) || key.startsWith(DELETE_FROM_PRIMITIVE_LIST)) continue;
    mergeField(original, key, patch[key]!, schema, path);
  }
  for (const key of Object.keys(patch)) {
    if (key.startsWith(DELETE_FROM_PRIMITIVE_LIST)) applyDeleteFromPrimitiveList(original, key, patch[key]!, path);
  }
  return original;
}

function mergeField(original: JsonObject, key: string, value: JsonValue, schema: PatchSchema, path: string): void {
  const fieldPath = join(path, key);
  if (value === null) {
    deleteOwn(original, key);
    return;
  }
  const field = lookupField(schema, key);
  const current = getOwn(original, key);
  let merged: Merged;
  if (isObject(current) && isObject(value) && field.meta?.strategy !== 'replace') {
    merged = mergeMap(current, value, field.child, fieldPath);
  } else if (Array.isArray(current) && Array.isArray(value) && isMergeStrategy(field.meta?.strategy)) {
    merged = mergeList(current, value, field.child, field.meta?.mergeKey, fieldPath);
  } else {
    merged = newValue(value, field.child, fieldPath);
  }
  if (merged === DROP) deleteOwn(original, key);
  else setOwn(original, key, merged);
}

function isMergeStrategy(strategy: string | undefined): boolean {
  return strategy !== undefined && strategy.split(',').includes('merge');
}

/**
 * A patch value taken as is (a member the original lacks, a replaced list or scalar): nulls
 * dropped from maps, directives resolved, `$patch: delete` maps dropped.
 */
function newValue(value: JsonValue, schema: PatchSchema, path: string): Merged {
  if (isObject(value)) {
    if (hasOwn(value, DIRECTIVE) && value[DIRECTIVE] === 'delete') return DROP;
    return mergeMap(emptyObject(), value, schema, path);
  }
  if (Array.isArray(value)) {
    const out: JsonValue[] = [];
    value.forEach((e, i) => {
      const v = newValue(e, schema, `${path}[${i}]`);
      if (v !== DROP) out.push(v);
    });
    return out;
  }
  return value;
}

/** A map with `$patch: replace`: the patch's own members (directives resolved), nothing merged. */
function replacedMap(patch: JsonObject, schema: PatchSchema, path: string): JsonObject {
  const copy = emptyObject();
  for (const key of Object.keys(patch)) if (key !== DIRECTIVE) setOwn(copy, key, patch[key]!);
  return mergeMap(emptyObject(), copy, schema, path);
}

/** `$retainKeys: [..]`: members of the original not listed are cleared; the patch must stay within the list. */
function applyRetainKeys(original: JsonObject, patch: JsonObject, path: string): void {
  if (!hasOwn(patch, RETAIN_KEYS)) return;
  const list = patch[RETAIN_KEYS];
  if (!Array.isArray(list) || !list.every((k) => typeof k === 'string')) {
    throw new BadRequestError(`$retainKeys at ${at(path)} must be a list of field names`);
  }
  const keep = new Set(list as string[]);
  for (const key of Object.keys(patch)) {
    if (key === RETAIN_KEYS || patch[key] === null || key.startsWith(SET_ELEMENT_ORDER) || key.startsWith(DELETE_FROM_PRIMITIVE_LIST)) continue;
    if (!keep.has(key)) {
      throw new BadRequestError(`$retainKeys at ${at(path)} does not list "${key}", which the patch sets`);
    }
  }
  for (const key of Object.keys(original)) if (!keep.has(key)) deleteOwn(original, key);
}

/** `$deleteFromPrimitiveList/<field>: [..]`: those values leave the original's primitive list. */
function applyDeleteFromPrimitiveList(original: JsonObject, key: string, value: JsonValue, path: string): void {
  const field = key.slice(DELETE_FROM_PRIMITIVE_LIST.length);
  if (field === '' || field.includes('/')) throw new BadRequestError(`invalid directive "${key}" at ${at(path)}`);
  if (value === null) return;
  if (!Array.isArray(value)) throw new BadRequestError(`${key} at ${at(path)} must be a list of values`);
  const current = getOwn(original, field);
  if (!Array.isArray(current)) return;
  const remove = value.filter((v) => !isObject(v) && !Array.isArray(v));
  setOwn(original, field, current.filter((v) => !remove.includes(v)));
}

/** What identifies a list element: its merge key's value for maps, itself for primitives. */
function identity(e: JsonValue, mergeKey: string | undefined): JsonValue | undefined {
  if (mergeKey === undefined) return isObject(e) || Array.isArray(e) ? undefined : e;
  if (!isObject(e)) return undefined;
  const v = getOwn(e, mergeKey);
  return isObject(v) || Array.isArray(v) ? undefined : v;
}

function indexIn(list: JsonValue[], id: JsonValue | undefined, mergeKey: string | undefined): number {
  if (id === undefined) return -1;
  return list.findIndex((e) => identity(e, mergeKey) === id);
}

type ElementKind = 'object' | 'primitive' | 'empty';

/** The common kind of the elements of some lists; mixed kinds or nested lists cannot merge. */
function elementKind(path: string, ...lists: JsonValue[][]): ElementKind {
  let kind: string | undefined;
  for (const list of lists) {
    for (const e of list) {
      const t = jsonTypeName(e);
      if (t === 'array') throw new PatchApplyError(`${path}: cannot merge lists of lists`);
      if (kind === undefined) kind = t;
      else if (kind !== t) throw new PatchApplyError(`${path}: list element types are not identical (${kind} and ${t})`);
    }
  }
  return kind === undefined ? 'empty' : kind === 'object' ? 'object' : 'primitive';
}

/** Merges a patch list into a list whose field has strategy merge. */
function mergeList(original: JsonValue[], patch: JsonValue[], schema: PatchSchema, mergeKey: string | undefined, path: string): JsonValue[] {
  const kind = elementKind(path, original, patch);
  if (kind === 'empty') return [];
  if (kind === 'primitive') {
    const merged: JsonValue[] = [];
    for (const e of [...original, ...patch]) if (!merged.includes(e)) merged.push(e);
    return orderMerged(merged, patch, original, undefined);
  }
  if (mergeKey === undefined) throw new PatchApplyError(`${path}: cannot merge a list of objects without a merge key`);
  let base = original;
  const plain: JsonObject[] = [];
  let replace = false;
  patch.forEach((e, i) => {
    const el = e as JsonObject;
    if (!hasOwn(el, DIRECTIVE)) {
      plain.push(el);
      return;
    }
    const directive = el[DIRECTIVE];
    if (directive === 'delete') {
      const id = identity(el, mergeKey);
      if (id === undefined) throw new PatchApplyError(`${path}[${i}]: a "$patch: delete" element needs its merge key "${mergeKey}"`);
      base = base.filter((o) => identity(o, mergeKey) !== id);
    } else if (directive === 'replace') {
      replace = true;
    } else if (directive === 'merge') {
      throw new PatchApplyError(`${path}[${i}]: "$patch: merge" is not supported in a list`);
    } else {
      throw new PatchApplyError(`${path}[${i}]: invalid $patch directive ${JSON.stringify(directive)}`);
    }
  });
  if (replace) {
    return plain.map((e, i) => mergeMap(emptyObject(), e, schema, `${path}[${i}]`));
  }
  const merged = base.slice();
  plain.forEach((el, i) => {
    const id = identity(el, mergeKey);
    if (id === undefined) throw new PatchApplyError(`${path}[${i}]: element has no merge key "${mergeKey}"`);
    const found = indexIn(merged, id, mergeKey);
    if (found >= 0) merged[found] = mergeMap(merged[found] as JsonObject, el, schema, `${path}[${i}]`);
    else merged.push(mergeMap(emptyObject(), el, schema, `${path}[${i}]`));
  });
  return orderMerged(merged, plain, base, mergeKey);
}

/**
 * Orders a merged list as Kubernetes does: elements named in `order` first in that order,
 * interleaved with the other (server-only) elements, which keep their `serverOrder` order and
 * go before a patch element they preceded in the live list.
 */
function orderMerged(merged: JsonValue[], order: JsonValue[], serverOrder: JsonValue[], mergeKey: string | undefined): JsonValue[] {
  const orderIds = order.map((e) => identity(e, mergeKey));
  const rank = (e: JsonValue, ids: (JsonValue | undefined)[]): number => {
    const id = identity(e, mergeKey);
    const i = id === undefined ? -1 : ids.indexOf(id);
    return i < 0 ? Number.MAX_SAFE_INTEGER : i;
  };
  const inPatch: JsonValue[] = [];
  const serverOnly: JsonValue[] = [];
  for (const e of merged) {
    const id = identity(e, mergeKey);
    if (id !== undefined && orderIds.includes(id)) inPatch.push(e);
    else serverOnly.push(e);
  }
  const serverIds = serverOrder.map((e) => identity(e, mergeKey));
  const byRank = (ids: (JsonValue | undefined)[]) => (a: JsonValue, b: JsonValue) => rank(a, ids) - rank(b, ids);
  inPatch.sort(byRank(orderIds));
  serverOnly.sort(byRank(serverIds));
  const out: JsonValue[] = [];
  let i = 0;
  let j = 0;
  while (i < serverOnly.length || j < inPatch.length) {
    if (i >= serverOnly.length) out.push(inPatch[j++]!);
    else if (j >= inPatch.length) out.push(serverOnly[i++]!);
    else {
      const li = rank(serverOnly[i]!, serverIds);
      const ri = rank(inPatch[j]!, serverIds);
      if (li !== Number.MAX_SAFE_INTEGER && ri !== Number.MAX_SAFE_INTEGER && li < ri) out.push(serverOnly[i++]!);
      else out.push(inPatch[j++]!);
    }
  }
  return out;
}

/**
 * `$setElementOrder/<field>: [..]`: merges the patch's list for that field (if any) and orders
 * the result by the given order, keeping live-only elements near their live neighbours.
 */
function applySetElementOrder(original: JsonObject, patch: JsonObject, key: string, schema: PatchSchema, path: string, done: Set<string>): void {
  const fieldName = key.slice(SET_ELEMENT_ORDER.length);
  if (fieldName === '' || fieldName.includes('/')) throw new BadRequestError(`invalid directive "${key}" at ${at(path)}`);
  const order = patch[key];
  if (!Array.isArray(order)) throw new BadRequestError(`${key} at ${at(path)} must be a list`);
  const fieldPath = join(path, fieldName);
  const field = lookupField(schema, fieldName);
  const mergeKey = field.meta?.mergeKey;
  const current = getOwn(original, fieldName);
  const patchList = getOwn(patch, fieldName);
  if (current !== undefined && !Array.isArray(current)) throw new PatchApplyError(`${fieldPath}: ${key} names a field that is not a list`);
  if (patchList !== undefined && patchList !== null && !Array.isArray(patchList)) {
    throw new BadRequestError(`${fieldPath}: ${key} is given with a patch value that is not a list`);
  }
  if (patchList === null) return; // the field is deleted; the order does not matter
  if (mergeKey !== undefined && order.some((e) => identity(e, mergeKey) === undefined)) {
    throw new BadRequestError(`${key} at ${at(path)}: every element must carry the merge key "${mergeKey}"`);
  }
  if (patchList) validateOrder(patchList, order, mergeKey, key, fieldPath);
  done.add(fieldName);
  if (current === undefined && patchList === undefined) return;
  let merged: Merged;
  if (current !== undefined && patchList !== undefined) {
    merged = isMergeStrategy(field.meta?.strategy)
      ? mergeList(current, patchList, field.child, mergeKey, fieldPath)
      : newValue(patchList, field.child, fieldPath);
  } else if (patchList !== undefined) {
    merged = newValue(patchList, field.child, fieldPath);
  } else {
    merged = current!;
  }
  if (merged === DROP || !Array.isArray(merged)) return;
  elementKind(fieldPath, merged, order);
  setOwn(original, fieldName, orderMerged(merged, order, Array.isArray(current) ? current : [], mergeKey));
}

/** The patch list's elements (deletions aside) must appear in the order list, in the same order. */
function validateOrder(patchList: JsonValue[], order: JsonValue[], mergeKey: string | undefined, key: string, path: string): void {
  const ids = order.map((e) => identity(e, mergeKey));
  let pos = 0;
  for (const e of patchList) {
    if (isObject(e) && hasOwn(e, DIRECTIVE)) continue;
    const id = identity(e, mergeKey);
    const found = id === undefined ? -1 : ids.indexOf(id, pos);
    if (found < 0) throw new BadRequestError(`${path}: the order in the patch list does not match ${key}`);
    pos = found + 1;
  }
}
