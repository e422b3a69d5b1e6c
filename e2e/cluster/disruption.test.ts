import { expect } from 'chai';
import { sampleValue } from '../../lib/metrics';
import { ControlPlaneCluster } from '../support/control-plane-cluster';

/** Three running pods of one app, two on sim-1 and one on sim-2, and a budget keeping two of them up. */
const APP_YAML = `
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: { name: web, namespace: pdb-demo }
spec: { minAvailable: 2, selector: { matchLabels: { app: web } } }
${['sim-1', 'sim-1', 'sim-2']
  .map(
    (node, i) => `---
apiVersion: v1
kind: Pod
metadata: { name: web-${i + 1}, namespace: pdb-demo, labels: { app: web } }
spec: { nodeName: ${node}, containers: [{ name: web, image: busybox }] }`,
  )
  .join('\n')}
`;

/**
 * PodDisruptionBudgets end to end: the disruption controller (in a real controller-manager)
 * keeps the budget's status from the pods it selects, and `kubectl drain` evicts only as far as
 * the budget allows.
 */
describe('disruption budgets through real processes and kubectl drain', function () {
  this.timeout(90_000);
  let cluster: ControlPlaneCluster;

  before(async () => {
    cluster = await ControlPlaneCluster.shared();
  });
  after(async () => {
    await cluster?.release();
  });

  const kubectl = (args: string[], input?: string) => cluster.kubectlOk(args, input);
  const budget = () => kubectl(['get', 'pdb', 'web', '-n', 'pdb-demo', '-o', 'jsonpath={.status.currentHealthy}/{.status.desiredHealthy}/{.status.expectedPods} allowed={.status.disruptionsAllowed}']);

  it('keeps the budget status: 3 healthy of 2 desired, 1 disruption allowed', async () => {
    await kubectl(['create', 'namespace', 'pdb-demo']);
    await kubectl(['apply', '-f', '-'], APP_YAML);
    await cluster.waitFor(async () => ((await budget()) === '3/2/3 allowed=1' ? true : undefined), 30_000, 'the budget status');
    const table = await kubectl(['get', 'pdb', 'web', '-n', 'pdb-demo', '--no-headers']);
    expect(table).to.match(/^web\s+2\s+N\/A\s+1\s+/);
    // Settled: the controller does not keep rewriting a status that did not change.
    const adds = async () => sampleValue(await cluster.controllerManagers[0]!.metrics(), 'workqueue_adds_total{name="disruption"}');
    const before = await adds();
    await new Promise((r) => setTimeout(r, 2000));
    expect(await adds()).to.equal(before);
  });

  it('kubectl drain evicts one pod of sim-1 and is refused the second by the budget', async () => {
    const r = await cluster.kubectl(['drain', 'sim-1', '--force', '--ignore-daemonsets', '--timeout=8s']);
    expect(r.code).to.not.equal(0);
    expect(r.stdout + r.stderr).to.include("Cannot evict pod as it would violate the pod's disruption budget.");
    const left = await kubectl(['get', 'pods', '-n', 'pdb-demo', '-o', 'jsonpath={.items[*].metadata.name}']);
    expect(left.split(' ')).to.have.length(2);
    await cluster.waitFor(async () => ((await budget()) === '2/2/2 allowed=0' ? true : undefined), 30_000, 'the budget to count two healthy pods');
    const cordoned = await kubectl(['get', 'node', 'sim-1', '-o', 'jsonpath={.spec.unschedulable}']);
    expect(cordoned).to.equal('true');
  });
});
