/**
 * Server-side apply (`application/apply-patch+yaml`), good enough for `kubectl apply
 * --server-side`, re-applies and conflicts between managers:
 * - the applied configuration (YAML or JSON) is its manager's complete intent. Its fields are
 *   merged into the live object (maps merge, associative lists merge by merge key, sets of
 *   primitives take the union, everything else is replaced) and become the manager's Apply
 *   entry in metadata.managedFields;
 * - fields the same manager applied before and no longer sets are removed from the object,
 *   unless another manager owns them (or something below them);
 * - a field owned by another manager whose value the configuration changes is a conflict: 409
 *   with Kubernetes' message and one FieldManagerConflict cause per field, unless `force`, which
 *   moves the field to the applier. A field set to the value it already has is shared;
 * - an object that has no managedFields yet (written before any apply) is first attributed
 *   whole to an Update manager `before-first-apply`, so an apply never silently removes it.
 * Field sets and the list types are in managed-fields.ts.
 */
import { parseYamlText } from '../body/yaml-text';
import { ApiError, BadRequestError } from '../errors';
import { cloneJson, getOwn, isObject, jsonEqual, jsonTypeName, parseJsonBody, deleteOwn } from './json-value';
import type { JsonObject, JsonValue } from './json-value';
import {
  BEFORE_FIRST_APPLY_MANAGER,
  fieldSetOf,
  FieldSet,
  managedTime,
  ownerDescription,
  pathString,
  readManagedFields,
  removeAt,
  rootField,
  sameOwner,
  structuredMerge,
  valueAt,
  withoutManagedFields,
  writeManagedFields,
} from './managed-fields';
import type { FieldPath, ManagedEntry } from './managed-fields';

/** The content type of server-side apply patches (Kubernetes' types.ApplyPatchType). */
export const APPLY_PATCH_TYPE = 'application/apply-patch+yaml';
/** Longest field manager name Kubernetes accepts. */
export const MAX_FIELD_MANAGER_LENGTH = 128;

/** Options of one apply. */
export interface ApplyOptions {
  /** Who applies (the `fieldManager` query parameter): required. */
  readonly fieldManager: string;
  /** Take ownership of conflicting fields instead of failing (`force=true`). */
  readonly force?: boolean;
  /** The apiVersion and kind the object is served as; the entry records the apiVersion. */
  readonly apiVersion: string;
  readonly kind: string;
  /** The entry's time. */
  readonly now: Date;
  /**
   * Top-level fields this endpoint does not write, dropped from the configuration (Kubernetes'
   * reset fields): `status` on the main resource of a kind with a status subresource.
   */
  readonly ignoredFields?: readonly string[];
  /** The subresource applied to ('status'), recorded in the entry. */
  readonly subresource?: string;
}

/** One field in conflict: the path and its current owner. */
export interface ApplyConflict {
  readonly path: FieldPath;
  readonly owner: ManagedEntry;
}

/**
 * 409 Conflict of an apply that would change fields other managers own; the message and causes
 * are Kubernetes' (`Apply failed with 1 conflict: conflict with "x" using apps/v1: .spec.replicas`).
 */
export class ApplyConflictError extends ApiError {
  override readonly name = 'ApplyConflictError';
  constructor(readonly conflicts: readonly ApplyConflict[]) {
    super(409, 'Conflict', conflictMessage(conflicts), {
      causes: conflicts.map((c) => ({ reason: 'FieldManagerConflict', message: `conflict with ${ownerDescription(c.owner)}`, field: pathString(c.path) })),
    });
  }
}

function conflictMessage(conflicts: readonly ApplyConflict[]): string {
  if (conflicts.length === 1) {
    const c = conflicts[0]!;
    return `Apply failed with 1 conflict: conflict with ${ownerDescription(c.owner)}: ${pathString(c.path)}`;
  }
  const byOwner = new Map<string, string[]>();
  for (const c of conflicts) {
    const owner = ownerDescription(c.owner);
    byOwner.set(owner, [...(byOwner.get(owner) ?? []), pathString(c.path)]);
  }
  const lines: string[] = [];
  for (const owner of [...byOwner.keys()].sort()) {
    lines.push(`conflicts with ${owner}:`);
    for (const p of byOwner.get(owner)!) lines.push(`- ${p}`);
  }
  return `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
}

/**
 * Parses an apply body: JSON (what kubectl sends) or YAML, one document holding an object.
 * Already-parsed values are deep-copied. Errors are 400s.
 */
export function parseApplyBody(body: Uint8Array | string | unknown): JsonObject {
  let value: JsonValue;
  if (typeof body === 'string' || body instanceof Uint8Array) {
    let text: string;
    try {
      text = typeof body === 'string' ? body : new TextDecoder('utf-8', { fatal: true }).decode(body);
    } catch {
      throw new BadRequestError('invalid apply patch: body is not valid UTF-8');
    }
    const trimmed = text.trimStart();
    if (trimmed.startsWith('{')) value = parseJsonBody(text, 'invalid apply patch');
    else {
      // The bounded YAML reader: the yaml library alone recurses once per level (a deep body
      // could overflow the stack, on either door).
      const parsed = parseYamlText(text, 'the apply patch');
      value = cloneJson(parsed === undefined ? null : parsed);
    }
  } else value = parseJsonBody(body, 'invalid apply patch');
  if (!isObject(value)) throw new BadRequestError(`invalid apply patch: expected an object, got ${jsonTypeName(value)}`);
  return value;
}

/** Checks the manager name of an apply: required, at most MAX_FIELD_MANAGER_LENGTH characters. */
export function checkApplyManager(manager: string | undefined): string {
  if (!manager) throw new BadRequestError('PATCH, application/apply-patch+yaml: fieldManager: Required value: is required for apply patch');
  if (manager.length > MAX_FIELD_MANAGER_LENGTH) {
    throw new BadRequestError(`fieldManager: Too long: may not be more than ${MAX_FIELD_MANAGER_LENGTH} bytes`);
  }
  return manager;
}

/**
 * Applies `config` for `opts.fieldManager` to `live` (pass `{}` for an object that does not exist
 * yet) and returns the new object with its managedFields. Neither input is mutated. Throws
 * ApplyConflictError (409) on conflicts without `force`, BadRequest/PatchApplyError for a
 * configuration that cannot be applied.
 */
export function serverSideApply(live: JsonObject, config: JsonObject, opts: ApplyOptions): JsonObject {
  const manager = checkApplyManager(opts.fieldManager);
  const applied = prepareConfig(config, opts.ignoredFields ?? []);
  const root = rootField(opts.apiVersion, opts.kind);
  const configSet = fieldSetOf(applied, root, true);

  const base = withoutManagedFields(live);
  let entries = readManagedFields(live);
  if (entries.length === 0 && Object.keys(base).length > 0) {
    const all = fieldSetOf(base, root);
    if (all.size > 0) entries = [{ manager: BEFORE_FIRST_APPLY_MANAGER, operation: 'Update', apiVersion: opts.apiVersion, fields: all }];
  }
  const self = { manager, operation: 'Apply' as const, ...(opts.subresource ? { subresource: opts.subresource } : {}) };
  const previous = entries.find((e) => sameOwner(e, self));
  const others = entries.filter((e) => !sameOwner(e, self));

  // Conflicts: leaves the configuration sets to another value than the one another manager owns.
  const conflicts: ApplyConflict[] = [];
  for (const path of configSet.paths()) {
    const wanted = valueAt(applied, path);
    if (isObject(wanted)) continue;
    const current = valueAt(base, path);
    if (current === undefined || jsonEqual(current, wanted)) continue;
    for (const owner of others) if (owner.fields.has(path)) conflicts.push({ path, owner });
  }
  conflicts.sort((x, y) => ownerDescription(x.owner).localeCompare(ownerDescription(y.owner)) || pathString(x.path).localeCompare(pathString(y.path)));
  if (conflicts.length > 0 && !opts.force) throw new ApplyConflictError(conflicts);

  const result = structuredMerge(base, applied, root);

  // With force, the applier takes the conflicting fields over.
  const taken = new FieldSet(conflicts.map((c) => c.path));
  const remaining: ManagedEntry[] = others.map((e) => (taken.size > 0 ? { ...e, fields: e.fields.difference(taken) } : e));

  // Fields this manager applied before and no longer applies: gone, unless someone else owns them.
  const dropped = (previous?.fields ?? new FieldSet()).difference(configSet);
  const ownedByOthers = (p: FieldPath) => remaining.some((e) => e.fields.hasSelfOrDescendant(p));
  // Shallowest first: a dropped list element goes whole, before its fields are looked at.
  const shallowestFirst = dropped.paths().sort((a, b) => a.length - b.length);
  for (const path of shallowestFirst) {
    if (ownedByOthers(path) || isKeyField(path)) continue;
    if (removeAt(result, path)) pruneEmptyParents(result, path, (p) => ownedByOthers(p) || configSet.hasSelfOrDescendant(p));
  }

  const unchanged = jsonEqual(result, base) && previous !== undefined && previous.fields.equals(configSet);
  const mine: ManagedEntry = unchanged
    ? previous
    : { ...self, apiVersion: opts.apiVersion, time: managedTime(opts.now), fields: configSet };
  const next: ManagedEntry[] = [];
  let placed = false;
  for (const e of entries) {
    if (sameOwner(e, self)) {
      next.push(mine);
      placed = true;
    } else next.push(remaining[others.indexOf(e)]!);
  }
  if (!placed) next.push(mine);
  writeManagedFields(result, next);
  return result;
}

/**
 * The configuration as applied: without nulls (a null sets nothing), without the ignored
 * top-level fields and without managedFields, which an apply may not set.
 */
function prepareConfig(config: JsonObject, ignored: readonly string[]): JsonObject {
  const meta = getOwn(config, 'metadata');
  if (isObject(meta) && getOwn(meta, 'managedFields') !== undefined && getOwn(meta, 'managedFields') !== null) {
    throw new BadRequestError('metadata.managedFields must be nil');
  }
  const out = stripNulls(cloneJson(config)) as JsonObject;
  for (const f of ignored) deleteOwn(out, f);
  return out;
}

function stripNulls(v: JsonValue): JsonValue {
  if (Array.isArray(v)) return v.filter((e) => e !== null).map(stripNulls);
  if (isObject(v)) {
    for (const k of Object.keys(v)) {
      if (v[k] === null) deleteOwn(v, k);
      else v[k] = stripNulls(v[k]!);
    }
  }
  return v;
}

/** True for a merge key field of an associative list element (kept while the element is). */
function isKeyField(path: FieldPath): boolean {
  const parent = path[path.length - 2];
  const last = path[path.length - 1]!;
  if (parent === undefined || !parent.startsWith('k:') || !last.startsWith('f:')) return false;
  try {
    const key = JSON.parse(parent.slice(2)) as Record<string, unknown>;
    return Object.prototype.hasOwnProperty.call(key, last.slice(2));
  } catch {
    return false;
  }
}

/**
 * After removing `path`, removes the objects and lists above it that the removal left empty,
 * up to (not including) the top-level fields, unless `kept` says someone still owns them.
 */
function pruneEmptyParents(obj: JsonObject, path: FieldPath, kept: (p: FieldPath) => boolean): void {
  for (let n = path.length - 1; n >= 2; n--) {
    const parent = path.slice(0, n);
    const v = valueAt(obj, parent);
    const empty = (Array.isArray(v) && v.length === 0) || (isObject(v) && Object.keys(v).length === 0);
    if (!empty || kept(parent)) return;
    removeAt(obj, parent);
  }
}
