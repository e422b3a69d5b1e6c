/**
 * One conversion between the Kubernetes JSON shape of an API object and its protobuf message
 * (proto/k8s, Kubernetes' field names and numbers). A generic walker follows K8S_MESSAGE_FIELDS;
 * only Time, MicroTime, IntOrString, Quantity, RawExtension, FieldsV1, Verbs (a list in JSON), bytes
 * (base64 in JSON), the Go-inlined structs (Volume.volumeSource, Probe.handler, …) and the object of
 * a WatchEvent (embedded in the "k8s\0" envelope, as Kubernetes' watch streams carry it) are special.
 * The apiVersion and kind of an embedded object (a StatefulSet's volumeClaimTemplates) are
 * accepted and dropped: Kubernetes' messages have no field for them.
 *
 * JSON out omits what Kubernetes omits: unset fields, empty lists and maps, the zero time, and
 * the zero value of `omitempty` scalars (but keeps `replicas: 0`, whose Go field is a pointer).
 */
import { BadRequestError } from '../errors';
import { Unknown } from '../../../gen/k8s/apimachinery/runtime/runtime';
import { findProtoKind, ProtoKind, protoKinds } from './kinds';
import { K8S_MESSAGE_FIELDS, FieldShape } from './schema';
import {
  intOrStringFromJson, intOrStringToJson, microTimeFromJson, microTimeToJson, quantityFromJson, quantityToJson,
  timeFromJson, timeToJson,
} from './special-types';

/** A JSON object as Kubernetes sends it. */
export type JsonObject = { [key: string]: unknown };
/** A ts-proto message object (plain data). */
export type ProtoMessage = { [key: string]: unknown };

/** Options for JSON → protobuf. */
export interface ToProtoOptions {
  /** When given, the paths of JSON fields with no protobuf field are pushed here (else ignored). */
  unknownFields?: string[];
}

/** The magic prefix of a Kubernetes protobuf body: "k8s\0". */
export const K8S_PROTOBUF_MAGIC: Readonly<Uint8Array> = Uint8Array.of(0x6b, 0x38, 0x73, 0x00);

const META = 'k8s.io.apimachinery.pkg.apis.meta.v1.';
const TIME = META + 'Time';
const MICRO_TIME = META + 'MicroTime';
const FIELDS_V1 = META + 'FieldsV1';
const VERBS = META + 'Verbs';
const WATCH_EVENT = META + 'WatchEvent';
const INT_OR_STRING = 'k8s.io.apimachinery.pkg.util.intstr.IntOrString';
const QUANTITY = 'k8s.io.apimachinery.pkg.api.resource.Quantity';
const RAW_EXTENSION = 'k8s.io.apimachinery.pkg.runtime.RawExtension';

/** Fields Go embeds with `json:""`: their members appear directly in the parent's JSON. */
const INLINE_FIELDS = new Set(['volumeSource', 'persistentVolumeSource', 'localObjectReference', 'ephemeralContainerCommon', 'ingressRuleValue']);
/** True when the members of `field` of message `type` appear directly in the message's JSON (Go's inlined structs). */
export function isInline(type: string, field: string): boolean {
  return INLINE_FIELDS.has(field) || (type === 'k8s.io.api.core.v1.Probe' && field === 'handler');
}

/** How a field's value converts: a scalar, one of the special types, or a nested message. */
const enum Conv {
  Scalar,
  Time,
  MicroTime,
  IntOrString,
  Quantity,
  RawExtension,
  Verbs,
  FieldsV1,
  Message,
}

function convOf(type: string): Conv {
  if (!type.includes('.')) return Conv.Scalar;
  switch (type) {
    case TIME: return Conv.Time;
    case MICRO_TIME: return Conv.MicroTime;
    case INT_OR_STRING: return Conv.IntOrString;
    case QUANTITY: return Conv.Quantity;
    case RAW_EXTENSION: return Conv.RawExtension;
    case VERBS: return Conv.Verbs;
    case FIELDS_V1: return Conv.FieldsV1;
    default: return Conv.Message;
  }
}

/** One field of a message, with what the walkers would otherwise work out on every value. */
interface FieldPlan {
  readonly name: string;
  readonly shape: FieldShape;
  /** The scalar type or the message name of the field (of its items, for lists and maps). */
  readonly type: string;
  readonly conv: Conv;
  /** A Go-inlined struct: its members appear in the parent's JSON (see isInline). */
  readonly inline: boolean;
}

/** A message's fields, and its JSON keys → the field and the inline field it lives under if any. */
interface MessagePlan {
  readonly fields: readonly FieldPlan[];
  /** Map and list fields: a new message has them present (ts-proto's encode expects them). */
  readonly collections: readonly FieldPlan[];
  readonly json: ReadonlyMap<string, { readonly field: FieldPlan; readonly via?: FieldPlan }>;
}
const plans = new Map<string, MessagePlan>();

function fieldsOf(type: string): ReadonlyArray<readonly [string, FieldShape, string]> {
  const fields = K8S_MESSAGE_FIELDS[type];
  if (!fields) throw new Error(`no field table for protobuf message ${type}`);
  return fields;
}

/** The plan of a message type, made on first use from K8S_MESSAGE_FIELDS. */
function planOf(type: string): MessagePlan {
  let plan = plans.get(type);
  if (!plan) {
    const fields = fieldsOf(type).map(([name, shape, ftype]): FieldPlan => ({ name, shape, type: ftype, conv: convOf(ftype), inline: isInline(type, name) }));
    const json = new Map<string, { field: FieldPlan; via?: FieldPlan }>();
    for (const field of fields) {
      if (field.inline) {
        for (const inner of planOf(field.type).fields) json.set(inner.name, { field: inner, via: field });
      } else {
        json.set(field.name, { field });
      }
    }
    plan = { fields, collections: fields.filter((f) => f.shape === 'M' || f.shape === 'l'), json };
    plans.set(type, plan);
  }
  return plan;
}

/** Messages of API kinds: their JSON carries apiVersion/kind (Go's inlined TypeMeta), not a field. */
let kindMessages: Set<string> | undefined;
function isKindMessage(type: string): boolean {
  kindMessages ??= new Set(protoKinds().map((k) => k.message));
  return kindMessages.has(type);
}

function bad(path: string, reason: string): BadRequestError {
  return new BadRequestError(`${path || '<root>'}: ${reason}`);
}

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

/** A new message with its maps and lists present (ts-proto's encode expects them). */
function emptyMessage(type: string): ProtoMessage {
  const msg: ProtoMessage = {};
  for (const f of planOf(type).collections) msg[f.name] = f.shape === 'M' ? {} : [];
  return msg;
}

// ---- JSON → protobuf -------------------------------------------------------------------------

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function scalarFromJson(type: string, v: unknown, path: string): unknown {
  switch (type) {
    case 'string':
      if (typeof v !== 'string') throw bad(path, `expected a string, got ${JSON.stringify(v)}`);
      return v;
    case 'bool':
      if (typeof v !== 'boolean') throw bad(path, `expected true or false, got ${JSON.stringify(v)}`);
      return v;
    case 'int32':
      if (typeof v !== 'number' || !Number.isInteger(v) || v < -0x80000000 || v > 0x7fffffff) {
        throw bad(path, `expected a 32-bit integer, got ${JSON.stringify(v)}`);
      }
      return v;
    case 'int64':
      if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw bad(path, `expected an integer, got ${JSON.stringify(v)}`);
      return v;
    case 'double':
    case 'float':
      if (typeof v !== 'number') throw bad(path, `expected a number, got ${JSON.stringify(v)}`);
      return v;
    case 'bytes':
      if (typeof v !== 'string' || !BASE64.test(v)) throw bad(path, 'expected base64-encoded data');
      return Buffer.from(v, 'base64');
    default:
      throw bad(path, `unsupported scalar type ${type}`);
  }
}

function valueFromJson(field: FieldPlan, v: unknown, path: string, opts: ToProtoOptions): unknown {
  const conv = field.conv;
  if (conv === Conv.Scalar) return scalarFromJson(field.type, v, path);
  if (conv === Conv.Message) return messageFromJson(field.type, v, path, opts);
  try {
    switch (conv) {
      case Conv.Time: return timeFromJson(v);
      case Conv.MicroTime: return microTimeFromJson(v);
      case Conv.IntOrString: return intOrStringFromJson(v);
      case Conv.Quantity: return quantityFromJson(v);
      case Conv.RawExtension: return { raw: Buffer.from(JSON.stringify(v)) };
      case Conv.Verbs:
        if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) throw new Error('expected a list of strings');
        return { items: v };
      case Conv.FieldsV1:
        if (!isObject(v)) throw new Error('expected an object');
        return { Raw: Buffer.from(JSON.stringify(v)) };
    }
  } catch (e) {
    if (e instanceof BadRequestError) throw e;
    throw bad(path, (e as Error).message);
  }
}

function messageFromJson(type: string, json: unknown, path: string, opts: ToProtoOptions): ProtoMessage {
  if (!isObject(json)) throw bad(path, `expected an object, got ${JSON.stringify(json)}`);
  const msg = emptyMessage(type);
  const index = planOf(type).json;
  for (const key of Object.keys(json)) {
    const value = json[key];
    const at = path ? `${path}.${key}` : key;
    const hit = index.get(key);
    if (!hit) {
      if (!(path && (key === 'apiVersion' || key === 'kind') && isKindMessage(type))) opts.unknownFields?.push(at);
      continue;
    }
    if (value === null || value === undefined) continue;
    if (type === WATCH_EVENT && key === 'object') {
      msg.object = { raw: embeddedObjectFromJson(value, at, opts) };
      continue;
    }
    let target = msg;
    if (hit.via) {
      const viaName = hit.via.name;
      if (!msg[viaName]) msg[viaName] = emptyMessage(hit.via.type);
      target = msg[viaName] as ProtoMessage;
    }
    const field = hit.field;
    switch (field.shape) {
      case 's':
      case 'p':
      case 'm':
        target[field.name] = valueFromJson(field, value, at, opts);
        break;
      case 'l': {
        if (!Array.isArray(value)) throw bad(at, `expected a list, got ${JSON.stringify(value)}`);
        const out = new Array<unknown>(value.length);
        for (let i = 0; i < value.length; i++) out[i] = valueFromJson(field, value[i], `${at}[${i}]`, opts);
        target[field.name] = out;
        break;
      }
      case 'M': {
        if (!isObject(value)) throw bad(at, `expected a map, got ${JSON.stringify(value)}`);
        const out: { [key: string]: unknown } = {};
        for (const k of Object.keys(value)) out[k] = valueFromJson(field, value[k], `${at}[${k}]`, opts);
        target[field.name] = out;
        break;
      }
    }
  }
  return msg;
}

/**
 * The object of a WatchEvent: an object of a kind with a protobuf message becomes "k8s\0" and its
 * runtime.Unknown (what Kubernetes' protobuf watch streams carry); anything else stays JSON.
 */
function embeddedObjectFromJson(json: unknown, path: string, opts: ToProtoOptions): Uint8Array {
  const kind = isObject(json) && typeof json.apiVersion === 'string' && typeof json.kind === 'string'
    ? findProtoKind(json.apiVersion, json.kind) : undefined;
  if (!kind) return Buffer.from(JSON.stringify(json));
  const { apiVersion: _apiVersion, kind: _kind, ...rest } = json as JsonObject;
  const raw = kind.codec.encode(messageFromJson(kind.message, rest, path, opts)).finish();
  const unknown = Unknown.encode({
    typeMeta: { apiVersion: kind.apiVersion, kind: kind.kind }, raw: Buffer.from(raw), contentEncoding: '', contentType: '',
  }).finish();
  return Buffer.concat([K8S_PROTOBUF_MAGIC, unknown]);
}

// ---- protobuf → JSON -------------------------------------------------------------------------

function isZeroScalar(v: unknown): boolean {
  return v === '' || v === 0 || v === false || (v instanceof Uint8Array && v.length === 0);
}

function scalarToJson(type: string, v: unknown): unknown {
  return type === 'bytes' ? Buffer.from(v as Uint8Array).toString('base64') : v;
}

/** JSON embedded as bytes (RawExtension, FieldsV1); a nested "k8s\0" object is decoded too. */
function rawToJson(raw: Uint8Array | undefined, path: string): unknown {
  if (!raw || raw.length === 0) return undefined;
  if (hasMagic(raw)) return objectFromUnknownBytes(raw.subarray(K8S_PROTOBUF_MAGIC.length), path);
  try {
    return JSON.parse(Buffer.from(raw).toString('utf8'));
  } catch {
    throw bad(path, 'embedded object is neither JSON nor Kubernetes protobuf');
  }
}

function valueToJson(field: FieldPlan, v: unknown, path: string): unknown {
  switch (field.conv) {
    case Conv.Scalar: return scalarToJson(field.type, v);
    case Conv.Message: return messageToJson(field.type, v as ProtoMessage, path);
    case Conv.Time: return timeToJson(v as object);
    case Conv.MicroTime: return microTimeToJson(v as object);
    case Conv.IntOrString: return intOrStringToJson(v as object);
    case Conv.Quantity: return quantityToJson(v as object);
    case Conv.RawExtension: return rawToJson((v as { raw?: Uint8Array }).raw, path);
    case Conv.FieldsV1: return rawToJson((v as { Raw?: Uint8Array }).Raw, path);
    case Conv.Verbs: return (v as { items?: string[] }).items ?? [];
  }
}

function messageToJson(type: string, msg: ProtoMessage, path: string): JsonObject {
  const out: JsonObject = {};
  for (const field of planOf(type).fields) {
    const name = field.name;
    const v = msg[name];
    if (v === undefined || v === null) continue;
    if (field.inline) {
      Object.assign(out, messageToJson(field.type, v as ProtoMessage, path));
      continue;
    }
    switch (field.shape) {
      case 's':
        if (!isZeroScalar(v)) out[name] = scalarToJson(field.type, v);
        break;
      case 'p':
        out[name] = scalarToJson(field.type, v);
        break;
      case 'm': {
        const j = valueToJson(field, v, path ? `${path}.${name}` : name);
        if (j !== undefined) out[name] = j;
        break;
      }
      case 'l': {
        const list = v as unknown[];
        if (list.length === 0) break;
        const at = path ? `${path}.${name}` : name;
        const items = new Array<unknown>(list.length);
        for (let i = 0; i < list.length; i++) items[i] = valueToJson(field, list[i], `${at}[${i}]`) ?? null;
        out[name] = items;
        break;
      }
      case 'M': {
        const keys = Object.keys(v as object);
        if (keys.length === 0) break;
        const at = path ? `${path}.${name}` : name;
        const map: JsonObject = {};
        for (const k of keys) {
          const item = valueToJson(field, (v as JsonObject)[k], `${at}[${k}]`);
          // A map key "__proto__" is data (an assignment would set the prototype).
          if (k === '__proto__') Object.defineProperty(map, k, { value: item, enumerable: true, writable: true, configurable: true });
          else map[k] = item;
        }
        out[name] = map;
        break;
      }
    }
  }
  return out;
}

// ---- kinds -----------------------------------------------------------------------------------

/** The protobuf mapping of apiVersion/kind; a BadRequestError naming both when there is none. */
export function requireProtoKind(apiVersion: unknown, kind: unknown): ProtoKind {
  const found = typeof apiVersion === 'string' && typeof kind === 'string' ? findProtoKind(apiVersion, kind) : undefined;
  if (!found) {
    throw new BadRequestError(`no protobuf message is registered for apiVersion ${JSON.stringify(apiVersion ?? '')}, kind ${JSON.stringify(kind ?? '')}`);
  }
  return found;
}

/**
 * The Kubernetes JSON object of one kind → its ts-proto message. `apiVersion`/`kind` in the
 * JSON, if present, must match the kind given. Type errors throw BadRequestError with the path.
 */
export function toProto(kind: ProtoKind, json: unknown, opts: ToProtoOptions = {}): ProtoMessage {
  if (!isObject(json)) throw bad('', 'expected a JSON object');
  const { apiVersion, kind: k, ...rest } = json;
  if ((apiVersion !== undefined && apiVersion !== kind.apiVersion) || (k !== undefined && k !== kind.kind)) {
    throw bad('', `object is ${String(apiVersion)}/${String(k)}, expected ${kind.apiVersion}/${kind.kind}`);
  }
  return messageFromJson(kind.message, rest, '', opts);
}

/** A ts-proto message of one kind → the Kubernetes JSON object, with apiVersion and kind first. */
export function fromProto(kind: ProtoKind, message: unknown): JsonObject {
  return { apiVersion: kind.apiVersion, kind: kind.kind, ...messageToJson(kind.message, message as ProtoMessage, '') };
}

/** JSON object (its own apiVersion/kind choose the message) → protobuf bytes of that message. */
export function encodeObject(json: JsonObject, opts: ToProtoOptions = {}): { kind: ProtoKind; bytes: Uint8Array } {
  const kind = requireProtoKind(json.apiVersion, json.kind);
  return { kind, bytes: kind.codec.encode(toProto(kind, json, opts)).finish() };
}

/** Protobuf bytes of one kind's message → its JSON object; malformed bytes → BadRequestError. */
export function decodeObject(kind: ProtoKind, bytes: Uint8Array): JsonObject {
  let message: unknown;
  try {
    message = kind.codec.decode(bytes);
  } catch (e) {
    throw new BadRequestError(`malformed protobuf ${kind.apiVersion}/${kind.kind}: ${(e as Error).message}`);
  }
  return fromProto(kind, message);
}

/** True when bytes start with the "k8s\0" magic. */
export function hasMagic(bytes: Uint8Array): boolean {
  return bytes.length >= K8S_PROTOBUF_MAGIC.length && K8S_PROTOBUF_MAGIC.every((b, i) => bytes[i] === b);
}

/** The runtime.Unknown after the magic → {apiVersion, kind, object}. */
export function decodeUnknown(bytes: Uint8Array): { apiVersion: string; kind: string; object: JsonObject } {
  let unknown: Unknown;
  try {
    unknown = Unknown.decode(bytes);
  } catch (e) {
    throw new BadRequestError(`malformed Kubernetes protobuf envelope: ${(e as Error).message}`);
  }
  const apiVersion = unknown.typeMeta?.apiVersion ?? '';
  const kind = unknown.typeMeta?.kind ?? '';
  if (unknown.contentEncoding) throw new BadRequestError(`unsupported protobuf contentEncoding ${JSON.stringify(unknown.contentEncoding)}`);
  const pk = requireProtoKind(apiVersion, kind);
  return { apiVersion, kind, object: decodeObject(pk, unknown.raw ?? new Uint8Array()) };
}

function objectFromUnknownBytes(bytes: Uint8Array, path: string): JsonObject {
  try {
    return decodeUnknown(bytes).object;
  } catch (e) {
    throw bad(path, (e as Error).message);
  }
}
