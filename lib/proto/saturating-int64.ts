import { BinaryReader } from '@bufbuild/protobuf/wire';
import type { ServiceDefinition } from '@grpc/grpc-js';

const SAFE_MAX = BigInt(Number.MAX_SAFE_INTEGER);
const SAFE_MIN = BigInt(Number.MIN_SAFE_INTEGER);

function clamp(v: bigint | string): bigint | string {
  const big = typeof v === 'bigint' ? v : BigInt(v);
  if (big > SAFE_MAX) return SAFE_MAX;
  if (big < SAFE_MIN) return SAFE_MIN;
  return v;
}

/**
 * A protobuf reader that clamps 64-bit integers to JavaScript's safe range instead of failing.
 *
 * Our generated types hold int64 fields as numbers. Every id and revision a Bosun server hands
 * out fits, so a value beyond 2^53 in a request can only name something that does not exist:
 * clamped to ±(2^53 - 1) it is still an unknown lease or member, or a future revision, and the
 * request gets the same answer etcd gives, instead of failing to decode.
 */
export class SaturatingInt64Reader extends BinaryReader {
  override int64(): bigint | string {
    return clamp(super.int64());
  }
  override uint64(): bigint | string {
    return clamp(super.uint64());
  }
  override sint64(): bigint | string {
    return clamp(super.sint64());
  }
  override fixed64(): bigint | string {
    return clamp(super.fixed64());
  }
  override sfixed64(): bigint | string {
    return clamp(super.sfixed64());
  }
}

/**
 * The same service definition with requests decoded through SaturatingInt64Reader. The
 * generated decoders accept a reader in place of bytes, so their own deserializers are reused.
 */
export function withSaturatingRequests<S extends ServiceDefinition>(service: S): S {
  const out: Record<string, unknown> = {};
  for (const [name, method] of Object.entries(service)) {
    const decode = method.requestDeserialize as (b: Buffer) => unknown;
    out[name] = { ...method, requestDeserialize: (bytes: Buffer) => decode(new SaturatingInt64Reader(bytes) as unknown as Buffer) };
  }
  return out as S;
}
