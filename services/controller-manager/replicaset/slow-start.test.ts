import { expect } from 'chai';
import { slowStartBatch } from './slow-start';

describe('slowStartBatch', () => {
  const cases: { name: string; count: number; failAt?: number; calls: number; successes: number; failed: boolean }[] = [
    { name: 'batches 1, 2, 4, 8, rest with no failure', count: 20, calls: 20, successes: 20, failed: false },
    { name: 'stops after the first call when it fails', count: 20, failAt: 0, calls: 1, successes: 0, failed: true },
    { name: 'finishes the batch of 2 with a failure in it, then stops', count: 20, failAt: 1, calls: 3, successes: 2, failed: true },
    { name: 'stops after the batch of 4 (calls 3..6)', count: 100, failAt: 5, calls: 7, successes: 6, failed: true },
    { name: 'nothing to do', count: 0, calls: 0, successes: 0, failed: false },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const seen: number[] = [];
      const r = await slowStartBatch(c.count, async (i) => {
        seen.push(i);
        if (i === c.failAt) throw new Error('quota exceeded');
      });
      expect(seen.length).to.equal(c.calls);
      expect(r.successes).to.equal(c.successes);
      expect(r.error !== undefined).to.equal(c.failed);
    });
  }

  it('runs each batch in parallel: batch sizes double', async () => {
    const inFlight: number[] = [];
    let current = 0;
    await slowStartBatch(15, async () => {
      current++;
      inFlight.push(current);
      await Promise.resolve();
      current--;
    });
    expect(Math.max(...inFlight)).to.equal(8);
  });
});
