import { expect } from 'chai';
import { ControlPlaneCluster } from '../support/control-plane-cluster';

/** How long a replica count may take to settle through the real processes, ms. */
const SETTLE_MS = 30_000;

const rsYaml = (ns: string, name: string, replicas: number) => `
apiVersion: apps/v1
kind: ReplicaSet
metadata: { name: ${name}, namespace: ${ns} }
spec:
  replicas: ${replicas}
  selector: { matchLabels: { app: ${name} } }
  template:
    metadata: { labels: { app: ${name} } }
    spec:
      containers: [{ name: web, image: busybox, resources: { requests: { cpu: 10m } } }]
`;

const rcYaml = (ns: string, name: string, replicas: number) => `
apiVersion: v1
kind: ReplicationController
metadata: { name: ${name}, namespace: ${ns} }
spec:
  replicas: ${replicas}
  template:
    metadata: { labels: { app: ${name} } }
    spec:
      containers: [{ name: web, image: busybox, resources: { requests: { cpu: 10m } } }]
`;

/**
 * The ReplicaSet controller through real processes (store, apiserver, scheduler,
 * controller-manager) and simulated nodes, driven by the real kubectl: apply, scale up and
 * down, `get rs` columns, a pod deleted by hand replaced; a ReplicationController (selector
 * defaulted from the template) likewise. One namespace per case.
 */
describe('ReplicaSets through real processes and kubectl', function () {
  this.timeout(90_000);
  let cluster: ControlPlaneCluster;

  before(async () => {
    cluster = await ControlPlaneCluster.shared();
  });
  after(async () => {
    await cluster?.release();
  });

  const kubectl = (args: string[], input?: string) => cluster.kubectlOk(args, input);

  /** Names of the running, ready, non-terminating pods of `app` in `ns`. */
  const readyPods = async (ns: string, app: string): Promise<string[]> => {
    const out = await kubectl(['get', 'pods', '-n', ns, '-l', `app=${app}`, '-o', 'jsonpath={range .items[*]}{.metadata.name} {.metadata.deletionTimestamp} {.status.phase} {.status.conditions[?(@.type=="Ready")].status}{"\\n"}{end}']);
    return out.split('\n').map((l) => l.trim().split(/\s+/)).filter((f) => f.length === 3 && f[1] === 'Running' && f[2] === 'True').map((f) => f[0]!);
  };

  /** Waits until `app` has exactly `n` ready pods and its status says so. */
  const settle = (ns: string, app: string, n: number, kind = 'rs') =>
    cluster.waitFor(async () => {
      const pods = await readyPods(ns, app);
      const status = await kubectl(['get', kind, app, '-n', ns, '-o', 'jsonpath={.status.replicas}/{.status.readyReplicas}/{.status.availableReplicas}']);
      const want = n === 0 ? /^(0|)\/(0|)\/(0|)$/ : new RegExp(`^${n}/${n}/${n}$`);
      return pods.length === n && want.test(status.trim()) ? pods : undefined;
    }, SETTLE_MS, `${n} ready pods of ${kind}/${app} in ${ns}`);

  it('applies a ReplicaSet: its pods run on the simulated nodes, owned by it', async () => {
    await kubectl(['create', 'namespace', 'rs-apply']);
    await kubectl(['apply', '-f', '-'], rsYaml('rs-apply', 'web', 3));
    const pods = await settle('rs-apply', 'web', 3);
    expect(pods.every((p) => p.startsWith('web-'))).to.equal(true);
    const owners = await kubectl(['get', 'pods', '-n', 'rs-apply', '-o', 'jsonpath={.items[*].metadata.ownerReferences[0].kind}/{.items[*].spec.nodeName}']);
    expect(owners).to.match(/^ReplicaSet ReplicaSet ReplicaSet\/sim-[12] sim-[12] sim-[12]$/);
  });

  it('kubectl scale rs up and down; kubectl get rs shows DESIRED CURRENT READY', async () => {
    await kubectl(['create', 'namespace', 'rs-scale']);
    await kubectl(['apply', '-f', '-'], rsYaml('rs-scale', 'web', 2));
    await settle('rs-scale', 'web', 2);
    await kubectl(['scale', 'rs', 'web', '-n', 'rs-scale', '--replicas=6']);
    await settle('rs-scale', 'web', 6);
    await kubectl(['scale', 'rs', 'web', '-n', 'rs-scale', '--replicas=1']);
    await settle('rs-scale', 'web', 1);
    const table = (await kubectl(['get', 'rs', 'web', '-n', 'rs-scale'])).trim().split('\n');
    expect(table[0]!.split(/\s+/)).to.deep.equal(['NAME', 'DESIRED', 'CURRENT', 'READY', 'AGE']);
    expect(table[1]!.split(/\s+/).slice(0, 4)).to.deep.equal(['web', '1', '1', '1']);
    const events = await kubectl(['get', 'events', '-n', 'rs-scale', '-o', 'jsonpath={range .items[*]}{.reason}:{.source.component}{"\\n"}{end}']);
    expect(events).to.include('SuccessfulCreate:replicaset-controller');
    expect(events).to.include('SuccessfulDelete:replicaset-controller');
  });

  it('replaces a pod deleted by hand', async () => {
    await kubectl(['create', 'namespace', 'rs-heal']);
    await kubectl(['apply', '-f', '-'], rsYaml('rs-heal', 'web', 2));
    const before = await settle('rs-heal', 'web', 2);
    await kubectl(['delete', 'pod', before[0]!, '-n', 'rs-heal', '--wait=false']);
    const after = await cluster.waitFor(async () => {
      const pods = await readyPods('rs-heal', 'web');
      return pods.length === 2 && !pods.includes(before[0]!) ? pods : undefined;
    }, SETTLE_MS, 'a replacement pod');
    expect(after).to.include(before[1]!);
  });

  it('runs a ReplicationController: apply, scale with kubectl, get rc, a deleted pod replaced', async () => {
    await kubectl(['create', 'namespace', 'rc-legacy']);
    await kubectl(['apply', '-f', '-'], rcYaml('rc-legacy', 'old', 2));
    await settle('rc-legacy', 'old', 2, 'rc');
    await kubectl(['scale', 'rc', 'old', '-n', 'rc-legacy', '--replicas=3']);
    const pods = await settle('rc-legacy', 'old', 3, 'rc');
    const table = (await kubectl(['get', 'rc', 'old', '-n', 'rc-legacy'])).trim().split('\n');
    expect(table[0]!.split(/\s+/)).to.deep.equal(['NAME', 'DESIRED', 'CURRENT', 'READY', 'AGE']);
    expect(table[1]!.split(/\s+/).slice(0, 4)).to.deep.equal(['old', '3', '3', '3']);
    await kubectl(['delete', 'pod', pods[0]!, '-n', 'rc-legacy', '--wait=false']);
    await cluster.waitFor(async () => {
      const now = await readyPods('rc-legacy', 'old');
      return now.length === 3 && !now.includes(pods[0]!) ? now : undefined;
    }, SETTLE_MS, 'a replacement pod of the rc');
    const owner = await kubectl(['get', 'pods', '-n', 'rc-legacy', '-o', 'jsonpath={.items[0].metadata.ownerReferences[0].kind}']);
    expect(owner).to.equal('ReplicationController');
    const events = await kubectl(['get', 'events', '-n', 'rc-legacy', '-o', 'jsonpath={range .items[*]}{.reason}:{.source.component}{"\\n"}{end}']);
    expect(events).to.include('SuccessfulCreate:replication-controller');
  });
});
