import { expect } from 'chai';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { eventually, KubectlCluster, MANIFESTS } from './support/kubectl-cluster';

/**
 * The real kubectl 1.32 against `bosun up`: the commands that change objects (label, annotate,
 * scale, the three patch types, edit), describe, delete in all its forms, explain, and the
 * error messages kubectl prints for the server's failures.
 */
describe('kubectl against bosun up: change, describe, delete, explain, errors', function () {
  this.timeout(120_000);
  let c: KubectlCluster;

  /** Writes a manifest into the cluster's temporary folder and returns its path. */
  function manifest(name: string, text: string): string {
    const file = path.join(c.dir, name);
    fs.writeFileSync(file, text);
    return file;
  }

  before(async () => {
    c = await KubectlCluster.shared();
    const out = await c.ok('apply', '-f', MANIFESTS);
    expect(out).to.include('deployment.apps/web created');
  });

  after(async () => {
    if (c) await c.release();
  });

  describe('changing objects', () => {
    it('kubectl label and annotate (merge patches), and removing a label', async () => {
      expect(await c.ok('label', 'deploy', 'web', 'tier=front', '-n', 'shop')).to.equal('deployment.apps/web labeled\n');
      expect(await c.ok('annotate', 'deploy', 'web', 'owner=team-a', '-n', 'shop')).to.equal('deployment.apps/web annotated\n');
      expect(await c.ok('get', 'deploy', 'web', '-n', 'shop', '-o', 'jsonpath={.metadata.labels.tier} {.metadata.annotations.owner}')).to.equal('front team-a');
      const clash = await c.fails('label', 'deploy', 'web', 'tier=back', '-n', 'shop');
      expect(clash).to.include("error: 'tier' already has a value (front), and --overwrite is false");
      expect(await c.ok('label', 'deploy', 'web', 'tier=back', '--overwrite', '-n', 'shop')).to.equal('deployment.apps/web labeled\n');
      expect(await c.ok('label', 'deploy', 'web', 'tier-', '-n', 'shop')).to.equal('deployment.apps/web unlabeled\n');
      expect(await c.ok('get', 'deploy', 'web', '-n', 'shop', '--show-labels', '--no-headers')).to.match(/\sapp=web\n$/);
    });

    it('kubectl scale deployment web --replicas=5', async () => {
      expect(await c.ok('scale', 'deployment', 'web', '--replicas=5', '-n', 'shop')).to.equal('deployment.apps/web scaled\n');
      expect(await c.ok('get', 'deploy', 'web', '-n', 'shop', '-o', 'jsonpath={.spec.replicas}')).to.equal('5');
      // --current-replicas sends a PUT to /scale with no Content-Type (wire contract §2.4).
      expect(await c.ok('scale', 'deployment', 'web', '--current-replicas=5', '--replicas=4', '-n', 'shop')).to.equal('deployment.apps/web scaled\n');
      const stale = await c.fails('scale', 'deployment', 'web', '--current-replicas=5', '--replicas=3', '-n', 'shop');
      expect(stale).to.include('error: Expected replicas to be 5, was 4');
      expect(await c.ok('get', 'deploy', 'web', '-n', 'shop', '-o', 'jsonpath={.spec.replicas}')).to.equal('4');
    });

    it('kubectl patch --type merge, --type json, --type strategic', async () => {
      expect(await c.ok('patch', 'deploy', 'web', '-n', 'shop', '--type', 'merge', '-p', '{"spec":{"minReadySeconds":7}}')).to.equal('deployment.apps/web patched\n');
      expect(await c.ok('patch', 'deploy', 'web', '-n', 'shop', '--type', 'json', '-p', '[{"op":"replace","path":"/spec/replicas","value":3},{"op":"add","path":"/metadata/labels/patched","value":"json"}]')).to.equal(
        'deployment.apps/web patched\n',
      );
      // Strategic merge: the env list merges by name, so LOG_LEVEL stays and MODE is added.
      const smp = '{"spec":{"template":{"spec":{"containers":[{"name":"nginx","env":[{"name":"MODE","value":"prod"}]}]}}}}';
      expect(await c.ok('patch', 'deploy', 'web', '-n', 'shop', '--type', 'strategic', '-p', smp)).to.equal('deployment.apps/web patched\n');
      const d = JSON.parse(await c.ok('get', 'deploy', 'web', '-n', 'shop', '-o', 'json')) as {
        metadata: { labels: Record<string, string>; generation: number };
        spec: { replicas: number; minReadySeconds: number; template: { spec: { containers: { name: string; env: { name: string; value?: string }[]; ports: unknown[] }[] } } };
      };
      expect(d.spec.minReadySeconds).to.equal(7);
      expect(d.spec.replicas).to.equal(3);
      expect(d.metadata.labels.patched).to.equal('json');
      const containers = d.spec.template.spec.containers;
      expect(containers).to.have.length(1);
      expect(containers[0]!.env.map((e) => e.name).sort()).to.deep.equal(['LOG_LEVEL', 'MODE']);
      expect(containers[0]!.env.find((e) => e.name === 'MODE')!.value).to.equal('prod');
      expect(containers[0]!.ports).to.have.length(1);
      // A patch that changes nothing is reported as such (on a ConfigMap: the Deployment's
      // controller may still be writing its status while the rollout above goes on, and kubectl
      // compares the whole object).
      expect(await c.ok('patch', 'cm', 'web-config', '-n', 'shop', '--type', 'merge', '-p', '{"data":{"LOG_LEVEL":"info"}}')).to.equal('configmap/web-config patched (no change)\n');
    });

    it('kubectl edit through KUBE_EDITOR', async () => {
      const editor = manifest('editor.sh', '#!/bin/sh\nsed -i -e "s/LOG_LEVEL: info/LOG_LEVEL: debug/" "$1"\n');
      fs.chmodSync(editor, 0o755);
      const r = await c.kubectl(['edit', 'configmap', 'web-config', '-n', 'shop'], { env: { KUBE_EDITOR: editor, EDITOR: editor } });
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.equal('configmap/web-config edited\n');
      expect(await c.ok('get', 'cm', 'web-config', '-n', 'shop', '-o', 'jsonpath={.data.LOG_LEVEL}')).to.equal('debug');
      // An editor that changes nothing: kubectl says so and sends no write.
      const noop = manifest('noop.sh', '#!/bin/sh\nexit 0\n');
      fs.chmodSync(noop, 0o755);
      const same = await c.kubectl(['edit', 'configmap', 'web-config', '-n', 'shop'], { env: { KUBE_EDITOR: noop, EDITOR: noop } });
      expect(same.code).to.equal(0);
      expect(same.stderr).to.include('Edit cancelled, no changes made.');
    });
  });

  describe('describe and explain', () => {
    it('kubectl describe deployment web', async () => {
      const out = await c.ok('describe', 'deployment', 'web', '-n', 'shop');
      expect(out).to.match(/^Name:\s+web$/m);
      expect(out).to.match(/^Namespace:\s+shop$/m);
      expect(out).to.match(/^Selector:\s+app=web$/m);
      // The Deployment controller has made (or is making) its ReplicaSet; no pod runs yet.
      expect(out).to.match(/^Replicas:\s+3 desired \| \d updated \| \d total \| 0 available \| \d unavailable$/m);
      expect(out).to.match(/^StrategyType:\s+RollingUpdate$/m);
      expect(out).to.match(/^MinReadySeconds:\s+7$/m);
      expect(out).to.match(/^RollingUpdateStrategy:\s+0 max unavailable, 1 max surge$/m);
      expect(out).to.match(/^\s+Service Account:\s+web$/m);
      expect(out).to.match(/^\s+Image:\s+nginx:1\.25$/m);
      expect(out).to.match(/^\s+Port:\s+80\/TCP$/m);
      // Probe defaults filled by the server, as Kubernetes does.
      expect(out).to.match(/^\s+Readiness:\s+http-get http:\/\/:http\/ delay=0s timeout=1s period=5s #success=1 #failure=3$/m);
      expect(out).to.match(/^\s+MODE:\s+prod$/m);
      expect(out).to.match(/^\s+LOG_LEVEL:\s+<set to the key 'LOG_LEVEL' of config map 'web-config'>\s+Optional: false$/m);
      expect(out).to.match(/^\s+\/etc\/nginx\/conf\.d from config \(rw\)$/m);
      // The Deployment controller's doing, as kubectl shows it. Its first scale-up goes to the
      // replicas of the moment it first saw the Deployment: 3 (applied), or 4 or 5 when the scale
      // test above ran before the controller's first sync (the controller-manager may still be
      // starting as the cluster comes up).
      await eventually('the ScalingReplicaSet event', 30_000, async () =>
        /^\s+Normal\s+ScalingReplicaSet\s+.*deployment-controller\s+Scaled up replica set web-[a-z0-9]+ from 0 to [345]$/m.test(await c.ok('describe', 'deployment', 'web', '-n', 'shop')),
      );
    });

    it('kubectl describe pod (a bare pod)', async () => {
      const pod = manifest(
        'pod.yaml',
        'apiVersion: v1\nkind: Pod\nmetadata:\n  name: bare\n  namespace: shop\n  labels: {app: bare}\nspec:\n  containers:\n  - name: main\n    image: busybox:1.36\n    command: ["sleep", "3600"]\n    resources:\n      limits: {cpu: 200m, memory: 32Mi}\n',
      );
      expect(await c.ok('create', '-f', pod)).to.equal('pod/bare created\n');
      const out = await c.ok('describe', 'pod', 'bare', '-n', 'shop');
      expect(out).to.match(/^Name:\s+bare$/m);
      expect(out).to.match(/^Namespace:\s+shop$/m);
      expect(out).to.match(/^Node:\s+<none>$/m);
      expect(out).to.match(/^Labels:\s+app=bare$/m);
      expect(out).to.match(/^Status:\s+Pending$/m);
      expect(out).to.match(/^\s+main:$/m);
      expect(out).to.match(/^\s+Image:\s+busybox:1\.36$/m);
      expect(out).to.match(/^\s+sleep$/m);
      expect(out).to.match(/^\s+3600$/m);
      // Limits copied into requests: Guaranteed.
      expect(out).to.match(/^QoS Class:\s+Guaranteed$/m);
    });

    it('kubectl explain deployment.spec.replicas', async () => {
      const out = await c.ok('explain', 'deployment.spec.replicas');
      expect(out).to.match(/^GROUP:\s+apps$/m);
      expect(out).to.match(/^KIND:\s+Deployment$/m);
      expect(out).to.match(/^VERSION:\s+v1$/m);
      expect(out).to.match(/^FIELD: replicas <integer>$/m);
      expect(out).to.include('Number of desired pods.');
    });
  });

  describe('delete', () => {
    it('by name, by -f, by -l', async () => {
      await c.ok('create', 'configmap', 'byname', '--from-literal=a=1');
      expect(await c.ok('delete', 'configmap', 'byname')).to.equal('configmap "byname" deleted\n');
      const file = manifest('cms.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: fromfile\ndata: {a: "1"}\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: fromfile\nstringData: {a: "1"}\n');
      await c.ok('create', '-f', file);
      expect(await c.ok('delete', '-f', file)).to.equal('configmap "fromfile" deleted\nsecret "fromfile" deleted\n');
      for (const n of ['l1', 'l2', 'l3']) await c.ok('create', 'configmap', n, '--from-literal=a=1');
      await c.ok('label', 'configmap', 'l1', 'l2', 'group=doomed');
      expect(await c.ok('delete', 'configmap', '-l', 'group=doomed')).to.equal('configmap "l1" deleted\nconfigmap "l2" deleted\n');
      // Besides the root CA ConfigMap the cluster publishes in every namespace.
      expect(await c.ok('get', 'cm', '-o', 'name', '--field-selector', 'metadata.name!=kube-root-ca.crt')).to.equal('configmap/l3\n');
      expect(await c.fails('get', 'cm', 'byname')).to.equal('Error from server (NotFound): configmaps "byname" not found\n');
    });

    it('--cascade=background removes the object at once; foreground waits for its ReplicaSet; orphan leaves the ReplicaSet without owner', async () => {
      for (const n of ['bg', 'fg', 'or']) await c.ok('create', 'deployment', n, '--image=nginx:1.25');
      expect(await c.ok('delete', 'deployment', 'bg', '--cascade=background')).to.equal('deployment.apps "bg" deleted\n');
      expect(await c.fails('get', 'deployment', 'bg')).to.equal('Error from server (NotFound): deployments.apps "bg" not found\n');
      // The garbage collector carries out foreground and orphan deletions: kubectl waits for the
      // foreground one (its ReplicaSet goes first); the orphaned ReplicaSet stays, without owner.
      const rsOf = async (app: string) => (await c.ok('get', 'rs', '-l', `app=${app}`, '-o', 'jsonpath={.items[*].metadata.ownerReferences[*].kind}')).trim();
      for (const n of ['fg', 'or']) await eventually(`the ReplicaSet of ${n}`, 30_000, async () => (await rsOf(n)) === 'Deployment');
      expect(await c.ok('delete', 'deployment', 'fg', '--cascade=foreground', '--timeout=60s')).to.equal('deployment.apps "fg" deleted\n');
      expect(await c.fails('get', 'deployment', 'fg')).to.equal('Error from server (NotFound): deployments.apps "fg" not found\n');
      expect(await c.ok('get', 'rs', '-l', 'app=fg', '-o', 'name')).to.equal('');
      expect(await c.ok('delete', 'deployment', 'or', '--cascade=orphan', '--timeout=60s')).to.equal('deployment.apps "or" deleted\n');
      expect(await c.fails('get', 'deployment', 'or')).to.equal('Error from server (NotFound): deployments.apps "or" not found\n');
      expect(await c.ok('get', 'rs', '-l', 'app=or', '-o', 'jsonpath={.items[*].metadata.name}')).to.match(/^or-[a-z0-9]+$/);
      expect(await rsOf('or')).to.equal('');
    });
  });

  describe('errors, with kubectl\'s exact messages', () => {
    it('an unknown resource type', async () => {
      expect(await c.fails('get', 'foos')).to.equal('error: the server doesn\'t have a resource type "foos"\n');
    });

    it('NotFound', async () => {
      expect(await c.fails('get', 'deployment', 'nope')).to.equal('Error from server (NotFound): deployments.apps "nope" not found\n');
      expect(await c.fails('delete', 'configmap', 'nope')).to.equal('Error from server (NotFound): configmaps "nope" not found\n');
    });

    it('AlreadyExists, from a generator and from a file', async () => {
      await c.ok('create', 'configmap', 'twice', '--from-literal=a=1');
      expect(await c.fails('create', 'configmap', 'twice', '--from-literal=a=1')).to.equal('error: failed to create configmap: configmaps "twice" already exists\n');
      const file = manifest('twice.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: twice\n');
      expect(await c.fails('create', '-f', file)).to.equal(`Error from server (AlreadyExists): error when creating "${file}": configmaps "twice" already exists\n`);
    });

    it('an invalid field (422) and an unknown field (400, strict field validation)', async () => {
      const tmpl = (spec: string) =>
        `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: bad\nspec:\n${spec}  selector:\n    matchLabels: {app: bad}\n  template:\n    metadata:\n      labels: {app: bad}\n    spec:\n      containers:\n      - name: c\n        image: nginx\n`;
      const invalid = manifest('invalid.yaml', tmpl('  replicas: -1\n'));
      expect(await c.fails('create', '-f', invalid)).to.equal('The Deployment "bad" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0\n');
      expect(await c.fails('create', 'deployment', 'bad', '--image=nginx', '--replicas=-1')).to.equal(
        'error: failed to create deployment: Deployment "bad" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0\n',
      );
      const unknown = manifest('unknown.yaml', tmpl('  replicaz: 2\n'));
      expect(await c.fails('create', '-f', unknown)).to.equal(
        `Error from server (BadRequest): error when creating "${unknown}": Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec.replicaz"\n`,
      );
      const badScale = await c.fails('scale', 'deployment', 'web', '-n', 'shop', '--replicas=-2');
      expect(badScale).to.include('error: The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0');
    });

    it('a conflict: kubectl replace -f of a stale copy', async () => {
      await c.ok('create', 'configmap', 'racy', '--from-literal=a=1');
      const stale = manifest('racy.yaml', await c.ok('get', 'configmap', 'racy', '-o', 'yaml'));
      await c.ok('label', 'configmap', 'racy', 'moved=on');
      expect(await c.fails('replace', '-f', stale)).to.equal(
        `Error from server (Conflict): error when replacing "${stale}": Operation cannot be fulfilled on configmaps "racy": the object has been modified; please apply your changes to the latest version and try again\n`,
      );
      // A fresh copy replaces fine.
      const fresh = manifest('racy2.yaml', (await c.ok('get', 'configmap', 'racy', '-o', 'yaml')).replace('a: "1"', 'a: "2"'));
      expect(await c.ok('replace', '-f', fresh)).to.equal('configmap/racy replaced\n');
    });

    it('creating in a namespace that is being terminated, and in a missing namespace', async () => {
      // A spec finalizer of someone else's (the namespace controller removes only "kubernetes")
      // keeps the emptied namespace Terminating.
      await c.ok('create', '-f', manifest('doomed.yaml', 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: doomed\nspec:\n  finalizers: [example.com/hold]\n'));
      await c.ok('create', 'configmap', 'keep', '--from-literal=a=1', '-n', 'doomed');
      expect(await c.ok('delete', 'namespace', 'doomed', '--wait=false')).to.equal('namespace "doomed" deleted\n');
      expect(await c.ok('get', 'namespace', 'doomed', '--no-headers')).to.match(/^doomed\s+Terminating\s+\S+\n$/);
      expect(await c.fails('create', 'configmap', 'x', '--from-literal=a=1', '-n', 'doomed')).to.equal(
        'error: failed to create configmap: configmaps "x" is forbidden: unable to create new content in namespace doomed because it is being terminated\n',
      );
      const file = manifest('in-doomed.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: late\n  namespace: doomed\n');
      expect(await c.fails('create', '-f', file)).to.equal(
        `Error from server (Forbidden): error when creating "${file}": configmaps "late" is forbidden: unable to create new content in namespace doomed because it is being terminated\n`,
      );
      expect(await c.fails('create', 'configmap', 'x', '--from-literal=a=1', '-n', 'nowhere')).to.equal('error: failed to create configmap: namespaces "nowhere" not found\n');
      const r = await c.kubectl(['get', 'configmaps', '-n', 'nowhere']);
      expect(r.code).to.equal(0);
      expect(r.stderr).to.equal('No resources found in nowhere namespace.\n');
      // Releasing the last spec finalizer through namespaces/finalize completes the deletion.
      // (once the namespace controller has emptied it and dropped "kubernetes")
      let doomed = { spec: { finalizers: [] as string[] } };
      for (let i = 0; i < 100; i++) {
        doomed = JSON.parse(await c.ok('get', 'namespace', 'doomed', '-o', 'json')) as typeof doomed;
        if (!doomed.spec.finalizers.includes('kubernetes')) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(doomed.spec.finalizers).to.deep.equal(['example.com/hold']);
      const release = manifest('release.json', JSON.stringify({ ...doomed, spec: { finalizers: [] } }));
      const finalized = JSON.parse(await c.ok('replace', '--raw', '/api/v1/namespaces/doomed/finalize', '-f', release)) as { kind: string };
      expect(finalized.kind).to.equal('Namespace');
      expect(await c.fails('get', 'namespace', 'doomed')).to.equal('Error from server (NotFound): namespaces "doomed" not found\n');
    });

    it('kubectl delete namespace empties the namespace and waits until it is gone', async () => {
      await c.ok('create', 'namespace', 'short-lived');
      await c.ok('create', 'configmap', 'cfg', '--from-literal=a=1', '-n', 'short-lived');
      await c.ok('create', 'deployment', 'app', '--image=nginx:1.25', '-n', 'short-lived');
      await c.ok('run', 'solo', '--image=busybox:1.36', '-n', 'short-lived');
      expect(await c.ok('delete', 'namespace', 'short-lived', '--timeout=30s')).to.equal('namespace "short-lived" deleted\n');
      const r = await c.kubectl(['get', 'namespace', 'short-lived']);
      expect(r.code).to.equal(1);
      expect(r.stderr).to.equal('Error from server (NotFound): namespaces "short-lived" not found\n');
      expect(await c.ok('get', 'all,configmaps', '-n', 'short-lived', '--no-headers', '--ignore-not-found')).to.equal('');
    });

    it('a wrong token: 401', async () => {
      expect(await c.fails('get', 'ns', '--token=wrong')).to.equal('error: You must be logged in to the server (Unauthorized)\n');
    });
  });
});
