import { RaftInvariantError } from './errors';
import { Entry, Snapshot } from './types';

/**
 * The tail of the log (and possibly a snapshot) that raft holds in memory and has not yet seen
 * durably written. Entry i lives at `entries[i - offset]`.
 *
 * "In progress" marks what was handed out in a Ready but not yet acknowledged by advance():
 * entries in [offset, offsetInProgress) and the snapshot when snapshotInProgress. They are not
 * handed out again.
 *
 * Invariants: if `snapshot` is set, offset === snapshot.metadata.index + 1;
 * offset <= offsetInProgress <= offset + entries.length.
 */
export class UnstableLog {
  /** A snapshot received from the leader and not yet written. */
  snapshot: Snapshot | undefined = undefined;
  /** Entries not yet written, starting at `offset`. */
  entries: Entry[] = [];
  /** Index of entries[0]. */
  offset: number;
  /** First index not yet handed out in a Ready. */
  offsetInProgress: number;
  /** True once `snapshot` was handed out in a Ready. */
  snapshotInProgress = false;

  constructor(offset: number) {
    this.offset = offset;
    this.offsetInProgress = offset;
  }

  /** The first log index if a snapshot is pending (snapshot index + 1). */
  maybeFirstIndex(): number | undefined {
    return this.snapshot === undefined ? undefined : this.snapshot.metadata.index + 1;
  }

  /** The last index held here, if any. */
  maybeLastIndex(): number | undefined {
    if (this.entries.length > 0) return this.offset + this.entries.length - 1;
    return this.snapshot === undefined ? undefined : this.snapshot.metadata.index;
  }

  /** The term of entry i if held here. */
  maybeTerm(i: number): number | undefined {
    if (i < this.offset) {
      if (this.snapshot !== undefined && this.snapshot.metadata.index === i) return this.snapshot.metadata.term;
      return undefined;
    }
    const last = this.maybeLastIndex();
    if (last === undefined || i > last) return undefined;
    return this.entries[i - this.offset].term;
  }

  /** Entries not yet handed out in a Ready. */
  nextEntries(): Entry[] {
    const start = this.offsetInProgress - this.offset;
    return start >= this.entries.length ? [] : this.entries.slice(start);
  }

  /** The snapshot, if pending and not yet handed out. */
  nextSnapshot(): Snapshot | undefined {
    return this.snapshot !== undefined && !this.snapshotInProgress ? this.snapshot : undefined;
  }

  /** Marks everything currently held as handed out in a Ready. */
  acceptInProgress(): void {
    if (this.entries.length > 0) this.offsetInProgress = this.offset + this.entries.length;
    if (this.snapshot !== undefined) this.snapshotInProgress = true;
  }

  /**
   * Entries up to (i, t) are durable: drop them. Ignored when entry i is no longer here or
   * was overwritten with a different term meanwhile (a later write will cover it).
   */
  stableTo(i: number, t: number): void {
    const gt = this.maybeTerm(i);
    if (gt === undefined || i < this.offset || gt !== t) return;
    this.entries = this.entries.slice(i + 1 - this.offset);
    this.offset = i + 1;
    this.offsetInProgress = Math.max(this.offsetInProgress, this.offset);
  }

  /** The snapshot at index i is durable: drop it. */
  stableSnapTo(i: number): void {
    if (this.snapshot !== undefined && this.snapshot.metadata.index === i) {
      this.snapshot = undefined;
      this.snapshotInProgress = false;
    }
  }

  /** Replaces everything with a snapshot received from the leader. */
  restore(s: Snapshot): void {
    this.offset = s.metadata.index + 1;
    this.offsetInProgress = this.offset;
    this.entries = [];
    this.snapshot = s;
    this.snapshotInProgress = false;
  }

  /** Appends `ents`, first dropping any held (or stable, via offset) entries at or after ents[0]. */
  truncateAndAppend(ents: Entry[]): void {
    if (ents.length === 0) return;
    const from = ents[0].index;
    if (from === this.offset + this.entries.length) {
      this.entries = this.entries.concat(ents);
    } else if (from <= this.offset) {
      // Replaces the whole unstable tail; the writer truncates stable storage at `from`.
      this.offset = from;
      this.entries = ents.slice();
    } else {
      this.entries = this.entries.slice(0, from - this.offset).concat(ents);
    }
    this.offsetInProgress = Math.min(this.offsetInProgress, from);
    if (this.offsetInProgress < this.offset) this.offsetInProgress = this.offset;
  }

  /** Entries [lo, hi), which must lie within the held entries. */
  slice(lo: number, hi: number): Entry[] {
    const upper = this.offset + this.entries.length;
    if (lo > hi || lo < this.offset || hi > upper) {
      throw new RaftInvariantError('unstable slice out of bounds', { lo, hi, offset: this.offset, upper });
    }
    return this.entries.slice(lo - this.offset, hi - this.offset);
  }
}
