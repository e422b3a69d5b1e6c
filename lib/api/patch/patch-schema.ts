/**
 * Where a strategic merge patch is in the object: the protobuf message (or map) a JSON subtree
 * belongs to, and the patch metadata of its fields. Walks K8S_MESSAGE_FIELDS from a kind's root
 * message, seeing Go-inlined members (VolumeSource in Volume, ProbeHandler in Probe) as members of
 * the parent, as the JSON encoding does. A subtree whose message has no field table is `undefined`:
 * it merges like a JSON merge patch (maps merge, lists replace).
 */
import { findProtoKind } from '../proto/kinds';
import { K8S_MESSAGE_FIELDS } from '../proto/schema';
import type { FieldShape } from '../proto/schema';
import { PATCH_INLINE_FIELDS, PATCH_META } from './patch-meta';
import type { PatchFieldMeta } from './patch-meta';

/** A JSON object's schema: a message by full name, or a map (whose values may be messages). */
export type PatchSchema = { kind: 'message'; name: string } | { kind: 'map'; value: PatchSchema } | undefined;

/** What the schema says about one field of an object. */
export interface PatchField {
  meta?: PatchFieldMeta;
  /** Schema of the field's value; for a list, of each element. */
  child: PatchSchema;
}

type Field = readonly [string, FieldShape, string];

const hasOwnProperty = Object.prototype.hasOwnProperty;
const indexes = new Map<string, Map<string, Field>>();

/** Inline fields as recorded from upstream, plus Probe.handler as convert.ts names it. */
function isInline(message: string, field: string): boolean {
  const list = hasOwnProperty.call(PATCH_INLINE_FIELDS, message) ? PATCH_INLINE_FIELDS[message]! : [];
  return list.includes(field) || (message === 'k8s.io.api.core.v1.Probe' && field === 'handler');
}

function fieldsOf(message: string): ReadonlyArray<Field> | undefined {
  return hasOwnProperty.call(K8S_MESSAGE_FIELDS, message) ? K8S_MESSAGE_FIELDS[message] : undefined;
}

/** JSON key -> field for a message, inlined members flattened in; undefined without a table. */
function jsonIndex(message: string): Map<string, Field> | undefined {
  let index = indexes.get(message);
  if (index) return index;
  const fields = fieldsOf(message);
  if (!fields) return undefined;
  index = new Map();
  const add = (owner: string, list: ReadonlyArray<Field>, seen: Set<string>) => {
    for (const f of list) {
      const inner = isInline(owner, f[0]) ? fieldsOf(f[2]) : undefined;
      if (inner && !seen.has(f[2])) add(f[2], inner, new Set([...seen, f[2]]));
      else index!.set(f[0], f);
    }
  };
  add(message, fields, new Set([message]));
  indexes.set(message, index);
  return index;
}

function messageSchema(type: string): PatchSchema {
  return fieldsOf(type) || hasOwnProperty.call(PATCH_META, type) ? { kind: 'message', name: type } : undefined;
}

/** The schema of field `key` of an object with schema `schema`. */
export function lookupField(schema: PatchSchema, key: string): PatchField {
  if (!schema) return { child: undefined };
  if (schema.kind === 'map') return { child: schema.value };
  const metas = hasOwnProperty.call(PATCH_META, schema.name) ? PATCH_META[schema.name]! : undefined;
  const meta = metas && hasOwnProperty.call(metas, key) ? metas[key] : undefined;
  const field = jsonIndex(schema.name)?.get(key);
  let child: PatchSchema;
  if (field) {
    const [, shape, type] = field;
    if (shape === 'M') child = { kind: 'map', value: messageSchema(type) };
    else if (shape === 'm' || shape === 'l') child = messageSchema(type);
  }
  return meta ? { meta, child } : { child };
}

/** API groups whose messages live under `k8s.io.api.<package>.<version>`, by group name. */
const GROUP_PACKAGES: Readonly<Record<string, string>> = {
  '': 'core',
  apps: 'apps',
  batch: 'batch',
  autoscaling: 'autoscaling',
  'coordination.k8s.io': 'coordination',
  'rbac.authorization.k8s.io': 'rbac',
  'scheduling.k8s.io': 'scheduling',
  'policy': 'policy',
  'networking.k8s.io': 'networking',
  'storage.k8s.io': 'storage',
  'discovery.k8s.io': 'discovery',
};

/**
 * The root schema of an object of `apiVersion`/`kind`: the message kinds.ts maps it to, or, for
 * a built-in group kinds.ts does not (yet) list, the message upstream names for it. Undefined for
 * anything else (custom kinds): the whole object then merges without strategy.
 */
export function rootSchema(apiVersion: string, kind: string): PatchSchema {
  const known = findProtoKind(apiVersion, kind);
  if (known) return { kind: 'message', name: known.message };
  const slash = apiVersion.lastIndexOf('/');
  const group = slash < 0 ? '' : apiVersion.slice(0, slash);
  const version = apiVersion.slice(slash + 1);
  if (!hasOwnProperty.call(GROUP_PACKAGES, group) || !/^v\w+$/.test(version) || !/^[A-Z]\w*$/.test(kind)) return undefined;
  return messageSchema(`k8s.io.api.${GROUP_PACKAGES[group]}.${version}.${kind}`);
}
