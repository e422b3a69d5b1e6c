/**
 * Field ownership as Kubernetes records it in `metadata.managedFields`: sets of field paths in
 * the `FieldsV1` JSON form, who owns them (manager + operation, Apply or Update), and the
 * bookkeeping every non-apply write does (recordUpdate). Server-side apply itself is in
 * server-side-apply.ts.
 *
 * A field path is a list of path elements, written as FieldsV1 keys:
 * - `f:<name>`: a field of an object or a key of a map;
 * - `k:{"name":"web"}`: the element of an associative list (one with a merge key) by its key;
 * - `v:"x"`: the element of a set of primitives (a strategic `merge` list without a merge key);
 * - `i:<n>`: an element by index (read from stored entries, never produced here).
 *
 * What an object's field set holds (a simplification of structured-merge-diff's rules, with
 * the list types taken from the strategic merge patch metadata):
 * - every scalar, atomic list (a list with no merge strategy) and empty object is a leaf;
 * - a map (labels, annotations, data; or an object of a kind without schema) is itself a member
 *   (`"."` in FieldsV1) and so is each of its keys;
 * - an object of a known message type is not a member unless empty: only its fields are;
 * - an associative list element is a member (`"."`) and so are its fields (the key included);
 * - a set element `v:` is a leaf.
 */
import { isObject, jsonEqual, getOwn, hasOwn, setOwn, deleteOwn, emptyObject, cloneJson } from './json-value';
import type { JsonObject, JsonValue } from './json-value';
import { PatchApplyError } from './patch-errors';
import { lookupField, rootSchema } from './patch-schema';
import type { PatchField, PatchSchema } from './patch-schema';

/** One FieldsV1 key: `f:name`, `k:{...}`, `v:value` or `i:index`. */
export type PathElement = string;
/** A path from the object's root to a field or list element. */
export type FieldPath = readonly PathElement[];

/** The FieldsV1 key of the element itself, in a node that also has children. */
const SELF = '.';

/** Manager recorded for a write whose client named none and sent no user agent. */
export const UNKNOWN_FIELD_MANAGER = 'unknown';
/** Manager that owns every field of an object first applied to after it was written without managedFields. */
export const BEFORE_FIRST_APPLY_MANAGER = 'before-first-apply';

/**
 * Fields that no manager ever owns (Kubernetes' stripmeta): identity and system metadata that
 * the server sets, and managedFields itself.
 */
const SYSTEM_FIELDS: readonly FieldPath[] = [
  ['f:apiVersion'],
  ['f:kind'],
  ['f:metadata', 'f:name'],
  ['f:metadata', 'f:namespace'],
  ['f:metadata', 'f:generateName'],
  ['f:metadata', 'f:uid'],
  ['f:metadata', 'f:resourceVersion'],
  ['f:metadata', 'f:generation'],
  ['f:metadata', 'f:creationTimestamp'],
  ['f:metadata', 'f:deletionTimestamp'],
  ['f:metadata', 'f:deletionGracePeriodSeconds'],
  ['f:metadata', 'f:selfLink'],
  ['f:metadata', 'f:managedFields'],
];

/** True when `path` starts with every element of `prefix`. */
export function hasPathPrefix(path: FieldPath, prefix: FieldPath): boolean {
  if (path.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (path[i] !== prefix[i]) return false;
  return true;
}

/** True for paths no manager may own (SYSTEM_FIELDS and everything under them). */
function isSystemPath(path: FieldPath): boolean {
  return SYSTEM_FIELDS.some((s) => hasPathPrefix(path, s));
}

/**
 * The key of a path in a FieldSet: its elements joined by NUL, which no field name, merge key
 * value or set member of a valid object contains (cheaper than JSON per lookup).
 */
function pathKey(path: FieldPath): string {
  return path.join('\u0000');
}

/** An insertion-ordered set of field paths. */
export class FieldSet {
  private readonly byKey = new Map<string, FieldPath>();

  constructor(paths: Iterable<FieldPath> = []) {
    for (const p of paths) this.add(p);
  }

  get size(): number {
    return this.byKey.size;
  }

  add(path: FieldPath): void {
    const key = pathKey(path);
    if (!this.byKey.has(key)) this.byKey.set(key, [...path]);
  }

  has(path: FieldPath): boolean {
    return this.byKey.has(pathKey(path));
  }

  delete(path: FieldPath): void {
    this.byKey.delete(pathKey(path));
  }

  paths(): FieldPath[] {
    return [...this.byKey.values()];
  }

  /** True when the set holds `path` or any path below it. */
  hasSelfOrDescendant(path: FieldPath): boolean {
    if (this.has(path)) return true;
    for (const p of this.byKey.values()) if (hasPathPrefix(p, path)) return true;
    return false;
  }

  union(other: FieldSet): FieldSet {
    return new FieldSet([...this.paths(), ...other.paths()]);
  }

  difference(other: FieldSet): FieldSet {
    return new FieldSet(this.paths().filter((p) => !other.has(p)));
  }

  intersection(other: FieldSet): FieldSet {
    return new FieldSet(this.paths().filter((p) => other.has(p)));
  }

  equals(other: FieldSet): boolean {
    return this.size === other.size && this.paths().every((p) => other.has(p));
  }

  /** The FieldsV1 form: a tree of path elements; `"."` marks a member that also has children. */
  toFieldsV1(): JsonObject {
    const root = emptyObject();
    const members = new Set(this.byKey.keys());
    // Sorted for a stable encoding, whatever order the paths were found in.
    const sorted = this.paths().sort((a, b) => comparePaths(a, b));
    for (const path of sorted) {
      let node = root;
      for (const el of path) {
        let next = getOwn(node, el);
        if (!isObject(next)) {
          next = emptyObject();
          setOwn(node, el, next);
        }
        node = next;
      }
    }
    const mark = (node: JsonObject, path: PathElement[]) => {
      for (const key of Object.keys(node)) {
        if (key === SELF) continue;
        const child = node[key] as JsonObject;
        const childPath = [...path, key];
        const hasChildren = Object.keys(child).length > 0;
        if (hasChildren) {
          mark(child, childPath);
          if (members.has(pathKey(childPath))) {
            // "." goes first, as Kubernetes writes it.
            const rest = { ...child };
            for (const k of Object.keys(child)) delete child[k];
            setOwn(child, SELF, emptyObject());
            for (const k of Object.keys(rest)) setOwn(child, k, rest[k]!);
          }
        }
      }
    };
    mark(root, []);
    return root;
  }

  /** Reads a FieldsV1 tree; anything that is not an object of objects is ignored. */
  static fromFieldsV1(v: JsonValue | undefined): FieldSet {
    const set = new FieldSet();
    const walk = (node: JsonObject, path: PathElement[]) => {
      for (const key of Object.keys(node)) {
        const child = node[key];
        if (key === SELF || !isObject(child)) continue;
        const childPath = [...path, key];
        const keys = Object.keys(child);
        if (keys.length === 0 || hasOwn(child, SELF)) set.add(childPath);
        walk(child, childPath);
      }
    };
    if (isObject(v)) walk(v, []);
    return set;
  }
}

function comparePaths(a: FieldPath, b: FieldPath): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
  }
  return a.length - b.length;
}

/**
 * A path as Kubernetes prints it in conflicts: `.spec.containers[name="web"].image`,
 * `.metadata.finalizers[="x"]`, `.spec.items[0]`.
 */
export function pathString(path: FieldPath): string {
  let out = '';
  for (const el of path) {
    const kind = el.slice(0, 2);
    const rest = el.slice(2);
    if (kind === 'f:') out += '.' + rest;
    else if (kind === 'v:') out += `[=${rest}]`;
    else if (kind === 'i:') out += `[${rest}]`;
    else if (kind === 'k:') {
      let parts: string[];
      try {
        const key = JSON.parse(rest) as Record<string, unknown>;
        parts = Object.keys(key).map((k) => `${k}=${JSON.stringify(key[k])}`);
      } catch {
        parts = [rest];
      }
      out += `[${parts.join(',')}]`;
    } else out += '.' + el;
  }
  return out;
}

// ---- the schema's view of lists ----

/** How a list field merges: by merge key, as a set of primitives, or whole (atomic). */
type ListKind = { type: 'associative'; keys: readonly string[] } | { type: 'set' } | { type: 'atomic' };

function listKindOf(field: PatchField): ListKind {
  const meta = field.meta;
  if (!meta || !meta.strategy.split(',').includes('merge')) return { type: 'atomic' };
  if (meta.mergeKey) return { type: 'associative', keys: [meta.mergeKey] };
  return { type: 'set' };
}

/** The `k:` element of an associative list element, or undefined when it lacks a key field. */
function keyElement(el: JsonValue, keys: readonly string[]): PathElement | undefined {
  if (!isObject(el)) return undefined;
  const key = emptyObject();
  for (const k of [...keys].sort()) {
    const v = getOwn(el, k);
    if (v === undefined || isObject(v) || Array.isArray(v)) return undefined;
    setOwn(key, k, v);
  }
  return 'k:' + JSON.stringify(key);
}

/** The `v:` element of a set member. */
function valueElement(v: JsonValue): PathElement {
  return 'v:' + JSON.stringify(v);
}

/**
 * How a list value is treated: associative lists whose elements all carry their key (and no
 * key twice) and sets of primitives are granular; anything else is atomic. With `strict`, an
 * associative list that cannot be keyed is a 422 instead.
 */
function effectiveListKind(list: JsonValue[], field: PatchField, path: FieldPath, strict: boolean): ListKind {
  const kind = listKindOf(field);
  if (kind.type === 'associative') {
    const seen = new Set<string>();
    for (let i = 0; i < list.length; i++) {
      const el = keyElement(list[i]!, kind.keys);
      if (el === undefined || seen.has(el)) {
        if (!strict) return { type: 'atomic' };
        const why = el === undefined ? `element ${i} has no merge key ${kind.keys.map((k) => `"${k}"`).join(', ')}` : `duplicate entries for key ${pathString([el])}`;
        throw new PatchApplyError(`${pathString(path)}: ${why}`);
      }
      seen.add(el);
    }
    return kind;
  }
  if (kind.type === 'set') {
    if (!list.every((v) => !isObject(v) && !Array.isArray(v))) return { type: 'atomic' };
    const seen = new Set(list.map(valueElement));
    if (seen.size !== list.length) {
      if (strict) throw new PatchApplyError(`${pathString(path)}: duplicate entries in a set`);
      return { type: 'atomic' };
    }
  }
  return kind;
}

/** The root field of an object of apiVersion/kind: its message schema. */
export function rootField(apiVersion: string, kind: string): PatchField {
  return { child: rootSchema(apiVersion, kind) };
}

/** The field description of key `key` of an object described by `field`. */
function childField(field: PatchField, key: string): PatchField {
  const schema: PatchSchema = field.child;
  if (schema?.kind === 'map') return { child: schema.value };
  return lookupField(schema, key);
}

/** True when an object described by `field` is a map (granular, a member itself) rather than a message. */
function isMapLike(field: PatchField): boolean {
  return field.child === undefined || field.child.kind === 'map';
}

// ---- field sets of objects ----

/**
 * The field set of an object (see the file comment), without system fields. `strict` (for an
 * apply configuration): an associative list element without its key, or a duplicate, is a 422.
 */
export function fieldSetOf(obj: JsonObject, root: PatchField, strict = false): FieldSet {
  const set = new FieldSet();
  const walkValue = (v: JsonValue, field: PatchField, path: PathElement[]) => {
    if (Array.isArray(v)) {
      const kind = effectiveListKind(v, field, path, strict);
      if (kind.type === 'associative') {
        for (const el of v) {
          const p = [...path, keyElement(el, kind.keys)!];
          set.add(p);
          walkObject(el as JsonObject, field, p);
        }
      } else if (kind.type === 'set') {
        for (const el of v) set.add([...path, valueElement(el)]);
      } else set.add(path);
      return;
    }
    if (isObject(v)) {
      if (isMapLike(field) || Object.keys(v).length === 0) set.add(path);
      walkObject(v, field, path);
      return;
    }
    set.add(path);
  };
  const walkObject = (o: JsonObject, field: PatchField, path: PathElement[]) => {
    for (const key of Object.keys(o)) walkValue(o[key]!, childField(field, key), [...path, 'f:' + key]);
  };
  walkObject(obj, root, []);
  return new FieldSet(set.paths().filter((p) => !isSystemPath(p)));
}

/** The value at `path` in `obj`, or undefined when absent. */
export function valueAt(obj: JsonValue | undefined, path: FieldPath): JsonValue | undefined {
  let cur: JsonValue | undefined = obj;
  for (const el of path) {
    if (cur === undefined) return undefined;
    cur = childValue(cur, el);
  }
  return cur;
}

function childValue(cur: JsonValue, el: PathElement): JsonValue | undefined {
  const kind = el.slice(0, 2);
  const rest = el.slice(2);
  if (kind === 'f:') return isObject(cur) ? getOwn(cur, rest) : undefined;
  if (!Array.isArray(cur)) return undefined;
  const i = findElement(cur, el);
  return i < 0 ? undefined : cur[i];
}

/** Index of the list element a `k:`, `v:` or `i:` path element names; -1 when absent. */
function findElement(list: JsonValue[], el: PathElement): number {
  const kind = el.slice(0, 2);
  const rest = el.slice(2);
  let wanted: JsonValue;
  try {
    wanted = JSON.parse(rest) as JsonValue;
  } catch {
    return -1;
  }
  if (kind === 'i:') return typeof wanted === 'number' && wanted >= 0 && wanted < list.length ? wanted : -1;
  if (kind === 'v:') return list.findIndex((v) => jsonEqual(v, wanted));
  if (kind === 'k:' && isObject(wanted)) {
    const keys = Object.keys(wanted);
    return list.findIndex((v) => isObject(v) && keys.every((k) => jsonEqual(getOwn(v, k), wanted[k])));
  }
  return -1;
}

/** Removes the field or list element at `path` from `obj` (in place); false when it was absent. */
export function removeAt(obj: JsonObject, path: FieldPath): boolean {
  if (path.length === 0) return false;
  const parent = valueAt(obj, path.slice(0, -1));
  const last = path[path.length - 1]!;
  if (last.startsWith('f:')) {
    if (!isObject(parent) || !hasOwn(parent, last.slice(2))) return false;
    deleteOwn(parent, last.slice(2));
    return true;
  }
  if (!Array.isArray(parent)) return false;
  const i = findElement(parent, last);
  if (i < 0) return false;
  parent.splice(i, 1);
  return true;
}

// ---- structured merge ----

/**
 * Merges `config` into `live` as server-side apply does: objects merge key by key, associative
 * lists merge element by element (by key, live order kept, new elements appended), sets of
 * primitives take the union, anything else (scalars, atomic lists) is replaced by the config's
 * value. Neither input is mutated.
 */
export function structuredMerge(live: JsonObject, config: JsonObject, root: PatchField): JsonObject {
  return mergeObject(live, config, root, []);
}

function mergeObject(live: JsonObject | undefined, config: JsonObject, field: PatchField, path: PathElement[]): JsonObject {
  const out = live ? (cloneJson(live) as JsonObject) : emptyObject();
  for (const key of Object.keys(config)) {
    const l = live ? getOwn(live, key) : undefined;
    setOwn(out, key, mergeValue(l, config[key]!, childField(field, key), [...path, 'f:' + key]));
  }
  return out;
}

function mergeValue(live: JsonValue | undefined, config: JsonValue, field: PatchField, path: PathElement[]): JsonValue {
  if (Array.isArray(config)) {
    const kind = effectiveListKind(config, field, path, true);
    if (kind.type === 'atomic' || !Array.isArray(live)) return cloneJson(config);
    if (kind.type === 'set') {
      const out = cloneJson(live) as JsonValue[];
      for (const v of config) if (!out.some((o) => jsonEqual(o, v))) out.push(v);
      return out;
    }
    const out = cloneJson(live) as JsonValue[];
    for (const el of config) {
      const i = findElement(out, keyElement(el, kind.keys)!);
      const merged = mergeObject(i >= 0 && isObject(out[i]) ? (out[i] as JsonObject) : undefined, el as JsonObject, field, path);
      if (i >= 0) out[i] = merged;
      else out.push(merged);
    }
    return out;
  }
  if (isObject(config)) return mergeObject(isObject(live) ? live : undefined, config, field, path);
  return config;
}

// ---- managedFields entries ----

/** Apply (server-side apply) or Update (any other write). */
export type ManagedOperation = 'Apply' | 'Update';

/** One `metadata.managedFields` entry with its field set decoded. */
export interface ManagedEntry {
  readonly manager: string;
  readonly operation: ManagedOperation;
  readonly apiVersion: string;
  readonly time?: string;
  readonly subresource?: string;
  readonly fields: FieldSet;
}

/** Whether two entries are the same owner: manager, operation and subresource (not apiVersion or time). */
export function sameOwner(a: Pick<ManagedEntry, 'manager' | 'operation' | 'subresource'>, b: Pick<ManagedEntry, 'manager' | 'operation' | 'subresource'>): boolean {
  return a.manager === b.manager && a.operation === b.operation && (a.subresource ?? '') === (b.subresource ?? '');
}

/**
 * The owner as Kubernetes names it in conflicts: `"kubectl"` for an applier,
 * `"kubectl-scale" using apps/v1` for an updater, `"x" with subresource "scale" ...` for a
 * subresource's manager.
 */
export function ownerDescription(e: Pick<ManagedEntry, 'manager' | 'operation' | 'apiVersion' | 'subresource'>): string {
  let s = JSON.stringify(e.manager);
  if (e.subresource) s += ` with subresource ${JSON.stringify(e.subresource)}`;
  if (e.operation === 'Update') s += ` using ${e.apiVersion}`;
  return s;
}

/** The decoded managedFields of an object; malformed entries (e.g. `{}`, which clears them) are dropped. */
export function readManagedFields(obj: JsonObject): ManagedEntry[] {
  const meta = getOwn(obj, 'metadata');
  const list = isObject(meta) ? getOwn(meta, 'managedFields') : undefined;
  if (!Array.isArray(list)) return [];
  const out: ManagedEntry[] = [];
  for (const e of list) {
    if (!isObject(e)) continue;
    const manager = getOwn(e, 'manager');
    const operation = getOwn(e, 'operation');
    const apiVersion = getOwn(e, 'apiVersion');
    const time = getOwn(e, 'time');
    const subresource = getOwn(e, 'subresource');
    if (typeof manager !== 'string' || (operation !== 'Apply' && operation !== 'Update')) continue;
    const fields = FieldSet.fromFieldsV1(getOwn(e, 'fieldsV1'));
    out.push({
      manager,
      operation,
      apiVersion: typeof apiVersion === 'string' ? apiVersion : '',
      ...(typeof time === 'string' ? { time } : {}),
      ...(typeof subresource === 'string' && subresource ? { subresource } : {}),
      fields,
    });
  }
  return out;
}

/** The JSON of managedFields entries, in Kubernetes' key order; entries owning nothing are left out. */
export function encodeManagedFields(entries: readonly ManagedEntry[]): JsonObject[] {
  return entries
    .filter((e) => e.fields.size > 0)
    .map((e) => {
      const out: JsonObject = { manager: e.manager, operation: e.operation, apiVersion: e.apiVersion };
      if (e.time !== undefined) out.time = e.time;
      out.fieldsType = 'FieldsV1';
      out.fieldsV1 = e.fields.toFieldsV1();
      if (e.subresource) out.subresource = e.subresource;
      return out;
    });
}

/** Sets (or, for no entries, removes) `metadata.managedFields` of `obj` in place. */
export function writeManagedFields(obj: JsonObject, entries: readonly ManagedEntry[]): void {
  let meta = getOwn(obj, 'metadata');
  if (!isObject(meta)) {
    meta = emptyObject();
    setOwn(obj, 'metadata', meta);
  }
  const encoded = encodeManagedFields(entries);
  if (encoded.length === 0) deleteOwn(meta, 'managedFields');
  else setOwn(meta, 'managedFields', encoded);
}

/** A copy of `obj` without metadata.managedFields. */
export function withoutManagedFields(obj: JsonObject): JsonObject {
  const copy = cloneJson(obj) as JsonObject;
  const meta = getOwn(copy, 'metadata');
  if (isObject(meta)) deleteOwn(meta, 'managedFields');
  return copy;
}

/** RFC 3339 with seconds precision, as Kubernetes writes metav1.Time. */
export function managedTime(now: Date): string {
  return now.toISOString().replace(/\.\d+Z$/, 'Z');
}

/**
 * The field manager a write is recorded under when the client named none: the user agent up to
 * its first `/` (`kubectl/v1.30.0 (linux/amd64) ...` → `kubectl`), as Kubernetes does, else
 * UNKNOWN_FIELD_MANAGER.
 */
export function defaultFieldManager(userAgent: string | undefined): string {
  const prefix = (userAgent ?? '').split('/')[0]!.trim();
  return prefix ? prefix.slice(0, 128) : UNKNOWN_FIELD_MANAGER;
}

/** True when the value is a leaf for conflict and change detection: not a granular object. */
function isLeafValue(v: JsonValue | undefined): boolean {
  return v === undefined || !isObject(v);
}

/**
 * The paths of `after` that a write changed from `before`: new paths, and leaves whose value
 * differs. Both sets are of the objects given.
 */
function changedPaths(before: JsonObject, after: JsonObject, beforeSet: FieldSet, afterSet: FieldSet): FieldSet {
  const changed = new FieldSet();
  for (const p of afterSet.paths()) {
    if (!beforeSet.has(p)) changed.add(p);
    else {
      const a = valueAt(after, p);
      if (isLeafValue(a) && !jsonEqual(valueAt(before, p), a)) changed.add(p);
    }
  }
  return changed;
}

/**
 * Records a non-apply write (create, update, a JSON/merge/strategic patch) in managedFields, as
 * Kubernetes' field manager does for operation Update: the fields `manager` added or changed
 * (from `oldObj` to `newObj`) become its own, under one Update entry of `apiVersion` (time
 * `now`), and no longer anyone else's; fields the write removed are no one's any more. The
 * entries are those `newObj` carries (a client may replace them; `[{}]` clears them), else
 * `oldObj`'s. Returns a copy of `newObj` with the new managedFields; when the write changed no
 * owned field, the entries are returned unchanged, so an idempotent write stays one. Pass `{}`
 * as `oldObj` for a create. `target.kind` (default: the object's) selects the schema;
 * `target.subresource` records a subresource's writer (`scale`) as a separate owner.
 */
export function recordUpdate(
  oldObj: JsonObject,
  newObj: JsonObject,
  manager: string,
  apiVersion: string,
  now: Date,
  target: { readonly kind?: string; readonly subresource?: string } = {},
): JsonObject {
  const subresource = target.subresource;
  const kind = target.kind ?? getOwn(newObj, 'kind') ?? getOwn(oldObj, 'kind');
  const root = rootField(apiVersion, typeof kind === 'string' ? kind : '');
  const newMeta = getOwn(newObj, 'metadata');
  const given = isObject(newMeta) && getOwn(newMeta, 'managedFields') !== undefined;
  const entries = readManagedFields(given ? newObj : oldObj);
  const before = withoutManagedFields(oldObj);
  const after = withoutManagedFields(newObj);
  const beforeSet = fieldSetOf(before, root);
  const afterSet = fieldSetOf(after, root);
  const changed = changedPaths(before, after, beforeSet, afterSet);
  const removed = beforeSet.difference(afterSet);
  const self = { manager, operation: 'Update' as const, ...(subresource ? { subresource } : {}) };
  const out = cloneJson(newObj) as JsonObject;
  if (changed.size === 0 && removed.size === 0) {
    writeManagedFields(out, entries);
    return out;
  }
  const next: ManagedEntry[] = [];
  let found = false;
  for (const e of entries) {
    if (sameOwner(e, self)) {
      found = true;
      next.push({ ...e, apiVersion, time: managedTime(now), fields: e.fields.union(changed).difference(removed) });
    } else {
      next.push({ ...e, fields: e.fields.difference(changed).difference(removed) });
    }
  }
  if (!found && changed.size > 0) next.push({ ...self, apiVersion, time: managedTime(now), fields: changed });
  writeManagedFields(out, next);
  return out;
}
