import { expect } from 'chai';
import pino from 'pino';
import type { ApiError } from '../../../lib/api/errors';
import { RESOURCES } from '../../../lib/api/resources';
import type { Pod, ResourceQuota } from '../../../lib/api/types/core';
import { realClock } from '../../../lib/client/clock';
import { GrpcApiClient } from '../../../lib/client/grpc-api-client';
import { ControllerRegistry, type RunningControllers } from '../../../lib/controller/controller-registry';
import { SharedInformerFactory } from '../../../lib/controller/informer-factory';
import { createLogger } from '../../../lib/logger';
import { RESOURCE_QUOTA_CONTROLLER_NAME, resourceQuotaControllerDescriptor } from '../../controller-manager/resourcequota/resourcequota-controller';
import { ApiServer } from '../apiserver';
import { eventually } from '../registry/test-support';
import { TwoDoorApiServer } from '../test-api-server';

/** Pods raced through the two apiservers against a quota of QUOTA_PODS. */
const RACED_PODS = 12;
const QUOTA_PODS = 5;

function pod(name: string, resources?: Record<string, Record<string, string>>): Pod {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'app', image: 'nginx', ...(resources ? { resources } : {}) }] } };
}

/**
 * ResourceQuota and LimitRange through the real things: two apiservers on one real store racing
 * pod creates against one quota, and the real kubectl against one of them with the real quota
 * controller (over gRPC) keeping status.
 */
describe('ResourceQuota and LimitRange through real apiservers and kubectl', function () {
  this.timeout(120_000);
  let t: TwoDoorApiServer;
  let second: ApiServer;
  let secondClient: GrpcApiClient;
  let controllers: RunningControllers | undefined;

  before(async () => {
    t = await TwoDoorApiServer.start('bosun-quota-');
    second = await ApiServer.start({ storeEndpoints: t.backend.endpoints, grpcListen: '127.0.0.1:0' }, createLogger('apiserver', 'warn'));
    secondClient = new GrpcApiClient({ endpoints: [second.grpcAddress] });
  });

  after(async () => {
    await controllers?.stop();
    secondClient?.close();
    await second?.stop();
    await t?.stop();
  });

  it('refuses the (n+1)th pod with two apiservers racing: the charge is a compare-and-swap on the quota status', async () => {
    const ns = 'race';
    await t.grpc.resource(RESOURCES.namespaces).create(undefined, { metadata: { name: ns } });
    const quotas = t.grpc.resource<ResourceQuota>(RESOURCES.resourcequotas);
    const q = await quotas.create(ns, { metadata: { name: 'q' }, spec: { hard: { pods: String(QUOTA_PODS) } } });
    // What the quota controller would write first (it does not run in this test).
    await quotas.updateStatus(ns, { ...q, status: { hard: { pods: String(QUOTA_PODS) }, used: { pods: '0' } } });
    // Both apiservers' caches must hold the quota before the race starts.
    await eventually('the second apiserver sees the quota', async () => (await secondClient.resource(RESOURCES.resourcequotas).list(ns)).items.length === 1);

    const clients = [t.grpc, secondClient];
    const results = await Promise.allSettled(
      Array.from({ length: RACED_PODS }, (_, i) => clients[i % 2]!.resource<Pod>(RESOURCES.pods).create(ns, pod(`p${i}`))),
    );
    const admitted = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as ApiError);
    expect(admitted).to.have.length(QUOTA_PODS);
    for (const err of refused) {
      expect(err.code, err.message).to.equal(403);
      expect(err.message).to.match(/^pods "p\d+" is forbidden: exceeded quota: q, requested: pods=1, used: pods=5, limited: pods=5$/);
    }
    expect((await quotas.get(ns, 'q')).status?.used).to.deep.equal({ pods: '5' });
    expect((await t.grpc.resource(RESOURCES.pods).list(ns)).items).to.have.length(QUOTA_PODS);
  });

  it('kubectl: get/describe quota, LimitRange defaults on a created pod, refusals with Kubernetes’ messages, deletes release usage', async () => {
    const ctx = {
      client: t.grpc,
      informers: new SharedInformerFactory({ client: t.grpc, logger: pino({ level: 'silent' }) }),
      recorder: () => ({ event() {}, eventf() {}, annotatedEventf() {} }),
      logger: pino({ level: 'silent' }),
      clock: realClock,
    };
    controllers = await new ControllerRegistry([resourceQuotaControllerDescriptor]).start([RESOURCE_QUOTA_CONTROLLER_NAME], ctx);
    const ok = async (args: string[], input?: string) => {
      const run = await t.kubectl(args, input);
      expect(run.code, `kubectl ${args.join(' ')}: ${run.stderr}`).to.equal(0);
      return run.stdout;
    };
    await ok(['create', 'namespace', 'kq']);
    const manifests = [
      'apiVersion: v1\nkind: ResourceQuota\nmetadata: {name: q, namespace: kq}\nspec:\n  hard: {pods: "2", requests.cpu: "1", limits.cpu: "2"}',
      'apiVersion: v1\nkind: LimitRange\nmetadata: {name: lr, namespace: kq}\nspec:\n  limits:\n  - type: Container\n    max: {cpu: "1"}\n    default: {cpu: 500m}\n    defaultRequest: {cpu: 250m}',
    ].join('\n---\n');
    await ok(['create', '-f', '-'], manifests);
    const table = await eventually('the controller fills the quota status', async () => {
      const out = await ok(['get', 'quota', '-n', 'kq']);
      return out.includes('pods: 0/2') ? out : undefined;
    });
    const [header, row] = table.trimEnd().split('\n');
    expect(header).to.match(/^NAME\s+AGE\s+REQUEST\s+LIMIT$/);
    expect(row).to.match(/^q\s+\d+s\s+pods: 0\/2, requests\.cpu: 0\/1\s+limits\.cpu: 0\/2$/);
    expect(await ok(['get', 'limits', '-n', 'kq'])).to.match(/^NAME\s+CREATED AT\nlr\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\n$/);

    await ok(['run', 'p1', '--image=nginx', '--restart=Never', '-n', 'kq']);
    expect(await ok(['get', 'pod', 'p1', '-n', 'kq', '-o', 'jsonpath={.spec.containers[0].resources}'])).to.equal('{"limits":{"cpu":"500m"},"requests":{"cpu":"250m"}}');
    await ok(['run', 'p2', '--image=nginx', '--restart=Never', '-n', 'kq']);
    const refused = await t.kubectl(['run', 'p3', '--image=nginx', '--restart=Never', '-n', 'kq']);
    expect(refused.code).to.equal(1);
    expect(refused.stderr.trim()).to.equal('Error from server (Forbidden): pods "p3" is forbidden: exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2');
    const tooBig = await t.kubectl(['run', 'big', '--image=nginx', '--restart=Never', '-n', 'kq', '--overrides', '{"spec":{"containers":[{"name":"big","image":"nginx","resources":{"limits":{"cpu":"2"}}}]}}']);
    expect(tooBig.stderr.trim()).to.equal('Error from server (Forbidden): pods "big" is forbidden: maximum cpu usage per Container is 1, but limit is 2');

    const described = await ok(['describe', 'quota', 'q', '-n', 'kq']);
    expect(described).to.match(/^Name:\s+q$/m);
    expect(described).to.match(/^pods\s+2\s+2$/m);
    expect(described).to.match(/^requests\.cpu\s+500m\s+1$/m);

    await ok(['delete', 'pod', 'p1', '-n', 'kq', '--grace-period=0', '--force']);
    await eventually('the delete releases usage', async () => (await ok(['get', 'quota', 'q', '-n', 'kq'])).includes('pods: 1/2'));
  });
});
