import { expect } from 'chai';
import type { KubeObject } from '../../../lib/api/object';
import { RESOURCES } from '../../../lib/api/resources';
import type { HorizontalPodAutoscaler } from '../../../lib/api/types/autoscaling';
import { ControllerRegistry } from '../../../lib/controller/controller-registry';
import { fakeControllerContext, type FakeControllerContext } from '../../../lib/controller/testing';
import type { RunningControllers } from '../../../lib/controller/controller-registry';
import { horizontalPodAutoscalerControllerDescriptor } from './hpa-controller';
import type { PodMetricsSource } from './metrics-source';

const NS = 'ns';
const SYNC_MS = 15_000;

/** A metrics source the test sets: every pod of the namespace uses `millicores`. */
class FakeMetrics implements PodMetricsSource {
  millicores = 0;
  failing: Error | undefined;
  constructor(private readonly ctx: FakeControllerContext) {}
  async podUsage(namespace: string): Promise<Map<string, number>> {
    if (this.failing) throw this.failing;
    const pods = (await this.ctx.client.resource(RESOURCES.pods).list(namespace)).items;
    return new Map(pods.map((p) => [p.metadata.name ?? '', this.millicores]));
  }
}

function deployment(replicas: number): KubeObject {
  return { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: NS }, spec: { replicas, selector: { matchLabels: { app: 'web' } } } };
}

function readyPod(name: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NS, labels: { app: 'web' } },
    spec: { containers: [{ name: 'c', resources: { requests: { cpu: '100m' } } }] },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
  };
}

function hpa(behavior?: unknown): HorizontalPodAutoscaler {
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: 'web', namespace: NS, generation: 1 },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
      minReplicas: 1,
      maxReplicas: 5,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }],
      ...(behavior ? { behavior } : {}),
    },
  } as HorizontalPodAutoscaler;
}

describe('HorizontalPodAutoscaler controller (fake API, fake clock, fake metrics)', () => {
  let ctx: FakeControllerContext;
  let metrics: FakeMetrics;
  let running: RunningControllers;

  const replicas = () => (ctx.client.peek('Deployment', NS, 'web')?.spec as { replicas?: number }).replicas;
  const status = () => ctx.client.peek<HorizontalPodAutoscaler>('HorizontalPodAutoscaler', NS, 'web')?.status as Record<string, unknown> & { conditions?: { type: string; status: string; reason: string }[] };
  const condition = (type: string) => status()?.conditions?.find((c) => c.type === type);

  async function start(obj: HorizontalPodAutoscaler, pods: number, usage: number | Error): Promise<void> {
    ctx = fakeControllerContext();
    metrics = new FakeMetrics(ctx);
    if (usage instanceof Error) metrics.failing = usage;
    else metrics.millicores = usage;
    ctx.client.seed(deployment(pods));
    for (let i = 0; i < pods; i++) ctx.client.seed(readyPod(`web-${i}`));
    ctx.client.seed(obj);
    const descriptor = horizontalPodAutoscalerControllerDescriptor({ metrics, syncPeriodMs: SYNC_MS });
    running = await new ControllerRegistry([descriptor]).start([descriptor.name], ctx);
  }

  afterEach(async () => {
    await running?.stop();
  });

  it('scales up to maxReplicas from high usage and reports status and conditions', async () => {
    await start(hpa(), 2, 200); // 200 % of the 100m request, target 50 % → 8, above max 5
    await ctx.clock.advance(10);
    expect(replicas()).to.equal(5);
    const s = status();
    expect(s).to.include({ currentReplicas: 2, desiredReplicas: 5 });
    expect(s.lastScaleTime).to.be.a('string');
    expect(s.currentMetrics).to.deep.equal([{ type: 'Resource', resource: { name: 'cpu', current: { averageValue: '200m', averageUtilization: 200 } } }]);
    expect(condition('AbleToScale')).to.include({ status: 'True', reason: 'SucceededRescale' });
    expect(condition('ScalingActive')).to.include({ status: 'True', reason: 'ValidMetricFound' });
    expect(condition('ScalingLimited')).to.include({ status: 'True', reason: 'TooManyReplicas' });
    expect(ctx.events.map((e) => e.reason)).to.include('SuccessfulRescale');
  });

  it('scales down only after the 300 s stabilization window, looking once per sync period', async () => {
    await start(hpa(), 4, 10); // 10 % → 1
    await ctx.clock.advance(10);
    expect(replicas()).to.equal(4);
    expect(condition('AbleToScale')).to.include({ reason: 'ReadyForNewScale' });
    await ctx.clock.advance(290_000);
    expect(replicas()).to.equal(4);
    await ctx.clock.advance(2 * SYNC_MS);
    expect(replicas()).to.equal(1);
    expect(condition('ScalingLimited')).to.include({ status: 'False', reason: 'DesiredWithinRange' });
  });

  it('honours a short scale-down window and a Pods policy from spec.behavior', async () => {
    await start(hpa({ scaleDown: { stabilizationWindowSeconds: 0, policies: [{ type: 'Pods', value: 1, periodSeconds: 30 }] } }), 4, 10);
    await ctx.clock.advance(10);
    expect(replicas()).to.equal(3);
    expect(condition('ScalingLimited')).to.include({ reason: 'ScaleDownLimit' });
    await ctx.clock.advance(SYNC_MS);
    expect(replicas()).to.equal(3);
    await ctx.clock.advance(SYNC_MS + 1_000);
    expect(replicas()).to.equal(2);
  });

  it('reports ScalingActive=False when metrics cannot be read, and keeps the count', async () => {
    await start(hpa(), 2, new Error('unable to get metrics: the metrics API is down'));
    await ctx.clock.advance(10);
    expect(replicas()).to.equal(2);
    expect(condition('ScalingActive')).to.include({ status: 'False', reason: 'FailedGetResourceMetric' });
    expect(ctx.events.map((e) => e.reason)).to.include('FailedGetResourceMetric');
  });

  it('reports AbleToScale=False for a target it cannot scale', async () => {
    const bad = hpa();
    bad.spec!.scaleTargetRef = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'missing' };
    await start(bad, 1, 0);
    await ctx.clock.advance(10);
    expect(condition('AbleToScale')).to.include({ status: 'False', reason: 'FailedGetScale' });
  });
});
