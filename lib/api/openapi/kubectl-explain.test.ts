/**
 * Proves the generated documents against the REAL kubectl: a tiny in-process HTTPS server serves
 * /version, legacy discovery and the OpenAPI documents (and echoes writes), and kubectl is run
 * against it with its own empty cache. Skipped when kubectl or openssl is not on the PATH.
 */
import { expect } from 'chai';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openApiDocuments, openApiResponse } from './openapi-documents';
import { groupVersionPath } from './paths';
import { servedResources } from './test-resources';

/** How long one kubectl run may take before the test fails. */
const KUBECTL_TIMEOUT_MS = 45_000;

describe('openapi documents with the real kubectl', function () {
  const resources = servedResources();
  const docs = openApiDocuments(resources);
  const requests: string[] = [];
  /** Created objects by item path, and the bodies of writes. */
  const stored = new Map<string, string>();
  const bodies: Array<{ request: string; type: string; body: string }> = [];
  /** When set, OpenAPI bodies are rewritten before they are sent (for the negative control). */
  let rewriteOpenApi: ((body: string) => string) | undefined;
  let dir = '';
  let server: https.Server | undefined;
  let kubeconfig = '';

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bosun-openapi-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-days', '1',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    const json = (res: import('node:http').ServerResponse, status: number, body: unknown): void => {
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(typeof body === 'string' ? body : JSON.stringify(body));
    };
    const groups = [...new Set(resources.filter((r) => r.group).map((r) => `${r.group}/${r.version}`))];
    server = https.createServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, (req, res) => {
      const url = new URL(req.url ?? '/', 'https://localhost');
      requests.push(`${req.method} ${url.pathname}${url.search}`);
      const openapi = openApiResponse(docs, url.pathname, url.searchParams, req.headers.accept);
      if (openapi) {
        res.writeHead(openapi.status, openapi.headers);
        res.end(rewriteOpenApi && typeof openapi.body === 'string' ? rewriteOpenApi(openapi.body) : openapi.body);
        return;
      }
      if (url.pathname === '/version') return json(res, 200, { major: '1', minor: '32', gitVersion: 'v1.32.0' });
      if (url.pathname === '/api') return json(res, 200, { versions: ['v1'] });
      if (url.pathname === '/apis') {
        return json(res, 200, { groups: groups.map((gv) => ({ name: gv.split('/')[0], versions: [{ groupVersion: gv, version: gv.split('/')[1] }] })) });
      }
      const gvPath = url.pathname.slice(1);
      const mine = resources.filter((r) => groupVersionPath(r) === gvPath);
      if (req.method === 'GET' && mine.length > 0) {
        return json(res, 200, {
          groupVersion: gvPath.replace(/^apis?\//, ''),
          resources: mine.map((r) => ({
            name: r.resource, namespaced: r.namespaced, kind: r.kind,
            verbs: ['get', 'list', 'watch', 'create', 'delete', 'patch', 'update'],
          })),
        });
      }
      if (req.method === 'GET' && stored.has(url.pathname)) return json(res, 200, stored.get(url.pathname)!);
      if (req.method === 'POST' || req.method === 'PATCH') {
        let body = '';
        req.on('data', (c: Buffer) => (body += c.toString()));
        req.on('end', () => {
          const type = req.headers['content-type'] ?? '';
          bodies.push({ request: `${req.method} ${url.pathname}`, type, body });
          // A create is stored and echoed; a server-side apply is echoed; another patch answers the stored object.
          if (req.method === 'POST') {
            stored.set(`${url.pathname}/${(JSON.parse(body) as { metadata: { name: string } }).metadata.name}`, body);
          }
          json(res, req.method === 'POST' ? 201 : 200, type.startsWith('application/apply-patch') ? body : (stored.get(url.pathname) ?? body));
        });
        return;
      }
      json(res, 404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404, message: 'not found' });
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(kubeconfig, [
      'apiVersion: v1', 'kind: Config', 'current-context: t',
      'clusters:', `- name: t`, `  cluster: {server: "https://127.0.0.1:${port}", insecure-skip-tls-verify: true}`,
      'users:', '- name: t', '  user: {token: "t"}',
      'contexts:', '- name: t', '  context: {cluster: t, user: t, namespace: default}', '',
    ].join('\n'));
  });

  after(async () => {
    if (server) await new Promise<void>((resolve) => server!.close(() => resolve()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Runs kubectl asynchronously (the server answering it lives in this process). */
  function kubectl(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return kubectlWithCache('cache', ...args);
  }

  /** Runs kubectl with its own cache directory `cache` (under the test's directory). */
  function kubectlWithCache(cache: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      execFile('kubectl', ['--kubeconfig', kubeconfig, '--cache-dir', join(dir, cache), ...args],
        { timeout: KUBECTL_TIMEOUT_MS, env: { ...process.env, HOME: dir, KUBECONFIG: kubeconfig } },
        (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
    });
  }

  it('kubectl explain deployment.spec.replicas prints the upstream description', async () => {
    const out = await kubectl('explain', 'deployment.spec.replicas');
    expect(out.stderr).to.equal('');
    expect(out.code).to.equal(0);
    expect(out.stdout).to.match(/GROUP:\s+apps/);
    expect(out.stdout).to.match(/FIELD:\s+replicas <integer>/);
    expect(out.stdout).to.include('Number of desired pods.');
    expect(requests.some((r) => r.startsWith('GET /openapi/v3/apis/apps/v1?hash='))).to.equal(true);
  });

  it('kubectl explain walks references, lists, inlined members and special types', async () => {
    const containers = await kubectl('explain', 'deployment.spec.template.spec.containers');
    expect(containers.code, containers.stderr).to.equal(0);
    expect(containers.stdout).to.match(/FIELD:\s+containers <\[\]Container>/);
    expect(containers.stdout).to.match(/name\s+<string> -required-/);
    const volumes = await kubectl('explain', 'pod.spec.volumes.configMap.name');
    expect(volumes.code, volumes.stderr).to.equal(0);
    expect(volumes.stdout).to.match(/FIELD:\s+name <string>/);
    const surge = await kubectl('explain', 'deployment.spec.strategy.rollingUpdate.maxSurge');
    expect(surge.code, surge.stderr).to.equal(0);
    expect(surge.stdout).to.match(/FIELD:\s+maxSurge <IntOrString>/);
    const limits = await kubectl('explain', 'pod.spec.containers.resources.limits');
    expect(limits.code, limits.stderr).to.equal(0);
    expect(limits.stdout).to.match(/FIELD:\s+limits <map\[string\]Quantity>/);
    const created = await kubectl('explain', 'pod.metadata.creationTimestamp');
    expect(created.code, created.stderr).to.equal(0);
    expect(created.stdout).to.match(/FIELD:\s+creationTimestamp <string>/);
  });

  it('kubectl explain describes the complete Node and Pod messages (taints, node affinity, every volume source, node config)', async () => {
    const taints = await kubectl('explain', 'node.spec.taints');
    expect(taints.code, taints.stderr).to.equal(0);
    expect(taints.stdout).to.match(/FIELD:\s+taints <\[\]Taint>/);
    expect(taints.stdout).to.match(/effect\s+<string> -required-/);
    expect(taints.stdout).to.include('timeAdded');
    const affinity = await kubectl('explain', 'pod.spec.affinity.nodeAffinity');
    expect(affinity.code, affinity.stderr).to.equal(0);
    expect(affinity.stdout).to.match(/FIELD:\s+nodeAffinity <NodeAffinity>/);
    expect(affinity.stdout).to.match(/requiredDuringSchedulingIgnoredDuringExecution\s+<NodeSelector>/);
    expect(affinity.stdout).to.match(/preferredDuringSchedulingIgnoredDuringExecution\s+<\[\]PreferredSchedulingTerm>/);
    for (const [path, field] of [
      ['pod.spec.volumes.nfs', /server\s+<string> -required-/],
      ['pod.spec.volumes.csi', /driver\s+<string> -required-/],
      ['pod.spec.volumes.ephemeral.volumeClaimTemplate', /FIELD:\s+volumeClaimTemplate <PersistentVolumeClaimTemplate>/],
      ['deployment.spec.template.spec.topologySpreadConstraints', /maxSkew\s+<integer> -required-/],
      ['node.status.nodeInfo', /kubeletVersion\s+<string> -required-/],
      ['node.status.runtimeHandlers', /FIELD:\s+runtimeHandlers <\[\]NodeRuntimeHandler>/],
      ['node.spec.configSource.configMap', /FIELD:\s+configMap <ConfigMapNodeConfigSource>/],
    ] as const) {
      const out = await kubectl('explain', path);
      expect(out.code, `${path}: ${out.stderr}`).to.equal(0);
      expect(out.stdout, path).to.match(field);
    }
  });

  it('kubectl create -f learns server-side field validation from the v3 document', async () => {
    const manifest = join(dir, 'deploy.yaml');
    writeFileSync(manifest, [
      'apiVersion: apps/v1', 'kind: Deployment', 'metadata: {name: web}',
      'spec: {selector: {matchLabels: {app: web}}, template: {metadata: {labels: {app: web}}, spec: {containers: [{name: web, image: nginx}]}}}', '',
    ].join('\n'));
    requests.length = 0;
    const out = await kubectl('create', '-f', manifest);
    expect(out.code, out.stderr).to.equal(0);
    expect(out.stdout).to.match(/deployment.apps\/web created/);
    const post = requests.find((r) => r.startsWith('POST /apis/apps/v1/namespaces/default/deployments'));
    expect(post, requests.join('\n')).to.include('fieldValidation=Strict');
  });

  it('kubectl apply -f (client-side) and apply --server-side accept the documents', async () => {
    const manifest = join(dir, 'cm.yaml');
    writeFileSync(manifest, 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\ndata: {a: "1"}\n');
    requests.length = 0;
    const client = await kubectl('apply', '-f', manifest);
    expect(client.code, client.stderr).to.equal(0);
    expect(client.stdout).to.match(/configmap\/cfg created/);
    expect(requests.find((r) => r.startsWith('POST /api/v1/namespaces/default/configmaps')), requests.join('\n')).to.include('fieldValidation=Strict');
    requests.length = 0;
    const server = await kubectl('apply', '--server-side', '-f', manifest);
    expect(server.code, server.stderr).to.equal(0);
    expect(server.stdout).to.match(/configmap\/cfg serverside-applied/);
    expect(requests.find((r) => r.startsWith('PATCH /api/v1/namespaces/default/configmaps/cfg')), requests.join('\n')).to.include('fieldValidation=Strict');
  });

  /** Applies a two-container Deployment `name` with image nginx:1, then nginx:2; the second PATCH's pod spec. */
  async function applyTwice(name: string, cache: string): Promise<Record<string, unknown>> {
    const manifest = (image: string): string => {
      const file = join(dir, `${name}-${image.replace(/\W/g, '-')}.yaml`);
      writeFileSync(file, [
        'apiVersion: apps/v1', 'kind: Deployment', `metadata: {name: ${name}}`,
        'spec: {selector: {matchLabels: {app: web}}, template: {metadata: {labels: {app: web}}, spec: {containers: [',
        `  {name: web, image: "${image}", ports: [{containerPort: 80}]}, {name: side, image: busybox}]}}}`, '',
      ].join('\n'));
      return file;
    };
    const first = await kubectlWithCache(cache, 'apply', '-f', manifest('nginx:1'));
    expect(first.code, first.stderr).to.equal(0);
    bodies.length = 0;
    const second = await kubectlWithCache(cache, 'apply', '-f', manifest('nginx:2'));
    expect(second.code, second.stderr).to.equal(0);
    expect(second.stdout).to.include(`deployment.apps/${name} configured`);
    const patch = bodies.find((b) => b.request === `PATCH /apis/apps/v1/namespaces/default/deployments/${name}`);
    expect(patch, JSON.stringify(bodies)).to.not.equal(undefined);
    expect(patch!.type).to.equal('application/strategic-merge-patch+json');
    return (JSON.parse(patch!.body) as { spec: { template: { spec: Record<string, unknown> } } }).spec.template.spec;
  }

  it('kubectl apply -f builds a strategic merge patch with the merge keys of the v3 document', async () => {
    const spec = await applyTwice('web-smp', 'cache');
    // Only the changed container, identified by its merge key, with the list order kept aside.
    expect(spec['$setElementOrder/containers']).to.deep.equal([{ name: 'web' }, { name: 'side' }]);
    expect(spec.containers).to.deep.equal([{ image: 'nginx:2', name: 'web' }]);
  });

  it('kubectl takes the merge key from the document, not from its compiled-in types (negative control)', async () => {
    rewriteOpenApi = (body) => body.split('"x-kubernetes-patch-merge-key":"name"').join('"x-kubernetes-patch-merge-key":"image"');
    try {
      const spec = await applyTwice('web-control', 'cache-control');
      expect(spec['$setElementOrder/containers']).to.deep.equal([{ image: 'nginx:2' }, { image: 'busybox' }]);
    } finally {
      rewriteOpenApi = undefined;
    }
  });
});
