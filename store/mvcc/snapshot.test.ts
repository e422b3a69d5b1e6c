import { expect } from 'chai';
import { InternalRequest } from '../../gen/bosun/store';
import { Compare_CompareResult as R, Compare_CompareTarget as T } from '../../gen/etcd/rpc';
import { StoreError } from '../errors';
import { Applier, ApplyResult } from './applier';
import { crc32, tableCrc32 } from './crc32';
import { Lessor } from './lessor';
import { MvccStore } from './mvcc-store';
import { captureSnapshot, decodeSnapshot, ErrSnapshotCorrupt, restoreSnapshot, serializeCaptured, serializeSnapshot, withAppliedIndex } from './snapshot';
import { cmp, delReq, ManualScheduler, opDel, opPut, opRange, putReq, rangeReq, rng, show, txnReq } from './test-util';
import { WatchableStore, WatchBatch } from './watchable-store';

function member() {
  const sched = new ManualScheduler();
  const store = new MvccStore({ schedule: sched.schedule });
  const lessor = new Lessor(store, { minTtlSeconds: 1, now: () => 0 });
  return { sched, store, lessor, applier: new Applier(store, lessor) };
}

/** Everything a client could observe, as text. */
function dump(store: MvccStore, lessor: Lessor): string[] {
  const out = [`rev=${store.currentRevision} compact=${store.compactRevision}`];
  for (let rev = Math.max(store.compactRevision, 1); rev <= store.currentRevision; rev++) {
    out.push(`@${rev}: ${store.range(rangeReq('\0', '\0', { revision: rev })).kvs.map(show).join(' ')}`);
    out.push(`Δ${rev}: ${store.changesAt(rev).map((r) => `${r.sub}:${r.tombstone ? 'DEL' : 'PUT'}:${show(r.kv)}`).join(' ')}`);
  }
  for (const id of lessor.leases()) {
    const t = lessor.timeToLive(id, true);
    out.push(`lease ${id} ttl=${t.grantedTtl} keys=${t.keys.join(',')}`);
  }
  return out;
}

/** A random command over a small key space. */
function randomRequest(next: () => number, id: number, store: MvccStore, lessor: Lessor): InternalRequest {
  const pick = <X>(xs: X[]): X => xs[Math.floor(next() * xs.length)];
  const key = () => `k${Math.floor(next() * 20)}`;
  const leases = lessor.leases();
  const lease = () => (leases.length > 0 && next() < 0.3 ? pick(leases) : 0);
  const req: InternalRequest = { id, proposer: 1 };
  const kind = next();
  if (kind < 0.4) req.put = putReq(key(), `v${id}`, { lease: lease(), prevKv: next() < 0.5 });
  else if (kind < 0.5) req.deleteRange = next() < 0.5 ? delReq(key()) : delReq(key(), key(), true);
  else if (kind < 0.7) {
    const k = key();
    req.txn = txnReq(
      [cmp(k, pick([T.VERSION, T.MOD, T.CREATE]), pick([R.EQUAL, R.GREATER, R.LESS, R.NOT_EQUAL]), Math.floor(next() * 10))],
      [opPut(k, `t${id}`), opRange(key(), key())],
      [opDel(key()), opRange('\0', '\0', { limit: 3 })],
    );
  } else if (kind < 0.75) req.compaction = { revision: Math.floor(store.compactRevision + next() * 6), physical: false };
  else if (kind < 0.85) req.leaseGrant = { ID: 1 + Math.floor(next() * 8), TTL: 10 };
  else if (kind < 0.92) req.leaseRevoke = { ID: 1 + Math.floor(next() * 8) };
  else req.leaseExpire = { ids: [1 + Math.floor(next() * 8), 1 + Math.floor(next() * 8)] };
  return req;
}

const showResult = (r: ApplyResult): string => (r.error ? `error ${r.error.name}` : JSON.stringify(r.response));

describe('snapshot', () => {
  it('crc32 matches the reference value and the table implementation', () => {
    expect(crc32(Buffer.from('123456789'))).to.equal(0xcbf43926);
    const data = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 31) & 0xff));
    expect(tableCrc32(data)).to.equal(crc32(data));
  });

  it('round-trips the exact state, mid-compaction included', () => {
    const a = member();
    a.lessor.grant(5, 30);
    a.store.put(putReq('a', '1', { lease: 5 }));
    a.store.put(putReq('b', '1'));
    a.store.put(putReq('a', '2', { lease: 5 }));
    a.store.deleteRange(delReq('b'));
    a.store.put(putReq('c', Buffer.alloc(300, 7).toString('latin1')));
    a.store.put(putReq('b', 'again'));
    a.store.compact(4); // pruning still pending: the snapshot must not depend on it
    a.store.put(putReq('\u00ff\u0000odd', 'bytes'));
    a.applier.markApplied(42);
    const bytes = a.applier.snapshot();

    const b = member();
    b.applier.restore(bytes);
    expect(b.applier.appliedIndex).to.equal(42);
    expect(dump(b.store, b.lessor)).to.deep.equal(dump(a.store, a.lessor));
    expect(Buffer.compare(b.applier.snapshot(), bytes)).to.equal(0);
    a.sched.run();
    expect(Buffer.compare(a.applier.snapshot(), bytes)).to.equal(0);
    // the restored lease still owns its key
    b.lessor.revoke(5);
    expect(b.store.get('a')).to.equal(undefined);
  });

  it('a capture serialized in slices later is the snapshot of the moment it was taken', async function () {
    const seed = Number(process.env.MVCC_SEED ?? Date.now() % 100000);
    this.test!.title += ` (seed ${seed})`;
    const next = rng(seed);
    const a = member();
    for (let i = 1; i <= 300; i++) a.applier.apply(i, randomRequest(next, i, a.store, a.lessor));
    const expected = a.applier.snapshot();
    const capture = captureSnapshot({ store: a.store, lessor: a.lessor, appliedIndex: a.applier.appliedIndex });
    // The state moves on between the slices: writes, deletes, lease changes, compactions.
    let i = 301;
    const serializing = serializeCaptured(capture, { sliceKeys: 2, prefix: (n) => Buffer.from(`len=${n};`) });
    for (let until = i + 200; i < until; i++) {
      a.applier.apply(i, randomRequest(next, i, a.store, a.lessor));
      a.sched.run();
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    const bytes = await serializing;
    const prefix = Buffer.from(`len=${expected.length};`);
    expect(bytes.subarray(0, prefix.length).toString()).to.equal(prefix.toString());
    expect(Buffer.compare(bytes.subarray(prefix.length), expected)).to.equal(0);
    expect(Buffer.compare(a.applier.snapshot(), expected)).to.not.equal(0);
  });

  it('stops serializing a capture when aborted', async () => {
    const a = member();
    for (let i = 0; i < 10; i++) a.store.put(putReq(`k${i}`, 'v'));
    const stop = new AbortController();
    const serializing = serializeCaptured(captureSnapshot({ store: a.store, lessor: a.lessor, appliedIndex: 1 }), { sliceKeys: 1, signal: stop.signal });
    stop.abort(new Error('stopped'));
    let err: Error | undefined;
    await serializing.catch((e: Error) => (err = e));
    expect(err?.message).to.equal('stopped');
  });

  it('rejects corrupt snapshots and leaves the state untouched', () => {
    const a = member();
    a.store.put(putReq('a', '1'));
    const bytes = serializeSnapshot({ store: a.store, lessor: a.lessor, appliedIndex: 3 });
    const b = member();
    b.store.put(putReq('mine', '1'));
    const before = dump(b.store, b.lessor);
    const flipped = Buffer.from(bytes);
    flipped[20] ^= 1;
    const badVersion = Buffer.from(bytes);
    badVersion[4] = 9;
    for (const bad of [flipped, bytes.subarray(0, bytes.length - 3), Buffer.alloc(0), Buffer.from('nonsense'), badVersion]) {
      expect(() => restoreSnapshot(bad, b)).to.throw(ErrSnapshotCorrupt);
    }
    expect(dump(b.store, b.lessor)).to.deep.equal(before);
    expect(decodeSnapshot(bytes).appliedIndex).to.equal(3);
  });

  it('a member restored from a snapshot midway answers exactly like one that applied everything', function () {
    const seed = Number(process.env.MVCC_SEED ?? Date.now() % 100000);
    this.test!.title += ` (seed ${seed})`;
    const next = rng(seed);
    const a = member();
    let b = member();
    const reqs: InternalRequest[] = [];
    for (let i = 1; i <= 600; i++) reqs.push(randomRequest(next, i, a.store, a.lessor)), a.applier.apply(i, reqs[i - 1]);

    // replay: b applies the same log, is replaced by a restore of its own snapshot at 300, and
    // continues; a's results are recomputed by a fresh member applying everything.
    const ref = member();
    const refResults = reqs.map((r, i) => showResult(ref.applier.apply(i + 1, r)));
    const results: string[] = [];
    for (let i = 1; i <= 600; i++) {
      if (i === 301) {
        const snap = b.applier.snapshot();
        b = member();
        b.applier.restore(snap);
        expect(b.applier.appliedIndex).to.equal(300);
        expect(b.applier.apply(300, reqs[299])).to.deep.equal({}); // already applied: skipped
      }
      results.push(showResult(b.applier.apply(i, reqs[i - 1])));
      if (i % 7 === 0) b.sched.run(3); // pruning progress differs between the two
    }
    expect(results).to.deep.equal(refResults);
    expect(dump(b.store, b.lessor)).to.deep.equal(dump(ref.store, ref.lessor));
    expect(dump(a.store, a.lessor)).to.deep.equal(dump(ref.store, ref.lessor));
    expect(results.filter((r) => r.startsWith('error')).length).to.be.greaterThan(0);
  });

  it('watchers on a member that installs a newer snapshot catch up without gaps', () => {
    const ahead = member();
    const behind = member();
    const wsAhead = new WatchableStore(ahead.store, { schedule: null });
    const wsBehind = new WatchableStore(behind.store, { schedule: null });
    const seen = (ws: WatchableStore) => {
      const got: string[] = [];
      ws.watch({ key: Buffer.from('\0'), rangeEnd: Buffer.from('\0') }, {
        send: (x: WatchBatch) => {
          got.push(...x.events.map((e) => `${e.type}:${show(e.kv)}:${show(e.prevKv)}`));
          return true;
        },
      });
      return got;
    };
    const gotAhead = seen(wsAhead);
    const gotBehind = seen(wsBehind);
    const next = rng(7);
    for (let i = 1; i <= 200; i++) {
      const req: InternalRequest = { id: i, proposer: 1 };
      if (next() < 0.8) req.put = putReq(`k${Math.floor(next() * 10)}`, `v${i}`);
      else req.deleteRange = delReq(`k${Math.floor(next() * 10)}`);
      ahead.applier.apply(i, req);
      if (i <= 120) behind.applier.apply(i, req);
    }
    behind.applier.restore(ahead.applier.snapshot());
    while (wsBehind.syncUnsynced());
    expect(gotBehind).to.deep.equal(gotAhead);
  });
});

describe('withAppliedIndex (a restored backup starts a new raft log)', () => {
  it('keeps the state, records the new index, and the restored applier applies the new log from there', () => {
    const m = member();
    for (let i = 1; i <= 50; i++) m.applier.apply(i, { id: i, proposer: 1, put: putReq(`k${i % 7}`, `v${i}`) });
    const original = m.applier.snapshot();
    const rebased = withAppliedIndex(original, 1);
    expect(decodeSnapshot(rebased).appliedIndex).to.equal(1);
    expect(decodeSnapshot(rebased).mvcc).to.deep.equal(decodeSnapshot(original).mvcc);
    expect(decodeSnapshot(original).appliedIndex, 'the input is left alone').to.equal(50);
    const fresh = member();
    fresh.applier.restore(rebased);
    expect(dump(fresh.store, fresh.lessor)).to.deep.equal(dump(m.store, m.lessor));
    // Entry 2 of the new log is applied (with the old index it would be skipped as seen).
    fresh.applier.apply(2, { id: 99, proposer: 1, put: putReq('after', 'restore') });
    expect(fresh.store.currentRevision).to.equal(m.store.currentRevision + 1);
  });

  it('refuses a corrupt snapshot and a bad index', () => {
    const good = member().applier.snapshot();
    const bad = Buffer.from(good);
    bad[10] ^= 1;
    expect(() => withAppliedIndex(bad, 1)).to.throw(ErrSnapshotCorrupt);
    expect(() => withAppliedIndex(good, -1)).to.throw(RangeError);
  });
});

describe('Applier', () => {
  it('returns responses, errors as values, and skips applied indexes', () => {
    const m = member();
    const put = m.applier.apply(1, { id: 1, proposer: 1, put: putReq('a', '1') });
    expect(put.response?.header?.revision).to.equal(2);
    const err = m.applier.apply(2, { id: 2, proposer: 1, put: putReq('a', '1', { lease: 9 }) });
    expect(err.error).to.be.instanceOf(StoreError);
    expect(err.error?.name).to.equal('ErrLeaseNotFound');
    expect(m.applier.appliedIndex).to.equal(2);
    expect(m.applier.apply(2, { id: 3, proposer: 1, put: putReq('b', '1') })).to.deep.equal({});
    expect(m.store.get('b')).to.equal(undefined);
    expect(m.applier.apply(3, { id: 4, proposer: 1, memberAttributes: { memberId: 1, name: 'x', clientUrls: [] } })).to.deep.equal({});
    expect(m.applier.appliedIndex).to.equal(3);
  });

  it('applies lease grant, revoke, expire and compaction', () => {
    const m = member();
    expect(m.applier.apply(1, { id: 1, proposer: 1, leaseGrant: { ID: 10, TTL: 5 } }).response).to.deep.include({ ID: 10, TTL: 5 });
    m.applier.apply(2, { id: 2, proposer: 1, leaseGrant: { ID: 11, TTL: 5 } });
    m.applier.apply(3, { id: 3, proposer: 1, put: putReq('x', '1', { lease: 10 }) });
    m.applier.apply(4, { id: 4, proposer: 1, put: putReq('y', '1', { lease: 11 }) });
    m.applier.apply(5, { id: 5, proposer: 0, leaseExpire: { ids: [10, 99] } });
    expect(m.store.get('x')).to.equal(undefined);
    expect(m.lessor.leases()).to.deep.equal([11]);
    const revoke = m.applier.apply(6, { id: 6, proposer: 1, leaseRevoke: { ID: 11 } });
    expect(revoke).to.deep.equal({ response: { header: { clusterId: 0, memberId: 0, revision: 5, raftTerm: 0 } } });
    expect(m.applier.apply(7, { id: 7, proposer: 1, leaseRevoke: { ID: 11 } }).error?.name).to.equal('ErrLeaseNotFound');
    m.applier.apply(8, { id: 8, proposer: 1, compaction: { revision: 5, physical: false } });
    expect(m.store.compactRevision).to.equal(5);
    expect(m.applier.apply(9, { id: 9, proposer: 1, compaction: { revision: 5, physical: false } }).error?.name).to.equal('ErrCompacted');
  });
});
