import { limitSize } from './entry-size';
import { RaftInvariantError } from './errors';
import { CompactedError, RaftStorage, UnavailableError } from './storage';
import { Entry, Snapshot } from './types';
import { UnstableLog } from './unstable-log';

/**
 * The raft log as the core sees it: stable entries (read from {@link RaftStorage}) followed by
 * unstable ones (held in memory until the member loop writes them), plus the commit and apply
 * cursors.
 *
 * Invariants: applied <= applying <= committed <= lastIndex();
 * firstIndex() - 1 <= applied (entries are never compacted before they are applied).
 * Committed entries are only handed out for applying once stable (see nextCommittedEnts).
 */
export class RaftLog {
  /** Stable entries; read-only from here. */
  readonly storage: RaftStorage;
  /** Entries and snapshot not yet durable. */
  readonly unstable: UnstableLog;
  /** Highest index known to be committed on a quorum. */
  committed: number;
  /** Highest index handed out for applying (in a Ready not yet advanced). */
  applying: number;
  /** Highest index the member loop reported applied. */
  applied: number;

  constructor(storage: RaftStorage) {
    this.storage = storage;
    const first = storage.firstIndex();
    const last = storage.lastIndex();
    this.unstable = new UnstableLog(last + 1);
    this.committed = first - 1;
    this.applying = first - 1;
    this.applied = first - 1;
  }

  /** First index still available (snapshot index + 1). */
  firstIndex(): number {
    return this.unstable.maybeFirstIndex() ?? this.storage.firstIndex();
  }

  /** Index of the last entry. */
  lastIndex(): number {
    return this.unstable.maybeLastIndex() ?? this.storage.lastIndex();
  }

  /** Term of the last entry. */
  lastTerm(): number {
    const t = this.term(this.lastIndex());
    if (t === undefined) throw new RaftInvariantError('term of the last entry is unknown', { lastIndex: this.lastIndex() });
    return t;
  }

  /**
   * Last index known durable: entries at or below it are in storage and agree with this log.
   * 0 while a received snapshot is not yet durable.
   */
  stableLastIndex(): number {
    return this.unstable.snapshot !== undefined ? 0 : this.unstable.offset - 1;
  }

  /**
   * Term of entry i, or undefined if i is compacted (below firstIndex() - 1) or past the end.
   * Other storage errors are rethrown.
   */
  term(i: number): number | undefined {
    const ut = this.unstable.maybeTerm(i);
    if (ut !== undefined) return ut;
    if (i + 1 < this.firstIndex() || i > this.lastIndex()) return undefined;
    try {
      return this.storage.term(i);
    } catch (e) {
      if (e instanceof CompactedError || e instanceof UnavailableError) return undefined;
      throw e;
    }
  }

  /** True if entry i exists with term t. */
  matchTerm(i: number, t: number): boolean {
    return this.term(i) === t;
  }

  /**
   * Raft §5.3 consistency check and append for an App message: if the log holds (index, logTerm),
   * appends `ents` after it (truncating a conflicting suffix), advances the commit index to
   * min(committed, last new index) and returns the last new index; otherwise undefined.
   * Throws RaftInvariantError if a committed entry would be overwritten.
   */
  maybeAppend(index: number, logTerm: number, committed: number, ents: Entry[]): number | undefined {
    if (!this.matchTerm(index, logTerm)) return undefined;
    const lastNew = index + ents.length;
    const ci = this.findConflict(ents);
    if (ci !== 0) {
      if (ci <= this.committed) {
        throw new RaftInvariantError('entry conflicts with a committed entry', { conflict: ci, committed: this.committed });
      }
      this.append(ents.slice(ci - (index + 1)));
    }
    this.commitTo(Math.min(committed, lastNew));
    return lastNew;
  }

  /** Appends entries (truncating from ents[0].index); returns the new last index. */
  append(ents: Entry[]): number {
    if (ents.length === 0) return this.lastIndex();
    const after = ents[0].index - 1;
    if (after < this.committed) {
      throw new RaftInvariantError('append would overwrite committed entries', { after, committed: this.committed });
    }
    this.unstable.truncateAndAppend(ents);
    return this.lastIndex();
  }

  /**
   * Index of the first entry in `ents` that is missing from the log or has a different term
   * than the log's entry at that index; 0 if every entry is already present.
   */
  findConflict(ents: Entry[]): number {
    for (const e of ents) {
      if (!this.matchTerm(e.index, e.term)) return e.index;
    }
    return 0;
  }

  /**
   * Fast backtracking: the largest index <= `index` whose term is <= `term`, with that term.
   * Where the term is unknown (compacted or missing) returns [that index, 0].
   */
  findConflictByTerm(index: number, term: number): [number, number] {
    for (; index > 0; index--) {
      const t = this.term(index);
      if (t === undefined) return [index, 0];
      if (t <= term) return [index, t];
    }
    return [0, 0];
  }

  /** True when some unstable entries were not handed out yet. */
  hasNextUnstableEnts(): boolean {
    return this.unstable.nextEntries().length > 0;
  }

  /** Unstable entries not yet handed out in a Ready. */
  nextUnstableEnts(): Entry[] {
    return this.unstable.nextEntries();
  }

  /** A pending snapshot not yet handed out. */
  nextUnstableSnapshot(): Snapshot | undefined {
    return this.unstable.nextSnapshot();
  }

  /** True while a received snapshot is not yet durable (handed out or not). */
  hasNextOrInProgressSnapshot(): boolean {
    return this.unstable.snapshot !== undefined;
  }

  /** Highest index that may be handed out for applying: committed and durable. */
  private maxAppliableIndex(): number {
    return Math.min(this.committed, this.unstable.offset - 1);
  }

  /** True when committed, durable entries wait to be handed out for applying. */
  hasNextCommittedEnts(): boolean {
    if (this.hasNextOrInProgressSnapshot()) return false;
    return this.applying < this.maxAppliableIndex();
  }

  /** Committed, durable entries not yet handed out for applying. */
  nextCommittedEnts(): Entry[] {
    if (!this.hasNextCommittedEnts()) return [];
    const lo = Math.max(this.applying + 1, this.firstIndex());
    const hi = this.maxAppliableIndex() + 1;
    if (lo >= hi) return [];
    return this.slice(lo, hi, Infinity);
  }

  /** The latest snapshot: a pending one, else storage's. */
  snapshot(): Snapshot {
    return this.unstable.snapshot ?? this.storage.snapshot();
  }

  /** Raises the commit index. Throws RaftInvariantError past the last index. */
  commitTo(toCommit: number): void {
    if (toCommit <= this.committed) return;
    if (toCommit > this.lastIndex()) {
      throw new RaftInvariantError('commit index out of range: was the log corrupted, truncated or lost?', {
        toCommit,
        lastIndex: this.lastIndex(),
      });
    }
    this.committed = toCommit;
  }

  /**
   * Commits maxIndex if it is past the commit index and its entry is from `term` (Raft §5.4.2:
   * a leader commits only entries of its own term by counting replicas).
   */
  maybeCommit(maxIndex: number, term: number): boolean {
    if (maxIndex > this.committed && this.term(maxIndex) === term) {
      this.commitTo(maxIndex);
      return true;
    }
    return false;
  }

  /** Records that entries up to i were handed out for applying. */
  acceptApplying(i: number): void {
    if (i > this.committed) {
      throw new RaftInvariantError('applying uncommitted entries', { applying: i, committed: this.committed });
    }
    this.applying = Math.max(this.applying, i);
  }

  /** Records that entries up to i were applied. Throws if i is out of [applied, committed]. */
  appliedTo(i: number): void {
    if (i === 0) return;
    if (i > this.committed || i < this.applied) {
      throw new RaftInvariantError('applied index out of range', { applied: i, prevApplied: this.applied, committed: this.committed });
    }
    this.applied = i;
    this.applying = Math.max(this.applying, i);
  }

  /** Marks all unstable entries and the snapshot as handed out. */
  acceptUnstable(): void {
    this.unstable.acceptInProgress();
  }

  /** Entries up to (i, t) are durable. */
  stableTo(i: number, t: number): void {
    this.unstable.stableTo(i, t);
  }

  /** The snapshot at index i is durable. */
  stableSnapTo(i: number): void {
    this.unstable.stableSnapTo(i);
  }

  /** Raft §5.4.1: true if a log ending at (lastIndex, term) is at least as up-to-date as ours. */
  isUpToDate(lastIndex: number, term: number): boolean {
    const ourTerm = this.lastTerm();
    return term > ourTerm || (term === ourTerm && lastIndex >= this.lastIndex());
  }

  /** Replaces the log by a snapshot from the leader; commit index jumps to its index. */
  restore(s: Snapshot): void {
    this.committed = s.metadata.index;
    this.unstable.restore(s);
  }

  /**
   * Entries [lo, hi) limited to `maxBytes` (at least one). Throws CompactedError if lo is
   * compacted; RaftInvariantError if the range is out of the log.
   */
  slice(lo: number, hi: number, maxBytes: number): Entry[] {
    if (lo > hi) throw new RaftInvariantError('invalid slice', { lo, hi });
    const fi = this.firstIndex();
    if (lo < fi) throw new CompactedError(lo);
    if (hi > this.lastIndex() + 1) {
      throw new RaftInvariantError('slice out of bound', { lo, hi, firstIndex: fi, lastIndex: this.lastIndex() });
    }
    if (lo === hi) return [];
    let ents: Entry[] = [];
    const offset = this.unstable.offset;
    if (lo < offset) {
      const storedHi = Math.min(hi, offset);
      let stored: Entry[];
      try {
        stored = this.storage.entries(lo, storedHi, maxBytes);
      } catch (e) {
        if (e instanceof UnavailableError) {
          throw new RaftInvariantError('storage lost entries below the unstable offset', { lo, hi: storedHi, offset });
        }
        throw e;
      }
      if (stored.length < storedHi - lo) return stored;
      ents = stored;
    }
    if (hi > offset) {
      const unst = this.unstable.slice(Math.max(lo, offset), hi);
      ents = ents.length > 0 ? ents.concat(unst) : unst;
    }
    return limitSize(ents, maxBytes);
  }

  /** Entries from i to the end, limited to `maxBytes`; [] if i is past the end. */
  entries(i: number, maxBytes: number): Entry[] {
    if (i > this.lastIndex()) return [];
    return this.slice(i, this.lastIndex() + 1, maxBytes);
  }

  /** Every available entry (tests and debugging). */
  allEntries(): Entry[] {
    return this.slice(this.firstIndex(), this.lastIndex() + 1, Infinity);
  }
}
