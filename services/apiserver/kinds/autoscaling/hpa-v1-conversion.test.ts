import { expect } from 'chai';
import { hpaFromV1, hpaToV1, METRICS_ANNOTATION } from './hpa-v1-conversion';
import type { HorizontalPodAutoscaler } from './horizontal-pod-autoscaler';

describe('autoscaling/v1 ⇄ v2 HorizontalPodAutoscaler conversion', () => {
  const v2: HorizontalPodAutoscaler = {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: 'web', namespace: 'default', resourceVersion: '7' },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
      minReplicas: 2,
      maxReplicas: 5,
      metrics: [
        { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } },
        { type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '500Mi' } } },
      ],
      behavior: { scaleDown: { stabilizationWindowSeconds: 60 } },
    },
    status: { currentReplicas: 3, desiredReplicas: 4, currentMetrics: [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 55 } } }] },
  };

  it('shows v1 clients the CPU target and keeps the rest in annotations', () => {
    const v1 = hpaToV1(v2);
    expect(v1.apiVersion).to.equal('autoscaling/v1');
    expect(v1.spec).to.deep.equal({ scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, minReplicas: 2, maxReplicas: 5, targetCPUUtilizationPercentage: 80 });
    expect(v1.status).to.include({ currentReplicas: 3, desiredReplicas: 4, currentCPUUtilizationPercentage: 55 });
    expect(JSON.parse(v1.metadata.annotations![METRICS_ANNOTATION]!)).to.have.length(1);
    expect(v1.metadata.resourceVersion).to.equal('7');
  });

  it('round-trips v2 → v1 → v2 without losing metrics or behavior', () => {
    const back = hpaFromV1(hpaToV1(v2));
    expect(back.spec).to.deep.equal(v2.spec);
    expect(back.metadata.annotations).to.equal(undefined);
    expect((back.status as { currentMetrics: unknown[] }).currentMetrics).to.deep.equal([{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 55 } } }]);
  });

  it('turns what `kubectl autoscale` sends into a v2 object with one CPU metric', () => {
    const stored = hpaFromV1({ apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', metadata: { name: 'web' }, spec: { scaleTargetRef: { kind: 'Deployment', name: 'web', apiVersion: 'apps/v1' }, minReplicas: 2, maxReplicas: 5, targetCPUUtilizationPercentage: 80 } });
    expect(stored.apiVersion).to.equal('autoscaling/v2');
    expect(stored.spec!.metrics).to.deep.equal([{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }]);
  });
});
