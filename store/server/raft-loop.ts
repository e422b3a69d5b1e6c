import type { Logger } from 'pino';
import type { MemoryStorage } from '../raft/memory-storage';
import { RaftNode } from '../raft/raft-node';
import { Message, ReadState, Ready, StateRole } from '../raft/types';
import type { DurableLog } from '../storage/durable-log';
import type { CapturedState, EntryApplier } from './entry-applier';
import { HEARTBEAT_TICKS, SNAPSHOT_CATCHUP_ENTRIES } from './member-config';

/** Bytes of entries per raft append message (batching). */
const MAX_SIZE_PER_MSG = 1024 * 1024;
/** Un-acknowledged append messages per follower (flow control). */
const MAX_INFLIGHT_MSGS = 64;
/** Proposed-but-uncommitted bytes beyond which the leader refuses new proposals. */
const MAX_UNCOMMITTED_BYTES = 64 * 1024 * 1024;

/** The raft settings of one member's loop. */
export interface RaftLoopOptions {
  readonly id: number;
  readonly electionTicks: number;
  readonly tickIntervalMs: number;
  /** Applied entries between local snapshots (after which the log is compacted). */
  readonly snapshotCount: number;
}

/** What the loop writes to, applies with and reports to. */
export interface RaftLoopParts {
  /** Raft's view of the durable log; the loop mirrors every durable write into it. */
  readonly storage: MemoryStorage;
  readonly durable: DurableLog;
  /** The apply side; its applied index is where raft starts. */
  readonly applier: EntryApplier;
  /** Sends raft messages to peers (queued by the transport; never waits). */
  send(messages: Message[]): void;
  /** A ReadIndex answer (linearizable reads wait for these). */
  readState(rs: ReadState): void;
  /** This member started (true) or stopped (false) leading. */
  leadershipChanged(leading: boolean): void;
  /**
   * A durable write failed: the member cannot continue safely. The loop runs no further
   * Ready once stop() is called; the owner decides what else stops.
   */
  failed(err: unknown): void;
}

/**
 * The one loop of a store member that owns all of raft's I/O: it ticks the raft core, and for
 * each Ready persists entries and hard state (one LevelDB batch, synced when raft asks), sends
 * messages, applies committed entries (the apply side answers the proposals they carry), then
 * calls advance(); every snapshotCount applied entries it snapshots the applied state and
 * compacts the log. One Ready is handled at a time; stop() resolves once the current one
 * is done and no other will start.
 */
export class RaftLoop {
  /** The raft core this loop drives; callers that step or propose call schedule() after. */
  readonly raft: RaftNode;
  private processing = false;
  private stopped = false;
  private snapshotting = false;
  /** The local snapshot being taken (see maybeSnapshot); stop() waits for it. */
  private snapshotTask: Promise<void> = Promise.resolve();
  /** Aborted by stop(): a local snapshot under way gives up at its next step. */
  private readonly stopping = new AbortController();
  private role: StateRole = StateRole.Follower;
  private leader = 0;
  private tickTimer: NodeJS.Timeout | undefined;
  /** The loop's current run (see schedule); stop() waits for it. */
  private run: Promise<void> = Promise.resolve();

  constructor(
    private readonly options: RaftLoopOptions,
    private readonly parts: RaftLoopParts,
    private readonly log: Logger,
  ) {
    this.raft = new RaftNode({
      id: options.id,
      storage: parts.storage,
      electionTick: options.electionTicks,
      heartbeatTick: HEARTBEAT_TICKS,
      applied: parts.applier.appliedIndex,
      maxSizePerMsg: MAX_SIZE_PER_MSG,
      maxInflightMsgs: MAX_INFLIGHT_MSGS,
      maxUncommittedEntriesSize: MAX_UNCOMMITTED_BYTES,
      preVote: true,
      checkQuorum: true,
      random: Math.random,
      logger: log.child({ sub: 'raft' }),
    });
  }

  /** The leader this member believes in (from the last soft state), or 0. */
  get leaderId(): number {
    return this.leader;
  }

  /** Whether this member led as of the last soft state the loop handled. */
  get isLeader(): boolean {
    return this.role === StateRole.Leader;
  }

  /** Starts ticking raft every tickIntervalMs and handles whatever is ready. */
  start(): void {
    this.tickTimer = setInterval(() => this.tick(), this.options.tickIntervalMs);
    this.schedule();
  }

  /** Advances raft's logical clock one tick (the timer's, and the start-up election advance's). */
  tick(): void {
    if (this.stopped) return;
    this.raft.tick();
    this.schedule();
  }

  /** Feeds a peer's message to raft (ignored once stopped). */
  step(m: Message): void {
    if (this.stopped) return;
    this.raft.step(m);
    this.schedule();
  }

  /** Handles raft's Ready batches soon, unless a run is already doing so. */
  schedule(): void {
    if (this.processing || this.stopped || !this.raft.hasReady()) return;
    this.processing = true;
    this.run = new Promise((resolve) => {
      setImmediate(() => {
        this.processReady()
          .catch((err) => this.parts.failed(err))
          .finally(resolve);
      });
    });
  }

  /**
   * Stops ticking and starts no further Ready; resolves when the current one (a durable write
   * may be in flight) is done.
   */
  stop(): Promise<void> {
    this.stopped = true;
    this.stopping.abort(new Error('raft loop stopped'));
    clearInterval(this.tickTimer);
    return Promise.all([this.run, this.snapshotTask]).then(() => undefined);
  }

  private async processReady(): Promise<void> {
    const { applier } = this.parts;
    try {
      while (!this.stopped && this.raft.hasReady()) {
        const rd = this.raft.ready();
        // Raft thesis §10.2.1: a leader may send its appends while it writes them to its own
        // log (the core counts the leader's own entries only once they are persisted), so the
        // disk write and the followers' round trip overlap. Everyone else acknowledges only
        // what is on disk, so they send after the write.
        const leader = this.raft.role === StateRole.Leader;
        if (leader) this.parts.send(rd.messages);
        const persisted = this.persist(rd);
        // Committed entries are already durable: apply them while the new ones are written.
        if (!rd.snapshot) applier.applyCommitted(rd.committedEntries);
        await persisted;
        if (!leader) this.parts.send(rd.messages);
        if (rd.snapshot) {
          applier.applySnapshot(rd.snapshot);
          applier.applyCommitted(rd.committedEntries);
        }
        for (const rs of rd.readStates) this.parts.readState(rs);
        if (rd.softState) this.onSoftState(rd.softState.lead, rd.softState.role);
        this.raft.advance(rd);
        this.maybeSnapshot();
      }
    } finally {
      this.processing = false;
    }
    // Anything that arrived during the last await is picked up here.
    this.schedule();
  }

  /** Writes a Ready's durable parts (one LevelDB batch) and mirrors them into the raft view. */
  private async persist(rd: Ready): Promise<void> {
    const { durable, storage } = this.parts;
    if (rd.snapshot || rd.entries.length > 0 || rd.hardState) {
      await durable.save({ hardState: rd.hardState, entries: rd.entries, snapshot: rd.snapshot }, rd.mustSync);
    }
    if (rd.snapshot) {
      storage.applySnapshot(rd.snapshot);
      this.releaseSnapshotData();
    }
    if (rd.entries.length > 0) storage.append(rd.entries);
    if (rd.hardState) storage.setHardState(rd.hardState);
  }

  /**
   * The snapshot just saved is on disk and the state machine holds what it says: the raft
   * storage lets go of its copy (a whole state's worth of memory) and reads it back for a
   * follower that needs it.
   */
  private releaseSnapshotData(): void {
    const { durable, storage } = this.parts;
    storage.releaseSnapshotData((index) => durable.readSnapshotData(index));
  }

  private onSoftState(lead: number, role: StateRole): void {
    if (lead !== this.leader) this.log.info({ leader: lead.toString(16), term: this.raft.term }, 'leader changed');
    this.leader = lead;
    if (role === this.role) return;
    const wasLeader = this.role === StateRole.Leader;
    this.role = role;
    if (role === StateRole.Leader) this.parts.leadershipChanged(true);
    else if (wasLeader) this.parts.leadershipChanged(false);
  }

  /**
   * Every snapshotCount applied entries, snapshots the applied state and compacts the log.
   * Only the capture is synchronous (O(keys) references); serializing and writing run in
   * steps that yield, so applies, answers and log appends go on meanwhile.
   */
  private maybeSnapshot(): void {
    const { applier, storage } = this.parts;
    // The raft view's snapshot is the newest one: taken here or received from the leader.
    const snapshotIndex = storage.snapshotMetadata().index;
    if (this.snapshotting || applier.appliedIndex - snapshotIndex < this.options.snapshotCount) return;
    this.snapshotting = true;
    const started = performance.now();
    const captured = applier.captureSnapshot();
    const captureMs = performance.now() - started;
    this.snapshotTask = this.takeSnapshot(captured, captureMs)
      .catch((err) => {
        if (!this.stopping.signal.aborted) this.parts.failed(err);
      })
      .finally(() => {
        this.snapshotting = false;
      });
  }

  /** Serializes a captured state, stores it as the snapshot (raft view, then disk) and compacts. */
  private async takeSnapshot(captured: CapturedState, captureMs: number): Promise<void> {
    const { storage, durable } = this.parts;
    const { signal } = this.stopping;
    const { index } = captured;
    let at = performance.now();
    const lap = (): number => {
      const now = performance.now();
      const ms = now - at;
      at = now;
      return Math.round(ms);
    };
    const data = await captured.serialize(signal);
    const serializeMs = lap();
    // A snapshot from the leader may have replaced the state meanwhile: ours is then stale.
    if (signal.aborted || storage.snapshotMetadata().index >= index) return;
    const snap = storage.createSnapshot(index, captured.confState, data);
    if (!(await durable.saveSnapshotInSteps(snap, signal))) return;
    this.releaseSnapshotData();
    const writeMs = lap();
    const compactTo = index - SNAPSHOT_CATCHUP_ENTRIES;
    if (compactTo > storage.firstIndex()) storage.compact(compactTo);
    this.log.info(
      { index, bytes: data.length, captureMs: Math.round(captureMs), serializeMs, writeMs },
      'snapshot saved',
    );
    // Entry keys at or below the snapshot are dead on disk: reclaim them in small batches.
    await durable.compact(compactTo, signal);
  }
}
