import { Progress } from './progress';
import { ConfState } from './types';

/** Outcome of an election (or of a ReadIndex heartbeat round) so far. */
export type VoteResult = 'won' | 'lost' | 'pending';

/**
 * The leader's (and candidate's) view of the membership: voters, learners, one
 * {@link Progress} per member, and the votes of the current election.
 *
 * Only voters count towards quorums; learners receive the log but never vote or commit.
 * Invariant: voters and learners are disjoint; `progress` has exactly their union as keys.
 */
export class ProgressTracker {
  readonly voters = new Set<number>();
  readonly learners = new Set<number>();
  readonly progress = new Map<number, Progress>();
  /** Votes received in the current election: true = granted. */
  private readonly votes = new Map<number, boolean>();

  constructor(
    /** Inflights window size for new progresses. */
    readonly maxInflight: number,
  ) {}

  /** The membership, ids sorted ascending. */
  confState(): ConfState {
    return { voters: sortedIds(this.voters), learners: sortedIds(this.learners) };
  }

  /** Number of voters needed for a majority. */
  quorum(): number {
    return Math.floor(this.voters.size / 2) + 1;
  }

  /** True if the cluster has exactly one voter. */
  isSingleton(): boolean {
    return this.voters.size === 1;
  }

  /** Calls fn for every member (voters and learners) in ascending id order. */
  visit(fn: (id: number, pr: Progress) => void): void {
    for (const id of sortedIds(this.progress.keys())) fn(id, this.progress.get(id) as Progress);
  }

  /** Voter ids in ascending order. */
  voterIds(): number[] {
    return sortedIds(this.voters);
  }

  /**
   * The largest index replicated on a majority of voters (Raft §5.3); 0 without voters.
   */
  committed(): number {
    if (this.voters.size === 0) return 0;
    const matches: number[] = [];
    for (const id of this.voters) matches.push(this.progress.get(id)?.match ?? 0);
    matches.sort((a, b) => b - a);
    return matches[this.quorum() - 1];
  }

  /** True if a quorum of voters was recently active; `self` always counts as active. */
  quorumActive(self: number): boolean {
    let active = 0;
    for (const id of this.voters) {
      if (id === self || this.progress.get(id)?.recentActive === true) active++;
    }
    return active >= this.quorum();
  }

  /** Records `id`'s vote unless it already voted in this election. */
  recordVote(id: number, granted: boolean): void {
    if (!this.votes.has(id)) this.votes.set(id, granted);
  }

  /** Forgets all votes (a new election starts). */
  resetVotes(): void {
    this.votes.clear();
  }

  /** Counts the votes of voters only. */
  tallyVotes(): { granted: number; rejected: number; result: VoteResult } {
    let granted = 0;
    let rejected = 0;
    for (const id of this.voters) {
      const v = this.votes.get(id);
      if (v === true) granted++;
      else if (v === false) rejected++;
    }
    return { granted, rejected, result: this.result(granted, rejected) };
  }

  /** Whether the acknowledging members `acks` form a quorum of voters. */
  ackResult(acks: ReadonlySet<number>): VoteResult {
    let granted = 0;
    for (const id of this.voters) if (acks.has(id)) granted++;
    return this.result(granted, 0);
  }

  private result(granted: number, rejected: number): VoteResult {
    const q = this.quorum();
    if (granted >= q) return 'won';
    const missing = this.voters.size - granted - rejected;
    if (granted + missing >= q) return 'pending';
    return 'lost';
  }
}

function sortedIds(ids: Iterable<number>): number[] {
  return [...ids].sort((a, b) => a - b);
}
