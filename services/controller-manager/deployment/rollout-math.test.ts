import { expect } from 'chai';
import type { Deployment, ReplicaSet } from '../../../lib/api/types';
import { MAX_REPLICAS_ANNOTATION, POD_TEMPLATE_HASH_LABEL } from './deployment-types';
import { computePodTemplateHash, equalIgnoreHash } from './replica-sets';
import {
  maxOldScaleDown, maxUnavailable, newRSNewReplicas, planProportionalScale, planRollingScaleDown, planUnhealthyCleanup, resolveFenceposts,
} from './rollout-math';

type IntOrPercent = string | number | undefined;

function deployment(replicas: number, maxSurge: IntOrPercent = '25%', maxUnavail: IntOrPercent = '25%', type = 'RollingUpdate'): Deployment {
  return { metadata: { name: 'web', namespace: 'ns' }, spec: { replicas, strategy: { type, rollingUpdate: type === 'RollingUpdate' ? { maxSurge, maxUnavailable: maxUnavail } : undefined } } };
}

let clockSeconds = 0;
/** A set `name` of `size` with `available` available pods, created after every earlier one, last scaled for `maxReplicas`. */
function rs(name: string, size: number, available = size, maxReplicas?: number): ReplicaSet {
  clockSeconds += 1;
  return {
    metadata: {
      name, namespace: 'ns', creationTimestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, clockSeconds)).toISOString(),
      annotations: maxReplicas === undefined ? {} : { [MAX_REPLICAS_ANNOTATION]: String(maxReplicas) },
    },
    spec: { replicas: size },
    status: { replicas: size, availableReplicas: available },
  };
}

describe('deployment rollout arithmetic (Kubernetes deployment util cases)', () => {
  describe('resolveFenceposts: maxSurge rounds up, maxUnavailable rounds down, both 0 means 1 unavailable', () => {
    const cases: [IntOrPercent, IntOrPercent, number, number, number][] = [
      ['25%', '25%', 10, 3, 2],
      ['25%', '25%', 4, 1, 1],
      ['25%', '25%', 1, 1, 0],
      ['25%', '25%', 0, 0, 1],
      [0, 0, 10, 0, 1],
      ['0%', '0%', 10, 0, 1],
      [1, 0, 10, 1, 0],
      ['50%', '30%', 5, 3, 1],
      ['100%', '100%', 3, 3, 3],
      [undefined, undefined, 8, 2, 2],
    ];
    for (const [surge, unavail, desired, wantSurge, wantUnavail] of cases) {
      it(`maxSurge ${surge} maxUnavailable ${unavail} of ${desired} → surge ${wantSurge}, unavailable ${wantUnavail}`, () => {
        expect(resolveFenceposts(surge, unavail, desired)).to.deep.equal({ surge: wantSurge, unavailable: wantUnavail });
      });
    }
    it('maxUnavailable is capped at replicas and is 0 for Recreate or 0 replicas', () => {
      expect(maxUnavailable(deployment(2, 0, 5))).to.equal(2);
      expect(maxUnavailable(deployment(4, undefined, undefined, 'Recreate'))).to.equal(0);
      expect(maxUnavailable(deployment(0))).to.equal(0);
    });
  });

  describe('newRSNewReplicas: the new set grows within replicas + maxSurge', () => {
    const cases: { name: string; d: Deployment; sets: [number, number]; want: number }[] = [
      { name: 'first step of 10 at 25% surge', d: deployment(10), sets: [10, 0], want: 3 },
      { name: 'surge used up', d: deployment(10), sets: [10, 3], want: 3 },
      { name: 'room for more after old shrank', d: deployment(10), sets: [6, 3], want: 7 },
      { name: 'never past replicas', d: deployment(10), sets: [0, 9], want: 10 },
      { name: 'surge 1 of 1', d: deployment(1, 1, 0), sets: [1, 0], want: 1 },
      { name: 'Recreate goes straight to replicas', d: deployment(5, undefined, undefined, 'Recreate'), sets: [0, 0], want: 5 },
    ];
    for (const c of cases) {
      it(c.name, () => {
        const old = rs('old', c.sets[0]);
        const cur = rs('new', c.sets[1]);
        expect(newRSNewReplicas(c.d, [old, cur], cur)).to.equal(c.want);
      });
    }
  });

  describe('scaling old sets down in a rolling update', () => {
    it('maxOldScaleDown: all pods − (replicas − maxUnavailable) − new pods not yet available', () => {
      expect(maxOldScaleDown(deployment(10), [rs('old', 10), rs('new', 3, 0)], rs('new', 3, 0))).to.equal(2);
      expect(maxOldScaleDown(deployment(10), [rs('old', 8), rs('new', 3, 3)], rs('new', 3, 3))).to.equal(3);
      expect(maxOldScaleDown(deployment(10, 0, 1), [rs('old', 10, 9), rs('new', 0)], rs('new', 0))).to.equal(1);
    });
    it('planUnhealthyCleanup takes only unavailable pods, oldest set first, within the budget', () => {
      const a = rs('a', 5, 3);
      const b = rs('b', 4, 1);
      expect([...planUnhealthyCleanup([b, a], 3)]).to.deep.equal([['a', 3], ['b', 3]]);
      expect([...planUnhealthyCleanup([a, rs('c', 2, 2)], 10)]).to.deep.equal([['a', 3]]);
    });
    it('planRollingScaleDown keeps replicas − maxUnavailable available, oldest set first', () => {
      const old1 = rs('old1', 2);
      const old2 = rs('old2', 8);
      const cur = rs('new', 3, 0);
      expect([...planRollingScaleDown(deployment(10), [old1, old2, cur], [old2, old1])]).to.deep.equal([['old1', 0]]);
      expect([...planRollingScaleDown(deployment(10), [rs('o', 8), rs('n', 3, 0)], [rs('o', 8)])]).to.deep.equal([]);
    });
  });

  describe('proportional scaling of several sets mid-rollout (Kubernetes TestScale cases, maxSurge 0)', () => {
    const cases: { name: string; to: number; sets: [string, number][]; before: number; want: Record<string, number> }[] = [
      { name: '5 → 10', to: 10, before: 5, sets: [['old', 3], ['new', 2]], want: { old: 6, new: 4 } },
      { name: '5 → 3', to: 3, before: 5, sets: [['old', 3], ['new', 2]], want: { old: 2, new: 1 } },
      { name: '9 → 4', to: 4, before: 9, sets: [['old', 1], ['new', 8]], want: { old: 0, new: 4 } },
      { name: '7 → 10', to: 10, before: 7, sets: [['old1', 3], ['old2', 2], ['new', 2]], want: { old1: 4, old2: 3, new: 3 } },
      { name: '13 → 8', to: 8, before: 13, sets: [['old1', 8], ['old2', 3], ['new', 2]], want: { old1: 5, old2: 2, new: 1 } },
      { name: 'rounding leftover goes to the largest, newest on ties: 3 → 4', to: 4, before: 3, sets: [['a', 1], ['b', 1], ['c', 1]], want: { a: 1, b: 1, c: 2 } },
      { name: 'to 0 empties every set', to: 0, before: 6, sets: [['old', 4], ['new', 2]], want: { old: 0, new: 0 } },
    ];
    for (const c of cases) {
      it(c.name, () => {
        const sets = c.sets.map(([name, size]) => rs(name, size, size, c.before));
        const { plan } = planProportionalScale(deployment(c.to, 0, 1), sets, c.before);
        expect(Object.fromEntries(plan)).to.deep.equal(c.want);
      });
    }
    it('the total respects replicas + maxSurge (25% of 20 → 25 pods)', () => {
      const sets = [rs('old', 8, 8, 13), rs('new', 5, 0, 13)];
      const { plan, operation } = planProportionalScale(deployment(20), sets, 13);
      expect(operation).to.equal('up');
      expect([...plan.values()].reduce((a, b) => a + b, 0)).to.equal(25);
    });
  });

  describe('pod-template-hash', () => {
    const template = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx:1' }] } };
    it('is stable, ignores key order, and changes with the template and the collision count', () => {
      const h = computePodTemplateHash(template);
      expect(h).to.match(/^[bcdfghjklmnpqrstvwxz2456789]+$/);
      expect(computePodTemplateHash({ spec: { containers: [{ image: 'nginx:1', name: 'c' }] }, metadata: { labels: { app: 'web' } } })).to.equal(h);
      expect(computePodTemplateHash({ ...template, spec: { containers: [{ name: 'c', image: 'nginx:2' }] } })).to.not.equal(h);
      expect(computePodTemplateHash(template, 1)).to.not.equal(h);
      expect(computePodTemplateHash(template, 1)).to.not.equal(computePodTemplateHash(template, 2));
    });
    it('equalIgnoreHash ignores only the pod-template-hash label', () => {
      const hashed = { ...template, metadata: { labels: { app: 'web', [POD_TEMPLATE_HASH_LABEL]: 'abc' } } };
      expect(equalIgnoreHash(hashed, template)).to.equal(true);
      expect(equalIgnoreHash({ ...template, metadata: { labels: { app: 'other' } } }, template)).to.equal(false);
    });
  });
});
