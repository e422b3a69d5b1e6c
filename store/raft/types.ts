/**
 * Raft data types shared by the consensus core, its storage and the member loop.
 *
 * Terms, indexes and member ids are plain numbers: they stay far below 2^53 in any
 * realistic cluster, and keeping them as numbers keeps the hot path free of bigint.
 * Member id 0 means "none" (no vote, no leader).
 */

/** Member id meaning "nobody" (no leader known, no vote cast). */
export const NONE = 0;

export enum EntryType {
  /** An application command (or an empty entry a new leader appends to commit its term). */
  Normal = 0,
  /** A membership change; `data` is an encoded {@link ConfChange} (see conf-change.ts). */
  ConfChange = 1,
}

/** One log entry. `data` is opaque to raft for Normal entries. */
export interface Entry {
  term: number;
  index: number;
  type: EntryType;
  data: Uint8Array;
}

/** What must be on stable storage before any message is sent (Raft §5.1, §5.2). */
export interface HardState {
  term: number;
  /** Candidate voted for in `term`, or NONE. */
  vote: number;
  commit: number;
}

/** The voting membership of the cluster, as of some log index. */
export interface ConfState {
  voters: number[];
  /** Non-voting members that receive the log (used while a new member catches up). */
  learners: number[];
}

export enum ConfChangeType {
  AddNode = 0,
  RemoveNode = 1,
  AddLearnerNode = 2,
}

/** A single-member membership change, carried by a ConfChange entry. */
export interface ConfChange {
  type: ConfChangeType;
  nodeId: number;
  /** Opaque to raft; the member loop stores e.g. the new member's peer URLs here. */
  context: Uint8Array;
}

export interface SnapshotMetadata {
  /** Last log index covered by the snapshot. */
  index: number;
  /** Term of the entry at `index`. */
  term: number;
  confState: ConfState;
}

/** A point-in-time image of the applied state machine. `data` is opaque to raft. */
export interface Snapshot {
  metadata: SnapshotMetadata;
  data: Uint8Array;
}

export enum MessageType {
  /** Local: start an election (sent by tick or campaign(); never on the wire). */
  Hup = 0,
  /** Local: leader sends heartbeats (never on the wire). */
  Beat = 1,
  /** A client proposal; forwarded follower → leader when allowed. */
  Prop = 2,
  App = 3,
  AppResp = 4,
  Vote = 5,
  VoteResp = 6,
  Snap = 7,
  Heartbeat = 8,
  HeartbeatResp = 9,
  /** Local: the transport could not reach `from` (the member loop reports it). */
  Unreachable = 10,
  /** Local: result of sending a snapshot (`reject` = failure). */
  SnapStatus = 11,
  /** Local: leader checks it still hears from a quorum (check-quorum). */
  CheckQuorum = 12,
  /** Ask the leader (or self) to hand leadership to `from`. */
  TransferLeader = 13,
  /** Sent by the old leader: the receiver should campaign at once, ignoring lease checks. */
  TimeoutNow = 14,
  /** A linearizable read request; `entries[0].data` is the request context. */
  ReadIndex = 15,
  ReadIndexResp = 16,
  PreVote = 17,
  PreVoteResp = 18,
}

/** A raft message between members (or a local input to step()). */
export interface Message {
  type: MessageType;
  to: number;
  from: number;
  term: number;
  /** For App: term of the entry at `index`; for Vote/PreVote: candidate's last log term. */
  logTerm: number;
  /** For App: index of the entry preceding `entries`; for responses: the index acknowledged or rejected. */
  index: number;
  entries: Entry[];
  commit: number;
  snapshot?: Snapshot;
  reject: boolean;
  /** For a rejected AppResp: the follower's hint at where the logs may match. */
  rejectHint: number;
  /** Opaque context (ReadIndex request ids, campaign-transfer marker). */
  context: Uint8Array;
}

export enum StateRole {
  Follower = 0,
  Candidate = 1,
  Leader = 2,
  PreCandidate = 3,
}

/** Volatile state that the member loop may want to observe; never persisted. */
export interface SoftState {
  lead: number;
  role: StateRole;
}

/** A ReadIndex result: once `applied >= index`, reads for `requestCtx` are linearizable. */
export interface ReadState {
  index: number;
  requestCtx: Uint8Array;
}

/**
 * Everything raft asks the caller to do, in this order:
 *  1. persist `snapshot` (if any), `entries` and `hardState` (fsync if `mustSync`);
 *  2. send `messages`;
 *  3. apply `snapshot` then `committedEntries` to the state machine;
 *  4. call `advance()`.
 */
export interface Ready {
  softState?: SoftState;
  hardState?: HardState;
  readStates: ReadState[];
  /** Unstable entries to append to stable storage before sending messages. */
  entries: Entry[];
  snapshot?: Snapshot;
  /** Committed entries to apply; already on stable storage. */
  committedEntries: Entry[];
  messages: Message[];
  /** True when hardState (term/vote) or entries changed, i.e. the write must be fsynced. */
  mustSync: boolean;
}

/** Replication progress the leader keeps per follower, exposed for status/debugging. */
export interface ProgressStatus {
  match: number;
  next: number;
  state: 'probe' | 'replicate' | 'snapshot';
}

/** A snapshot of the node's state for status APIs and tests. */
export interface RaftStatus {
  id: number;
  hardState: HardState;
  softState: SoftState;
  applied: number;
  leadTransferee: number;
  /** Only on the leader. */
  progress?: Map<number, ProgressStatus>;
  confState: ConfState;
}

/** Creates a message with every field defaulted; callers set what they need. */
export function newMessage(fields: Partial<Message> & Pick<Message, 'type'>): Message {
  return {
    to: NONE,
    from: NONE,
    term: 0,
    logTerm: 0,
    index: 0,
    entries: [],
    commit: 0,
    reject: false,
    rejectHint: 0,
    context: new Uint8Array(0),
    ...fields,
  };
}

/** True for messages a node produces for itself and never sends over the wire. */
export function isLocalMessage(t: MessageType): boolean {
  return (
    t === MessageType.Hup ||
    t === MessageType.Beat ||
    t === MessageType.Unreachable ||
    t === MessageType.SnapStatus ||
    t === MessageType.CheckQuorum
  );
}

/** True for responses (they never trigger a term bump on the receiver by themselves). */
export function isResponseMessage(t: MessageType): boolean {
  return (
    t === MessageType.AppResp ||
    t === MessageType.VoteResp ||
    t === MessageType.HeartbeatResp ||
    t === MessageType.Unreachable ||
    t === MessageType.ReadIndexResp ||
    t === MessageType.PreVoteResp
  );
}
