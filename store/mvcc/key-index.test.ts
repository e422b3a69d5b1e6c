import { expect } from 'chai';
import { KeyHistory, KeyIndex, KeyRecord, toBytes, toKey } from './key-index';
import { rng } from './test-util';

const rec = (key: string, main: number, tombstone = false): KeyRecord => ({
  key,
  main,
  sub: 0,
  tombstone,
  kv: { key: toBytes(key), createRevision: main, modRevision: main, version: 1, value: Buffer.alloc(0), lease: 0 },
});

describe('KeyIndex', () => {
  it('converts keys so that string order is byte order', () => {
    const raw = [Buffer.from([0xff]), Buffer.from([0x00, 0x01]), Buffer.from('é'), Buffer.from('z')];
    const sortedBytes = [...raw].sort(Buffer.compare).map((x) => x.toString('hex'));
    const sortedKeys = raw.map(toKey).sort().map((k) => toBytes(k).toString('hex'));
    expect(sortedKeys).to.deep.equal(sortedBytes);
  });

  it('keeps keys ordered through random inserts and deletes', () => {
    const next = rng(11);
    const idx = new KeyIndex();
    const ref = new Set<string>();
    for (let i = 0; i < 20000; i++) {
      const k = `k${Math.floor(next() * 8000)}`;
      if (next() < 0.7) {
        idx.getOrCreate(k);
        ref.add(k);
      } else {
        idx.delete(k);
        ref.delete(k);
      }
    }
    const sorted = [...ref].sort();
    expect(idx.size).to.equal(ref.size);
    expect([...idx.range('')].map((h) => h.key)).to.deep.equal(sorted);
    for (let q = 0; q < 200; q++) {
      const a = `k${Math.floor(next() * 8000)}`;
      const b = `k${Math.floor(next() * 8000)}`;
      expect([...idx.range(a, b)].map((h) => h.key)).to.deep.equal(sorted.filter((k) => k >= a && k < b));
      expect([...idx.range(a)].map((h) => h.key)).to.deep.equal(sorted.filter((k) => k >= a));
    }
    for (const k of sorted) idx.delete(k);
    expect([...idx.range('')]).to.deep.equal([]);
  });
});

describe('KeyHistory', () => {
  const h = new KeyHistory('k', toBytes('k'));
  h.append(rec('k', 2));
  h.append(rec('k', 5));
  h.append(rec('k', 7, true));
  h.append(rec('k', 9));

  it('finds the value at a revision', () => {
    const at = (rev: number) => h.liveAt(rev)?.modRevision;
    expect([1, 2, 4, 5, 6, 7, 8, 9, 10].map(at)).to.deep.equal([undefined, 2, 2, 5, 5, undefined, undefined, 9, 9]);
    expect(h.liveBefore(9, 0)).to.equal(undefined);
    expect(h.liveBefore(7, 0)!.modRevision).to.equal(5);
  });

  it('prunes like etcd keyIndex.compact', () => {
    expect(h.retainedFrom(1)).to.equal(0);
    expect(h.retainedFrom(6)).to.equal(1); // keeps 5
    expect(h.retainedFrom(7)).to.equal(2); // tombstone exactly at the compact revision stays
    expect(h.retainedFrom(8)).to.equal(3); // older tombstone goes
    expect(() => h.append(rec('k', 9))).to.throw(/non-increasing/);
  });
});
