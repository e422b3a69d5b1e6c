import { expect } from 'chai';
import type { FieldError } from '../../../../lib/api/errors';
import { podDisruptionBudgetStrategy, policyStrategies, type PodDisruptionBudget } from './index';

function lines(errs: readonly FieldError[]): string[] {
  return errs.map((e) => `${e.field}: ${e.message}`);
}

function pdb(spec: PodDisruptionBudget['spec']): PodDisruptionBudget {
  return { metadata: { name: 'web', namespace: 'default' }, spec };
}

describe('policy/v1 PodDisruptionBudget strategy', () => {
  it('is namespaced with short name pdb and a status subresource', () => {
    expect(policyStrategies).to.deep.equal([podDisruptionBudgetStrategy]);
    expect(podDisruptionBudgetStrategy.info).to.deep.include({ group: 'policy', version: 'v1', resource: 'poddisruptionbudgets', namespaced: true, shortNames: ['pdb'] });
    expect(podDisruptionBudgetStrategy.hasStatus).to.equal(true);
  });

  it('starts with a zero status whatever the client sent', () => {
    const obj = pdb({ minAvailable: 1, selector: { matchLabels: { app: 'a' } } });
    obj.status = { disruptionsAllowed: 7 };
    podDisruptionBudgetStrategy.prepareForCreate(obj);
    expect(obj.status).to.deep.equal({ disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 });
  });

  const table: { name: string; spec: PodDisruptionBudget['spec']; want: string[] }[] = [
    { name: 'minAvailable as a count', spec: { minAvailable: 2, selector: { matchLabels: { app: 'a' } } }, want: [] },
    { name: 'maxUnavailable as a percentage', spec: { maxUnavailable: '25%', selector: {} }, want: [] },
    { name: 'neither bound (allowed: the controller treats it as maxUnavailable 0)', spec: { selector: { matchLabels: { app: 'a' } } }, want: [] },
    {
      name: 'both bounds',
      spec: { minAvailable: 1, maxUnavailable: 1 },
      want: ['spec: Invalid value: "{minAvailable: 1, maxUnavailable: 1}": minAvailable and maxUnavailable cannot be both set'],
    },
    { name: 'a negative minAvailable', spec: { minAvailable: -1 }, want: ['spec.minAvailable: Invalid value: -1: must be greater than or equal to 0'] },
    {
      name: 'a percentage above 100',
      spec: { maxUnavailable: '150%' },
      want: ['spec.maxUnavailable: Invalid value: "150%": must not be greater than 100%'],
    },
    {
      name: 'a string that is no percentage',
      spec: { minAvailable: 'half' },
      want: ["spec.minAvailable: Invalid value: \"half\": a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')"],
    },
    {
      name: 'a bad selector operator',
      spec: { minAvailable: 1, selector: { matchExpressions: [{ key: 'app', operator: 'Near' as never, values: ['a'] }] } },
      want: ['spec.selector.matchExpressions[0].operator: Unsupported value: "Near": supported values: "In", "NotIn", "Exists", "DoesNotExist"'],
    },
    {
      name: 'an unknown unhealthyPodEvictionPolicy',
      spec: { minAvailable: 1, unhealthyPodEvictionPolicy: 'Sometimes' },
      want: ['spec.unhealthyPodEvictionPolicy: Unsupported value: "Sometimes": supported values: "IfHealthyBudget", "AlwaysAllow"'],
    },
  ];
  for (const { name, spec, want } of table) {
    it(`validates ${name}`, () => {
      const obj = pdb(spec);
      podDisruptionBudgetStrategy.prepareForCreate(obj);
      expect(lines(podDisruptionBudgetStrategy.validate(obj))).to.deep.equal(want);
    });
  }

  it('refuses negative status counters and fills missing ones on a status write', () => {
    const old = pdb({ minAvailable: 1 });
    const next: PodDisruptionBudget = { ...old, status: { disruptionsAllowed: -1 } };
    podDisruptionBudgetStrategy.prepareForStatusUpdate!(next, old);
    expect(next.status).to.deep.include({ currentHealthy: 0, expectedPods: 0 });
    expect(lines(podDisruptionBudgetStrategy.validateUpdate(next, old))).to.deep.equal(['status.disruptionsAllowed: Invalid value: -1: must be greater than or equal to 0']);
  });

  it('bumps generation on spec changes only', () => {
    const old = pdb({ minAvailable: 1 });
    expect(podDisruptionBudgetStrategy.specChanged(pdb({ minAvailable: 2 }), old)).to.equal(true);
    expect(podDisruptionBudgetStrategy.specChanged({ ...old, status: { disruptionsAllowed: 1 } }, old)).to.equal(false);
  });
});
