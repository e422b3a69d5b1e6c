import * as path from 'node:path';
import type { Logger } from 'pino';
import * as grpc from '@grpc/grpc-js';
import { RaftPeerServer } from '../../gen/bosun/raft';
import { ConfChangeContext, InternalRequest, MemberRecord } from '../../gen/bosun/store';
import {
  ErrLeaderChanged,
  ErrLearnerNotReady,
  ErrMemberNotLearner,
  ErrNotLeader,
  ErrNoLeader,
  ErrRequestTooLarge,
  ErrStopped,
  ErrTimeout,
  ErrTooManyRequests,
  StoreError,
} from '../errors';
import { decodeConfChange } from '../raft/conf-change';
import { MemoryStorage } from '../raft/memory-storage';
import { RaftNode } from '../raft/raft-node';
import { ConfChangeType, ConfState, Entry, EntryType, Ready, Snapshot, StateRole } from '../raft/types';
import { DurableLog } from '../storage/durable-log';
import {
  clusterIdFor,
  ELECTION_TICKS,
  HEARTBEAT_TICKS,
  MAX_REQUEST_BYTES,
  MemberConfig,
  memberIdFor,
  REQUEST_TIMEOUT_MS,
  SNAPSHOT_CATCHUP_ENTRIES,
} from './member-config';
import { AttributePublisher } from './attribute-publisher';
import { writeBootstrapState } from './bootstrap-state';
import { DiskUsage } from './disk-usage';
import { advanceElectionTicks } from './election-tick-advance';
import { LeaseExpiry } from './lease-expiry';
import { resolveMemberId } from './member-identity';
import { Membership } from './membership';
import { PeerTransport, peerDialer } from './peer-transport';
import { ReadIndexBatcher } from './read-index';
import { checkCanAdd, checkCanRemove } from './reconfig-checks';
import { ApplyResult, NO_RESULT } from '../mvcc/applier';
import { StateMachine } from './state-machine';
import { decodeSnapshotData, encodeSnapshotData } from './snapshot-data';
import { IndexWaiters, Waiters } from './waiters';

/** Bytes of entries per raft append message (batching). */
const MAX_SIZE_PER_MSG = 1024 * 1024;
/** Un-acknowledged append messages per follower (flow control). */
const MAX_INFLIGHT_MSGS = 64;
/** Proposed-but-uncommitted bytes beyond which the leader refuses new proposals. */
const MAX_UNCOMMITTED_BYTES = 64 * 1024 * 1024;
/** How far a learner's log must have caught up with the leader's before it may be promoted (etcd: 90%). */
const LEARNER_READY_FRACTION = 0.9;

/** Volatile facts about the member for status APIs. */
export interface MemberStatus {
  id: number;
  name: string;
  leader: number;
  term: number;
  commit: number;
  applied: number;
  role: StateRole;
  snapshotIndex: number;
  firstLogIndex: number;
  lastLogIndex: number;
  isLearner: boolean;
}

/**
 * One store member: the raft core, its durable log, the MVCC state machine and the peer
 * transport, driven by one loop that owns all I/O in raft's order — persist, send, apply,
 * advance — then answers the waiting proposals.
 */
export class StoreMember {
  readonly id: number;
  readonly clusterId: number;
  readonly log: Logger;
  readonly sm: StateMachine;
  membership: Membership;

  private readonly raft: RaftNode;
  private readonly transport: PeerTransport;
  private readonly proposals = new Waiters<number, ApplyResult>(() => new ErrTimeout());
  private readonly appliedWaiters: IndexWaiters;
  private readonly reads: ReadIndexBatcher;
  private nextRequestId: number;
  private snapshotIndex: number;
  private confState: ConfState;
  private processing = false;
  private stopped = false;
  private role: StateRole = StateRole.Follower;
  private leader = 0;
  private tickTimer: NodeJS.Timeout | undefined;
  /** The loop's current run (see scheduleReady); stop() waits for it. */
  private loopRun: Promise<void> = Promise.resolve();
  private snapshotting = false;
  private removed = false;
  private readonly diskUsage: DiskUsage;
  private readonly leaseExpiry: LeaseExpiry;
  private readonly publisher: AttributePublisher;
  /**
   * Resolves once this member's name and client URLs are in the replicated membership (which
   * needs a leader). Like etcd, the member serves clients only from then on.
   */
  readonly ready: Promise<void>;
  /** Called when this member has been removed from the cluster (the process should stop, like etcd). */
  onRemoved: () => void = () => undefined;
  /**
   * Called when the member failed (a durable write failed) and stopped itself: it cannot
   * continue safely. The process should exit non-zero, like etcd.
   */
  onFailed: (err: unknown) => void = () => undefined;

  private constructor(
    id: number,
    readonly config: MemberConfig,
    private readonly durable: DurableLog,
    private readonly storage: MemoryStorage,
    sm: StateMachine,
    membership: Membership,
    logger: Logger,
  ) {
    this.id = id;
    this.clusterId = clusterIdFor(config.initialClusterToken);
    this.log = logger.child({ member: this.id.toString(16), name: config.name });
    this.sm = sm;
    this.membership = membership;
    const snap = storage.snapshot();
    this.snapshotIndex = snap.metadata.index;
    // The raft snapshot's index is applied (the bootstrap snapshot's state machine says 0).
    sm.markApplied(snap.metadata.index);
    this.confState = snap.metadata.confState;
    this.appliedWaiters = new IndexWaiters(this.appliedIndex);
    // Request ids only need to be unique per proposer and per process lifetime; start from
    // the clock so a restarted member never reuses an id another member might still hold.
    this.nextRequestId = Date.now() * 1000;
    this.raft = new RaftNode({
      id: this.id,
      storage,
      electionTick: config.electionTicks ?? ELECTION_TICKS,
      heartbeatTick: HEARTBEAT_TICKS,
      applied: this.appliedIndex,
      maxSizePerMsg: MAX_SIZE_PER_MSG,
      maxInflightMsgs: MAX_INFLIGHT_MSGS,
      maxUncommittedEntriesSize: MAX_UNCOMMITTED_BYTES,
      preVote: true,
      checkQuorum: true,
      random: Math.random,
      logger: this.log.child({ sub: 'raft' }),
    });
    this.transport = new PeerTransport(
      this.id,
      this.clusterId,
      {
        onMessage: (m) => {
          if (this.stopped) return;
          this.raft.step(m);
          this.scheduleReady();
        },
        onUnreachable: (peer) => this.raft.reportUnreachable(peer),
        isRemoved: (peer) => this.membership.isRemoved(peer),
        onSelfRemoved: () => this.removedFromCluster(),
        onSnapshotStatus: (peer, ok) => {
          this.raft.reportSnapshot(peer, ok);
          this.scheduleReady();
        },
      },
      this.log.child({ sub: 'transport' }),
      peerDialer(config.peerTls),
    );
    this.reads = new ReadIndexBatcher(
      {
        requestReadIndex: (ctx) => {
          this.raft.readIndex(ctx);
          this.scheduleReady();
        },
        waitApplied: (index) => this.appliedWaiters.waitFor(index),
        leaderId: () => this.leader,
      },
      REQUEST_TIMEOUT_MS,
    );
    this.diskUsage = new DiskUsage(path.join(config.dataDir, 'raft'));
    this.leaseExpiry = new LeaseExpiry(
      { isLeader: () => !this.stopped && this.isLeader(), expiredLeases: (max) => this.sm.expiredLeases(max), propose: (req) => this.propose(req) },
      this.log,
    );
    this.publisher = new AttributePublisher(
      {
        id: this.id,
        name: config.name,
        clientUrls: config.advertiseClientUrls,
        record: () => this.membership.get(this.id),
        hasLeader: () => this.leader !== 0,
        propose: (req) => this.propose(req),
      },
      this.log,
    );
    this.ready = this.publisher.published;
    this.syncPeers();
  }

  /**
   * Opens (or creates) the member's data directory and starts raft. A brand-new member of a
   * new cluster writes the bootstrap snapshot that every initial member derives identically
   * from --initial-cluster; a member joining an existing cluster starts empty and receives a
   * snapshot from the leader.
   */
  static async start(config: MemberConfig, logger: Logger): Promise<StoreMember> {
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
      let membership: Membership;
      let sm: StateMachine;
      if (state.snapshot) {
        const decoded = decodeSnapshotData(state.snapshot.data);
        membership = decoded.membership;
        sm = StateMachine.restore(config, decoded.mvcc);
      } else {
        // Joining an existing cluster: dial the members named on the command line until the
        // leader's snapshot tells us the real membership.
        membership = Membership.initial(config.initialCluster, config.initialClusterToken);
        sm = StateMachine.empty(config);
      }
      const member = new StoreMember(id, config, durable, storage, sm, membership, logger);
      member.run();
      return member;
    } catch (err) {
      await durable.close();
      throw err;
    }
  }

  private run(): void {
    this.tickTimer = setInterval(() => {
      this.raft.tick();
      this.scheduleReady();
    }, this.config.tickIntervalMs);
    this.leaseExpiry.start();
    this.log.info({ applied: this.appliedIndex, peers: this.membership.list().length }, 'store member started');
    this.scheduleReady();
    this.publisher.start();
    void advanceElectionTicks(
      {
        selfId: this.id,
        voters: () => this.membership.voters(),
        isActive: (peerId) => this.transport.isActive(peerId),
        tick: () => this.raft.tick(),
        stopped: () => this.stopped,
      },
      { electionTicks: this.config.electionTicks ?? ELECTION_TICKS },
    ).then((ticks) => {
      if (ticks > 0) {
        this.log.debug({ ticks }, 'advanced the election clock at start');
        this.scheduleReady();
      }
    });
  }

  /** Stops the loop, the transport and the durable log; pending requests fail with ErrStopped. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.tickTimer);
    this.leaseExpiry.stop();
    this.publisher.stop();
    this.transport.close();
    this.proposals.rejectAll(new ErrStopped());
    this.reads.failAll(new ErrStopped());
    this.sm.close();
    // The loop ends its current Ready (a durable write may be in flight) and starts no other.
    await this.loopRun;
    await this.durable.close();
    this.log.info('store member stopped');
  }

  // ---- what the API services call ------------------------------------------------------

  /** Raft index of the last entry applied; the state machine keeps it. */
  private get appliedIndex(): number {
    return this.sm.appliedIndex;
  }

  /** Proposes a command and resolves with its result once this member has applied it. */
  async propose(req: Omit<InternalRequest, 'id' | 'proposer'>): Promise<ApplyResult> {
    if (this.stopped) throw new ErrStopped();
    const id = this.nextRequestId++;
    const full: InternalRequest = { ...req, id, proposer: this.id } as InternalRequest;
    const data = InternalRequest.encode(full).finish();
    if (data.length > MAX_REQUEST_BYTES) throw new ErrRequestTooLarge();
    const result = this.raft.propose(data);
    if (result === 'not-leader') throw new ErrNoLeader();
    if (result === 'dropped') throw this.leader === 0 ? new ErrNoLeader() : new ErrTooManyRequests();
    this.scheduleReady();
    return this.proposals.wait(id, REQUEST_TIMEOUT_MS);
  }

  /** Resolves when a linearizable read may be served from this member's state machine. */
  linearizableRead(): Promise<void> {
    if (this.stopped) return Promise.reject(new ErrStopped());
    return this.reads.read();
  }

  /** Adds a member (as a learner when asked); resolves with its record once applied. */
  async addMember(peerUrls: string[], isLearner: boolean): Promise<MemberRecord> {
    const id = memberIdFor(peerUrls, `${this.config.initialClusterToken}/${Date.now()}/${Math.random()}`);
    const record: MemberRecord = { id, name: '', peerUrls, clientUrls: [], isLearner };
    this.membership.checkAdd(record);
    checkCanAdd(this.membership, this.transport, isLearner, Date.now());
    await this.proposeConfChange(isLearner ? ConfChangeType.AddLearnerNode : ConfChangeType.AddNode, id, record);
    return record;
  }

  async removeMember(id: number): Promise<void> {
    this.membership.checkExists(id);
    checkCanRemove(this.membership, this.transport, this.id, id, Date.now());
    await this.proposeConfChange(ConfChangeType.RemoveNode, id, undefined);
  }

  /**
   * Promotes a learner to a voter. Leader only: like etcd, the learner must have caught up
   * (its log within LEARNER_READY_FRACTION of the leader's) or the promotion is refused.
   */
  async promoteMember(id: number): Promise<void> {
    const m = this.membership.checkExists(id);
    if (!m.isLearner) throw new ErrMemberNotLearner();
    if (!this.isLeader()) throw new ErrNotLeader();
    const progress = this.raft.status().progress;
    const learnerMatch = progress?.get(id)?.match ?? 0;
    if (learnerMatch < this.storage.lastIndex() * LEARNER_READY_FRACTION) throw new ErrLearnerNotReady();
    await this.proposeConfChange(ConfChangeType.AddNode, id, m);
  }

  /** Changes a member's peer URLs (through the log, like every membership fact). */
  async updateMember(id: number, peerUrls: string[]): Promise<void> {
    this.membership.checkUpdate(id, peerUrls);
    const result = await this.propose({ memberUpdate: { memberId: id, peerUrls } });
    if (result.error) throw result.error;
  }

  private async proposeConfChange(type: ConfChangeType, nodeId: number, member: MemberRecord | undefined): Promise<void> {
    if (this.stopped) throw new ErrStopped();
    const requestId = this.nextRequestId++;
    const context = ConfChangeContext.encode({ member, requestId, proposer: this.id }).finish();
    const result = this.raft.proposeConfChange({ type, nodeId, context });
    if (result === 'not-leader') throw new ErrNoLeader();
    if (result === 'dropped') throw new ErrLeaderChanged();
    this.scheduleReady();
    const outcome = await this.proposals.wait(requestId, REQUEST_TIMEOUT_MS);
    if (outcome.error) throw outcome.error;
  }

  /** Hands leadership to another voting member (this member must be the leader). */
  transferLeadership(to: number): void {
    this.raft.transferLeadership(to);
    this.scheduleReady();
  }

  leaderId(): number {
    return this.leader;
  }

  isLeader(): boolean {
    return this.role === StateRole.Leader;
  }

  term(): number {
    return this.raft.term;
  }

  status(): MemberStatus {
    const st = this.raft.status();
    return {
      id: this.id,
      name: this.config.name,
      leader: st.softState.lead,
      term: st.hardState.term,
      commit: st.hardState.commit,
      applied: this.appliedIndex,
      role: st.softState.role,
      snapshotIndex: this.snapshotIndex,
      firstLogIndex: this.storage.firstIndex(),
      lastLogIndex: this.storage.lastIndex(),
      isLearner: this.membership.get(this.id)?.isLearner ?? false,
    };
  }

  /** Bytes of this member's data on disk (reported as etcd's dbSize); cached briefly. */
  diskUsageBytes(): number {
    return this.diskUsage.bytes();
  }

  /** The gRPC handler for other members' raft streams (served on the peer port). */
  transportService(): RaftPeerServer {
    return this.transport.service();
  }

  /** The leader's peer URLs (to forward leader-only calls), if a leader is known. */
  leaderPeerUrls(): string[] | undefined {
    return this.membership.get(this.leader)?.peerUrls;
  }

  // ---- the loop ------------------------------------------------------------------------

  private scheduleReady(): void {
    if (this.processing || this.stopped || !this.raft.hasReady()) return;
    this.processing = true;
    this.loopRun = new Promise((resolve) => {
      setImmediate(() => {
        this.processReady()
          .catch((err) => this.fatal(err))
          .finally(resolve);
      });
    });
  }

  private async processReady(): Promise<void> {
    try {
      while (!this.stopped && this.raft.hasReady()) {
        const rd = this.raft.ready();
        // Raft thesis §10.2.1: a leader may send its appends while it writes them to its own
        // log (the core counts the leader's own entries only once they are persisted), so the
        // disk write and the followers' round trip overlap. Everyone else acknowledges only
        // what is on disk, so they send after the write.
        const leader = this.raft.role === StateRole.Leader;
        if (leader) this.transport.send(rd.messages);
        const persisted = this.persist(rd);
        // Committed entries are already durable: apply them while the new ones are written.
        if (!rd.snapshot) this.applyCommitted(rd);
        await persisted;
        if (!leader) this.transport.send(rd.messages);
        if (rd.snapshot) {
          this.applySnapshot(rd.snapshot);
          this.applyCommitted(rd);
        }
        for (const rs of rd.readStates) this.reads.onReadState(rs);
        if (rd.softState) this.onSoftState(rd.softState.lead, rd.softState.role);
        this.raft.advance(rd);
        this.maybeSnapshot();
      }
    } finally {
      this.processing = false;
    }
    // Anything that arrived during the last await is picked up here.
    this.scheduleReady();
  }

  private applyCommitted(rd: Ready): void {
    for (const e of rd.committedEntries) this.applyEntry(e);
    this.appliedWaiters.advance(this.appliedIndex);
  }

  /** Writes a Ready's durable parts (one LevelDB batch) and mirrors them into the raft view. */
  private async persist(rd: Ready): Promise<void> {
    if (rd.snapshot || rd.entries.length > 0 || rd.hardState) {
      await this.durable.save({ hardState: rd.hardState, entries: rd.entries, snapshot: rd.snapshot }, rd.mustSync);
    }
    if (rd.snapshot) this.storage.applySnapshot(rd.snapshot);
    if (rd.entries.length > 0) this.storage.append(rd.entries);
    if (rd.hardState) this.storage.setHardState(rd.hardState);
  }

  private onSoftState(lead: number, role: StateRole): void {
    if (lead !== this.leader) this.log.info({ leader: lead.toString(16), term: this.raft.term }, 'leader changed');
    this.leader = lead;
    if (role === this.role) return;
    const wasLeader = this.role === StateRole.Leader;
    this.role = role;
    if (role === StateRole.Leader) this.sm.promoteLeases();
    else if (wasLeader) this.sm.demoteLeases();
  }

  private applySnapshot(snap: Snapshot): void {
    const decoded = decodeSnapshotData(snap.data);
    this.sm.restoreInPlace(decoded.mvcc);
    this.sm.markApplied(snap.metadata.index);
    this.membership = decoded.membership;
    this.confState = snap.metadata.confState;
    this.snapshotIndex = snap.metadata.index;
    this.syncPeers();
    this.log.info({ index: snap.metadata.index }, 'applied snapshot from leader');
  }

  private applyEntry(e: Entry): void {
    if (e.index <= this.appliedIndex) return;
    if (e.type === EntryType.ConfChange) this.applyConfChangeEntry(e);
    else if (e.data.length > 0) this.applyNormalEntry(e);
    this.sm.markApplied(e.index);
  }

  private applyNormalEntry(e: Entry): void {
    let req: InternalRequest;
    try {
      req = InternalRequest.decode(e.data);
    } catch (err) {
      // Every member decodes the same bytes, so every member skips the entry alike.
      this.log.error({ index: e.index, err: String(err) }, 'undecodable log entry skipped');
      return;
    }
    let result: ApplyResult;
    if (req.memberAttributes) {
      const a = req.memberAttributes;
      this.membership.setAttributes(a.memberId, a.name, a.clientUrls);
      result = NO_RESULT;
    } else if (req.memberUpdate) {
      this.membership.setPeerUrls(req.memberUpdate.memberId, req.memberUpdate.peerUrls);
      this.syncPeers();
      result = NO_RESULT;
    } else {
      result = this.sm.apply(req, e.index);
    }
    if (req.proposer === this.id) this.proposals.resolve(req.id, result);
  }

  private applyConfChangeEntry(e: Entry): void {
    const cc = decodeConfChange(e.data);
    let ctx: ConfChangeContext = { member: undefined, requestId: 0, proposer: 0 };
    try {
      ctx = ConfChangeContext.decode(cc.context);
    } catch {
      this.log.error({ index: e.index }, 'undecodable membership change context');
    }
    const ok = this.membership.applyConfChange(cc, ctx.member);
    if (ok) this.confState = this.raft.applyConfChange(cc);
    this.syncPeers();
    this.log.info({ index: e.index, type: ConfChangeType[cc.type], node: cc.nodeId.toString(16), ok }, 'membership change applied');
    if (ctx.proposer === this.id) this.proposals.resolve(ctx.requestId, ok ? NO_RESULT : { error: new StoreError(grpc.status.FAILED_PRECONDITION, 'etcdserver: membership change rejected') });
    if (ok && cc.type === ConfChangeType.RemoveNode && cc.nodeId === this.id) this.removedFromCluster();
  }

  /** This member is no longer part of the cluster: tell the process (it stops, like etcd). */
  private removedFromCluster(): void {
    if (this.stopped || this.removed) return;
    this.removed = true;
    this.log.warn('this member was removed from the cluster; stopping');
    setImmediate(() => this.onRemoved());
  }

  /** Makes the transport dial exactly the current members. */
  private syncPeers(): void {
    for (const m of this.membership.list()) this.transport.setPeer(m.id, m.peerUrls);
    for (const id of this.membership.removedIds()) this.transport.removePeer(id);
  }

  /** Every snapshotCount applied entries, snapshot the state machine and compact the log. */
  private maybeSnapshot(): void {
    if (this.snapshotting || this.appliedIndex - this.snapshotIndex < this.config.snapshotCount) return;
    this.snapshotting = true;
    const index = this.appliedIndex;
    const data = encodeSnapshotData(this.membership, this.sm.serialize());
    const snap = this.storage.createSnapshot(index, this.confState, data);
    this.snapshotIndex = index;
    this.durable
      .save({ entries: [], snapshot: snap }, true)
      .then(async () => {
        const compactTo = index - SNAPSHOT_CATCHUP_ENTRIES;
        if (compactTo > this.storage.firstIndex()) this.storage.compact(compactTo);
        this.log.info({ index, bytes: data.length }, 'snapshot saved');
      })
      .catch((err) => this.fatal(err))
      .finally(() => {
        this.snapshotting = false;
      });
  }

  /** A durable write failed: the member cannot continue safely (like etcd, it stops). */
  private fatal(err: unknown): void {
    this.log.fatal({ err: err instanceof Error ? err.stack : String(err) }, 'store member failed');
    void this.stop().finally(() => this.onFailed(err));
  }
}
