import { expect } from 'chai';
import * as grpc from '@grpc/grpc-js';
import * as https from 'node:https';
import * as path from 'node:path';
import { RESOURCES } from '../../../lib/api/resources';
import { GrpcApiClient } from '../../../lib/client/grpc-api-client';
import { writeKubeconfig } from '../../../lib/client/kubeconfig';
import { checkHealth } from '../../../lib/grpc/health-check';
import { ensureComponentCert } from '../../../lib/pki/component-certs';
import { makeCertificate } from '../../../lib/pki/x509';
import { ANONYMOUS_FORBIDDEN_MESSAGE, NO_CREDENTIALS_MESSAGE } from '../grpc/authentication';
import { httpsRequest } from '../http/test-clients';
import { runKubectl } from '../http/test-clients';
import { TwoDoorApiServer } from '../test-api-server';

/** Health answers within this (ms). */
const HEALTH_TIMEOUT_MS = 5_000;

/** The outcome of a promise: its error, or undefined when it resolved. */
function failure(p: Promise<unknown>): Promise<Error | undefined> {
  return p.then(() => undefined, (e: unknown) => e as Error);
}

/**
 * X.509 client certificates on both doors of a real apiserver (RBAC on, gRPC over TLS,
 * anonymous off): the real kubectl with a client-certificate kubeconfig, grpc-js clients with
 * and without certificates, and a certificate from another CA.
 */
describe('client certificates and TLS on the apiserver doors', function () {
  this.timeout(120_000);
  let t: TwoDoorApiServer;
  let certDir: string;
  let caCert: string;
  /** carol (group devs), issued by the cluster CA. */
  let carol: { cert: string; key: string };
  /** mallory in system:masters, issued by a CA the cluster does not know. */
  let forged: { cert: string; key: string };

  before(async () => {
    t = await TwoDoorApiServer.start('bosun-x509-', { authorizationMode: ['RBAC'], grpcTls: true });
    certDir = path.join(t.dir, 'pki');
    caCert = t.server.http!.tls.caCert;
    carol = ensureComponentCert(certDir, { name: 'client-carol', commonName: 'carol', organization: 'devs', usage: 'client' });
    const otherCa = makeCertificate({ subject: { commonName: 'another-ca' }, usage: 'ca', validityDays: 1 });
    forged = makeCertificate({ subject: { commonName: 'mallory', organization: 'system:masters' }, usage: 'client', validityDays: 1, issuer: otherCa });
  });
  after(async () => t?.stop());

  function certKubeconfig(name: string, pair: { cert: string; key: string }): string {
    const file = path.join(t.dir, `${name}.kubeconfig`);
    writeKubeconfig(file, { clusterName: 'x509', userName: name, server: t.server.http!.url, caData: Buffer.from(caCert).toString('base64'), clientCert: pair.cert, clientKey: pair.key, grpcEndpoints: [t.server.grpcAddress] });
    return file;
  }

  it('kubectl with a client certificate is its CN in its O groups, and RBAC applies to that user', async () => {
    const kubeconfig = certKubeconfig('carol', carol);
    const whoami = await runKubectl(kubeconfig, t.dir, ['auth', 'whoami', '-o', 'json']);
    expect(whoami.code, whoami.stderr).to.equal(0);
    const status = JSON.parse(whoami.stdout).status.userInfo;
    expect(status.username).to.equal('carol');
    expect(status.groups).to.have.members(['devs', 'system:authenticated']);
    const denied = await runKubectl(kubeconfig, t.dir, ['get', 'configmaps', '-n', 'default']);
    expect(denied.code).to.not.equal(0);
    expect(denied.stderr).to.include('User "carol" cannot list resource "configmaps"');
  });

  it('a certificate from another CA is answered 401 on HTTPS (the handshake completes: certificates are asked for, not required)', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = https.request({ host: '127.0.0.1', port: t.server.http!.port, path: '/api/v1/namespaces', ca: caCert, cert: forged.cert, key: forged.key }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).to.equal(401);
    const kubectl = await runKubectl(certKubeconfig('mallory', forged), t.dir, ['get', 'namespaces']);
    expect(kubectl.stderr).to.include('Unauthorized');
  });

  it('the gRPC door is TLS: a cluster certificate authenticates, none or another CA\'s is UNAUTHENTICATED, health stays open', async () => {
    const masters = ensureComponentCert(certDir, { name: 'client-root', commonName: 'root', organization: 'system:masters', usage: 'client' });
    const asRoot = new GrpcApiClient({ endpoints: [t.server.grpcAddress], tls: { caCert, cert: masters.cert, key: masters.key } });
    const asCarol = new GrpcApiClient({ endpoints: [t.server.grpcAddress], tls: { caCert, ...carol } });
    const anonymous = new GrpcApiClient({ endpoints: [t.server.grpcAddress], tls: { caCert } });
    const asMallory = new GrpcApiClient({ endpoints: [t.server.grpcAddress], tls: { caCert, ...forged } });
    const plain = new GrpcApiClient({ endpoints: [t.server.grpcAddress], callTimeoutMs: 3_000, token: t.token });
    try {
      expect((await asRoot.resource(RESOURCES.namespaces).list('')).items.map((n) => n.metadata.name)).to.include('default');
      expect(String(await failure(asCarol.resource(RESOURCES.configmaps).list('default')))).to.include('User "carol" cannot list resource "configmaps"');
      for (const client of [anonymous, asMallory]) {
        const err = await failure(client.resource(RESOURCES.namespaces).list(''));
        expect(err?.message).to.equal(NO_CREDENTIALS_MESSAGE);
        expect((err as Error & { code?: number }).code).to.equal(401);
      }
      expect(await checkHealth(t.server.grpcAddress, { caCert }, HEALTH_TIMEOUT_MS)).to.equal('SERVING');
      // A plain-text client never gets an answer from a TLS door.
      expect(String(await failure(plain.resource(RESOURCES.namespaces).list('')))).to.include('the server is currently unable to handle the request');
    } finally {
      for (const c of [asRoot, asCarol, anonymous, asMallory, plain]) c.close();
    }
  });

  it('a server certificate from another CA is refused by a client (the client checks the cluster CA)', async () => {
    const other = makeCertificate({ subject: { commonName: 'another-ca' }, usage: 'ca', validityDays: 1 });
    const err = await failure(checkHealth(t.server.grpcAddress, { caCert: other.cert }, HEALTH_TIMEOUT_MS));
    expect((err as grpc.ServiceError | undefined)?.code).to.equal(grpc.status.UNAVAILABLE);
  });

  it('with --anonymous-auth=true, a request without credentials is system:anonymous: public paths and health only', async () => {
    const open = await TwoDoorApiServer.start('bosun-anonymous-', { authorizationMode: ['RBAC'], grpcTls: true, anonymousAuth: true });
    const ca = open.server.http!.tls.caCert;
    const anonymous = new GrpcApiClient({ endpoints: [open.server.grpcAddress], tls: { caCert: ca } });
    try {
      const http = (urlPath: string) => httpsRequest({ port: open.server.http!.port, caCert: ca, token: null }, 'GET', urlPath);
      expect((await http('/version')).status).to.equal(200);
      expect((await http('/readyz')).status).to.equal(200);
      const refused = await http('/api/v1/namespaces');
      expect(refused.status, refused.body).to.equal(403);
      expect(refused.body).to.include('system:anonymous');
      const err = await failure(anonymous.resource(RESOURCES.namespaces).list(''));
      expect((err as Error & { code?: number }).code).to.equal(403);
      expect(err?.message).to.equal(ANONYMOUS_FORBIDDEN_MESSAGE);
      expect(await checkHealth(open.server.grpcAddress, { caCert: ca }, HEALTH_TIMEOUT_MS)).to.equal('SERVING');
    } finally {
      anonymous.close();
      await open.stop();
    }
  });
});
