import { expect } from 'chai';
import { podStrategy, type Pod } from '../kinds/core';
import { podDisruptionBudgetStrategy, type PodDisruptionBudget } from '../kinds/policy';
import { apiError } from '../registry/test-support';
import { TwoDoorApiServer } from '../test-api-server';

const PODS = podStrategy.info;
const PDBS = podDisruptionBudgetStrategy.info;
const NODES = { group: '', version: 'v1', kind: 'Node', resource: 'nodes', singular: 'node', namespaced: false, shortNames: ['no'], categories: [] };

/**
 * PodDisruptionBudgets and pods/eviction through one real apiserver on a real store: the real
 * kubectl (create pdb, get pdb, drain) and raw HTTPS on one door, GrpcApiClient on the other.
 */
describe('PodDisruptionBudget and pods/eviction (a real apiserver, both doors)', function () {
  this.timeout(90_000);
  let t: TwoDoorApiServer;

  before(async () => {
    t = await TwoDoorApiServer.start('bosun-pdb-');
    await t.grpc.resource(NODES).create(undefined, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' } });
  });

  after(async () => {
    await t?.stop();
  });

  /** A pod with label app=web bound to n1, Running and Ready. */
  async function runningPod(name: string): Promise<void> {
    const pods = t.grpc.resource<Pod>(PODS);
    await pods.create('default', { apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: { app: 'web' } }, spec: { nodeName: 'n1', containers: [{ name: 'app', image: 'nginx' }] } });
    const pod = await pods.get('default', name);
    pod.status = { ...pod.status, phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] };
    await pods.updateStatus('default', pod);
  }

  /** Sets the budget's status as the disruption controller would. */
  async function allow(name: string, disruptionsAllowed: number): Promise<void> {
    const pdbs = t.grpc.resource<PodDisruptionBudget>(PDBS);
    const pdb = await pdbs.get('default', name);
    pdb.status = { ...pdb.status, observedGeneration: pdb.metadata.generation, disruptionsAllowed, currentHealthy: 1, desiredHealthy: 1, expectedPods: 1 };
    await pdbs.updateStatus('default', pdb);
  }

  it('kubectl create pdb and kubectl get pdb show Kubernetes columns', async () => {
    const created = await t.kubectl(['create', 'pdb', 'web', '--selector=app=web', '--min-available=1']);
    expect(created.stderr).to.equal('');
    expect(created.stdout).to.equal('poddisruptionbudget.policy/web created\n');
    const got = await t.kubectl(['get', 'pdb']);
    expect(got.code, got.stderr).to.equal(0);
    const [header, row] = got.stdout.trimEnd().split('\n');
    expect(header!.split(/\s{2,}/)).to.deep.equal(['NAME', 'MIN AVAILABLE', 'MAX UNAVAILABLE', 'ALLOWED DISRUPTIONS', 'AGE']);
    expect(row!.split(/\s+/).slice(0, 4)).to.deep.equal(['web', '1', 'N/A', '0']);
    const bad = await t.kubectl(['create', 'pdb', 'both', '--selector=app=web', '--min-available=1', '--max-unavailable=1']);
    expect(bad.code).to.equal(1);
    const pdb = (await t.grpc.resource<PodDisruptionBudget>(PDBS).get('default', 'web')) as PodDisruptionBudget;
    expect(pdb.spec).to.deep.equal({ minAvailable: 1, selector: { matchLabels: { app: 'web' } } });
    expect(pdb.status).to.deep.include({ disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 });
  });

  it('refuses an eviction the budget does not allow: HTTPS 429 with a DisruptionBudget cause, gRPC 429', async () => {
    await runningPod('web-1');
    const res = await t.request('POST', '/api/v1/namespaces/default/pods/web-1/eviction', {
      body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'web-1', namespace: 'default' } },
    });
    expect(res.status, res.body).to.equal(429);
    const status = JSON.parse(res.body) as { reason: string; message: string; details: { causes: { reason: string; message: string }[] } };
    expect(status.reason).to.equal('TooManyRequests');
    expect(status.message).to.equal("Cannot evict pod as it would violate the pod's disruption budget.");
    // No disruption controller has looked at the budget yet (observedGeneration 0 < generation 1).
    expect(status.details.causes[0]).to.deep.include({ reason: 'DisruptionBudget', message: 'The disruption budget web is still being processed by the server.' });
    await allow('web', 0);
    const spent = await t.request('POST', '/api/v1/namespaces/default/pods/web-1/eviction', { body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'web-1' } } });
    expect(spent.status, spent.body).to.equal(429);
    expect(JSON.parse(spent.body).details.causes[0].message).to.equal('The disruption budget web needs 1 healthy pods and has 1 currently');
    const err = await apiError(t.grpc.resource(PODS).evict('default', 'web-1', { metadata: {} }));
    expect([err.code, err.reason]).to.deep.equal([429, 'TooManyRequests']);
    await t.grpc.resource(PODS).get('default', 'web-1');
  });

  it('kubectl drain evicts once the budget allows it, spending the budget', async () => {
    await allow('web', 1);
    const drained = await t.kubectl(['drain', 'n1', '--force', '--timeout=20s', '--grace-period=0']);
    expect(drained.code, drained.stderr).to.equal(0);
    expect(drained.stdout).to.contain('pod/web-1 evicted');
    await apiError(t.grpc.resource(PODS).get('default', 'web-1'));
    const pdb = (await t.grpc.resource<PodDisruptionBudget>(PDBS).get('default', 'web')) as PodDisruptionBudget;
    expect(pdb.status?.disruptionsAllowed).to.equal(0);
    expect(Object.keys(pdb.status?.disruptedPods ?? {})).to.deep.equal(['web-1']);
  });

  it('gRPC eviction: a Pending pod goes without consulting budgets; an allowed one goes too', async () => {
    const pods = t.grpc.resource<Pod>(PODS);
    await pods.create('default', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'pending', labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'nginx' }] } });
    await pods.evict('default', 'pending', { metadata: {} });
    await apiError(pods.get('default', 'pending'));
    await runningPod('web-2');
    await allow('web', 1);
    await pods.evict('default', 'web-2', { metadata: {}, deleteOptions: { gracePeriodSeconds: 0 } });
    expect((await apiError(pods.get('default', 'web-2'))).code).to.equal(404);
  });

  it('a pod two budgets cover is a 500, as Kubernetes answers', async () => {
    await runningPod('web-3');
    const created = await t.kubectl(['create', 'pdb', 'web-too', '--selector=app=web', '--max-unavailable=50%']);
    expect(created.code, created.stderr).to.equal(0);
    const err = await apiError(t.grpc.resource(PODS).evict('default', 'web-3', { metadata: {} }));
    expect([err.code, err.message]).to.deep.equal([500, 'Internal error occurred: This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.']);
  });
});
