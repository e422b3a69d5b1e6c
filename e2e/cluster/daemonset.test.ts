import { expect } from 'chai';
import { ControlPlaneCluster, SHARED_SIMULATED_OPTIONS } from '../support/control-plane-cluster';

/** How long a DaemonSet may take to converge through the real processes, ms. */
const CONVERGE_MS = 40_000;
/** Delay between a pod's binding and its Running/Ready status on the simulated nodes, ms. */
const POD_START_DELAY_MS = 100;

/** The default rolling update: one node at a time, old pod first. */
const MAX_UNAVAILABLE_1 = '{ maxUnavailable: 1 }';
/** A surging rolling update: the new pod starts beside the old one on one node at a time. */
const MAX_SURGE_1 = '{ maxSurge: 1, maxUnavailable: 0 }';

/** minReadySeconds of the surge case: how long old and new pod overlap on a node, long enough to be seen. */
const SURGE_MIN_READY_SECONDS = 3;

const dsYaml = (ns: string, name: string, image: string, rollingUpdate = MAX_UNAVAILABLE_1, minReadySeconds = 0) => `
apiVersion: apps/v1
kind: DaemonSet
metadata: { name: ${name}, namespace: ${ns} }
spec:
  minReadySeconds: ${minReadySeconds}
  selector: { matchLabels: { app: ${name} } }
  updateStrategy: { type: RollingUpdate, rollingUpdate: ${rollingUpdate} }
  template:
    metadata: { labels: { app: ${name} } }
    spec:
      containers: [{ name: agent, image: ${image}, resources: { requests: { cpu: 10m } } }]
`;

/**
 * The DaemonSet controller through real processes (store, apiserver, scheduler binding the
 * node-pinned pods, controller-manager) and simulated nodes, driven by the real kubectl: one
 * Running pod per node, a node added later gets one, `kubectl get ds` columns, and
 * `kubectl rollout status ds/x` after `kubectl set image`, `rollout history` and `rollout undo`
 * (ControllerRevisions), and a maxSurge update. One namespace per case.
 */
describe('DaemonSets through real processes and kubectl', function () {
  this.timeout(120_000);
  let cluster: ControlPlaneCluster;

  before(async () => {
    cluster = await ControlPlaneCluster.shared({ ...SHARED_SIMULATED_OPTIONS, podStartDelayMs: POD_START_DELAY_MS });
  });
  after(async () => {
    await cluster?.release();
  });

  const kubectl = (args: string[], input?: string) => cluster.kubectlOk(args, input);
  const jsonpath = async (ns: string, what: string, path: string) => (await kubectl(['get', what, '-n', ns, '-o', `jsonpath=${path}`])).trim();
  /** `node=phase image` of the pods of `ns` not being deleted, sorted. */
  const podsByNode = async (ns: string) => (await jsonpath(ns, 'pods', `{range .items[*]}{.spec.nodeName}={.status.phase} {.spec.containers[0].image} {.metadata.deletionTimestamp}{"\\n"}{end}`))
    .split('\n').map((l) => l.trim()).filter((l) => l && l.split(/\s+/).length === 2).sort();
  const waitForPods = (ns: string, want: string[]) =>
    cluster.waitFor(async () => ((await podsByNode(ns)).join() === want.join() ? true : undefined), CONVERGE_MS, `pods ${want.join()}`);
  const rolloutStatus = (ns: string, name: string) => kubectl(['rollout', 'status', `ds/${name}`, '-n', ns, `--timeout=${CONVERGE_MS / 1000}s`]);

  // One pod per node, a node added later, `kubectl get ds` and the events: e2e/journeys.
  it('kubectl set image rolls every node over; kubectl rollout status ds waits for it', async () => {
    const ns = 'ds-roll';
    await kubectl(['create', 'namespace', ns]);
    await kubectl(['apply', '-f', '-'], dsYaml(ns, 'agent', 'busybox:1'));
    expect(await rolloutStatus(ns, 'agent')).to.contain('daemon set "agent" successfully rolled out');
    const nodes = (await podsByNode(ns)).map((l) => l.split('=')[0]!);
    expect(nodes.length).to.be.at.least(2);

    await kubectl(['set', 'image', 'ds/agent', '-n', ns, 'agent=busybox:2']);
    expect(await rolloutStatus(ns, 'agent')).to.contain('daemon set "agent" successfully rolled out');
    await waitForPods(ns, nodes.map((n) => `${n}=Running busybox:2`));
    const st = await jsonpath(ns, 'ds/agent', '{.status.desiredNumberScheduled}/{.status.updatedNumberScheduled}/{.status.numberAvailable}/{.status.numberUnavailable}');
    const n = nodes.length;
    expect(st).to.match(new RegExp(`^${n}/${n}/${n}/0?$`));

    const revisions = async () => (await kubectl(['rollout', 'history', 'ds/agent', '-n', ns])).trim().split('\n').slice(2).map((l) => l.trim().split(/\s+/)[0]);
    expect(await revisions(), 'rollout history lists 2 revisions').to.deep.equal(['1', '2']);
    expect(await kubectl(['rollout', 'history', 'ds/agent', '-n', ns, '--revision=1'])).to.contain('busybox:1');
    expect(await kubectl(['rollout', 'undo', 'ds/agent', '-n', ns])).to.contain('rolled back');
    expect(await rolloutStatus(ns, 'agent')).to.contain('daemon set "agent" successfully rolled out');
    await waitForPods(ns, nodes.map((n) => `${n}=Running busybox:1`));
    expect(await revisions(), 'the first revision re-used as revision 3').to.deep.equal(['2', '3']);
    const hash = await jsonpath(ns, 'controllerrevisions', `{range .items[?(@.revision==3)]}{.metadata.labels.controller\\.kubernetes\\.io/hash}{end}`);
    const podHashes = (await jsonpath(ns, 'pods', `{range .items[*]}{.metadata.labels.controller-revision-hash}{"\\n"}{end}`)).split('\n').filter(Boolean);
    expect(new Set(podHashes), 'pods carry the current revision hash').to.deep.equal(new Set([hash]));
  });

  it('maxSurge starts the new pod beside the old one and deletes the old one once the new one is available', async () => {
    const ns = 'ds-surge';
    await kubectl(['create', 'namespace', ns]);
    await kubectl(['apply', '-f', '-'], dsYaml(ns, 'agent', 'busybox:1', MAX_SURGE_1, SURGE_MIN_READY_SECONDS));
    expect(await rolloutStatus(ns, 'agent')).to.contain('daemon set "agent" successfully rolled out');
    const nodes = (await podsByNode(ns)).map((l) => l.split('=')[0]!);
    /** The most pods seen at once, sampled while the update runs (bounded by the rollout). */
    let most = nodes.length;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) most = Math.max(most, (await podsByNode(ns)).length);
    })();
    await kubectl(['set', 'image', 'ds/agent', '-n', ns, 'agent=busybox:2']);
    try {
      expect(await rolloutStatus(ns, 'agent')).to.contain('daemon set "agent" successfully rolled out');
      await waitForPods(ns, nodes.map((n) => `${n}=Running busybox:2`));
    } finally {
      sampling = false;
      await sampler;
    }
    expect(most, 'one node at a time runs old and new pod side by side').to.equal(nodes.length + 1);
  });
});
