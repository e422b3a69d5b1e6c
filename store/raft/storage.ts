import { ConfState, Entry, HardState, Snapshot } from './types';

/** The requested index is older than the storage's first index (it was compacted away). */
export class CompactedError extends Error {
  readonly name = 'CompactedError';
  constructor(readonly index: number) {
    super(`raft log index ${index} is compacted`);
  }
}

/** The requested index is past the storage's last index. */
export class UnavailableError extends Error {
  readonly name = 'UnavailableError';
  constructor(readonly index: number) {
    super(`raft log index ${index} is unavailable`);
  }
}

/** A snapshot is being produced; the caller should retry later. */
export class SnapshotTemporarilyUnavailableError extends Error {
  readonly name = 'SnapshotTemporarilyUnavailableError';
  constructor() {
    super('snapshot is temporarily unavailable');
  }
}

/**
 * The stable log as the raft core sees it: read-only and synchronous. The member loop keeps
 * it in step with what it has durably written (see memory-storage.ts); raft never writes it.
 *
 * Invariants: firstIndex() - 1 is the snapshot index; term(firstIndex() - 1) is answerable
 * (the snapshot term); entries in [firstIndex(), lastIndex()] are contiguous.
 */
export interface RaftStorage {
  /** Hard state and membership as of the last persisted state (used once, at start). */
  initialState(): { hardState: HardState; confState: ConfState };
  /**
   * Entries in [lo, hi), at most `maxBytes` of entry data in total but always at least one
   * entry when lo < hi. Throws CompactedError if lo < firstIndex(), UnavailableError if
   * hi > lastIndex() + 1.
   */
  entries(lo: number, hi: number, maxBytes: number): Entry[];
  /** Term of entry i, for i in [firstIndex() - 1, lastIndex()]. Throws like entries(). */
  term(i: number): number;
  firstIndex(): number;
  lastIndex(): number;
  /** The most recent snapshot (may throw SnapshotTemporarilyUnavailableError). */
  snapshot(): Snapshot;
}
