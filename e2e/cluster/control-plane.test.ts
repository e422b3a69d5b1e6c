import { expect } from 'chai';
import { sampleValue } from '../../lib/metrics';
import { ControlPlaneCluster } from '../support/control-plane-cluster';

const POD_YAML = `
apiVersion: v1
kind: Pod
metadata: { name: hello, namespace: cp-demo }
spec:
  containers: [{ name: hello, image: busybox, resources: { requests: { cpu: 100m } } }]
`;

/**
 * The control-plane harness every controller's end-to-end test stands on: real store,
 * apiserver, scheduler and two controller-manager replicas (one leads), simulated nodes on
 * which a pod applied with kubectl is placed and runs, and the namespace controller finishing a
 * namespace deletion.
 */
describe('a control plane of real processes with simulated nodes', function () {
  this.timeout(90_000);
  let cluster: ControlPlaneCluster;

  before(async () => {
    cluster = await ControlPlaneCluster.shared();
  });
  after(async () => {
    await cluster?.release();
  });

  const kubectl = (args: string[], input?: string) => cluster.kubectlOk(args, input);

  it('elects exactly one controller-manager leader', async () => {
    const leader = await cluster.controllerManagerLeader();
    const others = cluster.controllerManagers.filter((c) => c !== leader);
    expect(await Promise.all(others.map((c) => c.isLeader()))).to.deep.equal([false]);
  });

  it('places a pod applied with kubectl on a simulated node, where it runs', async () => {
    await kubectl(['create', 'namespace', 'cp-demo']);
    await kubectl(['apply', '-f', '-'], POD_YAML);
    await kubectl(['wait', '-n', 'cp-demo', '--for=condition=Ready', 'pod/hello', '--timeout=30s']);
    const out = await kubectl(['get', 'pod', '-n', 'cp-demo', 'hello', '-o', 'jsonpath={.spec.nodeName} {.status.phase} {.status.podIP}']);
    expect(out).to.match(/^sim-[12] Running 10\.42\.[12]\.\d+$/);
  });

  it('deletes a namespace with its pod (namespace controller, graceful pod deletion on the node)', async () => {
    await kubectl(['delete', 'namespace', 'cp-demo', '--timeout=45s']);
    const r = await cluster.kubectl(['get', 'namespace', 'cp-demo']);
    expect(r.stderr).to.include('NotFound');
    const metrics = await (await cluster.controllerManagerLeader()).metrics();
    expect(sampleValue(metrics, 'workqueue_adds_total{name="namespace"}')).to.be.greaterThan(0);
  });
});
