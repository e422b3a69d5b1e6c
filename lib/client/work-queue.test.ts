import { expect } from 'chai';
import { FakeClock, flushPromises } from './fake-clock';
import {
  BucketRateLimiter,
  DEFAULT_BACKOFF_MAX_MS,
  ItemExponentialFailureRateLimiter,
  RateLimitingQueue,
  WorkQueue,
} from './work-queue';

/** Whether `p` has settled after pending continuations ran, and with what. */
async function peek<T>(p: Promise<T>): Promise<{ settled: boolean; value?: T }> {
  let out: { settled: boolean; value?: T } = { settled: false };
  void p.then((value) => (out = { settled: true, value }));
  await flushPromises();
  return out;
}

describe('WorkQueue', () => {
  it('dedups a key while it is queued', async () => {
    const q = new WorkQueue<string>();
    q.add('a');
    q.add('b');
    q.add('a');
    expect(q.length).to.equal(2);
    expect(await q.get()).to.equal('a');
    expect(await q.get()).to.equal('b');
    expect(q.length).to.equal(0);
  });

  it('get() waits until a key is added', async () => {
    const q = new WorkQueue<string>();
    const p = q.get();
    expect((await peek(p)).settled).to.equal(false);
    q.add('x');
    expect(await peek(p)).to.deep.equal({ settled: true, value: 'x' });
  });

  it('never hands one key to two workers; a key re-added while processing is queued after done()', async () => {
    const q = new WorkQueue<string>();
    q.add('a');
    expect(await q.get()).to.equal('a');
    q.add('a'); // while processing
    q.add('a');
    expect(q.length).to.equal(0);
    const second = q.get();
    expect((await peek(second)).settled).to.equal(false);
    q.done('a');
    expect(await peek(second)).to.deep.equal({ settled: true, value: 'a' });
    q.done('a');
    expect(q.length).to.equal(0);
  });

  it('done() without a re-add does not queue the key again', async () => {
    const q = new WorkQueue<string>();
    q.add('a');
    await q.get();
    q.done('a');
    expect(q.length).to.equal(0);
  });

  it('serves several waiting workers in FIFO order', async () => {
    const q = new WorkQueue<number>();
    const w1 = q.get();
    const w2 = q.get();
    q.add(1);
    q.add(2);
    expect(await w1).to.equal(1);
    expect(await w2).to.equal(2);
  });

  it('shutDown() drains queued keys, ignores new ones, then resolves undefined', async () => {
    const q = new WorkQueue<string>();
    const idle = q.get();
    q.add('a');
    expect(await idle).to.equal('a');
    q.add('b');
    q.shutDown();
    q.add('c');
    expect(q.length).to.equal(1);
    expect(await q.get()).to.equal('b');
    expect(await q.get()).to.equal(undefined);
    expect(q.isShuttingDown()).to.equal(true);
  });

  it('concurrent workers never hold the same key at once, and every add is processed after it', async () => {
    const q = new WorkQueue<string>();
    const holding = new Set<string>();
    let processed = 0;
    let adds = 0;
    const worker = async (): Promise<void> => {
      for (;;) {
        const key = await q.get();
        if (key === undefined) return;
        expect(holding.has(key), `${key} handed to two workers`).to.equal(false);
        holding.add(key);
        await flushPromises();
        if (adds < 200) {
          adds++;
          q.add(`k${adds % 3}`); // often the key being processed
        }
        holding.delete(key);
        processed++;
        q.done(key);
        if (adds >= 200 && q.length === 0 && holding.size === 0) q.shutDown();
      }
    };
    q.add('k0');
    q.add('k1');
    await Promise.all([worker(), worker(), worker(), worker()]);
    expect(adds).to.equal(200);
    expect(processed).to.be.greaterThan(3);
  });

  it('shutDown() wakes idle workers with undefined', async () => {
    const q = new WorkQueue<string>();
    const w = q.get();
    q.shutDown();
    expect(await w).to.equal(undefined);
  });
});

describe('ItemExponentialFailureRateLimiter', () => {
  it('doubles from 5 ms per failure, caps at 1000 s, and forget() resets', () => {
    const rl = new ItemExponentialFailureRateLimiter<string>();
    expect([rl.when('a'), rl.when('a'), rl.when('a'), rl.when('a')]).to.deep.equal([5, 10, 20, 40]);
    expect(rl.when('b')).to.equal(5); // per key
    expect(rl.numRequeues('a')).to.equal(4);
    for (let i = 0; i < 100; i++) rl.when('a');
    expect(rl.when('a')).to.equal(DEFAULT_BACKOFF_MAX_MS);
    rl.forget('a');
    expect(rl.numRequeues('a')).to.equal(0);
    expect(rl.when('a')).to.equal(5);
  });
});

describe('BucketRateLimiter', () => {
  it('lets a burst of 100 through, then 10 per second', async () => {
    const clock = new FakeClock();
    const rl = new BucketRateLimiter<string>(clock);
    for (let i = 0; i < 100; i++) expect(rl.when(`k${i}`)).to.equal(0);
    expect(rl.when('x')).to.equal(100);
    expect(rl.when('y')).to.equal(200);
    await clock.advance(1000); // 10 tokens accrue; 2 were owed
    expect(rl.when('z')).to.equal(0);
    for (let i = 0; i < 7; i++) rl.when(`m${i}`);
    expect(rl.when('n')).to.equal(100);
  });

  it('refills at most to the burst', async () => {
    const clock = new FakeClock();
    const rl = new BucketRateLimiter<string>(clock, 10, 5);
    await clock.advance(60_000);
    for (let i = 0; i < 5; i++) expect(rl.when('k')).to.equal(0);
    expect(rl.when('k')).to.equal(100);
  });
});

describe('RateLimitingQueue', () => {
  it('addRateLimited backs off exponentially per key; forget() resets', async () => {
    const clock = new FakeClock();
    const q = new RateLimitingQueue<string>(clock);
    const delays: number[] = [];
    for (let i = 0; i < 4; i++) {
      const start = clock.now();
      q.addRateLimited('a');
      const got = q.get();
      while (!(await peek(got)).settled) await clock.advance(1);
      delays.push(clock.now() - start);
      expect(await got).to.equal('a');
      q.done('a');
    }
    expect(delays).to.deep.equal([5, 10, 20, 40]);
    expect(q.numRequeues('a')).to.equal(4);
    q.forget('a');
    expect(q.numRequeues('a')).to.equal(0);
    q.addRateLimited('a');
    await clock.advance(4);
    expect(q.length).to.equal(0);
    await clock.advance(1);
    expect(q.length).to.equal(1);
  });

  it('the overall bucket delays keys beyond the burst even without failures', async () => {
    const clock = new FakeClock();
    const q = new RateLimitingQueue<string>(clock);
    for (let i = 0; i < 101; i++) q.addRateLimited(`k${i}`);
    await clock.advance(5);
    expect(q.length).to.equal(100);
    await clock.advance(95);
    expect(q.length).to.equal(101);
  });

  it('addAfter delays a key, keeps the earliest due time, and dedups with the queue', async () => {
    const clock = new FakeClock();
    const q = new RateLimitingQueue<string>(clock);
    q.addAfter('a', 1000);
    q.addAfter('a', 300);
    q.addAfter('a', 2000);
    await clock.advance(299);
    expect(q.length).to.equal(0);
    await clock.advance(1);
    expect(q.length).to.equal(1);
    await clock.advance(5000);
    expect(q.length).to.equal(1);
    q.addAfter('b', 0);
    expect(q.length).to.equal(2);
  });

  it('shutDown() cancels delayed adds', async () => {
    const clock = new FakeClock();
    const q = new RateLimitingQueue<string>(clock);
    q.addAfter('a', 100);
    q.shutDown();
    expect(clock.pendingTimers()).to.equal(0);
    await clock.advance(200);
    expect(q.length).to.equal(0);
  });
});
