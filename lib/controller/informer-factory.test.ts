import { expect } from 'chai';
import type { KubeObject } from '../api/object';
import { RESOURCES } from '../api/resources';
import { FakeClock, flushPromises } from '../client/fake-clock';
import { indexByNodeName, NODE_NAME_INDEX } from '../client/informer';
import { FakeApiClient } from '../client/testing/fake-api-client';
import { CONTROLLER_UID_INDEX, indexByControllerUid } from './controller-ref';
import { SharedInformerFactory } from './informer-factory';

describe('SharedInformerFactory', () => {
  let api: FakeApiClient;
  let factory: SharedInformerFactory;
  beforeEach(() => {
    api = new FakeApiClient();
    factory = new SharedInformerFactory({ client: api, clock: new FakeClock() });
  });
  afterEach(() => factory.stop());

  it('gives two callers the same informer: one list and one watch for the kind', async () => {
    api.seed({ kind: 'Pod', metadata: { name: 'a', namespace: 'default' }, spec: { nodeName: 'n1' } });
    const first = factory.informer(RESOURCES.pods, { indexers: { [NODE_NAME_INDEX]: indexByNodeName } });
    const second = factory.informer(RESOURCES.pods, { indexers: { [CONTROLLER_UID_INDEX]: indexByControllerUid } });
    expect(second).to.equal(first);
    const seen: string[] = [];
    first.addEventHandler({ onAdd: (p) => seen.push(`one ${p.metadata.name}`) });
    second.addEventHandler({ onAdd: (p) => seen.push(`two ${p.metadata.name}`) });
    factory.start();
    await factory.waitForCacheSync();
    await flushPromises();
    expect(api.callsOf('list pods')).to.have.length(1);
    expect(api.callsOf('watch pods')).to.have.length(1);
    expect(seen).to.deep.equal(['one a', 'two a']);
    expect(first.byIndex(NODE_NAME_INDEX, 'n1').map((p) => p.metadata.name)).to.deep.equal(['a']);
  });

  it('keeps one informer per scope (namespace, selectors) and per kind', () => {
    const all = factory.informer(RESOURCES.pods);
    expect(factory.informer(RESOURCES.pods, { namespace: 'web' })).to.not.equal(all);
    expect(factory.informer(RESOURCES.pods, { labelSelector: 'app=x' })).to.not.equal(all);
    expect(factory.informer(RESOURCES.replicasets)).to.not.equal(all);
    expect(factory.keys()).to.deep.equal(['/pods', '/pods?ns=web', '/pods?labels=app=x', 'apps/replicasets']);
  });

  it('runs an informer requested after start() at once, and indexes added later cover cached objects', async () => {
    factory.start();
    api.seed({ kind: 'Pod', metadata: { name: 'owned', namespace: 'default', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'u1', controller: true }] } });
    const late = factory.informer<KubeObject>(RESOURCES.pods);
    await factory.waitForCacheSync();
    expect(factory.hasSynced()).to.equal(true);
    factory.informer(RESOURCES.pods, { indexers: { [CONTROLLER_UID_INDEX]: indexByControllerUid } });
    expect(late.byIndex(CONTROLLER_UID_INDEX, 'u1').map((p) => p.metadata.name)).to.deep.equal(['owned']);
    expect(() => factory.informer(RESOURCES.pods, { indexers: { [CONTROLLER_UID_INDEX]: () => [] } })).to.throw('already exists with another function');
  });

  it('follows changes through the watch, and refuses new informers once stopped', async () => {
    const cms = factory.informer(RESOURCES.configmaps);
    factory.start();
    await factory.waitForCacheSync();
    await api.resource(RESOURCES.configmaps).create('default', { metadata: { name: 'c' } });
    await flushPromises();
    expect(cms.lister.get('default', 'c')?.metadata.name).to.equal('c');
    factory.stop();
    expect(() => factory.informer(RESOURCES.nodes)).to.throw('informer factory: stopped');
  });
});
