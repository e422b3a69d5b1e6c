/**
 * One simulated member: its durable storage and, while running, its raft node and state
 * machine. The cluster drives it; this file only holds its state.
 */

import { ConfState } from '../types';
import { MemoryStorage } from '../memory-storage';
import { RaftNode } from '../raft-node';
import { EntryLookup } from './invariants';
import { ListStateMachine, bytesToLatin1, entryFingerprint } from './state-machine';

/** A member's lifecycle in the simulation. */
export type MemberState =
  /** Running: has a RaftNode. */
  | 'running'
  /** Crashed: only the durable storage remains; may be restarted. */
  | 'crashed'
  /** Removed from the cluster by a committed conf change; never runs again. */
  | 'removed';

/**
 * Where inside a Ready cycle an armed crash happens: right after the write ('before-send'),
 * or after sending and installing any snapshot but before applying committed entries
 * ('before-apply').
 */
export type CrashPoint = 'before-send' | 'before-apply';

/** One simulated member: its durable storage and, while running, its node and state machine. */
export class SimMember {
  node: RaftNode | undefined;
  sm: ListStateMachine = ListStateMachine.empty();
  /** Membership as of `sm.appliedIndex` (what a snapshot taken now must carry). */
  confState: ConfState;
  state: MemberState = 'running';
  /** Bumped on every (re)start; messages remember the incarnation that sent them. */
  incarnation = 0;
  /** The commit index this incarnation last reported. */
  commit = 0;
  /** Term in which Leader Completeness was last checked for this member as leader. */
  checkedLeaderTerm = 0;
  /** A membership change was applied since the last snapshot. */
  confChangedSinceSnapshot = false;

  /** Armed by {@link SimCluster.armCrash}: crash inside the next Ready that persists anything. */
  crashPlan: CrashPoint | undefined;

  constructor(
    readonly id: number,
    /** Durable state; replaced only by the amnesia self-test. */
    public storage: MemoryStorage,
    confState: ConfState,
  ) {
    this.confState = confState;
  }

  /** The running node; throws if the member is not running. */
  get raft(): RaftNode {
    if (!this.node) throw new Error(`member ${this.id} is not running (${this.state})`);
    return this.node;
  }

  /** Entry identity at index i as this member knows it: durable log, else its state machine. */
  readonly lookup: EntryLookup = (i: number) => {
    const first = this.storage.firstIndex();
    const last = this.storage.lastIndex();
    if (i >= first && i <= last) {
      const [e] = this.storage.entries(i, i + 1, Number.MAX_SAFE_INTEGER);
      return { term: e.term, fingerprint: entryFingerprint(e.type, bytesToLatin1(e.data)) };
    }
    const rec = this.sm.at(i);
    if (rec && i < first) return { term: rec.term, fingerprint: entryFingerprint(rec.type, rec.data) };
    if (i === first - 1 && i > 0) return { term: this.storage.term(i) };
    return undefined;
  };
}
