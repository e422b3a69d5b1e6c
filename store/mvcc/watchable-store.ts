import { Event, Event_EventType, KeyValue } from '../../gen/etcd/kv';
import { WatchCreateRequest_FilterType } from '../../gen/etcd/rpc';
import { KeyRecord } from './key-index';
import { MvccChange, MvccObserver, MvccStore } from './mvcc-store';
import { keySpan, KeySpan, spanContains } from './request-checks';

/** Records an unsynced watcher may scan from the revision log per catch-up turn. */
export const CATCHUP_RECORDS_PER_WATCHER = 1000;
/** Records all unsynced watchers together may scan per catch-up turn (one event-loop turn). */
export const CATCHUP_RECORDS_PER_TURN = 10_000;

/**
 * What a watcher receives: the events of one or more whole revisions (a revision's events are
 * never split across batches), or none for a progress notification. `revision` is the newest
 * revision the batch covers: every matching event up to it has now been delivered.
 */
export interface WatchBatch {
  events: Event[];
  revision: number;
}

/** The consumer end of one watcher (the server wraps a gRPC stream in one). */
export interface WatchSink {
  /**
   * Takes a batch. Returning false says "I am full": the batch is still taken, but nothing more
   * is sent until {@link Watcher.resume}; the watcher then catches up from the revision log.
   * Must not throw (a sink that throws is cancelled).
   */
  send(batch: WatchBatch): boolean;
  /** The store cancelled the watcher: revisions it needed are compacted (etcd compact_revision). */
  compacted?(compactRevision: number): void;
}

/** What to watch; field names match WatchCreateRequest so the server can pass one through. */
export interface WatchOptions {
  key: Buffer;
  /** Empty: the single key; "\0": every key >= key; else [key, rangeEnd). */
  rangeEnd?: Buffer;
  /** First revision to deliver; 0 (default) = only changes after the current revision. */
  startRevision?: number;
  prevKv?: boolean;
  filters?: WatchCreateRequest_FilterType[];
  progressNotify?: boolean;
}

/** Handle of a watcher. */
export interface Watcher {
  /** Unique within this WatchableStore (not the client-visible watch id). */
  readonly id: number;
  /** Stops delivery; no sink calls follow. */
  cancel(): void;
  /** Sends an empty batch at the current revision if the watcher is synced (etcd progress request). */
  requestProgress(): void;
  /** The sink can take more again (after send returned false). */
  resume(): void;
}

/** Construction options of {@link WatchableStore}. */
export interface WatchableStoreOptions {
  /** Runs the next catch-up turn later (default setImmediate); null = call syncUnsynced() yourself. */
  schedule?: ((fn: () => void) => void) | null;
}

class WatcherImpl implements Watcher {
  /** Synced: first revision to deliver (future start). Unsynced: next revision to scan. */
  nextRev: number;
  synced = false;
  paused = false;
  cancelled = false;
  /** Something was sent since the last progressNotifyAll. */
  sentRecently = false;
  readonly noPut: boolean;
  readonly noDelete: boolean;

  constructor(
    readonly id: number,
    readonly span: KeySpan,
    readonly opts: WatchOptions,
    readonly sink: WatchSink,
    private readonly owner: WatchableStore,
    startRev: number,
  ) {
    this.nextRev = startRev;
    const f = opts.filters ?? [];
    this.noPut = f.includes(WatchCreateRequest_FilterType.NOPUT);
    this.noDelete = f.includes(WatchCreateRequest_FilterType.NODELETE);
  }

  cancel(): void {
    this.owner.remove(this);
  }
  requestProgress(): void {
    this.owner.progress(this);
  }
  resume(): void {
    this.owner.resumeWatcher(this);
  }

  /** The event for `rec` if this watcher wants it. */
  eventFor(rec: KeyRecord, prev: () => KeyValue | undefined): Event | undefined {
    if (!spanContains(this.span, rec.key)) return undefined;
    if (rec.tombstone ? this.noDelete : this.noPut) return undefined;
    return {
      type: rec.tombstone ? Event_EventType.DELETE : Event_EventType.PUT,
      kv: rec.kv,
      prevKv: this.opts.prevKv ? prev() : undefined,
    };
  }
}

/**
 * Watches over an {@link MvccStore} (etcd's watchableStore). Synced watchers get each committed
 * revision's events as it commits. A watcher that starts in the past, or whose sink reports it
 * is full, is unsynced: it catches up from the store's revision log in bounded turns on the event
 * loop, so a slow consumer never blocks writers or other watchers, and it rejoins the synced set
 * once it reaches the current revision. A watcher that needs a compacted revision is cancelled
 * and its sink told the compact revision.
 */
export class WatchableStore implements MvccObserver {
  private nextId = 1;
  private readonly keyWatchers = new Map<string, Set<WatcherImpl>>();
  private readonly rangeWatchers = new Set<WatcherImpl>();
  private readonly unsynced = new Set<WatcherImpl>();
  private readonly schedule: ((fn: () => void) => void) | null;
  private turnScheduled = false;
  /** Revision the synced watchers are known to have been offered. */
  private seenRev: number;

  constructor(
    readonly store: MvccStore,
    options: WatchableStoreOptions = {},
  ) {
    this.schedule = options.schedule === undefined ? (fn) => setImmediate(fn) : options.schedule;
    this.seenRev = store.currentRevision;
    store.addObserver(this);
  }

  /** Number of watchers (synced + unsynced). */
  get size(): number {
    let n = this.rangeWatchers.size + this.unsynced.size;
    for (const s of this.keyWatchers.values()) n += s.size;
    return n;
  }

  /** Number of watchers still catching up (paused ones included). */
  get unsyncedCount(): number {
    return this.unsynced.size;
  }

  /** Creates a watcher. Delivery to `sink` starts at once (synced) or on the next catch-up turn. */
  watch(opts: WatchOptions, sink: WatchSink): Watcher {
    const cur = this.store.currentRevision;
    const start = opts.startRevision !== undefined && opts.startRevision > 0 ? opts.startRevision : cur + 1;
    const w = new WatcherImpl(this.nextId++, keySpan(opts.key, opts.rangeEnd), opts, sink, this, start);
    if (start > cur) this.addSynced(w);
    else this.addUnsynced(w);
    return w;
  }

  /**
   * Sends an empty batch at the current revision to every synced watcher that asked for progress
   * notifications and was sent nothing since the previous call. The server calls it periodically.
   */
  progressNotifyAll(): void {
    const rev = this.store.currentRevision;
    for (const w of this.syncedWatchers()) {
      if (w.opts.progressNotify && !w.sentRecently) this.deliver(w, { events: [], revision: rev }, rev + 1);
      w.sentRecently = false;
    }
  }

  /**
   * Runs one catch-up turn: each unsynced, unpaused watcher scans up to
   * {@link CATCHUP_RECORDS_PER_WATCHER} records (whole revisions) of the revision log, within
   * {@link CATCHUP_RECORDS_PER_TURN} in all. Returns true if more catching up remains.
   */
  syncUnsynced(): boolean {
    let budget = CATCHUP_RECORDS_PER_TURN;
    const compactRev = this.store.compactRevision;
    const cur = this.store.currentRevision;
    // Snapshot the set: watchers may move, and processed ones rotate to the back for fairness.
    for (const w of [...this.unsynced]) {
      if (budget <= 0) break;
      if (w.cancelled || w.paused) continue;
      this.unsynced.delete(w);
      if (w.nextRev < compactRev) {
        this.cancelCompacted(w, compactRev);
        continue;
      }
      const events: Event[] = [];
      let scanned = 0;
      let rev = w.nextRev;
      while (rev <= cur && scanned < CATCHUP_RECORDS_PER_WATCHER) {
        for (const rec of this.store.changesAt(rev)) {
          scanned++;
          const ev = w.eventFor(rec, () => this.store.prevOf(rec));
          if (ev !== undefined) events.push(ev);
        }
        rev++;
      }
      budget -= scanned;
      w.nextRev = rev;
      if (events.length > 0) {
        w.sentRecently = true;
        if (!this.safeSend(w, { events, revision: rev - 1 })) {
          if (!w.cancelled) this.unsynced.add(w);
          continue;
        }
      }
      if (rev > cur && !w.paused) this.addSynced(w);
      else this.unsynced.add(w);
    }
    const more = this.hasRunnable();
    if (more) this.scheduleTurn();
    return more;
  }

  // ---- MvccObserver ----

  /** Delivers a committed revision's events to the synced watchers. */
  committed(revision: number, changes: readonly MvccChange[]): void {
    this.seenRev = revision;
    const batches = new Map<WatcherImpl, Event[]>();
    const offer = (w: WatcherImpl, ch: MvccChange): void => {
      if (revision < w.nextRev) return;
      const ev = w.eventFor(ch.record, () => ch.prev);
      if (ev === undefined) return;
      const evs = batches.get(w);
      if (evs === undefined) batches.set(w, [ev]);
      else evs.push(ev);
    };
    for (const ch of changes) {
      const ws = this.keyWatchers.get(ch.record.key);
      if (ws !== undefined) for (const w of ws) offer(w, ch);
      for (const w of this.rangeWatchers) offer(w, ch);
    }
    for (const [w, events] of batches) {
      if (w.cancelled || !w.synced) continue;
      this.deliver(w, { events, revision }, revision + 1);
    }
  }

  /** After a snapshot restore every watcher catches up from the restored revision log. */
  restored(): void {
    for (const w of [...this.syncedWatchers()]) {
      this.removeSynced(w);
      w.nextRev = Math.max(w.nextRev, this.seenRev + 1);
      this.addUnsynced(w);
    }
    this.seenRev = this.store.currentRevision;
  }

  // ---- watcher handle callbacks ----

  /** Cancels `w` (idempotent). */
  remove(w: WatcherImpl): void {
    if (w.cancelled) return;
    w.cancelled = true;
    if (w.synced) this.removeSynced(w);
    else this.unsynced.delete(w);
  }

  /** Progress request for one watcher: only a synced one is answered. */
  progress(w: WatcherImpl): void {
    if (w.cancelled || !w.synced) return;
    const rev = this.store.currentRevision;
    this.deliver(w, { events: [], revision: rev }, rev + 1);
  }

  /** The sink of `w` can take more. */
  resumeWatcher(w: WatcherImpl): void {
    if (w.cancelled || !w.paused) return;
    w.paused = false;
    this.scheduleTurn();
  }

  // ---- internals ----

  /** Sends to a synced watcher; if its sink is full, it drops to unsynced from `nextRev`. */
  private deliver(w: WatcherImpl, batch: WatchBatch, nextRev: number): void {
    w.sentRecently = true;
    if (this.safeSend(w, batch)) return;
    if (w.cancelled) return;
    this.removeSynced(w);
    w.nextRev = Math.max(w.nextRev, nextRev);
    this.unsynced.add(w);
  }

  /** Calls the sink; false if it is full (w.paused set) or threw (w cancelled). */
  private safeSend(w: WatcherImpl, batch: WatchBatch): boolean {
    let ok: boolean;
    try {
      ok = w.sink.send(batch);
    } catch {
      this.remove(w);
      return false;
    }
    if (!ok) w.paused = true;
    return ok;
  }

  private cancelCompacted(w: WatcherImpl, compactRev: number): void {
    this.remove(w);
    try {
      w.sink.compacted?.(compactRev);
    } catch {
      // the watcher is gone either way
    }
  }

  private addSynced(w: WatcherImpl): void {
    w.synced = true;
    if (!w.span.single) {
      this.rangeWatchers.add(w);
      return;
    }
    let set = this.keyWatchers.get(w.span.start);
    if (set === undefined) this.keyWatchers.set(w.span.start, (set = new Set()));
    set.add(w);
  }

  private removeSynced(w: WatcherImpl): void {
    w.synced = false;
    if (!w.span.single) {
      this.rangeWatchers.delete(w);
      return;
    }
    const set = this.keyWatchers.get(w.span.start);
    if (set === undefined) return;
    set.delete(w);
    if (set.size === 0) this.keyWatchers.delete(w.span.start);
  }

  private addUnsynced(w: WatcherImpl): void {
    w.synced = false;
    this.unsynced.add(w);
    this.scheduleTurn();
  }

  private *syncedWatchers(): Generator<WatcherImpl> {
    for (const s of this.keyWatchers.values()) yield* s;
    yield* this.rangeWatchers;
  }

  private hasRunnable(): boolean {
    for (const w of this.unsynced) if (!w.paused) return true;
    return false;
  }

  private scheduleTurn(): void {
    if (this.schedule === null || this.turnScheduled) return;
    this.turnScheduled = true;
    this.schedule(() => {
      this.turnScheduled = false;
      this.syncUnsynced();
    });
  }
}
