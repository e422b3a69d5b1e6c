/**
 * RBAC through the real doors: an apiserver in RBAC mode over a real store, users with their
 * own tokens driving the real kubectl (HTTPS) and a GrpcApiClient (gRPC) — the same rules on
 * both doors, Kubernetes' Forbidden messages, and no way to grant more than one holds. Then
 * impersonation: kubectl's `--as` / `--as-group` and a GrpcApiClient's impersonation metadata,
 * allowed only with `impersonate` on what is named, refused with Kubernetes' message, and
 * audited as the authenticated user plus impersonatedUser.
 */
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { NO_CREDENTIALS_MESSAGE } from '../grpc/authentication';
import { GrpcApiClient } from '../../../lib/client/grpc-api-client';
import { RESOURCES } from '../../../lib/api/resources';
import type { ClusterRole } from '../../../lib/api/types/rbac';
import { BOOTSTRAP_LABEL } from './bootstrap-policy';
import { reconcileBootstrapPolicy } from './bootstrap-policy-reconciler';
import { TwoDoorApiServer } from '../test-api-server';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { writeKubeconfig } from '../../../lib/client/kubeconfig';
import { BOSUN_BIN } from '../../../lib/launcher/local-process';
import { runKubectl } from '../http/test-clients';
import { eventually } from '../registry/test-support';
import { RotatingAuditLog } from '../audit/audit-log';
import { parseAuditPolicy } from '../audit/audit-policy';

const ALICE = { name: 'alice', uid: 'alice', groups: [] };
const BOB = { name: 'bob', uid: 'bob', groups: ['team-leads'] };
/** The namespace of the impersonation tests, and the audit policy they read back. */
const IMP_NS = 'imp-a';
const run = promisify(execFile);
const AUDIT_POLICY = 'apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [RequestReceived]\nrules:\n- level: Metadata\n  resources: [{group: "", resources: [configmaps]}]\n';

describe('RBAC authorization (apiserver --authorization-mode RBAC)', function () {
  this.timeout(120_000);
  let api: TwoDoorApiServer;
  let asAlice: (args: string[]) => ReturnType<typeof runKubectl>;
  let asBob: (args: string[]) => ReturnType<typeof runKubectl>;
  let aliceToken: string;
  let bobToken: string;
  let auditDir: string;

  before(async () => {
    auditDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bosun-rbac-audit-'));
    const audit = { policy: parseAuditPolicy(AUDIT_POLICY), sink: new RotatingAuditLog(path.join(auditDir, 'audit.log')) };
    api = await TwoDoorApiServer.start('bosun-rbac-', { authorizationMode: 'RBAC', users: [ALICE, BOB], audit });
    const alice = api.userKubeconfig('alice');
    aliceToken = alice.token;
    const bob = api.userKubeconfig('bob');
    bobToken = bob.token;
    asAlice = (args) => runKubectl(alice.kubeconfig, api.dir, args);
    asBob = (args) => runKubectl(bob.kubeconfig, api.dir, args);
    for (const ns of ['rbac-a', 'rbac-b', IMP_NS]) expect((await api.kubectl(['create', 'namespace', ns])).code).to.equal(0);
  });
  after(async () => {
    await api?.stop();
    if (auditDir) fs.rmSync(auditDir, { recursive: true, force: true });
  });

  it('reconciles the bootstrap roles at start', async () => {
    const run = await api.kubectl(['get', 'clusterroles', 'cluster-admin', 'admin', 'edit', 'view', 'system:kube-scheduler', '-o', 'name']);
    expect(run.stderr).to.equal('');
    expect(run.stdout.trim().split('\n')).to.have.length(5);
  });

  it('fills the aggregated roles at start, and on a later start adds their selectors and labels but leaves their rules to the aggregation controller', async () => {
    const admin = new GrpcApiClient({ endpoints: [api.server.grpcAddress], token: api.token });
    try {
      const roles = admin.resource<ClusterRole>(RESOURCES.clusterroles);
      const view = await roles.get(undefined, 'view');
      expect(view.rules?.length, 'view grants before any controller runs').to.be.above(5);
      expect((await roles.get(undefined, 'admin')).rules).to.deep.include({ verbs: ['get', 'list', 'watch'], apiGroups: [''], resources: ['namespaces', 'namespaces/status'] });
      // A cluster made before aggregation: view without its aggregationRule and label, and rules of its own.
      const own = [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }];
      const plain: ClusterRole = { ...view };
      delete plain.aggregationRule;
      await roles.update(undefined, { ...plain, metadata: { ...view.metadata, labels: { [BOOTSTRAP_LABEL]: 'rbac-defaults' } }, rules: own });
      await eventually('the update to be cached', async () => ((await roles.get(undefined, 'view')).aggregationRule ? undefined : true));
      const report = await reconcileBootstrapPolicy(api.server.resources);
      expect(report.updated).to.include('clusterrole/view');
      const after = await roles.get(undefined, 'view');
      expect(after.aggregationRule?.clusterRoleSelectors).to.deep.equal([{ matchLabels: { 'rbac.authorization.k8s.io/aggregate-to-view': 'true' } }]);
      expect(after.metadata.labels).to.include({ 'rbac.authorization.k8s.io/aggregate-to-edit': 'true' });
      expect(after.rules, 'the rules are the aggregation controller’s').to.deep.equal(own);
      await roles.update(undefined, { ...after, rules: view.rules });
    } finally {
      admin.close();
    }
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
    // Until bob's binding is cached the refusal has no reason after the namespace (the escalation refusal has one).
    const escalate = await waitFor(() => asBob(['create', 'rolebinding', 'bob-root', '--clusterrole=cluster-admin', '--user=bob', '-n', 'rbac-b']), (r) => !/in the namespace "rbac-b"\s*$/.test(r.stderr.trim()));
    expect(escalate.code).to.not.equal(0);
    expect(escalate.stderr).to.include('attempting to grant RBAC permissions not currently held');
    const grant = await asBob(['create', 'rolebinding', 'alice-view-b', '--clusterrole=view', '--user=alice', '-n', 'rbac-b']);
    expect(grant.code, grant.stderr).to.equal(0);
    const role = await asBob(['create', 'role', 'nodes-reader', '--verb=get', '--resource=nodes', '-n', 'rbac-b']);
    expect(role.stderr).to.include('attempting to grant RBAC permissions not currently held');
    const cluster = await asBob(['create', 'clusterrolebinding', 'bob-cluster', '--clusterrole=view', '--user=bob']);
    expect(cluster.stderr).to.include('clusterrolebindings.rbac.authorization.k8s.io is forbidden: User "bob" cannot create resource "clusterrolebindings" in API group "rbac.authorization.k8s.io" at the cluster scope');
  });

  describe('impersonation through both doors (kubectl --as, gRPC metadata)', () => {
    before(async () => {
      expect((await api.kubectl(['create', 'configmap', 'app', '--from-literal=k=v', '-n', IMP_NS])).code).to.equal(0);
      expect((await api.kubectl(['create', 'rolebinding', 'devs-view', '--clusterrole=view', '--group=devs', '-n', IMP_NS])).code).to.equal(0);
    });

    it('lets cluster-admin act as a user and its groups: kubectl --as --as-group and auth can-i --as', async () => {
      const read = await eventually('jane (devs) to read through the view binding', async () => {
        const r = await api.kubectl(['get', 'configmaps', '-n', IMP_NS, '--as=jane', '--as-group=devs', '-o', 'name']);
        return r.code === 0 ? r : undefined;
      });
      expect(read.stdout.trim()).to.equal('configmap/app');
      const write = await api.kubectl(['create', 'configmap', 'x', '-n', IMP_NS, '--as=jane', '--as-group=devs']);
      expect(write.stderr).to.include('configmaps is forbidden: User "jane" cannot create resource "configmaps" in API group "" in the namespace "imp-a"');
      const alone = await api.kubectl(['get', 'configmaps', '-n', IMP_NS, '--as=jane']);
      expect(alone.stderr, 'without the group jane holds nothing').to.include('User "jane" cannot list resource "configmaps"');
      expect((await api.kubectl(['auth', 'can-i', 'list', 'configmaps', '-n', IMP_NS, '--as=jane', '--as-group=devs'])).stdout.trim()).to.equal('yes');
      expect((await api.kubectl(['auth', 'can-i', 'delete', 'configmaps', '-n', IMP_NS, '--as=jane', '--as-group=devs'])).stdout.trim()).to.equal('no');
      const whoami = await api.kubectl(['auth', 'whoami', '--as=jane', '--as-group=devs', '-o', 'jsonpath={.status.userInfo.username} {.status.userInfo.groups}']);
      expect(whoami.stdout).to.equal('jane ["devs","system:authenticated"]');
    });

    it("refuses a user without impersonate with Kubernetes' message, and allows exactly the names a rule lists", async () => {
      const refused = await asBob(['get', 'configmaps', '-n', IMP_NS, '--as=jane']);
      expect(refused.stderr).to.include('users "jane" is forbidden: User "bob" cannot impersonate resource "users" in API group "" at the cluster scope');
      expect((await api.kubectl(['create', 'clusterrole', 'impersonate-jane', '--verb=impersonate', '--resource=users', '--resource-name=jane'])).code).to.equal(0);
      expect((await api.kubectl(['create', 'clusterrolebinding', 'bob-impersonates-jane', '--clusterrole=impersonate-jane', '--user=bob'])).code).to.equal(0);
      const asJane = await eventually('bob to impersonate jane', async () => {
        const r = await asBob(['auth', 'whoami', '--as=jane', '-o', 'jsonpath={.status.userInfo.username}']);
        return r.code === 0 ? r : undefined;
      });
      expect(asJane.stdout).to.equal('jane');
      const group = await asBob(['get', 'configmaps', '-n', IMP_NS, '--as=jane', '--as-group=devs']);
      expect(group.stderr).to.include('groups "devs" is forbidden: User "bob" cannot impersonate resource "groups" in API group "" at the cluster scope');
      const other = await asBob(['get', 'configmaps', '-n', IMP_NS, '--as=joe']);
      expect(other.stderr).to.include('users "joe" is forbidden: User "bob" cannot impersonate resource "users"');
      const sa = await asBob(['get', 'configmaps', '-n', IMP_NS, '--as=system:serviceaccount:imp-a:builder']);
      expect(sa.stderr).to.include('serviceaccounts "builder" is forbidden: User "bob" cannot impersonate resource "serviceaccounts" in API group "" in the namespace "imp-a"');
    });

    it('reads the same names from gRPC call metadata', async () => {
      const asJane = new GrpcApiClient({ endpoints: [api.server.grpcAddress], token: api.token, impersonate: { user: 'jane', groups: ['devs'] } });
      const bobAsAdmin = new GrpcApiClient({ endpoints: [api.server.grpcAddress], token: bobToken, impersonate: { user: 'admin', groups: ['system:masters'] } });
      try {
        const list = await asJane.resource(RESOURCES.configmaps).list(IMP_NS);
        expect(list.items.map((c) => c.metadata.name)).to.include('app');
        const denied = await asJane.resource(RESOURCES.configmaps).delete(IMP_NS, 'app').then(() => undefined, (e: unknown) => e);
        expect(String((denied as Error)?.message)).to.include('configmaps "app" is forbidden: User "jane" cannot delete resource "configmaps"');
        const escalate = await bobAsAdmin.resource(RESOURCES.configmaps).list(IMP_NS).then(() => undefined, (e: unknown) => e);
        expect(String((escalate as Error)?.message)).to.include('users "admin" is forbidden: User "bob" cannot impersonate resource "users" in API group "" at the cluster scope');
      } finally {
        asJane.close();
        bobAsAdmin.close();
      }
    });

    it('the bosun CLI acts as --as / --as-group through the gRPC door (leading or trailing flags)', async () => {
      // A kubeconfig naming the gRPC door (plain text here) with the admin token.
      const kubeconfig = path.join(api.dir, 'grpc-admin.kubeconfig');
      writeKubeconfig(kubeconfig, { clusterName: 'rbac', grpcEndpoints: [api.server.grpcAddress], token: api.token });
      const bosun = (...args: string[]) => run(process.execPath, [BOSUN_BIN, ...args, '--kubeconfig', kubeconfig], { timeout: 30_000 }).then(
        (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
        (e: { code?: number; stdout?: string; stderr?: string }) => ({ code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' }),
      );
      const read = await bosun('get', 'configmaps', 'app', '-n', IMP_NS, '--as', 'jane', '--as-group', 'devs', '-o', 'name');
      expect(read.stdout.trim(), read.stderr).to.equal('configmap/app');
      const leading = await bosun('--as', 'jane', '--as-group', 'devs', 'get', 'configmaps', 'app', '-n', IMP_NS, '-o', 'name');
      expect(leading.stdout.trim(), leading.stderr).to.equal('configmap/app');
      const write = await bosun('create', 'namespace', 'jane-made', '--as', 'jane', '--as-group', 'devs');
      expect(write.code).to.equal(1);
      expect(write.stderr).to.include('User "jane" cannot create resource "namespaces"');
      const alone = await bosun('get', 'configmaps', '-n', IMP_NS, '--as=jane');
      expect(alone.stderr, 'without the group jane holds nothing').to.include('User "jane" cannot list resource "configmaps"');
      const twoGroups = await bosun('get', 'configmaps', 'app', '-n', IMP_NS, '--as=jane', '--as-group=nobody', '--as-group=devs', '-o', 'name');
      expect(twoGroups.stdout.trim(), twoGroups.stderr).to.equal('configmap/app');
      const groupOnly = await bosun('get', 'configmaps', '-n', IMP_NS, '--as-group=devs');
      expect(groupOnly.code).to.equal(1);
      expect(groupOnly.stderr).to.include('--as-group: "devs" needs --as');
    });

    it('lets only who holds everything (or escalate) set an aggregationRule', async () => {
      expect((await api.kubectl(['create', 'clusterrole', 'role-maker', '--verb=create', '--resource=clusterroles.rbac.authorization.k8s.io'])).code).to.equal(0);
      expect((await api.kubectl(['create', 'clusterrolebinding', 'carol-makes-roles', '--clusterrole=role-maker', '--user=carol'])).code).to.equal(0);
      const aggregated = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'carol-gathers' }, aggregationRule: { clusterRoleSelectors: [{ matchLabels: { gather: 'true' } }] }, rules: [] };
      const refused = await eventually('carol to hold create on clusterroles', async () => {
        const r = await api.kubectl(['create', '-f', '-', '--as=carol'], JSON.stringify(aggregated));
        // Until the binding is cached, carol may not create at all (no reason after the scope).
        return /at the cluster scope\s*$/.test(r.stderr.trim()) ? undefined : r;
      });
      expect(refused.code).to.not.equal(0);
      expect(refused.stderr).to.include('is forbidden: User "carol" cannot create resource "clusterroles"');
      expect(refused.stderr).to.include('must have cluster-admin privileges to use the aggregationRule');
      const plain = await api.kubectl(['create', '-f', '-', '--as=carol'], JSON.stringify({ ...aggregated, aggregationRule: undefined, metadata: { name: 'carol-plain' } }));
      expect(plain.code, plain.stderr).to.equal(0);
      const admin = await api.kubectl(['create', '-f', '-'], JSON.stringify(aggregated));
      expect(admin.code, admin.stderr).to.equal(0);
    });

    it('audits the authenticated user with the impersonatedUser', () => {
      const events = fs.readFileSync(path.join(auditDir, 'audit.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { user: { username: string }; impersonatedUser?: { username: string; groups: string[] }; verb: string });
      const impersonated = events.find((e) => e.impersonatedUser?.username === 'jane' && e.verb === 'list');
      expect(impersonated?.user.username).to.equal('admin');
      expect(impersonated?.impersonatedUser?.groups).to.deep.equal(['devs', 'system:authenticated']);
      expect(events.find((e) => e.verb === 'create' && !e.impersonatedUser)?.user.username).to.equal('admin');
    });
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
