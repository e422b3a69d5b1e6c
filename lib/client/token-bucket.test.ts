import { expect } from 'chai';
import { FakeClock } from './fake-clock';
import { TokenBucket } from './token-bucket';

describe('TokenBucket', () => {
  it('starts full, refills at its rate up to the burst, and takes only what is banked', async () => {
    const clock = new FakeClock();
    const bucket = new TokenBucket(2, 3, clock);
    expect([bucket.tryTake(), bucket.tryTake(), bucket.tryTake(), bucket.tryTake()]).to.deep.equal([true, true, true, false]);
    await clock.advance(500);
    expect([bucket.tryTake(), bucket.tryTake()]).to.deep.equal([true, false]);
    await clock.advance(60_000);
    expect([bucket.tryTake(), bucket.tryTake(), bucket.tryTake(), bucket.tryTake()]).to.deep.equal([true, true, true, false]);
  });

  it('reserve goes into debt and says how long to wait', () => {
    const bucket = new TokenBucket(10, 1, new FakeClock());
    expect([bucket.reserve(), bucket.reserve(), bucket.reserve()]).to.deep.equal([0, 100, 200]);
  });

  it('refuses a rate or burst that can never give a token', () => {
    expect(() => new TokenBucket(0, 1)).to.throw('TokenBucket: need ratePerSecond > 0 and burst >= 1');
  });
});
