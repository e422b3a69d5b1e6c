import { expect } from 'chai';
import { RESOURCES } from '../../lib/api/resources';
import type { ApiWatchEvent } from '../../lib/api/requests';
import type { Pod } from '../../lib/api/types';
import { ControlPlaneCluster, SHARED_SIMULATED_OPTIONS } from '../support/control-plane-cluster';

/** How long a rollout may take through the real processes, ms. */
const ROLLOUT_MS = 45_000;
/** Delay between a pod's binding and its Running/Ready status on the simulated nodes, ms (so old and new pods overlap). */
const POD_START_DELAY_MS = 200;

const deployYaml = (ns: string, name: string, replicas: number, image: string, strategy = '{ type: RollingUpdate, rollingUpdate: { maxSurge: 1, maxUnavailable: 1 } }') => `
apiVersion: apps/v1
kind: Deployment
metadata: { name: ${name}, namespace: ${ns} }
spec:
  replicas: ${replicas}
  strategy: ${strategy}
  selector: { matchLabels: { app: ${name} } }
  template:
    metadata: { labels: { app: ${name} } }
    spec:
      containers: [{ name: web, image: ${image}, resources: { requests: { cpu: 10m } } }]
`;

const isReady = (pod: Pod) => !pod.metadata.deletionTimestamp
  && ((pod.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

/**
 * The Deployment controller through real processes (store, apiserver, scheduler, a
 * controller-manager running the ReplicaSet and Deployment controllers) and simulated nodes,
 * driven by the real kubectl: apply and `rollout status`, `set image` with availability checked
 * from a recorded watch of the pods, `rollout history` / `undo` / `pause` / `resume` /
 * `restart`, and `scale`. One namespace per case.
 */
describe('Deployments through real processes and kubectl', function () {
  this.timeout(120_000);
  let cluster: ControlPlaneCluster;

  before(async () => {
    cluster = await ControlPlaneCluster.shared({ ...SHARED_SIMULATED_OPTIONS, podStartDelayMs: POD_START_DELAY_MS });
  });
  after(async () => {
    await cluster?.release();
  });

  const kubectl = (args: string[], input?: string) => cluster.kubectlOk(args, input);
  const rolloutStatus = (ns: string, name: string) => kubectl(['rollout', 'status', `deploy/${name}`, '-n', ns, `--timeout=${ROLLOUT_MS / 1000}s`]);
  const jsonpath = async (ns: string, what: string, path: string) => (await kubectl(['get', what, '-n', ns, '-o', `jsonpath=${path}`])).trim();
  /** ReplicaSets of `ns` as `name=replicas@revision`, by revision. */
  const replicaSets = async (ns: string) => (await jsonpath(ns, 'rs', `{range .items[*]}{.metadata.name}={.spec.replicas}@{.metadata.annotations.deployment\\.kubernetes\\.io/revision}{"\\n"}{end}`))
    .split('\n').filter(Boolean).sort((a, b) => Number(a.split('@')[1]) - Number(b.split('@')[1]));
  /** Images of the pods of `ns` not being deleted, sorted. */
  const images = async (ns: string) => {
    const out = await jsonpath(ns, 'pods', `{range .items[*]}{.spec.containers[0].image} {.metadata.deletionTimestamp}{"\\n"}{end}`);
    return out.split('\n').map((l) => l.trim().split(/\s+/)).filter((f) => f.length === 1 && f[0]).map((f) => f[0]!).sort();
  };

  it('apply, rollout status, set image keeping replicas − maxUnavailable pods Ready throughout (recorded pod watch)', async () => {
    const ns = 'dep-roll';
    await kubectl(['create', 'namespace', ns]);
    await kubectl(['apply', '-f', '-'], deployYaml(ns, 'web', 4, 'busybox:1'));
    expect(await rolloutStatus(ns, 'web')).to.contain('deployment "web" successfully rolled out');
    expect(await jsonpath(ns, 'deploy/web', '{.status.replicas}/{.status.updatedReplicas}/{.status.readyReplicas}/{.status.availableReplicas}')).to.equal('4/4/4/4');

    // Record every pod change from now until the new template is rolled out.
    const pods = new Map<string, Pod>();
    const history: number[] = [];
    const watch = cluster.client.resource<Pod>(RESOURCES.pods).watch(ns);
    const recording = (async () => {
      for await (const ev of watch as AsyncIterable<ApiWatchEvent<Pod>>) {
        if (ev.type === 'BOOKMARK') continue;
        if (ev.type === 'DELETED') pods.delete(ev.object.metadata.name!);
        else pods.set(ev.object.metadata.name!, ev.object);
        history.push([...pods.values()].filter(isReady).length);
      }
    })().catch(() => undefined);
    await cluster.waitFor(async () => (history.at(-1) === 4 ? true : undefined), ROLLOUT_MS, 'the watch to show 4 ready pods');
    const startedAt = history.length;

    await kubectl(['set', 'image', 'deploy/web', '-n', ns, 'web=busybox:2']);
    expect(await rolloutStatus(ns, 'web')).to.contain('deployment "web" successfully rolled out');
    await cluster.waitFor(async () => ((await images(ns)).join() === 'busybox:2,busybox:2,busybox:2,busybox:2' ? true : undefined), ROLLOUT_MS, 'only new pods');
    watch.stop();
    await recording;
    const during = history.slice(startedAt);
    expect(during.length, 'pod events recorded during the rollout').to.be.greaterThan(8);
    expect(Math.min(...during), `ready pods during the rollout: ${during.join(',')}`).to.be.at.least(4 - 1);

    const sets = await replicaSets(ns);
    expect(sets).to.have.length(2);
    expect(sets[0]).to.match(/^web-[a-z0-9]+=0@1$/);
    expect(sets[1]).to.match(/^web-[a-z0-9]+=4@2$/);
    const events = await jsonpath(ns, 'events', `{range .items[*]}{.reason}:{.source.component}:{.message}{"\\n"}{end}`);
    expect(events).to.match(/ScalingReplicaSet:deployment-controller:Scaled up replica set web-[a-z0-9]+ from 0 to \d/);
    expect(events).to.match(/ScalingReplicaSet:deployment-controller:Scaled down replica set web-[a-z0-9]+ from \d to \d/);
    const conditions = await jsonpath(ns, 'deploy/web', '{range .status.conditions[*]}{.type}={.status}/{.reason}{"\\n"}{end}');
    expect(conditions).to.contain('Available=True/MinimumReplicasAvailable');
    expect(conditions).to.contain('Progressing=True/NewReplicaSetAvailable');
  });

  it('rollout history (and --revision=2), undo, undo --to-revision: the old ReplicaSet comes back with a new revision', async () => {
    const ns = 'dep-undo';
    await kubectl(['create', 'namespace', ns]);
    await kubectl(['apply', '-f', '-'], deployYaml(ns, 'web', 2, 'busybox:1'));
    await rolloutStatus(ns, 'web');
    await kubectl(['set', 'image', 'deploy/web', '-n', ns, 'web=busybox:2']);
    await kubectl(['annotate', 'deploy/web', '-n', ns, 'kubernetes.io/change-cause=to busybox 2']);
    await rolloutStatus(ns, 'web');

    const history = await kubectl(['rollout', 'history', 'deploy/web', '-n', ns]);
    expect(history).to.match(/REVISION\s+CHANGE-CAUSE/);
    expect(history).to.match(/\n1\s+<none>/);
    expect(history).to.match(/\n2\s+to busybox 2/);
    const rev2 = await kubectl(['rollout', 'history', 'deploy/web', '-n', ns, '--revision=2']);
    expect(rev2).to.contain('revision #2');
    expect(rev2).to.contain('Image:\tbusybox:2');

    expect(await kubectl(['rollout', 'undo', 'deploy/web', '-n', ns])).to.contain('deployment.apps/web rolled back');
    await rolloutStatus(ns, 'web');
    expect(await jsonpath(ns, 'deploy/web', '{.spec.template.spec.containers[0].image}')).to.equal('busybox:1');
    let sets = await replicaSets(ns);
    expect(sets.map((s) => s.replace(/^web-[a-z0-9]+/, 'web'))).to.deep.equal(['web=0@2', 'web=2@3']);
    const revs = await jsonpath(ns, 'rs', '{range .items[*]}{.metadata.annotations.deployment\\.kubernetes\\.io/revision-history}{"\\n"}{end}');
    expect(revs.split('\n').filter(Boolean)).to.deep.equal(['1']);

    await kubectl(['rollout', 'undo', 'deploy/web', '-n', ns, '--to-revision=2']);
    await rolloutStatus(ns, 'web');
    expect(await jsonpath(ns, 'deploy/web', '{.spec.template.spec.containers[0].image}')).to.equal('busybox:2');
    sets = await replicaSets(ns);
    expect(sets.map((s) => s.replace(/^web-[a-z0-9]+/, 'web'))).to.deep.equal(['web=0@3', 'web=2@4']);
    expect(await jsonpath(ns, 'deploy/web', '{.metadata.annotations.deployment\\.kubernetes\\.io/revision}')).to.equal('4');
  });

  it('pause holds a rollout while scale still works; resume finishes it; restart rolls out new pods', async () => {
    const ns = 'dep-pause';
    await kubectl(['create', 'namespace', ns]);
    await kubectl(['apply', '-f', '-'], deployYaml(ns, 'web', 2, 'busybox:1'));
    await rolloutStatus(ns, 'web');
    await kubectl(['rollout', 'pause', 'deploy/web', '-n', ns]);
    await kubectl(['set', 'image', 'deploy/web', '-n', ns, 'web=busybox:2']);
    await kubectl(['scale', 'deploy/web', '-n', ns, '--replicas=3']);
    await cluster.waitFor(async () => {
      const st = await jsonpath(ns, 'deploy/web', '{.metadata.generation}/{.status.observedGeneration}/{.status.availableReplicas}');
      const [gen, observed, available] = st.split('/');
      return gen === observed && available === '3' ? true : undefined;
    }, ROLLOUT_MS, 'the paused deployment scaled to 3');
    expect(await replicaSets(ns)).to.have.length(1);
    expect(await jsonpath(ns, 'deploy/web', '{.status.conditions[?(@.type=="Progressing")].reason}')).to.equal('DeploymentPaused');
    expect(await images(ns)).to.deep.equal(['busybox:1', 'busybox:1', 'busybox:1']);

    await kubectl(['rollout', 'resume', 'deploy/web', '-n', ns]);
    await rolloutStatus(ns, 'web');
    await cluster.waitFor(async () => ((await images(ns)).join() === 'busybox:2,busybox:2,busybox:2' ? true : undefined), ROLLOUT_MS, 'the resumed rollout');

    await kubectl(['rollout', 'restart', 'deploy/web', '-n', ns]);
    await rolloutStatus(ns, 'web');
    const sets = await replicaSets(ns);
    expect(sets.map((s) => s.split('=')[1])).to.deep.equal(['0@1', '0@2', '3@3']);
    expect(await jsonpath(ns, 'rs', '{.items[*].spec.template.metadata.annotations.kubectl\\.kubernetes\\.io/restartedAt}')).to.match(/^\d{4}-\d\d-\d\dT/);
  });

  it('kubectl scale deploy and a Recreate rollout (old pods gone before new ones start)', async () => {
    const ns = 'dep-scale';
    await kubectl(['create', 'namespace', ns]);
    await kubectl(['apply', '-f', '-'], deployYaml(ns, 'web', 2, 'busybox:1', '{ type: Recreate }'));
    await rolloutStatus(ns, 'web');
    await kubectl(['scale', 'deploy/web', '-n', ns, '--replicas=5']);
    await rolloutStatus(ns, 'web');
    expect(await jsonpath(ns, 'deploy/web', '{.status.readyReplicas}')).to.equal('5');
    const table = (await kubectl(['get', 'deploy', 'web', '-n', ns])).trim().split('\n');
    expect(table[0]!.split(/\s+/)).to.deep.equal(['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE']);
    expect(table[1]!.split(/\s+/).slice(0, 4)).to.deep.equal(['web', '5/5', '5', '5']);

    await kubectl(['set', 'image', 'deploy/web', '-n', ns, 'web=busybox:2']);
    await rolloutStatus(ns, 'web');
    await cluster.waitFor(async () => ((await images(ns)).join() === 'busybox:2,busybox:2,busybox:2,busybox:2,busybox:2' ? true : undefined), ROLLOUT_MS, 'the recreated pods');
    const scaling = (await jsonpath(ns, 'events', `{range .items[*]}{.reason}:{.message}{"\\n"}{end}`)).split('\n').filter((l) => l.startsWith('ScalingReplicaSet'));
    expect(scaling.some((l) => /Scaled down replica set web-[a-z0-9]+ from 5 to 0/.test(l))).to.equal(true);
    expect(scaling.some((l) => /Scaled up replica set web-[a-z0-9]+ from 0 to 5/.test(l))).to.equal(true);
  });
});
