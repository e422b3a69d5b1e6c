import { expect } from 'chai';
import { KeyIndex } from './key-index';
import { Lessor } from './lessor';
import { MvccStore } from './mvcc-store';
import { restoreSnapshot, serializeSnapshot } from './snapshot';
import { putReq, rangeReq, rng } from './test-util';

const N = 100_000;

function time<T>(label: string, fn: () => T): T {
  const t0 = performance.now();
  const out = fn();
  console.log(`      ${label}: ${(performance.now() - t0).toFixed(1)} ms`);
  return out;
}

describe('mvcc at 100k keys (smoke; timings printed, correctness asserted)', function () {
  this.timeout(60_000);
  const next = rng(3);
  const ids = Array.from({ length: N }, (_, i) => i).sort(() => next() - 0.5);
  const key = (i: number) => `/registry/pods/ns${String(i % 100).padStart(3, '0')}/pod-${String(i).padStart(6, '0')}`;
  const store = new MvccStore({ schedule: null });
  const lessor = new Lessor(store, { now: () => 0 });
  const value = 'x'.repeat(200);

  it('puts 100k keys in random order', () => {
    time(`${N} puts`, () => {
      for (const i of ids) store.put(putReq(key(i), value));
    });
    expect(store.currentRevision).to.equal(N + 1);
  });

  it('ranges a prefix, counts, and pages through everything', () => {
    const ns = time('prefix range (1000 keys)', () => store.range(rangeReq('/registry/pods/ns042/', '/registry/pods/ns0420')));
    expect(ns.count).to.equal(1000);
    expect(ns.kvs.map((kv) => kv.key.toString())).to.deep.equal(
      Array.from({ length: 1000 }, (_, j) => key(42 + 100 * j)).sort(),
    );
    const count = time('count_only over all', () => store.range(rangeReq('\0', '\0', { countOnly: true })));
    expect(count.count).to.equal(N);
    let pages = 0;
    let seen = 0;
    let from = '/registry/';
    time('paging all keys by 500', () => {
      for (;;) {
        const r = store.range(rangeReq(from, '/registry0', { limit: 500 }));
        pages++;
        seen += r.kvs.length;
        if (!r.more) break;
        from = r.kvs[r.kvs.length - 1].key.toString() + '\0';
      }
    });
    expect(seen).to.equal(N);
    expect(pages).to.equal(N / 500);
    const old = time('point reads at an old revision x1000', () => {
      let found = 0;
      for (let j = 0; j < 1000; j++) if (store.get(key(ids[j]), 1000) !== undefined) found++;
      return found;
    });
    expect(old).to.equal(999); // revisions 2..1000 hold the first 999 keys
  });

  it('snapshots and restores 100k keys', () => {
    store.compact(N / 2);
    let steps = 0;
    let worst = 0;
    while (store.compacting) {
      const t0 = performance.now();
      store.compactStep();
      worst = Math.max(worst, performance.now() - t0);
      steps++;
    }
    console.log(`      compaction: ${steps} steps, slowest ${worst.toFixed(1)} ms`);
    const bytes = time('serialize', () => serializeSnapshot({ store, lessor, appliedIndex: 7 }));
    console.log(`      snapshot size: ${(bytes.length / 1e6).toFixed(1)} MB`);
    const copy = new MvccStore({ schedule: null });
    const copyLessor = new Lessor(copy);
    time('restore', () => restoreSnapshot(bytes, { store: copy, lessor: copyLessor }));
    expect(copy.currentRevision).to.equal(store.currentRevision);
    expect(copy.range(rangeReq('\0', '\0', { countOnly: true })).count).to.equal(N);
    expect(copy.changesAt(N).map((r) => r.key)).to.deep.equal(store.changesAt(N).map((r) => r.key));
  });

  it('inserts 200k new keys into the ordered index', () => {
    const idx = new KeyIndex();
    const keys = Array.from({ length: 200_000 }, (_, i) => `key-${Math.floor(next() * 1e9)}-${i}`);
    time('200k random inserts', () => {
      for (const k of keys) idx.getOrCreate(k);
    });
    expect(idx.size).to.equal(200_000);
    let prev = '';
    let n = 0;
    for (const h of idx.range('')) {
      expect(h.key > prev).to.equal(true);
      prev = h.key;
      n++;
    }
    expect(n).to.equal(200_000);
  });
});
