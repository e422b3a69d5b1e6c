import { expect } from 'chai';
import { RESOURCES } from '../../lib/api/resources';
import type { EndpointSlice } from '../../lib/api/types/discovery';
import { ControlPlaneCluster } from '../support/control-plane-cluster';

/** How long a controller may take to act through the real processes, ms. */
const SETTLE_MS = 30_000;
/** The most a pod readiness change may take to reach its EndpointSlice, ms. */
const READINESS_TO_SLICE_MS = 1000;
/** The controller-manager's --node-monitor-grace-period here, s. */
const GRACE_S = 15;

/**
 * The cluster controllers through real processes (store, apiserver, scheduler,
 * controller-manager, simulated nodes) and the real kubectl: the Endpoints and EndpointSlices of
 * an exposed Deployment follow its pods; every namespace gets its default ServiceAccount, which pods run as;
 * a node whose heartbeat stops goes Unknown, is tainted unreachable, and its pods are evicted
 * when their tolerations run out, their Deployment replacing them on the other node.
 */
describe('cluster controllers through real processes and kubectl', function () {
  this.timeout(120_000);
  let cluster: ControlPlaneCluster;

  before(async () => {
    // A short grace period (still above the 10 s lease renewal) so a silent node is noticed quickly.
    cluster = await ControlPlaneCluster.start('cluster-controllers', { controllerManagerArgs: ['--node-monitor-grace-period', String(GRACE_S), '--node-monitor-period', '1'] });
  });
  after(async () => {
    await cluster?.stop();
  });

  const kubectl = (args: string[], input?: string) => cluster.kubectlOk(args, input);
  const endpointIps = async (ns: string, name: string): Promise<string[]> => {
    const out = await kubectl(['get', 'endpoints', name, '-n', ns, '-o', 'jsonpath={range .subsets[*].addresses[*]}{.ip}{" "}{end}']).catch(() => '');
    return out.split(' ').filter((s) => s !== '').sort();
  };

  it('kubectl expose gives a Deployment Endpoints that follow its pods, with the target port', async () => {
    await kubectl(['create', 'namespace', 'ep']);
    await kubectl(['create', 'deployment', 'web', '-n', 'ep', '--image=busybox', '--replicas=3', '--port=8080']);
    await kubectl(['expose', 'deployment', 'web', '-n', 'ep', '--port=80', '--target-port=8080']);
    const podIps = async () => (await kubectl(['get', 'pods', '-n', 'ep', '-l', 'app=web', '--field-selector=status.phase=Running', '-o', 'jsonpath={.items[*].status.podIP}'])).split(' ').filter((s) => s !== '').sort();
    await cluster.waitFor(async () => ((await endpointIps('ep', 'web')).length === 3 ? true : undefined), SETTLE_MS, '3 endpoints');
    expect(await endpointIps('ep', 'web')).to.deep.equal(await podIps());
    const ports = await kubectl(['get', 'endpoints', 'web', '-n', 'ep', '-o', 'jsonpath={.subsets[0].ports[0].port}']);
    expect(ports).to.equal('8080');
    const table = await kubectl(['get', 'endpoints', 'web', '-n', 'ep']);
    expect(table).to.match(/^NAME\s+ENDPOINTS\s+AGE/);
    expect(table).to.include(':8080');

    await kubectl(['scale', 'deployment', 'web', '-n', 'ep', '--replicas=1']);
    await cluster.waitFor(async () => ((await endpointIps('ep', 'web')).length === 1 ? true : undefined), SETTLE_MS, '1 endpoint');
    await kubectl(['delete', 'service', 'web', '-n', 'ep']);
    await cluster.waitFor(async () => ((await kubectl(['get', 'endpoints', '-n', 'ep', '-o', 'name'])).trim() === '' ? true : undefined), SETTLE_MS, 'endpoints gone with the service');
  });

  it('kubectl expose gives a Deployment an EndpointSlice with its pods\' IPs and port, shrinking on scale-down', async () => {
    await kubectl(['create', 'namespace', 'eps']);
    await kubectl(['create', 'deployment', 'web', '-n', 'eps', '--image=busybox', '--replicas=3', '--port=8080']);
    await kubectl(['expose', 'deployment', 'web', '-n', 'eps', '--port=80', '--target-port=8080']);
    const selector = ['-n', 'eps', '-l', 'kubernetes.io/service-name=web'];
    const sliceIps = async () =>
      (await kubectl(['get', 'endpointslices', ...selector, '-o', 'jsonpath={range .items[*].endpoints[*]}{.addresses[0]}{" "}{end}']).catch(() => '')).split(' ').filter((x) => x !== '').sort();
    const podIps = async () => (await kubectl(['get', 'pods', '-n', 'eps', '-l', 'app=web', '--field-selector=status.phase=Running', '-o', 'jsonpath={.items[*].status.podIP}'])).split(' ').filter((x) => x !== '').sort();
    await cluster.waitFor(async () => ((await sliceIps()).length === 3 ? true : undefined), SETTLE_MS, '3 slice endpoints');
    expect(await sliceIps()).to.deep.equal(await podIps());
    const table = await kubectl(['get', 'endpointslices', ...selector]);
    expect(table).to.match(/^NAME\s+ADDRESSTYPE\s+PORTS\s+ENDPOINTS\s+AGE/);
    expect(table).to.match(/\nweb-[a-z0-9]{5}\s+IPv4\s+8080\s+\d+\.\d+\.\d+\.\d+,/);
    const managedBy = await kubectl(['get', 'endpointslices', ...selector, '-o', 'jsonpath={.items[0].metadata.labels.endpointslice\\.kubernetes\\.io/managed-by}']);
    expect(managedBy).to.equal('endpointslice-controller.k8s.io');

    // A readiness probe turning reaches the slice within READINESS_TO_SLICE_MS (event-driven), measured on a watch.
    const podName = (await kubectl(['get', 'pods', '-n', 'eps', '-l', 'app=web', '-o', 'jsonpath={.items[0].metadata.name}'])).trim();
    const watch = cluster.client.resource<EndpointSlice>(RESOURCES.endpointslices).watch('eps', { labelSelector: 'kubernetes.io/service-name=web' });
    try {
      const startMs = Date.now();
      cluster.kubelet!.setReady('eps', podName, false);
      for await (const ev of watch) {
        const ep = ev.object.endpoints?.find((e) => e.targetRef?.name === podName);
        if (ep?.conditions?.ready === false && ep.conditions.serving === false) break;
      }
      const latencyMs = Date.now() - startMs;
      console.log(`      readiness → EndpointSlice: ${latencyMs} ms`);
      expect(latencyMs).to.be.below(READINESS_TO_SLICE_MS);
    } finally {
      watch.stop();
    }

    await kubectl(['scale', 'deployment', 'web', '-n', 'eps', '--replicas=1']);
    await cluster.waitFor(async () => ((await sliceIps()).length === 1 ? true : undefined), SETTLE_MS, '1 slice endpoint');
    expect(await sliceIps()).to.deep.equal(await podIps());
  });

  it('a new namespace gets a default ServiceAccount, and pods run as it', async () => {
    await kubectl(['create', 'namespace', 'sa']);
    await cluster.waitFor(async () => ((await kubectl(['get', 'serviceaccounts', '-n', 'sa', '-o', 'name'])).includes('serviceaccount/default') ? true : undefined), SETTLE_MS, 'the default ServiceAccount');
    await kubectl(['run', 'one', '-n', 'sa', '--image=busybox']);
    expect(await kubectl(['get', 'pod', 'one', '-n', 'sa', '-o', 'jsonpath={.spec.serviceAccountName}'])).to.equal('default');
    const refused = await cluster.kubectl(['run', 'two', '-n', 'sa', '--image=busybox', '--overrides={"spec":{"serviceAccountName":"ghost"}}']);
    expect(refused.code).to.not.equal(0);
    expect(refused.stderr).to.include('error looking up service account sa/ghost: serviceaccount "ghost" not found');
  });

  it('a node that stops renewing its lease goes Unknown, is tainted, and its pods move once their toleration runs out', async () => {
    await kubectl(['create', 'namespace', 'lc']);
    const manifest = `
apiVersion: apps/v1
kind: Deployment
metadata: { name: app, namespace: lc }
spec:
  replicas: 2
  selector: { matchLabels: { app: app } }
  template:
    metadata: { labels: { app: app } }
    spec:
      containers: [{ name: c, image: busybox }]
      tolerations: [{ key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute, tolerationSeconds: 2 }]
`;
    await kubectl(['apply', '-f', '-'], manifest);
    const placement = async () => (await kubectl(['get', 'pods', '-n', 'lc', '-o', 'jsonpath={range .items[*]}{.spec.nodeName}{" "}{.status.phase}{"\\n"}{end}'])).trim().split('\n').filter((l) => l.endsWith('Running')).map((l) => l.split(' ')[0]!);
    await cluster.waitFor(async () => ((await placement()).length === 2 ? true : undefined), SETTLE_MS, 'two running pods');
    const victim = 'sim-1';
    cluster.kubelet!.setHeartbeat(victim, false);
    try {
      await cluster.waitFor(async () => ((await kubectl(['get', 'node', victim, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}'])) === 'Unknown' ? true : undefined), (GRACE_S + 20) * 1000, `${victim} Unknown`);
      const taints = await kubectl(['get', 'node', victim, '-o', 'jsonpath={range .spec.taints[*]}{.key}:{.effect} {end}']);
      expect(taints).to.include('node.kubernetes.io/unreachable:NoSchedule').and.include('node.kubernetes.io/unreachable:NoExecute');
      await cluster.waitFor(async () => {
        const nodes = await placement();
        return nodes.length === 2 && nodes.every((n) => n !== victim) ? true : undefined;
      }, SETTLE_MS, `both pods off ${victim}`);
      const events = await kubectl(['get', 'events', '-n', 'lc', '--field-selector', 'reason=TaintManagerEviction', '-o', 'name']);
      expect(events.trim()).to.not.equal('');
    } finally {
      cluster.kubelet!.setHeartbeat(victim, true);
    }
  });
});
