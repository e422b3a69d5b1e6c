import { expect } from 'chai';
import { ApiError } from '../../../lib/api/errors';
import { RESOURCES } from '../../../lib/api/resources';
import type { KubeObject } from '../../../lib/api/object';
import { GrpcApiClient } from '../../../lib/client/grpc-api-client';
import { httpsRequest, runKubectl } from '../http/test-clients';
import { TwoDoorApiServer } from '../test-api-server';
import { POD_NAME_EXTRA } from './service-account-tokens';

const NS = 'sa-tokens';

/**
 * ServiceAccount tokens through one real apiserver (RBAC on, as a cluster with per-identity
 * permissions runs) on a real store: `kubectl create token` issues them, `kubectl --token`
 * and a GrpcApiClient present them on both doors, and deleting the ServiceAccount or the bound
 * pod voids them (401 on HTTPS, UNAUTHENTICATED on gRPC).
 */
describe('ServiceAccount tokens (a real apiserver, kubectl and gRPC)', function () {
  this.timeout(90_000);
  let t: TwoDoorApiServer;
  /** The gRPC door as the cluster admin (t.grpc is anonymous, which RBAC refuses). */
  let admin: GrpcApiClient;

  before(async () => {
    t = await TwoDoorApiServer.start('bosun-sa-tokens-', { authorizationMode: 'RBAC', serviceAccountTokens: true, users: [{ name: 'eve', groups: [] }] });
    admin = new GrpcApiClient({ endpoints: [t.server.grpcAddress], token: t.token });
    await admin.resource(RESOURCES.namespaces).create(undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    await admin.resource(RESOURCES.serviceaccounts).create(NS, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'robot' } });
  });

  after(async () => {
    admin?.close();
    await t?.stop();
  });

  async function createToken(args: string[] = []): Promise<string> {
    const run = await t.kubectl(['create', 'token', 'robot', '-n', NS, ...args]);
    expect(run.code, run.stderr).to.equal(0);
    return run.stdout.trim();
  }

  async function whoami(token: string): Promise<{ code: number | null; user?: { username: string; uid?: string; groups: string[]; extra?: Record<string, string[]> }; stderr: string }> {
    const run = await t.kubectl(['--token', token, 'auth', 'whoami', '-o', 'json']);
    return { code: run.code, stderr: run.stderr, ...(run.code === 0 ? { user: JSON.parse(run.stdout).status.userInfo } : {}) };
  }

  /** The gRPC door's answer to listing ConfigMaps as `token`'s user: the error it fails with. */
  async function grpcListAs(token: string): Promise<ApiError> {
    const client = new GrpcApiClient({ endpoints: [t.server.grpcAddress], token });
    try {
      await client.resource(RESOURCES.configmaps).list(NS);
    } catch (err) {
      return err as ApiError;
    } finally {
      client.close();
    }
    throw new Error('the list was allowed');
  }

  it('kubectl create token issues a token that kubectl auth whoami shows as the ServiceAccount user', async () => {
    const token = await createToken(['--duration', '10m']);
    expect(token.split('.')).to.have.length(3);
    const sa = await admin.resource(RESOURCES.serviceaccounts).get(NS, 'robot');
    const who = await whoami(token);
    expect(who.code, who.stderr).to.equal(0);
    expect(who.user!.username).to.equal(`system:serviceaccount:${NS}:robot`);
    expect(who.user!.uid).to.equal(sa.metadata.uid);
    expect(who.user!.groups).to.have.members(['system:serviceaccounts', `system:serviceaccounts:${NS}`, 'system:authenticated']);
    // The gRPC door authenticates the same token: RBAC then refuses the ServiceAccount by name.
    const refused = await grpcListAs(token);
    expect(refused.code).to.equal(403);
    expect(refused.message).to.include(`User "system:serviceaccount:${NS}:robot" cannot list resource "configmaps"`);
  });

  it('issuing a token takes the create verb on serviceaccounts/token', async () => {
    const eve = t.userKubeconfig('eve');
    const run = await runKubectl(eve.kubeconfig, t.dir, ['create', 'token', 'robot', '-n', NS]);
    expect(run.code).to.equal(1);
    expect(run.stderr).to.include(`User "eve" cannot create resource "serviceaccounts/token" in API group "" in the namespace "${NS}"`);
  });

  it('a token for another audience, or a forged one, is refused on both doors', async () => {
    const token = await createToken(['--audience', 'vault']);
    expect((await whoami(token)).stderr).to.match(/Unauthorized/);
    expect((await grpcListAs(token)).code).to.equal(401);
    const [h, p] = (await createToken()).split('.');
    const forged = `${h}.${p}.${Buffer.alloc(64, 1).toString('base64url')}`;
    expect((await whoami(forged)).stderr).to.match(/Unauthorized/);
    expect((await grpcListAs(forged)).code).to.equal(401);
  });

  it('the gRPC door issues tokens too (CreateToken)', async () => {
    const answer = (await admin.resource(RESOURCES.serviceaccounts).createToken(NS, 'robot', { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', metadata: {}, spec: { expirationSeconds: 900 } } as KubeObject)) as KubeObject & {
      spec: { expirationSeconds: number };
      status: { token: string; expirationTimestamp: string };
    };
    expect(answer.spec.expirationSeconds).to.equal(900);
    expect(Date.parse(answer.status.expirationTimestamp) - Date.now()).to.be.within(800_000, 901_000);
    expect((await whoami(answer.status.token)).user!.username).to.equal(`system:serviceaccount:${NS}:robot`);
    const missing = await admin
      .resource(RESOURCES.serviceaccounts)
      .createToken(NS, 'nobody', { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', metadata: {} } as KubeObject)
      .catch((err: ApiError) => err);
    expect((missing as ApiError).code).to.equal(404);
  });

  it('a pod-bound token names its pod, and dies with the pod', async () => {
    const pods = admin.resource(RESOURCES.pods);
    await pods.create(NS, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web' }, spec: { serviceAccountName: 'robot', containers: [{ name: 'app', image: 'nginx' }] } } as KubeObject);
    const token = await createToken(['--bound-object-kind', 'Pod', '--bound-object-name', 'web']);
    const who = await whoami(token);
    expect(who.user!.extra?.[POD_NAME_EXTRA]).to.deep.equal(['web']);
    const gone = await t.kubectl(['create', 'token', 'robot', '-n', NS, '--bound-object-kind', 'Pod', '--bound-object-name', 'nope']);
    expect(gone.code).to.equal(1);
    expect(gone.stderr).to.include('pods "nope" not found');
    await pods.delete(NS, 'web', { gracePeriodSeconds: 0 });
    expect((await whoami(token)).stderr).to.match(/Unauthorized/);
  });

  it('deleting the ServiceAccount voids its tokens (401 on HTTPS, UNAUTHENTICATED on gRPC)', async () => {
    const token = await createToken();
    expect((await whoami(token)).code).to.equal(0);
    await admin.resource(RESOURCES.serviceaccounts).delete(NS, 'robot');
    const who = await whoami(token);
    expect(who.code).to.equal(1);
    expect(who.stderr).to.match(/Unauthorized/);
    expect((await grpcListAs(token)).code).to.equal(401);
    const http = t.server.http!;
    const raw = await httpsRequest({ port: http.port, caCert: http.tls.caCert, token }, 'GET', `/api/v1/namespaces/${NS}/configmaps`);
    expect(raw.status).to.equal(401);
    expect(JSON.parse(raw.body)).to.deep.include({ kind: 'Status', reason: 'Unauthorized', code: 401 });
    const missing = await t.kubectl(['create', 'token', 'robot', '-n', NS]);
    expect(missing.stderr).to.include('serviceaccounts "robot" not found');
  });
});
