import { expect } from 'chai';
import type { FieldError } from '../../../../lib/api/errors';
import { autoscalingStrategies, horizontalPodAutoscalerStrategy, type HorizontalPodAutoscaler } from './index';

function lines(errs: readonly FieldError[]): string[] {
  return errs.map((e) => `${e.field}: ${e.message}`);
}

function hpa(spec: Record<string, unknown> = {}): HorizontalPodAutoscaler {
  return { metadata: { name: 'web', namespace: 'default' }, spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, maxReplicas: 10, ...spec } };
}

describe('autoscaling/v2 HorizontalPodAutoscaler strategy', () => {
  it('is namespaced, short name hpa, category all, with a status subresource', () => {
    expect(autoscalingStrategies).to.deep.equal([horizontalPodAutoscalerStrategy]);
    expect(horizontalPodAutoscalerStrategy.info).to.deep.include({ group: 'autoscaling', version: 'v2', resource: 'horizontalpodautoscalers', shortNames: ['hpa'], categories: ['all'] });
    expect(horizontalPodAutoscalerStrategy.hasStatus).to.equal(true);
  });

  it('defaults minReplicas 1 and an 80% CPU utilization metric', () => {
    const h = hpa();
    horizontalPodAutoscalerStrategy.prepareForCreate(h);
    expect(h.spec).to.deep.include({
      minReplicas: 1,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }],
    });
    expect(h.spec!.behavior).to.equal(undefined);
    expect(horizontalPodAutoscalerStrategy.validate(h)).to.deep.equal([]);
  });

  it('fills a given behavior with the Kubernetes scaling rules', () => {
    const h = hpa({ behavior: { scaleDown: { stabilizationWindowSeconds: 60 } } });
    horizontalPodAutoscalerStrategy.prepareForCreate(h);
    expect(h.spec!.behavior).to.deep.equal({
      scaleUp: { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [{ type: 'Pods', value: 4, periodSeconds: 15 }, { type: 'Percent', value: 100, periodSeconds: 15 }] },
      scaleDown: { stabilizationWindowSeconds: 60, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] },
    });
  });

  const table: { name: string; h: HorizontalPodAutoscaler; want: string[] }[] = [
    {
      name: 'a missing scaleTargetRef',
      h: { metadata: { name: 'x', namespace: 'd' }, spec: { maxReplicas: 3 } },
      want: ['spec.scaleTargetRef.kind: Required value', 'spec.scaleTargetRef.name: Required value'],
    },
    { name: 'maxReplicas below minReplicas', h: hpa({ minReplicas: 5, maxReplicas: 3 }), want: ['spec.maxReplicas: Invalid value: 3: must be greater than or equal to `minReplicas`'] },
    { name: 'maxReplicas 0', h: hpa({ maxReplicas: 0 }), want: ['spec.maxReplicas: Invalid value: 0: must be greater than 0'] },
    { name: 'minReplicas 0', h: hpa({ minReplicas: 0 }), want: ['spec.minReplicas: Invalid value: 0: must be greater than or equal to 1'] },
    {
      name: 'a metric without a type',
      h: hpa({ metrics: [{ resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }] }),
      want: ['spec.metrics[0].type: Required value: must specify a metric source type'],
    },
    {
      name: 'a Resource metric without its source',
      h: hpa({ metrics: [{ type: 'Resource' }] }),
      want: ['spec.metrics[0].resource: Required value: must populate information for the given metric source'],
    },
  ];
  for (const { name, h, want } of table) {
    it(`rejects ${name}`, () => {
      horizontalPodAutoscalerStrategy.prepareForCreate(h);
      expect(lines(horizontalPodAutoscalerStrategy.validate(h))).to.deep.equal(want);
    });
  }
});
