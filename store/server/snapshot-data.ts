import { SnapshotEnvelope } from '../../gen/bosun/store';
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
