import { expect } from 'chai';
import { GoneError } from '../../../lib/api/errors';
import { StoreClient } from '../../../store/client';
import { waitUntil } from '../../../store/client/test-etcd';
import { GenericStore } from './generic-store';
import { WatchCache } from './watch-cache';
import { BACKENDS, labelIs, nextWithin, summarize, takeEvents, testMap, testMapStrategy, type RunningBackend, type TestMap } from './test-support';

for (const backend of BACKENDS) {
  describe(`WatchCache on ${backend.name}`, function () {
    this.timeout(120_000);
    let running: RunningBackend;
    let client: StoreClient;
    let store: GenericStore<TestMap>;
    let cache: WatchCache<TestMap>;
    const extraCaches: WatchCache<TestMap>[] = [];
    const extraClients: StoreClient[] = [];

    before(async () => {
      running = await backend.start();
      client = new StoreClient({ endpoints: running.endpoints });
      store = new GenericStore({ client, strategy: testMapStrategy });
      cache = new WatchCache({ client, strategy: testMapStrategy, bookmarkIntervalMs: 100 });
      await cache.start();
    });
    after(async () => {
      cache?.stop();
      for (const c of extraCaches) c.stop();
      for (const c of extraClients) c.close();
      client?.close();
      await running?.stop();
    });

    it('serves lists from memory, waiting until it has reached a requested resourceVersion', async () => {
      await store.create(testMap('wc-list', 'a', { metadata: { labels: { app: 'web' } } }));
      const b = await store.create(testMap('wc-list', 'b'));
      const list = await cache.list({ namespace: 'wc-list', resourceVersion: b.metadata.resourceVersion });
      expect(list.items.map((i) => i.metadata.name)).to.deep.equal(['a', 'b']);
      expect(Number(list.metadata.resourceVersion)).to.be.greaterThanOrEqual(Number(b.metadata.resourceVersion));
      expect(list.items[1]!.metadata.resourceVersion).to.equal(b.metadata.resourceVersion);
      const web = await cache.list({ namespace: 'wc-list', labelSelector: labelIs('app', 'web') });
      expect(web.items.map((i) => i.metadata.name)).to.deep.equal(['a']);
      expect(Object.isFrozen(list.items[0])).to.equal(true);
    });

    it('watch without a resourceVersion starts with ADDED for every current object, then follows changes', async () => {
      const x = await store.create(testMap('wc-now', 'x'));
      await cache.list({ resourceVersion: x.metadata.resourceVersion });
      const w = await cache.watch({ namespace: 'wc-now' });
      const [first] = await takeEvents(w, 1);
      expect(first!.type).to.equal('ADDED');
      expect(first!.object.metadata.resourceVersion).to.equal(x.metadata.resourceVersion);
      const y = await store.create(testMap('wc-now', 'y'));
      expect(summarize(await takeEvents(w, 1))).to.deep.equal([`ADDED y@${y.metadata.resourceVersion}`]);
      w.stop();
      expect(await w.ended).to.equal('stopped');
    });

    it('replays history after a resourceVersion from the ring, then streams live events with their resourceVersions', async () => {
      const a = await store.create(testMap('wc-replay', 'a', { spec: { replicas: 1 } }));
      const a2 = await store.update({ ...a, spec: { replicas: 2 } });
      const del = await store.delete('wc-replay', 'a');
      expect(del.deleted).to.equal(true);
      const w = await cache.watch({ namespace: 'wc-replay', resourceVersion: String(Number(a.metadata.resourceVersion) - 1) });
      const replay = await takeEvents(w, 3);
      expect(replay.map((e) => e.type)).to.deep.equal(['ADDED', 'MODIFIED', 'DELETED']);
      expect(replay[0]!.object.metadata.resourceVersion).to.equal(a.metadata.resourceVersion);
      expect(replay[1]!.object.metadata.resourceVersion).to.equal(a2.metadata.resourceVersion);
      expect(Number(replay[2]!.object.metadata.resourceVersion)).to.be.greaterThan(Number(a2.metadata.resourceVersion));
      const b = await store.create(testMap('wc-replay', 'b'));
      expect(summarize(await takeEvents(w, 1))).to.deep.equal([`ADDED b@${b.metadata.resourceVersion}`]);
      // Resuming from the last seen version gives only what came after it.
      const resumed = await cache.watch({ namespace: 'wc-replay', resourceVersion: a2.metadata.resourceVersion });
      expect((await takeEvents(resumed, 2)).map((e) => e.type)).to.deep.equal(['DELETED', 'ADDED']);
      w.stop();
      resumed.stop();
    });

    it('shows selector transitions: an object that starts matching is ADDED, one that stops matching is DELETED', async () => {
      const w = await cache.watch({ namespace: 'wc-sel', labelSelector: labelIs('app', 'x'), resourceVersion: String(cache.resourceVersion) });
      const o = await store.create(testMap('wc-sel', 'o', { metadata: { labels: { app: 'y' } } }));
      const in1 = await store.update({ ...o, metadata: { ...o.metadata, labels: { app: 'x' } } });
      const in2 = await store.update({ ...in1, spec: { replicas: 3 } });
      const out = await store.update({ ...in2, metadata: { ...in2.metadata, labels: { app: 'z' } } });
      await store.delete('wc-sel', 'o');
      const events = await takeEvents(w, 3);
      expect(summarize(events)).to.deep.equal([
        `ADDED o@${in1.metadata.resourceVersion}`,
        `MODIFIED o@${in2.metadata.resourceVersion}`,
        `DELETED o@${out.metadata.resourceVersion}`,
      ]);
      expect(await nextWithin(w, 300)).to.equal('timeout');
      w.stop();
    });

    it('sends BOOKMARK events with the newest resourceVersion to watchers that ask', async () => {
      const w = await cache.watch({ namespace: 'wc-bm', bookmarks: true, resourceVersion: String(cache.resourceVersion) });
      const other = await store.create(testMap('wc-bm-other', 'n'));
      let bookmark;
      for (;;) {
        const [e] = await takeEvents(w, 1, 5_000);
        expect(e!.type).to.equal('BOOKMARK');
        if (Number(e!.object.metadata.resourceVersion) >= Number(other.metadata.resourceVersion)) {
          bookmark = e;
          break;
        }
      }
      expect(Object.keys(bookmark!.object.metadata)).to.deep.equal(['resourceVersion']);
      w.stop();
    });

    it('answers 410 Gone for a resourceVersion older than its ring', async () => {
      const small = new WatchCache<TestMap>({ client, strategy: testMapStrategy, eventCapacity: 5 });
      extraCaches.push(small);
      await small.start();
      const first = await store.create(testMap('wc-gone', 'k', { spec: { counter: 0 } }));
      let last = first;
      for (let i = 1; i <= 10; i++) last = await store.update({ ...last, spec: { counter: i } });
      await small.list({ resourceVersion: last.metadata.resourceVersion });
      let err: unknown;
      try {
        await small.watch({ resourceVersion: first.metadata.resourceVersion });
      } catch (e) {
        err = e;
      }
      expect(err).to.be.instanceOf(GoneError);
      expect((err as GoneError).code).to.equal(410);
      expect((err as GoneError).message).to.match(/^too old resource version: \d+ \(\d+\)$/);
      // The newest few are still served.
      const ok = await small.watch({ namespace: 'wc-gone', resourceVersion: String(Number(last.metadata.resourceVersion) - 2) });
      expect((await takeEvents(ok, 2)).map((e) => e.object.spec?.counter)).to.deep.equal([9, 10]);
      ok.stop();
    });

    it('cuts off a slow watcher without holding back the others', async () => {
      const rv = String(cache.resourceVersion);
      const slow = await cache.watch({ namespace: 'wc-slow', resourceVersion: rv, queueSize: 5 });
      const fast = await cache.watch({ namespace: 'wc-slow', resourceVersion: rv, queueSize: 5 });
      const seen: string[] = [];
      const reader = (async () => {
        for await (const e of fast) {
          seen.push(e.object.metadata.name!);
          if (seen.length === 20) break;
        }
      })();
      for (let round = 0; round < 4; round++) {
        await Promise.all(Array.from({ length: 5 }, (_, i) => store.create(testMap('wc-slow', `o-${round * 5 + i}`))));
        await waitUntil(() => seen.length === (round + 1) * 5, 10_000, `the fast watcher to read round ${round}`);
      }
      await reader;
      expect(seen).to.have.length(20);
      expect(await slow.ended).to.equal('too-slow');
      // The cut drops what was queued (the client re-watches from the last version it got).
      expect(slow.queued).to.equal(0);
      expect(await slow.next()).to.equal(undefined);
      expect(cache.watcherCount).to.be.lessThan(10);
    });

    it('cuts off a watcher whose unread events reach the byte bound, long before the event bound', async () => {
      const rv = String(cache.resourceVersion);
      const slow = await cache.watch({ namespace: 'wc-bytes', resourceVersion: rv, queueBytes: 10_000 });
      const blob = 'z'.repeat(4_000);
      for (let i = 0; i < 3; i++) await store.create(testMap('wc-bytes', `o-${i}`, { spec: { data: { blob } } }));
      await waitUntil(() => slow.queuedLiveBytes >= 12_000, 10_000, 'three events of 4 KB queued');
      expect(slow.queued).to.equal(3);
      await store.create(testMap('wc-bytes', 'o-3', { spec: { data: { blob } } }));
      expect(await slow.ended).to.equal('too-slow');
      expect(slow.queued).to.equal(0);
    });

    it('two apiserver replicas on one store: a write through one is seen by a watch on the other', async () => {
      const clientB = new StoreClient({ endpoints: [...running.endpoints].reverse() });
      extraClients.push(clientB);
      const storeB = new GenericStore<TestMap>({ client: clientB, strategy: testMapStrategy });
      const cacheB = new WatchCache<TestMap>({ client: clientB, strategy: testMapStrategy });
      extraCaches.push(cacheB);
      await cacheB.start();
      const wB = await cacheB.watch({ namespace: 'wc-two', resourceVersion: String(cacheB.resourceVersion) });
      const wA = await cache.watch({ namespace: 'wc-two', resourceVersion: String(cache.resourceVersion) });
      const created = await store.create(testMap('wc-two', 'shared'));
      expect(summarize(await takeEvents(wB, 1))).to.deep.equal([`ADDED shared@${created.metadata.resourceVersion}`]);
      const viaB = await storeB.update({ ...(await storeB.get('wc-two', 'shared')), spec: { replicas: 7 } });
      expect(summarize(await takeEvents(wA, 2))).to.deep.equal([`ADDED shared@${created.metadata.resourceVersion}`, `MODIFIED shared@${viaB.metadata.resourceVersion}`]);
      let conflict: unknown;
      try {
        await store.update({ ...created, spec: { replicas: 1 } });
      } catch (e) {
        conflict = e;
      }
      expect((conflict as { code?: number }).code).to.equal(409);
      await waitUntil(async () => (await cacheB.list({ namespace: 'wc-two' })).items[0]?.spec?.replicas === 7, 5_000, 'replica B cache to show the update');
      wA.stop();
      wB.stop();
    });
  });
}
