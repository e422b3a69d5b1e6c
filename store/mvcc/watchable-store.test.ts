import { expect } from 'chai';
import { Event, Event_EventType } from '../../gen/etcd/kv';
import { WatchCreateRequest_FilterType } from '../../gen/etcd/rpc';
import { MvccStore } from './mvcc-store';
import { b, delReq, ManualScheduler, opPut, putReq, show, txnReq } from './test-util';
import { CATCHUP_RECORDS_PER_WATCHER, WatchableStore, WatchBatch, WatchOptions, WatchSink } from './watchable-store';

class Sink implements WatchSink {
  batches: WatchBatch[] = [];
  compactedAt: number | undefined;
  /** How many more batches to accept before reporting full (Infinity = never full). */
  room = Infinity;
  send(batch: WatchBatch): boolean {
    this.batches.push(batch);
    this.room--;
    return this.room > 0;
  }
  compacted(rev: number): void {
    this.compactedAt = rev;
  }
  get events(): Event[] {
    return this.batches.flatMap((x) => x.events);
  }
  /** "TYPE key=value@mod" per event. */
  get seen(): string[] {
    return this.events.map((e) => `${e.type === Event_EventType.PUT ? 'PUT' : 'DEL'} ${e.kv!.key}@${e.kv!.modRevision}`);
  }
}

function setup() {
  const sched = new ManualScheduler();
  const store = new MvccStore({ schedule: null });
  const ws = new WatchableStore(store, { schedule: sched.schedule });
  const watch = (opts: Omit<WatchOptions, 'key' | 'rangeEnd'> & { key: string; rangeEnd?: string }) => {
    const sink = new Sink();
    const w = ws.watch({ ...opts, key: b(opts.key), rangeEnd: opts.rangeEnd === undefined ? undefined : b(opts.rangeEnd) }, sink);
    return { sink, w };
  };
  return { sched, store, ws, watch };
}

describe('WatchableStore', () => {
  it('delivers live events of a key and of a prefix, one batch per revision', () => {
    const { store, watch } = setup();
    const one = watch({ key: 'a' });
    const pre = watch({ key: 'foo/', rangeEnd: 'foo0' });
    store.put(putReq('a', '1'));
    store.put(putReq('foo/x', '1'));
    store.txn(txnReq([], [opPut('foo/y', '2'), opPut('foo/z', '3'), opPut('a', '2')]));
    store.deleteRange(delReq('foo/', 'foo0'));
    expect(one.sink.seen).to.deep.equal(['PUT a@2', 'PUT a@4']);
    expect(pre.sink.batches.map((x) => [x.revision, x.events.length])).to.deep.equal([
      [3, 1],
      [4, 2],
      [5, 3],
    ]);
    const del = pre.sink.events[3];
    expect(del.type).to.equal(Event_EventType.DELETE);
    expect(del.kv!.modRevision).to.equal(5);
    expect(del.kv!.key.toString()).to.equal('foo/x');
  });

  it('replays from a past revision, then continues live, with no gaps or duplicates', () => {
    const { store, watch, sched } = setup();
    for (let i = 0; i < 5; i++) store.put(putReq(`k${i}`, `${i}`)); // revisions 2..6
    const w = watch({ key: 'k', rangeEnd: 'l', startRevision: 3 });
    store.put(putReq('k9', 'x')); // 7: the watcher is unsynced, it gets this from the log
    expect(w.sink.batches).to.have.length(0);
    sched.run();
    store.put(putReq('k8', 'y')); // 8: live
    expect(w.sink.seen).to.deep.equal(['PUT k1@3', 'PUT k2@4', 'PUT k3@5', 'PUT k4@6', 'PUT k9@7', 'PUT k8@8']);
  });

  it('fills prev_kv, live and from history, and applies filters', () => {
    const { store, watch, sched } = setup();
    store.put(putReq('a', '1')); // 2
    const past = watch({ key: 'a', startRevision: 2, prevKv: true });
    const live = watch({ key: 'a', prevKv: true });
    const noPut = watch({ key: 'a', filters: [WatchCreateRequest_FilterType.NOPUT] });
    const noDel = watch({ key: 'a', filters: [WatchCreateRequest_FilterType.NODELETE] });
    store.put(putReq('a', '2')); // 3
    store.deleteRange(delReq('a')); // 4
    sched.run();
    const prevs = (s: Sink) => s.events.map((e) => show(e.prevKv));
    expect(prevs(past.sink)).to.deep.equal(['-', 'a=1@2/2/v1/l0', 'a=2@2/3/v2/l0']);
    expect(prevs(live.sink)).to.deep.equal(['a=1@2/2/v1/l0', 'a=2@2/3/v2/l0']);
    expect(noPut.sink.seen).to.deep.equal(['DEL a@4']);
    expect(noDel.sink.seen).to.deep.equal(['PUT a@3']);
  });

  it('stops after cancel', () => {
    const { store, watch, ws } = setup();
    const w = watch({ key: 'a' });
    store.put(putReq('a', '1'));
    w.w.cancel();
    store.put(putReq('a', '2'));
    expect(w.sink.seen).to.deep.equal(['PUT a@2']);
    expect(ws.size).to.equal(0);
  });

  it('cancels a watcher whose start revision is compacted, reporting the compact revision', () => {
    const { store, watch, sched, ws } = setup();
    for (let i = 0; i < 5; i++) store.put(putReq('a', `${i}`));
    store.compact(4);
    const ok = watch({ key: 'a', startRevision: 4 });
    const gone = watch({ key: 'a', startRevision: 3 });
    sched.run();
    expect(gone.sink.compactedAt).to.equal(4);
    expect(gone.sink.batches).to.have.length(0);
    expect(ok.sink.seen).to.deep.equal(['PUT a@4', 'PUT a@5', 'PUT a@6']);
    expect(ws.size).to.equal(1);
  });

  it('a slow watcher does not block writes or others, and catches up in order later', () => {
    const { store, watch, sched, ws } = setup();
    const fast = watch({ key: 'k', rangeEnd: 'l' });
    const slow = watch({ key: 'k', rangeEnd: 'l' });
    slow.sink.room = 1; // takes one batch, then says it is full
    const n = CATCHUP_RECORDS_PER_WATCHER * 2 + 500;
    for (let i = 0; i < n; i++) store.put(putReq(`k${i % 37}`, `${i}`));
    // one big revision: must arrive in one batch
    const big = store.deleteRange(delReq('k', 'l')).header!.revision;
    store.put(putReq('k-last', 'x'));
    expect(fast.sink.events).to.have.length(n + 37 + 1);
    expect(slow.sink.batches).to.have.length(1);
    expect(ws.unsyncedCount).to.equal(1);
    sched.run();
    expect(slow.sink.batches).to.have.length(1); // paused: nothing until resume
    slow.sink.room = Infinity;
    slow.w.resume();
    let turns = 0;
    while (sched.pending > 0) {
      sched.run(1);
      turns++;
    }
    expect(turns).to.be.greaterThan(2);
    expect(ws.unsyncedCount).to.equal(0);
    expect(slow.sink.seen).to.deep.equal(fast.sink.seen);
    const bigBatches = slow.sink.batches.filter((x) => x.events.some((e) => e.kv!.modRevision === big));
    expect(bigBatches).to.have.length(1);
    expect(bigBatches[0].events.filter((e) => e.kv!.modRevision === big)).to.have.length(37);
    for (const batch of slow.sink.batches) {
      expect(batch.revision).to.equal(batch.events[batch.events.length - 1].kv!.modRevision);
    }
    // back in sync: live delivery again
    store.put(putReq('k1', 'live'));
    expect(slow.sink.seen.at(-1)).to.equal(`PUT k1@${store.currentRevision}`);
  });

  it('cancels a paused watcher whose next revision was compacted meanwhile', () => {
    const { store, watch, sched } = setup();
    const slow = watch({ key: 'a' });
    slow.sink.room = 1;
    store.put(putReq('a', '1')); // 2, accepted; full
    store.put(putReq('a', '2')); // 3
    store.put(putReq('a', '3')); // 4
    store.compact(4);
    slow.sink.room = Infinity;
    slow.w.resume();
    sched.run();
    expect(slow.sink.compactedAt).to.equal(4);
    expect(slow.sink.seen).to.deep.equal(['PUT a@2']);
  });

  it('sends progress notifications to synced watchers that got nothing recently', () => {
    const { store, watch, ws, sched } = setup();
    const quiet = watch({ key: 'q', progressNotify: true });
    const busy = watch({ key: 'a', progressNotify: true });
    const plain = watch({ key: 'q' });
    store.put(putReq('a', '1'));
    ws.progressNotifyAll();
    expect(quiet.sink.batches).to.deep.equal([{ events: [], revision: 2 }]);
    expect(busy.sink.batches).to.have.length(1); // only its event
    ws.progressNotifyAll();
    expect(busy.sink.batches.at(-1)).to.deep.equal({ events: [], revision: 2 });
    expect(plain.sink.batches).to.have.length(0);
    plain.w.requestProgress();
    expect(plain.sink.batches).to.deep.equal([{ events: [], revision: 2 }]);
    const past = watch({ key: 'a', startRevision: 1 });
    past.w.requestProgress(); // unsynced: not answered
    expect(past.sink.batches).to.have.length(0);
    sched.run();
    expect(past.sink.seen).to.deep.equal(['PUT a@2']);
  });

  it('honours a future start revision', () => {
    const { store, watch } = setup();
    const w = watch({ key: 'a', startRevision: 4 });
    for (let i = 0; i < 4; i++) store.put(putReq('a', `${i}`));
    expect(w.sink.seen).to.deep.equal(['PUT a@4', 'PUT a@5']);
  });

  it('cancels a watcher whose sink throws, without disturbing the write', () => {
    const { store, ws } = setup();
    ws.watch({ key: b('a') }, { send: () => { throw new Error('boom'); } });
    store.put(putReq('a', '1'));
    expect(store.currentRevision).to.equal(2);
    expect(ws.size).to.equal(0);
  });
});
