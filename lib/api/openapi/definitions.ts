/**
 * The schema definitions of an OpenAPI document, generated from the protobuf field table
 * (K8S_MESSAGE_FIELDS), never written per kind. One definition per message reachable from the
 * roots, named as Kubernetes names them (`k8s.io.api.apps.v1.Deployment` →
 * `io.k8s.api.apps.v1.Deployment`), describing exactly the JSON that proto/convert.ts produces and
 * accepts: Go-inlined members (Volume.volumeSource, Probe.handler, …) appear among the parent's
 * properties, Time/MicroTime are date-time strings, IntOrString and Quantity are a number or a
 * string, RawExtension/FieldsV1 are free objects, Verbs is a list of strings and bytes are base64.
 *
 * Descriptions come from FIELD_DOCS (upstream comments); strategic-merge-patch metadata from
 * PATCH_META (`x-kubernetes-patch-strategy`, `x-kubernetes-patch-merge-key`, which `kubectl
 * apply` reads); kind messages carry `x-kubernetes-group-version-kind`.
 */
import { PATCH_META } from '../patch/patch-meta';
import { isInline } from '../proto/convert';
import { protoKinds } from '../proto/kinds';
import { K8S_MESSAGE_FIELDS } from '../proto/schema';
import type { FieldShape } from '../proto/schema';
import { FIELD_DOCS } from './field-docs';

/** A JSON Schema object of an OpenAPI document (plain JSON data). */
export type JsonSchema = { [key: string]: unknown };

/** Swagger 2.0 or OpenAPI 3.0: where definitions live and how a described reference is written. */
export type OpenApiDialect = 'v2' | 'v3';

/** One entry of `x-kubernetes-group-version-kind`. */
export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

const META = 'k8s.io.apimachinery.pkg.apis.meta.v1.';
const TIME = META + 'Time';
const MICRO_TIME = META + 'MicroTime';
const FIELDS_V1 = META + 'FieldsV1';
const VERBS = META + 'Verbs';
const TYPE_META = META + 'TypeMeta';
const INT_OR_STRING = 'k8s.io.apimachinery.pkg.util.intstr.IntOrString';
const QUANTITY = 'k8s.io.apimachinery.pkg.api.resource.Quantity';
const RAW_EXTENSION = 'k8s.io.apimachinery.pkg.runtime.RawExtension';

/** True when the members of `field` of `message` appear directly in the message's JSON (the converter's rule). */
export const isInlineField = isInline;

type Field = readonly [string, FieldShape, string];
const hasOwn = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

/** `k8s.io.api.apps.v1.Deployment` → `io.k8s.api.apps.v1.Deployment` (Kubernetes' definition name). */
export function definitionName(message: string): string {
  return message.startsWith('k8s.io.') ? 'io.k8s.' + message.slice('k8s.io.'.length) : message;
}

/** The `$ref` target prefix of a dialect. */
export function refPrefix(dialect: OpenApiDialect): string {
  return dialect === 'v2' ? '#/definitions/' : '#/components/schemas/';
}

function fieldsOf(message: string): ReadonlyArray<Field> {
  const fields = hasOwn(K8S_MESSAGE_FIELDS, message) ? K8S_MESSAGE_FIELDS[message] : undefined;
  if (!fields) throw new Error(`openapi: no field table for protobuf message ${message}`);
  return fields;
}

function docsOf(message: string): { doc: string; fields: Readonly<Record<string, string>>; required: ReadonlyArray<string> } {
  const entry = hasOwn(FIELD_DOCS, message) ? FIELD_DOCS[message] : undefined;
  return { doc: entry?.[0] ?? '', fields: entry?.[1] ?? {}, required: entry?.[2] ?? [] };
}

/** Messages whose JSON carries apiVersion/kind (every kind with a protobuf mapping). */
let kindMessages: Set<string> | undefined;
function isKindMessage(message: string): boolean {
  kindMessages ??= new Set(protoKinds().map((k) => k.message));
  return kindMessages.has(message);
}

function withDescription(schema: JsonSchema, description: string | undefined): JsonSchema {
  return description ? { description, ...schema } : schema;
}

function scalarSchema(type: string): JsonSchema {
  switch (type) {
    case 'string': return { type: 'string' };
    case 'bool': return { type: 'boolean' };
    case 'int32': return { type: 'integer', format: 'int32' };
    case 'int64': return { type: 'integer', format: 'int64' };
    case 'double': return { type: 'number', format: 'double' };
    case 'float': return { type: 'number', format: 'float' };
    case 'bytes': return { type: 'string', format: 'byte' };
    default: throw new Error(`openapi: unsupported scalar type ${type}`);
  }
}

/**
 * The definition of a message whose JSON is not its field table (Time, IntOrString, …), or
 * undefined for an ordinary message. Shapes follow Kubernetes' own definitions of these types.
 */
function specialDefinition(message: string, dialect: OpenApiDialect): JsonSchema | undefined {
  const { doc } = docsOf(message);
  switch (message) {
    case TIME:
    case MICRO_TIME:
      return withDescription({ type: 'string', format: 'date-time' }, doc);
    case INT_OR_STRING:
      return withDescription(dialect === 'v2'
        ? { type: 'string', format: 'int-or-string', 'x-kubernetes-int-or-string': true }
        : { oneOf: [{ type: 'integer' }, { type: 'string' }], format: 'int-or-string', 'x-kubernetes-int-or-string': true }, doc);
    case QUANTITY:
      return withDescription(dialect === 'v2'
        ? { type: 'string' }
        : { oneOf: [{ type: 'string' }, { type: 'number' }] }, doc);
    case RAW_EXTENSION:
    case FIELDS_V1:
      return withDescription({ type: 'object' }, doc);
    default:
      return undefined;
  }
}

/** Builds the definitions reachable from a set of root messages, for one dialect. */
class DefinitionBuilder {
  readonly definitions: Record<string, JsonSchema> = {};
  private readonly pending: string[] = [];

  constructor(private readonly dialect: OpenApiDialect, private readonly gvks: ReadonlyMap<string, GroupVersionKind[]>) {}

  /** Adds `message` and everything it references. */
  add(message: string): void {
    this.reference(message);
    for (let next = this.pending.pop(); next !== undefined; next = this.pending.pop()) {
      this.definitions[definitionName(next)] = this.define(next);
    }
  }

  /** A `$ref` to `message`'s definition, queuing the definition if it is new. */
  private reference(message: string): JsonSchema {
    const name = definitionName(message);
    if (!hasOwn(this.definitions, name)) {
      this.definitions[name] = {}; // placeholder: defined once, even on cycles (JSONSchemaProps-like)
      this.pending.push(message);
    }
    return { $ref: refPrefix(this.dialect) + name };
  }

  /** The schema of a value of protobuf type `type` (scalar name or message full name). */
  private valueSchema(type: string): JsonSchema {
    if (!type.includes('.')) return scalarSchema(type);
    if (type === VERBS) return { type: 'array', items: { type: 'string' } };
    return this.reference(type);
  }

  /**
   * A reference with a description: Swagger 2.0 keeps siblings of `$ref` (as Kubernetes writes
   * it); OpenAPI 3.0 ignores them, so the reference is wrapped in a one-element `allOf`.
   */
  private describedRef(ref: JsonSchema, description: string | undefined): JsonSchema {
    if (!description || !('$ref' in ref)) return withDescription(ref, description);
    return this.dialect === 'v2' ? { description, ...ref } : { description, allOf: [ref] };
  }

  private fieldSchema(owner: string, parent: string, field: Field): JsonSchema {
    const [name, shape, type] = field;
    const description = docsOf(owner).fields[name];
    let schema: JsonSchema;
    switch (shape) {
      case 's':
      case 'p':
      case 'm':
        schema = this.describedRef(this.valueSchema(type), description);
        break;
      case 'l':
        schema = withDescription({ type: 'array', items: this.valueSchema(type) }, description);
        break;
      case 'M':
        schema = withDescription({ type: 'object', additionalProperties: this.valueSchema(type) }, description);
        break;
    }
    const meta = patchMetaOf(parent, name) ?? patchMetaOf(owner, name);
    if (meta) {
      if (meta.mergeKey) schema['x-kubernetes-patch-merge-key'] = meta.mergeKey;
      schema['x-kubernetes-patch-strategy'] = meta.strategy;
    }
    return schema;
  }

  private define(message: string): JsonSchema {
    const special = specialDefinition(message, this.dialect);
    if (special) return special;
    const properties: Record<string, JsonSchema> = {};
    const required: string[] = [];
    if (isKindMessage(message)) {
      const typeMeta = docsOf(TYPE_META).fields;
      properties.apiVersion = withDescription({ type: 'string' }, typeMeta.apiVersion);
      properties.kind = withDescription({ type: 'string' }, typeMeta.kind);
    }
    const addFields = (owner: string, seen: ReadonlySet<string>): void => {
      const docs = docsOf(owner);
      for (const field of fieldsOf(owner)) {
        if (isInlineField(owner, field[0]) && !seen.has(field[2])) {
          addFields(field[2], new Set([...seen, field[2]]));
          continue;
        }
        properties[field[0]] = this.fieldSchema(owner, message, field);
        if (docs.required.includes(field[0])) required.push(field[0]);
      }
    };
    addFields(message, new Set([message]));
    const schema: JsonSchema = withDescription({ type: 'object', properties }, docsOf(message).doc);
    if (required.length > 0) schema.required = required;
    const gvks = this.gvks.get(message);
    if (gvks && gvks.length > 0) schema['x-kubernetes-group-version-kind'] = gvks.map((g) => ({ group: g.group, kind: g.kind, version: g.version }));
    return schema;
  }
}

function patchMetaOf(message: string, field: string): { strategy: string; mergeKey?: string } | undefined {
  const metas = hasOwn(PATCH_META, message) ? PATCH_META[message] : undefined;
  return metas && hasOwn(metas, field) ? metas[field] : undefined;
}

/**
 * The definitions reachable from `roots` (message full names), keyed by Kubernetes definition
 * name and sorted by it; `gvks` gives the `x-kubernetes-group-version-kind` of kind messages.
 */
export function buildDefinitions(
  roots: Iterable<string>, gvks: ReadonlyMap<string, GroupVersionKind[]>, dialect: OpenApiDialect,
): Record<string, JsonSchema> {
  const builder = new DefinitionBuilder(dialect, gvks);
  for (const root of roots) builder.add(root);
  const sorted: Record<string, JsonSchema> = {};
  for (const name of Object.keys(builder.definitions).sort()) sorted[name] = builder.definitions[name]!;
  return sorted;
}

/**
 * The definition of a kind with no protobuf message (a custom kind): any object, with its GVK,
 * named like Kubernetes names CRD schemas (reversed group, `com.example.v1.Widget`).
 */
export function opaqueKindDefinition(gvk: GroupVersionKind): { name: string; schema: JsonSchema } {
  const group = gvk.group ? gvk.group.split('.').reverse().join('.') : 'core';
  return {
    name: `${group}.${gvk.version}.${gvk.kind}`,
    schema: {
      type: 'object',
      'x-kubernetes-preserve-unknown-fields': true,
      'x-kubernetes-group-version-kind': [{ group: gvk.group, kind: gvk.kind, version: gvk.version }],
    },
  };
}
