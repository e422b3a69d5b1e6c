import { encodeConfChange } from './conf-change';
import { payloadSizeBytes } from './entry-size';
import { RaftInvariantError } from './errors';
import { ProgressTracker } from './progress-tracker';
import { NOOP_RAFT_LOGGER, ProposeResult, RaftConfig, RaftLogger } from './raft-config';
import { stepCandidate, stepFollower } from './raft-follower';
import { abortLeaderTransfer, bcastAppend, maybeCommit, releasePendingReadIndexMessages, stepLeader } from './raft-leader';
import { addVoter, applyConfChange, applyConfState } from './raft-membership';
import { RaftLog } from './raft-log';
import { ReadOnly } from './read-only';
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
  StateRole,
} from './types';

/** Context of a Vote sent because of a leadership transfer: it bypasses the leader lease. */
export const CAMPAIGN_TRANSFER_CONTEXT: Uint8Array = new TextEncoder().encode('CampaignTransfer');

const EMPTY = new Uint8Array(0);

/** Why an election starts: pre-vote round, real election, or a leadership transfer. */
export type CampaignType = 'pre-election' | 'election' | 'transfer';

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
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
 * One step() entry point handles terms and votes, then dispatches to stepLeader
 * (raft-leader.ts) / stepCandidate / stepFollower (raft-follower.ts); membership changes live
 * in raft-membership.ts. Those modules are plain functions over this class, so the members
 * they use are public but marked `@internal`.
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

  /** @internal Pending ReadIndex requests awaiting heartbeat acks (leader only). */
  readOnly = new ReadOnly();
  /** @internal ReadIndex requests held until this leader commits an entry of its term. */
  pendingReadIndexMessages: Message[] = [];
  private randomizedElectionTimeout = 0;
  private readonly electionTimeout: number;
  private readonly heartbeatTimeout: number;
  /** @internal Byte budget of one App message. */
  readonly maxMsgSize: number;
  private readonly maxUncommittedSize: number;
  private readonly checkQuorum: boolean;
  private readonly preVote: boolean;
  private readonly random: () => number;
  /** @internal */
  readonly logger: RaftLogger;

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
    if (hasMembers) applyConfState(this, confState);
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

  /** @internal Structured log fields identifying this member. */
  fields(extra: object = {}): object {
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
    for (const id of ids) addVoter(this, id);
    this.isLearner = false;
  }

  // ---- sending ----

  /** @internal Queues `m` in `msgs`, stamping `from` and (for non-vote messages) the term. */
  send(m: Message): void {
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
    abortLeaderTransfer(this);
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

  /** @internal */
  becomeLeader(): void {
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

  /** @internal Appends entries stamped with this term and the next indexes, within the uncommitted-size limit. */
  appendEntry(es: Entry[]): boolean {
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
        abortLeaderTransfer(this);
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
            return stepLeader(this, m);
          case StateRole.Candidate:
          case StateRole.PreCandidate:
            return stepCandidate(this, m);
          case StateRole.Follower:
            return stepFollower(this, m);
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

  /** @internal Starts a campaign of kind `t` if this member may. */
  hup(t: CampaignType): void {
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

  /** @internal */
  campaign(t: CampaignType): void {
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

  /** @internal Records a vote and returns the tally. */
  poll(id: number, granted: boolean): 'won' | 'lost' | 'pending' {
    this.trk.recordVote(id, granted);
    return this.trk.tallyVotes().result;
  }

  // ---- membership ----

  /** Applies a committed membership change; returns the new membership. */
  applyConfChange(cc: ConfChange): ConfState {
    return applyConfChange(this, cc);
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
    if (self.maybeUpdate(this.raftLog.stableLastIndex()) && maybeCommit(this)) {
      releasePendingReadIndexMessages(this);
      bcastAppend(this);
    }
  }
}