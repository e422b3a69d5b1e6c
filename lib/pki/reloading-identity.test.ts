import { expect } from 'chai';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { checkHealth } from '../grpc/health-check';
import { ServiceHost } from '../grpc/service-host';
import { grpcChannelCredentials } from '../grpc/tls';
import * as grpc from '@grpc/grpc-js';
import { renewCertificateFile } from './cert-renewal';
import { ensureComponentCert } from './component-certs';
import { ReloadingIdentity, serveReloadingIdentity, type IdentityPem } from './reloading-identity';
import { makeCertificate } from './x509';

/** How long a real connection may take here (ms). */
const CONNECT_TIMEOUT_MS = 5_000;
/** How long a renewal may take to reach a listener whose timer checks the files (ms). */
const RELOAD_TIMEOUT_MS = 5_000;

/** The serial number of the certificate a TLS server at `port` presents to a new connection. */
function servedSerial(port: number, ca: string, alpn?: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, ca, servername: 'localhost', ...(alpn ? { ALPNProtocols: alpn } : {}), timeout: CONNECT_TIMEOUT_MS }, () => {
      const serial = socket.getPeerCertificate().serialNumber;
      socket.destroy();
      resolve(serial);
    });
    socket.on('error', reject);
    socket.on('timeout', () => socket.destroy(new Error('TLS connect timed out')));
  });
}

/** Waits (bounded) until `ready()` holds. */
async function waitFor(ready: () => Promise<boolean> | boolean, what: string): Promise<void> {
  const deadline = Date.now() + RELOAD_TIMEOUT_MS;
  while (!(await ready())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The serial number of a PEM certificate, as getPeerCertificate() writes it. */
function serialOf(pem: string): string {
  return new crypto.X509Certificate(pem).serialNumber;
}

describe('lib/pki/reloading-identity: certificates followed from their files', () => {
  let dir: string;
  let ca: string;
  const crt = () => path.join(dir, 'leaf.crt');
  const key = () => path.join(dir, 'leaf.key');
  const cleanups: (() => Promise<void> | void)[] = [];

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bosun-reloading-identity-'));
    const made = makeCertificate({ subject: { commonName: 'test-ca' }, usage: 'ca', validityDays: 1 });
    fs.writeFileSync(path.join(dir, 'ca.crt'), made.cert);
    fs.writeFileSync(path.join(dir, 'ca.key'), made.key);
    ca = made.cert;
    ensureComponentCert(dir, { name: 'leaf', commonName: 'leaf', usage: 'peer', hosts: ['127.0.0.1', 'localhost'] });
  });
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('takes renewed files, ignoring a half-written renewal (new key, old certificate) until it is complete', () => {
    const identity = ReloadingIdentity.fromFiles(crt(), key(), 60_000);
    const first = identity.current();
    expect(identity.check(), 'nothing changed').to.equal(false);
    const next = makeCertificate({ subject: { commonName: 'leaf' }, usage: 'peer', validityDays: 1, issuer: { cert: ca, key: fs.readFileSync(path.join(dir, 'ca.key'), 'utf8') } });
    fs.writeFileSync(key(), next.key);
    expect(identity.check(), 'the key does not fit the certificate yet').to.equal(false);
    expect(identity.current()).to.deep.equal(first);
    fs.writeFileSync(crt(), next.cert);
    const heard: IdentityPem[] = [];
    const stop = identity.subscribe((i) => heard.push(i));
    expect(identity.check()).to.equal(true);
    expect(identity.current()).to.deep.equal(next);
    expect(heard).to.deep.equal([next]);
    stop();
    // Unreadable files keep the identity it has.
    fs.rmSync(crt());
    expect(identity.check()).to.equal(false);
    expect(identity.current()).to.deep.equal(next);
  });

  it('refuses files that do not fit together at the start', () => {
    const other = makeCertificate({ subject: { commonName: 'other' }, usage: 'client', validityDays: 1 });
    fs.writeFileSync(path.join(dir, 'other.key'), other.key);
    expect(() => ReloadingIdentity.fromFiles(crt(), path.join(dir, 'other.key'))).to.throw();
  });

  it('a Node TLS server serves the renewed certificate to new connections, without a restart', async () => {
    const identity = ReloadingIdentity.fromFiles(crt(), key());
    const options = { cert: identity.current().cert, key: identity.current().key };
    const server = tls.createServer(options, (s) => s.end());
    serveReloadingIdentity(server, identity, options);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
    const port = (server.address() as AddressInfo).port;
    const before = await servedSerial(port, ca);
    expect(before).to.equal(serialOf(options.cert));
    renewCertificateFile(dir, 'leaf');
    const renewed = serialOf(fs.readFileSync(crt(), 'utf8'));
    await waitFor(async () => (await servedSerial(port, ca)) === renewed, 'the renewed certificate to be served');
  });

  it('a connection ends when the client certificate of its handshake expires', async () => {
    const identity = ReloadingIdentity.fromFiles(crt(), key());
    const options = { ...identity.current(), ca, requestCert: true, rejectUnauthorized: true };
    const server = tls.createServer(options, () => undefined);
    serveReloadingIdentity(server, identity, options);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
    // A client certificate that expires 2 s from now (notBefore is backdated, so it is valid at once).
    const client = makeCertificate({ subject: { commonName: 'brief' }, usage: 'client', validityDays: 2 / 86400, issuer: { cert: ca, key: fs.readFileSync(path.join(dir, 'ca.key'), 'utf8') } });
    const socket = tls.connect({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, ca, servername: 'localhost', cert: client.cert, key: client.key });
    cleanups.push(() => void socket.destroy());
    await new Promise<void>((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject));
    let closed = false;
    socket.once('close', () => (closed = true));
    await waitFor(() => closed, 'the server to end the connection once the client certificate expired');
    expect(Date.now()).to.be.at.least(Date.parse(new crypto.X509Certificate(client.cert).validTo));
  });

  it('a gRPC server serves, and a gRPC client presents, the renewed certificate on new connections', async () => {
    // The server: a ServiceHost with the followed identity, requiring client certificates of the CA.
    const serving = ReloadingIdentity.fromFiles(crt(), key());
    const host = new ServiceHost([], {}, undefined, { ...serving.current(), clientCa: ca, requireClientCert: true, identity: serving });
    cleanups.push(() => host.shutdown(100));
    const port = await host.listen('127.0.0.1:0');
    const client = ensureComponentCert(dir, { name: 'client', commonName: 'client', usage: 'client' });
    const clientIdentity = ReloadingIdentity.fromFiles(path.join(dir, 'client.crt'), path.join(dir, 'client.key'));
    const clientTls = { caCert: ca, identity: clientIdentity };
    expect(await checkHealth(`127.0.0.1:${port}`, clientTls, CONNECT_TIMEOUT_MS)).to.equal('SERVING');
    expect(await servedSerial(port, ca, ['h2'])).to.equal(serialOf(serving.current().cert));

    renewCertificateFile(dir, 'leaf');
    const renewedServing = serialOf(fs.readFileSync(crt(), 'utf8'));
    await waitFor(async () => (await servedSerial(port, ca, ['h2'])) === renewedServing, 'the gRPC server to serve the renewed certificate');

    // The client: one set of channel credentials, before and after its certificate is renewed;
    // a TLS server that records the client certificate each handshake presents.
    const presented: string[] = [];
    const recorder = tls.createServer({ ...serving.current(), ca, requestCert: true, rejectUnauthorized: true, ALPNProtocols: ['h2'] }, (s) => {
      presented.push(s.getPeerCertificate().serialNumber);
      s.destroy();
    });
    await new Promise<void>((r) => recorder.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => recorder.close(() => r())));
    const target = `127.0.0.1:${(recorder.address() as AddressInfo).port}`;
    const credentials = grpcChannelCredentials(clientTls);
    const dial = async () => {
      const c = new grpc.Client(target, credentials);
      const before = presented.length;
      try {
        c.waitForReady(Date.now() + 300, () => undefined);
        await waitFor(() => presented.length > before, 'a handshake with the recorder');
      } finally {
        c.close();
      }
      return presented[presented.length - 1];
    };
    expect(await dial()).to.equal(serialOf(client.cert));
    renewCertificateFile(dir, 'client');
    const renewedClient = serialOf(fs.readFileSync(path.join(dir, 'client.crt'), 'utf8'));
    await waitFor(async () => (await dial()) === renewedClient, 'the client to present its renewed certificate');
    // The renewed client certificate opens the real server too.
    expect(await checkHealth(`127.0.0.1:${port}`, clientTls, CONNECT_TIMEOUT_MS)).to.equal('SERVING');
  });
});
