import { expect } from 'chai';
import { ConflictError, InvalidError } from '../../lib/api/errors';
import { CliHarness } from '../testing/cli-harness';
import { LAST_APPLIED_ANNOTATION } from './apply';

const DEPLOY = (replicas: number, extra = ''): string => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}${extra}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - {name: web, image: nginx}
`;

describe('bosun apply', () => {
  let h: CliHarness;
  beforeEach(() => {
    h = new CliHarness();
  });
  afterEach(() => h.cleanup());

  it('creates, then reports unchanged, then configured; keeps the last applied manifest', async () => {
    const f = h.file('web.yaml', DEPLOY(2));
    expect(await h.run(['apply', '-f', f])).to.deep.equal({ code: 0, stdout: 'deployment.apps/web created\n', stderr: '' });
    const live = h.fake.peek('Deployment', 'default', 'web')!;
    const last = JSON.parse(live.metadata.annotations![LAST_APPLIED_ANNOTATION]!);
    expect(last.metadata).to.deep.equal({ labels: { app: 'web' }, name: 'web', namespace: 'default' });
    expect((await h.run(['apply', '-f', f])).stdout).to.equal('deployment.apps/web unchanged\n');
    h.file('web.yaml', DEPLOY(3));
    expect((await h.run(['apply', '-f', f])).stdout).to.equal('deployment.apps/web configured\n');
    expect(h.fake.peek('Deployment', 'default', 'web')!.spec!.replicas).to.equal(3);
    expect(h.fake.calls.filter((c) => c.startsWith('update'))).to.deep.equal(['update deployments/default/web']);
  });

  it('removes fields dropped from the manifest but keeps fields others set (three-way)', async () => {
    const f = h.file('web.yaml', DEPLOY(2, '\n  annotations: {team: a}'));
    await h.run(['apply', '-f', f]);
    const live = h.fake.peek('Deployment', 'default', 'web')!;
    live.metadata.labels = { ...live.metadata.labels, 'set-by': 'controller' };
    await h.fake.resource(h.fake.infoOf('Deployment')).update('default', live);
    h.file('web.yaml', DEPLOY(2));
    expect((await h.run(['apply', '-f', f])).stdout).to.equal('deployment.apps/web configured\n');
    const after = h.fake.peek('Deployment', 'default', 'web')!;
    expect(after.metadata.annotations!.team).to.equal(undefined);
    expect(after.metadata.labels).to.deep.equal({ app: 'web', 'set-by': 'controller' });
  });

  it('is unchanged when the server only added defaults inside list items; a changed list is sent whole', async () => {
    const f = h.file('web.yaml', DEPLOY(2));
    await h.run(['apply', '-f', f]);
    const live = h.fake.peek('Deployment', 'default', 'web')!;
    const tmpl = live.spec!.template as { spec: { containers: Record<string, unknown>[] } };
    tmpl.spec.containers[0]!.imagePullPolicy = 'Always';
    await h.fake.resource(h.fake.infoOf('Deployment')).update('default', live);
    expect((await h.run(['apply', '-f', f])).stdout).to.equal('deployment.apps/web unchanged\n');
    h.file('web.yaml', DEPLOY(2).replace('image: nginx', 'image: nginx:1.27'));
    expect((await h.run(['apply', '-f', f])).stdout).to.equal('deployment.apps/web configured\n');
    const after = h.fake.peek('Deployment', 'default', 'web')!.spec!.template as { spec: { containers: Record<string, unknown>[] } };
    expect(after.spec.containers).to.deep.equal([{ name: 'web', image: 'nginx:1.27' }]);
  });

  it('retries an update that hit a Conflict', async () => {
    const f = h.file('web.yaml', DEPLOY(2));
    await h.run(['apply', '-f', f]);
    h.file('web.yaml', DEPLOY(4));
    h.fake.failNext('update', new ConflictError('deployments', 'apps', 'web'));
    expect(await h.run(['apply', '-f', f])).to.deep.include({ code: 0, stdout: 'deployment.apps/web configured\n' });
    expect(h.fake.calls.filter((c) => c.startsWith('update'))).to.have.length(2);
  });

  it('settles namespaces: manifest, else -n, else the context, else default; conflicts are kubectl\'s error', async () => {
    const cm = (name: string, ns?: string): string => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n${ns ? `  namespace: ${ns}\n` : ''}`;
    const f = h.file('cms.yaml', [cm('own', 'a'), cm('plain')].join('---\n'));
    expect((await h.run(['apply', '-f', f])).stdout).to.equal('configmap/own created\nconfigmap/plain created\n');
    expect(h.fake.peek('ConfigMap', 'a', 'own')).to.not.equal(undefined);
    expect(h.fake.peek('ConfigMap', 'default', 'plain')).to.not.equal(undefined);
    const r = await h.run(['apply', '-f', f, '-n', 'b']);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.equal(`error: the namespace from the provided object "a" does not match the namespace "b". You must pass '--namespace=a' to perform this operation.\n`);
    expect(r.stdout).to.equal('configmap/plain created\n');
    expect(h.fake.peek('ConfigMap', 'b', 'plain')).to.not.equal(undefined);
    const ctx = new CliHarness(h.fake, { namespace: 'team' });
    try {
      expect((await ctx.run(['apply', '-f', ctx.file('p.yaml', cm('ctx'))])).stdout).to.equal('configmap/ctx created\n');
      expect(h.fake.peek('ConfigMap', 'team', 'ctx')).to.not.equal(undefined);
    } finally {
      ctx.cleanup();
    }
  });

  it('reports unknown kinds and server errors, continues, and exits 1', async () => {
    const f = h.file('f.yaml', 'apiVersion: v1\nkind: Foo\nmetadata: {name: x}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: bad}\n');
    h.fake.failNext('create', new InvalidError('ConfigMap', '', 'ok', [{ type: 'FieldValueInvalid', field: 'data', message: 'Invalid value: "x"' }]));
    const r = await h.run(['apply', '-f', f]);
    expect(r.code).to.equal(1);
    expect(r.stdout).to.equal('configmap/bad created\n');
    expect(r.stderr).to.equal(
      `error: resource mapping not found for name: "x" namespace: "" from "${f}": no matches for kind "Foo" in version "v1"\nensure CRDs are installed first\n` +
        'The ConfigMap "ok" is invalid: data: Invalid value: "x"\n',
    );
  });

  it('reads stdin and directories; bad YAML names the file and line; dry runs write nothing', async () => {
    const r1 = await h.run(['apply', '-f', '-'], { stdin: 'apiVersion: v1\nkind: Namespace\nmetadata: {name: team}\n' });
    expect(r1.stdout).to.equal('namespace/team created\n');
    h.file('d/1.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: one}\n');
    h.file('d/2.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: two}\n  bad\n');
    const r2 = await h.run(['apply', '-f', 'd', '--dry-run=server']);
    expect(r2.code).to.equal(1);
    expect(r2.stdout).to.equal('configmap/one created (server dry run)\n');
    expect(r2.stderr).to.match(/^error: error parsing d\/2\.yaml: error converting YAML to JSON: yaml: line \d+: /);
    expect((await h.run(['apply', '-f', 'd/1.yaml', '--dry-run=client'])).stdout).to.equal('configmap/one created (dry run)\n');
    expect(h.fake.peek('ConfigMap', 'default', 'one')).to.equal(undefined);
    const r3 = await h.run(['apply']);
    expect(r3).to.deep.include({ code: 1, stderr: 'error: must specify one of -f and -k\n' });
    const r4 = await h.run(['apply', '-f', 'x.yaml', '--dry-run=maybe']);
    expect(r4.code).to.equal(1);
    expect(r4.stderr).to.include('Invalid dry-run value (maybe)');
  });
});
