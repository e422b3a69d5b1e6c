import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { componentServingTls } from '../launcher/component-args';
import { ensureComponentCert } from '../pki/component-certs';
import { makeCertificate } from '../pki/x509';
import { checkHealth } from './health-check';
import { ServiceHost } from './service-host';

/** Health answers within this (ms). */
const HEALTH_TIMEOUT_MS = 5_000;

/** The error of a promise that must fail. */
async function failure(p: Promise<unknown>): Promise<Error> {
  const err = await p.then(() => undefined, (e: unknown) => e as Error);
  expect(err, 'expected a failure').to.be.instanceOf(Error);
  return err!;
}

/** A component's status server over TLS, on real sockets: what `bosun up` runs with --tls-cert-file. */
describe('ServiceHost over TLS', () => {
  let dir: string;
  let caCert: string;
  const hosts: ServiceHost[] = [];

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bosun-grpc-tls-'));
    const ca = makeCertificate({ subject: { commonName: 'test-ca' }, usage: 'ca', validityDays: 1 });
    fs.writeFileSync(path.join(dir, 'ca.crt'), ca.cert);
    fs.writeFileSync(path.join(dir, 'ca.key'), ca.key);
    caCert = ca.cert;
  });
  after(async () => {
    await Promise.all(hosts.map((h) => h.shutdown(100)));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function serve(tls: ConstructorParameters<typeof ServiceHost>[3]): Promise<string> {
    const host = new ServiceHost([], {}, undefined, tls);
    hosts.push(host);
    return `127.0.0.1:${await host.listen('127.0.0.1:0')}`;
  }

  it('serves the component certificate: a client checking the CA gets health, a plain-text client or another CA does not', async () => {
    const files = componentServingTls(dir, 'scheduler-1');
    const endpoint = await serve({ cert: fs.readFileSync(files.certFile, 'utf8'), key: fs.readFileSync(files.keyFile, 'utf8') });
    expect(await checkHealth(endpoint, { caCert }, HEALTH_TIMEOUT_MS)).to.equal('SERVING');
    await failure(checkHealth(endpoint, undefined, HEALTH_TIMEOUT_MS));
    const other = makeCertificate({ subject: { commonName: 'other-ca' }, usage: 'ca', validityDays: 1 });
    await failure(checkHealth(endpoint, { caCert: other.cert }, HEALTH_TIMEOUT_MS));
  });

  it('with a required client certificate, refuses a caller without one of the CA at the handshake', async () => {
    const serving = componentServingTls(dir, 'node-1');
    const endpoint = await serve({ cert: fs.readFileSync(serving.certFile, 'utf8'), key: fs.readFileSync(serving.keyFile, 'utf8'), clientCa: caCert, requireClientCert: true });
    const client = ensureComponentCert(dir, { name: 'client-test', commonName: 'test', usage: 'client' });
    expect(await checkHealth(endpoint, { caCert, cert: client.cert, key: client.key }, HEALTH_TIMEOUT_MS)).to.equal('SERVING');
    await failure(checkHealth(endpoint, { caCert }, HEALTH_TIMEOUT_MS));
  });
});
