/**
 * The one decoder of API objects from JSON, used by both front doors and by the registry: an
 * object is read through its kind's protobuf schema (K8S_MESSAGE_FIELDS, the same table the
 * gRPC API is typed by), the way Kubernetes decodes a body into its Go types. A field of the
 * wrong JSON type, an integer past its bounds, bytes that are not base64, a malformed time or
 * quantity is a BadRequestError naming the field path and the expected type; fields the kind
 * does not have are dropped (and reported, for field validation); zero values Kubernetes omits
 * are omitted. What comes out converts to protobuf without error, so a gRPC List or Watch can
 * never fail on it.
 */
import { fromProto, toProto, type JsonObject, type ProtoMessage } from './convert';
import type { ProtoKind } from './kinds';

/** Options of typedObject. */
export interface TypedObjectOptions {
  /** When given, the paths of fields the kind does not have are pushed here. */
  readonly unknownFields?: string[];
}

/** Objects typedObject produced: reading them again would change nothing. */
const typed = new WeakSet<object>();

/**
 * `json` as an object of `kind`: type-checked against the kind's schema (BadRequestError naming
 * the field path otherwise), unknown fields dropped, in Kubernetes' canonical JSON. apiVersion
 * and kind, when present, must be the kind's.
 */
export function typedObject(kind: ProtoKind, json: unknown, opts: TypedObjectOptions = {}): JsonObject {
  if (isObject(json) && typed.has(json) && opts.unknownFields === undefined) return json;
  const out = fromProto(kind, toProto(kind, json, { unknownFields: opts.unknownFields }));
  typed.add(out);
  return out;
}

/**
 * Messages of frozen objects. The watch cache's objects are frozen and shared by every list and
 * watcher, so each is converted once (when the cache checks it) rather than once per watcher
 * or per list; the message lives exactly as long as its object.
 */
const messages = new WeakMap<object, ProtoMessage>();

/**
 * The protobuf message of `obj` (BadRequestError naming the field when it does not fit the
 * kind's schema); converted once per frozen object, every time for others.
 */
export function messageOf(kind: ProtoKind, obj: unknown): ProtoMessage {
  if (!isObject(obj) || !Object.isFrozen(obj)) return toProto(kind, obj);
  let message = messages.get(obj);
  if (!message) {
    message = toProto(kind, obj);
    messages.set(obj, message);
  }
  return message;
}

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
