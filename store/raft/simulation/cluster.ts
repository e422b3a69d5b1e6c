/**
 * A simulated raft cluster: real {@link RaftNode}s, each driven by the member loop of the
 * Ready contract, over a {@link SimNetwork}, with a {@link SafetyChecker} watching everything.
 *
 * Each member has a "durable" {@link MemoryStorage} that receives exactly what a member loop
 * persists (Ready.snapshot, Ready.entries, Ready.hardState) and nothing else. A crash discards
 * the RaftNode and the state machine; a restart builds a new RaftNode from the durable storage
 * with `applied` = the snapshot index and rebuilds the state machine from the snapshot data,
 * letting raft replay the rest of the committed log.
 *
 * The cluster does only what it is told (tick, deliver, propose, crash, …); which input comes
 * next, and which faults happen, is decided by the scenario driving it.
 */

import { ConfChange, ConfChangeType, ConfState, Entry, EntryType, MessageType, NONE, Ready, StateRole, isLocalMessage } from '../types';
import { decodeConfChange, encodeConfChange } from '../conf-change';
import { MemoryStorage } from '../memory-storage';
import { ProposeResult, RaftNode } from '../raft-node';
import { InvariantViolation, SafetyChecker } from './invariants';
import { CrashPoint, SimMember } from './member';
import { InFlight, SimNetwork } from './network';
import { Prng } from './prng';
import { ListStateMachine, bytesToLatin1, entryFingerprint, latin1ToBytes } from './state-machine';
import { Trace } from './trace';
import { describeConfChange, describeInFlight, describeMessage, describeStorage } from './trace-format';

export { CrashPoint, MemberState, SimMember } from './member';

/** Thrown inside the member loop to abandon a Ready when an armed crash fires. */
class CrashSignal {
  constructor(readonly point: CrashPoint) {}
}

/** Raft tunables shared by every member of a simulated cluster. */
export interface SimRaftSettings {
  electionTick: number;
  heartbeatTick: number;
  preVote: boolean;
  checkQuorum: boolean;
  maxSizePerMsg: number;
  maxInflightMsgs: number;
  maxUncommittedEntriesSize?: number;
}

/** How members take snapshots and compact their durable logs. */
export interface SnapshotPolicy {
  /** Take a snapshot once this many entries were applied since the last one; 0 = never. */
  every: number;
  /** Entries kept in the log below the snapshot index when compacting. */
  keep: number;
  /**
   * Take a fresh snapshot (without compacting) right after applying a membership change, so
   * the snapshot a leader sends names the members it is sent to. Without it a joining member
   * is often sent a snapshot older than its own AddNode (raft must accept it and learn of its
   * own addition from the log that follows); runs draw both policies.
   */
  afterConfChange: boolean;
}

/** Everything a cluster needs; the prng drives the nodes' own randomness and loss reports. */
export interface ClusterOptions {
  /** Initial member ids (e.g. [1, 2, 3]). */
  ids: number[];
  raft: SimRaftSettings;
  snapshots: SnapshotPolicy;
  prng: Prng;
  trace: Trace;
  checker: SafetyChecker;
  /** Probability that a message lost to a cut link or a down member is reported Unreachable. */
  reportUnreachableRate: number;
  /**
   * Harness self-test only: a crash also forgets the durable vote, as if the disk lied about
   * fsync. Raft cannot be safe under this; the checkers must catch the consequences.
   */
  amnesia?: boolean;
}

/** Counters of what happened in a run (to show what a suite actually exercised). */
export interface ClusterStats {
  delivered: number;
  lost: number;
  duplicated: number;
  snapshotsInstalled: number;
  snapshotsTaken: number;
  crashes: number;
  restarts: number;
  confChangesApplied: number;
  readStates: number;
  leaderChanges: number;
  /** Appends that replaced a conflicting suffix of a member's durable log. */
  truncations: number;
}

/** A zeroed {@link ClusterStats}. */
export function emptyStats(): ClusterStats {
  return {
    delivered: 0,
    lost: 0,
    duplicated: 0,
    snapshotsInstalled: 0,
    snapshotsTaken: 0,
    crashes: 0,
    restarts: 0,
    confChangesApplied: 0,
    readStates: 0,
    leaderChanges: 0,
    truncations: 0,
  };
}

/** Upper bound on Ready cycles per input before the member loop is declared stuck. */
export const MAX_READY_CYCLES = 256;

/** A cluster of simulated members plus the network between them. */
export class SimCluster {
  readonly members = new Map<number, SimMember>();
  readonly network = new SimNetwork();
  readonly stats: ClusterStats = emptyStats();
  /** Current simulation step (for trace lines); the scenario advances it. */
  now = 0;
  private readonly pendingEffects: Array<() => void> = [];
  private readCounter = 0;

  constructor(private readonly opts: ClusterOptions) {
    // Bootstrap: every initial member writes the same committed AddNode entries (see
    // RaftConfig.peers); they count as proposed for the validity check.
    for (const id of opts.ids) {
      opts.checker.noteProposed(bytesToLatin1(encodeConfChange({ type: ConfChangeType.AddNode, nodeId: id, context: new Uint8Array(0) })));
    }
    for (const id of opts.ids) {
      const m = new SimMember(id, new MemoryStorage(), { voters: [], learners: [] });
      this.members.set(id, m);
      this.startNode(m, opts.ids.slice());
    }
    for (const id of opts.ids) this.drain(this.member(id));
  }

  private get trace(): Trace {
    return this.opts.trace;
  }

  private get checker(): SafetyChecker {
    return this.opts.checker;
  }

  /** Adds a trace line at the current step. */
  log(text: string): void {
    this.trace.add(this.now, text);
  }

  /** Ids of all members ever part of the cluster, ascending. */
  ids(): number[] {
    return [...this.members.keys()].sort((a, b) => a - b);
  }

  /** Ids of running members, ascending. */
  runningIds(): number[] {
    return this.ids().filter((id) => this.members.get(id)!.state === 'running');
  }

  /** Ids of crashed (restartable) members, ascending. */
  crashedIds(): number[] {
    return this.ids().filter((id) => this.members.get(id)!.state === 'crashed');
  }

  /** The member with this id (throws if unknown). */
  member(id: number): SimMember {
    const m = this.members.get(id);
    if (!m) throw new Error(`no member ${id}`);
    return m;
  }

  /** The running leader with the highest term, if any. */
  leader(): SimMember | undefined {
    let best: SimMember | undefined;
    for (const m of this.members.values()) {
      if (m.state !== 'running' || m.raft.role !== StateRole.Leader) continue;
      if (!best || m.raft.term > best.raft.term) best = m;
    }
    return best;
  }

  // ---- inputs -------------------------------------------------------------------------

  /** Ticks one running member. */
  tick(id: number): void {
    const m = this.member(id);
    m.raft.tick();
    this.drain(m);
  }

  /** Ticks every running member once (one unit of virtual time passing everywhere). */
  tickAll(): void {
    for (const id of this.runningIds()) this.tick(id);
  }

  /**
   * True if the in-flight message at `pos` would be lost anyway (its link is cut or its
   * destination is not running), so delivering it is not worth a simulation step.
   */
  isDoomed(pos: number): boolean {
    const f = this.network.peek(pos);
    const dst = this.members.get(f.msg.to);
    return this.network.isCut(f.sender, f.msg.to) || !dst || dst.state !== 'running';
  }

  /**
   * Takes the in-flight message at position `pos` off the wire and delivers it, unless it is
   * dropped (`drop`), its link is cut, or its destination is not running. With `duplicateAt`
   * a copy stays on the wire at that position, to be delivered again later.
   */
  deliver(pos: number, drop = false, duplicateAt?: number): void {
    const f = this.network.take(pos);
    const m = f.msg;
    const dst = this.members.get(m.to);
    if (drop) return this.lose(f, 'dropped');
    if (this.network.isCut(f.sender, m.to)) return this.lose(f, 'link cut');
    if (!dst || dst.state !== 'running') return this.lose(f, `member ${m.to} ${dst ? dst.state : 'unknown'}`);
    if (duplicateAt !== undefined) {
      this.network.duplicate(f, duplicateAt);
      this.log(`dup  ${describeInFlight(f)}`);
      this.stats.duplicated++;
    }
    this.log(`recv ${describeInFlight(f)}`);
    this.stats.delivered++;
    dst.raft.step(m);
    this.drain(dst);
    if (m.type === MessageType.Snap) this.reportSnapshot(f, true);
  }

  /** Proposes a command at member `id`; records it as proposed for the validity check. */
  propose(id: number, command: string): ProposeResult {
    const m = this.member(id);
    this.checker.noteProposed(command);
    const r = m.raft.propose(latin1ToBytes(command));
    this.log(`prop ${id} ${JSON.stringify(command)} -> ${r}`);
    this.drain(m);
    return r;
  }

  /** Proposes a membership change at member `id`. */
  proposeConfChange(id: number, cc: ConfChange): ProposeResult {
    const m = this.member(id);
    this.checker.noteProposed(bytesToLatin1(encodeConfChange(cc)));
    const r = m.raft.proposeConfChange(cc);
    this.log(`prop ${id} conf ${describeConfChange(cc)} -> ${r}`);
    this.drain(m);
    return r;
  }

  /** Requests a linearizable read at member `id`, remembering the commit index known now. */
  readIndex(id: number): void {
    const m = this.member(id);
    const ctx = `read-${id}-${++this.readCounter}`;
    this.checker.readRequested(id, ctx);
    this.log(`read ${id} ${ctx} (commit floor ${this.checker.commitIndex})`);
    m.raft.readIndex(latin1ToBytes(ctx));
    this.drain(m);
  }

  /** Asks member `id` (normally the leader) to hand leadership to `to`. */
  transferLeadership(id: number, to: number): void {
    const m = this.member(id);
    this.log(`xfer ${id} -> ${to}`);
    m.raft.transferLeadership(to);
    this.drain(m);
  }

  /** Makes member `id` campaign at once. */
  campaign(id: number): void {
    const m = this.member(id);
    this.log(`campaign ${id}`);
    m.raft.campaign();
    this.drain(m);
  }

  /** Crashes member `id`: the node and its state machine are gone, durable storage stays. */
  crash(id: number): void {
    const m = this.member(id);
    m.node = undefined;
    m.state = 'crashed';
    this.stats.crashes++;
    m.crashPlan = undefined;
    if (this.opts.amnesia) {
      // Rebuild the durable state with the vote forgotten (a lying fsync).
      const st = m.storage;
      const hs = st.initialState().hardState;
      const snap = st.snapshot();
      m.storage = MemoryStorage.restore({
        hardState: { term: hs.term, vote: NONE, commit: hs.commit },
        snapshot: snap,
        entries: st.lastIndex() >= st.firstIndex() ? st.entries(st.firstIndex(), st.lastIndex() + 1, Number.MAX_SAFE_INTEGER) : [],
      });
    }
    this.log(`CRASH ${id} (durable: ${describeStorage(m.storage)})`);
  }

  /**
   * Restarts a crashed member from its durable storage: the state machine is rebuilt from the
   * snapshot and raft replays committed entries after it.
   */
  restart(id: number): void {
    const m = this.member(id);
    if (m.state !== 'crashed') throw new Error(`restart of member ${id} which is ${m.state}`);
    const snap = m.storage.snapshot();
    m.sm = ListStateMachine.fromSnapshot(snap.data, snap.metadata.index);
    m.confState = cloneConfState(m.storage.initialState().confState);
    m.state = 'running';
    this.stats.restarts++;
    this.startNode(m, undefined);
    this.log(`RESTART ${id} (durable: ${describeStorage(m.storage)}, applied ${snap.metadata.index})`);
    this.drain(m);
  }

  /**
   * Arms a crash of member `id` in the middle of its next Ready cycle that persists
   * something: after the write, before messages go out or before anything is applied.
   */
  armCrash(id: number, point: CrashPoint): void {
    this.member(id).crashPlan = point;
    this.log(`arm crash ${id} ${point}`);
  }

  /** Disarms every armed crash (the liveness phase injects no faults). */
  disarmCrashes(): void {
    for (const m of this.members.values()) m.crashPlan = undefined;
  }

  /** Snapshots member `id` at its applied index and compacts its log, if there is anything new. */
  snapshotNow(id: number): void {
    this.maybeSnapshot(this.member(id), true);
  }

  /** Runs the checks that look at the whole cluster; called by the scenario after every step. */
  afterStep(): void {
    for (const m of this.members.values()) {
      if (m.state !== 'running') continue;
      const n = m.raft;
      if (n.role === StateRole.Leader) {
        this.checker.observeLeader(m.id, n.term);
        this.checkNewLeader(m);
      }
    }
  }

  // ---- the member loop ---------------------------------------------------------------

  private startNode(m: SimMember, peers: number[] | undefined): void {
    m.incarnation++;
    const seedSource = this.opts.prng.fork(m.id * 1000 + m.incarnation);
    m.node = new RaftNode({
      id: m.id,
      storage: m.storage,
      peers,
      electionTick: this.opts.raft.electionTick,
      heartbeatTick: this.opts.raft.heartbeatTick,
      applied: m.sm.appliedIndex,
      maxSizePerMsg: this.opts.raft.maxSizePerMsg,
      maxInflightMsgs: this.opts.raft.maxInflightMsgs,
      maxUncommittedEntriesSize: this.opts.raft.maxUncommittedEntriesSize,
      preVote: this.opts.raft.preVote,
      checkQuorum: this.opts.raft.checkQuorum,
      random: () => seedSource.next(),
    });
    const hs = m.storage.initialState().hardState;
    m.commit = hs.commit;
    m.checkedLeaderTerm = 0;
    this.checker.observeLiveCommit(m.id, m.incarnation, m.commit);
    // A crash between persisting a commit index and reporting it must not hide it.
    this.checker.observeCommit(m.id, hs.term, m.sm.appliedIndex, m.commit, m.lookup);
  }

  /**
   * The member loop: while the node has a Ready, persist (snapshot, entries, hard state),
   * send, apply (snapshot, committed entries), check read states, advance. Runs to quiescence
   * after every input, so between steps each node's whole log is on its durable storage.
   */
  private drain(m: SimMember): void {
    let cycles = 0;
    while (m.node && m.node.hasReady()) {
      if (++cycles > MAX_READY_CYCLES) {
        throw new InvariantViolation('ReadyContract', `member ${m.id} still hasReady() after ${MAX_READY_CYCLES} Ready cycles`);
      }
      const node = m.node;
      const rd = node.ready();
      try {
        this.processReady(m, node, rd);
      } catch (err) {
        if (!(err instanceof CrashSignal)) throw err;
        this.log(`crash ${m.id} inside a Ready (${err.point}: ${rd.messages.length} msgs, ${rd.committedEntries.length} committed entries)`);
        this.crash(m.id);
        break;
      }
      node.advance(rd);
      this.maybeSnapshot(m, false);
    }
    this.runEffects();
    if (m.node && m.node.role === StateRole.Leader) {
      this.checker.observeLeader(m.id, m.node.term);
      this.checkNewLeader(m);
    }
  }

  private processReady(m: SimMember, node: RaftNode, rd: Ready): void {
    if (rd.softState) {
      this.log(`soft ${m.id} ${StateRole[rd.softState.role]} lead=${rd.softState.lead} term=${node.term}`);
      if (rd.softState.role === StateRole.Leader) {
        this.checker.observeLeader(m.id, node.term);
        this.stats.leaderChanges++;
      }
    }
    // 1. Persist: snapshot, entries, hard state.
    if (rd.snapshot) {
      const meta = rd.snapshot.metadata;
      this.log(`persist ${m.id} snapshot ${meta.index}/t${meta.term} voters=[${meta.confState.voters}]`);
      m.storage.applySnapshot(rd.snapshot);
    }
    if (rd.entries.length > 0) {
      const first = rd.entries[0].index;
      if (first <= m.storage.lastIndex() && first >= m.storage.firstIndex() && m.storage.term(first) !== rd.entries[0].term) {
        this.stats.truncations++;
        this.log(`truncate ${m.id} log at ${first} (had ${m.storage.lastIndex()}/t${m.storage.term(m.storage.lastIndex())}, now ${first}/t${rd.entries[0].term})`);
      }
      m.storage.append(rd.entries);
      this.checker.observePersistedEntries(m.id, rd.entries, m.storage);
    }
    if (rd.hardState) {
      this.checker.observePersistedHardState(m.id, rd.hardState);
      m.storage.setHardState(rd.hardState);
    }
    const persisted = rd.snapshot !== undefined || rd.entries.length > 0 || rd.hardState !== undefined;
    if (persisted && m.crashPlan === 'before-send') throw new CrashSignal(m.crashPlan);
    // 2. Send.
    for (const msg of rd.messages) {
      if (isLocalMessage(msg.type) || msg.to === m.id || msg.to === NONE || (msg.from !== m.id && !isRelayed(msg.type))) {
        throw new InvariantViolation('ReadyContract', `member ${m.id} asked to send an unsendable message: ${describeMessage(msg)}`);
      }
      this.network.send(msg, m.id, m.incarnation);
    }
    // 3. Apply: snapshot, then committed entries (the commit index is checked in between,
    // once the member's log and state machine both reflect the snapshot).
    if (rd.snapshot) {
      this.stats.snapshotsInstalled++;
      this.applySnapshot(m, rd.snapshot.data, rd.snapshot.metadata.index, rd.snapshot.metadata.confState);
    }
    if (rd.hardState && rd.hardState.commit !== m.commit) {
      const hs = rd.hardState;
      this.checker.observeLiveCommit(m.id, m.incarnation, hs.commit);
      this.checker.observeCommit(m.id, hs.term, Math.min(m.commit, hs.commit), hs.commit, m.lookup);
      m.commit = hs.commit;
    }
    if (persisted && m.crashPlan === 'before-apply') throw new CrashSignal(m.crashPlan);
    for (const e of rd.committedEntries) this.applyEntry(m, node, e);
    if (m.sm.appliedIndex > m.commit) {
      throw new InvariantViolation('ReadyContract', `member ${m.id} applied up to ${m.sm.appliedIndex} beyond its commit index ${m.commit}`);
    }
    // Read states.
    for (const rs of rd.readStates) {
      const ctx = bytesToLatin1(rs.requestCtx);
      this.log(`readstate ${m.id} ${ctx} index=${rs.index}`);
      this.checker.observeReadState(m.id, ctx, rs.index);
      this.stats.readStates++;
    }
  }

  private applySnapshot(m: SimMember, data: Uint8Array, index: number, cs: ConfState): void {
    m.sm = ListStateMachine.fromSnapshot(data, index);
    m.confState = cloneConfState(cs);
    for (const r of m.sm.all()) this.checker.observeApplied(m.id, r.index, r.term, entryFingerprint(r.type, r.data));
    this.log(`apply ${m.id} snapshot ${index}`);
  }

  private applyEntry(m: SimMember, node: RaftNode, e: Entry): void {
    if (e.index !== m.sm.appliedIndex + 1) {
      throw new InvariantViolation('ReadyContract', `member ${m.id} was given committed entry ${e.index} to apply after applied index ${m.sm.appliedIndex}`);
    }
    if (e.index > m.storage.lastIndex() || (e.index >= m.storage.firstIndex() && m.storage.term(e.index) !== e.term)) {
      throw new InvariantViolation('ReadyContract', `member ${m.id} was given committed entry ${e.index}/t${e.term} that is not on its durable log (${describeStorage(m.storage)})`);
    }
    const rec = m.sm.apply(e);
    this.checker.observeApplied(m.id, e.index, e.term, entryFingerprint(e.type, rec.data));
    switch (e.type) {
      case EntryType.Normal:
        this.checker.checkProposed(m.id, e.index, rec.data);
        if (rec.data.length > 0) this.log(`apply ${m.id} ${e.index}/t${e.term} ${JSON.stringify(rec.data)}`);
        return;
      case EntryType.ConfChange: {
        this.checker.checkProposed(m.id, e.index, rec.data);
        const cc = decodeConfChange(e.data);
        m.confState = cloneConfState(node.applyConfChange(cc));
        this.log(`apply ${m.id} ${e.index}/t${e.term} conf ${describeConfChange(cc)} -> voters=[${m.confState.voters}] learners=[${m.confState.learners}]`);
        this.stats.confChangesApplied++;
        m.confChangedSinceSnapshot = true;
        this.onConfChangeApplied(cc);
        return;
      }
    }
  }

  /**
   * Membership side effects, once per change (the first time any member applies it): a
   * removed member is shut down for good; an added member that does not exist yet is started
   * empty and learns the log (or a snapshot) from the leader.
   */
  private onConfChangeApplied(cc: ConfChange): void {
    const target = this.members.get(cc.nodeId);
    if (cc.type === ConfChangeType.RemoveNode) {
      if (target && target.state !== 'removed') {
        this.pendingEffects.push(() => {
          target.node = undefined;
          target.state = 'removed';
          this.log(`REMOVED ${target.id}`);
        });
      }
      return;
    }
    if (!target) {
      const m = new SimMember(cc.nodeId, new MemoryStorage(), { voters: [], learners: [] });
      this.members.set(cc.nodeId, m);
      this.pendingEffects.push(() => {
        this.startNode(m, undefined);
        this.log(`JOIN ${m.id} (empty)`);
        this.drain(m);
      });
    }
  }

  private runEffects(): void {
    while (this.pendingEffects.length > 0) this.pendingEffects.shift()!();
  }

  private maybeSnapshot(m: SimMember, force: boolean): void {
    const policy = this.opts.snapshots;
    const snapIndex = m.storage.firstIndex() - 1;
    const applied = m.sm.appliedIndex;
    if (applied <= snapIndex || applied <= m.storage.snapshot().metadata.index) return;
    if (policy.afterConfChange && m.confChangedSinceSnapshot && !force) {
      m.confChangedSinceSnapshot = false;
      m.storage.createSnapshot(applied, cloneConfState(m.confState), m.sm.serialize());
      this.stats.snapshotsTaken++;
      this.log(`snapshot ${m.id} at ${applied} after a membership change (no compaction)`);
      return;
    }
    if (!force && (policy.every === 0 || applied - snapIndex < policy.every)) return;
    m.confChangedSinceSnapshot = false;
    m.storage.createSnapshot(applied, cloneConfState(m.confState), m.sm.serialize());
    const compactTo = Math.max(snapIndex + 1, applied - policy.keep);
    m.storage.compact(compactTo);
    this.stats.snapshotsTaken++;
    this.log(`snapshot ${m.id} at ${applied}, compact to ${compactTo} (${describeStorage(m.storage)})`);
  }

  private checkNewLeader(m: SimMember): void {
    const term = m.raft.term;
    if (m.checkedLeaderTerm === term) return;
    m.checkedLeaderTerm = term;
    this.checker.checkLeaderIsNotLearner(m.id, term, m.raft.status().confState.learners);
    this.checker.checkLeaderCompleteness(m.id, term, m.lookup);
  }

  private lose(f: InFlight, why: string): void {
    const m = f.msg;
    this.log(`lost ${describeInFlight(f)} (${why})`);
    this.stats.lost++;
    if (m.type === MessageType.Snap) {
      this.reportSnapshot(f, false);
    } else if (this.opts.prng.chance(this.opts.reportUnreachableRate)) {
      const sender = this.liveSender(f);
      if (sender) {
        this.log(`unreachable ${sender.id} reports ${m.to}`);
        sender.raft.reportUnreachable(m.to);
        this.drain(sender);
      }
    }
  }

  private reportSnapshot(f: InFlight, ok: boolean): void {
    const sender = this.liveSender(f);
    if (!sender) return;
    this.log(`snapstatus ${f.sender} -> ${f.msg.to} ${ok ? 'ok' : 'failed'}`);
    sender.raft.reportSnapshot(f.msg.to, ok);
    this.drain(sender);
  }

  /** The sender of `f` if it is still the same running incarnation. */
  private liveSender(f: InFlight): SimMember | undefined {
    const s = this.members.get(f.sender);
    return s && s.state === 'running' && s.incarnation === f.senderIncarnation ? s : undefined;
  }
}

/**
 * Message types a member may relay on someone else's behalf, keeping the requester in
 * `from`: forwarded proposals and read requests, and transfer requests (from = transferee).
 */
function isRelayed(t: MessageType): boolean {
  return t === MessageType.Prop || t === MessageType.ReadIndex || t === MessageType.TransferLeader;
}

function cloneConfState(cs: ConfState): ConfState {
  return { voters: cs.voters.slice(), learners: cs.learners.slice() };
}
