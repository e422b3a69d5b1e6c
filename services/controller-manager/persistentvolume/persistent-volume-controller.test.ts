import { expect } from 'chai';
import { RESOURCES } from '../../../lib/api/resources';
import type { PersistentVolume, PersistentVolumeClaim } from '../../../lib/api/types/core';
import { BIND_COMPLETED_ANNOTATION, BOUND_BY_CONTROLLER_ANNOTATION, PROVISIONED_BY_ANNOTATION, SELECTED_NODE_ANNOTATION, STORAGE_PROVISIONER_ANNOTATION } from '../../../lib/api/types/storage';
import { ControllerRegistry } from '../../../lib/controller/controller-registry';
import { fakeControllerContext, type FakeControllerContext } from '../../../lib/controller/testing';
import { PERSISTENT_VOLUME_CONTROLLER_NAME, persistentVolumeControllerDescriptor } from './persistent-volume-controller';
import { findMatchingVolume } from './volume-match';

const pv = (name: string, storage: string, o: { cls?: string; modes?: string[]; labels?: Record<string, string>; reclaim?: string; claimRef?: Record<string, unknown>; node?: string; annotations?: Record<string, string> } = {}): PersistentVolume => ({
  apiVersion: 'v1',
  kind: 'PersistentVolume',
  metadata: { name, labels: o.labels, annotations: o.annotations },
  spec: {
    capacity: { storage },
    accessModes: o.modes ?? ['ReadWriteOnce'],
    storageClassName: o.cls ?? '',
    volumeMode: 'Filesystem',
    persistentVolumeReclaimPolicy: o.reclaim ?? 'Retain',
    hostPath: { path: `/tmp/${name}` },
    ...(o.claimRef ? { claimRef: o.claimRef } : {}),
    ...(o.node ? { nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [o.node] }] }] } } } : {}),
  },
  status: { phase: 'Pending' },
});

const pvc = (name: string, storage: string, o: { cls?: string; modes?: string[]; selector?: unknown; volumeName?: string; annotations?: Record<string, string> } = {}): PersistentVolumeClaim => ({
  apiVersion: 'v1',
  kind: 'PersistentVolumeClaim',
  metadata: { name, namespace: 'default', annotations: o.annotations },
  spec: {
    accessModes: o.modes ?? ['ReadWriteOnce'],
    resources: { requests: { storage } },
    storageClassName: o.cls ?? '',
    volumeMode: 'Filesystem',
    ...(o.selector ? { selector: o.selector as never } : {}),
    ...(o.volumeName ? { volumeName: o.volumeName } : {}),
  },
  status: { phase: 'Pending' },
});

describe('findMatchingVolume', () => {
  it('picks the smallest volume that fits capacity, access modes, class and selector', () => {
    const claim = pvc('c', '2Gi', { modes: ['ReadWriteOnce'], selector: { matchLabels: { tier: 'fast' } } });
    const volumes = [
      pv('small', '1Gi', { labels: { tier: 'fast' } }),
      pv('huge', '100Gi', { labels: { tier: 'fast' } }),
      pv('right', '5Gi', { labels: { tier: 'fast' } }),
      pv('slow', '3Gi', { labels: { tier: 'slow' } }),
      pv('rox', '3Gi', { labels: { tier: 'fast' }, modes: ['ReadOnlyMany'] }),
      pv('classy', '3Gi', { labels: { tier: 'fast' }, cls: 'gold' }),
    ];
    expect(findMatchingVolume(claim, volumes)?.metadata.name).to.equal('right');
  });

  it('prefers a volume pre-bound to the claim, and never takes one bound to another', () => {
    const claim = { ...pvc('c', '1Gi'), metadata: { name: 'c', namespace: 'default', uid: 'u1' } };
    const volumes = [pv('free', '1Gi'), pv('mine', '10Gi', { claimRef: { namespace: 'default', name: 'c' } }), pv('theirs', '1Gi', { claimRef: { namespace: 'default', name: 'c', uid: 'old' } })];
    expect(findMatchingVolume(claim, volumes)?.metadata.name).to.equal('mine');
    expect(findMatchingVolume(claim, [volumes[2]!])).to.equal(undefined);
  });

  it('for a selected node, only takes volumes whose node affinity admits it', () => {
    const claim = pvc('c', '1Gi');
    const volumes = [pv('a', '1Gi', { node: 'node-a' }), pv('b', '2Gi', { node: 'node-b' })];
    expect(findMatchingVolume(claim, volumes, { name: 'node-b', labels: {} })?.metadata.name).to.equal('b');
    expect(findMatchingVolume(claim, volumes, { name: 'node-c', labels: {} })).to.equal(undefined);
  });
});

/** Fake time per settling step: longer than the work queue's first retry backoffs. */
const RETRY_STEP_MS = 100;

describe('persistentvolume-binder controller (fake API, fake clock)', () => {
  let ctx: FakeControllerContext;
  let stop: () => Promise<void>;
  const getPv = (name: string) => ctx.client.peek<PersistentVolume>('PersistentVolume', undefined, name);
  const getPvc = (name: string) => ctx.client.peek<PersistentVolumeClaim>('PersistentVolumeClaim', 'default', name);
  /** Lets watches, queues and conflict retries (the queue's backoff) run. */
  const settle = async () => {
    for (let i = 0; i < 5; i++) await ctx.clock.advance(RETRY_STEP_MS);
  };

  beforeEach(async () => {
    ctx = fakeControllerContext();
    ctx.client.seed({ kind: 'StorageClass', metadata: { name: 'late' }, provisioner: 'bosun.io/local-path', volumeBindingMode: 'WaitForFirstConsumer', reclaimPolicy: 'Delete' });
    ctx.client.seed({ kind: 'StorageClass', metadata: { name: 'manual' }, provisioner: 'kubernetes.io/no-provisioner', volumeBindingMode: 'Immediate' });
    const running = await new ControllerRegistry([persistentVolumeControllerDescriptor]).start([PERSISTENT_VOLUME_CONTROLLER_NAME], ctx);
    stop = () => running.stop();
  });
  afterEach(() => stop());

  it('binds a claim to the smallest fitting volume both ways, with the bind annotations and phases', async () => {
    ctx.client.seed(pv('big', '10Gi'));
    ctx.client.seed(pv('fit', '2Gi'));
    ctx.client.seed(pvc('data', '1Gi'));
    await settle();
    const claim = getPvc('data')!;
    expect(claim.spec?.volumeName).to.equal('fit');
    expect(claim.status).to.deep.include({ phase: 'Bound', capacity: { storage: '2Gi' }, accessModes: ['ReadWriteOnce'] });
    expect(claim.metadata.annotations).to.deep.include({ [BIND_COMPLETED_ANNOTATION]: 'yes', [BOUND_BY_CONTROLLER_ANNOTATION]: 'yes' });
    const volume = getPv('fit')!;
    expect(volume.spec?.claimRef).to.deep.include({ namespace: 'default', name: 'data', uid: claim.metadata.uid });
    expect(volume.metadata.annotations?.[BOUND_BY_CONTROLLER_ANNOTATION]).to.equal('yes');
    expect(volume.status?.phase).to.equal('Bound');
    expect(getPv('big')!.status?.phase).to.equal('Available');
  });

  it('honours a claim pre-bound by volumeName (no bound-by-controller on the claim)', async () => {
    ctx.client.seed(pv('chosen', '5Gi'));
    ctx.client.seed(pv('smaller', '1Gi'));
    ctx.client.seed(pvc('pinned', '1Gi', { volumeName: 'chosen' }));
    await settle();
    const claim = getPvc('pinned')!;
    expect(claim.status?.phase).to.equal('Bound');
    expect(claim.metadata.annotations?.[BOUND_BY_CONTROLLER_ANNOTATION]).to.equal(undefined);
    expect(getPv('chosen')!.spec?.claimRef).to.deep.include({ name: 'pinned', uid: claim.metadata.uid });
  });

  it('a WaitForFirstConsumer claim waits for the selected node, then asks the provisioner', async () => {
    ctx.client.seed(pvc('late', '1Gi', { cls: 'late' }));
    await settle();
    expect(getPvc('late')!.metadata.annotations?.[STORAGE_PROVISIONER_ANNOTATION]).to.equal(undefined);
    expect(ctx.events.map((e) => e.reason)).to.include('WaitForFirstConsumer');
    const claim = getPvc('late')!;
    await ctx.client.resource<PersistentVolumeClaim>(RESOURCES.persistentvolumeclaims).update('default', { ...claim, metadata: { ...claim.metadata, annotations: { [SELECTED_NODE_ANNOTATION]: 'node-a' } } });
    await settle();
    expect(getPvc('late')!.metadata.annotations?.[STORAGE_PROVISIONER_ANNOTATION]).to.equal('bosun.io/local-path');
    expect(getPvc('late')!.status?.phase).to.equal('Pending');
    // The provisioner's volume, pre-bound to the claim, gets bound.
    const uid = getPvc('late')!.metadata.uid;
    ctx.client.seed(pv(`pvc-${uid}`, '1Gi', { cls: 'late', reclaim: 'Delete', node: 'node-a', claimRef: { namespace: 'default', name: 'late', uid }, annotations: { [PROVISIONED_BY_ANNOTATION]: 'bosun.io/local-path' } }));
    await settle();
    expect(getPvc('late')!.spec?.volumeName).to.equal(`pvc-${uid}`);
    expect(getPvc('late')!.status?.phase).to.equal('Bound');
    expect(getPv(`pvc-${uid}`)!.status?.phase).to.equal('Bound');
  });

  it('a claim of a class without provisioner stays Pending until a volume appears', async () => {
    ctx.client.seed(pvc('waits', '1Gi', { cls: 'manual' }));
    await settle();
    expect(getPvc('waits')!.status?.phase).to.equal('Pending');
    ctx.client.seed(pv('arrives', '1Gi', { cls: 'manual' }));
    await settle();
    expect(getPvc('waits')!.status?.phase).to.equal('Bound');
  });

  it('releases a volume whose claim is deleted: Retain keeps it Released, Delete without a provisioner fails', async () => {
    ctx.client.seed(pv('kept', '1Gi', { reclaim: 'Retain', cls: 'manual' }));
    ctx.client.seed(pv('dropped', '1Gi', { reclaim: 'Delete', cls: 'manual', modes: ['ReadWriteMany'] }));
    ctx.client.seed(pvc('a', '1Gi', { cls: 'manual' }));
    ctx.client.seed(pvc('b', '1Gi', { cls: 'manual', modes: ['ReadWriteMany'] }));
    await settle();
    expect(getPv('kept')!.status?.phase).to.equal('Bound');
    expect(getPv('dropped')!.status?.phase).to.equal('Bound');
    const claims = ctx.client.resource(RESOURCES.persistentvolumeclaims);
    await claims.delete('default', 'a');
    await claims.delete('default', 'b');
    await settle();
    expect(getPv('kept')!.status?.phase).to.equal('Released');
    expect(getPv('dropped')!.status?.phase).to.equal('Failed');
    // A new claim of the same name does not get the released volume back.
    ctx.client.seed(pvc('a', '1Gi', { cls: 'manual' }));
    await settle();
    expect(getPvc('a')!.status?.phase).to.equal('Pending');
  });

  it('a provisioned volume under Delete is left Released for its provisioner', async () => {
    ctx.client.seed(pv('prov', '1Gi', { reclaim: 'Delete', cls: 'manual', annotations: { [PROVISIONED_BY_ANNOTATION]: 'bosun.io/local-path' } }));
    ctx.client.seed(pvc('p', '1Gi', { cls: 'manual' }));
    await settle();
    await ctx.client.resource(RESOURCES.persistentvolumeclaims).delete('default', 'p');
    await settle();
    expect(getPv('prov')!.status?.phase).to.equal('Released');
  });

  it('a bound claim whose volume is deleted turns Lost', async () => {
    ctx.client.seed(pv('gone', '1Gi'));
    ctx.client.seed(pvc('orphan', '1Gi'));
    await settle();
    expect(getPvc('orphan')!.status?.phase).to.equal('Bound');
    await ctx.client.resource(RESOURCES.persistentvolumes).delete(undefined, 'gone');
    await settle();
    expect(getPvc('orphan')!.status?.phase).to.equal('Lost');
    expect(ctx.events.map((e) => e.reason)).to.include('ClaimLost');
  });
});
