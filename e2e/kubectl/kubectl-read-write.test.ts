import { expect } from 'chai';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as YAML from 'yaml';
import { KubectlCluster, MANIFESTS } from './support/kubectl-cluster';

/**
 * The real kubectl 1.32 against `bosun up`: discovery, create/apply of the manifests folder,
 * the protobuf-bodied `kubectl create <generator>` commands, `run`, every `get` output form,
 * `get -w`, and the etcd v3 view of what was written.
 */
describe('kubectl against bosun up: discovery, create, apply, get, watch', function () {
  this.timeout(120_000);
  let c: KubectlCluster;
  let manifests: string;

  before(async () => {
    c = await KubectlCluster.start('kubectl-rw');
    manifests = path.join(c.dir, 'manifests');
    fs.cpSync(MANIFESTS, manifests, { recursive: true });
  });

  after(async () => {
    if (c) await c.stop();
  });

  it('kubectl version reports server minor 32', async () => {
    const out = await c.ok('version', '-o', 'json');
    const v = JSON.parse(out) as { serverVersion: { major: string; minor: string; gitVersion: string } };
    expect(v.serverVersion.major).to.equal('1');
    expect(v.serverVersion.minor).to.equal('32');
    expect(v.serverVersion.gitVersion).to.match(/^v1\.32\./);
    expect(await c.ok('version')).to.match(/^Server Version: v1\.32\.\S+$/m);
  });

  it('kubectl api-resources lists kinds with short names, scope and categories', async () => {
    const out = await c.ok('api-resources');
    expect(out).to.match(/^NAME\s+SHORTNAMES\s+APIVERSION\s+NAMESPACED\s+KIND$/m);
    expect(out).to.match(/^pods\s+po\s+v1\s+true\s+Pod$/m);
    expect(out).to.match(/^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/m);
    expect(out).to.match(/^namespaces\s+ns\s+v1\s+false\s+Namespace$/m);
    expect(out).to.match(/^jobs\s+batch\/v1\s+true\s+Job$/m);
    const wide = await c.ok('api-resources', '-o', 'wide');
    expect(wide).to.match(/^pods\s+po\s+v1\s+true\s+Pod\s+\S*list\S*watch\s+all$/m);
    expect(wide).to.match(/^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment\s+\S+\s+all$/m);
    const names = await c.ok('api-resources', '--categories=all', '-o', 'name');
    expect(names.trim().split('\n')).to.include.members(['pods', 'services', 'deployments.apps', 'statefulsets.apps', 'jobs.batch', 'cronjobs.batch']);
  });

  it('kubectl create -f a folder creates every object; again: AlreadyExists per object', async () => {
    const out = await c.ok('create', '-f', manifests);
    for (const line of [
      'namespace/shop created',
      'configmap/web-config created',
      'secret/db-credentials created',
      'serviceaccount/web created',
      'role.rbac.authorization.k8s.io/config-reader created',
      'rolebinding.rbac.authorization.k8s.io/web-reads-config created',
      'deployment.apps/web created',
      'service/web created',
      'job.batch/migrate created',
      'cronjob.batch/nightly-report created',
      'daemonset.apps/log-agent created',
      'service/db created',
      'statefulset.apps/db created',
    ]) {
      expect(out).to.include(line);
    }
    const again = await c.kubectl(['create', '-f', path.join(manifests, '30-web.yaml')]);
    expect(again.code).to.equal(1);
    expect(again.stderr).to.include(`Error from server (AlreadyExists): error when creating "${path.join(manifests, '30-web.yaml')}": deployments.apps "web" already exists`);
    expect(again.stderr).to.include('services "web" already exists');
  });

  it('kubectl apply -f the folder: configured (annotation patched in), then unchanged, then one change configured', async () => {
    const first = await c.kubectl(['apply', '-f', manifests]);
    expect(first.code, first.stderr).to.equal(0);
    // Objects made by `create` lack the last-applied annotation: kubectl warns and patches it in.
    expect(first.stderr).to.include('resource deployments/web is missing the kubectl.kubernetes.io/last-applied-configuration annotation');
    expect(first.stdout).to.include('deployment.apps/web configured');

    const again = await c.ok('apply', '-f', manifests);
    const lines = again.trim().split('\n');
    expect(lines).to.have.length(13);
    for (const line of lines) {
      // A Secret written with stringData is "configured" on every apply in Kubernetes too: the
      // server folds stringData into data, so the live object never matches the manifest
      // (kubernetes/kubernetes#87736).
      if (line === 'secret/db-credentials configured') continue;
      expect(line, again).to.match(/ unchanged$/);
    }
    expect(again).to.include('deployment.apps/web unchanged');

    const web = path.join(manifests, '30-web.yaml');
    fs.writeFileSync(web, fs.readFileSync(web, 'utf8').replace('replicas: 3', 'replicas: 2').replace('image: nginx:1.25', 'image: nginx:1.27'));
    const changed = await c.ok('apply', '-f', manifests);
    expect(changed).to.include('deployment.apps/web configured');
    expect(changed).to.include('service/web unchanged');
    expect(changed).to.include('statefulset.apps/db unchanged');
    expect(await c.ok('get', 'deploy', 'web', '-n', 'shop', '-o', 'jsonpath={.spec.replicas} {.spec.template.spec.containers[0].image}')).to.equal('2 nginx:1.27');

    // An env value and a label in the same file: only that object changes.
    const cfg = path.join(manifests, '10-config.yaml');
    fs.writeFileSync(cfg, fs.readFileSync(cfg, 'utf8').replace('LOG_LEVEL: info', 'LOG_LEVEL: debug').replace('  namespace: shop\ndata:', '  namespace: shop\n  labels:\n    tier: config\ndata:'));
    const cfgOut = await c.ok('apply', '-f', cfg);
    expect(cfgOut).to.include('configmap/web-config configured');
    expect(await c.ok('get', 'cm', 'web-config', '-n', 'shop', '-o', 'jsonpath={.data.LOG_LEVEL} {.metadata.labels.tier}')).to.equal('debug config');
  });

  // Server-side apply answers 415 here until application/apply-patch+yaml is implemented (in progress).
  it.skip('kubectl apply --server-side applies the folder', async () => {
    const out = await c.ok('apply', '--server-side', '-f', manifests);
    expect(out).to.include('deployment.apps/web serverside-applied');
  });

  it('kubectl create <generator> (protobuf bodies) and kubectl run', async () => {
    expect(await c.ok('create', 'namespace', 'gen')).to.equal('namespace/gen created\n');
    expect(await c.ok('create', 'deployment', 'api', '--image=nginx:1.25', '--replicas=2', '-n', 'gen')).to.equal('deployment.apps/api created\n');
    expect(await c.ok('create', 'configmap', 'settings', '--from-literal=mode=fast', '--from-literal=level=3', '-n', 'gen')).to.equal('configmap/settings created\n');
    expect(await c.ok('create', 'secret', 'generic', 'token', '--from-literal=value=s3cr3t', '-n', 'gen')).to.equal('secret/token created\n');
    expect(await c.ok('create', 'service', 'clusterip', 'api', '--tcp=80:8080', '-n', 'gen')).to.equal('service/api created\n');
    expect(await c.ok('create', 'job', 'once', '--image=busybox:1.36', '-n', 'gen', '--', 'echo', 'hi')).to.equal('job.batch/once created\n');
    expect(await c.ok('run', 'solo', '--image=nginx:1.25', '--labels=app=solo,tier=test', '-n', 'gen')).to.equal('pod/solo created\n');

    const deploy = JSON.parse(await c.ok('get', 'deploy', 'api', '-n', 'gen', '-o', 'json')) as { spec: { replicas: number; selector: unknown; template: { spec: { containers: { image: string }[] } } } };
    expect(deploy.spec.replicas).to.equal(2);
    expect(deploy.spec.selector).to.deep.equal({ matchLabels: { app: 'api' } });
    expect(deploy.spec.template.spec.containers[0]!.image).to.equal('nginx:1.25');
    expect(await c.ok('get', 'cm', 'settings', '-n', 'gen', '-o', 'jsonpath={.data.mode}/{.data.level}')).to.equal('fast/3');
    expect(Buffer.from(await c.ok('get', 'secret', 'token', '-n', 'gen', '-o', 'jsonpath={.data.value}'), 'base64').toString()).to.equal('s3cr3t');
    expect(await c.ok('get', 'svc', 'api', '-n', 'gen', '-o', 'jsonpath={.spec.type} {.spec.ports[0].port}->{.spec.ports[0].targetPort} {.spec.selector.app}')).to.equal('ClusterIP 80->8080 api');
    expect(await c.ok('get', 'job', 'once', '-n', 'gen', '-o', 'jsonpath={.spec.template.spec.containers[0].command}')).to.equal('["echo","hi"]');
    expect(await c.ok('get', 'pod', 'solo', '-n', 'gen', '-o', 'jsonpath={.spec.containers[0].image} {.metadata.labels.tier}')).to.equal('nginx:1.25 test');
  });

  it('kubectl get: default and -o wide columns', async () => {
    const deploys = await c.ok('get', 'deployments', '-n', 'shop');
    expect(deploys).to.match(/^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE$/m);
    expect(deploys).to.match(/^web\s+\d+\/2\s+\d+\s+\d+\s+\S+$/m);
    const wide = await c.ok('get', 'deploy', '-n', 'shop', '-o', 'wide');
    expect(wide).to.match(/^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\s+CONTAINERS\s+IMAGES\s+SELECTOR$/m);
    expect(wide).to.match(/^web\s+\S+\s+\d+\s+\d+\s+\S+\s+nginx\s+nginx:1\.27\s+app=web$/m);
    const svc = await c.ok('get', 'svc', '-n', 'shop');
    expect(svc).to.match(/^NAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE$/m);
    expect(svc).to.match(/^web\s+NodePort\s+10\.\d+\.\d+\.\d+\s+<none>\s+80:3\d{4}\/TCP\s+\S+$/m);
    expect(svc).to.match(/^db\s+ClusterIP\s+None\s+<none>\s+5432\/TCP\s+\S+$/m);
    const pods = await c.ok('get', 'pods', '-n', 'gen', '-o', 'wide');
    expect(pods).to.match(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE\s+NOMINATED NODE\s+READINESS GATES$/m);
    expect(pods).to.match(/^solo\s+0\/1\s+Pending\s+0\s+\S+\s+<none>\s+<none>\s+<none>\s+<none>$/m);
    const ns = await c.ok('get', 'ns');
    for (const name of ['default', 'kube-system', 'kube-public', 'shop', 'gen']) expect(ns).to.match(new RegExp(`^${name}\\s+Active\\s+\\S+$`, 'm'));
  });

  it('kubectl get -o yaml, -o json, -o name', async () => {
    const y = YAML.parse(await c.ok('get', 'deploy', 'web', '-n', 'shop', '-o', 'yaml')) as Record<string, any>;
    expect(y.apiVersion).to.equal('apps/v1');
    expect(y.kind).to.equal('Deployment');
    expect(y.metadata.name).to.equal('web');
    expect(y.metadata.uid).to.be.a('string');
    expect(y.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']).to.include('"replicas":2');
    expect(y.spec.strategy).to.deep.equal({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });

    const list = JSON.parse(await c.ok('get', 'cm', '-n', 'shop', '-o', 'json')) as { kind: string; apiVersion: string; items: { kind: string; metadata: { name: string } }[] };
    expect(list.kind).to.equal('List');
    expect(list.apiVersion).to.equal('v1');
    expect(list.items.map((i) => i.metadata.name)).to.include('web-config');
    expect(list.items.every((i) => i.kind === 'ConfigMap')).to.equal(true);

    const names = await c.ok('get', 'deploy,svc,sts', '-n', 'shop', '-o', 'name');
    expect(names.trim().split('\n').sort()).to.deep.equal(['deployment.apps/web', 'service/db', 'service/web', 'statefulset.apps/db']);
  });

  it('kubectl get -o jsonpath and -o custom-columns', async () => {
    expect(await c.ok('get', 'deploy', '-A', '-o', 'jsonpath={range .items[*]}{.metadata.namespace}/{.metadata.name}={.spec.replicas}{"\\n"}{end}')).to.equal('gen/api=2\nshop/web=2\n');
    const cols = await c.ok('get', 'deploy', '-n', 'shop', '-o', 'custom-columns=NAME:.metadata.name,REPLICAS:.spec.replicas,IMAGE:.spec.template.spec.containers[0].image');
    expect(cols.trim().split('\n').map((l) => l.trim().split(/\s+/))).to.deep.equal([
      ['NAME', 'REPLICAS', 'IMAGE'],
      ['web', '2', 'nginx:1.27'],
    ]);
  });

  it('kubectl get --show-labels, -l, --field-selector, -A', async () => {
    const labels = await c.ok('get', 'pods', '-n', 'gen', '--show-labels');
    expect(labels).to.match(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+LABELS$/m);
    expect(labels).to.match(/^solo\s+.*\s+app=solo,tier=test$/m);
    await c.ok('create', 'configmap', 'red', '--from-literal=a=1', '-n', 'gen');
    await c.ok('label', 'configmap', 'red', 'color=red', '-n', 'gen');
    const byLabel = await c.ok('get', 'cm', '-n', 'gen', '-l', 'color=red', '-o', 'name');
    expect(byLabel).to.equal('configmap/red\n');
    expect(await c.ok('get', 'cm', '-n', 'gen', '-l', 'color notin (red)', '-o', 'name')).to.equal('configmap/settings\n');
    expect(await c.ok('get', 'cm', '-n', 'gen', '--field-selector', 'metadata.name=settings', '-o', 'name')).to.equal('configmap/settings\n');
    expect(await c.ok('get', 'pods', '-A', '--field-selector', 'status.phase=Pending', '-o', 'name')).to.equal('pod/solo\n');
    const none = await c.kubectl(['get', 'cm', '-n', 'gen', '-l', 'color=blue']);
    expect(none.code).to.equal(0);
    expect(none.stderr).to.equal('No resources found in gen namespace.\n');
    const all = await c.ok('get', 'deploy', '-A');
    expect(all).to.match(/^NAMESPACE\s+NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE$/m);
    expect(all).to.match(/^gen\s+api\s/m);
    expect(all).to.match(/^shop\s+web\s/m);
  });

  it('kubectl get all -n shop prints every kind of the "all" category with kind/ prefixes', async () => {
    const out = await c.ok('get', 'all', '-n', 'shop');
    expect(out).to.match(/^service\/web\s+NodePort\s/m);
    expect(out).to.match(/^service\/db\s+ClusterIP\s+None\s/m);
    expect(out).to.match(/^deployment\.apps\/web\s/m);
    expect(out).to.match(/^daemonset\.apps\/log-agent\s/m);
    expect(out).to.match(/^statefulset\.apps\/db\s/m);
    expect(out).to.match(/^job\.batch\/migrate\s/m);
    expect(out).to.match(/^cronjob\.batch\/nightly-report\s+0 3 \* \* \*\s/m);
    expect(out).not.to.include('configmap/');
  });

  it('kubectl get -w prints the list, then each change as it happens', async () => {
    const w = c.spawnKubectl(['get', 'configmaps', '-n', 'gen', '-w']);
    try {
      await w.waitFor(/^settings\s+2\s+\S+$/m, 20_000);
      await c.ok('create', 'configmap', 'watched', '--from-literal=a=1', '-n', 'gen');
      await w.waitFor(/^watched\s+1\s+\S+$/m, 20_000);
      await c.ok('patch', 'configmap', 'watched', '-n', 'gen', '--type', 'merge', '-p', '{"data":{"b":"2"}}');
      await w.waitFor(/^watched\s+2\s+\S+$/m, 20_000);
      // Only changes after the list: no row is printed twice before the change.
      expect(w.output().match(/^settings\s/gm)).to.have.length(1);
    } finally {
      await w.stop();
    }
  });

  it('etcdctl sees every object under /registry/<resource>/<namespace>/<name>', async () => {
    const r = await c.etcdctl(['get', '--prefix', '/registry', '--keys-only']);
    expect(r.code, r.stderr).to.equal(0);
    const keys = r.stdout.split('\n').filter((l) => l !== '');
    expect(keys).to.include.members([
      '/registry/namespaces/shop',
      '/registry/namespaces/gen',
      '/registry/configmaps/shop/web-config',
      '/registry/secrets/shop/db-credentials',
      '/registry/serviceaccounts/shop/web',
      '/registry/roles/shop/config-reader',
      '/registry/rolebindings/shop/web-reads-config',
      '/registry/deployments/shop/web',
      '/registry/services/shop/web',
      '/registry/jobs/shop/migrate',
      '/registry/cronjobs/shop/nightly-report',
      '/registry/daemonsets/shop/log-agent',
      '/registry/statefulsets/shop/db',
      '/registry/deployments/gen/api',
      '/registry/configmaps/gen/settings',
      '/registry/secrets/gen/token',
      '/registry/services/gen/api',
      '/registry/jobs/gen/once',
      '/registry/pods/gen/solo',
    ]);
    const one = await c.etcdctl(['get', '/registry/configmaps/gen/settings', '--print-value-only']);
    expect(one.stdout).to.include('settings');
    expect(one.stdout).to.include('fast');
  });
});
