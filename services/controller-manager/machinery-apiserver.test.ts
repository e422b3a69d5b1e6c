import { expect } from 'chai';
import pino from 'pino';
import { selectorFromLabelSelector } from '../../lib/api/label-selector';
import type { KubeObject } from '../../lib/api/object';
import { RESOURCES } from '../../lib/api/resources';
import type { Pod, ReplicaSet } from '../../lib/api/types';
import { objectKey } from '../../lib/client/informer';
import { CONTROLLER_UID_INDEX, indexByControllerUid, newControllerRef } from '../../lib/controller/controller-ref';
import { ControllerRefManager } from '../../lib/controller/controller-ref-manager';
import { ControllerRunner } from '../../lib/controller/controller-runner';
import { SharedInformerFactory } from '../../lib/controller/informer-factory';
import { eventually } from '../apiserver/registry/test-support';
import { TwoDoorApiServer } from '../apiserver/test-api-server';

const NS = 'default';
const TEMPLATE = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'nginx:1.25' }] } };

/**
 * The shared machinery through a real apiserver (gRPC door): informers from the factory, a
 * runner reconciling from their caches, and adoption / release patches whose uid and
 * resourceVersion preconditions the real registry enforces.
 */
describe('controller machinery against a real apiserver', function () {
  this.timeout(90_000);
  let t: TwoDoorApiServer;
  let factory: SharedInformerFactory;
  let runner: ControllerRunner<string> | undefined;

  before(async () => {
    t = await TwoDoorApiServer.start('bosun-machinery-');
    factory = new SharedInformerFactory({ client: t.grpc, logger: pino({ level: 'silent' }) });
  });

  after(async () => {
    await runner?.stop();
    factory?.stop();
    await t?.stop();
  });

  const pods = () => t.grpc.resource<Pod>(RESOURCES.pods);
  const sets = () => t.grpc.resource<ReplicaSet>(RESOURCES.replicasets);

  it('adopts a matching orphan and releases a child whose labels stopped matching, reconciling from shared caches', async () => {
    const rs = await sets().create(NS, { metadata: { name: 'web' }, spec: { replicas: 0, selector: { matchLabels: { app: 'web' } }, template: TEMPLATE } } as ReplicaSet);
    await pods().create(NS, { metadata: { name: 'orphan', labels: { app: 'web' } }, spec: TEMPLATE.spec } as Pod);
    await pods().create(NS, { metadata: { name: 'strayed', labels: { app: 'db' }, ownerReferences: [newControllerRef(rs, RESOURCES.replicasets)] }, spec: TEMPLATE.spec } as Pod);

    const setInformer = factory.informer<ReplicaSet>(RESOURCES.replicasets);
    const podInformer = factory.informer<Pod>(RESOURCES.pods, { indexers: { [CONTROLLER_UID_INDEX]: indexByControllerUid } });
    expect(factory.informer(RESOURCES.pods)).to.equal(podInformer);
    let claimed: string[] = [];
    runner = new ControllerRunner<string>({
      name: 'claim-test',
      reconcile: async (key) => {
        const owner = setInformer.lister.get(NS, key.slice(NS.length + 1));
        if (!owner) return;
        const manager = new ControllerRefManager<ReplicaSet, Pod>({
          owner,
          ownerInfo: RESOURCES.replicasets,
          selector: selectorFromLabelSelector(owner.spec?.selector),
          children: pods(),
          getOwnerFresh: () => sets().get(NS, owner.metadata.name ?? ''),
        });
        claimed = (await manager.claim(podInformer.lister.listInNamespace(NS))).map((p) => p.metadata.name ?? '');
      },
    });
    setInformer.addEventHandler({ onAdd: (o) => runner!.enqueue(objectKey(o)) });
    factory.start();
    await factory.waitForCacheSync();
    runner.start();

    await eventually('a reconcile to finish its claim', async () => claimed.length > 0);
    expect(claimed).to.deep.equal(['orphan']);
    expect((await pods().get(NS, 'orphan')).metadata.ownerReferences).to.deep.equal([newControllerRef(rs, RESOURCES.replicasets)]);
    expect((await pods().get(NS, 'strayed')).metadata.ownerReferences ?? []).to.deep.equal([]);
    await eventually('the cache to index the adopted pod by owner', async () => podInformer.byIndex(CONTROLLER_UID_INDEX, rs.metadata.uid!).length === 1);
  });

  it('the real registry refuses an adoption of a child that changed since it was cached (409), and of a recreated name (uid)', async () => {
    const rs = await sets().get(NS, 'web');
    const stale = await pods().create(NS, { metadata: { name: 'stale', labels: { app: 'web', v: '1' } }, spec: TEMPLATE.spec } as Pod);
    await pods().patch(NS, 'stale', 'application/merge-patch+json', JSON.stringify({ metadata: { annotations: { touched: 'yes' } } }));
    const manager = new ControllerRefManager<ReplicaSet, Pod>({
      owner: rs,
      ownerInfo: RESOURCES.replicasets,
      selector: selectorFromLabelSelector({ matchLabels: { v: '1' } }),
      children: pods(),
      getOwnerFresh: () => sets().get(NS, 'web'),
    });
    const err = await manager.claim([stale]).then(() => undefined, (e: unknown) => e);
    expect((err as { code?: number })?.code).to.equal(409);

    await pods().delete(NS, 'stale', { gracePeriodSeconds: 0 });
    const again = await pods().create(NS, { metadata: { name: 'stale', labels: { app: 'web', v: '1' } }, spec: TEMPLATE.spec } as Pod);
    const oldIncarnation: KubeObject = { ...again, metadata: { ...again.metadata, uid: stale.metadata.uid, resourceVersion: undefined } };
    const uidErr = await manager.claim([oldIncarnation as Pod]).then(() => undefined, (e: unknown) => e);
    expect((uidErr as { code?: number })?.code).to.equal(409);
    expect((await pods().get(NS, 'stale')).metadata.ownerReferences ?? []).to.deep.equal([]);
  });
});
