import { expect } from 'chai';
import { CliHarness } from '../testing/cli-harness';
import { DEFAULT_SERVED_RESOURCES } from '../../lib/client/testing/fake-api-client';
import { apiResourcesText } from './api-resources';

describe('bosun delete / scale / create namespace / describe / api-resources', () => {
  let h: CliHarness;
  beforeEach(() => {
    h = new CliHarness();
    for (const name of ['a', 'b']) h.fake.seed({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', labels: { app: name } } });
    h.fake.seed({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'default' }, spec: { replicas: 2 } });
  });
  afterEach(() => h.cleanup());

  it('delete KIND NAME... prints `pod "x" deleted` and kubectl\'s NotFound', async () => {
    const r = await h.run(['delete', 'pod', 'a', 'nope', '--grace-period', '0', '--force']);
    expect(r).to.deep.equal({ code: 1, stdout: 'pod "a" deleted\n', stderr: 'Error from server (NotFound): pods "nope" not found\n' });
    expect(await h.run(['delete', 'po', 'nope', '--ignore-not-found'])).to.deep.equal({ code: 0, stdout: '', stderr: '' });
    expect((await h.run(['delete', 'deploy/web', '--cascade=foreground', '--wait=false'])).stdout).to.equal('deployment.apps "web" deleted\n');
  });

  it('delete -l, --all and -f; misuse is named', async () => {
    expect((await h.run(['delete', 'pods', '-l', 'app=b'])).stdout).to.equal('pod "b" deleted\n');
    expect((await h.run(['delete', 'pods', '--all'])).stdout).to.equal('pod "a" deleted\n');
    expect(await h.run(['delete', 'pods', '--all'])).to.deep.equal({ code: 0, stdout: '', stderr: 'No resources found in default namespace.\n' });
    const f = h.file('d.yaml', 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n');
    expect((await h.run(['delete', '-f', f])).stdout).to.equal('deployment.apps "web" deleted\n');
    expect((await h.run(['delete', 'pods'])).stderr).to.equal('error: resource(s) were provided, but no name was specified\n');
    expect((await h.run(['delete'])).stderr).to.equal('error: You must provide one or more resources by argument or filename.\n');
    expect((await h.run(['delete', 'pods', 'x', '--cascade=sideways'])).stderr).to.equal('error: invalid cascade value (sideways). Must be "background", "foreground", or "orphan".\n');
  });

  it('scale uses the scale subresource and checks --current-replicas', async () => {
    expect(await h.run(['scale', 'deploy', 'web', '--replicas=5'])).to.deep.equal({ code: 0, stdout: 'deployment.apps/web scaled\n', stderr: '' });
    expect(h.fake.peek('Deployment', 'default', 'web')!.spec!.replicas).to.equal(5);
    expect(h.fake.calls.filter((c) => c.includes('Scale'))).to.deep.equal(['getScale deployments/default/web', 'updateScale deployments/default/web']);
    const pre = await h.run(['scale', 'deployment/web', '--replicas=1', '--current-replicas=3']);
    expect(pre).to.deep.equal({ code: 1, stdout: '', stderr: 'error: Expected replicas to be 3, was 5\n' });
    expect((await h.run(['scale', 'deploy', 'web'])).stderr).to.equal('error: The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0\n');
    expect((await h.run(['scale', 'deploy', 'nope', '--replicas=1'])).stderr).to.equal('Error from server (NotFound): deployments.apps "nope" not found\n');
    expect((await h.run(['scale', 'pod', 'a', '--replicas=1'])).stderr).to.match(/^error: no scaler has been implemented for Pod/);
  });

  it('create namespace prints namespace/NAME created; AlreadyExists is the server\'s error', async () => {
    expect(await h.run(['create', 'namespace', 'team'])).to.deep.equal({ code: 0, stdout: 'namespace/team created\n', stderr: '' });
    expect(await h.run(['create', 'ns', 'team'])).to.deep.equal({ code: 1, stdout: '', stderr: 'Error from server (AlreadyExists): namespaces "team" already exists\n' });
    expect((await h.run(['create', 'ns', 'Bad_Name'])).stderr).to.match(/^error: invalid namespace name "Bad_Name"/);
  });

  it('describe prints the object and the events about it', async () => {
    h.fake.seed({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'a.1', namespace: 'default' },
      involvedObject: { kind: 'Pod', name: 'a', namespace: 'default', uid: 'uid-pods-a' },
      type: 'Normal',
      reason: 'Scheduled',
      message: 'Successfully assigned default/a to node-1',
      source: { component: 'default-scheduler' },
      count: 1,
      lastTimestamp: '2024-01-01T00:05:00Z',
    });
    h.fake.seed({ apiVersion: 'v1', kind: 'Event', metadata: { name: 'b.1', namespace: 'default' }, involvedObject: { kind: 'Pod', name: 'b', namespace: 'default', uid: 'uid-pods-b' }, reason: 'Other', message: 'not about a' });
    const r = await h.run(['describe', 'pod', 'a']);
    expect(r.code).to.equal(0);
    expect(r.stdout).to.match(/^Name: +a\nNamespace: +default\n/);
    expect(r.stdout).to.include('Successfully assigned default/a to node-1');
    expect(r.stdout).to.not.include('not about a');
    expect(h.fake.calls).to.include('list events/default');
    expect((await h.run(['describe', 'pod', 'zzz'])).stderr).to.equal('Error from server (NotFound): pods "zzz" not found\n');
  });

  it('api-resources lists kubectl\'s columns, sorted by group then name', async () => {
    const r = await h.run(['api-resources', '--namespaced=false']);
    expect(r.stdout.split('\n').slice(0, 3)).to.deep.equal([
      'NAME                  SHORTNAMES   APIVERSION                     NAMESPACED   KIND',
      'namespaces            ns           v1                             false        Namespace',
      'nodes                 no           v1                             false        Node',
    ]);
    expect((await h.run(['api-resources', '-o', 'name', '--api-group', 'apps'])).stdout).to.equal('controllerrevisions.apps\ndaemonsets.apps\ndeployments.apps\nreplicasets.apps\nstatefulsets.apps\n');
    expect((await h.run(['api-resources', '-o', 'name', '--api-group', 'discovery.k8s.io'])).stdout).to.equal('endpointslices.discovery.k8s.io\n');
    expect((await h.run(['api-resources', '-o', 'name', '--api-group', 'networking.k8s.io'])).stdout).to.equal('ingressclasses.networking.k8s.io\ningresses.networking.k8s.io\n');
    const wide = apiResourcesText(DEFAULT_SERVED_RESOURCES.filter((x) => x.resource === 'pods'), 'wide');
    expect(wide).to.equal('NAME   SHORTNAMES   APIVERSION   NAMESPACED   KIND   VERBS                                                        CATEGORIES\npods   po           v1           true         Pod    create,delete,deletecollection,get,list,patch,update,watch   all\n');
  });
});

describe('bosun CLI plumbing', () => {
  it('says no cluster is configured when nothing is found, and --server is enough', async () => {
    const h = new CliHarness();
    try {
      const r = await h.run(['get', 'pods'], { env: { HOME: h.dir } });
      expect(r).to.deep.equal({ code: 1, stdout: '', stderr: 'bosun: no cluster configured: start one with "npm start", or pass --server / --kubeconfig\n' });
      expect((await h.run(['get', 'pods', '--server', '10.1.1.1:6444'], { env: { HOME: h.dir } })).code).to.equal(0);
      expect(h.dialed).to.deep.equal([['10.1.1.1:6444']]);
      h.file('.data/local/kubeconfig', require('node:fs').readFileSync(h.kubeconfig, 'utf8'));
      expect((await h.run(['get', 'pods'], { env: { HOME: h.dir } })).code).to.equal(0);
      expect(h.dialed[1]).to.deep.equal(['127.0.0.1:6444']);
      expect(h.fake.closed).to.equal(true);
    } finally {
      h.cleanup();
    }
  });

  it('names unknown flags without a stack trace', async () => {
    const h = new CliHarness();
    try {
      const r = await h.run(['get', 'pods', '--bogus']);
      expect(r.code).to.equal(1);
      expect(r.stderr).to.equal("error: unknown option '--bogus'\n");
      const g = await h.run(['delete', 'pod', 'a', '--grace-period', 'soon']);
      expect(g.stderr).to.match(/^error: option '--grace-period <seconds>' argument 'soon' is invalid/);
    } finally {
      h.cleanup();
    }
  });
});

describe('bosun CLI connection failures', () => {
  it("reads like kubectl's when the apiserver refuses connections", async () => {
    const h = new CliHarness();
    try {
      const { ServiceUnavailableError } = await import('../../lib/api/errors');
      h.fake.failNext('discover', new ServiceUnavailableError('No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:6444'));
      const r = await h.run(['apply', '-f', h.file('a.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n')]);
      expect(r).to.deep.equal({ code: 1, stdout: '', stderr: 'The connection to the server 127.0.0.1:6444 was refused - did you specify the right host or port?\n' });
    } finally {
      h.cleanup();
    }
  });
});
