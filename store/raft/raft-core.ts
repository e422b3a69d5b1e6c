import { encodeConfChange } from './conf-change';
import { payloadSizeBytes } from './entry-size';
import { RaftInvariantError } from './errors';
import { Progress } from './progress';
import { ProgressTracker } from './progress-tracker';
import { NOOP_RAFT_LOGGER, ProposeResult, RaftConfig, RaftLogger } from './raft-config';
import { RaftLog } from './raft-log';
import { ReadOnly } from './read-only';
import { SnapshotTemporarilyUnavailableError } from './storage';
import {
  ConfChange,
  ConfChangeType,
  ConfState,
  Entry,
  EntryType,
  HardState,
  Message,
  MessageType,
  NONE,
  newMessage,
  ReadState,
  Snapshot,
  StateRole,
} from './types';

/** Context of a Vote sent because of a leadership transfer: it bypasses the leader lease. */
export const CAMPAIGN_TRANSFER_CONTEXT: Uint8Array = new TextEncoder().encode('CampaignTransfer');

const EMPTY = new Uint8Array(0);

/** Why an election starts: pre-vote round, real election, or a leadership transfer. */
type CampaignType = 'pre-election' | 'election' | 'transfer';

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

function assertNever(x: never, what: string): never {
  throw new RaftInvariantError(what, { value: x });
}

function isVoteMessage(t: MessageType): boolean {
  return t === MessageType.Vote || t === MessageType.PreVote || t === MessageType.VoteResp || t === MessageType.PreVoteResp;
}

/**
 * The raft protocol state machine of one member (etcd's `raft` struct). Pure and synchronous:
 * input through step()/tick(), output accumulated in `msgs`, `readStates` and the log's
 * unstable part, which {@link RaftNode} packages into a Ready. Internal to store/raft; the
 * public API is RaftNode.
 *
 * One step() entry point handles terms and votes, then dispatches to stepLeader /
 * stepCandidate / stepFollower.
 *
 * Invariants: a leader's `lead` is its own id; `vote` is persisted (via the hard state) before
 * any VoteResp leaves; the leader counts its own log only up to what is durable.
 */
export class RaftCore {
  readonly id: number;
  term = 0;
  vote = NONE;
  lead = NONE;
  state: StateRole = StateRole.Follower;
  readonly raftLog: RaftLog;
  trk: ProgressTracker;
  /** This member is a learner (never campaigns). */
  isLearner = false;
  /** Outgoing messages, drained by RaftNode.ready(). */
  msgs: Message[] = [];
  /** Answered ReadIndex requests, drained by RaftNode.ready(). */
  readStates: ReadState[] = [];
  /** Target of an ongoing leadership transfer, or NONE. */
  leadTransferee = NONE;
  /** Index of the last ConfChange proposed; a new one is refused until it is applied. */
  pendingConfIndex = 0;
  /** Payload bytes of entries appended by this leader and not yet handed out for applying. */
  uncommittedSize = 0;
  electionElapsed = 0;
  heartbeatElapsed = 0;

  private readOnly = new ReadOnly();
  /** ReadIndex requests held until this leader commits an entry of its term. */
  private pendingReadIndexMessages: Message[] = [];
  private randomizedElectionTimeout = 0;
  private readonly electionTimeout: number;
  private readonly heartbeatTimeout: number;
  private readonly maxMsgSize: number;
  private readonly maxUncommittedSize: number;
  private readonly checkQuorum: boolean;
  private readonly preVote: boolean;
  private readonly random: () => number;
  private readonly logger: RaftLogger;

  constructor(c: RaftConfig) {
    this.id = c.id;
    this.electionTimeout = c.electionTick;
    this.heartbeatTimeout = c.heartbeatTick;
    this.maxMsgSize = c.maxSizePerMsg;
    this.maxUncommittedSize = c.maxUncommittedEntriesSize ?? 0;
    this.checkQuorum = c.checkQuorum;
    this.preVote = c.preVote;
    this.random = c.random;
    this.logger = c.logger ?? NOOP_RAFT_LOGGER;
    this.raftLog = new RaftLog(c.storage);
    this.trk = new ProgressTracker(c.maxInflightMsgs);

    const { hardState, confState } = c.storage.initialState();
    const hasMembers = confState.voters.length > 0 || confState.learners.length > 0;
    const storageEmpty = c.storage.lastIndex() === 0 && hardState.term === 0 && !hasMembers;
    if (hasMembers) this.applyConfState(confState);
    if (hardState.term !== 0 || hardState.vote !== NONE || hardState.commit !== 0) this.loadState(hardState);
    if (c.applied !== undefined && c.applied > 0) this.raftLog.appliedTo(c.applied);
    this.becomeFollower(this.term, NONE);
    if (storageEmpty && c.peers !== undefined && c.peers.length > 0) this.bootstrap(c.peers);
    this.logger.info(this.fields({ commit: this.raftLog.committed, applied: this.raftLog.applied, lastIndex: this.raftLog.lastIndex() }), 'raft node started');
  }

  // ---- state accessors ----

  /** The persistent state as it should be written. */
  hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.raftLog.committed };
  }

  /** Current membership. */
  confState(): ConfState {
    return this.trk.confState();
  }

  private fields(extra: object = {}): object {
    return { raft: this.id, term: this.term, ...extra };
  }

  private loadState(hs: HardState): void {
    if (hs.commit < this.raftLog.committed || hs.commit > this.raftLog.lastIndex()) {
      throw new RaftInvariantError('stored commit index is out of range', {
        commit: hs.commit,
        firstIndex: this.raftLog.firstIndex(),
        lastIndex: this.raftLog.lastIndex(),
      });
    }
    this.raftLog.committed = hs.commit;
    this.term = hs.term;
    this.vote = hs.vote;
  }

  /**
   * A brand-new cluster: every initial member writes the same AddNode entries at 1..n in
   * term 1, committed, and adopts the membership at once (the member loop applies them later
   * too, which is a no-op).
   */
  private bootstrap(peers: number[]): void {
    const ids = [...new Set(peers)].sort((a, b) => a - b);
    const ents: Entry[] = ids.map((nodeId, i) => ({
      term: 1,
      index: i + 1,
      type: EntryType.ConfChange,
      data: encodeConfChange({ type: ConfChangeType.AddNode, nodeId, context: EMPTY }),
    }));
    this.becomeFollower(1, NONE);
    this.raftLog.append(ents);
    this.raftLog.commitTo(ents.length);
    for (const id of ids) this.addVoter(id);
    this.isLearner = false;
  }

  // ---- sending ----

  private send(m: Message): void {
    if (m.from === NONE) m.from = this.id;
    if (m.to === this.id) {
      throw new RaftInvariantError('raft tried to send a message to itself', { id: this.id, type: MessageType[m.type] });
    }
    if (isVoteMessage(m.type)) {
      if (m.term === 0 && (m.type === MessageType.Vote || m.type === MessageType.PreVote)) {
        throw new RaftInvariantError('campaign message without a term', { type: MessageType[m.type] });
      }
    } else {
      if (m.term !== 0) {
        throw new RaftInvariantError('term must not be preset on a non-vote message', { type: MessageType[m.type], term: m.term });
      }
      // Proposals and read requests are forwarded as local messages (term 0).
      if (m.type !== MessageType.Prop && m.type !== MessageType.ReadIndex) m.term = this.term;
    }
    this.msgs.push(m);
  }

  /** Sends an App with entries (or an empty one when sendIfEmpty) to `to`; a snapshot if needed. */
  private maybeSendAppend(to: number, sendIfEmpty: boolean): boolean {
    const pr = this.trk.progress.get(to);
    if (pr === undefined || pr.isPaused()) return false;
    const prevIndex = pr.next - 1;
    const prevTerm = this.raftLog.term(prevIndex);
    // The follower needs entries we compacted away: only a snapshot can catch it up.
    if (prevTerm === undefined || pr.next < this.raftLog.firstIndex()) return this.maybeSendSnapshot(to, pr);
    const ents = this.raftLog.entries(pr.next, this.maxMsgSize);
    if (ents.length === 0 && !sendIfEmpty) return false;
    this.send(
      newMessage({
        type: MessageType.App,
        to,
        index: prevIndex,
        logTerm: prevTerm,
        entries: ents,
        commit: this.raftLog.committed,
      }),
    );
    pr.sentEntries(ents.length, ents.length > 0 ? ents[ents.length - 1].index : prevIndex);
    return true;
  }

  private sendAppend(to: number): void {
    this.maybeSendAppend(to, true);
  }

  private maybeSendSnapshot(to: number, pr: Progress): boolean {
    if (!pr.recentActive) {
      this.logger.debug(this.fields({ to }), 'not sending snapshot to a recently inactive follower');
      return false;
    }
    let snapshot: Snapshot;
    try {
      snapshot = this.raftLog.snapshot();
    } catch (e) {
      if (e instanceof SnapshotTemporarilyUnavailableError) {
        this.logger.debug(this.fields({ to }), 'snapshot temporarily unavailable; will retry');
        return false;
      }
      throw e;
    }
    if (snapshot.metadata.index === 0) {
      throw new RaftInvariantError('need a non-empty snapshot to catch up a follower', { to, firstIndex: this.raftLog.firstIndex() });
    }
    this.logger.info(this.fields({ to, snapshotIndex: snapshot.metadata.index, match: pr.match }), 'sending snapshot');
    pr.becomeSnapshot(snapshot.metadata.index);
    this.send(newMessage({ type: MessageType.Snap, to, snapshot }));
    return true;
  }

  private sendHeartbeat(to: number, ctx: Uint8Array): void {
    const pr = this.trk.progress.get(to);
    const commit = Math.min(pr?.match ?? 0, this.raftLog.committed);
    this.send(newMessage({ type: MessageType.Heartbeat, to, commit, context: ctx }));
  }

  private bcastAppend(): void {
    this.trk.visit((id) => {
      if (id !== this.id) this.sendAppend(id);
    });
  }

  private bcastHeartbeat(): void {
    this.bcastHeartbeatWithCtx(this.readOnly.lastPendingRequestCtx() ?? EMPTY);
  }

  private bcastHeartbeatWithCtx(ctx: Uint8Array): void {
    this.trk.visit((id) => {
      if (id !== this.id) this.sendHeartbeat(id, ctx);
    });
  }

  private sendTimeoutNow(to: number): void {
    this.send(newMessage({ type: MessageType.TimeoutNow, to }));
  }

  // ---- role transitions ----

  private reset(term: number): void {
    if (this.term !== term) {
      this.term = term;
      this.vote = NONE;
    }
    this.lead = NONE;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.resetRandomizedElectionTimeout();
    this.abortLeaderTransfer();
    this.trk.resetVotes();
    const next = this.raftLog.lastIndex() + 1;
    this.trk.visit((id, pr) => {
      pr.reset(next);
      if (id === this.id) pr.match = this.raftLog.stableLastIndex();
    });
    this.pendingConfIndex = 0;
    this.uncommittedSize = 0;
    this.readOnly = new ReadOnly();
    this.pendingReadIndexMessages = [];
  }

  private resetRandomizedElectionTimeout(): void {
    const r = this.random();
    if (!(r >= 0 && r < 1)) throw new RaftInvariantError('config.random() must return a number in [0,1)', { value: r });
    this.randomizedElectionTimeout = this.electionTimeout + Math.floor(r * this.electionTimeout);
  }

  /** Becomes a follower of `lead` (NONE if unknown) in `term`. */
  becomeFollower(term: number, lead: number): void {
    this.reset(term);
    this.lead = lead;
    this.state = StateRole.Follower;
    this.logger.debug(this.fields({ lead }), 'became follower');
  }

  private becomeCandidate(): void {
    if (this.state === StateRole.Leader) throw new RaftInvariantError('invalid transition leader -> candidate', { id: this.id });
    this.reset(this.term + 1);
    this.vote = this.id;
    this.state = StateRole.Candidate;
    this.logger.info(this.fields(), 'became candidate');
  }

  private becomePreCandidate(): void {
    if (this.state === StateRole.Leader) throw new RaftInvariantError('invalid transition leader -> pre-candidate', { id: this.id });
    // Neither the term nor the vote changes: a pre-vote round must not disrupt anyone.
    this.trk.resetVotes();
    this.lead = NONE;
    this.state = StateRole.PreCandidate;
    this.logger.info(this.fields(), 'became pre-candidate');
  }

  private becomeLeader(): void {
    if (this.state === StateRole.Follower) throw new RaftInvariantError('invalid transition follower -> leader', { id: this.id });
    this.reset(this.term);
    this.lead = this.id;
    this.state = StateRole.Leader;
    const self = this.trk.progress.get(this.id);
    if (self !== undefined) {
      self.becomeReplicate();
      self.recentActive = true;
    }
    // Conservatively block conf changes until everything in the log is applied.
    this.pendingConfIndex = this.raftLog.lastIndex();
    // An entry of the new term lets earlier entries commit (Raft §5.4.2, §8).
    if (!this.appendEntry([{ term: 0, index: 0, type: EntryType.Normal, data: EMPTY }])) {
      throw new RaftInvariantError('new leader could not append its empty entry', { id: this.id });
    }
    this.logger.info(this.fields(), 'became leader');
  }

  private appendEntry(es: Entry[]): boolean {
    const li = this.raftLog.lastIndex();
    for (let i = 0; i < es.length; i++) {
      es[i].term = this.term;
      es[i].index = li + 1 + i;
    }
    if (!this.increaseUncommittedSize(es)) {
      this.logger.warn(this.fields({ uncommittedSize: this.uncommittedSize }), 'proposal dropped: uncommitted size limit reached');
      return false;
    }
    this.raftLog.append(es);
    // The leader's own match advances only once the entries are durable (see onPersisted).
    return true;
  }

  private increaseUncommittedSize(es: Entry[]): boolean {
    const s = payloadSizeBytes(es);
    if (this.maxUncommittedSize > 0 && this.uncommittedSize > 0 && s > 0 && this.uncommittedSize + s > this.maxUncommittedSize) {
      return false;
    }
    this.uncommittedSize += s;
    return true;
  }

  /** Entries worth `bytes` of payload were handed out for applying. */
  reduceUncommittedSize(bytes: number): void {
    this.uncommittedSize = bytes > this.uncommittedSize ? 0 : this.uncommittedSize - bytes;
  }

  // ---- ticks ----

  /** Advances the logical clock by one tick. */
  tick(): void {
    switch (this.state) {
      case StateRole.Follower:
      case StateRole.Candidate:
      case StateRole.PreCandidate:
        this.tickElection();
        return;
      case StateRole.Leader:
        this.tickHeartbeat();
        return;
    }
  }

  private tickElection(): void {
    this.electionElapsed++;
    if (this.promotable() && this.electionElapsed >= this.randomizedElectionTimeout) {
      this.electionElapsed = 0;
      this.step(newMessage({ type: MessageType.Hup, from: this.id }));
    }
  }

  private tickHeartbeat(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.electionElapsed >= this.electionTimeout) {
      this.electionElapsed = 0;
      if (this.checkQuorum) this.step(newMessage({ type: MessageType.CheckQuorum, from: this.id }));
      if (this.state === StateRole.Leader && this.leadTransferee !== NONE) {
        this.logger.info(this.fields({ transferee: this.leadTransferee }), 'leadership transfer timed out; aborting');
        this.abortLeaderTransfer();
      }
    }
    if (this.state !== StateRole.Leader) return;
    if (this.heartbeatElapsed >= this.heartbeatTimeout) {
      this.heartbeatElapsed = 0;
      this.step(newMessage({ type: MessageType.Beat, from: this.id }));
    }
  }

  /** True if this member may campaign: a voter with no snapshot pending. */
  promotable(): boolean {
    const pr = this.trk.progress.get(this.id);
    return pr !== undefined && !pr.isLearner && !this.raftLog.hasNextOrInProgressSnapshot();
  }

  // ---- step ----

  /**
   * Feeds one message: from a peer, or local (term 0: Hup, Beat, Prop, ReadIndex, ...).
   * Returns the proposal outcome for Prop; 'ok' for everything else.
   */
  step(m: Message): ProposeResult {
    if (m.term === 0) {
      // Local message (or a forwarded Prop / ReadIndex).
    } else if (m.term > this.term) {
      if (m.type === MessageType.Vote || m.type === MessageType.PreVote) {
        const force = bytesEqual(m.context, CAMPAIGN_TRANSFER_CONTEXT);
        const inLease = this.checkQuorum && this.lead !== NONE && this.electionElapsed < this.electionTimeout;
        if (!force && inLease) {
          // Leader lease (thesis §4.2.3): a live leader exists; ignore the disruptive candidate.
          this.logger.info(this.fields({ from: m.from, msgTerm: m.term, type: MessageType[m.type] }), 'ignoring vote request within leader lease');
          return 'ok';
        }
      }
      if (m.type === MessageType.PreVote) {
        // Never change our term in response to a pre-vote.
      } else if (m.type === MessageType.PreVoteResp && !m.reject) {
        // The future term of a granted pre-vote; we bump our term when we win.
      } else {
        this.logger.info(this.fields({ from: m.from, msgTerm: m.term, type: MessageType[m.type] }), 'received a message with a higher term');
        const leaderMsg = m.type === MessageType.App || m.type === MessageType.Heartbeat || m.type === MessageType.Snap;
        this.becomeFollower(m.term, leaderMsg ? m.from : NONE);
      }
    } else if (m.term < this.term) {
      if ((this.checkQuorum || this.preVote) && (m.type === MessageType.Heartbeat || m.type === MessageType.App)) {
        // A stale leader (e.g. after a partition) learns our term and steps down; without this
        // a node that bumped its term could never rejoin while pre-vote / check-quorum hold it.
        this.send(newMessage({ type: MessageType.AppResp, to: m.from }));
      } else if (m.type === MessageType.PreVote) {
        this.send(newMessage({ type: MessageType.PreVoteResp, to: m.from, term: this.term, reject: true }));
      } else {
        this.logger.debug(this.fields({ from: m.from, msgTerm: m.term, type: MessageType[m.type] }), 'ignoring a message with a lower term');
      }
      return 'ok';
    }

    switch (m.type) {
      case MessageType.Hup:
        this.hup(this.preVote ? 'pre-election' : 'election');
        return 'ok';
      case MessageType.Vote:
      case MessageType.PreVote:
        this.handleVoteRequest(m);
        return 'ok';
      default:
        switch (this.state) {
          case StateRole.Leader:
            return this.stepLeader(m);
          case StateRole.Candidate:
          case StateRole.PreCandidate:
            return this.stepCandidate(m);
          case StateRole.Follower:
            return this.stepFollower(m);
        }
    }
  }

  private handleVoteRequest(m: Message): void {
    const respType = m.type === MessageType.Vote ? MessageType.VoteResp : MessageType.PreVoteResp;
    // Vote if we already voted for this candidate, or have not voted and know no leader,
    // or this is a pre-vote for a future term; and the candidate's log is up to date (§5.4.1).
    const canVote =
      this.vote === m.from ||
      (this.vote === NONE && this.lead === NONE) ||
      (m.type === MessageType.PreVote && m.term > this.term);
    if (canVote && this.raftLog.isUpToDate(m.index, m.logTerm)) {
      this.logger.info(this.fields({ candidate: m.from, type: MessageType[m.type], msgTerm: m.term }), 'granting vote');
      this.send(newMessage({ type: respType, to: m.from, term: m.term }));
      if (m.type === MessageType.Vote) {
        this.electionElapsed = 0;
        this.vote = m.from;
      }
    } else {
      this.logger.info(this.fields({ candidate: m.from, type: MessageType[m.type], msgTerm: m.term, vote: this.vote }), 'rejecting vote');
      this.send(newMessage({ type: respType, to: m.from, term: this.term, reject: true }));
    }
  }

  private hup(t: CampaignType): void {
    if (this.state === StateRole.Leader) {
      this.logger.debug(this.fields(), 'ignoring Hup: already leader');
      return;
    }
    if (!this.promotable()) {
      this.logger.warn(this.fields(), 'cannot campaign: not a voter or a snapshot is pending');
      return;
    }
    if (this.hasUnappliedConfChanges()) {
      this.logger.warn(this.fields({ applied: this.raftLog.applied, committed: this.raftLog.committed }), 'cannot campaign: committed conf changes are not applied yet');
      return;
    }
    this.logger.info(this.fields({ kind: t }), 'starting a new election');
    this.campaign(t);
  }

  private hasUnappliedConfChanges(): boolean {
    if (this.raftLog.applied >= this.raftLog.committed) return false;
    const ents = this.raftLog.slice(this.raftLog.applied + 1, this.raftLog.committed + 1, Infinity);
    return ents.some((e) => e.type === EntryType.ConfChange);
  }

  private campaign(t: CampaignType): void {
    let term: number;
    let voteMsg: MessageType;
    if (t === 'pre-election') {
      this.becomePreCandidate();
      voteMsg = MessageType.PreVote;
      term = this.term + 1; // the term we would campaign in
    } else {
      this.becomeCandidate();
      voteMsg = MessageType.Vote;
      term = this.term;
    }
    if (this.poll(this.id, true) === 'won') {
      // Single-voter cluster.
      if (t === 'pre-election') this.campaign('election');
      else this.becomeLeader();
      return;
    }
    const lastIndex = this.raftLog.lastIndex();
    const lastTerm = this.raftLog.lastTerm();
    for (const id of this.trk.voterIds()) {
      if (id === this.id) continue;
      this.send(
        newMessage({
          type: voteMsg,
          to: id,
          term,
          index: lastIndex,
          logTerm: lastTerm,
          context: t === 'transfer' ? CAMPAIGN_TRANSFER_CONTEXT : EMPTY,
        }),
      );
    }
  }

  private poll(id: number, granted: boolean): 'won' | 'lost' | 'pending' {
    this.trk.recordVote(id, granted);
    return this.trk.tallyVotes().result;
  }

  private stepLeader(m: Message): ProposeResult {
    switch (m.type) {
      case MessageType.Beat:
        this.bcastHeartbeat();
        return 'ok';
      case MessageType.CheckQuorum:
        if (!this.trk.quorumActive(this.id)) {
          this.logger.warn(this.fields(), 'stepping down: no quorum heard from within an election timeout');
          this.becomeFollower(this.term, NONE);
        }
        this.trk.visit((id, pr) => {
          if (id !== this.id) pr.recentActive = false;
        });
        return 'ok';
      case MessageType.Prop:
        return this.leaderPropose(m);
      case MessageType.ReadIndex:
        this.leaderReadIndex(m);
        return 'ok';
      default:
        break;
    }

    const pr = this.trk.progress.get(m.from);
    if (pr === undefined) {
      this.logger.debug(this.fields({ from: m.from, type: MessageType[m.type] }), 'ignoring message from an unknown member');
      return 'ok';
    }
    switch (m.type) {
      case MessageType.AppResp:
        this.handleAppendResponse(m, pr);
        return 'ok';
      case MessageType.HeartbeatResp:
        this.handleHeartbeatResponse(m, pr);
        return 'ok';
      case MessageType.SnapStatus:
        if (pr.state !== 'snapshot') return 'ok';
        if (m.reject) this.logger.warn(this.fields({ to: m.from }), 'snapshot failed to send; probing');
        pr.becomeProbe();
        // Wait for the follower's answer (or a heartbeat response) before the next probe.
        pr.probeSent = true;
        return 'ok';
      case MessageType.Unreachable:
        // Optimistic replication probably lost messages; fall back to probing.
        if (pr.state === 'replicate') pr.becomeProbe();
        return 'ok';
      case MessageType.TransferLeader:
        this.handleTransferLeader(m, pr);
        return 'ok';
      default:
        return 'ok';
    }
  }

  private leaderPropose(m: Message): ProposeResult {
    if (m.entries.length === 0) return 'dropped';
    if (!this.trk.progress.has(this.id)) {
      this.logger.debug(this.fields(), 'proposal dropped: this leader was removed from the cluster');
      return 'dropped';
    }
    if (this.leadTransferee !== NONE) {
      this.logger.debug(this.fields({ transferee: this.leadTransferee }), 'proposal dropped: leadership transfer in progress');
      return 'dropped';
    }
    const ents: Entry[] = m.entries.map((e) => ({ term: 0, index: 0, type: e.type, data: e.data }));
    let confIndex: number | undefined;
    const lastIndex = this.raftLog.lastIndex();
    for (let i = 0; i < ents.length; i++) {
      if (ents[i].type !== EntryType.ConfChange) continue;
      if (this.pendingConfIndex > this.raftLog.applied || confIndex !== undefined) {
        this.logger.info(this.fields({ pendingConfIndex: this.pendingConfIndex, applied: this.raftLog.applied }), 'conf change refused: another one is pending');
        if (ents.length === 1) return 'dropped';
        ents[i] = { term: 0, index: 0, type: EntryType.Normal, data: EMPTY };
      } else {
        confIndex = lastIndex + i + 1;
      }
    }
    if (!this.appendEntry(ents)) return 'dropped';
    if (confIndex !== undefined) this.pendingConfIndex = confIndex;
    this.bcastAppend();
    return 'ok';
  }

  private committedEntryInCurrentTerm(): boolean {
    return this.raftLog.term(this.raftLog.committed) === this.term;
  }

  private leaderReadIndex(m: Message): void {
    if (m.entries.length !== 1) return;
    // A new leader does not know the commit index until an entry of its term commits
    // (thesis §6.4); hold the request until then.
    if (!this.committedEntryInCurrentTerm()) {
      this.pendingReadIndexMessages.push(m);
      return;
    }
    this.sendReadIndexResponse(m);
  }

  private sendReadIndexResponse(m: Message): void {
    if (this.trk.isSingleton()) {
      this.respondToReadIndex(m, this.raftLog.committed);
      return;
    }
    const ctx = m.entries[0].data;
    this.readOnly.addRequest(this.raftLog.committed, m);
    this.readOnly.recvAck(this.id, ctx);
    this.bcastHeartbeatWithCtx(ctx);
  }

  private respondToReadIndex(req: Message, index: number): void {
    if (req.from === NONE || req.from === this.id) {
      this.readStates.push({ index, requestCtx: req.entries[0].data });
    } else {
      this.send(newMessage({ type: MessageType.ReadIndexResp, to: req.from, index, entries: req.entries }));
    }
  }

  private releasePendingReadIndexMessages(): void {
    if (this.pendingReadIndexMessages.length === 0 || !this.committedEntryInCurrentTerm()) return;
    const msgs = this.pendingReadIndexMessages;
    this.pendingReadIndexMessages = [];
    for (const m of msgs) this.sendReadIndexResponse(m);
  }

  private handleAppendResponse(m: Message, pr: Progress): void {
    pr.recentActive = true;
    if (m.reject) {
      this.logger.debug(this.fields({ from: m.from, rejected: m.index, hint: m.rejectHint, hintTerm: m.logTerm }), 'append rejected');
      // Fast backtracking: skip every entry of ours whose term is above the follower's hint term.
      let nextProbeIdx = m.rejectHint;
      if (m.logTerm > 0) nextProbeIdx = this.raftLog.findConflictByTerm(m.rejectHint, m.logTerm)[0];
      if (pr.maybeDecrTo(m.index, nextProbeIdx)) {
        if (pr.state === 'replicate') pr.becomeProbe();
        this.sendAppend(m.from);
      }
      return;
    }
    const oldPaused = pr.isPaused();
    if (!(pr.maybeUpdate(m.index) || (pr.match === m.index && pr.state === 'probe'))) return;
    switch (pr.state) {
      case 'probe':
        pr.becomeReplicate();
        break;
      case 'snapshot':
        if (pr.match + 1 >= this.raftLog.firstIndex()) {
          pr.becomeProbe();
          pr.becomeReplicate();
        }
        break;
      case 'replicate':
        pr.inflights.freeLE(m.index);
        break;
    }
    if (this.maybeCommit()) {
      this.releasePendingReadIndexMessages();
      this.bcastAppend();
    } else if (oldPaused) {
      // The follower may have missed the latest commit index while paused.
      this.sendAppend(m.from);
    }
    // Flow control may now allow several messages (e.g. probe -> replicate).
    while (this.maybeSendAppend(m.from, false)) {
      // keep sending
    }
    if (m.from === this.leadTransferee && pr.match === this.raftLog.lastIndex()) {
      this.logger.info(this.fields({ transferee: m.from }), 'transferee caught up; sending TimeoutNow');
      this.sendTimeoutNow(m.from);
    }
  }

  private handleHeartbeatResponse(m: Message, pr: Progress): void {
    pr.recentActive = true;
    pr.probeSent = false;
    // If every App in the window was lost, free one slot so replication can recover.
    if (pr.state === 'replicate' && pr.inflights.full()) pr.inflights.freeFirstOne();
    if (pr.match < this.raftLog.lastIndex() || pr.state === 'probe') this.sendAppend(m.from);
    if (m.context.byteLength === 0) return;
    const acks = this.readOnly.recvAck(m.from, m.context);
    if (acks === undefined || this.trk.ackResult(acks) !== 'won') return;
    for (const rs of this.readOnly.advance(m.context)) this.respondToReadIndex(rs.req, rs.index);
  }

  private handleTransferLeader(m: Message, pr: Progress): void {
    if (pr.isLearner) {
      this.logger.debug(this.fields({ transferee: m.from }), 'ignoring leadership transfer to a learner');
      return;
    }
    const transferee = m.from;
    if (this.leadTransferee !== NONE) {
      if (this.leadTransferee === transferee) return;
      this.abortLeaderTransfer();
    }
    if (transferee === this.id) return;
    this.logger.info(this.fields({ transferee }), 'starting leadership transfer');
    // The transfer must finish within an election timeout (see tickHeartbeat).
    this.electionElapsed = 0;
    this.leadTransferee = transferee;
    if (pr.match === this.raftLog.lastIndex()) this.sendTimeoutNow(transferee);
    else this.sendAppend(transferee);
  }

  private abortLeaderTransfer(): void {
    this.leadTransferee = NONE;
  }

  private maybeCommit(): boolean {
    return this.raftLog.maybeCommit(this.trk.committed(), this.term);
  }

  private stepCandidate(m: Message): ProposeResult {
    const myVoteResp = this.state === StateRole.PreCandidate ? MessageType.PreVoteResp : MessageType.VoteResp;
    switch (m.type) {
      case MessageType.Prop:
        this.logger.debug(this.fields(), 'proposal dropped: no leader (candidate)');
        return 'not-leader';
      case MessageType.App:
        this.becomeFollower(m.term, m.from);
        this.handleAppendEntries(m);
        return 'ok';
      case MessageType.Heartbeat:
        this.becomeFollower(m.term, m.from);
        this.handleHeartbeat(m);
        return 'ok';
      case MessageType.Snap:
        this.becomeFollower(m.term, m.from);
        this.handleSnapshot(m);
        return 'ok';
      default:
        break;
    }
    if (m.type !== myVoteResp) return 'ok';
    const result = this.poll(m.from, !m.reject);
    switch (result) {
      case 'won':
        if (this.state === StateRole.PreCandidate) {
          this.campaign('election');
        } else {
          this.becomeLeader();
          this.bcastAppend();
        }
        return 'ok';
      case 'lost':
        // A rejection at a higher term already made us a follower in step().
        this.becomeFollower(this.term, NONE);
        return 'ok';
      case 'pending':
        return 'ok';
    }
  }

  private stepFollower(m: Message): ProposeResult {
    switch (m.type) {
      case MessageType.Prop:
        if (this.lead === NONE) {
          this.logger.debug(this.fields(), 'proposal dropped: no leader');
          return 'not-leader';
        }
        this.send({ ...m, to: this.lead, term: 0 });
        return 'ok';
      case MessageType.App:
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleAppendEntries(m);
        return 'ok';
      case MessageType.Heartbeat:
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleHeartbeat(m);
        return 'ok';
      case MessageType.Snap:
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleSnapshot(m);
        return 'ok';
      case MessageType.TransferLeader:
        if (this.lead === NONE) {
          this.logger.info(this.fields(), 'leadership transfer dropped: no leader');
          return 'ok';
        }
        this.send({ ...m, to: this.lead, term: 0 });
        return 'ok';
      case MessageType.TimeoutNow:
        this.logger.info(this.fields({ from: m.from }), 'received TimeoutNow; campaigning for leadership transfer');
        // A transfer never uses pre-vote: the old leader already vouched for us.
        this.hup('transfer');
        return 'ok';
      case MessageType.ReadIndex:
        if (this.lead === NONE) {
          this.logger.debug(this.fields(), 'read index dropped: no leader');
          return 'ok';
        }
        this.send({ ...m, to: this.lead, term: 0 });
        return 'ok';
      case MessageType.ReadIndexResp:
        if (m.entries.length !== 1) return 'ok';
        this.readStates.push({ index: m.index, requestCtx: m.entries[0].data });
        return 'ok';
      default:
        return 'ok';
    }
  }

  private handleAppendEntries(m: Message): void {
    if (m.index < this.raftLog.committed) {
      this.send(newMessage({ type: MessageType.AppResp, to: m.from, index: this.raftLog.committed }));
      return;
    }
    const lastNew = this.raftLog.maybeAppend(m.index, m.logTerm, m.commit, m.entries);
    if (lastNew !== undefined) {
      this.send(newMessage({ type: MessageType.AppResp, to: m.from, index: lastNew }));
      return;
    }
    // Reject with a hint: the last index whose term is <= the leader's prev term, so the leader
    // can skip a whole term of conflicting entries per round trip.
    const hintIndex = Math.min(m.index, this.raftLog.lastIndex());
    const [rejectHint, hintTerm] = this.raftLog.findConflictByTerm(hintIndex, m.logTerm);
    this.logger.debug(this.fields({ from: m.from, index: m.index, logTerm: m.logTerm, rejectHint, hintTerm }), 'rejecting append');
    this.send(newMessage({ type: MessageType.AppResp, to: m.from, index: m.index, reject: true, rejectHint, logTerm: hintTerm }));
  }

  private handleHeartbeat(m: Message): void {
    if (m.commit > this.raftLog.lastIndex()) {
      this.logger.warn(this.fields({ from: m.from, commit: m.commit, lastIndex: this.raftLog.lastIndex() }), 'heartbeat commit index beyond our log; ignoring it');
    } else {
      this.raftLog.commitTo(m.commit);
    }
    this.send(newMessage({ type: MessageType.HeartbeatResp, to: m.from, context: m.context }));
  }

  private handleSnapshot(m: Message): void {
    const s = m.snapshot;
    if (s === undefined) return;
    if (this.restore(s)) {
      this.logger.info(this.fields({ index: s.metadata.index, snapTerm: s.metadata.term }), 'restored snapshot');
      this.send(newMessage({ type: MessageType.AppResp, to: m.from, index: this.raftLog.lastIndex() }));
    } else {
      this.send(newMessage({ type: MessageType.AppResp, to: m.from, index: this.raftLog.committed }));
    }
  }

  private restore(s: Snapshot): boolean {
    const { index, term, confState } = s.metadata;
    if (index <= this.raftLog.committed) return false;
    if (this.state !== StateRole.Follower) {
      // Defence in depth: only a follower of the sender may restore.
      this.logger.warn(this.fields(), 'non-follower asked to restore a snapshot');
      this.becomeFollower(this.term + 1, NONE);
      return false;
    }
    if (!confState.voters.includes(this.id) && !confState.learners.includes(this.id)) {
      // A member added after the leader's latest snapshot is not in its ConfState. Accept it
      // anyway (refusing would make the leader resend it forever); this member learns of its
      // own addition when it applies the ConfChange entry that follows the snapshot. Until
      // then it is not promotable, so it never campaigns.
      this.logger.info(this.fields({ index }), 'restoring a snapshot that predates this member');
    }
    if (this.raftLog.matchTerm(index, term)) {
      // We already have the entries; just fast-forward the commit index.
      this.raftLog.commitTo(index);
      return false;
    }
    this.raftLog.restore(s);
    this.trk = new ProgressTracker(this.trk.maxInflight);
    this.applyConfState(confState);
    const self = this.trk.progress.get(this.id);
    if (self !== undefined) self.maybeUpdate(self.next - 1);
    return true;
  }

  // ---- membership ----

  private applyConfState(cs: ConfState): void {
    for (const id of cs.voters) this.addVoter(id);
    for (const id of cs.learners) this.addLearner(id);
    this.isLearner = this.trk.learners.has(this.id);
  }

  private newProgress(isLearner: boolean): Progress {
    const pr = new Progress(this.trk.maxInflight, isLearner, this.raftLog.lastIndex() + 1);
    // A new member counts as active so check-quorum does not step down at once.
    pr.recentActive = true;
    return pr;
  }

  private addVoter(id: number): void {
    const pr = this.trk.progress.get(id);
    if (pr === undefined) {
      this.trk.progress.set(id, this.newProgress(false));
    } else {
      pr.isLearner = false;
    }
    this.trk.learners.delete(id);
    this.trk.voters.add(id);
  }

  private addLearner(id: number): void {
    const pr = this.trk.progress.get(id);
    if (pr === undefined) {
      this.trk.progress.set(id, this.newProgress(true));
    } else {
      pr.isLearner = true;
    }
    this.trk.voters.delete(id);
    this.trk.learners.add(id);
  }

  private removeMember(id: number): void {
    this.trk.voters.delete(id);
    this.trk.learners.delete(id);
    this.trk.progress.delete(id);
  }

  /** Applies a committed membership change; returns the new membership. */
  applyConfChange(cc: ConfChange): ConfState {
    if (cc.nodeId === NONE) return this.confState();
    switch (cc.type) {
      case ConfChangeType.AddNode:
        this.addVoter(cc.nodeId);
        break;
      case ConfChangeType.AddLearnerNode:
        this.addLearner(cc.nodeId);
        break;
      case ConfChangeType.RemoveNode:
        this.removeMember(cc.nodeId);
        break;
      default:
        return assertNever(cc.type, 'unknown conf change type');
    }
    this.isLearner = this.trk.learners.has(this.id);
    const cs = this.confState();
    this.logger.info(this.fields({ type: ConfChangeType[cc.type], nodeId: cc.nodeId, voters: cs.voters, learners: cs.learners }), 'applied conf change');
    if (cs.voters.length === 0) this.logger.warn(this.fields(), 'membership has no voters left');
    if (this.state !== StateRole.Leader) return cs;
    if (!this.trk.voters.has(this.id)) {
      this.logger.info(this.fields(), 'leader removed or demoted; stepping down');
      this.becomeFollower(this.term, NONE);
      return cs;
    }
    // The quorum may have changed: commit what it allows now, and feed new members.
    if (this.maybeCommit()) {
      this.releasePendingReadIndexMessages();
      this.bcastAppend();
    } else {
      this.trk.visit((id) => {
        if (id !== this.id) this.maybeSendAppend(id, false);
      });
    }
    if (this.leadTransferee !== NONE && !this.trk.voters.has(this.leadTransferee)) this.abortLeaderTransfer();
    return cs;
  }

  // ---- persistence feedback ----

  /**
   * Called after a Ready was written: the leader counts its own now-durable entries towards
   * the commit quorum.
   */
  onPersisted(): void {
    if (this.state !== StateRole.Leader) return;
    const self = this.trk.progress.get(this.id);
    if (self === undefined) return;
    if (self.maybeUpdate(this.raftLog.stableLastIndex()) && this.maybeCommit()) {
      this.releasePendingReadIndexMessages();
      this.bcastAppend();
    }
  }
}
