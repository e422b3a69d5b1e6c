/**
 * Self-tests of the simulation's safety checkers: fabricated histories that break each rule
 * must be rejected with the right invariant named, and legal histories must pass. Without
 * these, a silent checker would make every simulation run look green.
 */

import { expect } from 'chai';
import { Entry, EntryType } from '../types';
import { EntryLookup, InvariantName, InvariantViolation, LogView, SafetyChecker, checkLogMatching } from './invariants';
import { entryFingerprint } from './state-machine';

/** A log view over explicit [term, payload] pairs at indexes first..; first - 1 has term `snapTerm`. */
function logOf(entries: Array<[number, string]>, first = 1, snapTerm = 0): LogView {
  const ents: Entry[] = entries.map(([term, data], i) => ({
    term,
    index: first + i,
    type: EntryType.Normal,
    data: new Uint8Array(Buffer.from(data, 'latin1')),
  }));
  return {
    firstIndex: () => first,
    lastIndex: () => first + ents.length - 1,
    term: (i: number) => {
      if (i === first - 1) return snapTerm;
      const e = ents[i - first];
      if (!e) throw new RangeError(`no entry ${i}`);
      return e.term;
    },
    entries: (lo: number, hi: number) => ents.slice(lo - first, hi - first),
  };
}

function lookupOf(log: LogView): EntryLookup {
  return (i) => {
    if (i < log.firstIndex() || i > log.lastIndex()) return undefined;
    const [e] = log.entries(i, i + 1, Infinity);
    return { term: e.term, fingerprint: entryFingerprint(e.type, Buffer.from(e.data).toString('latin1')) };
  };
}

function fp(data: string): string {
  return entryFingerprint(EntryType.Normal, data);
}

function expectViolation(invariant: InvariantName, f: () => void): void {
  try {
    f();
  } catch (err) {
    expect(err).to.be.instanceOf(InvariantViolation);
    expect((err as InvariantViolation).invariant).to.equal(invariant);
    return;
  }
  expect.fail(`expected a ${invariant} violation, but the checker accepted the history`);
}

describe('simulation safety checkers (self-test)', () => {
  describe('Election Safety', () => {
    it('rejects two leaders in one term', () => {
      const c = new SafetyChecker();
      c.observeLeader(1, 3);
      c.observeLeader(1, 3);
      c.observeLeader(2, 4);
      expectViolation('ElectionSafety', () => c.observeLeader(3, 3));
    });

    it('accepts one leader per term, the same member leading many terms', () => {
      const c = new SafetyChecker();
      for (const [node, term] of [[1, 1], [2, 2], [2, 3], [1, 5]]) c.observeLeader(node, term);
      expect(c.leaderHistory()).to.have.length(4);
    });
  });

  describe('Learner safety', () => {
    it('rejects a learner as leader', () => {
      const c = new SafetyChecker();
      c.checkLeaderIsNotLearner(1, 2, [4]);
      expectViolation('LearnerSafety', () => c.checkLeaderIsNotLearner(4, 3, [4]));
    });
  });

  describe('Log Matching', () => {
    it('rejects two logs that share an (index, term) but differ below it', () => {
      const a = logOf([[1, 'x'], [1, 'y'], [2, 'z']]);
      const b = logOf([[1, 'x'], [2, 'w'], [2, 'z']]);
      expectViolation('LogMatching', () => checkLogMatching(new Map([[1, a], [2, b]])));
    });

    it('rejects two logs with the same (index, term) but different content', () => {
      const a = logOf([[1, 'x'], [2, 'y']]);
      const b = logOf([[1, 'x'], [2, 'OTHER']]);
      expectViolation('LogMatching', () => checkLogMatching(new Map([[1, a], [2, b]])));
    });

    it('accepts diverging suffixes after the last matching entry, and compacted prefixes', () => {
      const a = logOf([[1, 'x'], [1, 'y'], [2, 'z']]);
      const b = logOf([[1, 'x'], [1, 'y'], [3, 'q'], [3, 'r']]);
      const c = logOf([[1, 'y'], [3, 'q']], 2, 1);
      checkLogMatching(new Map([[1, a], [2, b], [3, c]]));
    });

    it('incrementally rejects an entry whose predecessor term differs from an earlier sighting', () => {
      const c = new SafetyChecker();
      const a = logOf([[1, 'x'], [2, 'y']]);
      const b = logOf([[3, 'x'], [2, 'y']]);
      c.observePersistedEntries(1, a.entries(1, 3, Infinity), a);
      expectViolation('LogMatching', () => c.observePersistedEntries(2, b.entries(2, 3, Infinity), b));
    });
  });

  describe('Leader Completeness', () => {
    it('rejects a leader of a later term that lacks a committed entry', () => {
      const c = new SafetyChecker();
      const full = logOf([[1, 'a'], [2, 'b']]);
      c.observeCommit(1, 2, 0, 2, lookupOf(full));
      const short = logOf([[1, 'a']]);
      expectViolation('LeaderCompleteness', () => c.checkLeaderCompleteness(3, 3, lookupOf(short)));
    });

    it('rejects a leader of a later term holding a different entry at a committed index', () => {
      const c = new SafetyChecker();
      c.observeCommit(1, 2, 0, 2, lookupOf(logOf([[1, 'a'], [2, 'b']])));
      expectViolation('LeaderCompleteness', () => c.checkLeaderCompleteness(2, 4, lookupOf(logOf([[1, 'a'], [3, 'c']]))));
    });

    it('does not require entries committed in the same or a later term (a stale election)', () => {
      const c = new SafetyChecker();
      c.observeCommit(1, 4, 0, 2, lookupOf(logOf([[1, 'a'], [2, 'b']])));
      c.checkLeaderCompleteness(3, 3, lookupOf(logOf([[1, 'a']])));
    });
  });

  describe('State Machine Safety', () => {
    it('rejects two members applying different entries at the same index', () => {
      const c = new SafetyChecker();
      c.observeCommit(1, 1, 0, 2, lookupOf(logOf([[1, 'a'], [1, 'b']])));
      c.observeApplied(1, 1, 1, fp('a'));
      c.observeApplied(1, 2, 1, fp('b'));
      c.observeApplied(2, 1, 1, fp('a'));
      expectViolation('StateMachineSafety', () => c.observeApplied(2, 2, 1, fp('EVIL')));
    });

    it('rejects applying an entry nobody reported committed', () => {
      const c = new SafetyChecker();
      c.observeCommit(1, 1, 0, 1, lookupOf(logOf([[1, 'a']])));
      expectViolation('StateMachineSafety', () => c.observeApplied(2, 2, 1, fp('b')));
    });

    it('rejects a member whose log disagrees with an already committed entry', () => {
      const c = new SafetyChecker();
      c.observeCommit(1, 1, 0, 2, lookupOf(logOf([[1, 'a'], [1, 'b']])));
      expectViolation('StateMachineSafety', () => c.observeCommit(2, 2, 0, 2, lookupOf(logOf([[1, 'a'], [2, 'c']]))));
    });
  });

  describe('durable hard state, commit and reads', () => {
    it('rejects a persisted term going backwards', () => {
      const c = new SafetyChecker();
      c.observePersistedHardState(1, { term: 5, vote: 2, commit: 3 });
      expectViolation('DurableHardState', () => c.observePersistedHardState(1, { term: 4, vote: 2, commit: 3 }));
    });

    it('rejects a changed vote within one term (a double vote)', () => {
      const c = new SafetyChecker();
      c.observePersistedHardState(1, { term: 5, vote: 0, commit: 0 });
      c.observePersistedHardState(1, { term: 5, vote: 2, commit: 0 });
      expectViolation('DurableHardState', () => c.observePersistedHardState(1, { term: 5, vote: 3, commit: 0 }));
    });

    it('rejects the commit index of a live member going backwards, but not across restarts', () => {
      const c = new SafetyChecker();
      c.observeLiveCommit(1, 1, 7);
      c.observeLiveCommit(1, 2, 5);
      expectViolation('CommitMonotonic', () => c.observeLiveCommit(1, 2, 4));
    });

    it('rejects a ReadIndex answer below the commit index known at request time', () => {
      const c = new SafetyChecker();
      c.observeCommit(1, 1, 0, 3, lookupOf(logOf([[1, 'a'], [1, 'b'], [1, 'c']])));
      c.readRequested(2, 'r1');
      c.observeReadState(2, 'r1', 3);
      expectViolation('ReadIndexSafety', () => c.observeReadState(2, 'r1', 2));
      expectViolation('ReadIndexSafety', () => c.observeReadState(2, 'never-asked', 9));
    });

    it('rejects applying a command nobody proposed', () => {
      const c = new SafetyChecker();
      c.noteProposed('cmd-1');
      c.checkProposed(1, 1, 'cmd-1');
      c.checkProposed(1, 2, '');
      expectViolation('ReadyContract', () => c.checkProposed(1, 3, 'cmd-2'));
    });
  });
});
