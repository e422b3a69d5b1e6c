import { expect } from 'chai';
import type { ResourceInfo } from '../../../lib/api/object';
import { RESOURCES } from '../../../lib/api/resources';
import type { Node, Pod } from '../../../lib/api/types/core';
import { withRequestContext } from '../authn/request-user';
import { NodeRestriction, nodeMayNotChangeLabel } from './node-restriction';

const asNode = <T>(node: string, fn: () => Promise<T>): Promise<T> => withRequestContext(fn, { name: `system:node:${node}`, groups: ['system:nodes', 'system:authenticated'] });
const pod = (name: string, node: string): Pod => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'ns', uid: `uid-${name}-${node}`, labels: { app: 'x' } }, spec: { nodeName: node, containers: [] } }) as unknown as Pod;
const PODS = RESOURCES.pods as ResourceInfo;
const NODES = RESOURCES.nodes as ResourceInfo;
const refusal = (p: Promise<unknown>) => p.then(() => '', (e: Error) => e.message);

describe('NodeRestriction admission', () => {
  const nodes = new Map([['a', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'a', uid: 'node-uid-a' } } as Node]]);
  const plugin = new NodeRestriction(async (name) => nodes.get(name));

  it('knows the labels a node may not touch (Kubernetes\' rule)', () => {
    for (const key of ['node-restriction.kubernetes.io/x', 'team.node-restriction.kubernetes.io/y', 'node-role.kubernetes.io/control-plane', 'kubernetes.io/anything', 'example.k8s.io/z']) expect(nodeMayNotChangeLabel(key), key).to.equal(true);
    for (const key of ['kubernetes.io/hostname', 'kubernetes.io/os', 'topology.kubernetes.io/zone', 'node.kubernetes.io/instance-type', 'kubelet.kubernetes.io/x', 'example.com/disk', 'plain']) expect(nodeMayNotChangeLabel(key), key).to.equal(false);
  });

  it('checks the stored pod of a status write and of a delete (whatever the authorizer\'s cache held)', async () => {
    expect(await refusal(asNode('a', () => plugin.admitStatusUpdate(PODS, 'ns', pod('on-b', 'b'), pod('on-b', 'b'))))).to.equal('pods "on-b" is forbidden: node "a" can only update pod status for pods with spec.nodeName set to itself');
    expect(await refusal(asNode('b', () => plugin.admitStatusUpdate(PODS, 'ns', pod('on-b', 'b'), pod('on-b', 'b'))))).to.equal('');
    expect(await refusal(asNode('a', () => plugin.admitDelete(PODS, 'ns', pod('on-b', 'b'))))).to.equal('pods "on-b" is forbidden: node "a" can only delete pods with spec.nodeName set to itself');
    expect(await refusal(asNode('b', () => plugin.admitDelete(PODS, 'ns', pod('on-b', 'b'))))).to.equal('');
    expect(await refusal(plugin.admitDelete(PODS, 'ns', pod('on-b', 'b'))), 'the server itself and other users pass').to.equal('');
  });

  it('refuses a node\'s taint changes and restricted labels on its own Node, and registering another', async () => {
    const node = (name: string, labels: Record<string, string> = {}, taints: unknown[] = []): Node => ({ apiVersion: 'v1', kind: 'Node', metadata: { name, labels }, spec: { taints } }) as unknown as Node;
    expect(await refusal(asNode('a', () => plugin.admitCreate(NODES, undefined, node('a', { 'node-role.kubernetes.io/master': '' }))))).to.equal('nodes "a" is forbidden: node "a" is not allowed to set the following labels: node-role.kubernetes.io/master');
    expect(await refusal(asNode('a', () => plugin.admitCreate(NODES, undefined, node('b'))))).to.equal('nodes "b" is forbidden: node "a" is not allowed to modify node "b"');
    expect(await refusal(asNode('a', () => plugin.admitUpdate(NODES, undefined, node('a', {}, [{ key: 'k', effect: 'NoSchedule' }]), node('a'))))).to.include('is not allowed to modify taints');
    expect(await refusal(asNode('a', () => plugin.admitUpdate(NODES, undefined, node('a'), node('a', { 'node-restriction.kubernetes.io/x': 'y' }))))).to.include('is not allowed to modify labels: node-restriction.kubernetes.io/x');
    expect(await refusal(asNode('a', () => plugin.admitUpdate(NODES, undefined, node('a', { 'kubernetes.io/hostname': 'a', 'example.com/disk': 'ssd' }), node('a'))))).to.equal('');
  });

  it('lets a node create only mirror pods bound to itself, owned by nothing but its own Node as controller', async () => {
    const mirror = (owners?: unknown[]): Pod => {
      const p = pod('static-web', 'a');
      p.metadata.annotations = { 'kubernetes.io/config.mirror': 'hash' };
      if (owners) p.metadata.ownerReferences = owners as never;
      return p;
    };
    const self = { apiVersion: 'v1', kind: 'Node', name: 'a', uid: 'node-uid-a', controller: true };
    const create = (p: Pod) => refusal(asNode('a', () => plugin.admitCreate(PODS, 'ns', p)));
    expect(await create(mirror())).to.equal('');
    expect(await create(mirror([self]))).to.equal('');
    expect(await create(pod('plain', 'a'))).to.include('can only create mirror pods');
    expect(await create(mirror([self, { ...self, name: 'b' }]))).to.include('node "a" can only create pods with a single owner reference set to itself');
    expect(await create(mirror([{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'u', controller: true }]))).to.include('node "a" can only create pods with an owner reference set to itself');
    expect(await create(mirror([{ ...self, controller: false }]))).to.include('node "a" can only create pods with a controller owner reference set to itself');
    expect(await create(mirror([{ ...self, blockOwnerDeletion: true }]))).to.include('node "a" must not set blockOwnerDeletion on an owner reference');
    expect(await create(mirror([{ ...self, uid: 'stale' }]))).to.include('node a UID mismatch');
  });
});
