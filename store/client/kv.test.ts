import { expect } from 'chai';
import * as E from '../errors';
import { LeaseExpiredError } from './client-errors';
import { StoreClient } from './store-client';
import { startEtcdCluster, waitUntil, type EtcdCluster } from './test-etcd';
import { compareValue, opGet, opPut } from './txn-builder';

/** Runs `fn` and returns what it threw (fails the test if it did not throw). */
async function thrown(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    await fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected an error');
}

describe('StoreClient against real etcd 3.4: KV, txn, lease, cluster', function () {
  this.timeout(60_000);
  let cluster: EtcdCluster;
  let client: StoreClient;

  before(async () => {
    cluster = await startEtcdCluster({ members: 3 });
    client = new StoreClient({ endpoints: cluster.endpoints });
  });
  after(async () => {
    client?.close();
    await cluster?.stop();
  });

  it('round-trips string and Buffer keys and values, with prevKv on put and delete', async () => {
    const first = await client.put('/kv/a', 'one');
    const second = await client.put(Buffer.from('/kv/a'), Buffer.from([0, 1, 255]), { prevKv: true });
    expect(second.revision).to.equal(first.revision + 1);
    expect(second.prevKv?.value.toString()).to.equal('one');
    const got = await client.get('/kv/a');
    expect(got.kvs).to.have.length(1);
    expect(got.kvs[0]!.value).to.deep.equal(Buffer.from([0, 1, 255]));
    expect(got.kvs[0]).to.include({ createRevision: first.revision, modRevision: second.revision, version: 2 });
    const del = await client.delete('/kv/a', { prevKv: true });
    expect(del.deleted).to.equal(1);
    expect(del.prevKvs[0]!.value).to.deep.equal(Buffer.from([0, 1, 255]));
    expect((await client.get('/kv/a')).kvs).to.deep.equal([]);
  });

  it('reads prefixes with limit, sort, keysOnly and countOnly, and at past revisions', async () => {
    const revs: number[] = [];
    for (const name of ['c', 'a', 'b', 'd']) revs.push((await client.put(`/p/${name}`, `v-${name}`)).revision);
    await client.put('/p0', 'outside the prefix');
    const all = await client.get('/p/', { prefix: true });
    expect(all.kvs.map((kv) => kv.key.toString())).to.deep.equal(['/p/a', '/p/b', '/p/c', '/p/d']);
    const limited = await client.get('/p/', { prefix: true, limit: 2 });
    expect(limited).to.include({ count: 4, more: true });
    expect(limited.kvs.map((kv) => kv.key.toString())).to.deep.equal(['/p/a', '/p/b']);
    const byMod = await client.get('/p/', { prefix: true, sort: { target: 'mod', order: 'descend' } });
    expect(byMod.kvs.map((kv) => kv.key.toString())).to.deep.equal(['/p/d', '/p/b', '/p/a', '/p/c']);
    const keys = await client.get('/p/', { prefix: true, keysOnly: true });
    expect(keys.kvs.every((kv) => kv.value.length === 0)).to.equal(true);
    expect(await client.get('/p/', { prefix: true, countOnly: true })).to.include({ count: 4 });
    const past = await client.get('/p/', { prefix: true, revision: revs[1]! });
    expect(past.kvs.map((kv) => kv.key.toString())).to.deep.equal(['/p/a', '/p/c']);
    const range = await client.get('/p/b', { rangeEnd: '/p/d' });
    expect(range.kvs.map((kv) => kv.key.toString())).to.deep.equal(['/p/b', '/p/c']);
    const serializable = await client.get('/p/a', { serializable: true });
    expect(serializable.kvs[0]!.value.toString()).to.equal('v-a');
    const removed = await client.delete('/p/', { prefix: true });
    expect(removed.deleted).to.equal(4);
  });

  it('compare-and-swaps with createIfAbsent, putIfModRevision and deleteIfModRevision', async () => {
    const created = await client.createIfAbsent('/cas/x', 'v1');
    expect(created.succeeded).to.equal(true);
    const again = await client.createIfAbsent('/cas/x', 'other');
    expect(again.succeeded).to.equal(false);
    expect(again.current?.value.toString()).to.equal('v1');
    expect(again.current?.modRevision).to.equal(created.revision);

    const stale = await client.putIfModRevision('/cas/x', 'v2', created.revision - 1);
    expect(stale.succeeded).to.equal(false);
    expect(stale.current?.modRevision).to.equal(created.revision);
    const updated = await client.putIfModRevision('/cas/x', 'v2', created.revision);
    expect(updated.succeeded).to.equal(true);
    expect(updated.revision).to.equal(created.revision + 1);

    expect((await client.deleteIfModRevision('/cas/x', created.revision)).succeeded).to.equal(false);
    const deleted = await client.deleteIfModRevision('/cas/x', updated.revision);
    expect(deleted.succeeded).to.equal(true);
    expect(deleted.prevKv?.value.toString()).to.equal('v2');
    const missing = await client.putIfModRevision('/cas/x', 'v3', updated.revision);
    expect(missing).to.include({ succeeded: false, current: undefined });
  });

  it('runs a general txn built from compare and op helpers', async () => {
    await client.put('/txn/flag', 'on');
    const res = await client.txn({ compare: [compareValue('/txn/flag', '=', 'on')], success: [opPut('/txn/out', 'yes'), opGet('/txn/flag')], failure: [] });
    expect(res.succeeded).to.equal(true);
    expect(res.responses[1]!.responseRange!.kvs[0]!.value.toString()).to.equal('on');
    expect((await client.get('/txn/out')).kvs[0]!.value.toString()).to.equal('yes');
  });

  it('maps etcd errors to the catalog classes: compacted and future revisions, empty key, unknown lease', async () => {
    const r1 = (await client.put('/err/k', '1')).revision;
    const r2 = (await client.put('/err/k', '2')).revision;
    await client.compact(r2);
    const compacted = await thrown(() => client.get('/err/k', { revision: r1 }));
    expect(compacted).to.be.instanceOf(E.ErrCompacted).and.instanceOf(E.StoreError);
    const future = await thrown(() => client.get('/err/k', { revision: r2 + 1000 }));
    expect(future).to.be.instanceOf(E.ErrFutureRev);
    expect(await thrown(() => client.put('', 'v'))).to.be.instanceOf(E.ErrEmptyKey);
    expect(await thrown(() => client.revoke(123456789))).to.be.instanceOf(E.ErrLeaseNotFound);
    expect(await thrown(() => client.compact(r1))).to.be.instanceOf(E.ErrCompacted);
  });

  it('grants a lease, keeps it alive past its TTL, and revoking it deletes the attached key', async () => {
    const lease = await client.grant(2);
    expect(lease.ttl).to.equal(2);
    expect(Number.isSafeInteger(lease.id) && lease.id > 0).to.equal(true);
    await client.put('/lease/k', 'v', { lease: lease.id });
    const handle = client.keepAlive(lease.id);
    await waitUntil(() => handle.ttl === 2, 5000, 'the first keep-alive answer');
    // Poll through 1.75 TTLs: the key must never disappear while renewed.
    const start = Date.now();
    await waitUntil(async () => {
      expect((await client.get('/lease/k')).count, 'key vanished while its lease was kept alive').to.equal(1);
      return Date.now() - start > 3500;
    }, 10_000, 'one and three quarter TTLs', 200);
    const ttl = await client.timeToLive(lease.id, { keys: true });
    expect(ttl.grantedTtl).to.equal(2);
    expect(ttl.ttl).to.be.within(1, 2);
    expect(ttl.keys.map((k) => k.toString())).to.deep.equal(['/lease/k']);

    await client.revoke(lease.id);
    expect((await client.get('/lease/k')).count).to.equal(0);
    const ended = await handle.closed;
    expect(ended).to.be.instanceOf(LeaseExpiredError).and.instanceOf(E.ErrLeaseNotFound);
    expect((await client.timeToLive(lease.id)).ttl).to.equal(-1);
  });

  it('lets an unrenewed lease expire and stop() ends a keep-alive quietly', async () => {
    const lease = await client.grant(1);
    await client.put('/lease/short', 'v', { lease: lease.id });
    const handle = client.keepAlive(lease.id);
    handle.stop();
    expect(await handle.closed).to.equal(undefined);
    await waitUntil(async () => (await client.get('/lease/short')).count === 0, 10_000, 'the lease to expire');
  });

  it('handles server-chosen lease IDs beyond 2^53 through their aliases (grant id 0)', async () => {
    const lease = await client.grant(30, { id: 0 });
    expect(Number.isSafeInteger(lease.id)).to.equal(true);
    await client.put('/lease/server-id', 'v', { lease: lease.id });
    const kv = (await client.get('/lease/server-id')).kvs[0]!;
    expect(kv.lease).to.equal(lease.id);
    expect((await client.timeToLive(lease.id)).grantedTtl).to.equal(30);
    await client.revoke(lease.id);
    expect((await client.get('/lease/server-id')).count).to.equal(0);
  });

  it('lists members and reports status, and preferLeader sends requests to the leader', async () => {
    const members = await client.memberList();
    expect(members.map((m) => m.name).sort()).to.deep.equal(['m0', 'm1', 'm2']);
    const statuses = await Promise.all(cluster.endpoints.map((e) => client.status(e)));
    expect(statuses.every((s) => s.version.startsWith('3.4'))).to.equal(true);
    const leaderId = statuses[0]!.leader;
    const leaderIndex = statuses.findIndex((s) => s.header!.memberId === leaderId);
    expect(leaderIndex).to.be.at.least(0);
    const leaderClient = new StoreClient({ endpoints: cluster.endpoints, preferLeader: true });
    try {
      await leaderClient.put('/leader/k', 'v');
      expect(leaderClient.currentEndpoint).to.equal(cluster.endpoints[leaderIndex]);
    } finally {
      leaderClient.close();
    }
  });
});
