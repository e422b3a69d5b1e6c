import { expect } from 'chai';
import type { KubeObject, OwnerReference } from '../../../lib/api/object';
import { RESOURCES } from '../../../lib/api/resources';
import { ControllerRegistry } from '../../../lib/controller/controller-registry';
import { fakeControllerContext, type FakeControllerContext } from '../../../lib/controller/testing';
import { GARBAGE_COLLECTOR_COMPONENT, GARBAGE_COLLECTOR_CONTROLLER_NAME, garbageCollectorDescriptor, OWNER_REF_INVALID_NAMESPACE } from './garbage-collector';

/** Long enough for every backoff a test case may go through, ms (fake time: costs nothing). */
const SETTLE_MS = 60_000;

/**
 * The garbage collector over the in-memory API and a fake clock: each deletion mode, missing and
 * replaced owners, several owners, invalid references; built from the registry like in the
 * controller-manager.
 */
describe('garbage collector (fake API, fake clock)', () => {
  let ctx: FakeControllerContext;
  let stop: () => Promise<void>;

  beforeEach(async () => {
    ctx = fakeControllerContext();
    const running = await new ControllerRegistry([garbageCollectorDescriptor]).start([GARBAGE_COLLECTOR_CONTROLLER_NAME], ctx);
    expect(running.names).to.deep.equal([GARBAGE_COLLECTOR_CONTROLLER_NAME]);
    stop = () => running.stop();
  });
  afterEach(() => stop());

  const settle = () => ctx.clock.advance(SETTLE_MS);
  const ref = (owner: KubeObject, extra: Partial<OwnerReference> = {}): OwnerReference => ({
    apiVersion: owner.apiVersion ?? 'v1',
    kind: owner.kind ?? '',
    name: owner.metadata.name ?? '',
    uid: owner.metadata.uid ?? '',
    ...extra,
  });
  const seed = (kind: string, name: string, owners: OwnerReference[] = [], more: Partial<KubeObject['metadata']> = {}, namespace = 'default') =>
    ctx.client.seed({ kind, metadata: { name, namespace, ownerReferences: owners, ...more } });
  const present = (kind: string, name: string, namespace: string | undefined = 'default') => ctx.client.peek(kind, namespace, name);

  it('background: deleting the root of a chain of three levels deletes every level', async () => {
    const root = seed('ConfigMap', 'root');
    const mid = seed('ConfigMap', 'mid', [ref(root)]);
    const leaf = seed('Secret', 'leaf', [ref(mid)]);
    seed('Pod', 'bottom', [ref(leaf)]);
    seed('ConfigMap', 'bystander');
    await settle();
    expect(present('ConfigMap', 'mid'), 'nothing is collected while its owners live').to.not.equal(undefined);

    await ctx.client.resource(RESOURCES.configmaps).delete('default', 'root', { propagationPolicy: 'Background' });
    await settle();
    for (const [kind, name] of [['ConfigMap', 'root'], ['ConfigMap', 'mid'], ['Secret', 'leaf'], ['Pod', 'bottom']] as const) {
      expect(present(kind, name), `${kind} ${name}`).to.equal(undefined);
    }
    expect(present('ConfigMap', 'bystander')).to.not.equal(undefined);
  });

  it('foreground: the owner waits for its blocking dependents (recursively, in the foreground), not for the others', async () => {
    const owner = seed('ConfigMap', 'fg');
    const mid = seed('ConfigMap', 'fg-mid', [ref(owner, { blockOwnerDeletion: true })]);
    seed('Pod', 'fg-leaf', [ref(mid, { blockOwnerDeletion: true })], { finalizers: ['example.com/hold'] });
    seed('Secret', 'fg-free', [ref(owner)]);
    await settle();

    await ctx.client.resource(RESOURCES.configmaps).delete('default', 'fg', { propagationPolicy: 'Foreground' });
    await settle();
    expect(present('Secret', 'fg-free'), 'a non-blocking dependent is deleted').to.equal(undefined);
    const midNow = present('ConfigMap', 'fg-mid');
    expect(midNow?.metadata.deletionTimestamp, 'a dependent with dependents of its own goes in the foreground').to.be.a('string');
    expect(midNow?.metadata.finalizers).to.deep.equal(['foregroundDeletion']);
    expect(present('Pod', 'fg-leaf')?.metadata.deletionTimestamp).to.be.a('string');
    const ownerNow = present('ConfigMap', 'fg');
    expect(ownerNow?.metadata.finalizers, 'the owner waits').to.deep.equal(['foregroundDeletion']);

    await ctx.client.resource(RESOURCES.pods).patch('default', 'fg-leaf', 'application/merge-patch+json', JSON.stringify({ metadata: { finalizers: null } }));
    await settle();
    expect(present('Pod', 'fg-leaf')).to.equal(undefined);
    expect(present('ConfigMap', 'fg-mid')).to.equal(undefined);
    expect(present('ConfigMap', 'fg'), 'the owner goes last').to.equal(undefined);
  });

  it('foreground with no dependents finishes at once', async () => {
    seed('ConfigMap', 'alone');
    await settle();
    await ctx.client.resource(RESOURCES.configmaps).delete('default', 'alone', { propagationPolicy: 'Foreground' });
    await settle();
    expect(present('ConfigMap', 'alone')).to.equal(undefined);
  });

  it('orphan: dependents lose the reference to the owner (and keep the others), then the owner goes', async () => {
    const owner = seed('ConfigMap', 'parent');
    const other = seed('ConfigMap', 'other-parent');
    seed('ConfigMap', 'kid', [ref(owner, { controller: true, blockOwnerDeletion: true })]);
    seed('Secret', 'kid-2', [ref(owner), ref(other)]);
    await settle();

    await ctx.client.resource(RESOURCES.configmaps).delete('default', 'parent', { propagationPolicy: 'Orphan' });
    await settle();
    expect(present('ConfigMap', 'parent')).to.equal(undefined);
    expect(present('ConfigMap', 'kid')?.metadata.ownerReferences ?? []).to.deep.equal([]);
    expect(present('Secret', 'kid-2')?.metadata.ownerReferences).to.deep.equal([ref(other)]);
  });

  it('a reference whose uid does not match the live owner (a reused name) counts as missing', async () => {
    const live = seed('ConfigMap', 'reused');
    seed('ConfigMap', 'stale-child', [{ ...ref(live), uid: 'uid-of-an-earlier-incarnation' }]);
    seed('ConfigMap', 'true-child', [ref(live)]);
    seed('Secret', 'never-had-an-owner', [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'ghost', uid: 'uid-ghost' }]);
    await settle();
    expect(present('ConfigMap', 'stale-child')).to.equal(undefined);
    expect(present('Secret', 'never-had-an-owner')).to.equal(undefined);
    expect(present('ConfigMap', 'true-child')).to.not.equal(undefined);
    expect(present('ConfigMap', 'reused')).to.not.equal(undefined);
  });

  it('several owners: the dependent lives while one does, losing the reference to the missing one', async () => {
    const a = seed('ConfigMap', 'owner-a');
    const b = seed('ConfigMap', 'owner-b');
    seed('Pod', 'shared', [ref(a), ref(b)]);
    await settle();
    await ctx.client.resource(RESOURCES.configmaps).delete('default', 'owner-a');
    await settle();
    expect(present('Pod', 'shared')?.metadata.ownerReferences).to.deep.equal([ref(b)]);

    await ctx.client.resource(RESOURCES.configmaps).delete('default', 'owner-b');
    await settle();
    expect(present('Pod', 'shared')).to.equal(undefined);
  });

  it('an owner in another namespace is invalid: an OwnerRefInvalidNamespace Event, and the dependent is collected', async () => {
    const owner = seed('ConfigMap', 'elsewhere', [], {}, 'ns-a');
    seed('ConfigMap', 'cross', [ref(owner)], {}, 'ns-b');
    await settle();
    expect(present('ConfigMap', 'cross', 'ns-b')).to.equal(undefined);
    expect(present('ConfigMap', 'elsewhere', 'ns-a')).to.not.equal(undefined);
    const ev = ctx.events.find((e) => e.reason === OWNER_REF_INVALID_NAMESPACE);
    expect(ev?.component).to.equal(GARBAGE_COLLECTOR_COMPONENT);
    expect(ev?.type).to.equal('Warning');
    expect(ev?.message).to.equal('ownerRef [v1/ConfigMap, namespace: ns-b, name: elsewhere, uid: uid-configmaps-elsewhere] does not exist in namespace "ns-b"');
  });

  it('a cluster-scoped dependent of a namespaced owner gets the Event and is left alone', async () => {
    const owner = seed('ConfigMap', 'ns-owner', [], {}, 'ns-a');
    ctx.client.seed({ kind: 'PersistentVolume', metadata: { name: 'pv-1', ownerReferences: [ref(owner)] } });
    await settle();
    expect(ctx.client.peek('PersistentVolume', undefined, 'pv-1')).to.not.equal(undefined);
    expect(ctx.events.some((e) => e.reason === OWNER_REF_INVALID_NAMESPACE && e.message.endsWith('does not exist in namespace ""'))).to.equal(true);
  });

  it('malformed references and unknown kinds never stop the collector', async () => {
    seed('ConfigMap', 'odd', [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'x' } as OwnerReference]);
    seed('ConfigMap', 'widget-kid', [{ apiVersion: 'example.com/v1', kind: 'Widget', name: 'w', uid: 'uid-w' }]);
    const owner = seed('ConfigMap', 'normal');
    seed('ConfigMap', 'normal-kid', [ref(owner)]);
    await settle();
    await ctx.client.resource(RESOURCES.configmaps).delete('default', 'normal');
    await settle();
    expect(present('ConfigMap', 'normal-kid')).to.equal(undefined);
    expect(present('ConfigMap', 'odd'), 'a reference without uid is not followed').to.not.equal(undefined);
    expect(present('ConfigMap', 'widget-kid'), 'an unknown kind is retried, never taken as absent').to.not.equal(undefined);
  });

  it('a dependent created after its owner was deleted is collected', async () => {
    const owner = seed('ConfigMap', 'gone-soon');
    await settle();
    await ctx.client.resource(RESOURCES.configmaps).delete('default', 'gone-soon');
    await settle();
    seed('Secret', 'late', [ref(owner)]);
    await settle();
    expect(present('Secret', 'late')).to.equal(undefined);
  });
});
