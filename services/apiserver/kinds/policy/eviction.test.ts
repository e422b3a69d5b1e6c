import { expect } from 'chai';
import { ApiError } from '../../../../lib/api/errors';
import type { Pod } from '../core';
import { budgetsCoveringPod, planEviction, validateEviction, type PodDisruptionBudget } from './index';

const NOW = new Date('2025-01-02T03:04:05.678Z');

function pod(phase: string, ready = true, labels: Record<string, string> = { app: 'web' }): Pod {
  return {
    metadata: { name: 'web-1', namespace: 'default', labels },
    status: { phase, conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
  };
}

function budget(name: string, status: PodDisruptionBudget['status'], spec: PodDisruptionBudget['spec'] = {}): PodDisruptionBudget {
  return { metadata: { name, namespace: 'default', generation: 1, resourceVersion: '7' }, spec: { selector: { matchLabels: { app: 'web' } }, minAvailable: 1, ...spec }, status: { observedGeneration: 1, ...status } };
}

function refusal(fn: () => unknown): { code: number; reason: string; message: string; causes: string[] } {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    return { code: err.code, reason: err.reason, message: err.message, causes: (err.details?.causes ?? []).map((c) => `${c.reason}: ${c.message}`) };
  }
  throw new Error('expected a refusal');
}

describe('pods/eviction decisions (planEviction)', () => {
  it('spends an allowing budget: disruptionsAllowed-1 and the pod in disruptedPods', () => {
    const plan = planEviction(pod('Running'), [budget('pdb', { disruptionsAllowed: 2, currentHealthy: 3, desiredHealthy: 1 })], NOW);
    expect(plan.budget?.metadata.resourceVersion).to.equal('7');
    expect(plan.budget?.status).to.deep.include({ disruptionsAllowed: 1, disruptedPods: { 'web-1': '2025-01-02T03:04:05Z' } });
    expect(plan.budget?.status?.conditions).to.equal(undefined);
  });

  it('marks the DisruptionAllowed condition False when it spends the last disruption', () => {
    const plan = planEviction(pod('Running'), [budget('pdb', { disruptionsAllowed: 1 })], NOW);
    expect(plan.budget?.status?.conditions).to.deep.equal([
      { type: 'DisruptionAllowed', status: 'False', reason: 'InsufficientPods', message: '', lastTransitionTime: '2025-01-02T03:04:05Z', observedGeneration: 1 },
    ]);
  });

  it('refuses with 429 and a DisruptionBudget cause when no disruption is allowed', () => {
    const r = refusal(() => planEviction(pod('Running'), [budget('pdb', { disruptionsAllowed: 0, currentHealthy: 1, desiredHealthy: 1 })], NOW));
    expect(r).to.deep.equal({
      code: 429,
      reason: 'TooManyRequests',
      message: "Cannot evict pod as it would violate the pod's disruption budget.",
      causes: ['DisruptionBudget: The disruption budget pdb needs 1 healthy pods and has 1 currently'],
    });
  });

  const ignoring: { name: string; pod: Pod }[] = [
    { name: 'a Pending pod', pod: pod('Pending') },
    { name: 'a Succeeded pod', pod: pod('Succeeded') },
    { name: 'a Failed pod', pod: pod('Failed') },
    { name: 'a pod being deleted', pod: { ...pod('Running'), metadata: { ...pod('Running').metadata, deletionTimestamp: '2025-01-01T00:00:00Z' } } },
    { name: 'a pod no budget selects', pod: pod('Running', true, { app: 'other' }) },
  ];
  for (const c of ignoring) {
    it(`deletes ${c.name} without consulting budgets`, () => {
      expect(planEviction(c.pod, [budget('pdb', { disruptionsAllowed: 0 }), budget('pdb2', { disruptionsAllowed: 0 })], NOW)).to.deep.equal({});
    });
  }

  it('answers 500 when more than one budget covers the pod', () => {
    const r = refusal(() => planEviction(pod('Running'), [budget('a', { disruptionsAllowed: 1 }), budget('b', { disruptionsAllowed: 1 })], NOW));
    expect([r.code, r.message]).to.deep.equal([500, 'Internal error occurred: This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.']);
  });

  it('refuses while the budget has not observed its latest generation', () => {
    const b = budget('pdb', { disruptionsAllowed: 3, observedGeneration: 1 });
    b.metadata.generation = 2;
    expect(refusal(() => planEviction(pod('Running'), [b], NOW)).causes).to.deep.equal(['DisruptionBudget: The disruption budget pdb is still being processed by the server.']);
  });

  const unready: { name: string; policy?: string; status: PodDisruptionBudget['status']; spends: boolean }[] = [
    { name: 'AlwaysAllow evicts an unready pod for free', policy: 'AlwaysAllow', status: { disruptionsAllowed: 0 }, spends: false },
    { name: 'IfHealthyBudget evicts an unready pod for free while the budget is healthy', status: { disruptionsAllowed: 0, currentHealthy: 2, desiredHealthy: 2 }, spends: false },
  ];
  for (const c of unready) {
    it(c.name, () => {
      const plan = planEviction(pod('Running', false), [budget('pdb', c.status, c.policy ? { unhealthyPodEvictionPolicy: c.policy } : {})], NOW);
      expect(plan.budget !== undefined).to.equal(c.spends);
    });
  }

  it('IfHealthyBudget refuses an unready pod while the budget is unhealthy', () => {
    expect(refusal(() => planEviction(pod('Running', false), [budget('pdb', { disruptionsAllowed: 0, currentHealthy: 1, desiredHealthy: 2 })], NOW)).code).to.equal(429);
  });

  it('policy/v1 selectors: an empty one matches every pod, a null one none, and only in the pod namespace', () => {
    const empty = budget('empty', {}, { selector: {} });
    const none = budget('none', {}, { selector: null });
    const elsewhere = budget('elsewhere', {}, { selector: {} });
    elsewhere.metadata.namespace = 'other';
    expect(budgetsCoveringPod(pod('Running'), [empty, none, elsewhere]).map((b) => b.metadata.name)).to.deep.equal(['empty']);
  });

  it('refuses an Eviction naming another pod, and a negative grace period', () => {
    expect(refusal(() => validateEviction({ metadata: { name: 'other' } }, 'web-1')).code).to.equal(400);
    expect(validateEviction({ metadata: { name: 'web-1' }, deleteOptions: { gracePeriodSeconds: -1 } }, 'web-1').map((e) => e.field)).to.deep.equal(['deleteOptions.gracePeriodSeconds']);
  });
});
