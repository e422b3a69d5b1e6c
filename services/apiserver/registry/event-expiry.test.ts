import { expect } from 'chai';
import { StoreClient } from '../../../store/client';
import { ensureSystemNamespaces } from '../bootstrap';
import { configMapStrategy, eventStrategy, type Event } from '../kinds/core';
import type { ResourceRest } from '../rest/resource-rest';
import { ResourceSet } from '../rest/resource-set';
import { objectKey } from './storage-keys';
import { BACKENDS, eventually, type RunningBackend } from './test-support';

/** TTL of the Events in this suite, in seconds (the store's lease granularity is 1 s). */
const TTL_SECONDS = 2;
/** Longest an Event may outlive its TTL here (lease expiry checks, watch delivery), in ms. */
const EXPIRY_SLACK_MS = 8_000;

function event(name: string, count = 1): Event {
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name, namespace: 'default' },
    involvedObject: { kind: 'Pod', namespace: 'default', name: 'web' },
    reason: 'Tested',
    message: 'an event that expires',
    type: 'Normal',
    count,
  };
}

for (const backend of BACKENDS) {
  describe(`Event expiry (--event-ttl) on ${backend.name}`, function () {
    this.timeout(60_000);
    let running: RunningBackend;
    let client: StoreClient;
    let set: ResourceSet;
    let events: ResourceRest;

    before(async () => {
      running = await backend.start();
      client = new StoreClient({ endpoints: running.endpoints });
      set = new ResourceSet({ client, eventTtlSeconds: TTL_SECONDS });
      await set.start();
      await ensureSystemNamespaces(set.byResource('', 'namespaces')!);
      events = set.byResource('', 'events')!;
    });
    after(async () => {
      set?.stop();
      client?.close();
      await running?.stop();
    });

    const eventKey = (name: string) => objectKey(eventStrategy.info, 'default', name);
    const leaseOf = async (key: string) => (await client.get(key)).kvs[0]?.lease;

    it('stores every Event on a lease of the TTL, updates too; other kinds on none', async () => {
      await events.create('default', event('leased'));
      const lease = await leaseOf(eventKey('leased'));
      expect(lease).to.be.a('number').and.not.equal(0);
      expect((await client.timeToLive(lease!)).grantedTtl).to.equal(TTL_SECONDS);

      await events.patch('default', 'leased', 'application/merge-patch+json', JSON.stringify({ count: 2 }));
      expect(await leaseOf(eventKey('leased'))).to.be.a('number').and.not.equal(0);

      await set.byResource('', 'configmaps')!.create('default', { metadata: { name: 'kept' } });
      expect(await leaseOf(objectKey(configMapStrategy.info, 'default', 'kept'))).to.equal(0);
    });

    it('an Event disappears by itself from the store, the watch cache and lists, and watchers see it deleted', async () => {
      const watch = await events.watch('default', {});
      const created = await events.create('default', event('fleeting'));
      const deleted = (async () => {
        for (;;) {
          const e = await watch.next();
          if (e === undefined) throw new Error('the watch ended');
          if (e.type === 'DELETED' && e.object.metadata.name === 'fleeting') return e;
        }
      })();
      const listed = async () => (await events.list('default')).items.map((e) => e.metadata.name);
      expect(await listed()).to.include('fleeting');

      await eventually('the Event to expire from the store', async () => (await client.get(eventKey('fleeting'))).kvs.length === 0, TTL_SECONDS * 1000 + EXPIRY_SLACK_MS);
      const gone = await deleted;
      expect(gone.object.metadata.uid).to.equal(created.metadata.uid);
      watch.stop();
      expect(await listed()).not.to.include('fleeting');
      await events.get('default', 'fleeting').then(
        () => expect.fail('the expired Event is still there'),
        (err: { code?: number }) => expect(err.code).to.equal(404),
      );
    });
  });
}
