import { expect } from 'chai';
import type { OwnerReference } from '../../../lib/api/object';
import type { Pod } from '../../../lib/api/types/core';
import type { PodDisruptionBudget } from '../../../lib/api/types/policy';
import { computeBudgetStatus, DELETION_TIMEOUT_MS, INSUFFICIENT_PODS, SUFFICIENT_PODS, SYNC_FAILED } from './budget-status';

const NOW = Date.parse('2026-12-06T12:00:00Z');
const RS_REF: OwnerReference = { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-1', uid: 'rs-uid', controller: true };

function pod(name: string, o: { ready?: boolean; deleting?: boolean; owner?: OwnerReference | null } = {}): Pod {
  const owner = o.owner === undefined ? RS_REF : o.owner;
  return {
    metadata: { name, namespace: 'default', labels: { app: 'web' }, ...(owner ? { ownerReferences: [owner] } : {}), ...(o.deleting ? { deletionTimestamp: '2026-12-06T11:59:00Z' } : {}) },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }] },
  };
}

function budget(spec: PodDisruptionBudget['spec'], status: PodDisruptionBudget['status'] = {}): PodDisruptionBudget {
  return { metadata: { name: 'web', namespace: 'default', generation: 3 }, spec: { selector: { matchLabels: { app: 'web' } }, ...spec }, status };
}

/** A workload of `replicas` for the RS ref; nothing else is known. */
const scaleOf = (replicas: number) => (_ns: string, ref: OwnerReference) => (ref.uid === 'rs-uid' ? replicas : undefined);

describe('PodDisruptionBudget status (disruption controller)', () => {
  const cases: { name: string; spec: PodDisruptionBudget['spec']; pods: Pod[]; replicas: number; want: Record<string, number>; reason: string }[] = [
    { name: 'minAvailable 2 of 3 ready pods', spec: { minAvailable: 2 }, pods: [pod('a'), pod('b'), pod('c')], replicas: 3, want: { currentHealthy: 3, desiredHealthy: 2, expectedPods: 3, disruptionsAllowed: 1 }, reason: SUFFICIENT_PODS },
    { name: 'minAvailable 2 with one unready: none allowed', spec: { minAvailable: 2 }, pods: [pod('a'), pod('b'), pod('c', { ready: false })], replicas: 3, want: { currentHealthy: 2, desiredHealthy: 2, expectedPods: 3, disruptionsAllowed: 0 }, reason: INSUFFICIENT_PODS },
    { name: 'a terminating pod is not healthy', spec: { minAvailable: 1 }, pods: [pod('a'), pod('b', { deleting: true })], replicas: 2, want: { currentHealthy: 1, desiredHealthy: 1, expectedPods: 2, disruptionsAllowed: 0 }, reason: INSUFFICIENT_PODS },
    { name: 'minAvailable 50% of a scale of 5 rounds up to 3', spec: { minAvailable: '50%' }, pods: [pod('a'), pod('b'), pod('c'), pod('d')], replicas: 5, want: { currentHealthy: 4, desiredHealthy: 3, expectedPods: 5, disruptionsAllowed: 1 }, reason: SUFFICIENT_PODS },
    { name: 'maxUnavailable 1 of a scale of 4', spec: { maxUnavailable: 1 }, pods: [pod('a'), pod('b'), pod('c'), pod('d')], replicas: 4, want: { currentHealthy: 4, desiredHealthy: 3, expectedPods: 4, disruptionsAllowed: 1 }, reason: SUFFICIENT_PODS },
    { name: 'maxUnavailable 30% of 4 rounds up to 2 unavailable', spec: { maxUnavailable: '30%' }, pods: [pod('a'), pod('b'), pod('c'), pod('d')], replicas: 4, want: { currentHealthy: 4, desiredHealthy: 2, expectedPods: 4, disruptionsAllowed: 2 }, reason: SUFFICIENT_PODS },
    { name: 'maxUnavailable 0 blocks every eviction', spec: { maxUnavailable: 0 }, pods: [pod('a'), pod('b')], replicas: 2, want: { currentHealthy: 2, desiredHealthy: 2, expectedPods: 2, disruptionsAllowed: 0 }, reason: INSUFFICIENT_PODS },
    { name: 'no pods: nothing allowed', spec: { minAvailable: 0 }, pods: [], replicas: 0, want: { currentHealthy: 0, desiredHealthy: 0, expectedPods: 0, disruptionsAllowed: 0 }, reason: INSUFFICIENT_PODS },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const { status, error } = computeBudgetStatus(budget(c.spec), c.pods, scaleOf(c.replicas), NOW);
      expect(error).to.equal(undefined);
      expect({ currentHealthy: status.currentHealthy, desiredHealthy: status.desiredHealthy, expectedPods: status.expectedPods, disruptionsAllowed: status.disruptionsAllowed }).to.deep.equal(c.want);
      expect(status.observedGeneration).to.equal(3);
      expect(status.conditions?.map((x) => [x.type, x.status, x.reason])).to.deep.equal([['DisruptionAllowed', c.want.disruptionsAllowed! > 0 ? 'True' : 'False', c.reason]]);
    });
  }

  it('a percentage needs every pod to have a known controller: SyncFailed, no disruption allowed', () => {
    const orphan = computeBudgetStatus(budget({ minAvailable: '50%' }), [pod('a'), pod('b', { owner: null })], scaleOf(2), NOW);
    expect(orphan.error).to.equal('found no controller ref for pod "b"');
    expect(orphan.status.disruptionsAllowed).to.equal(0);
    expect(orphan.status.conditions?.[0]).to.include({ status: 'False', reason: SYNC_FAILED, message: 'found no controller ref for pod "b"' });
    const unknown = computeBudgetStatus(budget({ maxUnavailable: 1 }), [pod('a', { owner: { ...RS_REF, uid: 'gone' } })], scaleOf(2), NOW);
    expect(unknown.error).to.equal('found no controllers for pod "a"');
  });

  it('an eviction recorded in disruptedPods keeps its pod out of the count until it is deleted or 2 minutes pass', () => {
    const evictedAt = new Date(NOW - 30_000).toISOString();
    const pdb = budget({ minAvailable: 1 }, { disruptedPods: { a: evictedAt, gone: evictedAt, old: new Date(NOW - DELETION_TIMEOUT_MS - 1).toISOString() } });
    const r = computeBudgetStatus(pdb, [pod('a'), pod('b'), pod('old')], scaleOf(3), NOW);
    expect(r.status.disruptedPods).to.deep.equal({ a: evictedAt });
    expect(r.status.currentHealthy).to.equal(2);
    expect(r.status.disruptionsAllowed).to.equal(1);
    expect(r.requeueAfterMs).to.equal(DELETION_TIMEOUT_MS - 30_000);
  });

  it('keeps lastTransitionTime while the condition keeps its status', () => {
    const first = computeBudgetStatus(budget({ minAvailable: 1 }), [pod('a'), pod('b')], scaleOf(2), NOW).status;
    const second = computeBudgetStatus(budget({ minAvailable: 1 }, first), [pod('a'), pod('b'), pod('c')], scaleOf(3), NOW + 60_000).status;
    expect(second.conditions?.[0]?.lastTransitionTime).to.equal(first.conditions?.[0]?.lastTransitionTime);
  });
});
