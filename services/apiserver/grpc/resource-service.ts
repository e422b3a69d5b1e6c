import { requestWarnings } from '../authn/request-user';
import type * as grpc from '@grpc/grpc-js';
import { Metadata } from '@grpc/grpc-js';
import { ApiError, BadRequestError } from '../../../lib/api/errors';
import { toGrpcError } from '../../../lib/api/grpc-status';
import { serviceDefinition } from '../../../lib/api/grpc-services';
import { apiVersionOf, type KubeList, type KubeObject, type ResourceInfo } from '../../../lib/api/object';
import { fromProto, toProto, type ProtoMessage } from '../../../lib/api/proto/convert';
import { findProtoKind, type ProtoKind } from '../../../lib/api/proto/kinds';
import { messageOf } from '../../../lib/api/proto/typed-object';
import { statusFromError } from '../../../lib/api/status';
import { printableWarning, warningsOf, withWarnings } from '../../../lib/api/warnings';
import { resetServerCall } from '../../../lib/grpc/reset-server-call';
import { EncodingMemo, WATCH_ENCODING_MEMO_BYTES, WATCH_ENCODING_MEMO_OBJECTS } from '../rest/encoding-memo';
import { deleteRequestFrom } from '../rest/delete-options';
import { parseFieldValidation } from '../rest/field-validation';
import { isBindable, isEvictable, isFinalizable, isScalable, isTokenRequestable, type ListRequest, type ResourceRest, type UpdateRequest } from '../rest/resource-rest';
import { encodedBuffer, pumpWatch, type WatchSink } from '../rest/watch-pump';

/** Longest watch a client may ask for with timeout_seconds (longer asks are cut to this). */
export const MAX_WATCH_TIMEOUT_SECONDS = 3600;

type Unary = (call: grpc.ServerUnaryCall<any, any>, callback: grpc.sendUnaryData<any>) => void;
type ServerStream = (call: grpc.ServerWritableStream<any, any>) => void;

/**
 * The gRPC service of one API kind (proto/bosun/api), over its ResourceRest: converts the
 * typed protobuf messages to and from Kubernetes JSON at the edge, and every error to a gRPC
 * status carrying the Kubernetes Status. No rule of the API lives here.
 */
export function resourceServiceImpl(rest: ResourceRest): grpc.UntypedServiceImplementation {
  const info = rest.info;
  const kind = protoKindOf(apiVersionOf(info), info.kind);
  const listKind = protoKindOf(apiVersionOf(info), `${info.kind}List`);
  const scaleKind = protoKindOf('autoscaling/v1', 'Scale');
  const out = (obj: unknown): ProtoMessage => {
    const warnings = warningsOf(obj);
    // A copy carries the warnings: the message of a cache-shared object is shared too.
    return warnings.length > 0 ? withWarnings({ ...protoOf(kind, obj) }, warnings) : protoOf(kind, obj);
  };
  const body = (message: unknown, field = 'object'): KubeObject => {
    if (message === undefined || message === null) throw new BadRequestError(`${field}: Required value: the request carries no ${info.kind}`);
    // The rest layer still reads it through the kind's schema: protobuf types cannot say that a
    // Quantity string is well formed.
    return objectOf(kind, message, field);
  };
  const ns = (s: string | undefined): string | undefined => s || undefined;
  const outList = (list: KubeList<KubeObject>): ProtoMessage => {
    // Items one by one, so cached (shared, frozen) objects reuse their converted message.
    const message = toProto(listKind, { ...list, items: [] });
    message.items = list.items.map(out);
    return withWarnings(message, warningsOf(list));
  };

  const impl: Record<string, Unary | ServerStream> = {
    create: unary(async (req) => out(await rest.create(ns(req.namespace), body(req.object), { dryRun: !!req.dryRun, fieldManager: req.fieldManager || undefined }))),
    get: unary(async (req) => out(await rest.get(ns(req.namespace), req.name ?? ''))),
    list: unary(async (req) => outList(await rest.list(ns(req.namespace), listRequest(req)))),
    update: unary(async (req) => {
      const obj = body(req.object);
      return out(await rest.update(ns(req.namespace), obj.metadata?.name ?? '', obj, { dryRun: !!req.dryRun, fieldManager: req.fieldManager || undefined }));
    }),
    patch: unary(async (req) => {
      const sub = req.subresource || undefined;
      if (sub !== undefined && sub !== 'status') throw new BadRequestError(`subresource: Unsupported value: "${sub}": supported values: "", "status"`);
      const patch = Buffer.from(req.patch ?? new Uint8Array());
      return out(await rest.patch(ns(req.namespace), req.name ?? '', req.patchType ?? '', patch, { ...patchOptions(req), subresource: sub }));
    }),
    delete: unary(async (req) => {
      const outcome = await rest.delete(ns(req.namespace), req.name ?? '', deleteRequestFrom(req.options ?? {}));
      return { object: out(outcome.object), deleted: outcome.deleted };
    }),
    deleteCollection: unary(async (req) => {
      const list = req.list ?? {};
      return outList(await rest.deleteCollection(ns(list.namespace), listRequest(list), deleteRequestFrom(req.options ?? {})));
    }),
    watch: (call: grpc.ServerWritableStream<any, any>) => void serveWatch(rest, kind, watchEventEncoder(info), call),
  };
  if (rest.subresources.includes('status')) {
    impl.updateStatus = unary(async (req) => {
      const obj = body(req.object);
      return out(await rest.update(ns(req.namespace), obj.metadata?.name ?? '', obj, { dryRun: !!req.dryRun, subresource: 'status' }));
    });
  }
  if (isFinalizable(rest)) {
    impl.finalize = unary(async (req) => {
      const obj = body(req.object);
      return out(await rest.finalize(obj.metadata?.name ?? '', obj, { dryRun: !!req.dryRun }));
    });
  }
  if (isBindable(rest)) {
    const bindingKind = protoKindOf('v1', 'Binding');
    impl.bind = unary(async (req) => {
      if (!req.binding) throw new BadRequestError('binding: Required value');
      return out(await rest.bind(ns(req.namespace), req.name ?? '', objectOf(bindingKind, req.binding, 'binding'), { dryRun: !!req.dryRun }));
    });
  }
  if (isEvictable(rest)) {
    const evictionKind = protoKindOf('policy/v1', 'Eviction');
    const statusKind = protoKindOf('v1', 'Status');
    impl.evict = unary(async (req) => {
      if (!req.eviction) throw new BadRequestError('eviction: Required value');
      await rest.evict(ns(req.namespace), req.name ?? '', objectOf(evictionKind, req.eviction, 'eviction'), { dryRun: !!req.dryRun });
      return toProto(statusKind, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
    });
  }
  if (isTokenRequestable(rest)) {
    const tokenKind = protoKindOf('authentication.k8s.io/v1', 'TokenRequest');
    impl.createToken = unary(async (req) => {
      if (!req.tokenRequest) throw new BadRequestError('token_request: Required value');
      const answer = await rest.createToken(ns(req.namespace), req.name ?? '', objectOf(tokenKind, req.tokenRequest, 'token_request'), { dryRun: !!req.dryRun });
      return toProto(tokenKind, answer);
    });
  }
  if (isScalable(rest)) {
    impl.getScale = unary(async (req) => toProto(scaleKind, await rest.getScale(ns(req.namespace), req.name ?? '')));
    impl.updateScale = unary(async (req) => {
      if (!req.scale) throw new BadRequestError('scale: Required value');
      const scale = objectOf(scaleKind, req.scale, 'scale');
      return toProto(scaleKind, await rest.updateScale(ns(req.namespace), req.name ?? '', scale, { dryRun: !!req.dryRun }));
    });
    impl.patchScale = unary(async (req) => {
      if (req.subresource) throw new BadRequestError(`subresource: Unsupported value: "${req.subresource}": PatchScale patches the scale subresource`);
      const patch = Buffer.from(req.patch ?? new Uint8Array());
      // As UpdateScale and the HTTP door's scale patch: only dry_run applies to a scale write.
      return toProto(scaleKind, await rest.patchScale(ns(req.namespace), req.name ?? '', req.patchType ?? '', patch, { dryRun: !!req.dryRun }));
    });
  }
  return impl as grpc.UntypedServiceImplementation;
}

/** The list options of a ListRequest message (List, and the list part of DeleteCollection). */
function listRequest(req: any): ListRequest {
  return {
    labelSelector: req.labelSelector || undefined,
    fieldSelector: req.fieldSelector || undefined,
    limit: req.limit || undefined,
    continue: req.continue || undefined,
    resourceVersion: req.resourceVersion ?? undefined,
    resourceVersionMatch: req.resourceVersionMatch || undefined,
  };
}

/** The write options of a PatchRequest message: dry run, field manager, (apply) force and field validation. */
function patchOptions(req: any): UpdateRequest {
  return {
    dryRun: !!req.dryRun,
    fieldManager: req.fieldManager || undefined,
    ...(req.force ? { force: true } : {}),
    fieldValidation: parseFieldValidation(req.fieldValidation || null),
  };
}

/** A request's message as a Kubernetes object; a value JSON cannot carry (a time past year 9999) is a 400 naming `field`. */
function objectOf(kind: ProtoKind, message: unknown, field: string): KubeObject {
  try {
    return fromProto(kind, message) as KubeObject;
  } catch (err) {
    if (err instanceof ApiError) throw err;
    throw new BadRequestError(`${field}: ${(err as Error).message}`);
  }
}

/** Marks a request whose bytes did not decode (see tolerantDefinition). */
const MALFORMED = Symbol('malformed request');

/**
 * The service definition with request decoding that never fails the call at the transport:
 * bytes that are not a valid message decode to a marker, and the handler answers it with a
 * 400 BadRequest naming the problem (grpc-js would answer INTERNAL). Server-streamed responses
 * given as a Buffer are sent as they are (already encoded).
 */
export function tolerantDefinition(definition: grpc.ServiceDefinition): grpc.ServiceDefinition {
  const out: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  for (const [name, method] of Object.entries(definition)) {
    out[name] = {
      ...method,
      requestDeserialize: (bytes: Buffer) => {
        try {
          return method.requestDeserialize(bytes);
        } catch (err) {
          return { [MALFORMED]: `${method.path}: the request is not a valid protobuf message: ${(err as Error).message}` };
        }
      },
      // Streamed responses may come encoded already (watch events shared between streams, see serveWatch).
      responseSerialize: method.responseStream ? (value: unknown) => (Buffer.isBuffer(value) ? value : method.responseSerialize(value)) : method.responseSerialize,
    };
  }
  return out as grpc.ServiceDefinition;
}

/** Throws BadRequest for a request marked malformed by tolerantDefinition. */
function checkDecoded(req: any): void {
  if (req && typeof req === 'object' && MALFORMED in req) throw new BadRequestError(String(req[MALFORMED]));
}

/** A unary handler from an async function: its result answers the call, its error becomes the gRPC status. */
function unary(handle: (req: any) => Promise<unknown>): Unary {
  return (call, callback) => {
    let pending: Promise<unknown>;
    try {
      checkDecoded(call.request);
      pending = handle(call.request);
    } catch (err) {
      callback(toGrpcError(err));
      return;
    }
    pending.then(
      (result) => callback(null, result, warningMetadata([...warningsOf(result), ...requestWarnings()])),
      (err) => callback(toGrpcError(err)),
    );
  };
}

/** Kubernetes' warnings as gRPC trailing metadata (`warning`, one value each), or undefined when none. */
function warningMetadata(warnings: readonly string[]): grpc.Metadata | undefined {
  if (warnings.length === 0) return undefined;
  const metadata = new Metadata();
  for (const w of warnings) metadata.add('warning', printableWarning(w));
  return metadata;
}

/** Encoded watch event messages of the cache's shared objects, made once for every watch stream that sends them. */
const watchEventMessages = new EncodingMemo<Buffer>(WATCH_ENCODING_MEMO_BYTES, WATCH_ENCODING_MEMO_OBJECTS);

/** The encoder of the kind's watch event message (its Watch method's response). */
function watchEventEncoder(info: ResourceInfo): (message: unknown) => Buffer {
  const method = serviceDefinition(info).watch;
  if (!method) throw new Error(`no Watch method for ${info.resource}`);
  return method.responseSerialize as (message: unknown) => Buffer;
}

/**
 * Streams a watch through a bounded send buffer (see pumpWatch): every event as a typed
 * message, encoded once for all streams; a start failure (e.g. 410 for a too-old
 * resourceVersion, 400 for a negative timeout_seconds) as the call's error status; the end of
 * the cache watch, the client's cancel or timeout_seconds end the stream with OK. A client
 * that stops reading is cut off once its cache queue fills up: its HTTP/2 stream is reset
 * (RESOURCE_EXHAUSTED at the client), which frees what it buffers, and it re-watches from the
 * last resourceVersion it got.
 */
async function serveWatch(rest: ResourceRest, kind: ProtoKind, encodeMessage: (message: unknown) => Buffer, call: grpc.ServerWritableStream<any, any>): Promise<void> {
  const req = call.request ?? {};
  let watch;
  let timeoutSeconds: number;
  try {
    checkDecoded(req);
    timeoutSeconds = Number(req.timeoutSeconds ?? 0);
    if (!Number.isInteger(timeoutSeconds) || timeoutSeconds < 0) {
      throw new BadRequestError(`timeout_seconds: Invalid value: ${req.timeoutSeconds}: must be greater than or equal to 0`);
    }
    watch = await rest.watch(req.namespace || undefined, {
      labelSelector: req.labelSelector || undefined,
      fieldSelector: req.fieldSelector || undefined,
      resourceVersion: req.resourceVersion || undefined,
      allowWatchBookmarks: !!req.allowWatchBookmarks,
    });
  } catch (err) {
    call.emit('error', toGrpcError(err));
    return;
  }
  await pumpWatch(watch, callSink(call), {
    encode: (event) => encodedBuffer(watchEventMessages.get(event.object, event.type, () => encodeMessage({ type: event.type, object: protoOf(kind, event.object) }))),
    encodeError: (err) => encodedBuffer(encodeMessage({ type: 'ERROR', status: toProto(protoKindOf('v1', 'Status'), statusFromError(err)) })),
    timeoutMs: timeoutSeconds > 0 ? Math.min(timeoutSeconds, MAX_WATCH_TIMEOUT_SECONDS) * 1000 : undefined,
  });
}

/** A server-streaming call as a watch sink: a write is flushed once its HTTP/2 stream took it; abort resets the stream. */
function callSink(call: grpc.ServerWritableStream<unknown, unknown>): WatchSink<Buffer> {
  return {
    write: (chunk, flushed) => void call.write(chunk, () => flushed()),
    end: () => call.end(),
    abort: () => {
      if (!resetServerCall(call)) call.end();
    },
    closed: call.cancelled
      ? Promise.resolve()
      : new Promise<void>((resolve) => {
          call.once('cancelled', () => resolve());
          call.once('close', () => resolve());
        }),
  };
}

/** The message of `obj` (converted once per frozen, cache-shared object: see messageOf). */
function protoOf(kind: ProtoKind, obj: unknown): ProtoMessage {
  return messageOf(kind, obj);
}

function protoKindOf(apiVersion: string, kind: string): ProtoKind {
  const found = findProtoKind(apiVersion, kind);
  if (!found) throw new Error(`no protobuf message for ${apiVersion} ${kind}`);
  return found;
}
