import { expect } from 'chai';
import type { KubeObject } from '../../../lib/api/object';
import type { WatchEvent } from '../registry/cache-watcher';
import { FakeWatch } from './fake-watch';
import { pumpWatch, type EncodedEvent, type WatchPumpOptions, type WatchSink } from './watch-pump';

/** A sink that records what it is given and flushes only when the test says so. */
class FakeSink implements WatchSink<string> {
  readonly written: string[] = [];
  ended = false;
  aborted = false;
  readonly closed: Promise<void>;
  private readonly pending: (() => void)[] = [];
  private resolveClosed!: () => void;

  constructor(closedAlready = false) {
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    if (closedAlready) this.resolveClosed();
  }

  write(chunk: string, flushed: () => void): void {
    this.written.push(chunk);
    this.pending.push(flushed);
  }

  /** Reports the oldest `n` writes flushed. */
  flush(n: number): void {
    for (const done of this.pending.splice(0, n)) done();
  }

  end(): void {
    this.ended = true;
  }

  abort(): void {
    this.aborted = true;
    this.close();
  }

  /** The client goes away (or the stream finished closing). */
  close(): void {
    this.resolveClosed();
  }
}

const EVENT_BYTES = 10_000;
const event = (i: number): WatchEvent<KubeObject> => ({ type: 'MODIFIED', object: { metadata: { name: `o${i}`, resourceVersion: String(i) } } });

function options(overrides: Partial<WatchPumpOptions<string>> = {}): WatchPumpOptions<string> {
  return {
    encode: (e): EncodedEvent<string> => ({ chunk: `${e.type} ${e.object.metadata.name}`, bytes: EVENT_BYTES }),
    encodeError: (err): EncodedEvent<string> => ({ chunk: `ERROR ${(err as Error).message}`, bytes: 100 }),
    sendBufferBytes: 64 * 1024,
    endFlushTimeoutMs: 50,
    ...overrides,
  };
}

/** Lets the pump run until it waits on something the test controls. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

describe('pumpWatch: a watch stream with a bounded send buffer', () => {
  it('stops reading events once the bytes not yet flushed reach the bound, and goes on as they are flushed', async () => {
    let n = 0;
    const watch = new FakeWatch(() => event(n++));
    const sink = new FakeSink();
    const done = pumpWatch(watch, sink, options());
    await settle();
    // 7 × 10 000 bytes: the 7th went out while 60 000 < 65 536 were unflushed; then it waits.
    expect(sink.written).to.have.length(7);
    expect(watch.pulled).to.equal(7);
    sink.flush(2); // 50 000 unflushed: room for two more
    await settle();
    expect(sink.written).to.have.length(9);
    sink.close();
    expect(await done).to.equal('client-closed');
    expect(watch.stopped).to.equal(true);
    expect(sink.ended || sink.aborted).to.equal(false);
  });

  it('tears a stalled stream down at once when the cache cuts its watch off as too slow', async () => {
    let n = 0;
    const watch = new FakeWatch(() => event(n++));
    const sink = new FakeSink();
    const done = pumpWatch(watch, sink, options());
    await settle();
    watch.end('too-slow');
    expect(await done).to.equal('too-slow');
    expect(sink.aborted).to.equal(true);
    expect(sink.ended).to.equal(false);
  });

  it('ends a flowing stream normally when its watch is cut off, and when the watch ends', async () => {
    for (const reason of ['too-slow', 'cache-reset', 'cache-stopped'] as const) {
      const watch = new FakeWatch();
      const sink = new FakeSink();
      const done = pumpWatch(watch, sink, options());
      watch.push(event(1));
      await settle();
      sink.flush(1);
      watch.end(reason);
      await settle();
      expect(sink.ended, reason).to.equal(true);
      sink.close(); // the client took the end
      expect(await done).to.equal(reason);
      expect(sink.aborted, reason).to.equal(false);
    }
  });

  it('delivers what a re-listing cache still queued before ending', async () => {
    const watch = new FakeWatch();
    const sink = new FakeSink();
    watch.push(event(1));
    watch.push(event(2));
    watch.end('cache-reset');
    const done = pumpWatch(watch, sink, options());
    await settle();
    expect(sink.written).to.deep.equal(['MODIFIED o1', 'MODIFIED o2']);
    sink.close();
    expect(await done).to.equal('cache-reset');
  });

  it('ends at the timeout, and tears the stream down when the client does not take the end in time', async () => {
    let n = 0;
    const watch = new FakeWatch(() => event(n++));
    const sink = new FakeSink();
    const started = Date.now();
    const outcome = await pumpWatch(watch, sink, options({ timeoutMs: 100 }));
    expect(outcome).to.equal('timeout');
    expect(Date.now() - started).to.be.at.least(100);
    expect(watch.stopped).to.equal(true);
    expect(sink.ended).to.equal(true);
    expect(sink.aborted).to.equal(true); // nothing was ever flushed: after endFlushTimeoutMs
  });

  it('ends with the ERROR event when an event cannot be encoded', async () => {
    const watch = new FakeWatch();
    const sink = new FakeSink();
    const done = pumpWatch(watch, sink, options({ encode: () => { throw new Error('no message for it'); } }));
    watch.push(event(1));
    await settle();
    expect(sink.written).to.deep.equal(['ERROR no message for it']);
    expect(sink.ended).to.equal(true);
    sink.close();
    expect(await done).to.equal('failed');
    expect(watch.stopped).to.equal(true);
  });

  it('stops the watch at once when the client left before the stream started', async () => {
    const watch = new FakeWatch();
    watch.push(event(1));
    const sink = new FakeSink(true);
    expect(await pumpWatch(watch, sink, options())).to.equal('client-closed');
    expect(watch.stopped).to.equal(true);
    expect(sink.written.length).to.be.at.most(1);
  });
});
