import { expect } from 'chai';
import { finalizersForDeletion, FOREGROUND_FINALIZER, ORPHAN_FINALIZER } from './deletion-propagation';

describe('deletion propagation finalizers', () => {
  it('Orphan and Foreground add their finalizer and drop the other; Background drops both; no policy keeps them', () => {
    const held = ['example.com/hold'];
    expect(finalizersForDeletion(held, 'Orphan')).to.deep.equal(['example.com/hold', ORPHAN_FINALIZER]);
    expect(finalizersForDeletion(held, 'Foreground')).to.deep.equal(['example.com/hold', FOREGROUND_FINALIZER]);
    expect(finalizersForDeletion([ORPHAN_FINALIZER, ...held], 'Foreground')).to.deep.equal(['example.com/hold', FOREGROUND_FINALIZER]);
    expect(finalizersForDeletion([FOREGROUND_FINALIZER, ...held], 'Orphan')).to.deep.equal(['example.com/hold', ORPHAN_FINALIZER]);
    expect(finalizersForDeletion([FOREGROUND_FINALIZER, ORPHAN_FINALIZER, ...held], 'Background')).to.deep.equal(held);
    expect(finalizersForDeletion([ORPHAN_FINALIZER], undefined)).to.deep.equal([ORPHAN_FINALIZER]);
    expect(finalizersForDeletion([FOREGROUND_FINALIZER], 'Foreground'), 'idempotent').to.deep.equal([FOREGROUND_FINALIZER]);
  });
});
