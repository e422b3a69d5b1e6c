import { expect } from 'chai';
import { ApiError } from '../../../lib/api/errors';
import { RESOURCES } from '../../../lib/api/resources';
import type { ConfigMap } from '../../../lib/api/types';
import { FakeClock } from '../../../lib/client/fake-clock';
import { FakeApiClient } from '../../../lib/client/testing/fake-api-client';
import { SharedInformerFactory } from '../../../lib/controller/informer-factory';
import { apiObjectSource, informerObjectSource, type PodObjectSource } from './object-source';

describe('pod setup: object sources', () => {
  const seed = (api: FakeApiClient) => {
    api.seed({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'ns' }, data: { k: 'v' } });
    api.seed({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'db', namespace: 'ns' }, spec: { clusterIP: '10.43.0.20', ports: [{ port: 5432 }] } });
    api.seed({ apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: 'pv' }, spec: { hostPath: { path: '/data' } } });
  };
  const check = async (src: PodObjectSource) => {
    expect((await src.configMap('ns', 'c'))?.data).to.deep.equal({ k: 'v' });
    expect(await src.configMap('ns', 'nope')).to.equal(undefined);
    expect(await src.secret('ns', 'nope')).to.equal(undefined);
    expect((await src.services('ns')).map((s) => s.metadata.name)).to.deep.equal(['db']);
    expect((await src.persistentVolume('pv'))?.metadata.name).to.equal('pv');
    expect(await src.persistentVolumeClaim('ns', 'nope')).to.equal(undefined);
  };

  it('through the API: absent objects are undefined, other failures are thrown', async () => {
    const api = new FakeApiClient();
    seed(api);
    const src = apiObjectSource(api);
    await check(src);
    api.failNext('get', new ApiError(500, 'InternalError', 'boom'));
    expect(await src.configMap('ns', 'c').catch((e: unknown) => (e as Error).message)).to.equal('boom');
  });

  it('through shared informers: reads the caches and follows changes', async () => {
    const clock = new FakeClock();
    const api = new FakeApiClient(undefined, () => new Date(clock.now()));
    seed(api);
    const factory = new SharedInformerFactory({ client: api, clock });
    const src = informerObjectSource(factory);
    factory.start();
    await factory.waitForCacheSync();
    try {
      await check(src);
      const cm = await api.resource<ConfigMap>(RESOURCES.configmaps).get('ns', 'c');
      await api.resource<ConfigMap>(RESOURCES.configmaps).update('ns', { ...cm, data: { k: 'v2' } });
      for (let i = 0; i < 5; i++) await clock.advance(0);
      expect((await src.configMap('ns', 'c'))?.data).to.deep.equal({ k: 'v2' });
    } finally {
      factory.stop();
    }
  });
});
