import { expect } from 'chai';
import { FakeClock } from './client/fake-clock';
import { fullGarbageCollector, MemoryReclaimer } from './memory-reclaimer';

describe('MemoryReclaimer', () => {
  function reclaimer(clock: FakeClock) {
    const collections: number[] = [];
    const r = new MemoryReclaimer({ clock, threshold: 3, quietMs: 1_000, minIntervalMs: 10_000, collect: () => collections.push(clock.now()), onCollected: () => undefined });
    return { r, collections };
  }

  it('collects once the threshold of releases is reached and no release followed for the quiet time', async () => {
    const clock = new FakeClock();
    const { r, collections } = reclaimer(clock);
    const start = clock.now();
    r.released();
    r.released();
    await clock.advance(5_000);
    expect(collections, 'below the threshold').to.deep.equal([]);
    r.released(); // third: due 1 s from now
    await clock.advance(500);
    r.released(); // pushes it back
    await clock.advance(999);
    expect(collections).to.deep.equal([]);
    await clock.advance(1);
    expect(collections).to.deep.equal([start + 6_500]);
  });

  it('collects at most once per minimum interval, and counts releases again after a collection', async () => {
    const clock = new FakeClock();
    const { r, collections } = reclaimer(clock);
    for (let i = 0; i < 3; i++) r.released();
    await clock.advance(1_000);
    expect(collections).to.have.length(1);
    for (let i = 0; i < 2; i++) r.released();
    await clock.advance(20_000);
    expect(collections, 'two releases are below the threshold').to.have.length(1);
    r.released();
    await clock.advance(1_000);
    expect(collections).to.have.length(2);
    // A burst right after: not before the interval has passed since the last collection.
    for (let i = 0; i < 3; i++) r.released();
    await clock.advance(1_000);
    expect(collections).to.have.length(2);
    await clock.advance(9_000);
    expect(collections).to.have.length(3);
    expect(collections[2]! - collections[1]!).to.equal(10_000);
  });

  it('does nothing after stop', async () => {
    const clock = new FakeClock();
    const { r, collections } = reclaimer(clock);
    for (let i = 0; i < 3; i++) r.released();
    r.stop();
    r.released();
    await clock.advance(60_000);
    expect(collections).to.deep.equal([]);
    expect(clock.pendingTimers()).to.equal(0);
  });

  it('gets a full garbage collection from V8 in a process not started with --expose-gc', () => {
    const gc = fullGarbageCollector();
    expect(gc).to.be.a('function');
    gc!();
  });
});
