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
    c = await KubectlCluster.shared();
    manifests = path.join(c.dir, 'manifests');
    fs.cpSync(MANIFESTS, manifests, { recursive: true });
  });

  after(async () => {
    if (c) await c.release();
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

  it('kubectl apply --server-side: the folder, a conflict with another manager, --force-conflicts', async () => {
    const out = await c.ok('apply', '--server-side', '-f', manifests);
    expect(out.trim().split('\n')).to.have.length(13);
    for (const line of out.trim().split('\n')) expect(line).to.match(/ serverside-applied$/);
    const file = path.join(c.dir, 'ssa.yaml');
    fs.writeFileSync(file, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\n  namespace: shop\ndata:\n  a: "1"\n');
    expect(await c.ok('apply', '--server-side', '-f', file)).to.equal('configmap/ssa serverside-applied\n');
    const managed = JSON.parse(await c.ok('get', 'cm', 'ssa', '-n', 'shop', '-o', 'jsonpath={.metadata.managedFields}')) as { manager: string; operation: string; fieldsV1: unknown }[];
    expect(managed.map((m) => `${m.manager}/${m.operation}`)).to.deep.equal(['kubectl/Apply']);
    expect(managed[0]!.fieldsV1).to.deep.equal({ 'f:data': { '.': {}, 'f:a': {} } });
    await c.ok('patch', 'cm', 'ssa', '-n', 'shop', '--type', 'merge', '-p', '{"data":{"a":"2"}}');
    const conflict = await c.fails('apply', '--server-side', '-f', file);
    expect(conflict).to.match(/^error: Apply failed with 1 conflict: conflict with "kubectl-patch" using v1: \.data\.a\n/);
    expect(await c.ok('apply', '--server-side', '--force-conflicts', '-f', file)).to.equal('configmap/ssa serverside-applied\n');
    expect(await c.ok('get', 'cm', 'ssa', '-n', 'shop', '-o', 'jsonpath={.data.a}')).to.equal('1');
  });

  it('kubectl create <generator> (protobuf bodies) and kubectl run', async () => {
    expect(await c.ok('create', 'namespace', 'gen')).to.equal('namespace/gen created\n');
    expect(await c.ok('create', 'deployment', 'api', '--image=nginx:1.25', '--replicas=2', '-n', 'gen')).to.equal('deployment.apps/api created\n');
    expect(await c.ok('create', 'configmap', 'settings', '--from-literal=mode=fast', '--from-literal=level=3', '-n', 'gen')).to.equal('configmap/settings created\n');
    expect(await c.ok('create', 'secret', 'generic', 'token', '--from-literal=value=s3cr3t', '-n', 'gen')).to.equal('secret/token created\n');
    expect(await c.ok('create', 'service', 'clusterip', 'api', '--tcp=80:8080', '-n', 'gen')).to.equal('service/api created\n');
    expect(await c.ok('create', 'job', 'once', '--image=busybox:1.36', '-n', 'gen', '--', 'echo', 'hi')).to.equal('job.batch/once created\n');
    expect(await c.ok('run', 'solo', '--image=nginx:1.25', '--labels=app=solo,tier=test', '-n', 'gen')).to.equal('pod/solo created\n');
    // autoscale sends an autoscaling/v1 HPA (protobuf); it is stored as v2 and read back in both versions.
    expect(await c.ok('autoscale', 'deployment', 'api', '--min=2', '--max=6', '--cpu-percent=70', '-n', 'gen')).to.equal('horizontalpodautoscaler.autoscaling/api autoscaled\n');
    expect(await c.ok('get', 'hpa', 'api', '-n', 'gen', '-o', 'jsonpath={.apiVersion} {.spec.metrics[0].resource.target.averageUtilization}')).to.equal('autoscaling/v2 70');
    expect(await c.ok('get', 'hpa.v1.autoscaling', 'api', '-n', 'gen', '-o', 'jsonpath={.spec.maxReplicas}')).to.equal('6');
    expect(await c.ok('create', 'serviceaccount', 'builder', '-n', 'gen')).to.equal('serviceaccount/builder created\n');

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
    // Besides the root CA ConfigMap the cluster publishes in every namespace (it has no color label either).
    expect(await c.ok('get', 'cm', '-n', 'gen', '-l', 'color notin (red)', '--field-selector', 'metadata.name!=kube-root-ca.crt', '-o', 'name')).to.equal('configmap/settings\n');
    expect(await c.ok('get', 'cm', '-n', 'gen', '--field-selector', 'metadata.name=settings', '-o', 'name')).to.equal('configmap/settings\n');
    // Nothing runs containers yet: every pod (solo, the Deployment's and the Job's) is Pending.
    const pending = (await c.ok('get', 'pods', '-A', '--field-selector', 'status.phase=Pending', '-o', 'name')).trim().split('\n');
    expect(pending).to.include('pod/solo');
    expect(await c.ok('get', 'pods', '-A', '--field-selector', 'status.phase=Running', '-o', 'name')).to.equal('');
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

  it('the other kubectl create generators, and generateName', async () => {
    const cert = path.join(c.dir, 'cluster', 'pki', 'serving.crt');
    const key = path.join(c.dir, 'cluster', 'pki', 'serving.key');
    const cases: [string[], string][] = [
      [['create', 'serviceaccount', 'robot', '-n', 'gen'], 'serviceaccount/robot created'],
      [['create', 'secret', 'docker-registry', 'pull', '--docker-server=r.example', '--docker-username=u', '--docker-password=p', '-n', 'gen'], 'secret/pull created'],
      [['create', 'secret', 'tls', 'tls', `--cert=${cert}`, `--key=${key}`, '-n', 'gen'], 'secret/tls created'],
      [['create', 'service', 'nodeport', 'np', '--tcp=80:8080', '-n', 'gen'], 'service/np created'],
      [['create', 'role', 'reader', '--verb=get,list', '--resource=pods', '-n', 'gen'], 'role.rbac.authorization.k8s.io/reader created'],
      [['create', 'rolebinding', 'reader', '--role=reader', '--serviceaccount=gen:robot', '-n', 'gen'], 'rolebinding.rbac.authorization.k8s.io/reader created'],
      [['create', 'clusterrole', 'deploy-lister', '--verb=list', '--resource=deployments.apps'], 'clusterrole.rbac.authorization.k8s.io/deploy-lister created'],
      [['create', 'clusterrolebinding', 'deploy-lister', '--clusterrole=deploy-lister', '--group=devs'], 'clusterrolebinding.rbac.authorization.k8s.io/deploy-lister created'],
      [['create', 'cronjob', 'tick', '--image=busybox:1.36', '--schedule=*/5 * * * *', '-n', 'gen', '--', 'date'], 'cronjob.batch/tick created'],
      [['create', 'priorityclass', 'high', '--value=1000', '--description=important'], 'priorityclass.scheduling.k8s.io/high created'],
    ];
    for (const [args, line] of cases) expect(await c.ok(...args)).to.equal(`${line}\n`);
    expect(await c.ok('get', 'secret', 'tls', '-n', 'gen', '-o', 'jsonpath={.type}')).to.equal('kubernetes.io/tls');
    expect(await c.ok('get', 'secret', 'pull', '-n', 'gen', '-o', 'jsonpath={.type}')).to.equal('kubernetes.io/dockerconfigjson');
    expect(await c.ok('get', 'svc', 'np', '-n', 'gen', '-o', 'jsonpath={.spec.ports[0].nodePort}')).to.match(/^3\d{4}$/);
    expect(await c.ok('get', 'rolebinding', 'reader', '-n', 'gen', '-o', 'jsonpath={.subjects[0].kind}:{.subjects[0].name}')).to.equal('ServiceAccount:robot');
    expect(await c.ok('get', 'cronjob', 'tick', '-n', 'gen', '-o', 'jsonpath={.spec.schedule}')).to.equal('*/5 * * * *');
    const file = path.join(c.dir, 'generate-name.yaml');
    fs.writeFileSync(file, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  generateName: run-\n  namespace: gen\n');
    expect(await c.ok('create', '-f', file)).to.match(/^configmap\/run-[a-z0-9]{5} created\n$/);
  });

  it('kubectl diff, apply --dry-run=server, set image, rollout restart, expose, wait', async () => {
    const web = path.join(c.dir, 'web-diff.yaml');
    fs.writeFileSync(web, fs.readFileSync(path.join(manifests, '30-web.yaml'), 'utf8').replace('replicas: 2', 'replicas: 6'));
    const diff = await c.kubectl(['diff', '-f', web]);
    expect(diff.code, diff.stderr).to.equal(1); // 1: differences found
    expect(diff.stdout).to.match(/^-  replicas: 2$/m);
    expect(diff.stdout).to.match(/^\+  replicas: 6$/m);
    expect(diff.stdout).not.to.include('kind: Service\n');
    const dry = await c.ok('apply', '--dry-run=server', '-f', web);
    expect(dry).to.equal('deployment.apps/web configured (server dry run)\nservice/web unchanged (server dry run)\n');
    expect(await c.ok('get', 'deploy', 'web', '-n', 'shop', '-o', 'jsonpath={.spec.replicas}')).to.equal('2');

    await c.ok('create', 'deployment', 'roll', '--image=nginx:1.25', '-n', 'gen');
    expect(await c.ok('set', 'image', 'deployment/roll', 'nginx=nginx:1.26', '-n', 'gen')).to.equal('deployment.apps/roll image updated\n');
    expect(await c.ok('rollout', 'restart', 'deployment/roll', '-n', 'gen')).to.equal('deployment.apps/roll restarted\n');
    const tmpl = JSON.parse(await c.ok('get', 'deploy', 'roll', '-n', 'gen', '-o', 'jsonpath={.spec.template}')) as { metadata: { annotations: Record<string, string> }; spec: { containers: { image: string }[] } };
    expect(tmpl.spec.containers[0]!.image).to.equal('nginx:1.26');
    expect(tmpl.metadata.annotations['kubectl.kubernetes.io/restartedAt']).to.match(/^\d{4}-\d\d-\d\dT/);
    expect(await c.ok('expose', 'deployment', 'roll', '--port=8080', '--target-port=80', '-n', 'gen')).to.equal('service/roll exposed\n');
    expect(await c.ok('get', 'svc', 'roll', '-n', 'gen', '-o', 'jsonpath={.spec.selector.app} {.spec.ports[0].port}')).to.equal('roll 8080');
    expect(await c.ok('wait', '--for=jsonpath={.spec.replicas}=1', 'deployment/roll', '-n', 'gen', '--timeout=15s')).to.equal('deployment.apps/roll condition met\n');
  });

  it('kubectl get --sort-by (full objects in the Table) and --chunk-size (paging)', async () => {
    const sorted = await c.ok('get', 'deploy', '-A', '--sort-by=.spec.replicas', '--no-headers', '-o', 'custom-columns=N:.metadata.name,R:.spec.replicas');
    expect(sorted.trim().split('\n').map((l) => l.trim().split(/\s+/)[1])).to.deep.equal(['1', '2', '2']);
    const table = await c.ok('get', 'deploy', '-A', '--sort-by=.spec.replicas');
    expect(table).to.match(/^NAMESPACE\s+NAME\s+READY/m);
    expect(table.trim().split('\n')[1]).to.match(/^gen\s+roll\s/);
    const paged = await c.ok('get', 'cm', '-n', 'gen', '--chunk-size=1', '-o', 'name');
    const unpaged = await c.ok('get', 'cm', '-n', 'gen', '-o', 'name');
    expect(paged).to.equal(unpaged);
    expect(paged.trim().split('\n').length).to.be.greaterThan(2);
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
