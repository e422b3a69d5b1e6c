/**
 * RBAC through the real doors: an apiserver in RBAC mode over a real store, users with their
 * own tokens driving the real kubectl (HTTPS) and a GrpcApiClient (gRPC) — the same rules on
 * both doors, Kubernetes' Forbidden messages, and no way to grant more than one holds.
 */
import { expect } from 'chai';
import { NO_CREDENTIALS_MESSAGE } from '../grpc/authentication';
import { GrpcApiClient } from '../../../lib/client/grpc-api-client';
import { RESOURCES } from '../../../lib/api/resources';
import { TwoDoorApiServer } from '../test-api-server';
import { runKubectl } from '../http/test-clients';

const ALICE = { name: 'alice', uid: 'alice', groups: [] };
const BOB = { name: 'bob', uid: 'bob', groups: ['team-leads'] };

describe('RBAC authorization (apiserver --authorization-mode RBAC)', function () {
  this.timeout(120_000);
  let api: TwoDoorApiServer;
  let asAlice: (args: string[]) => ReturnType<typeof runKubectl>;
  let asBob: (args: string[]) => ReturnType<typeof runKubectl>;
  let aliceToken: string;

  before(async () => {
    api = await TwoDoorApiServer.start('bosun-rbac-', { authorizationMode: 'RBAC', users: [ALICE, BOB] });
    const alice = api.userKubeconfig('alice');
    aliceToken = alice.token;
    const bob = api.userKubeconfig('bob');
    asAlice = (args) => runKubectl(alice.kubeconfig, api.dir, args);
    asBob = (args) => runKubectl(bob.kubeconfig, api.dir, args);
    for (const ns of ['rbac-a', 'rbac-b']) expect((await api.kubectl(['create', 'namespace', ns])).code).to.equal(0);
  });
  after(async () => api?.stop());

  it('reconciles the bootstrap roles at start', async () => {
    const run = await api.kubectl(['get', 'clusterroles', 'cluster-admin', 'admin', 'edit', 'view', 'system:kube-scheduler', '-o', 'name']);
    expect(run.stderr).to.equal('');
    expect(run.stdout.trim().split('\n')).to.have.length(5);
  });

  it('refuses a user with no binding, with Kubernetes’ message, but lets it discover the API', async () => {
    const run = await asAlice(['get', 'pods', '-n', 'rbac-a']);
    expect(run.code).to.not.equal(0);
    expect(run.stderr).to.include('pods is forbidden: User "alice" cannot list resource "pods" in API group "" in the namespace "rbac-a"');
    const discovery = await asAlice(['api-resources', '--api-group=apps', '-o', 'name']);
    expect(discovery.code, discovery.stderr).to.equal(0);
    expect(discovery.stdout).to.include('deployments.apps');
  });

  it('a view binding lets read but not write, and not read Secrets', async () => {
    expect((await api.kubectl(['create', 'rolebinding', 'alice-view', '--clusterrole=view', '--user=alice', '-n', 'rbac-a'])).code).to.equal(0);
    expect((await api.kubectl(['create', 'configmap', 'app', '--from-literal=k=v', '-n', 'rbac-a'])).code).to.equal(0);
    const read = await waitFor(() => asAlice(['get', 'configmap', 'app', '-n', 'rbac-a', '-o', 'jsonpath={.data.k}']), (r) => r.code === 0);
    expect(read.stdout).to.equal('v');
    const write = await asAlice(['create', 'configmap', 'mine', '-n', 'rbac-a']);
    expect(write.stderr).to.include('configmaps is forbidden: User "alice" cannot create resource "configmaps" in API group "" in the namespace "rbac-a"');
    const secrets = await asAlice(['get', 'secrets', '-n', 'rbac-a']);
    expect(secrets.stderr).to.include('cannot list resource "secrets"');
    const elsewhere = await asAlice(['get', 'configmaps', '-n', 'rbac-b']);
    expect(elsewhere.stderr, 'a RoleBinding grants only in its namespace').to.include('in the namespace "rbac-b"');
  });

  it('the gRPC door applies the same rules to the same user, and refuses anonymous calls', async () => {
    const grpc = new GrpcApiClient({ endpoints: [api.server.grpcAddress], token: aliceToken });
    const anonymous = new GrpcApiClient({ endpoints: [api.server.grpcAddress] });
    try {
      const list = await grpc.resource(RESOURCES.configmaps).list('rbac-a');
      expect(list.items.map((c) => c.metadata.name)).to.include('app');
      const denied = await grpc.resource(RESOURCES.configmaps).create('rbac-a', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'grpc-made', namespace: 'rbac-a' } }).then(() => undefined, (e: unknown) => e);
      expect(String((denied as Error)?.message)).to.include('configmaps is forbidden: User "alice" cannot create resource "configmaps"');
      const anon = await anonymous.resource(RESOURCES.configmaps).list('rbac-a').then(() => undefined, (e: unknown) => e);
      expect(String((anon as Error)?.message), 'anonymous requests are off (--anonymous-auth=false)').to.equal(NO_CREDENTIALS_MESSAGE);
    } finally {
      grpc.close();
      anonymous.close();
    }
  });

  it('answers kubectl auth can-i, can-i --list and whoami as the rules then behave', async () => {
    const yes = await asAlice(['auth', 'can-i', 'get', 'configmaps', '-n', 'rbac-a']);
    expect(yes.stdout.trim(), yes.stderr).to.equal('yes');
    const no = await asAlice(['auth', 'can-i', 'create', 'configmaps', '-n', 'rbac-a']);
    expect(no.stdout.trim()).to.equal('no');
    expect(no.code, 'can-i exits 1 on no').to.equal(1);
    const secrets = await asAlice(['auth', 'can-i', 'list', 'secrets', '-n', 'rbac-a']);
    expect(secrets.stdout.trim()).to.equal('no');
    const admin = await api.kubectl(['auth', 'can-i', '*', '*']);
    expect(admin.stdout.trim()).to.equal('yes');
    const list = await asAlice(['auth', 'can-i', '--list', '-n', 'rbac-a']);
    expect(list.code, list.stderr).to.equal(0);
    expect(list.stdout).to.match(/configmaps\s+\[\]\s+\[\]\s+\[get list watch\]/);
    const whoami = await asBob(['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username} {.status.userInfo.groups}']);
    expect(whoami.stdout).to.equal('bob ["team-leads","system:authenticated"]');
  });

  it('no one grants what they do not hold: an admin of a namespace cannot bind cluster-admin, but can bind view', async () => {
    expect((await api.kubectl(['create', 'rolebinding', 'leads-admin', '--clusterrole=admin', '--group=team-leads', '-n', 'rbac-b'])).code).to.equal(0);
    const escalate = await waitFor(() => asBob(['create', 'rolebinding', 'bob-root', '--clusterrole=cluster-admin', '--user=bob', '-n', 'rbac-b']), (r) => !r.stderr.includes('cannot create resource'));
    expect(escalate.code).to.not.equal(0);
    expect(escalate.stderr).to.include('attempting to grant RBAC permissions not currently held');
    const grant = await asBob(['create', 'rolebinding', 'alice-view-b', '--clusterrole=view', '--user=alice', '-n', 'rbac-b']);
    expect(grant.code, grant.stderr).to.equal(0);
    const role = await asBob(['create', 'role', 'nodes-reader', '--verb=get', '--resource=nodes', '-n', 'rbac-b']);
    expect(role.stderr).to.include('attempting to grant RBAC permissions not currently held');
    const cluster = await asBob(['create', 'clusterrolebinding', 'bob-cluster', '--clusterrole=view', '--user=bob']);
    expect(cluster.stderr).to.include('clusterrolebindings.rbac.authorization.k8s.io is forbidden: User "bob" cannot create resource "clusterrolebindings" in API group "rbac.authorization.k8s.io" at the cluster scope');
  });
});

/** Repeats `run` until `done` holds (the binding reaching the watch cache) or 10 s pass; the last result. */
async function waitFor<T>(run: () => Promise<T>, done: (r: T) => boolean): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const r = await run();
    if (done(r) || Date.now() > deadline) return r;
    await new Promise((res) => setTimeout(res, 200));
  }
}
