import { expect } from 'chai';
import { FakeClock } from './client/fake-clock';
import { fullGarbageCollector, MemoryReclaimer, type ProcessSample } from './memory-reclaimer';

const MB = 1024 * 1024;

/** A process the test describes: how busy its event loop is and how much memory it holds; collecting drops it to `live`. */
class FakeProcess {
  utilization = 0;
  heapBytes = 100 * MB;
  live = 100 * MB;
  readonly collections: number[] = [];

  constructor(private readonly clock: FakeClock) {}

  sample = (): ProcessSample => ({ utilization: this.utilization, heapBytes: this.heapBytes });

  collect = (): void => {
    this.collections.push(this.clock.now());
    this.heapBytes = this.live;
  };
}

describe('MemoryReclaimer', () => {
  function start(clock: FakeClock, proc: FakeProcess): MemoryReclaimer {
    const r = new MemoryReclaimer({ clock, sample: proc.sample, collect: proc.collect, checkIntervalMs: 5_000, quietUtilization: 0.05, growthBytes: 16 * MB, releaseThreshold: 3 });
    r.start();
    return r;
  }

  it('collects once the process is quiet after its memory grew, and only then', async () => {
    const clock = new FakeClock();
    const proc = new FakeProcess(clock);
    const r = start(clock, proc);
    proc.utilization = 0.6; // a burst: busy, memory grows
    proc.heapBytes = 180 * MB;
    await clock.advance(20_000);
    expect(proc.collections, 'busy: V8 is left alone').to.deep.equal([]);
    proc.utilization = 0.01; // the burst is over
    await clock.advance(5_000);
    expect(proc.collections).to.have.length(1);
    expect(proc.heapBytes).to.equal(100 * MB);
    await clock.advance(5_000);
    expect(proc.collections, 'the settling collection, one quiet interval later').to.have.length(2);
    await clock.advance(60_000);
    expect(proc.collections, 'quiet, nothing grew: nothing more to do').to.have.length(2);
    r.stop();
  });

  it('leaves a quiet process alone while its memory grew less than the threshold, or V8 collected on its own', async () => {
    const clock = new FakeClock();
    const proc = new FakeProcess(clock);
    const r = start(clock, proc);
    proc.heapBytes = 110 * MB;
    await clock.advance(30_000);
    expect(proc.collections).to.deep.equal([]);
    // V8 collected by itself down to 90 MB; growth counts from there.
    proc.heapBytes = 90 * MB;
    await clock.advance(5_000);
    proc.heapBytes = 105 * MB;
    await clock.advance(10_000);
    expect(proc.collections).to.deep.equal([]);
    proc.heapBytes = 107 * MB;
    await clock.advance(5_000);
    expect(proc.collections).to.have.length(1);
    await clock.advance(5_000);
    expect(proc.collections).to.have.length(2);
    r.stop();
  });

  it('collects once enough work was torn down and the process is quiet, though its memory did not grow', async () => {
    const clock = new FakeClock();
    const proc = new FakeProcess(clock);
    const r = start(clock, proc);
    proc.live = 90 * MB; // what the torn-down work held is garbage now, the heap did not grow
    r.released();
    r.released();
    await clock.advance(10_000);
    expect(proc.collections, 'two releases: below the threshold').to.deep.equal([]);
    proc.utilization = 0.5;
    r.released();
    await clock.advance(5_000);
    expect(proc.collections, 'busy').to.deep.equal([]);
    proc.utilization = 0;
    await clock.advance(5_000);
    expect(proc.collections).to.have.length(1);
    expect(proc.heapBytes).to.equal(90 * MB);
    proc.utilization = 0.3; // busy at the next check: no settling collection
    await clock.advance(5_000);
    proc.utilization = 0;
    await clock.advance(30_000);
    expect(proc.collections, 'the releases were counted once').to.have.length(1);
    r.stop();
  });

  it('settles once after start when asked to, then waits for growth again', async () => {
    const clock = new FakeClock();
    const proc = new FakeProcess(clock);
    const r = new MemoryReclaimer({ clock, sample: proc.sample, collect: proc.collect, checkIntervalMs: 5_000, quietUtilization: 0.05, growthBytes: 16 * MB, settleAfterStart: true });
    const started = clock.now();
    proc.utilization = 0.5; // still starting up
    r.start();
    await clock.advance(5_000);
    expect(proc.collections, 'busy').to.deep.equal([]);
    proc.utilization = 0;
    await clock.advance(10_000);
    expect(proc.collections.map((t) => t - started), 'the start-up collection and its settling one').to.deep.equal([10_000, 15_000]);
    await clock.advance(60_000);
    expect(proc.collections).to.have.length(2);
    r.stop();
  });

  it('does nothing once stopped', async () => {
    const clock = new FakeClock();
    const proc = new FakeProcess(clock);
    const r = start(clock, proc);
    r.stop();
    proc.heapBytes = 500 * MB;
    await clock.advance(60_000);
    expect(proc.collections).to.deep.equal([]);
    expect(clock.pendingTimers()).to.equal(0);
  });

  it('gets a full garbage collection from V8 in a process not started with --expose-gc', () => {
    const gc = fullGarbageCollector();
    expect(gc).to.be.a('function');
    gc!();
  });
});
