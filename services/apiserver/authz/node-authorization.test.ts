/**
 * The Node authorizer and NodeRestriction through the real doors, as attacks: an apiserver in
 * `Node,RBAC` mode over a real store and two node identities (system:node:node-a and -b). Node a
 * tries what only node b (or an admin) may do, over HTTPS (raw requests and the real kubectl)
 * and gRPC, and does what a node must do for itself.
 */
import { expect } from 'chai';
import { RESOURCES } from '../../../lib/api/resources';
import type { KubeObject } from '../../../lib/api/object';
import type { Pod } from '../../../lib/api/types/core';
import { GrpcApiClient } from '../../../lib/client/grpc-api-client';
import { httpsRequest, runKubectl, type HttpsAnswer } from '../http/test-clients';
import { TwoDoorApiServer } from '../test-api-server';

const NS = 'shop';
const nodeUser = (node: string) => ({ name: `system:node:${node}`, uid: `system:node:${node}`, groups: ['system:nodes'] });
const POLL_MS = 50;
const WAIT_MS = 10_000;

/** A pod bound to `node` using a Secret, a ConfigMap and a claim of its own. */
function boundPod(name: string, node: string, uses: string): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NS },
    spec: {
      nodeName: node,
      containers: [{ name: 'c', image: 'busybox', envFrom: [{ configMapRef: { name: `${uses}-config` } }] }],
      volumes: [
        { name: 's', secret: { secretName: `${uses}-secret` } },
        { name: 'd', persistentVolumeClaim: { claimName: `${uses}-data` } },
      ],
    },
  } as unknown as Pod;
}

describe('Node authorization and NodeRestriction (apiserver --authorization-mode Node,RBAC)', function () {
  this.timeout(120_000);
  let api: TwoDoorApiServer;
  let tokenA: string;
  let kubeconfigA: string;
  let grpcA: GrpcApiClient;
  /** A raw HTTPS request as node a. */
  let asA: (method: string, urlPath: string, body?: unknown, contentType?: string) => Promise<HttpsAnswer>;

  before(async () => {
    api = await TwoDoorApiServer.start('bosun-node-authz-', { authorizationMode: ['Node', 'RBAC'], users: [nodeUser('node-a'), nodeUser('node-b')] });
    ({ token: tokenA, kubeconfig: kubeconfigA } = api.userKubeconfig('system:node:node-a'));
    const http = api.server.http!;
    asA = (method, urlPath, body, contentType = 'application/json') =>
      httpsRequest({ port: http.port, caCert: http.tls.caCert, token: tokenA }, method, urlPath, body === undefined ? {} : { body: JSON.stringify(body), headers: { 'Content-Type': contentType } });
    grpcA = new GrpcApiClient({ endpoints: [api.server.grpcAddress], token: tokenA });
    expect((await api.kubectl(['create', 'namespace', NS])).code).to.equal(0);
    // Each node's pod, and the Secret, ConfigMap and claim it uses: one kubectl apply.
    const items: unknown[] = [];
    for (const [owner, node] of [['a', 'node-a'], ['b', 'node-b']]) {
      items.push(
        { apiVersion: 'v1', kind: 'Secret', metadata: { name: `${owner}-secret`, namespace: NS }, stringData: { k: 'v' } },
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `${owner}-config`, namespace: NS }, data: { k: 'v' } },
        { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: `${owner}-data`, namespace: NS }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } },
        boundPod(`web-${owner}`, node!, owner!),
      );
    }
    const applied = await api.kubectl(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items }));
    expect(applied.code, applied.stderr).to.equal(0);
    // The graph follows the pods' watch cache: wait until node a's pod gives it its Secret.
    await until(async () => (await asA('GET', `/api/v1/namespaces/${NS}/secrets/a-secret`)).status === 200);
  });
  after(async () => {
    grpcA?.close();
    await api?.stop();
  });

  it('a node reads the Secret, ConfigMap and claim its own pod uses, and nothing only another node\'s pod uses (HTTPS)', async () => {
    for (const path of ['secrets/a-secret', 'configmaps/a-config', 'persistentvolumeclaims/a-data']) {
      expect((await asA('GET', `/api/v1/namespaces/${NS}/${path}`)).status, path).to.equal(200);
    }
    for (const [resource, name] of [['secrets', 'b-secret'], ['configmaps', 'b-config'], ['persistentvolumeclaims', 'b-data']]) {
      const answer = await asA('GET', `/api/v1/namespaces/${NS}/${resource}/${name}`);
      expect(answer.status, `${resource}/${name}`).to.equal(403);
      expect(JSON.parse(answer.body).message).to.equal(`${resource} "${name}" is forbidden: User "system:node:node-a" cannot get resource "${resource}" in API group "" in the namespace "${NS}": no relationship found between node 'node-a' and this object`);
    }
    expect((await asA('GET', `/api/v1/namespaces/${NS}/secrets`)).status, 'no listing Secrets').to.equal(403);
  });

  it('the real kubectl with a node\'s kubeconfig is refused the same way', async () => {
    const run = await runKubectl(kubeconfigA, api.dir, ['get', 'secret', 'b-secret', '-n', NS]);
    expect(run.code).to.not.equal(0);
    expect(run.stderr).to.include('secrets "b-secret" is forbidden: User "system:node:node-a" cannot get resource "secrets"');
    const own = await runKubectl(kubeconfigA, api.dir, ['get', 'configmap', 'a-config', '-n', NS, '-o', 'jsonpath={.data.k}']);
    expect(own.stdout, own.stderr).to.equal('v');
  });

  it('a node registers and updates only its own Node, and sets no restricted label', async () => {
    const node = (name: string, labels: Record<string, string> = {}) => ({ apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/hostname': name, ...labels } } });
    expect((await asA('POST', '/api/v1/nodes', node('node-a'))).status).to.equal(201);
    const other = await asA('POST', '/api/v1/nodes', node('node-b'));
    expect(other.status).to.equal(403);
    expect(JSON.parse(other.body).message).to.equal('nodes "node-b" is forbidden: node "node-a" is not allowed to modify node "node-b"');
    expect((await api.request('POST', '/api/v1/nodes', { body: node('node-b') })).status).to.equal(201);
    const merge = 'application/merge-patch+json';
    const patchB = await asA('PATCH', '/api/v1/nodes/node-b', { metadata: { labels: { evil: 'yes' } } }, merge);
    expect(patchB.status).to.equal(403);
    expect(JSON.parse(patchB.body).message).to.include('node "node-a" is not allowed to modify node "node-b"');
    const restricted = await asA('PATCH', '/api/v1/nodes/node-a', { metadata: { labels: { 'node-restriction.kubernetes.io/x': 'y' } } }, merge);
    expect(restricted.status).to.equal(403);
    expect(JSON.parse(restricted.body).message).to.equal('nodes "node-a" is forbidden: is not allowed to modify labels: node-restriction.kubernetes.io/x');
    const hostname = await asA('PATCH', '/api/v1/nodes/node-a', { metadata: { labels: { 'kubernetes.io/hostname': 'node-b' } } }, merge);
    expect(hostname.status, 'a node cannot pose as another node\'s host').to.equal(403);
    const own = await asA('PATCH', '/api/v1/nodes/node-a', { metadata: { labels: { 'example.com/disk': 'ssd' } } }, merge);
    expect(own.status, own.body).to.equal(200);
    const status = await asA('PATCH', '/api/v1/nodes/node-a/status', { status: { conditions: [{ type: 'Ready', status: 'True' }] } }, merge);
    expect(status.status, status.body).to.equal(200);
    expect((await asA('DELETE', '/api/v1/nodes/node-b')).status).to.equal(403);
  });

  it('a node writes the status of its own pods only, deletes and evicts only its own, and creates only mirror pods', async () => {
    const merge = 'application/merge-patch+json';
    const statusPatch = { status: { phase: 'Running' } };
    const own = await asA('PATCH', `/api/v1/namespaces/${NS}/pods/web-a/status`, statusPatch, merge);
    expect(own.status, own.body).to.equal(200);
    const theirs = await asA('PATCH', `/api/v1/namespaces/${NS}/pods/web-b/status`, statusPatch, merge);
    expect(theirs.status).to.equal(403);
    expect(JSON.parse(theirs.body).message).to.include('node "node-a" can only update pod status for pods with spec.nodeName set to itself');
    const del = await asA('DELETE', `/api/v1/namespaces/${NS}/pods/web-b`);
    expect(del.status).to.equal(403);
    expect(JSON.parse(del.body).message).to.include('node "node-a" can only delete pods with spec.nodeName set to itself');
    const gone = await asA('DELETE', `/api/v1/namespaces/${NS}/pods/no-such-pod`);
    expect(gone.status, 'a pod already gone is a 404 (the agent stops retrying), not a 403').to.equal(404);
    const evict = await asA('POST', `/api/v1/namespaces/${NS}/pods/web-b/eviction`, { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'web-b', namespace: NS } });
    expect(evict.status).to.equal(403);
    const relabel = await asA('PATCH', `/api/v1/namespaces/${NS}/pods/web-a`, { metadata: { labels: { x: 'y' } } }, merge);
    expect(relabel.status, 'a node never updates a pod, even its own').to.equal(403);
    const plain = await asA('POST', `/api/v1/namespaces/${NS}/pods`, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'sneaky' }, spec: { nodeName: 'node-a', containers: [{ name: 'c', image: 'busybox' }] } });
    expect(plain.status).to.equal(403);
    expect(JSON.parse(plain.body).message).to.equal('pods "sneaky" is forbidden: pod does not have "kubernetes.io/config.mirror" annotation, node "node-a" can only create mirror pods');
    const mirrorElsewhere = await asA('POST', `/api/v1/namespaces/${NS}/pods`, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'm', annotations: { 'kubernetes.io/config.mirror': 'x' } }, spec: { nodeName: 'node-b', containers: [{ name: 'c', image: 'busybox' }] } });
    expect(JSON.parse(mirrorElsewhere.body).message).to.include('node "node-a" can only create pods with spec.nodeName set to itself');
  });

  it('a node keeps only its own Lease in kube-node-lease', async () => {
    const lease = (name: string) => ({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name, namespace: 'kube-node-lease' }, spec: { holderIdentity: name, leaseDurationSeconds: 40 } });
    const base = '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases';
    expect((await asA('POST', base, lease('node-a'))).status).to.equal(201);
    const renewed = await asA('PATCH', `${base}/node-a`, { spec: { renewTime: new Date().toISOString().replace(/\.\d+Z$/, '.000000Z') } }, 'application/merge-patch+json');
    expect(renewed.status, renewed.body).to.equal(200);
    const other = await asA('POST', base, lease('node-b'));
    expect(other.status).to.equal(403);
    expect(JSON.parse(other.body).message).to.include('can only access node lease with the same name as the requesting node');
    expect((await api.request('POST', base, { body: lease('node-b') })).status).to.equal(201);
    expect((await asA('PATCH', `${base}/node-b`, { spec: { holderIdentity: 'node-a' } }, 'application/merge-patch+json')).status).to.equal(403);
  });

  it('the gRPC door refuses and allows the same for the same node', async () => {
    const refused = await grpcA.resource(RESOURCES.secrets).get(NS, 'b-secret').then(() => undefined, (e: unknown) => e as Error);
    expect(String(refused?.message)).to.include("no relationship found between node 'node-a' and this object");
    const secret = await grpcA.resource<KubeObject & { data?: Record<string, string> }>(RESOURCES.secrets).get(NS, 'a-secret');
    expect(secret.data?.k).to.equal(Buffer.from('v').toString('base64'));
    const pods = grpcA.resource<Pod>(RESOURCES.pods);
    const theirs = await pods.get(NS, 'web-b');
    const denied = await pods.updateStatus(NS, { ...theirs, status: { phase: 'Failed' } }).then(() => undefined, (e: unknown) => e as Error);
    expect(String(denied?.message)).to.include('can only update pod status for pods with spec.nodeName set to itself');
    const mine = await pods.get(NS, 'web-a');
    const updated = await pods.updateStatus(NS, { ...mine, status: { ...mine.status, phase: 'Running', hostIP: '127.0.0.1' } });
    expect(updated.status?.hostIP).to.equal('127.0.0.1');
    const labelled = await grpcA.resource(RESOURCES.nodes).patch(undefined, 'node-a', 'application/merge-patch+json', JSON.stringify({ metadata: { labels: { 'node-restriction.kubernetes.io/x': 'y' } } })).then(() => undefined, (e: unknown) => e as Error);
    expect(String(labelled?.message)).to.include('is not allowed to modify labels: node-restriction.kubernetes.io/x');
  });

  it('no bootstrap binding gives the nodes group a role (the Node authorizer decides for each node)', async () => {
    const run = await api.kubectl(['get', 'clusterrolebinding', 'system:node', 'system:bosun-local-path-provisioner', '-o', 'jsonpath={.items[*].subjects}']);
    expect(run.code, run.stderr).to.equal(0);
    expect(run.stdout).to.not.include('system:nodes');
  });
});

/** Resolves once `check` holds; fails after WAIT_MS. */
async function until(check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}
