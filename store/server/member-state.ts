import * as path from 'node:path';
import type { Logger } from 'pino';
import { MemoryStorage } from '../raft/memory-storage';
import { DurableLog } from '../storage/durable-log';
import { writeBootstrapState } from './bootstrap-state';
import type { MemberConfig } from './member-config';
import { resolveMemberId } from './member-identity';
import { Membership } from './membership';
import { decodeSnapshotData } from './snapshot-data';
import { StateMachine } from './state-machine';

/** A member's state as its data directory holds it, ready for the member to run on. */
export interface MemberState {
  readonly id: number;
  /** The open durable log; the member owns (and closes) it from here on. */
  readonly durable: DurableLog;
  /** Raft's view of the durable log: hard state, latest snapshot, entries after it. */
  readonly storage: MemoryStorage;
  /** The state machine as of the latest snapshot (entries after it are replayed by raft). */
  readonly sm: StateMachine;
  /** The membership as of the latest snapshot. */
  readonly membership: Membership;
}

/**
 * Opens (or creates) the member's data directory. A brand-new member of a new cluster writes
 * the bootstrap snapshot that every initial member derives identically from --initial-cluster;
 * a member joining an existing cluster starts empty and receives a snapshot from the leader.
 * On failure the durable log is closed again and the error thrown.
 */
export async function loadMemberState(config: MemberConfig, logger: Logger): Promise<MemberState> {
  const durable = await DurableLog.open(path.join(config.dataDir, 'raft'), { logger });
  try {
    let state = await durable.load();
    const id = await resolveMemberId(config, durable, state, logger);
    const fresh = !state.snapshot && state.entries.length === 0 && state.hardState.term === 0;
    if (fresh && config.initialClusterState === 'new') {
      const membership = Membership.initial(config.initialCluster, config.initialClusterToken);
      await writeBootstrapState(durable, membership, StateMachine.empty(config).serialize());
      state = await durable.load();
    }
    const storage = MemoryStorage.restore({ hardState: state.hardState, snapshot: state.snapshot, entries: state.entries });
    if (state.snapshot) {
      const decoded = decodeSnapshotData(state.snapshot.data);
      const sm = StateMachine.restore(config, decoded.mvcc);
      // The state machine holds what the data says; a follower that needs it gets it from disk.
      storage.releaseSnapshotData((index) => durable.readSnapshotData(index));
      return { id, durable, storage, membership: decoded.membership, sm };
    }
    // Joining an existing cluster: dial the members named on the command line until the
    // leader's snapshot tells us the real membership.
    const membership = Membership.initial(config.initialCluster, config.initialClusterToken);
    return { id, durable, storage, membership, sm: StateMachine.empty(config) };
  } catch (err) {
    await durable.close();
    throw err;
  }
}
