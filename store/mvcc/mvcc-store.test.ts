import { expect } from 'chai';
import {
  Compare_CompareResult as R,
  Compare_CompareTarget as T,
  RangeRequest,
  RangeRequest_SortOrder as Order,
  RangeRequest_SortTarget as Target,
} from '../../gen/etcd/rpc';
import {
  ErrCompacted,
  ErrDuplicateKey,
  ErrEmptyKey,
  ErrFutureRev,
  ErrKeyNotFound,
  ErrLeaseNotFound,
  ErrTooManyOps,
  ErrValueProvided,
} from '../errors';
import { MvccStore } from './mvcc-store';
import { cmp, delReq, rng, keys, ManualScheduler, opDel, opPut, opRange, opTxn, putReq, rangeReq, show, txnReq } from './test-util';

function newStore(): { s: MvccStore; sched: ManualScheduler } {
  const sched = new ManualScheduler();
  return { s: new MvccStore({ schedule: sched.schedule }), sched };
}

describe('MvccStore range', () => {
  // a@2 b@3 c@4 foo@5 foo/bar@6 foo/baz@7 fop@8, b updated @9, c deleted @10
  const { s } = newStore();
  for (const [k, v] of [['a', '1'], ['b', '2'], ['c', '3'], ['foo', 'f'], ['foo/bar', 'fb'], ['foo/baz', 'fz'], ['fop', 'x']]) {
    s.put(putReq(k, v));
  }
  s.put(putReq('b', '22'));
  s.deleteRange(delReq('c'));

  const all = ['a', 'b', 'foo', 'foo/bar', 'foo/baz', 'fop'];
  const cases: { name: string; req: RangeRequest; keys: string[]; count?: number; more?: boolean }[] = [
    { name: 'single key', req: rangeReq('a'), keys: ['a'] },
    { name: 'missing key', req: rangeReq('zz'), keys: [], count: 0 },
    { name: 'deleted key', req: rangeReq('c'), keys: [], count: 0 },
    { name: 'prefix', req: rangeReq('foo', 'fop'), keys: ['foo', 'foo/bar', 'foo/baz'] },
    { name: 'interval skips tombstones', req: rangeReq('b', 'foo/baz'), keys: ['b', 'foo', 'foo/bar'] },
    { name: 'from key', req: rangeReq('foo', '\0'), keys: ['foo', 'foo/bar', 'foo/baz', 'fop'] },
    { name: 'all keys', req: rangeReq('\0', '\0'), keys: all },
    { name: 'inverted interval', req: rangeReq('z', 'a'), keys: [], count: 0 },
    { name: 'limit', req: rangeReq('\0', '\0', { limit: 2 }), keys: ['a', 'b'], count: 6, more: true },
    { name: 'limit equal to count', req: rangeReq('\0', '\0', { limit: 6 }), keys: all, count: 6, more: false },
    { name: 'past revision', req: rangeReq('\0', '\0', { revision: 4 }), keys: ['a', 'b', 'c'] },
    { name: 'deleted key before deletion', req: rangeReq('c', '', { revision: 9 }), keys: ['c'] },
    {
      name: 'sort descend by key',
      req: rangeReq('\0', '\0', { sortOrder: Order.DESCEND }),
      keys: [...all].reverse(),
    },
    {
      name: 'sort descend by key with limit',
      req: rangeReq('\0', '\0', { sortOrder: Order.DESCEND, limit: 2 }),
      keys: ['fop', 'foo/baz'],
      count: 6,
      more: true,
    },
    {
      name: 'order NONE on MOD sorts ascending by mod',
      req: rangeReq('\0', '\0', { sortTarget: Target.MOD }),
      keys: ['a', 'foo', 'foo/bar', 'foo/baz', 'fop', 'b'],
    },
    {
      name: 'sort descend by create',
      req: rangeReq('\0', '\0', { sortOrder: Order.DESCEND, sortTarget: Target.CREATE }),
      keys: ['fop', 'foo/baz', 'foo/bar', 'foo', 'b', 'a'],
    },
    {
      name: 'sort descend by version (ties in key order)',
      req: rangeReq('\0', '\0', { sortOrder: Order.DESCEND, sortTarget: Target.VERSION }),
      keys: ['b', 'a', 'foo', 'foo/bar', 'foo/baz', 'fop'],
    },
    {
      name: 'sort ascend by value',
      req: rangeReq('\0', '\0', { sortOrder: Order.ASCEND, sortTarget: Target.VALUE }),
      keys: ['a', 'b', 'foo', 'foo/bar', 'foo/baz', 'fop'],
    },
    { name: 'min mod revision', req: rangeReq('\0', '\0', { minModRevision: 7 }), keys: ['b', 'foo/baz', 'fop'], count: 6 },
    { name: 'max mod revision', req: rangeReq('\0', '\0', { maxModRevision: 5 }), keys: ['a', 'foo'], count: 6 },
    { name: 'min create revision', req: rangeReq('\0', '\0', { minCreateRevision: 7 }), keys: ['foo/baz', 'fop'], count: 6 },
    { name: 'max create revision', req: rangeReq('\0', '\0', { maxCreateRevision: 3 }), keys: ['a', 'b'], count: 6 },
    {
      name: 'filter with limit',
      req: rangeReq('\0', '\0', { minModRevision: 6, limit: 2 }),
      keys: ['b', 'foo/bar'],
      count: 6,
      more: true,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const resp = s.range(c.req);
      expect(keys(resp.kvs)).to.deep.equal(c.keys);
      expect(resp.count).to.equal(c.count ?? c.keys.length);
      expect(resp.more).to.equal(c.more ?? false);
      expect(resp.header!.revision).to.equal(10);
    });
  }

  it('count_only returns the count and no kvs', () => {
    const resp = s.range(rangeReq('\0', '\0', { countOnly: true, limit: 1 }));
    expect(resp.kvs).to.deep.equal([]);
    expect(resp.count).to.equal(6);
    expect(resp.more).to.equal(false);
  });

  it('keys_only drops values without touching the stored ones', () => {
    const resp = s.range(rangeReq('a', '', { keysOnly: true }));
    expect(resp.kvs[0].value.length).to.equal(0);
    expect(resp.kvs[0].modRevision).to.equal(2);
    expect(s.range(rangeReq('a')).kvs[0].value.toString()).to.equal('1');
  });

  it('reports versions, create and mod revisions', () => {
    expect(show(s.range(rangeReq('b')).kvs[0])).to.equal('b=22@3/9/v2/l0');
    expect(show(s.range(rangeReq('b', '', { revision: 8 })).kvs[0])).to.equal('b=2@3/3/v1/l0');
  });

  it('rejects future revisions and empty keys', () => {
    expect(() => s.range(rangeReq('a', '', { revision: 11 }))).to.throw(ErrFutureRev);
    expect(() => s.range(rangeReq(''))).to.throw(ErrEmptyKey);
  });
});

describe('MvccStore put and delete', () => {
  it('starts at revision 1; the first write is revision 2', () => {
    const { s } = newStore();
    expect(s.currentRevision).to.equal(1);
    const r = s.put(putReq('k', 'v'));
    expect(r.header!.revision).to.equal(2);
    expect(show(s.get('k'))).to.equal('k=v@2/2/v1/l0');
  });

  it('bumps version, keeps create revision, returns prev_kv', () => {
    const { s } = newStore();
    expect(s.put(putReq('k', 'v1', { prevKv: true })).prevKv).to.equal(undefined);
    const r = s.put(putReq('k', 'v2', { prevKv: true }));
    expect(show(r.prevKv)).to.equal('k=v1@2/2/v1/l0');
    expect(show(s.get('k'))).to.equal('k=v2@2/3/v2/l0');
  });

  it('ignore_value keeps the value; needs an existing key; rejects a value', () => {
    const { s } = newStore();
    expect(() => s.put(putReq('k', '', { ignoreValue: true }))).to.throw(ErrKeyNotFound);
    expect(s.currentRevision).to.equal(1);
    s.put(putReq('k', 'v'));
    s.put(putReq('k', '', { ignoreValue: true }));
    expect(show(s.get('k'))).to.equal('k=v@2/3/v2/l0');
    expect(() => s.put(putReq('k', 'x', { ignoreValue: true }))).to.throw(ErrValueProvided);
    expect(() => s.put(putReq('', 'x'))).to.throw(ErrEmptyKey);
  });

  it('rejects an unknown lease without writing', () => {
    const { s } = newStore();
    expect(() => s.put(putReq('k', 'v', { lease: 7 }))).to.throw(ErrLeaseNotFound);
    expect(s.currentRevision).to.equal(1);
  });

  it('delete of nothing does not bump the revision; a range delete is one revision', () => {
    const { s } = newStore();
    expect(s.deleteRange(delReq('nope')).deleted).to.equal(0);
    expect(s.currentRevision).to.equal(1);
    for (const k of ['a', 'b', 'c', 'd']) s.put(putReq(k, k));
    const r = s.deleteRange(delReq('b', 'd', true));
    expect(r.deleted).to.equal(2);
    expect(r.prevKvs.map(show)).to.deep.equal(['b=b@3/3/v1/l0', 'c=c@4/4/v1/l0']);
    expect(r.header!.revision).to.equal(6);
    expect(s.changesAt(6).map((c) => [c.key, c.sub, c.tombstone])).to.deep.equal([
      ['b', 0, true],
      ['c', 1, true],
    ]);
    expect(s.range(rangeReq('\0', '\0')).count).to.equal(2);
  });

  it('a put after a delete starts a new generation', () => {
    const { s } = newStore();
    s.put(putReq('k', 'a'));
    s.put(putReq('k', 'b'));
    s.deleteRange(delReq('k'));
    s.put(putReq('k', 'c'));
    expect(show(s.get('k'))).to.equal('k=c@5/5/v1/l0');
  });
});

describe('MvccStore txn', () => {
  function seeded(): MvccStore {
    const { s } = newStore();
    s.put(putReq('a', '1')); // 2
    s.put(putReq('b', '2')); // 3
    s.put(putReq('b', '3')); // 4
    return s;
  }

  const compareCases: [string, ReturnType<typeof cmp>, boolean][] = [
    ['value equal', cmp('a', T.VALUE, R.EQUAL, '1'), true],
    ['value not equal', cmp('a', T.VALUE, R.NOT_EQUAL, '1'), false],
    ['value greater', cmp('a', T.VALUE, R.GREATER, '0'), true],
    ['value less', cmp('a', T.VALUE, R.LESS, '0'), false],
    ['value of missing key always fails', cmp('zz', T.VALUE, R.NOT_EQUAL, 'x'), false],
    ['version of missing key is 0', cmp('zz', T.VERSION, R.EQUAL, 0), true],
    ['create of missing key is 0', cmp('zz', T.CREATE, R.EQUAL, 0), true],
    ['version', cmp('b', T.VERSION, R.EQUAL, 2), true],
    ['create', cmp('b', T.CREATE, R.EQUAL, 3), true],
    ['mod greater', cmp('b', T.MOD, R.GREATER, 3), true],
    ['mod less', cmp('b', T.MOD, R.LESS, 4), false],
    ['lease', cmp('a', T.LEASE, R.EQUAL, 0), true],
    ['range: all keys must match', cmp('a', T.MOD, R.GREATER, 2, 'c'), false],
    ['range: every key matches', cmp('a', T.MOD, R.GREATER, 1, 'c'), true],
    ['range: no keys in range', cmp('x', T.VERSION, R.EQUAL, 0, 'y'), true],
  ];
  for (const [name, c, expected] of compareCases) {
    it(`compare: ${name}`, () => {
      expect(seeded().txn(txnReq([c], [])).succeeded).to.equal(expected);
    });
  }

  it('runs success or failure ops in one revision with sub-revisions', () => {
    const s = seeded();
    const r = s.txn(txnReq([cmp('a', T.VALUE, R.EQUAL, '1')], [opPut('x', '1'), opPut('y', '2'), opRange('x')]));
    expect(r.succeeded).to.equal(true);
    expect(r.header!.revision).to.equal(5);
    expect(s.changesAt(5).map((c) => [c.key, c.sub])).to.deep.equal([
      ['x', 0],
      ['y', 1],
    ]);
    // the range inside the txn sees the txn's own put
    expect(show(r.responses[2].responseRange!.kvs[0])).to.equal('x=1@5/5/v1/l0');
    const f = s.txn(txnReq([cmp('a', T.VALUE, R.EQUAL, 'no')], [opPut('x', 'S')], [opPut('x', 'F')]));
    expect(f.succeeded).to.equal(false);
    expect(s.get('x')!.value.toString()).to.equal('F');
    expect(s.currentRevision).to.equal(6);
  });

  it('does not bump the revision for a read-only or no-op txn', () => {
    const s = seeded();
    s.txn(txnReq([], [opRange('a')]));
    s.txn(txnReq([cmp('a', T.VALUE, R.EQUAL, 'no')], [opPut('x', '1')]));
    s.txn(txnReq([], [opDel('nothing')]));
    expect(s.currentRevision).to.equal(4);
  });

  it('nested txn: compares see the state before the outer txn', () => {
    const s = seeded();
    const inner = txnReq([cmp('a', T.VALUE, R.EQUAL, '1')], [opPut('inner', 'then')], [opPut('inner', 'else')]);
    const r = s.txn(txnReq([], [opPut('a', '2'), opTxn(inner)]));
    expect(r.responses[1].responseTxn!.succeeded).to.equal(true);
    expect(s.get('inner')!.value.toString()).to.equal('then');
    expect(s.changesAt(5).map((c) => c.key)).to.deep.equal(['a', 'inner']);
    // As etcd 3.4: the nested txn's header is present and all zero; its ops carry the revision.
    expect(r.header?.revision).to.equal(5);
    expect(r.responses[1].responseTxn!.header).to.deep.equal({ clusterId: 0, memberId: 0, revision: 0, raftTerm: 0 });
    expect(r.responses[1].responseTxn!.responses[0].responsePut!.header?.revision).to.equal(5);
  });

  it('rejects a key written twice (like etcd checkIntervals)', () => {
    const s = seeded();
    const dup = [
      [opPut('a', '1'), opPut('a', '2')],
      [opDel('a', 'c'), opPut('b', '1')],
      [opDel('\0', '\0'), opPut('zzz', '1')],
      [opPut('a', '1'), opTxn(txnReq([], [opPut('a', '2')]))],
      [opTxn(txnReq([], [opDel('a', 'z')])), opPut('b', '1')],
      [opTxn(txnReq([], [opPut('q', '1')])), opTxn(txnReq([], [], [opPut('q', '2')]))],
    ];
    for (const ops of dup) expect(() => s.txn(txnReq([], ops))).to.throw(ErrDuplicateKey);
    const ok = [
      [opDel('a', 'c'), opDel('b', 'd')],
      [opTxn(txnReq([], [opPut('q', '1')], [opPut('q', '2')]))],
      [opPut('a', '1'), opRange('a')],
    ];
    for (const ops of ok) expect(() => s.txn(txnReq([], ops))).not.to.throw();
    // success and failure are checked separately
    expect(() => s.txn(txnReq([], [opPut('k', '1')], [opPut('k', '2')]))).not.to.throw();
  });

  it('limits ops to 128 per list', () => {
    const s = seeded();
    const ops = (n: number) => Array.from({ length: n }, (_, i) => opPut(`k${i}`, 'v'));
    expect(() => s.txn(txnReq([], ops(129)))).to.throw(ErrTooManyOps);
    s.txn(txnReq([], ops(128)));
    expect(s.changesAt(s.currentRevision)).to.have.length(128);
  });

  it('is atomic: a failing op aborts before anything is written', () => {
    const s = seeded();
    expect(() => s.txn(txnReq([], [opPut('x', '1'), opPut('y', '1', { lease: 9 })]))).to.throw(ErrLeaseNotFound);
    expect(() => s.txn(txnReq([], [opPut('x', '1'), opPut('nope', '', { ignoreValue: true })]))).to.throw(ErrKeyNotFound);
    expect(() => s.txn(txnReq([], [opPut('x', '1'), opRange('a', '', { revision: 99 })]))).to.throw(ErrFutureRev);
    expect(s.get('x')).to.equal(undefined);
    expect(s.currentRevision).to.equal(4);
  });
});

describe('MvccStore compaction', () => {
  function history(): { s: MvccStore; sched: ManualScheduler } {
    const h = newStore();
    const s = h.s;
    s.put(putReq('a', '1')); // 2
    s.put(putReq('a', '2')); // 3
    s.put(putReq('gone', 'x')); // 4
    s.deleteRange(delReq('gone')); // 5
    s.put(putReq('a', '3')); // 6
    s.put(putReq('b', '1')); // 7
    return h;
  }

  it('validates the revision', () => {
    const { s } = history();
    expect(() => s.compact(8)).to.throw(ErrFutureRev);
    s.compact(5);
    expect(() => s.compact(5)).to.throw(ErrCompacted);
    expect(() => s.compact(4)).to.throw(ErrCompacted);
  });

  it('fails reads below the compact revision and keeps the latest values', () => {
    const { s, sched } = history();
    s.compact(5);
    expect(s.compactRevision).to.equal(5);
    expect(() => s.range(rangeReq('a', '', { revision: 4 }))).to.throw(ErrCompacted);
    expect(sched.run()).to.be.greaterThan(0);
    expect(s.compacting).to.equal(false);
    expect(show(s.range(rangeReq('a', '', { revision: 5 })).kvs[0])).to.equal('a=2@2/3/v2/l0');
    expect(show(s.range(rangeReq('a')).kvs[0])).to.equal('a=3@2/6/v3/l0');
    expect(s.range(rangeReq('gone', '', { revision: 5 })).kvs).to.deep.equal([]);
    expect(s.indexedKeys).to.equal(3); // the tombstone at exactly 5 stays until a later compaction
    s.compact(6);
    sched.run();
    expect(s.indexedKeys).to.equal(2);
    expect(keys(s.range(rangeReq('\0', '\0')).kvs)).to.deep.equal(['a', 'b']);
    expect(s.changesAt(5)).to.have.length(0);
    expect(s.changesAt(6)).to.have.length(1);
  });

  it('answers reads correctly at every step of a batched compaction', () => {
    const { s } = newStore();
    for (let round = 0; round < 3; round++) for (let i = 0; i < 50; i++) s.put(putReq(`k${i}`, `${round}`));
    for (let i = 0; i < 50; i += 2) s.deleteRange(delReq(`k${i}`));
    const target = s.currentRevision - 10;
    const expected = [target, s.currentRevision].map((rev) => s.range(rangeReq('\0', '\0', { revision: rev })).kvs.map(show));
    s.compact(target);
    let steps = 0;
    while (s.compactStep(7)) {
      steps++;
      const got = [target, s.currentRevision].map((rev) => s.range(rangeReq('\0', '\0', { revision: rev })).kvs.map(show));
      expect(got).to.deep.equal(expected);
    }
    expect(steps).to.be.greaterThan(5);
    // 25 deletes in the last 25 revisions: the 14 older than the target are pruned
    expect(s.indexedKeys).to.equal(36);
  });

  it('whenCompacted resolves after pruning finishes', async () => {
    const real = new MvccStore();
    real.put(putReq('a', '1'));
    real.put(putReq('a', '2'));
    real.compact(3);
    expect(real.compacting).to.equal(true);
    await real.whenCompacted();
    expect(real.compacting).to.equal(false);
  });
});

describe('MvccStore counts', () => {
  it('count with a limit (per-chunk live counts) matches a full scan, through deletes and compaction', () => {
    const { s } = newStore();
    const next = rng(5);
    const key = () => `k${String(Math.floor(next() * 3000)).padStart(4, '0')}`;
    for (let i = 0; i < 6000; i++) {
      if (next() < 0.7) s.put(putReq(key(), 'v'));
      else if (next() < 0.9) s.deleteRange(delReq(key()));
      else {
        const [a, z] = [key(), key()].sort();
        s.deleteRange(delReq(a, z));
      }
      if (i % 1000 === 999) {
        s.compact(s.currentRevision - 50);
        while (s.compactStep(100));
      }
      if (i % 97 === 0) {
        const [a, z] = [key(), key()].sort();
        for (const [from, to] of [[a, z], [a, '\0'], ['\0', '\0']]) {
          const full = s.range(rangeReq(from, to));
          expect(s.range(rangeReq(from, to, { limit: 1 })).count).to.equal(full.kvs.length);
          expect(s.range(rangeReq(from, to, { countOnly: true })).count).to.equal(full.kvs.length);
          const old = s.range(rangeReq(from, to, { revision: s.currentRevision - 20, limit: 2 }));
          expect(old.count).to.equal(s.range(rangeReq(from, to, { revision: s.currentRevision - 20 })).kvs.length);
        }
      }
    }
  });
});
