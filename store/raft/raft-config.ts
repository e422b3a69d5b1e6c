import { RaftStorage } from './storage';

/** The logger the raft core writes to; messages are constant strings, details go in `obj`. */
export interface RaftLogger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/** A logger that discards everything (the default). */
export const NOOP_RAFT_LOGGER: RaftLogger = {
  debug() {},
  info() {},
  warn() {},
};

/** Configuration of one {@link RaftNode}. Times are in ticks; sizes in bytes. */
export interface RaftConfig {
  /** This member's id (non-zero). */
  id: number;
  /** Read-only view of the durable log; may already contain state (restart). */
  storage: RaftStorage;
  /**
   * Initial voters when bootstrapping a brand-new cluster with empty storage (include self).
   * Every initial member must pass the same set: each writes the same AddNode ConfChange
   * entries at indexes 1..n, term 1, already committed. Ignored unless storage is empty and
   * has no voters. A member joining an existing cluster passes none and learns the
   * membership from the leader's log or snapshot.
   */
  peers?: number[];
  /** Election timeout base; the actual timeout is uniform in [electionTick, 2*electionTick). */
  electionTick: number;
  /** Ticks between leader heartbeats; must be < electionTick. */
  heartbeatTick: number;
  /**
   * Last applied index on restart (default: the snapshot index). If it is past ConfChange
   * entries, storage.initialState().confState must already include them.
   */
  applied?: number;
  /** Max bytes of entries per App message (at least one entry is always sent). */
  maxSizePerMsg: number;
  /** Max un-acknowledged App messages per follower in replicate state. */
  maxInflightMsgs: number;
  /** Max payload bytes of uncommitted entries on the leader; 0/undefined = unlimited. */
  maxUncommittedEntriesSize?: number;
  /** Run a pre-vote round before a real election (Raft thesis §9.6). */
  preVote: boolean;
  /** Leader steps down without a quorum's contact within an election timeout; enables the leader lease. */
  checkQuorum: boolean;
  /** Injected randomness in [0,1) for randomized election timeouts. */
  random: () => number;
  /** Optional logger; defaults to {@link NOOP_RAFT_LOGGER}. */
  logger?: RaftLogger;
}

/**
 * Outcome of a proposal: 'ok' (appended on the leader, or forwarded to the known leader —
 * not a promise it commits), 'not-leader' (no leader known), 'dropped' (leadership transfer
 * in progress, uncommitted-size limit reached, a conf change already pending, or this
 * leader was removed).
 */
export type ProposeResult = 'ok' | 'not-leader' | 'dropped';

/** Throws a RangeError describing the first invalid setting in `c`. */
export function validateRaftConfig(c: RaftConfig): void {
  const positiveInt = (v: number) => Number.isSafeInteger(v) && v > 0;
  if (!positiveInt(c.id)) throw new RangeError(`raft config: id must be a positive integer, got ${c.id}`);
  if (!positiveInt(c.heartbeatTick)) throw new RangeError(`raft config: heartbeatTick must be > 0, got ${c.heartbeatTick}`);
  if (!Number.isSafeInteger(c.electionTick) || c.electionTick <= c.heartbeatTick) {
    throw new RangeError(`raft config: electionTick (${c.electionTick}) must be > heartbeatTick (${c.heartbeatTick})`);
  }
  if (!positiveInt(c.maxInflightMsgs)) throw new RangeError(`raft config: maxInflightMsgs must be > 0, got ${c.maxInflightMsgs}`);
  if (!(c.maxSizePerMsg >= 0)) throw new RangeError(`raft config: maxSizePerMsg must be >= 0, got ${c.maxSizePerMsg}`);
  if (c.maxUncommittedEntriesSize !== undefined && !(c.maxUncommittedEntriesSize >= 0)) {
    throw new RangeError(`raft config: maxUncommittedEntriesSize must be >= 0, got ${c.maxUncommittedEntriesSize}`);
  }
  if (c.applied !== undefined && !(Number.isSafeInteger(c.applied) && c.applied >= 0)) {
    throw new RangeError(`raft config: applied must be a non-negative integer, got ${c.applied}`);
  }
  for (const p of c.peers ?? []) {
    if (!positiveInt(p)) throw new RangeError(`raft config: peer ids must be positive integers, got ${p}`);
  }
}
