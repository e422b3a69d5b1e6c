import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError } from '../../../lib/config-error';
import { RESOURCES } from '../../../lib/api/resources';
import { GrpcApiClient } from '../../../lib/client/grpc-api-client';
import { TwoDoorApiServer } from '../test-api-server';
import { RotatingAuditLog } from './audit-log';
import { parseAuditPolicy } from './audit-policy';

const POLICY = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: None
    verbs: [watch, list]
  - level: Metadata
    resources: [{ group: "", resources: [secrets] }]
  - level: RequestResponse
    resources: [{ group: "", resources: [configmaps, "pods/log"] }]
  - level: Request
    users: [alice]
    omitStages: [ResponseComplete]
`;

describe('audit policy (--audit-policy-file)', () => {
  const policy = parseAuditPolicy(POLICY);
  const at = (over: Record<string, unknown>) => policy.decide({ user: 'bob', groups: ['system:authenticated'], verb: 'get', apiGroup: '', resource: 'pods', ...over });

  it('takes the first matching rule: its level and the stages it leaves out with the policy\'s', () => {
    expect(at({ verb: 'list', resource: 'secrets' }).level).to.equal('None');
    expect(at({ resource: 'secrets' }).level).to.equal('Metadata');
    expect(at({ resource: 'configmaps' }).level).to.equal('RequestResponse');
    expect(at({ resource: 'pods', subresource: 'log' }).level).to.equal('RequestResponse');
    expect(at({ resource: 'pods' }).level).to.equal('None');
    const alice = at({ user: 'alice' });
    expect(alice.level).to.equal('Request');
    expect([...alice.omitStages].sort()).to.deep.equal(['RequestReceived', 'ResponseComplete']);
  });

  it('names the field of every mistake', () => {
    const bad: [string, RegExp][] = [
      ['apiVersion: audit.k8s.io/v1\nkind: Policy\nrules: [{ level: Everything }]', /rules\[0\]\.level: "Everything" is not one of/],
      ['apiVersion: audit.k8s.io/v1\nkind: Policy\nrules: [{ level: None, omitStages: [Later] }]', /rules\[0\]\.omitStages\[0\]: "Later" is not a stage/],
      ['apiVersion: audit.k8s.io/v1\nkind: Policy\nrules: [{ level: None, nonResourceURLs: ["/x"], resources: [{ resources: [pods] }] }]', /rules\[0\]: nonResourceURLs cannot be combined/],
      ['apiVersion: audit.k8s.io/v1\nkind: Policy\nrules: [{ level: None, users: bob }]', /rules\[0\]\.users: must be a list of strings/],
      ['apiVersion: v1\nkind: Policy\nrules: []', /apiVersion: "v1", want audit.k8s.io\/v1/],
    ];
    for (const [text, message] of bad) expect(() => parseAuditPolicy(text), text).to.throw(ConfigError, message);
  });
});

describe('RotatingAuditLog', () => {
  it('rotates a full file aside and keeps the newest backups', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bosun-audit-log-'));
    try {
      const log = new RotatingAuditLog(path.join(dir, 'audit.log'), 1, 2);
      const big = { pad: 'x'.repeat(300 * 1024) };
      for (let i = 0; i < 12; i++) log.write({ i, ...big });
      log.close();
      const files = fs.readdirSync(dir).sort();
      expect(files).to.include('audit.log');
      expect(files.filter((f) => f.startsWith('audit-'))).to.have.length(2);
      const last = fs.readFileSync(path.join(dir, 'audit.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { i: number });
      expect(last[last.length - 1]!.i).to.equal(11);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the audit log of a real apiserver (kubectl and gRPC)', function () {
  this.timeout(60_000);
  let api: TwoDoorApiServer;
  let dir: string;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bosun-audit-'));
    api = await TwoDoorApiServer.start('bosun-audit-api-', { audit: { policy: parseAuditPolicy(POLICY), sink: new RotatingAuditLog(path.join(dir, 'audit.log')) } });
  });
  after(async () => {
    await api?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const events = () =>
    fs
      .readFileSync(path.join(dir, 'audit.log'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, any>); // eslint-disable-line @typescript-eslint/no-explicit-any

  it('records who did what through each door, at the policy\'s level, with the status', async () => {
    expect((await api.kubectl(['create', 'secret', 'generic', 's1', '--from-literal=k=hunter2'])).code).to.equal(0);
    expect((await api.kubectl(['create', 'configmap', 'c1', '--from-literal=a=b'])).code).to.equal(0);
    const grpc = new GrpcApiClient({ endpoints: [api.server.grpcAddress], token: api.token });
    try {
      await grpc.resource(RESOURCES.configmaps).get('default', 'missing').catch(() => undefined);
    } finally {
      grpc.close();
    }
    const all = events();
    const secret = all.find((e) => e.objectRef?.resource === 'secrets' && e.verb === 'create')!;
    expect(secret).to.include({ kind: 'Event', apiVersion: 'audit.k8s.io/v1', level: 'Metadata', stage: 'ResponseComplete', verb: 'create' });
    expect(secret.requestURI).to.match(/^\/api\/v1\/namespaces\/default\/secrets/);
    expect(secret.user.username).to.equal('admin');
    expect(secret.sourceIPs).to.deep.equal(['127.0.0.1']);
    expect(secret.userAgent).to.match(/^kubectl/);
    expect(secret.objectRef).to.deep.equal({ resource: 'secrets', namespace: 'default', apiVersion: 'v1' });
    expect(secret.responseStatus.code).to.equal(201);
    expect(JSON.stringify(secret)).to.not.include('hunter2');
    const cm = all.find((e) => e.objectRef?.resource === 'configmaps' && e.verb === 'create')!;
    expect(cm.level).to.equal('RequestResponse');
    expect(cm.requestObject.data).to.deep.equal({ a: 'b' });
    expect(cm.responseObject.metadata.name).to.equal('c1');
    const missing = all.find((e) => e.objectRef?.name === 'missing')!;
    expect(missing.requestURI).to.equal('/bosun.api.core.v1.ConfigMaps/Get');
    expect(missing.responseStatus).to.include({ code: 404, status: 'Failure', reason: 'NotFound' });
    expect(all.some((e) => e.stage === 'RequestReceived')).to.equal(false);
    expect(all.some((e) => e.verb === 'list' || e.verb === 'watch')).to.equal(false);
  });
});
