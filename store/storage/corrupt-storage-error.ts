/**
 * The raft data directory holds something this layer did not write, or wrote and lost part of:
 * a checksum mismatch, a truncated record, a gap in the log, a commit index beyond the log.
 *
 * Never recoverable by this layer: the member must not start from such a directory (a replica
 * that silently forgot acknowledged entries breaks Raft's safety). The operator restores the
 * member from its peers (remove + re-add) or from a backup.
 */
export class CorruptStorageError extends Error {
  override readonly name = 'CorruptStorageError';
  constructor(
    /** The data directory that failed verification. */
    readonly dir: string,
    /** Which record: "entry 1234", "hard state", "snapshot chunk 3", "meta cluster-id". */
    readonly record: string,
    /** What is wrong with it: "checksum mismatch", "gap after 99: next is 101", … */
    readonly problem: string,
  ) {
    super(`raft storage in ${dir} is corrupt: ${record}: ${problem}`);
  }
}
