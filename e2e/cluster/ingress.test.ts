import { expect } from 'chai';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { RESOURCES } from '../../lib/api/resources';
import type { Event } from '../../lib/api/types/core';
import { LocalIngress } from '../../lib/launcher/ingress-process';
import { componentServingTls } from '../../lib/launcher/component-args';
import { freePort } from '../../lib/launcher/store-cluster';
import { BOSUN_INGRESS, componentKubeconfigPath } from '../../cli/component-identities';
import { selfSignedCertificate } from '../../services/ingress/tls-certificates';
import { ControlPlaneCluster } from '../support/control-plane-cluster';

/** How long the controllers and the ingress may take to act through the real processes, ms. */
const SETTLE_MS = 30_000;
/** The simulated nodes' InternalIPs: the LoadBalancer addresses. */
const NODE_IPS = ['127.0.0.11', '127.0.0.12'];

type Reply = { status: number; body: string; cert?: tls.PeerCertificate };

/** One request to the ingress on 127.0.0.1 with `host` as Host header (and SNI name, over TLS). */
function request(port: number, host: string, pathname: string, secure = false, ca?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const options = { host: '127.0.0.1', port, path: pathname, headers: { host }, agent: false as const };
    const onResponse = (res: http.IncomingMessage) => {
      let body = '';
      const cert = secure ? (res.socket as tls.TLSSocket).getPeerCertificate() : undefined;
      res.setEncoding('utf8').on('data', (d) => (body += d)).on('end', () => resolve({ status: res.statusCode!, body, ...(cert ? { cert } : {}) }));
    };
    const req = secure ? https.request({ ...options, servername: host, ...(ca ? { ca } : { rejectUnauthorized: false }) }, onResponse) : http.request(options, onResponse);
    req.on('error', reject);
    req.end();
  });
}

/**
 * Ingress and LoadBalancer Services through real processes (store, apiserver, scheduler,
 * controller-manager, `bosun ingress`) and the real kubectl. The backend is an HTTP server of
 * this test on 127.0.0.1, behind a selector-less Service whose Endpoints the test writes (the
 * controller-manager mirrors them into EndpointSlices), so no node agent is needed. Simulated
 * nodes with 127.0.0.0/8 InternalIPs are the LoadBalancer's nodes.
 */
describe('ingress and LoadBalancer Services through real processes and kubectl', function () {
  this.timeout(120_000);
  let cluster: ControlPlaneCluster;
  let ingress: LocalIngress;
  let backend: http.Server;
  let backendPort = 0;
  const cert = selfSignedCertificate('web.example.com', ['web.example.com']);

  before(async () => {
    backend = http.createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(`hello from the backend: ${req.headers.host} ${req.url} ${req.headers['x-forwarded-proto']}`);
    });
    await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
    backendPort = (backend.address() as AddressInfo).port;
    cluster = await ControlPlaneCluster.start('ingress', { nodes: NODE_IPS.map((ip, i) => ({ name: `sim-${i + 1}`, internalIP: ip })) });
    const kubeconfig = componentKubeconfigPath(cluster.dir, BOSUN_INGRESS.component);
    const ports = { http: await freePort(), https: await freePort(), grpc: await freePort() };
    ingress = new LocalIngress('ingress', ports, path.join(cluster.dir, 'logs', 'ingress.log'), [], '127.0.0.1', [], process.env, { kubeconfig, metricsPort: await freePort(), servingTls: componentServingTls(path.join(cluster.dir, 'pki'), 'ingress') });
    ingress.start();
    await ingress.waitReady();
  });
  after(async () => {
    await ingress?.kill('SIGTERM');
    await cluster?.stop();
    backend?.close();
  });

  const kubectl = (args: string[], input?: string) => cluster.kubectlOk(args, input);

  it('makes the default IngressClass bosun, which kubectl lists', async () => {
    const out = await cluster.waitFor(async () => {
      const o = await kubectl(['get', 'ingressclass']);
      return o.includes('bosun') ? o : undefined;
    }, SETTLE_MS, 'the IngressClass');
    expect(out).to.match(/^NAME\s+CONTROLLER\s+PARAMETERS\s+AGE\n/);
    expect(out).to.match(/^bosun\s+bosun\.dev\/ingress-controller\s+<none>\s+/m);
  });

  it('routes kubectl create ingress by Host to a Service with manual Endpoints, shows ADDRESS, 404 for other hosts', async () => {
    // A selector-less Service (kubectl create service always sets a selector) and its Endpoints.
    await kubectl(['apply', '-f', '-'], [
      'apiVersion: v1', 'kind: Service', 'metadata: {name: web}', 'spec: {ports: [{port: 80, protocol: TCP}]}', '---',
      'apiVersion: v1', 'kind: Endpoints', 'metadata: {name: web}', `subsets: [{addresses: [{ip: 127.0.0.1}], ports: [{port: ${backendPort}, protocol: TCP}]}]`,
    ].join('\n'));
    await kubectl(['create', 'ingress', 'web', '--rule=web.example.com/*=web:80']);
    const table = await cluster.waitFor(async () => {
      const o = await kubectl(['get', 'ingress', 'web']);
      return /127\.0\.0\.1/.test(o) ? o : undefined;
    }, SETTLE_MS, 'the Ingress ADDRESS');
    expect(table).to.match(/^NAME\s+CLASS\s+HOSTS\s+ADDRESS\s+PORTS\s+AGE\n/);
    expect(table).to.match(/^web\s+bosun\s+web\.example\.com\s+127\.0\.0\.1\s+80\s+/m);
    const ok = await cluster.waitFor(async () => {
      const r = await request(ingress.ports.http, 'web.example.com', '/hello?x=1');
      return r.status === 200 ? r : undefined;
    }, SETTLE_MS, 'a 200 through the ingress');
    expect(ok.body).to.equal('hello from the backend: web.example.com /hello?x=1 http');
    expect((await request(ingress.ports.http, 'unknown.example.com', '/')).status).to.equal(404);
    const status = await ingress.status();
    expect(status.routes).to.deep.include({ ingress: 'default/web', host: 'web.example.com', path: '/', pathType: 'Prefix', service: 'web', port: '80', usableEndpoints: 1 });
  });

  it('answers 503 for a Service without endpoints', async () => {
    await kubectl(['create', 'service', 'clusterip', 'empty', '--tcp=80:80']);
    await kubectl(['create', 'ingress', 'empty', '--rule=empty.example.com/*=empty:80']);
    const r = await cluster.waitFor(async () => {
      const reply = await request(ingress.ports.http, 'empty.example.com', '/');
      return reply.status === 503 ? reply : undefined;
    }, SETTLE_MS, 'a 503 for the empty Service');
    expect(r.body).to.include('503');
  });

  it('terminates TLS with the Secret named by the Ingress, chosen by SNI', async () => {
    const dir = fs.mkdtempSync(path.join(cluster.dir, 'tls-'));
    fs.writeFileSync(path.join(dir, 'tls.crt'), cert.cert);
    fs.writeFileSync(path.join(dir, 'tls.key'), cert.key);
    await kubectl(['create', 'secret', 'tls', 'web-tls', `--cert=${path.join(dir, 'tls.crt')}`, `--key=${path.join(dir, 'tls.key')}`]);
    await kubectl(['create', 'ingress', 'web-secure', '--rule=web.example.com/secure*=web:80,tls=web-tls']);
    const r = await cluster.waitFor(async () => {
      const reply = await request(ingress.ports.https, 'web.example.com', '/secure/page', true, cert.cert);
      return reply.status === 200 ? reply : undefined;
    }, SETTLE_MS, 'a 200 over TLS with the Secret\'s certificate');
    expect(r.cert?.subject.CN).to.equal('web.example.com');
    expect(r.body).to.equal('hello from the backend: web.example.com /secure/page https');
    const other = await request(ingress.ports.https, 'unknown.example.com', '/', true);
    expect(other.status).to.equal(404);
    expect(other.cert?.subject.CN).to.equal('Bosun Ingress Controller Default Certificate');
    expect(await kubectl(['get', 'ingress', 'web-secure'])).to.match(/^web-secure\s+bosun\s+web\.example\.com\s+\S*\s+80, 443\s+/m);
  });

  it('reports an Ingress whose TLS Secret is missing as an Event and keeps serving the others', async () => {
    await kubectl(['create', 'ingress', 'broken', '--rule=broken.example.com/*=web:80,tls=no-such-secret']);
    const event = await cluster.waitFor(async () => {
      const events = await cluster.client.resource<Event>(RESOURCES.events).list('default');
      return events.items.find((e) => e.involvedObject?.name === 'broken' && e.reason === 'SecretNotFound');
    }, SETTLE_MS, 'the SecretNotFound Event');
    expect(event.type).to.equal('Warning');
    expect((await request(ingress.ports.http, 'web.example.com', '/')).status).to.equal(200);
    expect((await request(ingress.ports.http, 'broken.example.com', '/')).status).to.equal(200);
  });

  it('gives a LoadBalancer Service the Ready nodes\' InternalIPs as EXTERNAL-IP', async () => {
    await kubectl(['create', 'service', 'loadbalancer', 'lb', '--tcp=80:8080']);
    const wide = await cluster.waitFor(async () => {
      const o = await kubectl(['get', 'svc', 'lb', '-o', 'wide']);
      return o.includes(NODE_IPS.join(',')) ? o : undefined;
    }, SETTLE_MS, 'the LoadBalancer EXTERNAL-IP');
    expect(wide).to.match(new RegExp(`^lb\\s+LoadBalancer\\s+\\S+\\s+${NODE_IPS.join(',').replace(/\./g, '\\.')}\\s+80:\\d+/TCP`, 'm'));
    expect(await kubectl(['get', 'svc', 'lb'])).to.not.include('<pending>');
    const events = await kubectl(['get', 'events', '--field-selector', 'involvedObject.name=lb', '-o', 'jsonpath={.items[*].reason}']);
    expect(events.split(' ')).to.include.members(['EnsuringLoadBalancer', 'EnsuredLoadBalancer']);
  });
});
