import { expect } from 'chai';
import { RESOURCES } from '../../lib/api/resources';
import type { KubeObject } from '../../lib/api/object';
import type { ApiWatchEvent } from '../../lib/api/requests';
import { ControlPlaneCluster } from '../support/control-plane-cluster';

/** How long the rollout may take, including the standby's takeover, ms. */
const ROLLOUT_MS = 60_000;
/** Pods start slowly enough that the rollout is still going when the leader dies, ms. */
const POD_START_DELAY_MS = 600;
const REPLICAS = 6;
/** Short leases so the standby takes over within seconds (lease 3 s, renew 2 s, retry 0.5 s). */
const LEADER_ELECTION_ARGS = ['--leader-elect-lease-duration', '3', '--leader-elect-renew-deadline', '2', '--leader-elect-retry-period', '0.5'];

const deployYaml = (ns: string, image: string) => `
apiVersion: apps/v1
kind: Deployment
metadata: { name: web, namespace: ${ns} }
spec:
  replicas: ${REPLICAS}
  strategy: { type: RollingUpdate, rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } }
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      containers: [{ name: web, image: ${image}, resources: { requests: { cpu: 10m } } }]
`;

/** Records the names of every object a watch reports ADDED (several entries for one name = created twice). */
function recordCreations(cluster: ControlPlaneCluster, resource: typeof RESOURCES.pods, ns: string): { added: string[]; stop: () => Promise<void> } {
  const added: string[] = [];
  const watch = cluster.client.resource<KubeObject>(resource).watch(ns);
  const done = (async () => {
    for await (const ev of watch as AsyncIterable<ApiWatchEvent<KubeObject>>) if (ev.type === 'ADDED') added.push(`${ev.object.metadata.name}/${ev.object.metadata.uid}`);
  })().catch(() => undefined);
  return { added, stop: async () => { watch.stop(); await done; } };
}

/**
 * kill -9 of the leading controller-manager in the middle of a rolling update: the standby
 * takes the lease and finishes the rollout, and no ReplicaSet or pod is created twice (exactly
 * one new ReplicaSet; exactly `replicas` new pods for maxSurge 1 / maxUnavailable 0).
 */
describe('a Deployment rollout survives the controller-manager leader being killed', function () {
  this.timeout(120_000);
  let cluster: ControlPlaneCluster;

  before(async () => {
    cluster = await ControlPlaneCluster.start('deployment-failover', { controllerManagers: 2, controllerManagerArgs: LEADER_ELECTION_ARGS, podStartDelayMs: POD_START_DELAY_MS });
  });
  after(async () => {
    await cluster?.stop();
  });

  const kubectl = (args: string[], input?: string) => cluster.kubectlOk(args, input);

  it('the standby finishes the rollout; nothing is created twice', async () => {
    const ns = 'dep-failover';
    await kubectl(['create', 'namespace', ns]);
    await kubectl(['apply', '-f', '-'], deployYaml(ns, 'busybox:1'));
    await kubectl(['rollout', 'status', 'deploy/web', '-n', ns, '--timeout=60s']);
    const sets = recordCreations(cluster, RESOURCES.replicasets, ns);
    const pods = recordCreations(cluster, RESOURCES.pods, ns);
    await cluster.waitFor(async () => (pods.added.length === REPLICAS && sets.added.length === 1 ? true : undefined), ROLLOUT_MS, 'the watches to list the first rollout');

    const leader = await cluster.controllerManagerLeader();
    await kubectl(['set', 'image', 'deploy/web', '-n', ns, 'web=busybox:2']);
    // Mid-rollout: some new pods exist, not all of them yet.
    await cluster.waitFor(async () => {
      const updated = Number((await kubectl(['get', 'deploy/web', '-n', ns, '-o', 'jsonpath={.status.updatedReplicas}'])).trim() || 0);
      return updated >= 2 && updated < REPLICAS ? true : undefined;
    }, ROLLOUT_MS, 'the rollout to be under way');
    await leader.kill('SIGKILL');

    expect(await kubectl(['rollout', 'status', 'deploy/web', '-n', ns, '--timeout=60s'])).to.contain('successfully rolled out');
    const standby = await cluster.controllerManagerLeader();
    expect(standby).to.not.equal(leader);
    const images = (await kubectl(['get', 'pods', '-n', ns, '-o', 'jsonpath={range .items[*]}{.spec.containers[0].image} {.metadata.deletionTimestamp}{"\\n"}{end}']))
      .split('\n').map((l) => l.trim()).filter((l) => l && !l.includes(' '));
    expect(images).to.deep.equal(Array(REPLICAS).fill('busybox:2'));
    await sets.stop();
    await pods.stop();

    const setNames = sets.added.map((s) => s.split('/')[0]);
    expect(new Set(setNames).size, `ReplicaSets added: ${sets.added.join(', ')}`).to.equal(setNames.length);
    expect(setNames).to.have.length(2);
    expect(pods.added, `pods added: ${pods.added.join(', ')}`).to.have.length(2 * REPLICAS);
    expect((await kubectl(['get', 'rs', '-n', ns, '-o', 'name'])).trim().split('\n')).to.have.length(2);
  });
});
