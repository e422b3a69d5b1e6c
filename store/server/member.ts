import * as path from 'node:path';
import type { Logger } from 'pino';
import { RaftPeerServer } from '../../gen/bosun/raft';
import { InternalRequest, MemberRecord } from '../../gen/bosun/store';
import { ErrLearnerNotReady, ErrMemberNotLearner, ErrNotLeader, ErrStopped } from '../errors';
import type { ApplyResult } from '../mvcc/applier';
import type { MemoryStorage } from '../raft/memory-storage';
import { ConfChangeType, StateRole } from '../raft/types';
import type { DurableLog } from '../storage/durable-log';
import { AttributePublisher } from './attribute-publisher';
import { DiskUsage } from './disk-usage';
import { advanceElectionTicks } from './election-tick-advance';
import { EntryApplier } from './entry-applier';
import { LeaseExpiry } from './lease-expiry';
import { clusterIdFor, ELECTION_TICKS, MemberConfig, memberIdFor, REQUEST_TIMEOUT_MS } from './member-config';
import { loadMemberState, MemberState } from './member-state';
import type { Membership } from './membership';
import { PeerTransport, peerDialer } from './peer-transport';
import { Proposer } from './proposer';
import { RaftLoop } from './raft-loop';
import { ReadIndexBatcher } from './read-index';
import { checkCanAdd, checkCanRemove } from './reconfig-checks';
import type { StateMachine } from './state-machine';

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
 * One store member, as the API services see it: proposals, linearizable reads, membership
 * changes and status. Behind it, a RaftLoop owns all I/O in raft's order — persist, send,
 * apply, advance; an EntryApplier applies what is committed to the MVCC state machine and the
 * membership and answers the Proposer's waiting proposals. Lease expiry, attribute publishing
 * and disk usage run beside them.
 */
export class StoreMember {
  readonly id: number;
  readonly clusterId: number;
  readonly log: Logger;
  readonly sm: StateMachine;

  private readonly durable: DurableLog;
  private readonly storage: MemoryStorage;
  private readonly loop: RaftLoop;
  private readonly applier: EntryApplier;
  private readonly transport: PeerTransport;
  private readonly proposer: Proposer;
  private readonly reads: ReadIndexBatcher;
  private stopped = false;
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
    readonly config: MemberConfig,
    { id, durable, storage, sm, membership }: MemberState,
    logger: Logger,
  ) {
    this.id = id;
    this.durable = durable;
    this.storage = storage;
    this.clusterId = clusterIdFor(config.initialClusterToken);
    this.log = logger.child({ member: this.id.toString(16), name: config.name });
    this.sm = sm;
    this.applier = new EntryApplier(
      sm,
      membership,
      storage.snapshotMetadata(),
      {
        id,
        answerProposal: (requestId, result) => this.proposer.answer(requestId, result),
        applyConfChange: (cc) => this.loop.raft.applyConfChange(cc),
        membershipChanged: () => this.syncPeers(),
        removedFromCluster: () => this.removedFromCluster(),
      },
      this.log,
    );
    this.loop = new RaftLoop(
      { id, electionTicks: config.electionTicks ?? ELECTION_TICKS, tickIntervalMs: config.tickIntervalMs, snapshotCount: config.snapshotCount },
      {
        storage,
        durable,
        applier: this.applier,
        send: (messages) => this.transport.send(messages),
        readState: (rs) => this.reads.onReadState(rs),
        leadershipChanged: (leading) => (leading ? this.sm.promoteLeases() : this.sm.demoteLeases()),
        failed: (err) => this.fatal(err),
      },
      this.log,
    );
    this.proposer = new Proposer(id, this.loop);
    this.transport = new PeerTransport(
      this.id,
      this.clusterId,
      {
        onMessage: (m) => this.loop.step(m),
        onUnreachable: (peer) => this.loop.raft.reportUnreachable(peer),
        isRemoved: (peer) => this.membership.isRemoved(peer),
        onSelfRemoved: () => this.removedFromCluster(),
        onSnapshotStatus: (peer, ok) => {
          this.loop.raft.reportSnapshot(peer, ok);
          this.loop.schedule();
        },
      },
      this.log.child({ sub: 'transport' }),
      peerDialer(config.peerTls),
    );
    this.reads = new ReadIndexBatcher(
      {
        requestReadIndex: (ctx) => {
          this.loop.raft.readIndex(ctx);
          this.loop.schedule();
        },
        waitApplied: (index) => this.applier.waitApplied(index),
        leaderId: () => this.loop.leaderId,
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
        hasLeader: () => this.loop.leaderId !== 0,
        propose: (req) => this.propose(req),
      },
      this.log,
    );
    this.ready = this.publisher.published;
    this.syncPeers();
  }

  /** Opens (or creates) the member's data directory (see loadMemberState) and starts raft. */
  static async start(config: MemberConfig, logger: Logger): Promise<StoreMember> {
    const state = await loadMemberState(config, logger);
    try {
      const member = new StoreMember(config, state, logger);
      member.run();
      return member;
    } catch (err) {
      await state.durable.close();
      throw err;
    }
  }

  private run(): void {
    this.loop.start();
    this.leaseExpiry.start();
    this.log.info({ applied: this.applier.appliedIndex, peers: this.membership.list().length }, 'store member started');
    this.publisher.start();
    void advanceElectionTicks(
      {
        selfId: this.id,
        voters: () => this.membership.voters(),
        isActive: (peerId) => this.transport.isActive(peerId),
        tick: () => this.loop.tick(),
        stopped: () => this.stopped,
      },
      { electionTicks: this.config.electionTicks ?? ELECTION_TICKS },
    ).then((ticks) => {
      if (ticks > 0) this.log.debug({ ticks }, 'advanced the election clock at start');
    });
  }

  /** Stops the loop, the transport and the durable log; pending requests fail with ErrStopped. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    // The loop ends its current Ready (a durable write may be in flight) and starts no other.
    const loopDone = this.loop.stop();
    this.leaseExpiry.stop();
    this.publisher.stop();
    this.transport.close();
    this.proposer.failAll(new ErrStopped());
    this.reads.failAll(new ErrStopped());
    this.sm.close();
    await loopDone;
    await this.durable.close();
    this.log.info('store member stopped');
  }

  // ---- what the API services call ------------------------------------------------------

  /** The cluster's membership as of the applied index (from the log or the leader's snapshot). */
  get membership(): Membership {
    return this.applier.membership;
  }

  /** Proposes a command and resolves with its result once this member has applied it (see Proposer). */
  async propose(req: Omit<InternalRequest, 'id' | 'proposer'>): Promise<ApplyResult> {
    if (this.stopped) throw new ErrStopped();
    return this.proposer.propose(req);
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

  /** Removes a member (refused when it would leave too few active voters); resolves once applied. */
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
    const progress = this.loop.raft.status().progress;
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
    await this.proposer.proposeConfChange(type, nodeId, member);
  }

  /** Hands leadership to another voting member (this member must be the leader). */
  transferLeadership(to: number): void {
    this.loop.raft.transferLeadership(to);
    this.loop.schedule();
  }

  /** The leader this member believes in, or 0. */
  leaderId(): number {
    return this.loop.leaderId;
  }

  /** Whether this member is the leader. */
  isLeader(): boolean {
    return this.loop.isLeader;
  }

  /** The current raft term. */
  term(): number {
    return this.loop.raft.term;
  }

  /** Volatile facts about this member (leader, term, indexes, role) for status APIs. */
  status(): MemberStatus {
    const st = this.loop.raft.status();
    return {
      id: this.id,
      name: this.config.name,
      leader: st.softState.lead,
      term: st.hardState.term,
      commit: st.hardState.commit,
      applied: this.applier.appliedIndex,
      role: st.softState.role,
      snapshotIndex: this.storage.snapshotMetadata().index,
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
    return this.membership.get(this.loop.leaderId)?.peerUrls;
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

  /** A durable write failed: the member cannot continue safely (like etcd, it stops). */
  private fatal(err: unknown): void {
    this.log.fatal({ err: err instanceof Error ? err.stack : String(err) }, 'store member failed');
    void this.stop().finally(() => this.onFailed(err));
  }
}
