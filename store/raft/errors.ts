/**
 * Errors raised by the raft core and its storage.
 *
 * Expected outcomes (a proposal dropped, no leader known) are values, never exceptions; the
 * classes here are for storage lookups that callers handle (see storage.ts) and for broken
 * invariants, which must fail loudly with enough context to debug.
 */

/**
 * A raft invariant does not hold (e.g. the commit index would move backwards, a committed
 * entry would be overwritten, storage lost entries it acknowledged). Never caught by the
 * core: the member must stop, because continuing could violate Raft's safety properties.
 */
export class RaftInvariantError extends Error {
  readonly name = 'RaftInvariantError';
  constructor(
    message: string,
    /** Structured context (ids, terms, indexes) for the log line that reports the crash. */
    readonly context: Record<string, unknown> = {},
  ) {
    super(`${message} ${JSON.stringify(context)}`);
  }
}

/** MemoryStorage was asked to install or create a snapshot older than the one it has. */
export class SnapshotOutOfDateError extends Error {
  readonly name = 'SnapshotOutOfDateError';
  constructor(
    readonly requestedIndex: number,
    readonly currentIndex: number,
  ) {
    super(`snapshot at index ${requestedIndex} is out of date (storage has ${currentIndex})`);
  }
}
