/**
 * Safety checkers for the raft simulation: the properties of Raft §5.2–§5.4 (Figure 3 of the
 * paper) plus a few member-loop contracts, checked against everything the simulation observes.
 *
 * The checker is fed events by the cluster as they happen (leaders seen, hard states and
 * entries persisted, commits, applies, read states) and throws an {@link InvariantViolation}
 * naming the broken rule as soon as one is broken. It knows nothing about the cluster itself,
 * so it can be fed fabricated histories in its own tests.
 */

import { Entry, HardState, NONE } from '../types';
import { entryFingerprint, bytesToLatin1 } from './state-machine';

/** The rule a violation breaks. */
export type InvariantName =
  /** At most one leader can be elected in a given term (§5.2). */
  | 'ElectionSafety'
  /** Same index and term ⇒ identical entries and identical logs up to there (§5.3). */
  | 'LogMatching'
  /** An entry committed in term T is in the log of every leader of a term > T (§5.4). */
  | 'LeaderCompleteness'
  /** No two members apply different entries at the same index (§5.4.3). */
  | 'StateMachineSafety'
  /** A live member's commit index, and the persisted commit, never decrease. */
  | 'CommitMonotonic'
  /** The persisted term never decreases; the persisted vote never changes within a term. */
  | 'DurableHardState'
  /** A learner (non-voting member, as per its own configuration) never becomes leader. */
  | 'LearnerSafety'
  /** A ReadIndex answer is at least the commit index known when the read was requested. */
  | 'ReadIndexSafety'
  /** The Ready contract: committed entries are durable and applied in order, messages are sendable, applied commands were proposed. */
  | 'ReadyContract';

/** A broken invariant; `invariant` names the rule, the message says exactly what was seen. */
export class InvariantViolation extends Error {
  readonly name = 'InvariantViolation';
  constructor(
    readonly invariant: InvariantName,
    detail: string,
  ) {
    super(`${invariant} violated: ${detail}`);
  }
}

/** The read-only part of a raft log the checkers need (RaftStorage satisfies it). */
export interface LogView {
  firstIndex(): number;
  lastIndex(): number;
  /** Term of entry i for i in [firstIndex() - 1, lastIndex()]. */
  term(i: number): number;
  entries(lo: number, hi: number, maxBytes: number): Entry[];
}

/** What the checker knows about a committed log position. */
export interface CommittedEntry {
  index: number;
  /** Term of the entry itself. */
  term: number;
  /** {@link entryFingerprint} of the entry, or undefined if its content was not visible. */
  fingerprint?: string;
  /**
   * An upper bound on the term in which the entry was committed (the term of the member that
   * first reported a commit index covering it). Leaders of later terms must hold the entry.
   */
  commitTerm: number;
  /** Member that first reported it committed (for messages). */
  reportedBy: number;
}

/** How a member's log answers "which entry is at index i?" (undefined: not in the log). */
export type EntryLookup = (index: number) => { term: number; fingerprint?: string } | undefined;

/**
 * Accumulates the global history of a run and checks every new observation against it.
 * One instance per simulation run.
 */
export class SafetyChecker {
  /** term → the member seen leading it. */
  private readonly leaders = new Map<number, number>();
  /** committed[i] describes log index i (1-based; slot 0 unused). A prefix of the log. */
  private readonly committed: CommittedEntry[] = [];
  private committedIndex = 0;
  /** `${index}/${term}` → what that entry is and which term precedes it. */
  private readonly seenEntries = new Map<string, { fingerprint: string; prevTerm?: number; node: number }>();
  private readonly persistedHardState = new Map<number, HardState>();
  /** `${node}#${incarnation}` → the last commit index seen from that live incarnation. */
  private readonly liveCommit = new Map<string, number>();
  /** `${node}/${ctx}` → commit index known (anywhere) when the read was requested. */
  private readonly readFloors = new Map<string, number>();
  /** Payloads of every Normal entry proposed, so applied commands can be checked for validity. */
  private readonly proposed = new Set<string>();

  /** Highest index known committed anywhere. */
  get commitIndex(): number {
    return this.committedIndex;
  }

  /** The committed entry at `index`, if known. */
  committedAt(index: number): CommittedEntry | undefined {
    return this.committed[index];
  }

  /** Every (term, leader) pair ever observed. */
  leaderHistory(): Array<{ term: number; leader: number }> {
    return [...this.leaders.entries()].map(([term, leader]) => ({ term, leader }));
  }

  /** Election Safety: `node` was observed as leader of `term`. */
  observeLeader(node: number, term: number): void {
    const prev = this.leaders.get(term);
    if (prev === undefined) {
      this.leaders.set(term, node);
    } else if (prev !== node) {
      throw new InvariantViolation(
        'ElectionSafety',
        `two leaders in term ${term}: member ${prev} and member ${node}`,
      );
    }
  }

  /**
   * A member persisted a hard state. Term must not decrease, the vote must not change within
   * a term once cast, and the persisted commit must not decrease.
   */
  observePersistedHardState(node: number, hs: HardState): void {
    const prev = this.persistedHardState.get(node);
    if (prev) {
      if (hs.term < prev.term) {
        throw new InvariantViolation(
          'DurableHardState',
          `member ${node} persisted term ${hs.term} after term ${prev.term}`,
        );
      }
      if (hs.term === prev.term && prev.vote !== NONE && hs.vote !== prev.vote) {
        throw new InvariantViolation(
          'DurableHardState',
          `member ${node} changed its vote in term ${hs.term} from ${prev.vote} to ${hs.vote}`,
        );
      }
      if (hs.commit < prev.commit) {
        throw new InvariantViolation(
          'CommitMonotonic',
          `member ${node} persisted commit ${hs.commit} after commit ${prev.commit}`,
        );
      }
    }
    this.persistedHardState.set(node, { term: hs.term, vote: hs.vote, commit: hs.commit });
  }

  /** The last hard state `node` persisted, if any. */
  lastPersistedHardState(node: number): HardState | undefined {
    return this.persistedHardState.get(node);
  }

  /**
   * A live member (in its `incarnation`, which changes on every restart) reports commit index
   * `commit`; it must never go down while the member stays up.
   */
  observeLiveCommit(node: number, incarnation: number, commit: number): void {
    const key = `${node}#${incarnation}`;
    const prev = this.liveCommit.get(key);
    if (prev !== undefined && commit < prev) {
      throw new InvariantViolation(
        'CommitMonotonic',
        `live member ${node} (incarnation ${incarnation}) moved its commit index back from ${prev} to ${commit}`,
      );
    }
    this.liveCommit.set(key, commit);
  }

  /**
   * Log Matching, checked incrementally: `entries` were just appended to `node`'s durable log
   * `log`. Each (index, term) must always denote the same content and always follow the same
   * term at index - 1. By induction over the index this is the Log Matching Property for every
   * pair of logs ever persisted.
   */
  observePersistedEntries(node: number, entries: readonly Entry[], log: LogView): void {
    const first = log.firstIndex();
    for (const e of entries) {
      if (e.index < first) continue; // already covered by the member's snapshot
      const prevTerm = e.index - 1 >= first - 1 ? log.term(e.index - 1) : undefined;
      this.recordEntry(node, e.index, e.term, entryFingerprint(e.type, bytesToLatin1(e.data)), prevTerm);
    }
  }

  /** Records (index, term) → content, throwing when it contradicts an earlier sighting. */
  recordEntry(node: number, index: number, term: number, fingerprint: string, prevTerm?: number): void {
    const key = `${index}/${term}`;
    const seen = this.seenEntries.get(key);
    if (!seen) {
      this.seenEntries.set(key, { fingerprint, prevTerm, node });
      return;
    }
    if (seen.fingerprint !== fingerprint) {
      throw new InvariantViolation(
        'LogMatching',
        `entry ${index}/term ${term} differs: member ${seen.node} had ${show(seen.fingerprint)}, member ${node} has ${show(fingerprint)}`,
      );
    }
    if (prevTerm !== undefined) {
      if (seen.prevTerm === undefined) {
        seen.prevTerm = prevTerm;
      } else if (seen.prevTerm !== prevTerm) {
        throw new InvariantViolation(
          'LogMatching',
          `entry ${index}/term ${term} follows term ${seen.prevTerm} at index ${index - 1} on member ${seen.node} but term ${prevTerm} on member ${node}`,
        );
      }
    }
  }

  /**
   * Some member reports that its commit index moved from `from` to `commit` while in `term` (a
   * leader reports what it just committed; a follower what it learned). Newly committed
   * positions are recorded with their identity read from that member's log through `lookup`;
   * positions already known committed must hold the same entry in that member's log.
   */
  observeCommit(node: number, term: number, from: number, commit: number, lookup: EntryLookup): void {
    for (let i = from + 1; i <= commit; i++) {
      const e = lookup(i);
      if (!e) {
        throw new InvariantViolation(
          'ReadyContract',
          `member ${node} reports commit index ${commit} but has no entry at ${i} in its durable log`,
        );
      }
      const c = this.committed[i];
      if (i > this.committedIndex) {
        this.committed[i] = { index: i, term: e.term, fingerprint: e.fingerprint, commitTerm: term, reportedBy: node };
        this.committedIndex = i;
      } else if (
        c.term !== e.term ||
        (c.fingerprint !== undefined && e.fingerprint !== undefined && c.fingerprint !== e.fingerprint)
      ) {
        throw new InvariantViolation(
          'StateMachineSafety',
          `member ${node} (term ${term}) reports index ${i} committed holding ${show(e.fingerprint ?? '?')}/term ${e.term}, but ${show(c.fingerprint ?? '?')}/term ${c.term} was committed there (reported by member ${c.reportedBy})`,
        );
      } else if (c.fingerprint === undefined && e.fingerprint !== undefined) {
        c.fingerprint = e.fingerprint;
      }
    }
  }

  /**
   * State Machine Safety: `node` applied the entry (index, term, fingerprint). It must be the
   * entry committed at that index, and every member applies the same one.
   */
  observeApplied(node: number, index: number, term: number, fingerprint: string): void {
    const c = this.committed[index];
    if (!c) {
      throw new InvariantViolation(
        'StateMachineSafety',
        `member ${node} applied index ${index} (term ${term}) which no member has reported committed (global commit ${this.committedIndex})`,
      );
    }
    if (c.term !== term || (c.fingerprint !== undefined && c.fingerprint !== fingerprint)) {
      throw new InvariantViolation(
        'StateMachineSafety',
        `member ${node} applied ${show(fingerprint)} (term ${term}) at index ${index}, but ${show(c.fingerprint ?? '?')} (term ${c.term}) is the committed entry there (reported by member ${c.reportedBy})`,
      );
    }
    if (c.fingerprint === undefined) c.fingerprint = fingerprint;
  }

  /** `node` leads `term` while its own configuration `learners` lists it as a learner. */
  checkLeaderIsNotLearner(node: number, term: number, learners: readonly number[]): void {
    if (learners.includes(node)) {
      throw new InvariantViolation('LearnerSafety', `member ${node} became leader of term ${term} while a learner (learners=[${learners.join(',')}])`);
    }
  }

  /**
   * Leader Completeness: `node` has just become leader of `term`. Every entry committed in an
   * earlier term must be in its log, with the same term (and content when visible).
   */
  checkLeaderCompleteness(node: number, term: number, lookup: EntryLookup): void {
    for (let i = 1; i <= this.committedIndex; i++) {
      const c = this.committed[i];
      if (c.commitTerm >= term) continue;
      const e = lookup(i);
      if (!e) {
        throw new InvariantViolation(
          'LeaderCompleteness',
          `member ${node} became leader of term ${term} without committed entry ${i}/term ${c.term} (committed by term ${c.commitTerm})`,
        );
      }
      if (e.term !== c.term || (e.fingerprint !== undefined && c.fingerprint !== undefined && e.fingerprint !== c.fingerprint)) {
        throw new InvariantViolation(
          'LeaderCompleteness',
          `member ${node} became leader of term ${term} with entry ${i}/term ${e.term} where ${i}/term ${c.term} was committed (by term ${c.commitTerm})`,
        );
      }
    }
  }

  /** A ReadIndex with context `ctx` was requested at `node`; remembers the commit floor. */
  readRequested(node: number, ctx: string): void {
    this.readFloors.set(`${node}/${ctx}`, this.committedIndex);
  }

  /** `node` got a read state for `ctx` at `index`; it must be >= the floor at request time. */
  observeReadState(node: number, ctx: string, index: number): void {
    const floor = this.readFloors.get(`${node}/${ctx}`);
    if (floor === undefined) {
      throw new InvariantViolation('ReadIndexSafety', `member ${node} got a read state for unknown request ${show(ctx)}`);
    }
    if (index < floor) {
      throw new InvariantViolation(
        'ReadIndexSafety',
        `member ${node} got read index ${index} for request ${show(ctx)}, but index ${floor} was already committed when it was requested`,
      );
    }
  }

  /** A Normal entry payload was proposed (so applying it later is valid). */
  noteProposed(data: string): void {
    this.proposed.add(data);
  }

  /** Validity: an applied non-empty Normal entry must carry a payload somebody proposed. */
  checkProposed(node: number, index: number, data: string): void {
    if (data.length > 0 && !this.proposed.has(data)) {
      throw new InvariantViolation(
        'ReadyContract',
        `member ${node} applied ${show(data)} at index ${index}, which was never proposed`,
      );
    }
  }
}

/**
 * Log Matching checked directly on a set of logs (pairwise, over the indexes both still
 * hold): if two logs have an entry with the same index and term, they have the same terms and
 * the same content at every lower index both hold. Quadratic; used at the end of each run and
 * on fabricated logs in tests.
 */
export function checkLogMatching(logs: ReadonlyMap<number, LogView>): void {
  const ids = [...logs.keys()].sort((a, b) => a - b);
  const terms = new Map<number, { lo: number; terms: number[]; fps: Array<string | undefined> }>();
  for (const id of ids) {
    const log = logs.get(id)!;
    const lo = log.firstIndex() - 1;
    const hi = log.lastIndex();
    const t: number[] = [];
    const fps: Array<string | undefined> = [undefined];
    for (let i = lo; i <= hi; i++) t.push(log.term(i));
    if (hi >= lo + 1) {
      for (const e of log.entries(lo + 1, hi + 1, Number.MAX_SAFE_INTEGER)) {
        fps.push(entryFingerprint(e.type, bytesToLatin1(e.data)));
      }
    }
    terms.set(id, { lo, terms: t, fps });
  }
  for (let a = 0; a < ids.length; a++) {
    for (let b = a + 1; b < ids.length; b++) {
      const A = terms.get(ids[a])!;
      const B = terms.get(ids[b])!;
      const lo = Math.max(A.lo, B.lo);
      const hi = Math.min(A.lo + A.terms.length - 1, B.lo + B.terms.length - 1);
      // Highest common index where the terms agree: everything below must agree too.
      let match = -1;
      for (let i = hi; i >= lo; i--) {
        if (A.terms[i - A.lo] === B.terms[i - B.lo]) {
          match = i;
          break;
        }
      }
      for (let i = match; i >= lo && i >= 0; i--) {
        const ta = A.terms[i - A.lo];
        const tb = B.terms[i - B.lo];
        const fa = A.fps[i - A.lo];
        const fb = B.fps[i - B.lo];
        if (ta !== tb || (fa !== undefined && fb !== undefined && fa !== fb)) {
          throw new InvariantViolation(
            'LogMatching',
            `members ${ids[a]} and ${ids[b]} both hold entry ${match}/term ${A.terms[match - A.lo]} but differ at index ${i}: term ${ta} ${show(fa ?? '')} vs term ${tb} ${show(fb ?? '')}`,
          );
        }
      }
    }
  }
}

/** Short printable form of a fingerprint or payload for messages. */
function show(s: string): string {
  const clipped = s.length > 40 ? `${s.slice(0, 40)}…` : s;
  return JSON.stringify(clipped);
}
