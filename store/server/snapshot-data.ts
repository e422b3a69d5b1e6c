import { SnapshotEnvelope } from '../../gen/bosun/store';
import { serializeCaptured, SnapshotCapture } from '../mvcc/snapshot';
import { Membership } from './membership';

/**
 * The data of a store member's raft snapshot: the membership and the MVCC state, in one
 * envelope (proto SnapshotEnvelope). Installing a snapshot replaces both.
 */
export function encodeSnapshotData(membership: Membership, mvcc: Uint8Array): Uint8Array {
  return SnapshotEnvelope.encode({
    members: membership.list(),
    removed: membership.removedIds(),
    mvcc: Buffer.from(mvcc.buffer, mvcc.byteOffset, mvcc.byteLength),
  }).finish();
}

export function decodeSnapshotData(data: Uint8Array): { membership: Membership; mvcc: Uint8Array } {
  const env = SnapshotEnvelope.decode(data);
  return { membership: Membership.restore(env.members, env.removed), mvcc: env.mvcc };
}

/** Protobuf key of SnapshotEnvelope.mvcc: field 3, wire type 2 (length-delimited). */
const MVCC_FIELD_KEY = (3 << 3) | 2;

/**
 * The envelope's bytes up to where the MVCC state goes, for an MVCC state of `mvccBytes`
 * bytes: the membership fields, then mvcc's key and length. Followed by the state, this is
 * exactly encodeSnapshotData's output (fields in number order, mvcc last), without building
 * the state twice.
 */
export function snapshotDataPrefix(membership: Membership, mvccBytes: number): Uint8Array {
  const head = SnapshotEnvelope.encode({ members: membership.list(), removed: membership.removedIds(), mvcc: Buffer.alloc(0) }).finish();
  const len: number[] = [];
  for (let n = mvccBytes; ; n = Math.floor(n / 128)) {
    if (n < 128) {
      len.push(n);
      break;
    }
    len.push((n % 128) | 0x80);
  }
  return Buffer.concat([head, Buffer.from([MVCC_FIELD_KEY, ...len])]);
}

/**
 * Serializes a captured MVCC state into snapshot data with `membership` (which the caller
 * captured at the same applied index, as a copy), in slices that yield to the event loop; see
 * serializeCaptured. Equal to encodeSnapshotData of the same state.
 */
export function serializeSnapshotData(membership: Membership, capture: SnapshotCapture, signal?: AbortSignal): Promise<Buffer> {
  return serializeCaptured(capture, { prefix: (bytes) => snapshotDataPrefix(membership, bytes), signal });
}
