import { expect } from 'chai';
import { FakeClock } from '../client/fake-clock';
import { ControllerExpectations, EXPECTATIONS_TTL_MS } from './expectations';

describe('ControllerExpectations', () => {
  it('is satisfied without a record, and once every expected create and delete was observed', () => {
    const e = new ControllerExpectations(new FakeClock());
    expect(e.satisfied('ns/rs')).to.equal(true);
    e.expectCreations('ns/rs', 2);
    expect(e.satisfied('ns/rs')).to.equal(false);
    e.creationObserved('ns/rs');
    expect(e.satisfied('ns/rs')).to.equal(false);
    e.creationObserved('ns/rs');
    expect(e.satisfied('ns/rs')).to.equal(true);
    e.expectDeletions('ns/rs', 1);
    expect(e.get('ns/rs')).to.deep.equal({ adds: 0, dels: 1 });
    e.deletionObserved('ns/rs');
    e.deletionObserved('ns/rs'); // more than expected: still satisfied
    expect(e.satisfied('ns/rs')).to.equal(true);
  });

  it('counts as satisfied once the record is older than the TTL (5 minutes), so a lost event never wedges an owner', async () => {
    const clock = new FakeClock();
    const e = new ControllerExpectations(clock);
    expect(EXPECTATIONS_TTL_MS).to.equal(300_000);
    e.expectCreations('k', 1);
    await clock.advance(EXPECTATIONS_TTL_MS);
    expect(e.satisfied('k')).to.equal(false);
    await clock.advance(1);
    expect(e.satisfied('k')).to.equal(true);
  });

  it('raise adds to a record, observations without a record are ignored, delete forgets', () => {
    const e = new ControllerExpectations(new FakeClock());
    e.creationObserved('none');
    expect(e.get('none')).to.equal(undefined);
    e.setExpectations('k', 1, 1);
    e.raise('k', 2, 0);
    expect(e.get('k')).to.deep.equal({ adds: 3, dels: 1 });
    e.delete('k');
    expect(e.satisfied('k')).to.equal(true);
  });
});
