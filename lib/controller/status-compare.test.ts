import { expect } from 'chai';
import { sameStatus } from './status-compare';

describe('sameStatus (what a controller compares before writing status)', () => {
  it('ignores what the API drops: empty strings, maps, lists, absent fields', () => {
    expect(sameStatus({ replicas: 2, conditions: [{ type: 'A', message: '' }], extra: {} }, { conditions: [{ type: 'A' }], replicas: 2, active: [] })).to.equal(true);
    expect(sameStatus(undefined, {})).to.equal(true);
  });

  it('sees every real change', () => {
    expect(sameStatus({ replicas: 2 }, { replicas: 3 })).to.equal(false);
    expect(sameStatus({ replicas: 0 }, {})).to.equal(false);
    expect(sameStatus({ conditions: [{ type: 'A', status: 'True' }] }, { conditions: [{ type: 'A', status: 'False' }] })).to.equal(false);
  });
});
