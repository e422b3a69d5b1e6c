import { expect } from 'chai';
import type { FieldError } from '../../../../lib/api/errors';
import { priorityClassStrategy, schedulingStrategies, type PriorityClass } from './index';

function lines(errs: readonly FieldError[]): string[] {
  return errs.map((e) => `${e.field}: ${e.message}`);
}

describe('scheduling.k8s.io/v1 PriorityClass strategy', () => {
  it('is cluster-scoped with short name pc and no status', () => {
    expect(schedulingStrategies).to.deep.equal([priorityClassStrategy]);
    expect(priorityClassStrategy.info).to.deep.include({ resource: 'priorityclasses', namespaced: false, shortNames: ['pc'], categories: [] });
    expect(priorityClassStrategy.hasStatus).to.equal(false);
  });

  it('defaults preemptionPolicy to PreemptLowerPriority', () => {
    const pc: PriorityClass = { metadata: { name: 'high' }, value: 1000, description: 'important' };
    priorityClassStrategy.prepareForCreate(pc);
    expect(pc.preemptionPolicy).to.equal('PreemptLowerPriority');
    expect(priorityClassStrategy.validate(pc)).to.deep.equal([]);
  });

  const table: { name: string; pc: PriorityClass; want: string[] }[] = [
    { name: 'a missing value', pc: { metadata: { name: 'x' } }, want: ['value: Required value'] },
    { name: 'a value above the user limit', pc: { metadata: { name: 'x' }, value: 1_000_000_001 }, want: ['value: Forbidden: maximum allowed value of a user defined priority is 1000000000'] },
    {
      name: 'an unknown system- name',
      pc: { metadata: { name: 'system-mine' }, value: 5 },
      want: ["metadata.name: Forbidden: priority class names with 'system-' prefix are reserved for system use only. error: system-mine is not a known system priority class"],
    },
    {
      name: 'a system class as the global default',
      pc: { metadata: { name: 'system-cluster-critical' }, value: 2_000_000_000, globalDefault: true },
      want: ["metadata.name: Forbidden: priority class names with 'system-' prefix are reserved for system use only. error: globalDefault of system-cluster-critical PriorityClass must be false"],
    },
    {
      name: 'an unknown preemptionPolicy',
      pc: { metadata: { name: 'x' }, value: 1, preemptionPolicy: 'Always' },
      want: ['preemptionPolicy: Unsupported value: "Always": supported values: "PreemptLowerPriority", "Never"'],
    },
  ];
  for (const { name, pc, want } of table) {
    it(`rejects ${name}`, () => {
      priorityClassStrategy.prepareForCreate(pc);
      expect(lines(priorityClassStrategy.validate(pc))).to.deep.equal(want);
    });
  }

  it('accepts the system classes with their fixed values', () => {
    expect(priorityClassStrategy.validate({ metadata: { name: 'system-node-critical' }, value: 2_000_001_000 })).to.deep.equal([]);
  });

  it('refuses value and preemptionPolicy changes on update', () => {
    const old: PriorityClass = { metadata: { name: 'x' }, value: 1, preemptionPolicy: 'PreemptLowerPriority' };
    expect(priorityClassStrategy.validateUpdate({ ...old, description: 'now described' }, old)).to.deep.equal([]);
    expect(lines(priorityClassStrategy.validateUpdate({ ...old, value: 2, preemptionPolicy: 'Never' }, old))).to.deep.equal([
      'value: Forbidden: may not be changed in an update.',
      'preemptionPolicy: Invalid value: "Never": field is immutable',
    ]);
  });
});
