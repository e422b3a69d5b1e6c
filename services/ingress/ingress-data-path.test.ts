import { expect } from 'chai';
import * as http from 'node:http';
import * as http2 from 'node:http2';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import * as tls from 'node:tls';
import pino from 'pino';
import type { Secret, Service } from '../../lib/api/types/core';
import type { EndpointSlice } from '../../lib/api/types/discovery';
import type { Ingress } from '../../lib/api/types/networking';
import { ServiceTable } from '../../lib/network/service-table';
import { IngressProxy } from './http-proxy';
import { IngressListeners } from './ingress-listeners';
import { NO_INGRESS_METRICS } from './ingress-metrics';
import { RouteTable } from './route-table';
import { secretContext, selfSignedCertificate, SecretContexts } from './tls-certificates';

/** A backend on 127.0.0.1 that echoes what it got as JSON (or streams a POST body back). */
async function backend(name: string): Promise<{ server: http.Server; port: number }> {
  const server = http.createServer((req, res) => {
    if (req.method === 'POST') {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'x-backend': name });
      req.pipe(res);
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'x-backend': name, connection: 'close' });
    res.end(JSON.stringify({ backend: name, url: req.url, headers: req.headers }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

/** A port nothing listens on (bound then closed). */
async function closedPort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

const service = (name: string): Service => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' }, spec: { clusterIP: '10.43.0.9', ports: [{ name: 'http', port: 80, protocol: 'TCP' }] } });
const slice = (svc: string, endpoints: { ip: string; port: number; ready?: boolean }[]): EndpointSlice[] =>
  endpoints.map((e, i) => ({
    apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', addressType: 'IPv4',
    metadata: { name: `${svc}-${i}`, namespace: 'default', labels: { 'kubernetes.io/service-name': svc } },
    endpoints: [{ addresses: [e.ip], conditions: { ready: e.ready ?? true } }],
    ports: [{ name: 'http', port: e.port, protocol: 'TCP' }],
  }));

type Reply = { status: number; headers: http.IncomingHttpHeaders; body: string };
function get(port: number, host: string, path: string, init: { method?: string; body?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: init.method ?? 'GET', headers: { host }, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d) => (body += d)).on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

describe('ingress data path over real sockets (HTTP/1.1, TLS by SNI, HTTP/2)', function () {
  this.timeout(30_000);
  let a: { server: http.Server; port: number };
  let b: { server: http.Server; port: number };
  let listeners: IngressListeners;
  const services = new ServiceTable();
  const fooCert = selfSignedCertificate('foo.example.com', ['foo.example.com']);
  const fooSecret: Secret = {
    apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/tls', metadata: { name: 'foo-tls', namespace: 'default', resourceVersion: '1' },
    data: { 'tls.crt': Buffer.from(fooCert.cert).toString('base64'), 'tls.key': Buffer.from(fooCert.key).toString('base64') },
  };
  const contexts = new SecretContexts();
  const ingress: Ingress = {
    apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'web', namespace: 'default' },
    spec: {
      tls: [{ hosts: ['foo.example.com'], secretName: 'foo-tls' }],
      rules: [
        { host: 'foo.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { name: 'http' } } } }] } },
        { host: 'empty.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'empty', port: { number: 80 } } } }] } },
        { host: 'missing.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'nope', port: { number: 80 } } } }] } },
      ],
    },
  };
  const routes = new RouteTable([ingress]);

  before(async () => {
    a = await backend('a');
    b = await backend('b');
    services.setService(service('web'));
    services.setService(service('empty'));
    for (const s of slice('web', [{ ip: '127.0.0.1', port: a.port }, { ip: '127.0.0.2', port: await closedPort() }, { ip: '127.0.0.1', port: b.port }])) services.setSlice(s);
    for (const s of slice('empty', [{ ip: '127.0.0.1', port: a.port, ready: false }])) services.setSlice(s);
    const proxy = new IngressProxy({ routes: () => routes, services, metrics: NO_INGRESS_METRICS, logger: pino({ level: 'silent' }) });
    listeners = await IngressListeners.start({
      httpListen: '127.0.0.1:0',
      httpsListen: '127.0.0.1:0',
      proxy,
      defaultCertificate: selfSignedCertificate('default'),
      certificateFor: (name) => {
        const entry = routes.tlsFor(name);
        const r = entry && entry.secretName === 'foo-tls' ? contexts.get(fooSecret) : undefined;
        return r && 'context' in r ? r.context : undefined;
      },
    });
  });
  after(async () => {
    await listeners.close();
    a.server.close();
    b.server.close();
  });

  it('answers 404 for an unknown host and 503 for a Service without ready endpoints or unknown', async () => {
    expect((await get(listeners.httpPort, 'unknown.test', '/')).status).to.equal(404);
    expect((await get(listeners.httpPort, 'empty.example.com', '/')).status).to.equal(503);
    expect((await get(listeners.httpPort, 'missing.example.com', '/')).status).to.equal(503);
  });

  it('proxies by Host with X-Forwarded headers, round-robin, skipping an endpoint that refuses', async () => {
    const seen: string[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await get(listeners.httpPort, 'foo.example.com', `/x?i=${i}`);
      expect(r.status).to.equal(200);
      const echoed = JSON.parse(r.body) as { backend: string; url: string; headers: Record<string, string> };
      expect(echoed.url).to.equal(`/x?i=${i}`);
      expect(echoed.headers).to.include({ host: 'foo.example.com', 'x-forwarded-proto': 'http', 'x-forwarded-host': 'foo.example.com', 'x-forwarded-for': '127.0.0.1' });
      seen.push(echoed.backend);
    }
    expect(new Set(seen)).to.deep.equal(new Set(['a', 'b']));
  });

  it('streams a request body to the backend and its response back', async () => {
    const big = 'x'.repeat(1 << 20);
    const r = await get(listeners.httpPort, 'foo.example.com', '/upload', { method: 'POST', body: big });
    expect(r.status).to.equal(200);
    expect(r.body.length).to.equal(big.length);
  });

  it('terminates TLS with the Secret chosen by SNI, the default certificate for other names', async () => {
    const peer = (servername: string) =>
      new Promise<tls.PeerCertificate>((resolve, reject) => {
        const s = tls.connect({ host: '127.0.0.1', port: listeners.httpsPort, servername, rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] }, () => {
          resolve(s.getPeerCertificate());
          s.end();
        });
        s.on('error', reject);
      });
    expect((await peer('foo.example.com')).subject.CN).to.equal('foo.example.com');
    expect((await peer('other.test')).subject.CN).to.equal('default');
    const r = await new Promise<Reply>((resolve, reject) => {
      const req = https.request({ host: '127.0.0.1', port: listeners.httpsPort, servername: 'foo.example.com', ca: fooCert.cert, path: '/tls', headers: { host: 'foo.example.com' }, agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (d) => (body += d)).on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      });
      req.on('error', reject);
      req.end();
    });
    expect(r.status).to.equal(200);
    expect(JSON.parse(r.body).headers['x-forwarded-proto']).to.equal('https');
  });

  it('speaks HTTP/2 over TLS (ALPN h2) with node\'s http2 client', async () => {
    const session = http2.connect(`https://127.0.0.1:${listeners.httpsPort}`, { ca: fooCert.cert, servername: 'foo.example.com' });
    try {
      expect(await new Promise((resolve) => session.once('connect', () => resolve(session.alpnProtocol)))).to.equal('h2');
      const reply = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        // The backend answers `connection: close`: forwarding it would break the HTTP/2 response.
        const stream = session.request({ ':path': '/h2', ':method': 'GET', ':authority': 'foo.example.com' });
        let status = 0;
        let body = '';
        stream.on('response', (h) => (status = Number(h[':status'])));
        stream.setEncoding('utf8').on('data', (d) => (body += d)).on('end', () => resolve({ status, body })).on('error', reject);
        stream.end();
      });
      expect(reply.status).to.equal(200);
      const echoed = JSON.parse(reply.body) as { url: string; headers: Record<string, string> };
      expect(echoed.url).to.equal('/h2');
      expect(echoed.headers).to.include({ host: 'foo.example.com', 'x-forwarded-proto': 'https' });
      const missing = await new Promise<number>((resolve) => {
        const stream = session.request({ ':path': '/', ':authority': 'nowhere.test' });
        stream.on('response', (h) => resolve(Number(h[':status'])));
        stream.resume();
        stream.end();
      });
      expect(missing).to.equal(404);
    } finally {
      session.close();
    }
  });

  it('reports a Secret that is not a usable TLS Secret', () => {
    expect(secretContext({ ...fooSecret, type: 'Opaque' })).to.deep.equal({ error: 'secret default/foo-tls is of type "Opaque", not kubernetes.io/tls' });
    expect(secretContext({ ...fooSecret, data: {} })).to.deep.equal({ error: 'secret default/foo-tls lacks tls.crt or tls.key' });
    expect('error' in secretContext({ ...fooSecret, data: { 'tls.crt': 'AAAA', 'tls.key': 'AAAA' } })).to.equal(true);
  });
});
