import { expect } from 'chai';
import type { PersistentVolumeClaim, Pod } from '../../../lib/api/types/core';
import type { UserInfo } from '../authn/request-user';
import type { Attributes } from './authorizer';
import { NodeAuthorizer, nodeNameOf } from './node-authorizer';
import { NodeGraph } from './node-graph';

const nodeUser = (name: string): UserInfo => ({ name: `system:node:${name}`, groups: ['system:nodes', 'system:authenticated'] });
const A = nodeUser('a');

function pod(name: string, node: string | undefined, spec: Record<string, unknown> = {}): Pod {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'ns' }, spec: { containers: [{ name: 'c', image: 'i' }], ...(node ? { nodeName: node } : {}), ...spec } } as Pod;
}
const claim = (name: string, volume?: string): PersistentVolumeClaim => ({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name, namespace: 'ns' }, spec: volume ? { volumeName: volume } : {} }) as PersistentVolumeClaim;
const req = (user: UserInfo, verb: string, resource: string, name?: string, extra: Partial<Attributes> = {}): Attributes => ({ user, verb, resourceRequest: true, apiGroup: '', resource, namespace: 'ns', name, ...extra });

/** A pod on node a using every kind of reference, one on node b using its own. */
const USES_ALL = {
  serviceAccountName: 'runner',
  imagePullSecrets: [{ name: 'pull' }],
  containers: [{ name: 'c', image: 'i', env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 'env-secret', key: 'k' } } }], envFrom: [{ configMapRef: { name: 'env-cm' } }] }],
  volumes: [
    { name: 'v1', secret: { secretName: 'vol-secret' } },
    { name: 'v2', projected: { sources: [{ configMap: { name: 'proj-cm' } }] } },
    { name: 'v3', persistentVolumeClaim: { claimName: 'data' } },
    { name: 'v4', csi: { driver: 'd', nodePublishSecretRef: { name: 'csi-secret' } } },
  ],
};

describe('Node authorizer and its graph', () => {
  let graph: NodeGraph;
  let authz: NodeAuthorizer;
  beforeEach(() => {
    graph = new NodeGraph();
    authz = new NodeAuthorizer(graph);
    graph.pods.reset([pod('on-a', 'a', USES_ALL), pod('on-b', 'b', { volumes: [{ name: 'v', secret: { secretName: 'b-secret' } }, { name: 'w', persistentVolumeClaim: { claimName: 'b-data' } }] }), pod('pending', undefined, { volumes: [{ name: 'v', secret: { secretName: 'p-secret' } }] })]);
    graph.claims.reset([claim('data', 'pv-a'), claim('b-data', 'pv-b')]);
  });

  it('knows only system:node:<name> users in system:nodes as nodes', () => {
    expect(nodeNameOf(A)).to.equal('a');
    expect(nodeNameOf({ name: 'system:node:a', groups: [] })).to.equal(undefined);
    expect(nodeNameOf({ name: 'alice', groups: ['system:nodes'] })).to.equal(undefined);
    expect(authz.authorize(req({ name: 'alice', groups: [] }, 'get', 'secrets', 'pull')).allowed).to.equal(false);
  });

  it('lets a node get exactly what its own pods refer to', () => {
    for (const [resource, name] of [['secrets', 'pull'], ['secrets', 'env-secret'], ['secrets', 'vol-secret'], ['secrets', 'csi-secret'], ['configmaps', 'env-cm'], ['configmaps', 'proj-cm'], ['persistentvolumeclaims', 'data']] as const) {
      expect(authz.authorize(req(A, 'get', resource, name)).allowed, `${resource}/${name}`).to.equal(true);
    }
    expect(authz.authorize(req(A, 'get', 'persistentvolumes', 'pv-a', { namespace: undefined })).allowed).to.equal(true);
    expect(authz.authorize(req(A, 'create', 'serviceaccounts', 'runner', { subresource: 'token' })).allowed).to.equal(true);
    const other = authz.authorize(req(A, 'get', 'secrets', 'b-secret'));
    expect(other).to.deep.equal({ allowed: false, reason: "no relationship found between node 'a' and this object" });
    expect(authz.authorize(req(A, 'get', 'persistentvolumeclaims', 'b-data')).allowed).to.equal(false);
    expect(authz.authorize(req(A, 'get', 'persistentvolumes', 'pv-b', { namespace: undefined })).allowed).to.equal(false);
    expect(authz.authorize(req(A, 'get', 'secrets', 'p-secret')).allowed, 'an unbound pod gives no node access').to.equal(false);
    expect(authz.authorize(req(A, 'list', 'secrets')).reason).to.equal('can only get individual resources of this type');
    expect(authz.authorize(req(A, 'create', 'serviceaccounts', 'default', { subresource: 'token' })).allowed).to.equal(false);
  });

  it('follows changes incrementally: binding, rebinding and deleting pods and claims', () => {
    expect(authz.authorize(req(A, 'get', 'secrets', 'p-secret')).allowed).to.equal(false);
    const pending = pod('pending', undefined, { volumes: [{ name: 'v', secret: { secretName: 'p-secret' } }] });
    const bound = pod('pending', 'a', { volumes: [{ name: 'v', secret: { secretName: 'p-secret' } }] });
    graph.pods.changed(pending, bound);
    expect(authz.authorize(req(A, 'get', 'secrets', 'p-secret')).allowed).to.equal(true);
    // A second pod on a using the same secret keeps it readable when the first goes.
    graph.pods.changed(undefined, pod('twin', 'a', { volumes: [{ name: 'v', secret: { secretName: 'p-secret' } }] }));
    graph.pods.changed(bound, undefined);
    expect(authz.authorize(req(A, 'get', 'secrets', 'p-secret')).allowed).to.equal(true);
    graph.pods.changed(pod('twin', 'a', { volumes: [{ name: 'v', secret: { secretName: 'p-secret' } }] }), undefined);
    expect(authz.authorize(req(A, 'get', 'secrets', 'p-secret')).allowed).to.equal(false);
    // A claim rebound to another volume moves the volume's access with it.
    graph.claims.changed(claim('data', 'pv-a'), claim('data', 'pv-c'));
    expect(authz.authorize(req(A, 'get', 'persistentvolumes', 'pv-a', { namespace: undefined })).allowed).to.equal(false);
    expect(authz.authorize(req(A, 'get', 'persistentvolumes', 'pv-c', { namespace: undefined })).allowed).to.equal(true);
    // A reset (the cache re-listed) replaces everything.
    graph.pods.reset([]);
    expect(graph.podCount).to.equal(0);
    expect(authz.authorize(req(A, 'get', 'secrets', 'pull')).allowed).to.equal(false);
  });

  it('lets a node write only its own Node, Lease and pods, and read the cluster\'s nodes, pods and Services', () => {
    expect(authz.authorize(req(A, 'patch', 'nodes', 'a', { namespace: undefined })).allowed).to.equal(true);
    expect(authz.authorize(req(A, 'update', 'nodes', 'a', { namespace: undefined, subresource: 'status' })).allowed).to.equal(true);
    expect(authz.authorize(req(A, 'patch', 'nodes', 'b', { namespace: undefined })).reason).to.equal('node "a" is not allowed to modify node "b"');
    expect(authz.authorize(req(A, 'list', 'nodes', undefined, { namespace: undefined })).allowed).to.equal(true);
    expect(authz.authorize(req(A, 'update', 'pods', 'on-a', { subresource: 'status' })).allowed).to.equal(true);
    expect(authz.authorize(req(A, 'update', 'pods', 'on-b', { subresource: 'status' })).reason).to.equal('node "a" can only update pod status for pods with spec.nodeName set to itself');
    expect(authz.authorize(req(A, 'delete', 'pods', 'on-b')).allowed).to.equal(false);
    expect(authz.authorize(req(A, 'delete', 'pods', 'on-a')).allowed).to.equal(true);
    expect(authz.authorize(req(A, 'create', 'pods', 'on-b', { subresource: 'eviction' })).allowed).to.equal(false);
    expect(authz.authorize(req(A, 'update', 'pods', 'pending', { subresource: 'status' })).allowed, 'an unbound pod is no node\'s').to.equal(false);
    // A pod this apiserver's cache does not hold: NodeRestriction checks the stored one.
    expect(authz.authorize(req(A, 'delete', 'pods', 'unknown')).allowed).to.equal(true);
    expect(authz.authorize(req(A, 'create', 'pods', 'unknown', { subresource: 'eviction' })).allowed).to.equal(false);
    expect(authz.authorize(req(A, 'update', 'pods', 'on-a')).allowed, 'a node never updates a pod itself').to.equal(false);
    const lease = (verb: string, name: string | undefined, namespace = 'kube-node-lease') => authz.authorize(req(A, verb, 'leases', name, { apiGroup: 'coordination.k8s.io', namespace })).allowed;
    expect([lease('update', 'a'), lease('get', 'a'), lease('create', undefined)]).to.deep.equal([true, true, true]);
    expect([lease('update', 'b'), lease('update', 'a', 'kube-system')]).to.deep.equal([false, false]);
    expect(authz.authorize(req(A, 'create', 'events')).allowed).to.equal(true);
    for (const [resource, group] of [['pods', ''], ['services', ''], ['endpoints', ''], ['endpointslices', 'discovery.k8s.io']]) {
      expect(authz.authorize(req(A, 'watch', resource!, undefined, { apiGroup: group })).allowed, resource).to.equal(true);
    }
    expect(authz.authorize(req(A, 'create', 'deployments', undefined, { apiGroup: 'apps' })).allowed).to.equal(false);
    expect(authz.authorize(req(A, 'delete', 'services', 'x')).allowed).to.equal(false);
  });
});
