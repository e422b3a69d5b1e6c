import { expect } from 'chai';
import { RaftInvariantError, SnapshotOutOfDateError } from './errors';
import { MemoryStorage } from './memory-storage';
import { CompactedError, SnapshotTemporarilyUnavailableError, UnavailableError } from './storage';
import { Entry, EntryType } from './types';
import { entrySizeBytes } from './entry-size';

function ents(from: number, to: number, term: number, size = 0): Entry[] {
  const out: Entry[] = [];
  for (let i = from; i <= to; i++) out.push({ index: i, term, type: EntryType.Normal, data: new Uint8Array(size) });
  return out;
}

const CS = { voters: [1, 2, 3], learners: [] };

describe('MemoryStorage', () => {
  function withLog(): MemoryStorage {
    // Entries 3..5, compaction point (dummy) at 2 with term 2.
    const s = MemoryStorage.restore({
      hardState: { term: 5, vote: 1, commit: 4 },
      snapshot: { metadata: { index: 2, term: 2, confState: CS }, data: new Uint8Array([7]) },
      entries: ents(3, 5, 3, 10),
    });
    return s;
  }

  it('starts empty: firstIndex 1, lastIndex 0, term(0) = 0', () => {
    const s = new MemoryStorage();
    expect(s.firstIndex()).to.equal(1);
    expect(s.lastIndex()).to.equal(0);
    expect(s.term(0)).to.equal(0);
    expect(s.entries(1, 1, Infinity)).to.deep.equal([]);
    expect(s.initialState()).to.deep.equal({ hardState: { term: 0, vote: 0, commit: 0 }, confState: { voters: [], learners: [] } });
  });

  it('firstIndex()-1 is the snapshot index and its term is answerable', () => {
    const s = withLog();
    expect(s.firstIndex()).to.equal(3);
    expect(s.lastIndex()).to.equal(5);
    expect(s.term(2)).to.equal(2);
    expect(s.term(5)).to.equal(3);
    expect(s.initialState().confState).to.deep.equal(CS);
  });

  it('entries() and term() throw CompactedError below the first index, UnavailableError past the end', () => {
    const s = withLog();
    expect(() => s.entries(2, 4, Infinity)).to.throw(CompactedError);
    expect(() => s.entries(3, 7, Infinity)).to.throw(UnavailableError);
    expect(() => s.term(1)).to.throw(CompactedError);
    expect(() => s.term(6)).to.throw(UnavailableError);
    expect(s.entries(3, 6, Infinity).map((e) => e.index)).to.deep.equal([3, 4, 5]);
  });

  it('entries() honours maxBytes but always returns at least one entry', () => {
    const s = withLog();
    const one = entrySizeBytes(s.entries(3, 4, Infinity)[0]);
    expect(s.entries(3, 6, 0)).to.have.length(1);
    expect(s.entries(3, 6, 2 * one)).to.have.length(2);
    expect(s.entries(3, 6, 2 * one + 1)).to.have.length(2);
    expect(s.entries(3, 6, 3 * one)).to.have.length(3);
  });

  it('append() truncates a conflicting suffix and ignores compacted entries', () => {
    const s = withLog();
    s.append(ents(4, 6, 4));
    expect(s.lastIndex()).to.equal(6);
    expect([3, 4, 5, 6].map((i) => s.term(i))).to.deep.equal([3, 4, 4, 4]);
    s.append(ents(1, 3, 9)); // 1, 2 are compacted; 3 replaces and truncates the rest
    expect(s.lastIndex()).to.equal(3);
    expect(s.term(3)).to.equal(9);
    s.append(ents(1, 2, 9)); // entirely compacted: no-op
    expect(s.lastIndex()).to.equal(3);
  });

  it('append() leaves the caller\'s array and earlier entries() results untouched', () => {
    const s = withLog();
    const before = s.entries(3, 6, Infinity);
    const input = ents(5, 6, 4);
    s.append(input);
    s.append(ents(7, 7, 4));
    expect(input.map((e) => e.index)).to.deep.equal([5, 6]);
    expect(before.map((e) => [e.index, e.term])).to.deep.equal([[3, 3], [4, 3], [5, 3]]);
    expect([3, 4, 5, 6, 7].map((i) => s.term(i))).to.deep.equal([3, 3, 4, 4, 4]);
  });

  it('append() refuses a gap and non-contiguous input', () => {
    const s = withLog();
    expect(() => s.append(ents(7, 8, 3))).to.throw(RaftInvariantError);
    expect(() => s.append([...ents(6, 6, 3), ...ents(8, 8, 3)])).to.throw(RaftInvariantError);
  });

  it('createSnapshot() + compact(): entries up to the compaction point are gone', () => {
    const s = withLog();
    const snap = s.createSnapshot(4, CS, new Uint8Array([1, 2]));
    expect(snap.metadata).to.deep.equal({ index: 4, term: 3, confState: CS });
    expect(s.snapshot()).to.equal(snap);
    s.compact(4);
    expect(s.firstIndex()).to.equal(5);
    expect(s.term(4)).to.equal(3);
    expect(() => s.term(3)).to.throw(CompactedError);
    expect(() => s.compact(4)).to.throw(CompactedError);
  });

  it('createSnapshot() refuses out-of-date, uncommitted or missing indexes; compact() refuses passing the snapshot', () => {
    const s = withLog();
    expect(() => s.createSnapshot(2, CS, new Uint8Array())).to.throw(SnapshotOutOfDateError);
    expect(() => s.createSnapshot(5, CS, new Uint8Array())).to.throw(RaftInvariantError); // commit is 4
    expect(() => s.compact(4)).to.throw(RaftInvariantError); // snapshot is at 2
    expect(() => s.compact(9)).to.throw(RaftInvariantError);
  });

  it('applySnapshot() replaces the log with the snapshot point', () => {
    const s = withLog();
    s.applySnapshot({ metadata: { index: 10, term: 6, confState: { voters: [1], learners: [2] } }, data: new Uint8Array() });
    expect(s.firstIndex()).to.equal(11);
    expect(s.lastIndex()).to.equal(10);
    expect(s.term(10)).to.equal(6);
    expect(s.initialState().confState).to.deep.equal({ voters: [1], learners: [2] });
    expect(() => s.applySnapshot({ metadata: { index: 10, term: 6, confState: CS }, data: new Uint8Array() })).to.throw(SnapshotOutOfDateError);
  });

  it('setHardState() refuses a term or commit going backwards and a changed vote within a term', () => {
    const s = withLog();
    expect(() => s.setHardState({ term: 4, vote: 0, commit: 4 })).to.throw(RaftInvariantError);
    expect(() => s.setHardState({ term: 5, vote: 1, commit: 3 })).to.throw(/commit index went backwards/);
    expect(() => s.setHardState({ term: 5, vote: 2, commit: 4 })).to.throw(/vote changed/);
    s.setHardState({ term: 6, vote: 2, commit: 5 });
    expect(s.getHardState()).to.deep.equal({ term: 6, vote: 2, commit: 5 });
  });

  it('releaseSnapshotData(): metadata stays, the data is read back on demand while the snapshot is current', async () => {
    const s = withLog();
    s.createSnapshot(3, CS, new Uint8Array([1, 2]));
    const reads: number[] = [];
    let finish!: (data: Uint8Array) => void;
    s.releaseSnapshotData((index) => {
      reads.push(index);
      return new Promise((resolve) => (finish = resolve));
    });
    expect(s.snapshotMetadata()).to.deep.include({ index: 3 });
    expect(() => s.snapshot()).to.throw(SnapshotTemporarilyUnavailableError);
    expect(() => s.snapshot(), 'one read at a time').to.throw(SnapshotTemporarilyUnavailableError);
    expect(reads).to.deep.equal([3]);
    finish(new Uint8Array([1, 2]));
    await new Promise((r) => setImmediate(r));
    expect(s.snapshot()).to.deep.equal({ metadata: s.snapshotMetadata(), data: new Uint8Array([1, 2]) });
    // A newer snapshot is held in memory again; a read of the old one that ends late is dropped.
    s.releaseSnapshotData(() => new Promise((resolve) => (finish = resolve)));
    expect(() => s.snapshot()).to.throw(SnapshotTemporarilyUnavailableError);
    s.createSnapshot(4, CS, new Uint8Array([9]));
    finish(new Uint8Array([1, 2]));
    await new Promise((r) => setImmediate(r));
    expect(s.snapshot().data).to.deep.equal(new Uint8Array([9]));
  });

  it('releaseSnapshotData(): a failed read is tried again at the next call', async () => {
    const s = withLog();
    s.createSnapshot(4, CS, new Uint8Array([7]));
    let calls = 0;
    s.releaseSnapshotData(() => (++calls === 1 ? Promise.reject(new Error('disk')) : Promise.resolve(new Uint8Array([7]))));
    expect(() => s.snapshot()).to.throw(SnapshotTemporarilyUnavailableError);
    await new Promise((r) => setImmediate(r));
    expect(() => s.snapshot()).to.throw(SnapshotTemporarilyUnavailableError);
    await new Promise((r) => setImmediate(r));
    expect(s.snapshot().data).to.deep.equal(new Uint8Array([7]));
    expect(calls).to.equal(2);
  });
});
