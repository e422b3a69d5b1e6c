import { BinaryReader, BinaryWriter } from '@bufbuild/protobuf/wire';

/**
 * Wire codecs for the etcd v3 messages that survive 64-bit integers outside JavaScript's safe
 * range.
 *
 * The generated ts-proto types carry every int64/uint64 as `number`, and their decoders throw
 * "Value is larger than Number.MAX_SAFE_INTEGER" for anything above 2^53. A real etcd puts
 * random 64-bit cluster and member IDs in every ResponseHeader (and issues random lease IDs),
 * so plain generated decoding fails on nearly every response. The generated `decode`/`encode`
 * accept a caller-supplied reader/writer and pass it down to nested messages, so this module
 * substitutes a reader that replaces each unsafe value with a stable negative alias (always a
 * safe integer, never a legal revision) and a writer that turns the alias back into the
 * original 64-bit value when the number is sent to the server again. Safe values pass
 * through untouched.
 *
 * Aliases are process-wide and deterministic: alias = -2^52 - (low 52 bits of the value).
 */

/**
 * Aliases live in [ALIAS_MIN, ALIAS_MAX] = [-(2^53 - 1), -2^52]: safe integers far below any
 * negative value etcd sends (TTL -1 is the only one in practice).
 */
const ALIAS_MAX = -(2 ** 52);
const ALIAS_MIN = Number.MIN_SAFE_INTEGER;
const LOW_52_BITS = (1n << 52n) - 1n;
const SAFE_MAX = BigInt(Number.MAX_SAFE_INTEGER);
const SAFE_MIN = BigInt(Number.MIN_SAFE_INTEGER);

const originals = new Map<number, bigint>();

/** Returns the safe stand-in for a 64-bit value read from the wire. */
function aliasOf(value: bigint | string): bigint | string {
  const big = typeof value === 'bigint' ? value : BigInt(value);
  if (big <= SAFE_MAX && big >= SAFE_MIN) return value;
  const alias = ALIAS_MAX - Number(big & LOW_52_BITS);
  const known = originals.get(alias);
  if (known !== undefined && known !== big) {
    throw new Error(`int64 alias collision: ${known} and ${big} both fold to ${alias}`);
  }
  originals.set(alias, big);
  return BigInt(alias);
}

/** Returns the wire value for a number that may be an alias made by `aliasOf`. */
function originalOf(value: string | number | bigint): string | number | bigint {
  if (typeof value !== 'number' || value > ALIAS_MAX || value < ALIAS_MIN) return value;
  return originals.get(value) ?? value;
}

/** True when `n` stands for a 64-bit value that JavaScript numbers cannot hold exactly. */
export function isInt64Alias(n: number): boolean {
  return originals.has(n);
}

/** The exact decimal text of a number that may be an alias (for logs and comparisons). */
export function int64ToString(n: number): string {
  return originalOf(n).toString();
}

class SafeInt64Reader extends BinaryReader {
  override int64(): bigint | string {
    return aliasOf(super.int64());
  }
  override uint64(): bigint | string {
    return aliasOf(super.uint64());
  }
}

class SafeInt64Writer extends BinaryWriter {
  // An alias keeps the 64 bits it stands for; reinterpret them for the field's signedness.
  override int64(value: string | number | bigint): this {
    const v = originalOf(value);
    return super.int64(typeof v === 'bigint' ? BigInt.asIntN(64, v) : v);
  }
  override uint64(value: string | number | bigint): this {
    const v = originalOf(value);
    return super.uint64(typeof v === 'bigint' ? BigInt.asUintN(64, v) : v);
  }
}

/** The encode/decode pair of one generated message type. */
export interface MessageCodec<T> {
  encode(message: T, writer?: BinaryWriter): BinaryWriter;
  decode(input: BinaryReader | Uint8Array, length?: number): T;
}

/** Serializes `message` with the alias-aware writer. */
export function encodeMessage<T>(codec: MessageCodec<T>, message: T): Buffer {
  return Buffer.from(codec.encode(message, new SafeInt64Writer()).finish());
}

/** Deserializes `bytes` with the alias-aware reader. */
export function decodeMessage<T>(codec: MessageCodec<T>, bytes: Uint8Array): T {
  return codec.decode(new SafeInt64Reader(bytes));
}
