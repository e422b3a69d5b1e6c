import { expect } from 'chai';
import { FakeClock } from '../../../lib/client/fake-clock';
import { CrashBackoff, INITIAL_BACKOFF_MS, MAX_BACKOFF_MS } from './crash-backoff';

describe('CrashBackoff', () => {
  it('lets the first attempt go, then waits 10 s doubling to 5 min', () => {
    const clock = new FakeClock();
    const b = new CrashBackoff(clock);
    expect(b.remainingMs('k', clock.now())).to.equal(0);
    const delays: number[] = [];
    for (let i = 0; i < 8; i++) {
      b.next('k');
      delays.push(b.delayMs('k'));
    }
    expect(delays).to.deep.equal([10_000, 20_000, 40_000, 80_000, 160_000, MAX_BACKOFF_MS, MAX_BACKOFF_MS, MAX_BACKOFF_MS]);
    expect(b.remainingMs('k', clock.now())).to.equal(MAX_BACKOFF_MS);
  });

  it('counts the wait from when the container ended, and forgets keys', async () => {
    const clock = new FakeClock();
    const b = new CrashBackoff(clock);
    b.next('pod/a');
    const finished = clock.now();
    await clock.advance(4_000);
    expect(b.remainingMs('pod/a', finished)).to.equal(INITIAL_BACKOFF_MS - 4_000);
    b.forgetPrefix('pod/');
    expect(b.remainingMs('pod/a', finished)).to.equal(0);
  });
});
