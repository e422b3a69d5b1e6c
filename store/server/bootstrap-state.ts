import { DurableLog } from '../storage/durable-log';
import { Membership } from './membership';
import { encodeSnapshotData } from './snapshot-data';

/** Raft index of the snapshot every member of a new cluster starts from. */
export const BOOTSTRAP_INDEX = 1;
/** Raft term of that snapshot (and of the members' first hard state). */
export const BOOTSTRAP_TERM = 1;

/**
 * Writes the first durable state of a member of a new cluster: a raft snapshot at
 * BOOTSTRAP_INDEX holding `membership` and the MVCC state `mvcc`, committed. Every initial
 * member derives the same bytes (from --initial-cluster, and from the same backup file when
 * restoring), so they start as one consistent cluster without exchanging anything.
 */
export async function writeBootstrapState(durable: DurableLog, membership: Membership, mvcc: Uint8Array): Promise<void> {
  await durable.save(
    {
      hardState: { term: BOOTSTRAP_TERM, vote: 0, commit: BOOTSTRAP_INDEX },
      entries: [],
      snapshot: {
        metadata: { index: BOOTSTRAP_INDEX, term: BOOTSTRAP_TERM, confState: { voters: membership.voters(), learners: [] } },
        data: encodeSnapshotData(membership, mvcc),
      },
    },
    true,
  );
}
