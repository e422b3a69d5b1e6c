import { Inflights } from './inflights';
import { ProgressStatus } from './types';

/** The replication state of one follower, as the leader sees it. */
export type ProgressState = ProgressStatus['state'];

/**
 * A leader's view of one follower's log (etcd's tracker.Progress).
 *
 * - probe: the leader does not know where the logs match; it sends one App at a time and
 *   waits for the answer (or a heartbeat response) before sending the next.
 * - replicate: the logs match up to `match`; the leader streams entries optimistically,
 *   advancing `next` on send, bounded by the inflights window.
 * - snapshot: a snapshot at `pendingSnapshot` is on its way; nothing else is sent.
 *
 * Invariant: match < next.
 */
export class Progress {
  /** Highest index known to be replicated on the follower. */
  match = 0;
  /** Index of the next entry to send. */
  next = 1;
  state: ProgressState = 'probe';
  /** Index of the snapshot being sent (snapshot state only). */
  pendingSnapshot = 0;
  /** Heard from since the last check-quorum round. */
  recentActive = false;
  /** In probe state: an App was sent and not yet answered. */
  probeSent = false;
  /** Flow-control window in replicate state. */
  readonly inflights: Inflights;
  /** The follower is a non-voting learner. */
  isLearner: boolean;

  constructor(maxInflight: number, isLearner: boolean, next: number) {
    this.inflights = new Inflights(maxInflight);
    this.isLearner = isLearner;
    this.next = next;
  }

  /** Resets to probing from `next`, as a new leader does for every follower. */
  reset(next: number): void {
    this.match = 0;
    this.next = next;
    this.state = 'probe';
    this.pendingSnapshot = 0;
    this.probeSent = false;
    this.recentActive = false;
    this.inflights.reset();
  }

  private resetState(state: ProgressState): void {
    this.probeSent = false;
    this.pendingSnapshot = 0;
    this.state = state;
    this.inflights.reset();
  }

  /** Enters probe state. After a snapshot, probing starts after the snapshot. */
  becomeProbe(): void {
    if (this.state === 'snapshot') {
      const pending = this.pendingSnapshot;
      this.resetState('probe');
      this.next = Math.max(this.match + 1, pending + 1);
    } else {
      this.resetState('probe');
      this.next = this.match + 1;
    }
  }

  /** Enters replicate state, streaming from match + 1. */
  becomeReplicate(): void {
    this.resetState('replicate');
    this.next = this.match + 1;
  }

  /** Enters snapshot state for a snapshot at `snapshotIndex`. */
  becomeSnapshot(snapshotIndex: number): void {
    this.resetState('snapshot');
    this.pendingSnapshot = snapshotIndex;
  }

  /** The follower acknowledged index n. Returns true if `match` moved. */
  maybeUpdate(n: number): boolean {
    let updated = false;
    if (this.match < n) {
      this.match = n;
      updated = true;
      this.probeSent = false;
    }
    this.next = Math.max(this.next, n + 1);
    return updated;
  }

  /**
   * The follower rejected an App whose previous index was `rejected`, hinting its log may match
   * at `matchHint`. Returns false if the rejection is stale (already superseded); otherwise
   * moves `next` back and returns true.
   */
  maybeDecrTo(rejected: number, matchHint: number): boolean {
    if (this.state === 'replicate') {
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      return true;
    }
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, matchHint + 1), this.match + 1);
    this.probeSent = false;
    return true;
  }

  /** True when the leader must not send App messages to this follower now. */
  isPaused(): boolean {
    switch (this.state) {
      case 'probe':
        return this.probeSent;
      case 'replicate':
        return this.inflights.full();
      case 'snapshot':
        return true;
    }
  }

  /** An App with `count` entries ending at `lastIndex` was sent. */
  sentEntries(count: number, lastIndex: number): void {
    switch (this.state) {
      case 'replicate':
        if (count > 0) {
          this.next = lastIndex + 1;
          this.inflights.add(lastIndex);
        }
        return;
      case 'probe':
        this.probeSent = true;
        return;
      case 'snapshot':
        return;
    }
  }

  /** The status view of this progress. */
  toStatus(): ProgressStatus {
    return { match: this.match, next: this.next, state: this.state };
  }
}
