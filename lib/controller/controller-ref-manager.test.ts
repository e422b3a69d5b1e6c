import { expect } from 'chai';
import { parseLabelSelector } from '../api/label-selector';
import type { KubeObject, OwnerReference } from '../api/object';
import { RESOURCES } from '../api/resources';
import { FakeApiClient } from '../client/testing/fake-api-client';
import { getControllerOf, isControlledBy, newControllerRef, resolveControllerRef } from './controller-ref';
import { ControllerRefManager } from './controller-ref-manager';

const RS = RESOURCES.replicasets;
const PODS = RESOURCES.pods;

describe('controllerRef helpers', () => {
  const owner: KubeObject = { metadata: { name: 'web', namespace: 'default', uid: 'rs-uid' } };

  it('newControllerRef names the owner by uid with controller and blockOwnerDeletion', () => {
    expect(newControllerRef(owner, RS)).to.deep.equal({ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: 'rs-uid', controller: true, blockOwnerDeletion: true });
    expect(() => newControllerRef({ metadata: { name: 'x' } }, RS)).to.throw('the ReplicaSet has no uid');
  });

  it('getControllerOf finds the one controller ref; resolveControllerRef needs kind, group and uid to match', () => {
    const other: OwnerReference = { apiVersion: 'v1', kind: 'ConfigMap', name: 'c', uid: 'c-uid' };
    const pod: KubeObject = { metadata: { namespace: 'default', name: 'p', ownerReferences: [other, newControllerRef(owner, RS)] } };
    expect(getControllerOf(pod)?.uid).to.equal('rs-uid');
    expect(isControlledBy(pod, owner)).to.equal(true);
    const cache = { get: (ns: string, name: string) => (ns === 'default' && name === 'web' ? owner : undefined) };
    expect(resolveControllerRef('default', getControllerOf(pod), RS, cache)).to.equal(owner);
    const recreated = { get: () => ({ metadata: { name: 'web', namespace: 'default', uid: 'new-uid' } }) };
    expect(resolveControllerRef('default', getControllerOf(pod), RS, recreated)).to.equal(undefined);
    expect(resolveControllerRef('default', getControllerOf(pod), RESOURCES.deployments, cache)).to.equal(undefined);
    expect(resolveControllerRef('default', { ...getControllerOf(pod)!, apiVersion: 'extensions/v1beta1' }, RS, cache)).to.equal(undefined);
    expect(resolveControllerRef('default', undefined, RS, cache)).to.equal(undefined);
  });
});

describe('ControllerRefManager', () => {
  let api: FakeApiClient;
  let rs: KubeObject;

  beforeEach(() => {
    api = new FakeApiClient();
    rs = api.seed({ kind: 'ReplicaSet', metadata: { name: 'web', namespace: 'default' }, spec: { selector: { matchLabels: { app: 'web' } } } });
  });

  const pod = (name: string, labels: Record<string, string>, extra: Partial<KubeObject['metadata']> = {}) =>
    api.seed({ kind: 'Pod', metadata: { name, namespace: 'default', labels, ...extra } });
  const manager = (owner: KubeObject = rs) =>
    new ControllerRefManager({
      owner,
      ownerInfo: RS,
      selector: parseLabelSelector('app=web'),
      children: api.resource(PODS),
      getOwnerFresh: () => api.resource(RS).get('default', 'web').catch(() => undefined),
    });
  const owners = (name: string) => api.peek('Pod', 'default', name)?.metadata.ownerReferences ?? [];

  it('adopts matching orphans, keeps its matching children, releases those whose labels stopped matching, and leaves others alone', async () => {
    const orphan = pod('orphan', { app: 'web' });
    const mine = pod('mine', { app: 'web' }, { ownerReferences: [newControllerRef(rs, RS)] });
    const strayed = pod('strayed', { app: 'db' }, { ownerReferences: [newControllerRef(rs, RS)] });
    const foreign = pod('foreign', { app: 'web' }, { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'other', uid: 'other-uid', controller: true }] });
    const unmatched = pod('unmatched', { app: 'db' });
    pod('dying', { app: 'web' }, { finalizers: ['hold'] });
    await api.resource(PODS).delete('default', 'dying');
    const dyingNow = api.peek('Pod', 'default', 'dying')!;

    const claimed = await manager().claim([orphan, mine, strayed, foreign, unmatched, dyingNow]);
    expect(claimed.map((p) => p.metadata.name)).to.deep.equal(['orphan', 'mine']);
    expect(owners('orphan')).to.deep.equal([newControllerRef(rs, RS)]);
    expect(owners('strayed')).to.deep.equal([]);
    expect(owners('foreign').map((r) => r.uid)).to.deep.equal(['other-uid']);
    expect(owners('unmatched')).to.deep.equal([]);
    expect(owners('dying')).to.deep.equal([]);
  });

  it('never adopts for an owner that is being deleted, nor releases its children', async () => {
    const orphan = pod('orphan', { app: 'web' });
    const strayed = pod('strayed', { app: 'db' }, { ownerReferences: [newControllerRef(rs, RS)] });
    const deleting = { ...rs, metadata: { ...rs.metadata, deletionTimestamp: '2024-01-01T00:00:00Z' } };
    expect(await manager(deleting).claim([orphan, strayed])).to.deep.equal([]);
    expect(owners('orphan')).to.deep.equal([]);
    expect(owners('strayed')).to.have.length(1);
  });

  it('re-reads the owner before adopting: a replaced owner (other uid) or one just deleted adopts nothing', async () => {
    const orphan = pod('orphan', { app: 'web' });
    await api.resource(RS).delete('default', 'web');
    api.seed({ kind: 'ReplicaSet', metadata: { name: 'web', namespace: 'default' } });
    let err: unknown;
    await manager().claim([orphan]).catch((e) => (err = e));
    expect(String((err as Error).message)).to.match(/ReplicaSet default\/web is gone: got uid \S+, wanted uid-replicasets-web; not adopting/);
    expect(owners('orphan')).to.deep.equal([]);
  });

  it('adopts with the child uid and resourceVersion as preconditions: a child changed since it was cached is a 409 (retried later)', async () => {
    const orphan = pod('orphan', { app: 'web' });
    await api.resource(PODS).patch('default', 'orphan', 'application/merge-patch+json', JSON.stringify({ metadata: { annotations: { touched: 'yes' } } }));
    let err: unknown;
    await manager().claim([orphan]).catch((e) => (err = e));
    expect((err as { code?: number }).code).to.equal(409);
    expect(owners('orphan')).to.deep.equal([]);
    // A child that is gone is simply not claimed.
    const gone = pod('gone', { app: 'web' });
    await api.resource(PODS).delete('default', 'gone');
    expect(await manager().claim([gone])).to.deep.equal([]);
  });
});
