import { limitSize } from './entry-size';
import { RaftInvariantError, SnapshotOutOfDateError } from './errors';
import { CompactedError, RaftStorage, SnapshotTemporarilyUnavailableError, UnavailableError } from './storage';
import { ConfState, Entry, EntryType, HardState, Snapshot, SnapshotMetadata } from './types';

/** Persisted raft state from which {@link MemoryStorage.restore} rebuilds a storage. */
export interface PersistedRaftState {
  hardState: HardState;
  /** The latest snapshot, if one was taken or received. */
  snapshot?: Snapshot;
  /** Contiguous entries following the snapshot (entries at or below it are skipped). */
  entries: Entry[];
  /**
   * Membership as of the member's applied index, when it is newer than the snapshot's.
   * Needed when the member restarts with `applied` past ConfChange entries it will not replay.
   */
  confState?: ConfState;
}

/** An empty hard state: term 0, no vote, nothing committed. */
export function emptyHardState(): HardState {
  return { term: 0, vote: 0, commit: 0 };
}

/** The snapshot of an empty log: index 0, term 0, no members. */
export function emptySnapshot(): Snapshot {
  return { metadata: { index: 0, term: 0, confState: { voters: [], learners: [] } }, data: new Uint8Array(0) };
}

function copyConfState(cs: ConfState): ConfState {
  return { voters: [...cs.voters], learners: [...cs.learners] };
}

/**
 * An in-memory {@link RaftStorage}: the member loop's cache of what it has durably written,
 * and the whole storage in unit tests and simulations.
 *
 * Raft only reads it. The member loop mutates it after each write of a Ready is durable:
 * `applySnapshot` (Ready.snapshot), `append` (Ready.entries), `setHardState` (Ready.hardState);
 * and, when it snapshots its state machine, `createSnapshot` then `compact`.
 *
 * Layout: `ents[0]` is a dummy entry holding the index and term of the compaction point
 * (initially the snapshot), so `firstIndex() - 1 === ents[0].index` and term() answers for it.
 * Invariant: compaction never passes the snapshot index, so a follower that receives
 * `snapshot()` can always be caught up from the remaining log.
 */
export class MemoryStorage implements RaftStorage {
  private hardState: HardState = emptyHardState();
  private snap: Snapshot = emptySnapshot();
  /**
   * Set once the snapshot's data was released (it is on disk): reads it back for snapshot(),
   * which answers SnapshotTemporarilyUnavailable until the read is done.
   */
  private dataOnDisk: DataOnDisk | undefined;
  private confState: ConfState = { voters: [], learners: [] };
  private ents: Entry[] = [{ term: 0, index: 0, type: EntryType.Normal, data: new Uint8Array(0) }];

  /** Rebuilds a storage from persisted state (hard state, latest snapshot, entries after it). */
  static restore(state: PersistedRaftState): MemoryStorage {
    const s = new MemoryStorage();
    if (state.snapshot !== undefined && state.snapshot.metadata.index > 0) s.applySnapshot(state.snapshot);
    s.append(state.entries);
    s.setHardState(state.hardState);
    if (state.confState !== undefined) s.setConfState(state.confState);
    return s;
  }

  /** See {@link RaftStorage.initialState}. The ConfState is the latest of snapshot / setConfState. */
  initialState(): { hardState: HardState; confState: ConfState } {
    return { hardState: { ...this.hardState }, confState: copyConfState(this.confState) };
  }

  /** See {@link RaftStorage.entries}. */
  entries(lo: number, hi: number, maxBytes: number): Entry[] {
    const offset = this.ents[0].index;
    if (lo <= offset) throw new CompactedError(lo);
    if (hi > this.lastIndex() + 1) throw new UnavailableError(hi);
    if (lo > hi) throw new RaftInvariantError('storage entries: lo > hi', { lo, hi });
    return limitSize(this.ents.slice(lo - offset, hi - offset), maxBytes);
  }

  /** See {@link RaftStorage.term}. */
  term(i: number): number {
    const offset = this.ents[0].index;
    if (i < offset) throw new CompactedError(i);
    if (i - offset >= this.ents.length) throw new UnavailableError(i);
    return this.ents[i - offset].term;
  }

  /** See {@link RaftStorage.firstIndex}. */
  firstIndex(): number {
    return this.ents[0].index + 1;
  }

  /** See {@link RaftStorage.lastIndex}. */
  lastIndex(): number {
    return this.ents[0].index + this.ents.length - 1;
  }

  /**
   * See {@link RaftStorage.snapshot}. After {@link releaseSnapshotData}, the first call starts
   * reading the data back and throws SnapshotTemporarilyUnavailableError (raft retries at its
   * next chance to send); once read, the data is kept until the snapshot is replaced.
   */
  snapshot(): Snapshot {
    const disk = this.dataOnDisk;
    if (disk === undefined) return this.snap;
    if (disk.data !== undefined) return { metadata: this.snap.metadata, data: disk.data };
    if (disk.reading === undefined) {
      const index = this.snap.metadata.index;
      disk.reading = disk.read(index).then(
        (data) => {
          // Kept only if the snapshot was not replaced meanwhile.
          if (this.dataOnDisk === disk && this.snap.metadata.index === index) disk.data = data;
          disk.reading = undefined;
        },
        () => {
          disk.reading = undefined; // the next call tries again
        },
      );
    }
    throw new SnapshotTemporarilyUnavailableError();
  }

  /** The latest snapshot's metadata (index, term, membership); never waits for its data. */
  snapshotMetadata(): SnapshotMetadata {
    return this.snap.metadata;
  }

  /**
   * Drops the latest snapshot's data from memory: `read(index)` gives it back from disk when a
   * follower needs it. A snapshot taken or installed later replaces it in memory again until it
   * is released in turn.
   */
  releaseSnapshotData(read: (index: number) => Promise<Uint8Array>): void {
    if (this.snap.metadata.index === 0) return;
    this.dataOnDisk = { read };
    this.snap = { metadata: this.snap.metadata, data: new Uint8Array(0) };
  }

  /** The last hard state written (for tests and status). */
  getHardState(): HardState {
    return { ...this.hardState };
  }

  /**
   * Records a durably written hard state. Throws RaftInvariantError if the term or commit index
   * would go backwards, or the vote would change within a term.
   */
  setHardState(hs: HardState): void {
    const old = this.hardState;
    if (hs.term < old.term) {
      throw new RaftInvariantError('hard state term went backwards', { old, next: hs });
    }
    if (hs.term === old.term && old.vote !== 0 && hs.vote !== old.vote) {
      throw new RaftInvariantError('hard state vote changed within a term', { old, next: hs });
    }
    if (hs.commit < old.commit) {
      throw new RaftInvariantError('hard state commit index went backwards', { old, next: hs });
    }
    this.hardState = { ...hs };
  }

  /** Records the membership as of the applied index (returned by initialState()). */
  setConfState(cs: ConfState): void {
    this.confState = copyConfState(cs);
  }

  /**
   * Appends durably written entries, first discarding any existing entries at or after
   * `entries[0].index` (a conflicting suffix replaced by the leader). Entries at or below the
   * compaction point are ignored. Throws RaftInvariantError on a gap or non-contiguous input.
   */
  append(entries: Entry[]): void {
    if (entries.length === 0) return;
    for (let i = 1; i < entries.length; i++) {
      if (entries[i].index !== entries[i - 1].index + 1) {
        throw new RaftInvariantError('appending non-contiguous entries', {
          at: i,
          prev: entries[i - 1].index,
          next: entries[i].index,
        });
      }
    }
    const first = this.firstIndex();
    const last = entries[0].index + entries.length - 1;
    if (last < first) return;
    let ents = entries;
    if (first > ents[0].index) ents = ents.slice(first - ents[0].index);
    const offset = ents[0].index - this.ents[0].index;
    if (offset > this.ents.length) {
      throw new RaftInvariantError('appending entries would leave a gap in the log', {
        lastIndex: this.lastIndex(),
        appendFrom: ents[0].index,
      });
    }
    // In place: copying the whole log on every append made a long log (up to snapshotCount
    // entries) cost O(log length) per write. entries() hands out copies, so no caller sees this.
    this.ents.length = offset;
    for (const e of ents) this.ents.push(e);
  }

  /**
   * Installs a snapshot received from the leader: the log is replaced by the snapshot point.
   * Throws SnapshotOutOfDateError if it is not newer than the current snapshot.
   */
  applySnapshot(snap: Snapshot): void {
    const { index, term, confState } = snap.metadata;
    if (index <= this.snap.metadata.index) throw new SnapshotOutOfDateError(index, this.snap.metadata.index);
    this.snap = snap;
    this.dataOnDisk = undefined;
    this.confState = copyConfState(confState);
    this.ents = [{ term, index, type: EntryType.Normal, data: new Uint8Array(0) }];
  }

  /**
   * Records a snapshot of the state machine as of applied index `index` (which must be in the
   * log and committed) and returns it. Does not compact; call compact() afterwards, possibly
   * keeping some entries for slow followers. Throws SnapshotOutOfDateError if `index` is not
   * past the current snapshot.
   */
  createSnapshot(index: number, confState: ConfState, data: Uint8Array): Snapshot {
    if (index <= this.snap.metadata.index) throw new SnapshotOutOfDateError(index, this.snap.metadata.index);
    if (index > this.lastIndex()) {
      throw new RaftInvariantError('snapshot index is past the last log index', { index, lastIndex: this.lastIndex() });
    }
    if (index > this.hardState.commit) {
      throw new RaftInvariantError('snapshot index is not committed', { index, commit: this.hardState.commit });
    }
    if (index < this.firstIndex()) {
      throw new RaftInvariantError('snapshot index is compacted', { index, firstIndex: this.firstIndex() });
    }
    const term = this.ents[index - this.ents[0].index].term;
    this.snap = { metadata: { index, term, confState: copyConfState(confState) }, data };
    this.dataOnDisk = undefined;
    this.confState = copyConfState(confState);
    return this.snap;
  }

  /**
   * Discards entries up to and including `index`, which becomes the new compaction point.
   * Throws CompactedError if already compacted that far, RaftInvariantError if `index` is past
   * the snapshot (a follower could then never be caught up) or the last index.
   */
  compact(index: number): void {
    const offset = this.ents[0].index;
    if (index <= offset) throw new CompactedError(index);
    if (index > this.lastIndex()) {
      throw new RaftInvariantError('compacting past the last index', { index, lastIndex: this.lastIndex() });
    }
    if (index > this.snap.metadata.index) {
      throw new RaftInvariantError('compacting past the snapshot index', {
        index,
        snapshotIndex: this.snap.metadata.index,
      });
    }
    const dummy = this.ents[index - offset];
    const head: Entry = { term: dummy.term, index: dummy.index, type: EntryType.Normal, data: new Uint8Array(0) };
    this.ents = [head, ...this.ents.slice(index - offset + 1)];
  }
}

/** A released snapshot's data: how to read it back, and the read in progress or its result. */
interface DataOnDisk {
  readonly read: (index: number) => Promise<Uint8Array>;
  reading?: Promise<void>;
  data?: Uint8Array;
}
