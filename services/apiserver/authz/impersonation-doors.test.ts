/**
 * Impersonation through the real doors of an apiserver in RBAC mode: the real kubectl's
 * `--as` / `--as-group` (HTTPS headers) and a GrpcApiClient's impersonation metadata, allowed
 * only with `impersonate` on what is named, refused with Kubernetes' message, and recorded in the
 * audit log as the authenticated user plus impersonatedUser.
 */
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RESOURCES } from '../../../lib/api/resources';
import { GrpcApiClient } from '../../../lib/client/grpc-api-client';
import { eventually } from '../registry/test-support';
import { RotatingAuditLog } from '../audit/audit-log';
import { parseAuditPolicy } from '../audit/audit-policy';
import { runKubectl, type KubectlRun } from '../http/test-clients';
import { TwoDoorApiServer } from '../test-api-server';

const BOB = { name: 'bob', uid: 'bob', groups: [] };
const NS = 'imp-a';
const AUDIT_POLICY = 'apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [RequestReceived]\nrules:\n- level: Metadata\n  resources: [{group: "", resources: [configmaps]}]\n';

describe('impersonation through both doors (kubectl --as, gRPC metadata)', function () {
  this.timeout(120_000);
  let api: TwoDoorApiServer;
  let auditDir: string;
  let asBob: (args: string[]) => Promise<KubectlRun>;
  let bobToken: string;

  before(async () => {
    auditDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bosun-imp-audit-'));
    api = await TwoDoorApiServer.start('bosun-imp-', { authorizationMode: 'RBAC', users: [BOB], audit: { policy: parseAuditPolicy(AUDIT_POLICY), sink: new RotatingAuditLog(path.join(auditDir, 'audit.log')) } });
    const bob = api.userKubeconfig('bob');
    bobToken = bob.token;
    asBob = (args) => runKubectl(bob.kubeconfig, api.dir, args);
    expect((await api.kubectl(['create', 'namespace', NS])).code).to.equal(0);
    expect((await api.kubectl(['create', 'configmap', 'app', '--from-literal=k=v', '-n', NS])).code).to.equal(0);
    expect((await api.kubectl(['create', 'rolebinding', 'devs-view', '--clusterrole=view', '--group=devs', '-n', NS])).code).to.equal(0);
  });
  after(async () => {
    await api?.stop();
    if (auditDir) fs.rmSync(auditDir, { recursive: true, force: true });
  });

  it('lets cluster-admin act as a user and its groups: kubectl --as --as-group and auth can-i --as', async () => {
    const read = await eventually('jane (devs) to read through the view binding', async () => {
      const r = await api.kubectl(['get', 'configmaps', '-n', NS, '--as=jane', '--as-group=devs', '-o', 'name']);
      return r.code === 0 ? r : undefined;
    });
    expect(read.stdout.trim()).to.equal('configmap/app');
    const write = await api.kubectl(['create', 'configmap', 'x', '-n', NS, '--as=jane', '--as-group=devs']);
    expect(write.stderr).to.include('configmaps is forbidden: User "jane" cannot create resource "configmaps" in API group "" in the namespace "imp-a"');
    const alone = await api.kubectl(['get', 'configmaps', '-n', NS, '--as=jane']);
    expect(alone.stderr, 'without the group jane holds nothing').to.include('User "jane" cannot list resource "configmaps"');
    expect((await api.kubectl(['auth', 'can-i', 'list', 'configmaps', '-n', NS, '--as=jane', '--as-group=devs'])).stdout.trim()).to.equal('yes');
    expect((await api.kubectl(['auth', 'can-i', 'delete', 'configmaps', '-n', NS, '--as=jane', '--as-group=devs'])).stdout.trim()).to.equal('no');
    const whoami = await api.kubectl(['auth', 'whoami', '--as=jane', '--as-group=devs', '-o', 'jsonpath={.status.userInfo.username} {.status.userInfo.groups}']);
    expect(whoami.stdout).to.equal('jane ["devs","system:authenticated"]');
  });

  it("refuses a user without impersonate with Kubernetes' message, and allows exactly the names a rule lists", async () => {
    const refused = await asBob(['get', 'configmaps', '-n', NS, '--as=jane']);
    expect(refused.stderr).to.include('users "jane" is forbidden: User "bob" cannot impersonate resource "users" in API group "" at the cluster scope');
    expect((await api.kubectl(['create', 'clusterrole', 'impersonate-jane', '--verb=impersonate', '--resource=users', '--resource-name=jane'])).code).to.equal(0);
    expect((await api.kubectl(['create', 'clusterrolebinding', 'bob-impersonates-jane', '--clusterrole=impersonate-jane', '--user=bob'])).code).to.equal(0);
    const asJane = await eventually('bob to impersonate jane', async () => {
      const r = await asBob(['auth', 'whoami', '--as=jane', '-o', 'jsonpath={.status.userInfo.username}']);
      return r.code === 0 ? r : undefined;
    });
    expect(asJane.stdout).to.equal('jane');
    const group = await asBob(['get', 'configmaps', '-n', NS, '--as=jane', '--as-group=devs']);
    expect(group.stderr).to.include('groups "devs" is forbidden: User "bob" cannot impersonate resource "groups" in API group "" at the cluster scope');
    const other = await asBob(['get', 'configmaps', '-n', NS, '--as=joe']);
    expect(other.stderr).to.include('users "joe" is forbidden: User "bob" cannot impersonate resource "users"');
    const sa = await asBob(['get', 'configmaps', '-n', NS, '--as=system:serviceaccount:imp-a:builder']);
    expect(sa.stderr).to.include('serviceaccounts "builder" is forbidden: User "bob" cannot impersonate resource "serviceaccounts" in API group "" in the namespace "imp-a"');
  });

  it('reads the same names from gRPC call metadata', async () => {
    const asJane = new GrpcApiClient({ endpoints: [api.server.grpcAddress], token: api.token, impersonate: { user: 'jane', groups: ['devs'] } });
    const bobAsAdmin = new GrpcApiClient({ endpoints: [api.server.grpcAddress], token: bobToken, impersonate: { user: 'admin', groups: ['system:masters'] } });
    try {
      const list = await asJane.resource(RESOURCES.configmaps).list(NS);
      expect(list.items.map((c) => c.metadata.name)).to.include('app');
      const denied = await asJane.resource(RESOURCES.configmaps).delete(NS, 'app').then(() => undefined, (e: unknown) => e);
      expect(String((denied as Error)?.message)).to.include('configmaps "app" is forbidden: User "jane" cannot delete resource "configmaps"');
      const escalate = await bobAsAdmin.resource(RESOURCES.configmaps).list(NS).then(() => undefined, (e: unknown) => e);
      expect(String((escalate as Error)?.message)).to.include('users "admin" is forbidden: User "bob" cannot impersonate resource "users" in API group "" at the cluster scope');
    } finally {
      asJane.close();
      bobAsAdmin.close();
    }
  });

  it('audits the authenticated user with the impersonatedUser', () => {
    const events = fs.readFileSync(path.join(auditDir, 'audit.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { user: { username: string }; impersonatedUser?: { username: string; groups: string[] }; verb: string });
    const impersonated = events.find((e) => e.impersonatedUser?.username === 'jane' && e.verb === 'list');
    expect(impersonated?.user.username).to.equal('admin');
    expect(impersonated?.impersonatedUser?.groups).to.deep.equal(['devs', 'system:authenticated']);
    expect(events.find((e) => e.verb === 'create' && !e.impersonatedUser)?.user.username).to.equal('admin');
  });
});
