import { expect } from 'chai';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as os from 'node:os';
import * as path from 'node:path';
import type { KubeObject, ResourceInfo } from '../../lib/api/object';
import { decodeUnknown, hasMagic, K8S_PROTOBUF_MAGIC, type JsonObject } from '../../lib/api/proto/convert';
import { RESOURCES } from '../../lib/api/resources';
import { fullEndpoints, fullEvent, fullLease, fullNode, fullPodSpec, fullPodStatus } from '../../lib/api/proto/test-objects';
import { GrpcApiClient } from '../../lib/client/grpc-api-client';
import { LocalApiServer } from '../../lib/launcher/apiserver-process';
import { freePort, LocalStoreCluster } from '../../lib/launcher/store-cluster';
import { deploymentStrategy } from '../../services/apiserver/kinds/apps';
import { leaseStrategy } from '../../services/apiserver/kinds/coordination';
import { endpointsStrategy, eventStrategy, nodeStrategy, podStrategy } from '../../services/apiserver/kinds/core';
import { priorityClassStrategy } from '../../services/apiserver/kinds/scheduling';
import { ensureTokenFile, writeHttpKubeconfig } from '../../services/apiserver/http/bearer-auth';
import { ensureClusterTls } from '../../services/apiserver/http/cluster-tls';

/** Longest one kubectl run may take, in milliseconds. */
const KUBECTL_TIMEOUT_MS = 30_000;

/** A JSON value without its null members (recursively). */
function withoutNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutNulls);
  if (v === null || typeof v !== 'object') return v;
  return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== null).map(([k, x]) => [k, withoutNulls(x)]));
}

/** One HTTPS answer: status, content type and body bytes. */
interface Answer {
  status: number;
  type: string;
  body: Buffer;
}

/**
 * Kubernetes' complete Node and Pod messages (and the Event, Endpoints, Lease, Binding and pod
 * templates the scheduler, controllers and node agent write) through both doors of a real
 * `bosun apiserver` process on a one-member store: what one door writes, the other reads back
 * field for field, as JSON and as Kubernetes protobuf; the HTTP door's Strict field validation
 * knows every field; kubectl explain describes them.
 */
describe('apiserver: complete Node and Pod objects through the gRPC and HTTP doors', function () {
  this.timeout(120_000);
  let dir: string;
  let cluster: LocalStoreCluster;
  let apiserver: LocalApiServer;
  let grpc: GrpcApiClient;
  let caCert: string;
  let token: string;
  let kubeconfig: string;
  let httpsPort: number;

  const nodes = () => grpc.resource(nodeStrategy.info);
  const pods = () => grpc.resource(podStrategy.info);

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bosun-full-objects-'));
    cluster = await LocalStoreCluster.create({ members: 1, dir, insecure: true });
    cluster.startAll();
    await cluster.waitReady();
    const certDir = path.join(dir, 'pki');
    caCert = ensureClusterTls(certDir).caCert;
    const tokenFile = path.join(dir, 'tokens.csv');
    token = ensureTokenFile(tokenFile);
    httpsPort = await freePort();
    apiserver = new LocalApiServer('apiserver-1', await freePort(), path.join(dir, 'apiserver.log'), cluster.endpoints, { port: httpsPort, certDir, tokenFile });
    apiserver.start();
    await apiserver.waitReady();
    grpc = new GrpcApiClient({ endpoints: [apiserver.grpcEndpoint], token, tls: { caCert } });
    kubeconfig = path.join(dir, 'kubeconfig');
    writeHttpKubeconfig(kubeconfig, { server: apiserver.httpsUrl!, caCert, token, namespace: 'default' });
    // The class the full pod names: Priority admission resolves it into the pod's priority (1000).
    await grpc.resource(priorityClassStrategy.info).create(undefined, { metadata: { name: 'high-priority' }, value: 1000 } as KubeObject);
    // The ServiceAccount it runs as: ServiceAccount admission refuses a pod naming a missing one.
    await grpc.resource(RESOURCES.serviceaccounts).create('default', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'app', namespace: 'default' } });
  });

  after(async () => {
    grpc?.close();
    await apiserver?.kill('SIGTERM');
    await cluster?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** One request to the HTTP door with the cluster's token (a JSON body when given). */
  function http(method: string, urlPath: string, opts: { body?: unknown; accept?: string } = {}): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = { Authorization: `Bearer ${token}`, Accept: opts.accept ?? 'application/json' };
      if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
      const req = https.request({ host: '127.0.0.1', port: httpsPort, method, path: urlPath, ca: caCert, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type'] ?? ''), body: Buffer.concat(chunks) }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(opts.body === undefined ? undefined : JSON.stringify(opts.body));
    });
  }

  /** GET over HTTP as JSON; fails the test unless 200. */
  async function httpGet(urlPath: string): Promise<JsonObject> {
    const a = await http('GET', urlPath);
    expect(a.status, a.body.toString()).to.equal(200);
    return JSON.parse(a.body.toString()) as JsonObject;
  }

  /** GET over HTTP as Kubernetes protobuf ("k8s\0" + runtime.Unknown), decoded to JSON. */
  async function httpGetProtobuf(urlPath: string): Promise<JsonObject> {
    const a = await http('GET', urlPath, { accept: 'application/vnd.kubernetes.protobuf' });
    expect(a.status, a.body.toString()).to.equal(200);
    expect(a.type).to.equal('application/vnd.kubernetes.protobuf');
    expect(hasMagic(a.body)).to.equal(true);
    return decodeUnknown(a.body.subarray(K8S_PROTOBUF_MAGIC.length)).object;
  }

  /**
   * The object as both doors read it: HTTP JSON, HTTP protobuf and gRPC agree; the shared answer.
   * A null in the JSON (a zero time, `lastProbeTime: null`, as Kubernetes writes it) is the same
   * value as an absent field, which is all protobuf can say.
   */
  async function readBothDoors(urlPath: string, viaGrpc: () => Promise<KubeObject>): Promise<JsonObject> {
    const json = withoutNulls(await httpGet(urlPath)) as JsonObject;
    expect(await httpGetProtobuf(urlPath), `${urlPath} as protobuf`).to.deep.equal(json);
    expect(await viaGrpc(), `${urlPath} over gRPC`).to.deep.equal(json);
    return json;
  }

  it('a Node written over gRPC reads back identically over HTTP and gRPC; a status write defaults allocatable', async () => {
    const sent = fullNode('worker-1');
    await nodes().create(undefined, sent as KubeObject);
    const read = await readBothDoors('/api/v1/nodes/worker-1', () => nodes().get(undefined, 'worker-1'));
    expect(read.spec).to.deep.equal(sent.spec);
    expect(read.status).to.deep.equal(sent.status);
    expect((read.metadata as JsonObject).labels).to.deep.equal((sent.metadata as JsonObject).labels);

    const status: JsonObject = { ...(sent.status as JsonObject), capacity: { cpu: '8', memory: '16Gi', pods: '110' } };
    delete status.allocatable;
    const next: JsonObject = { ...read, status };
    await nodes().updateStatus(undefined, next as KubeObject);
    const after = await readBothDoors('/api/v1/nodes/worker-1', () => nodes().get(undefined, 'worker-1'));
    expect((after.status as JsonObject).allocatable).to.deep.equal({ cpu: '8', memory: '16Gi', pods: '110' });
    expect((after.status as JsonObject).conditions).to.deep.equal((sent.status as JsonObject).conditions);
  });

  it('a Node written over HTTP with Strict field validation keeps every field', async () => {
    const sent = fullNode('worker-2');
    const created = await http('POST', '/api/v1/nodes?fieldValidation=Strict', { body: sent });
    expect(created.status, created.body.toString()).to.equal(201);
    const read = await readBothDoors('/api/v1/nodes/worker-2', () => nodes().get(undefined, 'worker-2'));
    expect(read.spec).to.deep.equal(sent.spec);
    expect(read.status).to.deep.equal(sent.status);
  });

  it('a Pod with affinity, tolerations, topology spread, overhead, gates, priority and ten volume sources, written over HTTP, reads back identically', async () => {
    const sent: JsonObject = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-1', namespace: 'default', labels: { app: 'web' } }, spec: fullPodSpec() };
    const created = await http('POST', '/api/v1/namespaces/default/pods?fieldValidation=Strict', { body: sent });
    expect(created.status, created.body.toString()).to.equal(201);
    const read = await readBothDoors('/api/v1/namespaces/default/pods/web-1', () => pods().get('default', 'web-1'));
    expect(read.spec).to.deep.equal(sent.spec);
    expect(read.status).to.deep.equal({ phase: 'Pending', qosClass: 'Burstable' });

    // The node agent's status write over gRPC, read back over HTTP.
    const next: JsonObject = { ...read, status: fullPodStatus() };
    await pods().updateStatus('default', next as KubeObject);
    const running = await readBothDoors('/api/v1/namespaces/default/pods/web-1', () => pods().get('default', 'web-1'));
    expect(running.status).to.deep.equal(fullPodStatus());
    expect(running.spec).to.deep.equal(sent.spec);
  });

  it('the same Pod written over gRPC reads back identically over HTTP', async () => {
    const sent: JsonObject = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-2', namespace: 'default' }, spec: fullPodSpec() };
    await pods().create('default', sent as KubeObject);
    const read = await readBothDoors('/api/v1/namespaces/default/pods/web-2', () => pods().get('default', 'web-2'));
    expect(read.spec).to.deep.equal(sent.spec);
  });

  it('Strict validation still refuses a field no message has, naming its path', async () => {
    const spec = fullPodSpec();
    (spec.volumes as JsonObject[])[7] = { name: 'shared', nfs: { server: 'nfs.example.com', path: '/exports/shared', bogus: true } };
    const refused = await http('POST', '/api/v1/namespaces/default/pods?fieldValidation=Strict', { body: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-bad' }, spec } });
    expect(refused.status).to.equal(400);
    expect(refused.body.toString()).to.include('spec.volumes[7].nfs.bogus');
  });

  it('a Deployment\'s template keeps the whole pod spec through both doors', async () => {
    const sent: JsonObject = {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'default' },
      spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: fullPodSpec() } },
    };
    await grpc.resource(deploymentStrategy.info).create('default', sent as KubeObject);
    const read = await readBothDoors('/apis/apps/v1/namespaces/default/deployments/web', () => grpc.resource(deploymentStrategy.info).get('default', 'web'));
    expect((read.spec as JsonObject).template).to.deep.equal((sent.spec as JsonObject).template);
  });

  it('an Event (series, related, reportingComponent/Instance, eventTime), Endpoints and a node Lease written over gRPC read back over HTTP', async () => {
    const cases: Array<[JsonObject, ResourceInfo, string]> = [
      [fullEvent(), eventStrategy.info, '/api/v1/namespaces/default/events/web-1.17c8a0d6a8b5c4e3'],
      [fullEndpoints(), endpointsStrategy.info, '/api/v1/namespaces/default/endpoints/web'],
      [fullLease(), leaseStrategy.info, '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/worker-1'],
    ];
    for (const [sent, info, urlPath] of cases) {
      const meta = sent.metadata as { name: string; namespace: string };
      await grpc.resource(info).create(meta.namespace, sent as KubeObject);
      const read = await readBothDoors(urlPath, () => grpc.resource(info).get(meta.namespace, meta.name));
      const { metadata: _sentMeta, ...sentRest } = sent;
      const { metadata: readMeta, ...readRest } = read;
      expect(readRest, String(sent.kind)).to.deep.equal(sentRest);
      expect((readMeta as JsonObject).name).to.equal(meta.name);
    }
  });

  it('a Binding over gRPC and over HTTP sets the pod\'s node', async () => {
    const simple = (name: string): KubeObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'busybox:1.36' }] } });
    await pods().create('default', simple('bind-1'));
    await pods().create('default', simple('bind-2'));
    const target = { apiVersion: 'v1', kind: 'Node', name: 'worker-1' };
    await pods().bind('default', 'bind-1', { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'bind-1', namespace: 'default' }, target } as KubeObject);
    const bound = await http('POST', '/api/v1/namespaces/default/pods/bind-2/binding', { body: { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'bind-2' }, target } });
    expect(bound.status, bound.body.toString()).to.equal(201);
    for (const name of ['bind-1', 'bind-2']) {
      const read = await readBothDoors(`/api/v1/namespaces/default/pods/${name}`, () => pods().get('default', name));
      expect((read.spec as JsonObject).nodeName).to.equal('worker-1');
    }
  });

  it('kubectl explain describes the new fields from the apiserver\'s OpenAPI documents', async () => {
    const explain = (field: string): Promise<{ code: number; out: string }> => new Promise((resolve) => {
      execFile('kubectl', ['--kubeconfig', kubeconfig, '--cache-dir', path.join(dir, 'kube-cache'), 'explain', field],
        { timeout: KUBECTL_TIMEOUT_MS, env: { ...process.env, HOME: dir } },
        (err, stdout, stderr) => resolve({ code: err ? 1 : 0, out: `${stdout}${stderr}` }));
    });
    const taints = await explain('node.spec.taints');
    expect(taints.code, taints.out).to.equal(0);
    expect(taints.out).to.match(/FIELD:\s+taints <\[\]Taint>/);
    expect(taints.out).to.match(/effect\s+<string> -required-/);
    const affinity = await explain('pod.spec.affinity.nodeAffinity');
    expect(affinity.code, affinity.out).to.equal(0);
    expect(affinity.out).to.match(/requiredDuringSchedulingIgnoredDuringExecution\s+<NodeSelector>/);
  });
});
