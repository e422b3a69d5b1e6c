import * as grpc from '@grpc/grpc-js';
import { BinaryReader, BinaryWriter } from '@bufbuild/protobuf/wire';

/**
 * grpc.health.v1.Health, served by every Bosun gRPC server: Check, Watch and List.
 *
 * Its three messages are a field or two each, so they are encoded here by hand. The
 * grpc-health-check package builds the same service from its .proto through proto-loader and
 * protobufjs when it is imported, which cost every component about 5 MB of memory at start
 * for a service that answers one status.
 */

/** HealthCheckResponse.ServingStatus, by name. */
export type ServingStatus = 'UNKNOWN' | 'SERVING' | 'NOT_SERVING' | 'SERVICE_UNKNOWN';
/** The status of each service name ('' = the whole server). */
export type ServingStatusMap = Record<string, ServingStatus>;

const STATUS_NAMES: readonly ServingStatus[] = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'];
/** List answers RESOURCE_EXHAUSTED beyond this many services, as the protocol allows. */
const MAX_LISTED_SERVICES = 100;

/** The service's full name, as reflection lists it. */
export const HEALTH_SERVICE_NAME = 'grpc.health.v1.Health';

interface CheckRequest {
  service: string;
}
interface CheckResponse {
  status: ServingStatus;
}
interface ListResponse {
  statuses: Record<string, CheckResponse>;
}

/** HealthCheckRequest { string service = 1; } */
export function encodeCheckRequest(req: CheckRequest): Buffer {
  const w = new BinaryWriter();
  if (req.service !== '') w.uint32(10).string(req.service);
  return Buffer.from(w.finish());
}

function decodeCheckRequest(bytes: Uint8Array): CheckRequest {
  const r = new BinaryReader(bytes);
  const req: CheckRequest = { service: '' };
  while (r.pos < r.len) {
    const [field, wireType] = r.tag();
    if (field === 1 && wireType === 2) req.service = r.string();
    else r.skip(wireType);
  }
  return req;
}

function writeStatus(w: BinaryWriter, status: ServingStatus): BinaryWriter {
  const n = STATUS_NAMES.indexOf(status);
  return n > 0 ? w.uint32(8).int32(n) : w;
}

/** HealthCheckResponse { ServingStatus status = 1; } */
function encodeCheckResponse(res: CheckResponse): Buffer {
  return Buffer.from(writeStatus(new BinaryWriter(), res.status).finish());
}

/** Decodes a HealthCheckResponse; an unknown number reads as UNKNOWN. */
export function decodeCheckResponse(bytes: Uint8Array): CheckResponse {
  const r = new BinaryReader(bytes);
  let status: ServingStatus = 'UNKNOWN';
  while (r.pos < r.len) {
    const [field, wireType] = r.tag();
    if (field === 1 && wireType === 0) status = STATUS_NAMES[r.int32()] ?? 'UNKNOWN';
    else r.skip(wireType);
  }
  return { status };
}

/** HealthListResponse { map<string, HealthCheckResponse> statuses = 1; } (entries: key = 1, value = 2). */
function encodeListResponse(res: ListResponse): Buffer {
  const w = new BinaryWriter();
  for (const [service, { status }] of Object.entries(res.statuses)) {
    w.uint32(10).fork().uint32(10).string(service);
    writeStatus(w.uint32(18).fork(), status).join();
    w.join();
  }
  return Buffer.from(w.finish());
}

function decodeListResponse(bytes: Uint8Array): ListResponse {
  const r = new BinaryReader(bytes);
  const statuses: Record<string, CheckResponse> = {};
  while (r.pos < r.len) {
    const [field, wireType] = r.tag();
    if (field !== 1 || wireType !== 2) {
      r.skip(wireType);
      continue;
    }
    const entry = new BinaryReader(r.bytes());
    let key = '';
    let value: CheckResponse = { status: 'UNKNOWN' };
    while (entry.pos < entry.len) {
      const [f, t] = entry.tag();
      if (f === 1 && t === 2) key = entry.string();
      else if (f === 2 && t === 2) value = decodeCheckResponse(entry.bytes());
      else entry.skip(t);
    }
    statuses[key] = value;
  }
  return { statuses };
}

/** A message's (de)serializer pair as grpc-js takes them. */
const codec = <T>(encode: (v: T) => Buffer, decode: (b: Uint8Array) => T) => ({ serialize: encode, deserialize: (b: Buffer) => decode(b) });
const checkRequest = codec(encodeCheckRequest, decodeCheckRequest);
const checkResponse = codec(encodeCheckResponse, decodeCheckResponse);

function method<Req, Res>(name: string, responseStream: boolean, req: { serialize: (v: Req) => Buffer; deserialize: (b: Buffer) => Req }, res: { serialize: (v: Res) => Buffer; deserialize: (b: Buffer) => Res }): grpc.MethodDefinition<Req, Res> {
  return {
    path: `/${HEALTH_SERVICE_NAME}/${name}`,
    requestStream: false,
    responseStream,
    requestSerialize: req.serialize,
    requestDeserialize: req.deserialize,
    responseSerialize: res.serialize,
    responseDeserialize: res.deserialize,
    originalName: name.charAt(0).toLowerCase() + name.slice(1),
  };
}

/** The service definition, for servers and for clients (grpc.makeClientConstructor). */
export const HEALTH_SERVICE: grpc.ServiceDefinition = {
  check: method<CheckRequest, CheckResponse>('Check', false, checkRequest, checkResponse),
  watch: method<CheckRequest, CheckResponse>('Watch', true, checkRequest, checkResponse),
  list: method<Record<string, never>, ListResponse>('List', false, codec(() => Buffer.alloc(0), () => ({})), codec(encodeListResponse, decodeListResponse)),
};

/** The serving statuses of one server, answering Check, Watch and List. */
export class HealthService {
  private readonly statuses = new Map<string, ServingStatus>();
  private readonly watchers = new Map<string, Set<(status: ServingStatus) => void>>();

  constructor(initial: ServingStatusMap = { '': 'SERVING' }) {
    for (const [service, status] of Object.entries(initial)) this.statuses.set(service, status);
  }

  /** Sets a service's status and tells its watchers. */
  setStatus(service: string, status: ServingStatus): void {
    this.statuses.set(service, status);
    for (const tell of this.watchers.get(service) ?? []) tell(status);
  }

  /** Serves grpc.health.v1.Health on `server`. */
  addToServer(server: Pick<grpc.Server, 'addService'>): void {
    server.addService(HEALTH_SERVICE, {
      check: (call: grpc.ServerUnaryCall<CheckRequest, CheckResponse>, callback: grpc.sendUnaryData<CheckResponse>) => {
        const status = this.statuses.get(call.request.service);
        if (status === undefined) callback({ code: grpc.status.NOT_FOUND, details: `Health status unknown for service ${call.request.service}` });
        else callback(null, { status });
      },
      watch: (call: grpc.ServerWritableStream<CheckRequest, CheckResponse>) => {
        const service = call.request.service;
        const tell = (status: ServingStatus): void => {
          call.write({ status });
        };
        let set = this.watchers.get(service);
        if (set === undefined) this.watchers.set(service, (set = new Set()));
        set.add(tell);
        call.on('cancelled', () => {
          set.delete(tell);
          if (set.size === 0 && this.watchers.get(service) === set) this.watchers.delete(service);
        });
        tell(this.statuses.get(service) ?? 'SERVICE_UNKNOWN');
      },
      list: (_call: grpc.ServerUnaryCall<unknown, ListResponse>, callback: grpc.sendUnaryData<ListResponse>) => {
        if (this.statuses.size > MAX_LISTED_SERVICES) {
          callback({ code: grpc.status.RESOURCE_EXHAUSTED, details: `more than ${MAX_LISTED_SERVICES} services to list` });
          return;
        }
        const statuses: Record<string, CheckResponse> = {};
        for (const [service, status] of this.statuses) statuses[service] = { status };
        callback(null, { statuses });
      },
    });
  }
}
