import { expect } from 'chai';
import type * as K8s from '@kubernetes/client-node';
import { eventually, KubectlCluster } from './support/kubectl-cluster';

/**
 * Loads an ES module from this CommonJS build: TypeScript (module: commonjs) would turn a plain
 * `import()` into `require()`, which cannot load an ESM-only package such as
 * @kubernetes/client-node 1.x.
 */
const importEsm = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<unknown>;

/** How long the informer may take to report one change, in milliseconds. */
const INFORMER_EVENT_TIMEOUT_MS = 20_000;

/**
 * The official JavaScript client (@kubernetes/client-node 1.4, the newest line that runs on
 * Node 20: 2.x needs undici 8, i.e. Node >= 22.19) against `bosun up`, with the kubeconfig
 * `bosun up` writes: typed CoreV1/AppsV1 calls and an informer fed by changes made with kubectl.
 */
describe('@kubernetes/client-node against bosun up', function () {
  this.timeout(120_000);
  let c: KubectlCluster;
  let k8s: typeof K8s;
  let kc: K8s.KubeConfig;

  before(async () => {
    k8s = (await importEsm('@kubernetes/client-node')) as typeof K8s;
    c = await KubectlCluster.shared();
    kc = new k8s.KubeConfig();
    kc.loadFromFile(c.kubeconfig);
  });

  after(async () => {
    if (c) await c.release();
  });

  it('loads the kubeconfig bosun up writes (HTTPS, cluster CA, bearer token)', () => {
    const cluster = kc.getCurrentCluster();
    expect(cluster?.server).to.match(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(cluster?.caData).to.be.a('string');
    expect(kc.getCurrentUser()?.token).to.be.a('string');
  });

  it('CoreV1Api: list namespaces', async () => {
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const list = await core.listNamespace();
    const names = list.items.map((n) => n.metadata?.name);
    expect(names).to.include.members(['default', 'kube-system', 'kube-public']);
    expect(list.metadata?.resourceVersion).to.match(/^\d+$/);
  });

  it('CoreV1Api: create, read, merge-patch, strategic-patch, replace and delete a ConfigMap', async () => {
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const created = await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'from-js', labels: { by: 'client-node' } }, data: { a: '1' } } });
    expect(created.metadata?.uid).to.be.a('string');
    expect(created.metadata?.creationTimestamp).to.be.instanceOf(Date);
    expect(await c.ok('get', 'cm', 'from-js', '-o', 'jsonpath={.data.a} {.metadata.labels.by}')).to.equal('1 client-node');

    const merged = await core.patchNamespacedConfigMap(
      { namespace: 'default', name: 'from-js', body: { data: { b: '2' } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    expect(merged.data).to.deep.equal({ a: '1', b: '2' });
    const strategic = await core.patchNamespacedConfigMap(
      { namespace: 'default', name: 'from-js', body: { metadata: { labels: { patched: 'smp' } } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch),
    );
    expect(strategic.metadata?.labels).to.deep.equal({ by: 'client-node', patched: 'smp' });
    const json = await core.patchNamespacedConfigMap(
      { namespace: 'default', name: 'from-js', body: [{ op: 'remove', path: '/data/a' }] },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch),
    );
    expect(json.data).to.deep.equal({ b: '2' });

    const read = await core.readNamespacedConfigMap({ namespace: 'default', name: 'from-js' });
    read.data = { c: '3' };
    const replaced = await core.replaceNamespacedConfigMap({ namespace: 'default', name: 'from-js', body: read });
    expect(replaced.data).to.deep.equal({ c: '3' });
    // The stale copy conflicts.
    const conflict = await core.replaceNamespacedConfigMap({ namespace: 'default', name: 'from-js', body: read }).then(
      () => undefined,
      (err: unknown) => err as { code?: number; body?: string },
    );
    expect(conflict?.code).to.equal(409);
    expect(JSON.parse(conflict!.body!).reason).to.equal('Conflict');

    const status = await core.deleteNamespacedConfigMap({ namespace: 'default', name: 'from-js' });
    expect(status.kind).to.equal('Status');
    expect(status.status).to.equal('Success');
    const gone = await core.readNamespacedConfigMap({ namespace: 'default', name: 'from-js' }).then(
      () => undefined,
      (err: unknown) => err as { code?: number; body?: string },
    );
    expect(gone?.code).to.equal(404);
    expect(JSON.parse(gone!.body!).message).to.equal('configmaps "from-js" not found');
  });

  it('AppsV1Api: list deployments (made with kubectl), in one namespace and across all', async () => {
    await c.ok('create', 'namespace', 'js');
    await c.ok('create', 'deployment', 'api', '--image=nginx:1.25', '--replicas=2', '-n', 'js');
    const apps = kc.makeApiClient(k8s.AppsV1Api);
    const inNs = await apps.listNamespacedDeployment({ namespace: 'js' });
    expect(inNs.items.map((d) => d.metadata?.name)).to.deep.equal(['api']);
    expect(inNs.items[0]!.spec?.replicas).to.equal(2);
    expect(inNs.items[0]!.spec?.template.spec?.containers[0]?.image).to.equal('nginx:1.25');
    const all = await apps.listDeploymentForAllNamespaces();
    expect(all.items.map((d) => `${d.metadata?.namespace}/${d.metadata?.name}`)).to.include('js/api');
    const one = await apps.readNamespacedDeployment({ namespace: 'js', name: 'api' });
    expect(one.metadata?.generation).to.equal(1);
  });

  it('an informer sees an add and an update made with kubectl', async () => {
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const informer = k8s.makeInformer(kc, '/api/v1/namespaces/js/configmaps', () => core.listNamespacedConfigMap({ namespace: 'js' }));
    const seen: string[] = [];
    const errors: unknown[] = [];
    let stopped = false;
    informer.on('add', (o) => seen.push(`add ${o.metadata?.name}`));
    informer.on('update', (o) => seen.push(`update ${o.metadata?.name} ${JSON.stringify(o.data)}`));
    informer.on('delete', (o) => seen.push(`delete ${o.metadata?.name}`));
    informer.on('error', (err) => {
      if (!stopped) errors.push(err);
    });
    await c.ok('create', 'configmap', 'before', '--from-literal=a=1', '-n', 'js');
    await informer.start();
    try {
      await eventually('the informer to list "before"', INFORMER_EVENT_TIMEOUT_MS, async () => seen.includes('add before'));
      await c.ok('create', 'configmap', 'watched', '--from-literal=a=1', '-n', 'js');
      await eventually('the informer to see the add', INFORMER_EVENT_TIMEOUT_MS, async () => seen.includes('add watched'));
      await c.ok('patch', 'configmap', 'watched', '-n', 'js', '--type', 'merge', '-p', '{"data":{"a":"2"}}');
      await eventually('the informer to see the update', INFORMER_EVENT_TIMEOUT_MS, async () => seen.includes('update watched {"a":"2"}'));
      await c.ok('delete', 'configmap', 'watched', '-n', 'js');
      await eventually('the informer to see the delete', INFORMER_EVENT_TIMEOUT_MS, async () => seen.includes('delete watched'));
      // The root CA ConfigMap the root-ca-cert-publisher puts into every namespace (at its own
      // pace) is left out.
      expect(informer.list('js').map((o) => o.metadata?.name).filter((n) => n !== 'kube-root-ca.crt')).to.deep.equal(['before']);
      expect(errors).to.deep.equal([]);
      // Each change is reported once: no replay of older events on the watch.
      expect(seen.filter((s) => s === 'add watched')).to.have.length(1);
      expect(seen.filter((s) => s === 'add before')).to.have.length(1);
    } finally {
      stopped = true;
      await informer.stop();
    }
  });
});
