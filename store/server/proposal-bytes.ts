import { BinaryWriter } from '@bufbuild/protobuf/wire';
import type { ServiceDefinition } from '@grpc/grpc-js';
import { InternalRequest } from '../../gen/bosun/store';
import { SaturatingInt64Reader } from '../../lib/proto/saturating-int64';

/**
 * The bytes of a proposal (an InternalRequest in a raft entry), made without re-encoding the
 * client's request where possible.
 *
 * A write from a client arrives as protobuf bytes that gRPC decodes; proposing it used to encode
 * the decoded request again, field by field, only for every member to decode it at apply: about
 * a twentieth of the leader's CPU under a put load. The decoded request is checked by the API
 * handler and never changed, so its bytes say the same thing: a proposal frames them as its
 * oneof field, next to the id and proposer fields (a protobuf decoder takes fields in any order).
 *
 * Both sides decode with {@link SaturatingInt64Reader}, so a framed request decodes at apply to
 * exactly what the handler saw, on every member.
 */

/** The bytes each request was decoded from (held only as long as the request object lives). */
const decodedFrom = new WeakMap<object, Uint8Array>();

/** InternalRequest's oneof fields that carry a client's write as it came, by field number. */
const FRAMED_FIELDS = [
  ['put', 10],
  ['deleteRange', 11],
  ['txn', 12],
] as const;

/** Protobuf wire type of a length-delimited field. */
const LENGTH_DELIMITED = 2;

/**
 * The same service definition; each request of the named methods remembers the bytes it was
 * decoded from, for {@link encodeProposal}.
 */
export function rememberingRequestBytes<S extends ServiceDefinition>(service: S, methods: readonly (keyof S & string)[]): S {
  const out: Record<string, unknown> = { ...service };
  for (const name of methods) {
    const method = service[name];
    const decode = method.requestDeserialize as (b: Buffer) => unknown;
    out[name] = {
      ...method,
      requestDeserialize: (bytes: Buffer) => {
        const req = decode(bytes);
        if (typeof req === 'object' && req !== null) decodedFrom.set(req, bytes);
        return req;
      },
    };
  }
  return out as S;
}

/**
 * Encodes `req` with `id` and `proposer` as an InternalRequest: a client's put, delete or txn by
 * framing the bytes it was decoded from, anything else through the generated encoder.
 */
export function encodeProposal(req: Omit<InternalRequest, 'id' | 'proposer'>, id: number, proposer: number): Uint8Array {
  for (const [name, field] of FRAMED_FIELDS) {
    const inner = req[name];
    if (inner === undefined) continue;
    const bytes = decodedFrom.get(inner);
    if (bytes === undefined) break;
    const w = new BinaryWriter().uint32((field << 3) | LENGTH_DELIMITED).bytes(bytes);
    if (id !== 0) w.uint32(8).uint64(id);
    if (proposer !== 0) w.uint32(16).uint64(proposer);
    return w.finish();
  }
  return InternalRequest.encode({ ...req, id, proposer } as InternalRequest).finish();
}

/** Decodes a proposal as every member applies it (64-bit integers clamped as the API decodes them). */
export function decodeProposal(data: Uint8Array): InternalRequest {
  return InternalRequest.decode(new SaturatingInt64Reader(data));
}
