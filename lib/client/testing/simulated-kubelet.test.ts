import { expect } from 'chai';
import type { KubeObject, ResourceInfo } from '../../api/object';
import { TwoDoorApiServer } from '../../../services/apiserver/test-api-server';
import { SIMULATED_EXIT_CODE, SIMULATED_RUN_MS, SimulatedKubelet } from './simulated-kubelet';

const PODS: ResourceInfo = { group: '', version: 'v1', kind: 'Pod', resource: 'pods', singular: 'pod', namespaced: true, shortNames: [], categories: [] };

/** A pod already bound to `node` (as if scheduled). */
function boundPod(name: string, node: string, annotations: Record<string, string> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, annotations }, spec: { nodeName: node, containers: [{ name: 'c', image: 'busybox' }] } };
}

/** The simulated kubelet through a real store and apiserver: status written as a kubelet would. */
describe('SimulatedKubelet through a real apiserver', function () {
  this.timeout(60_000);
  let t: TwoDoorApiServer;
  let kubelet: SimulatedKubelet;

  before(async () => {
    t = await TwoDoorApiServer.start('bosun-simkubelet-');
    kubelet = new SimulatedKubelet({ client: t.grpc });
    await kubelet.start([{ name: 'sim-1' }, { name: 'sim-2', labels: { zone: 'b' } }]);
  });
  after(async () => {
    kubelet?.stop();
    await t?.stop();
  });

  const pods = () => t.grpc.resource(PODS);
  const waitFor = async (fn: () => Promise<boolean>, what: string) => {
    const deadline = Date.now() + 20_000;
    while (!(await fn().catch(() => false))) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  it('registers Ready nodes with capacity and the given labels', async () => {
    const out = await t.kubectl(['get', 'nodes', '-l', 'zone=b', '-o', 'jsonpath={.items[*].metadata.name} {.items[*].status.allocatable.cpu}']);
    expect(out.stdout).to.equal('sim-2 8');
  });

  it('runs a bound pod: Running, Ready, with a pod IP; kubectl shows it', async () => {
    await pods().create('default', boundPod('web', 'sim-1'));
    await waitFor(async () => (await pods().get('default', 'web')).status?.phase === 'Running', 'web Running');
    const pod = await pods().get('default', 'web');
    expect(pod.status?.podIP).to.match(/^10\.42\.1\.\d+$/);
    const out = await t.kubectl(['get', 'pod', 'web', '--no-headers']);
    expect(out.stdout).to.match(/^web\s+1\/1\s+Running\s+0/);
  });

  it('turns readiness off and on', async () => {
    kubelet.setReady('default', 'web', false);
    await waitFor(async () => !JSON.stringify((await pods().get('default', 'web')).status?.conditions).includes('"Ready","status":"True"'), 'web not ready');
    kubelet.setReady('default', 'web', true);
    await waitFor(async () => JSON.stringify((await pods().get('default', 'web')).status?.conditions).includes('"type":"Ready","status":"True"'), 'web ready');
  });

  it('ends pods that exit: 0 → Succeeded, 3 → Failed with the exit code', async () => {
    await pods().create('default', boundPod('ok', 'sim-2', { [SIMULATED_EXIT_CODE]: '0', [SIMULATED_RUN_MS]: '50' }));
    await pods().create('default', boundPod('bad', 'sim-2', { [SIMULATED_EXIT_CODE]: '3', [SIMULATED_RUN_MS]: '50' }));
    await waitFor(async () => (await pods().get('default', 'ok')).status?.phase === 'Succeeded', 'ok Succeeded');
    await waitFor(async () => (await pods().get('default', 'bad')).status?.phase === 'Failed', 'bad Failed');
    const bad = await pods().get('default', 'bad');
    expect(JSON.stringify(bad.status?.containerStatuses)).to.include('"exitCode":3');
  });

  it('finishes graceful deletions of its pods, and leaves pods of other nodes alone', async () => {
    await pods().create('default', boundPod('elsewhere', 'not-simulated'));
    await pods().delete('default', 'web');
    await waitFor(async () => (await pods().list('default')).items.every((p) => p.metadata.name !== 'web'), 'web deleted');
    const other = await pods().get('default', 'elsewhere');
    expect(other.status?.phase ?? 'Pending').to.equal('Pending');
  });
});
