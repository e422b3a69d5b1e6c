import { expect } from 'chai';
import { Event_EventType, type Event } from '../../gen/etcd/kv';
import * as E from '../errors';
import { WatchCompactedError } from './client-errors';
import { StoreClient } from './store-client';
import { startEtcdCluster, waitUntil, type EtcdCluster } from './test-etcd';

/** Collects events from a watch listener. */
function collector(): { events: Event[]; revisions: number[]; listener: (events: Event[], revision: number) => void } {
  const events: Event[] = [];
  const revisions: number[] = [];
  return { events, revisions, listener: (batch, revision) => (events.push(...batch), revisions.push(revision)) };
}

const summary = (events: Event[]): string[] =>
  events.map((e) => `${e.type === Event_EventType.PUT ? 'PUT' : 'DELETE'} ${e.kv!.key.toString()}=${e.kv!.value.toString()}@${e.kv!.modRevision}`);

describe('StoreClient against real etcd 3.4: watch', function () {
  this.timeout(60_000);
  let cluster: EtcdCluster;
  let client: StoreClient;

  before(async () => {
    cluster = await startEtcdCluster({ members: 3, extraArgs: ['--experimental-watch-progress-notify-interval=100ms'] });
    client = new StoreClient({ endpoints: cluster.endpoints });
  });
  after(async () => {
    client?.close();
    await cluster?.stop();
  });

  it('replays history from an old revision with prevKv, then follows live changes', async () => {
    const r1 = (await client.put('/w/a', '1')).revision;
    await client.put('/w/a', '2');
    await client.delete('/w/a');
    const c = collector();
    const handle = client.watch('/w/', { prefix: true, startRevision: r1, prevKv: true }, c.listener);
    await waitUntil(() => c.events.length === 3, 10_000, 'the replayed events');
    await client.put('/w/b', 'live');
    await waitUntil(() => c.events.length === 4, 10_000, 'the live event');
    expect(summary(c.events)).to.deep.equal([`PUT /w/a=1@${r1}`, `PUT /w/a=2@${r1 + 1}`, `DELETE /w/a=@${r1 + 2}`, `PUT /w/b=live@${r1 + 3}`]);
    expect(c.events[0]!.prevKv).to.equal(undefined);
    expect(c.events[1]!.prevKv?.value.toString()).to.equal('1');
    expect(c.events[2]!.prevKv?.value.toString()).to.equal('2');
    handle.cancel();
    expect(await handle.closed).to.equal(undefined);
  });

  it('multiplexes several watches and delivers only their own keys; cancel stops delivery', async () => {
    const a = collector();
    const b = collector();
    const ha = client.watch('/mx/a', {}, a.listener);
    const hb = client.watch('/mx/b/', { prefix: true }, b.listener);
    // A watch "from now" starts after its creation: wait until both see a marker write.
    await waitUntil(async () => {
      await client.put('/mx/a', 'marker');
      await client.put('/mx/b/marker', 'marker');
      return a.events.length > 0 && b.events.length > 0;
    }, 10_000, 'both watches to be created', 100);
    const real = (c: ReturnType<typeof collector>): Event[] => c.events.filter((e) => e.kv!.value.toString() !== 'marker');
    await client.put('/mx/a', 'x');
    await client.put('/mx/b/1', 'y');
    await client.put('/mx/c', 'nobody');
    await waitUntil(() => real(a).length === 1 && real(b).length === 1, 10_000, 'one event each');
    expect(real(a)[0]!.kv!.value.toString()).to.equal('x');
    expect(real(b)[0]!.kv!.key.toString()).to.equal('/mx/b/1');
    ha.cancel();
    const after = (await client.put('/mx/a', 'after cancel')).revision;
    await client.put('/mx/b/2', 'z');
    await waitUntil(() => real(b).length === 2, 10_000, 'the second prefix event');
    expect(real(b)[1]!.kv!.modRevision).to.equal(after + 1);
    expect(real(a)).to.have.length(1);
    hb.cancel();
  });

  it('ends a watch from a compacted revision with WatchCompactedError carrying the compact revision', async () => {
    const r1 = (await client.put('/cw/k', '1')).revision;
    const r2 = (await client.put('/cw/k', '2')).revision;
    await client.compact(r2);
    const errors: E.StoreError[] = [];
    const c = collector();
    const handle = client.watch('/cw/k', { startRevision: r1, onError: (e) => errors.push(e) }, c.listener);
    const ended = await handle.closed;
    expect(ended).to.be.instanceOf(WatchCompactedError).and.instanceOf(E.ErrCompacted);
    expect((ended as WatchCompactedError).compactRevision).to.equal(r2);
    expect(errors).to.deep.equal([ended]);
    expect(c.events).to.deep.equal([]);
    // Other watches on the same stream are unaffected.
    const live = collector();
    const h = client.watch('/cw/k', { startRevision: r2 }, live.listener);
    await waitUntil(() => live.events.length === 1, 10_000, 'the event at the compact revision');
    expect(live.events[0]!.kv!.value.toString()).to.equal('2');
    h.cancel();
  });

  it('delivers progress notifications as empty batches carrying the current revision', async () => {
    const start = (await client.put('/pn/k', 'v')).revision;
    const c = collector();
    const h = client.watch('/pn/k', { progressNotify: true, startRevision: start }, c.listener);
    const other = (await client.put('/pn/other', 'not watched')).revision;
    // The cluster runs with a 100 ms progress interval (see before()).
    await waitUntil(() => c.revisions.slice(1).some((r) => r >= other), 10_000, 'a progress notification at the newest revision');
    expect(c.events).to.have.length(1);
    expect(c.revisions.length).to.be.greaterThan(1);
    h.cancel();
  });
});
