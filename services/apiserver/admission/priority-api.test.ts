import { expect } from 'chai';
import type { KubeObject } from '../../../lib/api/object';
import { deploymentStrategy } from '../kinds/apps';
import { podStrategy, type Pod } from '../kinds/core';
import { priorityClassStrategy, type PriorityClass } from '../kinds/scheduling';
import { apiError } from '../registry/test-support';
import { TwoDoorApiServer } from '../test-api-server';

const PODS = podStrategy.info;
const CLASSES = priorityClassStrategy.info;

function podBody(name: string, spec: Record<string, unknown> = {}): Pod {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'app', image: 'nginx:1.25' }], ...spec } };
}

function classBody(name: string, value: number, extra: Partial<PriorityClass> = {}): PriorityClass {
  return { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name }, value, ...extra };
}

/**
 * Priority admission through one real apiserver on a real store, the same through both doors:
 * the HTTPS door (raw requests and the real kubectl) and the gRPC door (GrpcApiClient).
 */
describe('Priority admission (a real apiserver, both doors)', function () {
  this.timeout(90_000);
  let t: TwoDoorApiServer;
  const podsPath = '/api/v1/namespaces/default/pods';

  before(async () => {
    t = await TwoDoorApiServer.start('bosun-priority-');
    await t.grpc.resource(CLASSES).create(undefined, classBody('high', 1000, { description: 'important' }));
    await t.grpc.resource(CLASSES).create(undefined, classBody('batch', 10, { preemptionPolicy: 'Never' }));
  });

  after(async () => {
    await t?.stop();
  });

  /** Waits until the apiserver's PriorityClass cache holds the version `rv` (a list not older than it). */
  async function cacheReaches(rv: string | undefined): Promise<void> {
    await t.grpc.resource(CLASSES).list(undefined, { resourceVersion: rv });
  }

  it('the system classes exist from the start, with their fixed values, and cannot be deleted', async () => {
    const node = (await t.grpc.resource<PriorityClass>(CLASSES).get(undefined, 'system-node-critical')) as PriorityClass;
    const cluster = (await t.grpc.resource<PriorityClass>(CLASSES).get(undefined, 'system-cluster-critical')) as PriorityClass;
    expect([node.value, cluster.value]).to.deep.equal([2_000_001_000, 2_000_000_000]);
    expect(node.preemptionPolicy).to.equal('PreemptLowerPriority');

    const http = await t.kubectl(['delete', 'priorityclass', 'system-node-critical']);
    expect(http.code).to.equal(1);
    expect(http.stderr).to.equal(
      'Error from server (Forbidden): priorityclasses.scheduling.k8s.io "system-node-critical" is forbidden: this is a system priority class and cannot be deleted\n',
    );
    const grpc = await apiError(t.grpc.resource(CLASSES).delete(undefined, 'system-cluster-critical'));
    expect(grpc.code).to.equal(403);
    expect(grpc.message).to.equal('priorityclasses.scheduling.k8s.io "system-cluster-critical" is forbidden: this is a system priority class and cannot be deleted');
    await t.grpc.resource(CLASSES).get(undefined, 'system-cluster-critical');
  });

  it('system- names are reserved', async () => {
    const res = await t.request('POST', '/apis/scheduling.k8s.io/v1/priorityclasses', { body: classBody('system-mine', 5) });
    expect(res.status, res.body).to.equal(422);
    expect(JSON.parse(res.body).message).to.contain("priority class names with 'system-' prefix are reserved for system use only");
  });

  it('an unknown class is refused with Kubernetes\' message: HTTPS 403, kubectl, gRPC', async () => {
    const res = await t.request('POST', podsPath, { body: podBody('x', { priorityClassName: 'nope' }) });
    expect(res.status, res.body).to.equal(403);
    const status = JSON.parse(res.body) as { reason: string; message: string; details: unknown };
    expect(status.reason).to.equal('Forbidden');
    expect(status.message).to.equal('pods "x" is forbidden: no PriorityClass with name nope was found');
    expect(status.details).to.deep.include({ name: 'x', kind: 'pods' });

    const run = await t.kubectl(['create', '-f', '-'], JSON.stringify(podBody('y', { priorityClassName: 'nope' })));
    expect(run.code).to.equal(1);
    expect(run.stderr).to.equal('Error from server (Forbidden): error when creating "STDIN": pods "y" is forbidden: no PriorityClass with name nope was found\n');

    const err = await apiError(t.grpc.resource(PODS).create('default', podBody('z', { priorityClassName: 'nope' })));
    expect(err.code).to.equal(403);
    expect(err.message).to.equal('pods "z" is forbidden: no PriorityClass with name nope was found');
    expect((await t.grpc.resource(PODS).list('default')).items.map((p) => p.metadata.name)).not.to.include.members(['x', 'y', 'z']);
  });

  it('resolves the named class into priority and preemptionPolicy through both doors', async () => {
    const res = await t.request('POST', podsPath, { body: podBody('http-high', { priorityClassName: 'high' }) });
    expect(res.status, res.body).to.equal(201);
    expect(JSON.parse(res.body).spec).to.deep.include({ priorityClassName: 'high', priority: 1000, preemptionPolicy: 'PreemptLowerPriority' });

    const created = (await t.grpc.resource<Pod>(PODS).create('default', podBody('grpc-batch', { priorityClassName: 'batch' }))) as Pod;
    expect(created.spec).to.deep.include({ priorityClassName: 'batch', priority: 10, preemptionPolicy: 'Never' });
    const critical = (await t.grpc.resource<Pod>(PODS).create('default', podBody('grpc-critical', { priorityClassName: 'system-node-critical' }))) as Pod;
    expect(critical.spec!.priority).to.equal(2_000_001_000);

    const get = await t.kubectl(['get', 'pod', 'grpc-batch', '-o', 'jsonpath={.spec.priority} {.spec.preemptionPolicy}']);
    expect(get.stdout).to.equal('10 Never');
  });

  it('a priority the pod sets itself must be the class\'s', async () => {
    const res = await t.request('POST', podsPath, { body: podBody('self-set', { priorityClassName: 'high', priority: 5 }) });
    expect(res.status, res.body).to.equal(403);
    expect(JSON.parse(res.body).message).to.equal(
      'pods "self-set" is forbidden: the integer value of priority (5) must not be provided in pod spec; priority admission controller computed 1000 from the given PriorityClass name',
    );
    const err = await apiError(t.grpc.resource(PODS).create('default', podBody('self-set', { priority: 3 })));
    expect(err.code).to.equal(403);
    const same = (await t.grpc.resource<Pod>(PODS).create('default', podBody('self-same', { priorityClassName: 'high', priority: 1000 }))) as Pod;
    expect(same.spec!.priority).to.equal(1000);
  });

  it('an update that leaves the priority out keeps it; changing it is refused', async () => {
    const current = (await t.grpc.resource<Pod>(PODS).get('default', 'http-high')) as Pod;
    const { priority: _p, preemptionPolicy: _pp, ...spec } = current.spec!;
    const res = await t.request('PUT', `${podsPath}/http-high`, { body: { ...current, spec: { ...spec, activeDeadlineSeconds: 600 } } });
    expect(res.status, res.body).to.equal(200);
    expect(JSON.parse(res.body).spec).to.deep.include({ priority: 1000, preemptionPolicy: 'PreemptLowerPriority', activeDeadlineSeconds: 600 });

    const patched = await t.kubectl(['patch', 'pod', 'http-high', '--type=merge', '-p', '{"spec":{"priority":7}}']);
    expect(patched.code).to.equal(1);
    expect(patched.stderr).to.contain('pod updates may not change fields other than');
  });

  it('without a class: priority 0; with a globalDefault class: that class, named in the pod; only one default', async () => {
    const plain = (await t.grpc.resource<Pod>(PODS).create('default', podBody('plain'))) as Pod;
    expect(plain.spec!.priority).to.equal(0);
    expect(plain.spec!.preemptionPolicy).to.equal('PreemptLowerPriority');
    expect(plain.spec).not.to.have.property('priorityClassName');

    const def = await t.grpc.resource(CLASSES).create(undefined, classBody('normal', 100, { globalDefault: true }));
    await cacheReaches(def.metadata.resourceVersion);
    const run = await t.kubectl(['create', '-f', '-', '-o', 'jsonpath={.spec.priorityClassName} {.spec.priority}'], JSON.stringify(podBody('defaulted')));
    expect(run.code, run.stderr).to.equal(0);
    expect(run.stdout).to.equal('normal 100');
    const viaGrpc = (await t.grpc.resource<Pod>(PODS).create('default', podBody('defaulted-grpc'))) as Pod;
    expect(viaGrpc.spec).to.deep.include({ priorityClassName: 'normal', priority: 100 });

    const second = await t.kubectl(['create', '-f', '-'], JSON.stringify(classBody('also-default', 5, { globalDefault: true })));
    expect(second.code).to.equal(1);
    expect(second.stderr).to.equal(
      'Error from server (Forbidden): error when creating "STDIN": priorityclasses.scheduling.k8s.io "also-default" is forbidden: PriorityClass normal is already marked as default. Only one default can exist\n',
    );
    const promote = await apiError(t.grpc.resource(CLASSES).patch(undefined, 'high', 'application/merge-patch+json', '{"globalDefault":true}'));
    expect(promote.code).to.equal(403);
    expect(promote.message).to.contain('PriorityClass normal is already marked as default');
    await t.grpc.resource(CLASSES).delete(undefined, 'normal');
  });

  it('pod templates are not admitted: a Deployment may name an unknown class', async () => {
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'tmpl' },
      spec: {
        selector: { matchLabels: { app: 'tmpl' } },
        template: { metadata: { labels: { app: 'tmpl' } }, spec: { priorityClassName: 'nope', containers: [{ name: 'app', image: 'nginx:1.25' }] } },
      },
    } as KubeObject;
    const created = await t.grpc.resource(deploymentStrategy.info).create('default', deployment);
    expect((created.spec as any).template.spec).to.deep.include({ priorityClassName: 'nope' });
    expect((created.spec as any).template.spec).not.to.have.property('priority');
  });
});
