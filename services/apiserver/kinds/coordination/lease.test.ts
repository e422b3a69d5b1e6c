import { expect } from 'chai';
import type { FieldError } from '../../../../lib/api/errors';
import { coordinationStrategies, leaseStrategy, type Lease } from './index';

function lines(errs: readonly FieldError[]): string[] {
  return errs.map((e) => `${e.field}: ${e.message}`);
}

describe('coordination.k8s.io/v1 Lease strategy', () => {
  it('is namespaced, has no short names and no status', () => {
    expect(coordinationStrategies).to.deep.equal([leaseStrategy]);
    expect(leaseStrategy.info).to.deep.include({ group: 'coordination.k8s.io', version: 'v1', kind: 'Lease', resource: 'leases', namespaced: true, shortNames: [] });
    expect(leaseStrategy.hasStatus).to.equal(false);
  });

  it('accepts a leader-election lease as client-go writes it', () => {
    const lease: Lease = {
      metadata: { name: 'bosun-scheduler', namespace: 'kube-system' },
      spec: { holderIdentity: 'node-1_abc', leaseDurationSeconds: 15, acquireTime: '2024-05-01T12:00:00.000000Z', renewTime: '2024-05-01T12:00:10.123456Z', leaseTransitions: 2 },
    };
    leaseStrategy.prepareForCreate(lease);
    expect(leaseStrategy.validate(lease)).to.deep.equal([]);
  });

  it('rejects a non-positive duration, negative transitions and unparseable times', () => {
    const lease: Lease = { metadata: { name: 'l', namespace: 'default' }, spec: { leaseDurationSeconds: 0, leaseTransitions: -1, renewTime: 'yesterday' } };
    expect(lines(leaseStrategy.validate(lease))).to.deep.equal([
      'spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0',
      'spec.leaseTransitions: Invalid value: -1: must be greater than or equal to 0',
      'spec.renewTime: Invalid value: "yesterday": must be an RFC 3339 time, e.g. 2006-01-02T15:04:05.000000Z',
    ]);
  });

  it('bumps generation only when spec changes', () => {
    const a: Lease = { metadata: { name: 'l' }, spec: { holderIdentity: 'a' } };
    expect(leaseStrategy.specChanged({ ...a, spec: { holderIdentity: 'b' } }, a)).to.equal(true);
    expect(leaseStrategy.specChanged({ ...a, metadata: { name: 'l', labels: { x: 'y' } } }, a)).to.equal(false);
  });
});
