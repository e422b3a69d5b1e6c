import { expect } from 'chai';
import type { Pod } from '../../../lib/api/types/core';
import { calculateReplicas, MetricComputationError } from './replica-calculator';

function pod(name: string, opts: { cpu?: string; ready?: boolean; phase?: string; deleting?: boolean } = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'ns', ...(opts.deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}) },
    spec: { containers: [{ name: 'c', ...(opts.cpu === undefined ? {} : { resources: { requests: { cpu: opts.cpu } } }) }] },
    status: { phase: opts.phase ?? 'Running', conditions: [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True' }] },
  } as Pod;
}

const usage = (entries: Record<string, number>) => new Map(Object.entries(entries));
const CPU_50 = { type: 'Utilization', averageUtilization: 50 } as const;

describe('HPA replica calculation (Kubernetes\' algorithm)', () => {
  it('scales by ceil(current × utilization / target)', () => {
    const pods = [pod('a', { cpu: '100m' }), pod('b', { cpu: '100m' })];
    const r = calculateReplicas({ resource: 'cpu', target: CPU_50, currentReplicas: 2, pods, usage: usage({ a: 90, b: 110 }) });
    expect(r).to.deep.equal({ replicas: 4, utilization: 100, averageMilli: 100 });
  });

  it('keeps the count within the 10 % tolerance', () => {
    const pods = [pod('a', { cpu: '100m' }), pod('b', { cpu: '100m' })];
    expect(calculateReplicas({ resource: 'cpu', target: CPU_50, currentReplicas: 2, pods, usage: usage({ a: 54, b: 54 }) }).replicas).to.equal(2);
    expect(calculateReplicas({ resource: 'cpu', target: CPU_50, currentReplicas: 2, pods, usage: usage({ a: 56, b: 56 }) }).replicas).to.equal(3);
  });

  it('counts a pod without metrics at its whole request when scaling down, so a gap never scales further down', () => {
    const pods = [pod('a', { cpu: '100m' }), pod('b', { cpu: '100m' }), pod('c', { cpu: '100m' })];
    // ready ones at 10 % → down; the missing one at 100 % → (10+10+100)/300 = 40 % of 50 % → ceil(0.8 × 3) = 3.
    expect(calculateReplicas({ resource: 'cpu', target: CPU_50, currentReplicas: 3, pods, usage: usage({ a: 10, b: 10 }) }).replicas).to.equal(3);
    const fewer = [...pods, pod('d', { cpu: '100m' })];
    // (10+10+100+100)/400 = 55 % → within tolerance of 50 %? 1.1 → exactly at the edge: stays.
    expect(calculateReplicas({ resource: 'cpu', target: CPU_50, currentReplicas: 4, pods: fewer, usage: usage({ a: 10, b: 10 }) }).replicas).to.equal(4);
  });

  it('counts unready pods as using nothing when scaling up', () => {
    const pods = [pod('a', { cpu: '100m' }), pod('b', { cpu: '100m', ready: false })];
    // a alone: 200 % of 50 % → ×4; with b at 0: 100 %/50 % → ceil(2 × 2) = 4.
    expect(calculateReplicas({ resource: 'cpu', target: CPU_50, currentReplicas: 2, pods, usage: usage({ a: 200, b: 500 }) }).replicas).to.equal(4);
  });

  it('ignores pods being deleted and failed pods', () => {
    const pods = [pod('a', { cpu: '100m' }), pod('b', { cpu: '100m', deleting: true }), pod('c', { cpu: '100m', phase: 'Failed' })];
    expect(calculateReplicas({ resource: 'cpu', target: CPU_50, currentReplicas: 1, pods, usage: usage({ a: 100 }) }).replicas).to.equal(2);
  });

  it('divides the average usage by an AverageValue target, requests not needed', () => {
    const pods = [pod('a'), pod('b')];
    const r = calculateReplicas({ resource: 'memory', target: { type: 'AverageValue', averageMilli: 100_000 }, currentReplicas: 2, pods, usage: usage({ a: 300_000, b: 300_000 }) });
    expect(r.replicas).to.equal(6);
    expect(r.utilization).to.equal(undefined);
  });

  it('fails naming the container without a request, and when no pod has metrics', () => {
    expect(() => calculateReplicas({ resource: 'cpu', target: CPU_50, currentReplicas: 1, pods: [pod('a')], usage: usage({ a: 1 }) })).to.throw(MetricComputationError, 'missing request for cpu in container c of Pod a');
    expect(() => calculateReplicas({ resource: 'cpu', target: CPU_50, currentReplicas: 1, pods: [pod('a', { cpu: '1' })], usage: usage({}) })).to.throw(MetricComputationError, 'did not receive metrics');
    expect(() => calculateReplicas({ resource: 'cpu', target: CPU_50, currentReplicas: 1, pods: [], usage: usage({}) })).to.throw(MetricComputationError, 'no pods');
  });
});
