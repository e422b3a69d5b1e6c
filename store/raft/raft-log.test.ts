import { expect } from 'chai';
import { RaftInvariantError } from './errors';
import { MemoryStorage } from './memory-storage';
import { RaftLog } from './raft-log';
import { Entry, EntryType } from './types';

function e(index: number, term: number): Entry {
  return { index, term, type: EntryType.Normal, data: new Uint8Array(0) };
}

/** A log with stable entries 1..3 (terms 1,2,3) and unstable 4..5 (term 3). */
function log(storage = MemoryStorage.restore({ hardState: { term: 3, vote: 0, commit: 2 }, entries: [e(1, 1), e(2, 2), e(3, 3)] })): RaftLog {
  const l = new RaftLog(storage);
  l.committed = 2;
  l.append([e(4, 3), e(5, 3)]);
  return l;
}

describe('RaftLog', () => {
  it('answers terms across stable and unstable entries; undefined outside the log', () => {
    const l = log();
    expect([0, 1, 2, 3, 4, 5].map((i) => l.term(i))).to.deep.equal([0, 1, 2, 3, 3, 3]);
    expect(l.term(6)).to.equal(undefined);
    expect(l.lastIndex()).to.equal(5);
    expect(l.stableLastIndex()).to.equal(3);
  });

  it('findConflict returns the first mismatching index, 0 when all entries are present', () => {
    const l = log();
    expect(l.findConflict([e(2, 2), e(3, 3)])).to.equal(0);
    expect(l.findConflict([e(3, 3), e(4, 4)])).to.equal(4);
    expect(l.findConflict([e(5, 3), e(6, 3)])).to.equal(6);
  });

  it('§5.3 maybeAppend: consistency check, truncation of a conflicting suffix, commit = min(leader commit, last new)', () => {
    const l = log();
    expect(l.maybeAppend(3, 2, 5, [e(4, 4)])).to.equal(undefined); // prev term mismatch
    expect(l.maybeAppend(3, 3, 9, [e(4, 4)])).to.equal(4);
    expect(l.lastIndex()).to.equal(4);
    expect(l.term(4)).to.equal(4);
    expect(l.committed).to.equal(4);
    expect(() => l.maybeAppend(1, 1, 4, [e(2, 9)])).to.throw(RaftInvariantError);
  });

  it('findConflictByTerm skips back to the last index whose term is <= the given term', () => {
    const l = log();
    expect(l.findConflictByTerm(5, 2)).to.deep.equal([2, 2]);
    expect(l.findConflictByTerm(5, 3)).to.deep.equal([5, 3]);
    expect(l.findConflictByTerm(5, 0)).to.deep.equal([0, 0]);
  });

  it('§5.4.2 maybeCommit commits only an index whose entry is from the given term', () => {
    const l = log();
    expect(l.maybeCommit(4, 4)).to.equal(false);
    expect(l.maybeCommit(4, 3)).to.equal(true);
    expect(l.committed).to.equal(4);
  });

  it('committed entries are released only up to the durable index', () => {
    const storage = MemoryStorage.restore({ hardState: { term: 3, vote: 0, commit: 2 }, entries: [e(1, 1), e(2, 2), e(3, 3)] });
    const l = log(storage);
    l.commitTo(5);
    expect(l.nextCommittedEnts().map((x) => x.index)).to.deep.equal([1, 2, 3]);
    l.acceptApplying(3);
    expect(l.hasNextCommittedEnts()).to.equal(false);
    storage.append(l.nextUnstableEnts()); // the member loop persists them
    l.stableTo(5, 3);
    expect(l.nextCommittedEnts().map((x) => x.index)).to.deep.equal([4, 5]);
  });

  it('refuses to move the commit index past the log', () => {
    expect(() => log().commitTo(6)).to.throw(RaftInvariantError);
  });

  it('isUpToDate compares last term first, then last index (§5.4.1)', () => {
    const l = log();
    expect(l.isUpToDate(1, 4)).to.equal(true);
    expect(l.isUpToDate(5, 3)).to.equal(true);
    expect(l.isUpToDate(4, 3)).to.equal(false);
    expect(l.isUpToDate(99, 2)).to.equal(false);
  });
});
