import { expect } from 'chai';
import type { KubeObject } from '../../lib/api/object';
import { CliHarness } from '../testing/cli-harness';

function pod(name: string, ns = 'default', labels: Record<string, string> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns, labels },
    spec: { containers: [{ name: 'c', image: 'nginx' }], nodeName: 'node-1' },
    status: { phase: 'Running', podIP: '10.0.0.5', containerStatuses: [{ name: 'c', ready: true, restartCount: 0, state: { running: {} } }] },
  };
}

describe('bosun get', () => {
  let h: CliHarness;
  beforeEach(() => {
    h = new CliHarness();
    h.fake.seed(pod('web-1', 'default', { app: 'web' }));
    h.fake.seed(pod('db-1', 'default', { app: 'db' }));
    h.fake.seed(pod('other', 'team'));
  });
  afterEach(() => h.cleanup());

  it('prints kubectl tables via the printers (short names, -o wide, --show-labels)', async () => {
    const r = await h.run(['get', 'po']);
    expect(r.code).to.equal(0);
    expect(r.stdout).to.equal(['NAME    READY   STATUS    RESTARTS   AGE', 'db-1    1/1     Running   0          10m', 'web-1   1/1     Running   0          10m', ''].join('\n'));
    const wide = await h.run(['get', 'pods', '-o', 'wide']);
    expect(wide.stdout.split('\n')[0]).to.match(/^NAME +READY +STATUS +RESTARTS +AGE +IP +NODE/);
    expect((await h.run(['get', 'pod', 'web-1', '--show-labels'])).stdout.split('\n')[1]).to.match(/ app=web$/);
    expect((await h.run(['get', 'pods', '-l', 'app=db', '--no-headers'])).stdout).to.match(/^db-1 +1\/1 +Running/);
  });

  it('-A adds NAMESPACE; cluster-scoped kinds have none', async () => {
    const r = await h.run(['get', 'pods', '-A']);
    expect(r.stdout.split('\n').map((l) => l.split(/ +/)[0])).to.deep.equal(['NAMESPACE', 'default', 'default', 'team', '']);
    h.fake.seed({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team' }, status: { phase: 'Active' } });
    expect((await h.run(['get', 'ns', '-A'])).stdout).to.match(/^NAME +STATUS +AGE\nteam +Active +10m\n$/);
  });

  it("says kubectl's NotFound and empty messages", async () => {
    const nf = await h.run(['get', 'pods', 'nope', 'web-1']);
    expect(nf.code).to.equal(1);
    expect(nf.stderr).to.equal('Error from server (NotFound): pods "nope" not found\n');
    expect(nf.stdout).to.match(/^NAME .*\nweb-1 /);
    expect(await h.run(['get', 'pods', 'nope', '--ignore-not-found'])).to.deep.equal({ code: 0, stdout: '', stderr: '' });
    expect(await h.run(['get', 'deploy'])).to.deep.equal({ code: 0, stdout: '', stderr: 'No resources found in default namespace.\n' });
    expect((await h.run(['get', 'deploy', '-n', 'x'])).stderr).to.equal('No resources found in x namespace.\n');
    expect((await h.run(['get', 'nodes'])).stderr).to.equal('No resources found\n');
    const unknown = await h.run(['get', 'foos']);
    expect(unknown).to.deep.equal({ code: 1, stdout: '', stderr: `error: the server doesn't have a resource type "foos"\n` });
  });

  it('-o yaml|json prints one object, or a v1 List of several; -o name prints kind/name', async () => {
    const one = await h.run(['get', 'pod', 'web-1', '-o', 'json']);
    const obj = JSON.parse(one.stdout);
    expect(obj).to.deep.include({ apiVersion: 'v1', kind: 'Pod' });
    expect(obj.metadata.name).to.equal('web-1');
    expect(one.stdout).to.match(/^\{\n {4}"apiVersion": "v1",\n {4}"kind": "Pod",/);
    const list = await h.run(['get', 'pods', '-o', 'yaml']);
    expect(list.stdout).to.match(/^apiVersion: v1\nitems:\n- apiVersion: v1\n  kind: Pod\n/);
    expect(list.stdout).to.match(/\nkind: List\nmetadata:\n  resourceVersion: ""\n$/);
    expect((await h.run(['get', 'pods', '-o', 'name'])).stdout).to.equal('pod/db-1\npod/web-1\n');
    const bad = await h.run(['get', 'pods', '-o', 'xml']);
    expect(bad).to.deep.include({ code: 1, stderr: 'error: unable to match a printer suitable for the output format "xml", allowed formats are: json,name,wide,yaml\n' });
  });

  it('get all and comma lists print one table per kind with kind/ prefixes', async () => {
    h.fake.seed({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'default' }, spec: { replicas: 1, template: { spec: { containers: [] } } }, status: {} });
    const r = await h.run(['get', 'all']);
    expect(r.code).to.equal(0);
    const blocks = r.stdout.split('\n\n');
    expect(blocks).to.have.length(2);
    expect(blocks[0]).to.match(/^NAME +READY +STATUS/);
    expect(blocks[0]).to.include('pod/web-1');
    expect(blocks[1]).to.match(/^NAME +READY +UP-TO-DATE +AVAILABLE +AGE\ndeployment\.apps\/web /);
    expect((await h.run(['get', 'po,deploy', '-o', 'name'])).stdout).to.equal('pod/db-1\npod/web-1\ndeployment.apps/web\n');
    expect((await h.run(['get', 'pod/web-1', 'deploy/web', '-o', 'name'])).stdout).to.equal('pod/web-1\ndeployment.apps/web\n');
  });

  it('-w prints the list, then a row per change, until --watch-timeout', async () => {
    const run = h.run(['get', 'pods', '-w', '--watch-timeout', '200ms', '-l', 'app=web']);
    await new Promise((r) => setTimeout(r, 50));
    h.fake.seed(pod('web-2', 'default', { app: 'web' }));
    h.fake.seed(pod('db-2', 'default', { app: 'db' }));
    const r = await run;
    expect(r.code).to.equal(0);
    expect(r.stdout.split('\n').map((l) => l.split(/ +/)[0])).to.deep.equal(['NAME', 'web-1', 'web-2', '']);
    const w = h.fake.calls.find((c) => c.startsWith('watch'));
    expect(w).to.equal('watch pods/default');
  });

  it('-w ends when stdin ends; flag misuse is named', async () => {
    expect((await h.run(['get', 'pods', '-w', '-o', 'name'], { stdin: '' })).stdout).to.equal('pod/db-1\npod/web-1\n');
    expect((await h.run(['get', 'pods', 'x', '-l', 'a=b'])).stderr).to.equal('error: name cannot be provided when a selector is specified\n');
    expect((await h.run(['get'])).stderr).to.match(/^error: you must specify the type of resource to get/);
    const bad = await h.run(['get', 'pods', '--watch-timeout', 'soon', '-w']);
    expect(bad.code).to.equal(1);
    expect(bad.stderr).to.include(`option '--watch-timeout <duration>' argument 'soon' is invalid`);
  });
});
