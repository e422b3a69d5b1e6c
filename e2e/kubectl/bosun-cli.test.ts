import { expect } from 'chai';
import { execFile, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { BOSUN_BIN } from '../../lib/launcher/local-process';
import { KubectlCluster } from './support/kubectl-cluster';

const execFileAsync = promisify(execFile);
const MANIFESTS = path.resolve(__dirname, '..', '..', '..', 'e2e', 'fixtures', 'manifests');

/** The result of one `bosun` CLI run. */
interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * The `bosun` CLI (the real binary, a separate process per command) against a cluster started
 * the way `npm start` starts it: a 3-member store and two apiservers.
 */
describe('the bosun CLI against `bosun up`', function () {
  this.timeout(120_000);
  let dir: string;
  let c: KubectlCluster;
  let env: NodeJS.ProcessEnv;
  let etcdEnv: NodeJS.ProcessEnv;

  async function bosun(...args: string[]): Promise<CliResult> {
    try {
      const { stdout, stderr } = await execFileAsync(process.execPath, [BOSUN_BIN, ...args], { env, timeout: 30_000 });
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code?: number; stdout?: string; stderr?: string };
      return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
    }
  }

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bosun-cli-e2e-'));
    c = await KubectlCluster.shared();
    env = { ...process.env, KUBECONFIG: c.kubeconfig, BOSUN_KUBECONFIG: '' };
    // The store serves mutual TLS: etcdctl presents the client certificate bosun up printed.
    etcdEnv = { ...process.env, ...c.etcdEnv };
  });

  after(async () => {
    if (c) await c.release();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('starts with the system namespaces and the kubernetes Service', async () => {
    const ns = await bosun('get', 'ns');
    expect(ns.code, ns.stderr).to.equal(0);
    for (const name of ['default', 'kube-system', 'kube-public']) expect(ns.stdout).to.match(new RegExp(`^${name}\\s+Active`, 'm'));
    const svc = await bosun('get', 'svc', 'kubernetes', '-n', 'default');
    expect(svc.stdout).to.match(/kubernetes\s+ClusterIP\s+10\.43\.0\.1\s+<none>\s+443\/TCP/);
    // Connection flags before the command, as kubectl users write them.
    const leading = await bosun('--kubeconfig', env.KUBECONFIG!, '-n', 'default', 'get', 'svc', 'kubernetes');
    expect(leading.code, leading.stderr).to.equal(0);
    expect(leading.stdout).to.match(/^kubernetes\s+ClusterIP/m);
  });

  it('applies a folder of ordinary manifests, then reports unchanged and configured', async () => {
    const first = await bosun('apply', '-f', MANIFESTS);
    expect(first.code, first.stderr + first.stdout).to.equal(0);
    expect(first.stdout).to.include('namespace/shop created');
    expect(first.stdout).to.include('deployment.apps/web created');
    expect(first.stdout).to.include('statefulset.apps/db created');
    expect(first.stdout).to.include('rolebinding.rbac.authorization.k8s.io/web-reads-config created');
    const again = await bosun('apply', '-f', MANIFESTS);
    expect(again.code).to.equal(0);
    // A Secret written with stringData reads back as data only, so its re-apply sends stringData
    // again and reports configured, as kubectl does against Kubernetes (kubernetes#87736).
    const changedLines = again.stdout.trim().split('\n').filter((l) => !l.endsWith(' unchanged'));
    expect(changedLines, again.stdout).to.deep.equal(changedLines.length ? ['secret/db-credentials configured'] : []);
    const changed = path.join(dir, 'web.yaml');
    fs.writeFileSync(changed, fs.readFileSync(path.join(MANIFESTS, '30-web.yaml'), 'utf8').replace('replicas: 3', 'replicas: 4'));
    const third = await bosun('apply', '-f', changed);
    expect(third.stdout).to.include('deployment.apps/web configured');
    expect(third.stdout).to.include('service/web unchanged');
    const replicas = JSON.parse((await bosun('get', 'deploy', 'web', '-n', 'shop', '-o', 'json')).stdout).spec.replicas;
    expect(replicas).to.equal(4);
  });

  it('gets with kubectl-like columns, short names and selectors', async () => {
    const all = await bosun('get', 'all', '-n', 'shop');
    expect(all.stdout).to.match(/deployment\.apps\/web\s+0\/4/);
    expect(all.stdout).to.match(/service\/web\s+NodePort\s+10\.43\.\d+\.\d+\s+<none>\s+80:3\d{4}\/TCP/);
    expect(all.stdout).to.match(/cronjob\.batch\/nightly-report\s+0 3 \* \* \*/);
    const sts = await bosun('get', 'sts', '-n', 'shop');
    expect(sts.stdout).to.match(/^NAME\s+READY\s+AGE\n^db\s+0\/1/m);
    const labelled = await bosun('get', 'cm', '-A', '-l', 'app!=nothing', '--field-selector', 'metadata.namespace=shop,metadata.name!=kube-root-ca.crt', '-o', 'name');
    expect(labelled.stdout.trim()).to.equal('configmap/web-config');
    const bad = await bosun('get', 'po', '-l', 'app in (');
    expect(bad.code).to.equal(1);
    expect(bad.stderr).to.match(/unable to parse requirement|invalid|found/i);
  });

  it('watches: a change made while `get -w` runs is printed', async () => {
    const watcher = spawn(process.execPath, [BOSUN_BIN, 'get', 'cm', '-n', 'shop', '-w', '--watch-timeout', '15s'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    watcher.stdout.on('data', (d) => (out += d));
    const exited = new Promise((r) => watcher.on('exit', r));
    try {
      const deadline = Date.now() + 10_000;
      while (!out.includes('web-config') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect((await bosun('create', 'namespace', 'watched')).code).to.equal(0);
      const cm = path.join(dir, 'cm.yaml');
      fs.writeFileSync(cm, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: late-arrival\n  namespace: shop\ndata:\n  a: "1"\n');
      expect((await bosun('apply', '-f', cm)).code).to.equal(0);
      while (!out.includes('late-arrival') && Date.now() < deadline + 5_000) await new Promise((r) => setTimeout(r, 50));
      expect(out).to.match(/late-arrival\s+1\s+/);
    } finally {
      watcher.kill('SIGTERM');
      await exited;
    }
  });

  it('scales, describes and deletes; errors read like kubectl', async () => {
    expect((await bosun('scale', 'deploy', 'web', '-n', 'shop', '--replicas=2')).stdout.trim()).to.equal('deployment.apps/web scaled');
    const described = await bosun('describe', 'deploy', 'web', '-n', 'shop');
    expect(described.stdout).to.match(/Replicas:\s+2 desired/);
    const missing = await bosun('get', 'deploy', 'nope', '-n', 'shop');
    expect(missing.code).to.equal(1);
    expect(missing.stderr.trim()).to.equal('Error from server (NotFound): deployments.apps "nope" not found');
    const unknown = await bosun('get', 'foos');
    expect(unknown.code).to.equal(1);
    expect(unknown.stderr).to.match(/the server doesn't have a resource type "foos"/);
    const del = await bosun('delete', 'cm', 'late-arrival', '-n', 'shop');
    expect(del.stdout.trim()).to.equal('configmap "late-arrival" deleted');
    const api = await bosun('api-resources');
    expect(api.stdout).to.match(/^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/m);
  });

  it('stores every object under /registry in the store, readable with etcdctl', async () => {
    const { stdout } = await execFileAsync('etcdctl', ['get', '--prefix', '/registry', '--keys-only'], { env: etcdEnv, timeout: 20_000 });
    const keys = stdout.split('\n').filter((l) => l.trim() !== '');
    for (const key of ['/registry/namespaces/shop', '/registry/deployments/shop/web', '/registry/services/shop/web', '/registry/statefulsets/shop/db', '/registry/secrets/shop/db-credentials', '/registry/rolebindings/shop/web-reads-config']) {
      expect(keys).to.include(key);
    }
    const { stdout: value } = await execFileAsync('etcdctl', ['get', '/registry/configmaps/shop/web-config', '--print-value-only'], { env: etcdEnv, timeout: 20_000 });
    expect(JSON.parse(value).data.LOG_LEVEL).to.equal('info');
    // Secrets are encrypted at rest: etcdctl shows the AES-GCM envelope, not the value.
    const secret = await execFileAsync('etcdctl', ['get', '/registry/secrets/shop/db-credentials', '--print-value-only'], { env: etcdEnv, timeout: 20_000, encoding: 'latin1' });
    expect(secret.stdout.startsWith('k8s:enc:aesgcm:v1:key1:')).to.equal(true);
    expect(secret.stdout).to.not.include('db-credentials');
  });

  it('a corrupt object written with etcdctl breaks neither `get` nor namespace deletion, and the unsafe delete removes it', async () => {
    const etcdctl = (...args: string[]) => execFileAsync('etcdctl', args, { env: etcdEnv, timeout: 20_000 });
    expect((await bosun('create', 'namespace', 'broken')).code).to.equal(0);
    await etcdctl('put', '/registry/configmaps/broken/by-hand', JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 12345, namespace: 'broken' } }));
    await etcdctl('put', '/registry/configmaps/broken/other', JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'other', namespace: 'broken', finalizers: 'x' } }));
    const cms = await bosun('get', 'cm', '-A');
    expect(cms.code, cms.stderr).to.equal(0);
    expect(cms.stdout).to.match(/^shop\s+web-config\s/m);
    const all = await bosun('get', 'all', '-A');
    expect(all.code, all.stderr).to.equal(0);
    const plain = await bosun('delete', 'cm', 'other', '-n', 'broken');
    expect(plain.code).to.equal(1);
    expect(plain.stderr).to.match(/corrupt object at \/registry\/configmaps\/broken\/other: metadata\.finalizers: expected a list/);
    const unsafe = await bosun('delete', 'cm', 'other', '-n', 'broken', '--ignore-store-read-error-with-cluster-breaking-potential');
    expect(unsafe.stdout.trim(), unsafe.stderr).to.equal('configmap "other" deleted');
    // The namespace still holds one corrupt object: its deletion completes and removes it too.
    const del = await bosun('delete', 'namespace', 'broken', '--timeout', '30s');
    expect(del.code, del.stderr).to.equal(0);
    let left = 'unread';
    for (let i = 0; i < 50 && left !== ''; i++) {
      left = (await etcdctl('get', '--prefix', '/registry/configmaps/broken/', '--keys-only')).stdout.trim();
      if (left !== '') await new Promise((r) => setTimeout(r, 100));
    }
    expect(left).to.equal('');
  });
});
