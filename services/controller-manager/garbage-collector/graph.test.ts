import { expect } from 'chai';
import type { OwnerReference } from '../../../lib/api/object';
import { AbsentOwnerCache } from './absent-owner-cache';
import { DependencyGraph, type ObservedMeta, referenceDiff } from './graph';
import type { ObjectIdentity } from './identity';

const cm = (name: string, namespace = 'default', uid = `uid-${name}`): ObjectIdentity => ({ apiVersion: 'v1', kind: 'ConfigMap', namespace, name, uid });
const refTo = (id: ObjectIdentity, extra: Partial<OwnerReference> = {}): OwnerReference => ({ apiVersion: id.apiVersion, kind: id.kind, name: id.name, uid: id.uid, ...extra });
const meta = (ownerReferences: OwnerReference[] = [], more: Partial<ObservedMeta> = {}): ObservedMeta => ({ ownerReferences, beingDeleted: false, finalizers: [], ...more });
/** ConfigMaps and Pods are namespaced, Nodes are not; anything else is unknown. */
const scope = (_apiVersion: string, kind: string) => (kind === 'Node' ? false : kind === 'ConfigMap' || kind === 'Pod' ? true : undefined);

describe('garbage collector dependency graph', () => {
  let absent: AbsentOwnerCache;
  let graph: DependencyGraph;
  beforeEach(() => {
    absent = new AbsentOwnerCache();
    graph = new DependencyGraph(scope, absent);
  });

  it('links dependents to owners by uid; an owner not seen yet is a virtual node queued for a check', () => {
    const owner = cm('owner');
    const fx = graph.observe(cm('kid'), meta([refTo(owner)]));
    expect([...fx.attemptToDelete]).to.deep.equal([owner.uid]);
    const virtual = graph.node(owner.uid)!;
    expect(virtual.observed).to.equal(false);
    expect(virtual.identity).to.deep.equal(owner);
    expect([...virtual.dependents].map((d) => d.identity.name)).to.deep.equal(['kid']);

    const seen = graph.observe(owner, meta());
    expect(seen.attemptToDelete.size, 'the owner matches what the dependent said').to.equal(0);
    expect(graph.node(owner.uid)!.observed).to.equal(true);
    expect(graph.size).to.equal(2);
  });

  it('a cluster-scoped owner kind gets no namespace in its virtual identity', () => {
    const node: ObjectIdentity = { apiVersion: 'v1', kind: 'Node', namespace: '', name: 'n1', uid: 'uid-n1' };
    graph.observe(cm('kid'), meta([refTo(node)]));
    expect(graph.node('uid-n1')!.identity.namespace).to.equal('');
  });

  it('reports a namespaced owner observed in another namespace than its dependent, either order', () => {
    const owner = cm('owner', 'ns-a');
    graph.observe(owner, meta());
    const fx = graph.observe(cm('kid', 'ns-b'), meta([refTo(owner)]));
    expect(fx.invalidOwnerReferences).to.deep.equal([{ dependent: cm('kid', 'ns-b'), owner: cm('owner', 'ns-b', owner.uid) }]);
    expect(fx.attemptToDelete.has('uid-kid')).to.equal(true);

    const other = new DependencyGraph(scope, new AbsentOwnerCache());
    other.observe(cm('kid', 'ns-b'), meta([refTo(owner)]));
    const later = other.observe(owner, meta());
    expect(later.invalidOwnerReferences.map((r) => r.dependent.name)).to.deep.equal(['kid']);
    expect([...later.attemptToDelete]).to.deep.equal(['uid-kid']);
  });

  it('a reference naming the owner with other coordinates queues the dependent for a live check', () => {
    const owner = cm('owner');
    graph.observe(owner, meta());
    const fx = graph.observe(cm('kid'), meta([{ ...refTo(owner), name: 'wrong-name' }]));
    expect(fx.invalidOwnerReferences).to.deep.equal([]);
    expect([...fx.attemptToDelete]).to.deep.equal(['uid-kid']);
  });

  it('foreground deletion queues the owner and every dependent; orphan deletion queues the owner for orphaning', () => {
    const owner = cm('owner');
    graph.observe(owner, meta());
    graph.observe(cm('a'), meta([refTo(owner)]));
    graph.observe(cm('b'), meta([refTo(owner)]));
    const fg = graph.observe(owner, meta([], { beingDeleted: true, finalizers: ['foregroundDeletion'] }), meta());
    expect([...fg.attemptToDelete].sort()).to.deep.equal(['uid-a', 'uid-b', 'uid-owner']);
    expect(graph.node(owner.uid)!.deletingDependents).to.equal(true);
    expect(graph.observe(owner, meta([], { beingDeleted: true, finalizers: ['foregroundDeletion'] }), meta([], { beingDeleted: true, finalizers: ['foregroundDeletion'] })).attemptToDelete.size, 'only the transition').to.equal(0);

    const parent = cm('parent');
    graph.observe(parent, meta());
    const orphan = graph.observe(parent, meta([], { beingDeleted: true, finalizers: ['orphan'] }), meta());
    expect([...orphan.attemptToOrphan]).to.deep.equal([parent.uid]);
  });

  it('a deleted object queues its dependents and an owner waiting for it; its identity is remembered absent', () => {
    const owner = cm('owner');
    const mid = cm('mid');
    graph.observe(owner, meta([], { beingDeleted: true, finalizers: ['foregroundDeletion'] }));
    graph.observe(mid, meta([refTo(owner, { blockOwnerDeletion: true })]));
    graph.observe(cm('leaf'), meta([refTo(mid)]));
    expect(graph.node(owner.uid)!.blockingDependents().map((d) => d.identity.name)).to.deep.equal(['mid']);

    const fx = graph.observeDeletion(mid);
    expect([...fx.attemptToDelete].sort()).to.deep.equal(['uid-leaf', 'uid-owner']);
    expect(graph.node(mid.uid)).to.equal(undefined);
    expect(graph.node(owner.uid)!.dependents.size).to.equal(0);
    expect(absent.has(mid)).to.equal(true);
  });

  it('dropping a blocking reference, or turning blockOwnerDeletion off, queues the owner', () => {
    const owner = cm('owner');
    graph.observe(owner, meta());
    graph.observe(cm('kid'), meta([refTo(owner, { blockOwnerDeletion: true })]));
    const off = graph.observe(cm('kid'), meta([refTo(owner, { blockOwnerDeletion: false })]), meta([refTo(owner, { blockOwnerDeletion: true })]));
    expect([...off.attemptToDelete]).to.deep.equal([owner.uid]);
    graph.observe(cm('kid'), meta([refTo(owner, { blockOwnerDeletion: true })]));
    const removed = graph.observe(cm('kid'), meta([]));
    expect([...removed.attemptToDelete]).to.deep.equal([owner.uid]);
    expect(graph.node(owner.uid)!.dependents.size).to.equal(0);
  });

  it('a virtual delete removes a virtual owner and queues its dependents', () => {
    const ghost = cm('ghost');
    graph.observe(cm('kid'), meta([refTo(ghost)]));
    const fx = graph.virtualDelete(ghost);
    expect([...fx.attemptToDelete]).to.deep.equal(['uid-kid']);
    expect(graph.node(ghost.uid)).to.equal(undefined);
  });

  it('a virtual delete keeps a node other dependents name differently, checking only those naming the absent coordinates', () => {
    const ghost = cm('ghost', 'ns-a');
    graph.observe(cm('kid-a', 'ns-a'), meta([refTo(ghost)]));
    graph.observe(cm('kid-b', 'ns-b'), meta([refTo(ghost)]));
    const fx = graph.virtualDelete(ghost);
    expect([...fx.attemptToDelete]).to.deep.equal(['uid-kid-a']);
    expect([...fx.attemptToDeleteLater]).to.deep.equal([ghost.uid]);
    expect(graph.node(ghost.uid)!.identity.namespace, 'the node lives on under the other coordinates').to.equal('ns-b');
    expect(absent.has(ghost)).to.equal(true);
  });

  it('a virtual delete of other coordinates leaves an observed node in place', () => {
    const owner = cm('owner', 'ns-a');
    graph.observe(owner, meta());
    graph.observe(cm('kid', 'ns-b'), meta([refTo(owner)]));
    const fx = graph.virtualDelete(cm('owner', 'ns-b', owner.uid));
    expect([...fx.attemptToDelete]).to.deep.equal(['uid-kid']);
    expect(graph.node(owner.uid)!.observed).to.equal(true);
  });

  it('diffs references by uid', () => {
    const a = refTo(cm('a'));
    const b = refTo(cm('b'));
    const c = refTo(cm('c'));
    const d = referenceDiff([a, b], [{ ...b, controller: true }, c]);
    expect(d.added).to.deep.equal([c]);
    expect(d.removed).to.deep.equal([a]);
    expect(d.changed).to.deep.equal([{ old: b, now: { ...b, controller: true } }]);
  });

  it('the absent-owner cache is bounded, forgetting the least recently used', () => {
    const cache = new AbsentOwnerCache(2);
    cache.add(cm('a'));
    cache.add(cm('b'));
    expect(cache.has(cm('a'))).to.equal(true);
    cache.add(cm('c'));
    expect(cache.has(cm('b'))).to.equal(false);
    expect(cache.has(cm('a'))).to.equal(true);
    expect(cache.has(cm('c'))).to.equal(true);
    expect(cache.has(cm('c', 'default', 'another-uid')), 'coordinates include the uid').to.equal(false);
    expect(cache.size).to.equal(2);
  });
});
