import { expect } from 'chai';
import { RESOURCES } from '../../../lib/api/resources';
import type { Pod, ResourceQuota } from '../../../lib/api/types/core';
import { ControllerRegistry } from '../../../lib/controller/controller-registry';
import { fakeControllerContext, type FakeControllerContext } from '../../../lib/controller/testing';
import { QUOTA_RESYNC_PERIOD_MS, RESOURCE_QUOTA_CONTROLLER_NAME, resourceQuotaControllerDescriptor } from './resourcequota-controller';

const NS = 'team';
const HARD = {
  pods: '10',
  'requests.cpu': '4',
  'limits.memory': '4Gi',
  services: '5',
  'services.nodeports': '4',
  configmaps: '5',
  'count/deployments.apps': '2',
  resourcequotas: '1',
};

function pod(name: string, cpu: string, phase = 'Running'): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NS },
    spec: { containers: [{ name: 'a', resources: { requests: { cpu }, limits: { memory: '1Gi' } } }] },
    status: { phase },
  };
}

describe('resourcequota controller (fake API, fake clock)', () => {
  let ctx: FakeControllerContext;
  let stop: () => Promise<void>;
  const used = () => ctx.client.peek<ResourceQuota>('ResourceQuota', NS, 'q')?.status;

  beforeEach(async () => {
    ctx = fakeControllerContext();
    ctx.client.seed({ kind: 'Namespace', metadata: { name: NS } });
    ctx.client.seed(pod('a', '500m'));
    ctx.client.seed(pod('b', '1'));
    ctx.client.seed(pod('done', '2', 'Succeeded'));
    ctx.client.seed({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's', namespace: NS }, spec: { type: 'NodePort', ports: [{ port: 80 }, { port: 81 }] } });
    ctx.client.seed({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: NS } });
    ctx.client.seed({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'elsewhere', namespace: 'other' } });
    ctx.client.seed({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', namespace: NS }, spec: {} });
    ctx.client.seed({ apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'q', namespace: NS }, spec: { hard: HARD } });
    const running = await new ControllerRegistry([resourceQuotaControllerDescriptor]).start([RESOURCE_QUOTA_CONTROLLER_NAME], ctx);
    stop = () => running.stop();
  });
  afterEach(() => stop());

  it('fills status.hard and an exact status.used (terminal pods do not count)', async () => {
    await ctx.clock.advance(0);
    expect(used()).to.deep.equal({
      hard: HARD,
      used: {
        pods: '2',
        'requests.cpu': '1500m',
        'limits.memory': '2Gi',
        services: '1',
        'services.nodeports': '2',
        configmaps: '1',
        'count/deployments.apps': '1',
        resourcequotas: '1',
      },
    });
  });

  it('releases usage when objects are deleted or pods finish, and follows a changed spec.hard', async () => {
    await ctx.clock.advance(0);
    await ctx.client.resource(RESOURCES.pods).delete(NS, 'a', { gracePeriodSeconds: 0 });
    await ctx.client.resource(RESOURCES.configmaps).delete(NS, 'c');
    await ctx.clock.advance(0);
    expect(used()?.used).to.include({ pods: '1', 'requests.cpu': '1', configmaps: '0' });

    const b = ctx.client.peek<Pod>('Pod', NS, 'b')!;
    await ctx.client.resource<Pod>(RESOURCES.pods).updateStatus(NS, { ...b, status: { phase: 'Failed' } });
    await ctx.clock.advance(0);
    expect(used()?.used).to.include({ pods: '0', 'requests.cpu': '0' });

    const q = ctx.client.peek<ResourceQuota>('ResourceQuota', NS, 'q')!;
    await ctx.client.resource<ResourceQuota>(RESOURCES.resourcequotas).update(NS, { ...q, spec: { hard: { pods: '3', secrets: '1' } } });
    await ctx.clock.advance(0);
    expect(used()).to.deep.equal({ hard: { pods: '3', secrets: '1' }, used: { pods: '0', secrets: '0' } });
  });

  it('recalculates on the resync period what no event reported (a charge for a create that then failed)', async () => {
    await ctx.clock.advance(0);
    const q = ctx.client.peek<ResourceQuota>('ResourceQuota', NS, 'q')!;
    await ctx.client.resource<ResourceQuota>(RESOURCES.resourcequotas).updateStatus(NS, { ...q, status: { ...q.status, used: { ...q.status!.used, pods: '7' } } });
    await ctx.clock.advance(0);
    expect(used()?.used?.pods).to.equal('7');
    await ctx.clock.advance(QUOTA_RESYNC_PERIOD_MS);
    expect(used()?.used?.pods).to.equal('2');
  });
});
