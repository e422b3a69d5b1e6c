import { expect } from 'chai';
import type { KubeObject } from '../../lib/api/object';
import { listerWatcherFor } from '../../lib/client/api-adapters';
import { SharedInformer } from '../../lib/client/informer';
import type { Pod } from '../../services/scheduler/algorithm/api-types';
import { PODS } from '../../services/scheduler/api-resources';
import { nodeManifest, SchedulerCluster } from '../support/scheduler-cluster';

/** Pods created in all. */
const POD_COUNT = 500;
/** Pods the first nodes take: the rest stay pending until more nodes come. */
const FIRST_NODES = 5;
const PODS_PER_FIRST_NODE = 30;
const LATER_NODES = 10;
const PODS_PER_LATER_NODE = 35;
/** How long the standby may take to lead after kill -9 of the leader (issue 11), ms. */
const TAKEOVER_LIMIT_MS = 20_000;
/** Pod creations in flight at once. */
const CREATE_CONCURRENCY = 50;

/**
 * Failover: kill -9 of the leading scheduler while hundreds of pods are pending. The standby,
 * with Kubernetes' default lease timings (15 s lease, 10 s renew deadline, 2 s retry), takes the
 * kube-system/kube-scheduler Lease, rebuilds its cache from the API — counting the pods the dead
 * leader bound — and binds the rest: every pod bound exactly once, no node over its pod count.
 */
describe('scheduler failover through real processes', function () {
  this.timeout(90_000);
  let cluster: SchedulerCluster;
  /** pod name → every distinct spec.nodeName seen (an informer: it resumes when the server ends its watch). */
  const nodeNamesSeen = new Map<string, Set<string>>();
  let informer: SharedInformer<Pod> | undefined;

  before(async () => {
    cluster = await SchedulerCluster.start('scheduler-failover');
    informer = new SharedInformer<Pod>(listerWatcherFor(cluster.client.resource<Pod>(PODS), { namespace: 'default' }), { retryBaseMs: 50 });
    const record = (p: Pod) => {
      const node = p.spec?.nodeName;
      if (!node) return;
      const name = p.metadata.name!;
      if (!nodeNamesSeen.has(name)) nodeNamesSeen.set(name, new Set());
      nodeNamesSeen.get(name)!.add(node);
    };
    informer.addEventHandler({ onAdd: record, onUpdate: (_old, p) => record(p) });
    informer.run();
    await informer.waitForSync();
  });

  after(async () => {
    informer?.stop();
    await cluster?.stop();
  });

  it('the standby takes over within 20 s and every pod is bound exactly once', async () => {
    await cluster.createNodes(Array.from({ length: FIRST_NODES }, (_, i) => nodeManifest(`first-${i}`, { cpu: '64', memory: '256Gi', pods: String(PODS_PER_FIRST_NODE) })));
    const leader = await cluster.leader();
    const pods = cluster.client.resource<KubeObject>(PODS);
    for (let i = 0; i < POD_COUNT; i += CREATE_CONCURRENCY) {
      await Promise.all(
        Array.from({ length: Math.min(CREATE_CONCURRENCY, POD_COUNT - i) }, (_, j) =>
          pods.create('default', { apiVersion: 'v1', kind: 'Pod', metadata: { name: `p-${i + j}` }, spec: { containers: [{ name: 'c', image: 'busybox', resources: { requests: { cpu: '100m' } } }] } }),
        ),
      );
    }
    const firstRoom = FIRST_NODES * PODS_PER_FIRST_NODE;
    await cluster.waitFor(async () => (nodeNamesSeen.size >= firstRoom ? true : undefined), 30_000, `${firstRoom} pods bound by the first leader`);
    expect(POD_COUNT - nodeNamesSeen.size, 'pods pending when the leader dies').to.equal(POD_COUNT - firstRoom);

    const killedAt = Date.now();
    await leader.kill('SIGKILL');
    await cluster.createNodes(Array.from({ length: LATER_NODES }, (_, i) => nodeManifest(`later-${i}`, { cpu: '64', memory: '256Gi', pods: String(PODS_PER_LATER_NODE) })));
    const standby = await cluster.leader(TAKEOVER_LIMIT_MS + 5_000);
    const takeoverMs = Date.now() - killedAt;
    expect(standby.name).to.not.equal(leader.name);
    expect(takeoverMs, 'takeover time').to.be.at.most(TAKEOVER_LIMIT_MS);

    await cluster.waitFor(async () => (nodeNamesSeen.size === POD_COUNT ? true : undefined), 30_000, 'every pod bound');
    const boundTwice = [...nodeNamesSeen].filter(([, nodes]) => nodes.size > 1);
    expect(boundTwice, 'pods seen on more than one node').to.deep.equal([]);
    const list = (await pods.list('default')).items as Pod[];
    const perNode = new Map<string, number>();
    for (const p of list) perNode.set(p.spec!.nodeName!, (perNode.get(p.spec!.nodeName!) ?? 0) + 1);
    for (const [node, n] of perNode) expect(n, `pods on ${node}`).to.be.at.most(node.startsWith('first-') ? PODS_PER_FIRST_NODE : PODS_PER_LATER_NODE);
    const status = await standby.status();
    expect(status.scheduledTotal).to.equal(POD_COUNT - firstRoom);
    process.stdout.write(`      (takeover ${takeoverMs} ms after kill -9; ${status.scheduledTotal} pods bound by the new leader)\n`);
  });
});
