import { expect } from 'chai';
import { DO_NOT_SCHEDULE_EFFECTS, findUntoleratedTaint, toleratesTaint } from './tolerations';

describe('tolerations', () => {
  const taint = { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' };

  it('matches key, value and effect as Kubernetes does', () => {
    expect(toleratesTaint({ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }, taint)).to.equal(true);
    expect(toleratesTaint({ key: 'dedicated', operator: 'Equal', value: 'gpu' }, taint), 'no effect: every effect').to.equal(true);
    expect(toleratesTaint({ key: 'dedicated', value: 'cpu' }, taint), 'another value').to.equal(false);
    expect(toleratesTaint({ key: 'dedicated', operator: 'Exists' }, taint), 'Exists: any value').to.equal(true);
    expect(toleratesTaint({ operator: 'Exists' }, taint), 'empty key with Exists: every taint').to.equal(true);
    expect(toleratesTaint({ key: 'dedicated', operator: 'Exists', effect: 'NoExecute' }, taint), 'another effect').to.equal(false);
    expect(toleratesTaint({ key: 'other', operator: 'Exists' }, taint), 'another key').to.equal(false);
    expect(toleratesTaint({ key: 'dedicated', operator: 'Gt', value: 'gpu' }, taint), 'unknown operator').to.equal(false);
  });

  it('finds the first taint of the given effects no toleration tolerates', () => {
    const taints = [{ key: 'soft', effect: 'PreferNoSchedule' }, taint, { key: 'gone', effect: 'NoExecute' }];
    expect(findUntoleratedTaint(taints, [], DO_NOT_SCHEDULE_EFFECTS)).to.equal(taint);
    expect(findUntoleratedTaint(taints, [{ key: 'dedicated', operator: 'Exists' }], DO_NOT_SCHEDULE_EFFECTS)).to.equal(taints[2]);
    expect(findUntoleratedTaint(taints, [{ operator: 'Exists' }], DO_NOT_SCHEDULE_EFFECTS)).to.equal(undefined);
  });
});
