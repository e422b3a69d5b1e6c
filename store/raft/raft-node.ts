import { encodeConfChange } from './conf-change';
import { payloadSizeBytes } from './entry-size';
import { RaftInvariantError } from './errors';
import { invalidPeerMessageReason } from './message-validation';
import { NOOP_RAFT_LOGGER, ProposeResult, RaftConfig, RaftLogger, validateRaftConfig } from './raft-config';
import { RaftCore } from './raft-core';
import {
  ConfChange,
  ConfState,
  Entry,
  EntryType,
  HardState,
  Message,
  MessageType,
  newMessage,
  NONE,
  ProgressStatus,
  RaftStatus,
  Ready,
  SoftState,
  StateRole,
} from './types';

export { ProposeResult, RaftConfig, RaftLogger } from './raft-config';

function hardStateEqual(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}

/**
 * One raft member as a pure, deterministic state machine (etcd's RawNode).
 *
 * Inputs: tick(), step() for peer messages, and the proposal / control methods. Outputs:
 * ready(), which the member loop handles in order — persist snapshot, entries and hard state
 * (fsync when mustSync), send messages, apply snapshot and committed entries — then
 * advance(). No timers, I/O or promises inside; randomness and logging are injected.
 *
 * ready() and advance() alternate: what one Ready hands out is not handed out again, and
 * advance() must be called with that Ready before the next ready() is acted on. Other
 * inputs may be interleaved freely.
 */
export class RaftNode {
  /** This member's id. */
  readonly id: number;
  private readonly raft: RaftCore;
  private readonly logger: RaftLogger;
  private prevSoftState: SoftState;
  private prevHardState: HardState;

  /** Builds a member from `config`; throws RangeError on an invalid config. */
  constructor(config: RaftConfig) {
    validateRaftConfig(config);
    this.id = config.id;
    this.logger = config.logger ?? NOOP_RAFT_LOGGER;
    this.raft = new RaftCore(config);
    // The loaded hard state is already durable; only changes go into a Ready.
    this.prevHardState = config.storage.initialState().hardState;
    this.prevSoftState = { lead: NONE, role: StateRole.Follower };
  }

  /** Current leader id, or NONE. */
  get lead(): number {
    return this.raft.lead;
  }

  /** Current term. */
  get term(): number {
    return this.raft.term;
  }

  /** Current role. */
  get role(): StateRole {
    return this.raft.state;
  }

  /** Advances the logical clock one tick (elections, heartbeats, check-quorum). */
  tick(): void {
    this.raft.tick();
  }

  /**
   * Feeds a message received from a peer. Malformed, misaddressed or local-only messages are
   * dropped (logged at debug); stale or unexpected ones are handled per the protocol. Never
   * throws on a bad message; throws RaftInvariantError only if our own state is broken.
   */
  step(m: Message): void {
    const reason = invalidPeerMessageReason(m, this.id);
    if (reason !== undefined) {
      this.logger.debug({ raft: this.id, reason, type: m?.type, from: m?.from }, 'dropping invalid message');
      return;
    }
    this.raft.step(m);
  }

  /** Starts an election now (pre-vote first if configured). No-op on a leader or learner. */
  campaign(): void {
    this.raft.step(newMessage({ type: MessageType.Hup, from: this.id }));
  }

  /** Proposes an application command. See {@link ProposeResult}. */
  propose(data: Uint8Array): ProposeResult {
    return this.raft.step(
      newMessage({ type: MessageType.Prop, from: this.id, entries: [{ term: 0, index: 0, type: EntryType.Normal, data }] }),
    );
  }

  /**
   * Proposes a membership change. The leader accepts one at a time: while an earlier change is
   * not yet applied, this returns 'dropped'.
   */
  proposeConfChange(cc: ConfChange): ProposeResult {
    const data = encodeConfChange(cc);
    return this.raft.step(
      newMessage({ type: MessageType.Prop, from: this.id, entries: [{ term: 0, index: 0, type: EntryType.ConfChange, data }] }),
    );
  }

  /**
   * Applies a committed ConfChange entry (the member loop calls this while applying, in log
   * order) and returns the new membership. A leader that removed itself steps down.
   */
  applyConfChange(cc: ConfChange): ConfState {
    return this.raft.applyConfChange(cc);
  }

  /**
   * Requests a linearizable read point for `ctx` (non-empty, unique among pending requests).
   * The answer arrives later in Ready.readStates; it never arrives if leadership is lost
   * meanwhile, so callers time out and retry.
   */
  readIndex(ctx: Uint8Array): void {
    if (ctx.byteLength === 0) throw new RangeError('readIndex context must be non-empty');
    this.raft.step(
      newMessage({ type: MessageType.ReadIndex, from: this.id, entries: [{ term: 0, index: 0, type: EntryType.Normal, data: ctx }] }),
    );
  }

  /** Asks the leader (us or, forwarded, the current one) to hand leadership to `to`. */
  transferLeadership(to: number): void {
    if (to === NONE) return;
    this.raft.step(newMessage({ type: MessageType.TransferLeader, from: to }));
  }

  /** The transport failed to reach `id`: the leader stops streaming to it optimistically. */
  reportUnreachable(id: number): void {
    if (id === NONE || id === this.id) return;
    this.raft.step(newMessage({ type: MessageType.Unreachable, from: id }));
  }

  /** Result of sending a snapshot to `id`; either way the leader probes `id` next. */
  reportSnapshot(id: number, ok: boolean): void {
    if (id === NONE || id === this.id) return;
    this.raft.step(newMessage({ type: MessageType.SnapStatus, from: id, reject: !ok }));
  }

  private softState(): SoftState {
    return { lead: this.raft.lead, role: this.raft.state };
  }

  /** True if ready() would return something to do. */
  hasReady(): boolean {
    const r = this.raft;
    const ss = this.softState();
    if (ss.lead !== this.prevSoftState.lead || ss.role !== this.prevSoftState.role) return true;
    if (!hardStateEqual(r.hardState(), this.prevHardState)) return true;
    if (r.raftLog.nextUnstableSnapshot() !== undefined) return true;
    if (r.msgs.length > 0 || r.readStates.length > 0) return true;
    return r.raftLog.hasNextUnstableEnts() || r.raftLog.hasNextCommittedEnts();
  }

  /** Collects the pending work (see Ready in types.ts) and marks it handed out. */
  ready(): Ready {
    const r = this.raft;
    const rd: Ready = {
      readStates: r.readStates,
      entries: r.raftLog.nextUnstableEnts(),
      committedEntries: r.raftLog.nextCommittedEnts(),
      messages: r.msgs,
      mustSync: false,
    };
    const snap = r.raftLog.nextUnstableSnapshot();
    if (snap !== undefined) rd.snapshot = snap;
    const ss = this.softState();
    if (ss.lead !== this.prevSoftState.lead || ss.role !== this.prevSoftState.role) {
      rd.softState = ss;
      this.prevSoftState = ss;
    }
    const hs = r.hardState();
    if (!hardStateEqual(hs, this.prevHardState)) {
      rd.hardState = hs;
      rd.mustSync = hs.term !== this.prevHardState.term || hs.vote !== this.prevHardState.vote;
      this.prevHardState = hs;
    }
    if (rd.entries.length > 0 || rd.snapshot !== undefined) rd.mustSync = true;
    for (const m of rd.messages) {
      if (m.to === this.id) throw new RaftInvariantError('a Ready holds a message to self', { id: this.id, type: MessageType[m.type] });
    }
    r.msgs = [];
    r.readStates = [];
    r.raftLog.acceptUnstable();
    if (rd.committedEntries.length > 0) {
      r.raftLog.acceptApplying(rd.committedEntries[rd.committedEntries.length - 1].index);
      r.reduceUncommittedSize(payloadSizeBytes(rd.committedEntries));
    }
    return rd;
  }

  /**
   * Acknowledges that `rd` was persisted, sent and applied: marks its snapshot and entries
   * durable and moves `applied` to its last committed entry (or its snapshot).
   */
  advance(rd: Ready): void {
    const log = this.raft.raftLog;
    if (rd.snapshot !== undefined) log.stableSnapTo(rd.snapshot.metadata.index);
    if (rd.entries.length > 0) {
      const last = rd.entries[rd.entries.length - 1];
      log.stableTo(last.index, last.term);
    }
    if (rd.snapshot !== undefined && rd.snapshot.metadata.index > log.applied) log.appliedTo(rd.snapshot.metadata.index);
    if (rd.committedEntries.length > 0) log.appliedTo(rd.committedEntries[rd.committedEntries.length - 1].index);
    this.raft.onPersisted();
  }

  /** A consistent view of this member's state (progress only on the leader). */
  status(): RaftStatus {
    const r = this.raft;
    const st: RaftStatus = {
      id: this.id,
      hardState: r.hardState(),
      softState: this.softState(),
      applied: r.raftLog.applied,
      leadTransferee: r.leadTransferee,
      confState: r.confState(),
    };
    if (r.state === StateRole.Leader) {
      const progress = new Map<number, ProgressStatus>();
      r.trk.visit((id, pr) => progress.set(id, pr.toStatus()));
      st.progress = progress;
    }
    return st;
  }

  /** Debug view of the whole log (unstable included); for tests and simulations. */
  debugLog(): { firstIndex: number; lastIndex: number; committed: number; entries: Entry[] } {
    const log = this.raft.raftLog;
    return { firstIndex: log.firstIndex(), lastIndex: log.lastIndex(), committed: log.committed, entries: log.allEntries() };
  }
}
