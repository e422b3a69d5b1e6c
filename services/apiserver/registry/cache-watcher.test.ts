import { expect } from 'chai';
import type { KubeObject } from '../../../lib/api/object';
import { BOOKMARK_EVENT_BYTES, CacheWatcher, type WatcherQueueLimits, type WatchEvent } from './cache-watcher';

/** A frozen object named `name` at resourceVersion `rv`. */
function obj(name: string, rv: number): KubeObject {
  return Object.freeze({ metadata: Object.freeze({ name, namespace: 'ns', resourceVersion: String(rv) }) }) as KubeObject;
}

function watcher(limits: WatcherQueueLimits, backlog: WatchEvent<KubeObject>[] = []): { w: CacheWatcher<KubeObject>; stopped: CacheWatcher<KubeObject>[] } {
  const stopped: CacheWatcher<KubeObject>[] = [];
  const w = new CacheWatcher<KubeObject>({}, true, limits, 0, backlog, (x) => stopped.push(x));
  return { w, stopped };
}

/** Offers one store batch of `sizes.length` events (revisions from `rev`); whether the watcher took it. */
function batch(w: CacheWatcher<KubeObject>, rev: number, sizes: number[]): boolean {
  if (!w.admitBatch()) return false;
  sizes.forEach((bytes, i) => w.offer({ type: 'MODIFIED', object: obj(`o${rev + i}`, rev + i) }, rev + i, bytes));
  return true;
}

describe('CacheWatcher queue bounds', () => {
  it('cuts off a watcher whose unread live events reach the byte bound, though few in number, and drops them', async () => {
    const { w, stopped } = watcher({ events: 100, bytes: 10_000 });
    expect(batch(w, 1, [4_000])).to.equal(true);
    expect(batch(w, 2, [4_000])).to.equal(true);
    expect(w.queuedLiveBytes).to.equal(8_000);
    expect(batch(w, 3, [4_000])).to.equal(true); // 8 000 < 10 000 before this batch: admitted
    expect(w.queuedLiveBytes).to.equal(12_000);
    expect(batch(w, 4, [4_000])).to.equal(false); // 12 000 unread: too slow
    expect(await w.ended).to.equal('too-slow');
    expect(stopped).to.deep.equal([w]);
    // Everything it held is dropped at once, not kept for a client that does not read.
    expect(w.queued).to.equal(0);
    expect(w.queuedLiveBytes).to.equal(0);
    expect(await w.next()).to.equal(undefined);
  });

  it('also cuts off on the event bound, and never splits a batch however large', async () => {
    const { w } = watcher({ events: 3, bytes: 1_000_000 });
    expect(batch(w, 1, [10, 10, 10, 10, 10])).to.equal(true); // one batch: all five are queued
    expect(w.queued).to.equal(5);
    expect(batch(w, 6, [10])).to.equal(false);
    expect(await w.ended).to.equal('too-slow');
  });

  it('a reader frees its bytes as it reads, and keeps up within the bounds', async () => {
    const { w } = watcher({ events: 100, bytes: 10_000 });
    for (let rev = 1; rev <= 50; rev++) {
      expect(batch(w, rev, [6_000])).to.equal(true);
      expect((await w.next())?.object.metadata.resourceVersion).to.equal(String(rev));
      expect(w.queuedLiveBytes).to.equal(0);
    }
    expect(w.isEnded).to.equal(false);
    expect(w.lastRevision).to.equal(50);
  });

  it('counts the backlog against neither bound, and delivers it before live events', async () => {
    const backlog = Array.from({ length: 20 }, (_, i) => ({ type: 'ADDED' as const, object: obj(`b${i}`, 0) }));
    const { w } = watcher({ events: 5, bytes: 1_000 }, backlog);
    expect(batch(w, 1, [500])).to.equal(true);
    expect(w.queued).to.equal(21);
    expect(w.queuedLiveBytes).to.equal(500);
    expect((await w.next())?.object.metadata.name).to.equal('b0');
  });

  it('takes a bookmark only when there is room, and counts its bytes', () => {
    const { w } = watcher({ events: 100, bytes: 1_000 });
    const bookmark = { type: 'BOOKMARK' as const, object: obj('', 9) };
    w.offerBookmark(bookmark, 9);
    expect(w.queuedLiveBytes).to.equal(BOOKMARK_EVENT_BYTES);
    batch(w, 10, [2_000]);
    w.offerBookmark(bookmark, 11); // over the byte bound: refused, and not a reason to cut off
    expect(w.queued).to.equal(2);
    expect(w.isEnded).to.equal(false);
  });

  it('other ends keep what is queued for the reader; stop drops it', async () => {
    const reset = watcher({ events: 100, bytes: 10_000 }).w;
    batch(reset, 1, [100, 100]);
    reset.end('cache-reset');
    expect((await reset.next())?.type).to.equal('MODIFIED');
    expect((await reset.next())?.type).to.equal('MODIFIED');
    expect(await reset.next()).to.equal(undefined);

    const stopped = watcher({ events: 100, bytes: 10_000 }).w;
    batch(stopped, 1, [100, 100]);
    stopped.stop();
    expect(stopped.queued).to.equal(0);
    expect(await stopped.next()).to.equal(undefined);
    expect(await stopped.ended).to.equal('stopped');
  });

  it('wakes a pending reader when an event arrives and when the watch is cut off', async () => {
    const { w } = watcher({ events: 1, bytes: 10_000 });
    const first = w.next();
    batch(w, 1, [10]);
    expect((await first)?.object.metadata.name).to.equal('o1');
    batch(w, 2, [10]);
    batch(w, 3, [10]); // the unread o2 fills the one-event bound: cut off
    expect(await w.next()).to.equal(undefined);

    const idle = watcher({ events: 1, bytes: 10_000 }).w;
    const pending = idle.next();
    idle.end('cache-stopped');
    expect(await pending).to.equal(undefined);
  });
});
