import { BinaryReader } from '@bufbuild/protobuf/wire';
import { PutRequest, PutResponse, RangeRequest, RangeResponse, StatusRequest, StatusResponse, WatchRequest, WatchResponse } from '../../gen/etcd/rpc';
import { frameMessage, GrpcLiteChannel } from './grpc-lite';

/**
 * The few etcd v3 API calls the store benchmark makes, as framed protobuf bytes for
 * grpc-lite. Requests are encoded with the ts-proto codecs in gen/etcd/rpc.ts; building them
 * ahead of a timed phase keeps encoding out of the measured client CPU.
 */

export const KV_PUT = '/etcdserverpb.KV/Put';
export const KV_RANGE = '/etcdserverpb.KV/Range';
export const MAINTENANCE_STATUS = '/etcdserverpb.Maintenance/Status';
export const WATCH_WATCH = '/etcdserverpb.Watch/Watch';

/** Deadline of a Status probe. */
const STATUS_TIMEOUT_MS = 1_000;

/** A framed PutRequest of `key` → `value`. */
export function framedPut(key: string, value: Buffer): Buffer {
  const req: PutRequest = { key: Buffer.from(key), value, lease: 0, prevKv: false, ignoreValue: false, ignoreLease: false };
  return frameMessage(PutRequest.encode(req).finish());
}

/** A framed single-key RangeRequest. */
export function framedRange(key: string, serializable: boolean): Buffer {
  const req: RangeRequest = {
    ...RangeRequest.fromPartial({}),
    key: Buffer.from(key),
    serializable,
  };
  return frameMessage(RangeRequest.encode(req).finish());
}

/** A framed WatchRequest creating a watch on one key (rangeEnd empty) or a range. */
export function framedWatchCreate(key: string, rangeEnd = ''): Buffer {
  const req: WatchRequest = {
    createRequest: {
      key: Buffer.from(key),
      rangeEnd: Buffer.from(rangeEnd),
      startRevision: 0,
      progressNotify: false,
      filters: [],
      prevKv: false,
      watchId: 0,
      fragment: false,
    },
  };
  return frameMessage(WatchRequest.encode(req).finish());
}

/**
 * A reader for the generated decoders that folds 64-bit integers into the safe range: etcd
 * sends random 64-bit cluster and member IDs in every ResponseHeader, which the generated
 * `number` fields cannot hold (their decoder throws). Folding keeps the low 53 bits, signed, so
 * small values (revisions, terms) are exact and IDs stay distinct for comparison.
 */
class FoldingInt64Reader extends BinaryReader {
  override int64(): bigint | string {
    return fold(super.int64());
  }
  override uint64(): bigint | string {
    return fold(super.uint64());
  }
}

function fold(v: bigint | string): bigint {
  return BigInt.asIntN(53, typeof v === 'bigint' ? v : BigInt(v));
}

/** Decoders used to check that responses are well-formed. */
export const decodePut = (b: Buffer): PutResponse => PutResponse.decode(new FoldingInt64Reader(b));
export const decodeRange = (b: Buffer): RangeResponse => RangeResponse.decode(new FoldingInt64Reader(b));
export const decodeWatch = (b: Buffer): WatchResponse => WatchResponse.decode(new FoldingInt64Reader(b));
export const decodeStatus = (b: Buffer): StatusResponse => StatusResponse.decode(new FoldingInt64Reader(b));

const FRAMED_STATUS_REQUEST = frameMessage(StatusRequest.encode({}).finish());

/** Maintenance.Status of one member over a short-lived connection. */
export async function memberStatusLite(endpoint: string, timeoutMs = STATUS_TIMEOUT_MS): Promise<StatusResponse> {
  const ch = new GrpcLiteChannel(endpoint);
  try {
    const msg = await ch.call(MAINTENANCE_STATUS, FRAMED_STATUS_REQUEST, timeoutMs);
    return decodeStatus(msg);
  } finally {
    ch.close();
  }
}

/**
 * Index (into `endpoints`) of the member that says it is the leader, or -1 when none does.
 * Members that do not answer are skipped.
 */
export async function findLeader(endpoints: readonly string[]): Promise<number> {
  const statuses = await Promise.all(endpoints.map((e) => memberStatusLite(e).catch(() => undefined)));
  return statuses.findIndex((s) => s !== undefined && s.leader !== 0 && s.leader === s.header?.memberId);
}
