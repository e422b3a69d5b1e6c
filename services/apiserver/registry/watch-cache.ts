import { Event_EventType, type Event, type KeyValue } from '../../../gen/etcd/kv';
import { GoneError, ServiceUnavailableError, TimeoutError } from '../../../lib/api/errors';
import { apiVersionOf, type KubeList, type KubeObject } from '../../../lib/api/object';
import { prefixRangeEnd, WatchCompactedError, type ClientLogger, type StoreClient, type WatchHandle } from '../../../store/client';
import { ErrCompacted, type StoreError } from '../../../store/errors';
import { CacheWatcher, type WatchEndReason, type WatcherQueueLimits, type WatchEvent } from './cache-watcher';
import { EventRing, type CacheEvent } from './event-ring';
import { parseResourceVersion } from './generic-store';
import { findProtoKind, type ProtoKind } from '../../../lib/api/proto/kinds';
import { withWarnings } from '../../../lib/api/warnings';
import { CorruptObjectError, decodeObject, deepFreeze, encodeObject, skippedObjectWarning } from './object-codec';
import type { ValueTransformer } from '../encryption/value-transformer';
import { matchesFilter, type ObjectFilter } from './object-filter';
import { listPrefix, objectKey, resourcePrefix } from './storage-keys';
import type { Strategy } from './strategy';

/** Events kept for watch resumption (per resource). */
export const DEFAULT_EVENT_CAPACITY = 1000;
/** Live events a watcher may have unread before it is cut off as too slow. */
export const DEFAULT_WATCHER_QUEUE_SIZE = 100;
/**
 * Bytes of live events (their objects' stored size) a watcher may have unread before it is cut
 * off as too slow: with DEFAULT_WATCHER_QUEUE_SIZE, what one stalled watcher can keep alive of
 * objects the cache no longer holds (100 events of a few KB stay under it; a few large objects
 * do not).
 */
export const DEFAULT_WATCHER_QUEUE_BYTES = 2 * 1024 * 1024;
/** Interval between bookmark rounds for watchers that asked for bookmarks. */
export const DEFAULT_BOOKMARK_INTERVAL_MS = 5_000;
/** Keys per range read while (re-)listing. */
export const RELIST_PAGE_SIZE = 1000;
/** How long list() waits for the cache to reach a requested resourceVersion. */
export const DEFAULT_FRESHNESS_WAIT_MS = 3_000;
/** Pause before retrying a failed list or watch of the store. */
const RETRY_DELAY_MS = 200;

/** Constructor parameters of a WatchCache. */
export interface WatchCacheOptions<T extends KubeObject> {
  readonly client: StoreClient;
  /** The kind's identity and selectable fields. */
  readonly strategy: Pick<Strategy<T>, 'info' | 'selectableFields'>;
  readonly eventCapacity?: number;
  readonly watcherQueueSize?: number;
  readonly watcherQueueBytes?: number;
  readonly bookmarkIntervalMs?: number;
  readonly logger?: ClientLogger;
  /** Called whenever one of the cache's watchers ends, for whatever reason. */
  readonly onWatcherEnded?: (reason: WatchEndReason) => void;
  /** How values are stored (encryption at rest); absent: plain JSON. */
  readonly transformer?: ValueTransformer;
}

/** Options of WatchCache.list. */
export interface CacheListOptions extends ObjectFilter {
  /** Absent, "" or "0": whatever the cache holds; else wait until the cache is at least this new. */
  readonly resourceVersion?: string;
  /** Wait budget for `resourceVersion` (default DEFAULT_FRESHNESS_WAIT_MS). */
  readonly waitTimeoutMs?: number;
}

/** Options of WatchCache.watch. */
export interface CacheWatchOptions extends ObjectFilter {
  /**
   * Absent, "" or "0": ADDED for every current object, then changes. Otherwise every change
   * after this version (replayed from the ring, then live); 410 Gone when the ring no
   * longer reaches back that far.
   */
  readonly resourceVersion?: string;
  /** Send periodic BOOKMARK events carrying the newest resourceVersion. */
  readonly bookmarks?: boolean;
  /** Overrides the cache's watcher queue size (events) for this watcher. */
  readonly queueSize?: number;
  /** Overrides the cache's watcher queue bytes for this watcher. */
  readonly queueBytes?: number;
}

/**
 * The watch cache of one resource (Kubernetes' Cacher): fed by ONE store watch on the
 * resource prefix — list at revision R, then watch from R+1, and on compaction list again —
 * it keeps every current object in memory (to serve lists) and a ring of recent events (to
 * serve watches that resume from a resourceVersion). Watchers get their events through
 * queues bounded in events and bytes: one that falls behind is ended, never waited for. When
 * the cache has to re-list, every watcher is ended with 'cache-reset' so it re-watches.
 */
/**
 * Told of every change to a cache's objects as the cache applies it (an in-memory index kept
 * beside the cache, such as the Node authorizer's graph). Called synchronously; must not throw.
 */
export interface CacheListener<T> {
  /** The cache was (re)loaded: `objects` is everything it holds now. */
  reset(objects: readonly T[]): void;
  /** One object changed: `prev` undefined for an addition, `next` undefined for a removal. */
  changed(prev: T | undefined, next: T | undefined): void;
}

export class WatchCache<T extends KubeObject> {
  private readonly client: StoreClient;
  private readonly strategy: Pick<Strategy<T>, 'info' | 'selectableFields'>;
  private readonly capacity: number;
  private readonly queueLimits: WatcherQueueLimits;
  private readonly logger: ClientLogger | undefined;
  private readonly onWatcherEnded: ((reason: WatchEndReason) => void) | undefined;
  private readonly prefix: string;
  private objects = new Map<string, T>();
  /** Keys whose stored value cannot be decoded, with the reason: skipped by lists and watches, reported by lists. */
  private corrupt = new Map<string, string>();
  /** The kind's protobuf schema every cached object must fit (so no list or watch can fail on one). */
  private readonly schema: ProtoKind | undefined;
  private readonly transformer: ValueTransformer | undefined;
  private ring: EventRing<T>;
  private revision = 0;
  private readonly watchers = new Set<CacheWatcher<T>>();
  private readonly listeners = new Set<CacheListener<T>>();
  private waiters: { revision: number; resolve: () => void }[] = [];
  private handle: WatchHandle | undefined;
  private stopped = false;
  private ready: Promise<void>;
  private resolveReady!: () => void;
  private readonly bookmarkTimer: NodeJS.Timeout;

  constructor(options: WatchCacheOptions<T>) {
    this.client = options.client;
    this.strategy = options.strategy;
    this.capacity = options.eventCapacity ?? DEFAULT_EVENT_CAPACITY;
    this.queueLimits = { events: options.watcherQueueSize ?? DEFAULT_WATCHER_QUEUE_SIZE, bytes: options.watcherQueueBytes ?? DEFAULT_WATCHER_QUEUE_BYTES };
    this.logger = options.logger;
    this.onWatcherEnded = options.onWatcherEnded;
    this.prefix = resourcePrefix(this.strategy.info);
    this.schema = findProtoKind(apiVersionOf(this.strategy.info), this.strategy.info.kind);
    this.transformer = options.transformer;
    this.ring = new EventRing<T>(this.capacity, 0);
    this.ready = new Promise((resolve) => (this.resolveReady = resolve));
    this.bookmarkTimer = setInterval(() => this.sendBookmarks(), options.bookmarkIntervalMs ?? DEFAULT_BOOKMARK_INTERVAL_MS);
    this.bookmarkTimer.unref();
  }

  /** The newest store revision the cache reflects. */
  get resourceVersion(): number {
    return this.revision;
  }

  /** Number of live watchers. */
  get watcherCount(): number {
    return this.watchers.size;
  }

  /** Starts following the store; resolves once the first list is loaded (retries until then). */
  start(): Promise<void> {
    void this.run();
    return this.ready;
  }

  /** Stops the store watch and ends every watcher with 'cache-stopped'. Idempotent. */
  stop(): void {
    this.stopped = true;
    clearInterval(this.bookmarkTimer);
    this.handle?.cancel();
    for (const w of [...this.watchers]) w.end('cache-stopped');
    for (const waiter of this.waiters) waiter.resolve();
    this.waiters = [];
  }

  /** Tells `listener` of every change from now on, after a reset with what the cache holds now. Returns the unsubscribe. */
  subscribe(listener: CacheListener<T>): () => void {
    this.listeners.add(listener);
    listener.reset([...this.objects.values()]);
    return () => this.listeners.delete(listener);
  }

  /**
   * The cached object at namespace/name (frozen, shared), or undefined when the cache does not
   * hold it — which may only mean the cache has not caught up yet: callers that must not miss a
   * just-created object fall back to the store.
   */
  getCached(namespace: string | undefined, name: string): T | undefined {
    return this.objects.get(objectKey(this.strategy.info, this.strategy.info.namespaced ? namespace : undefined, name));
  }

  /**
   * The cached objects as they are now (of `namespace` only, when given), without waiting for
   * the store: for readers that must answer synchronously from memory (the RBAC authorizer).
   */
  cachedObjects(namespace?: string): T[] {
    const out: T[] = [];
    for (const obj of this.objects.values()) if (namespace === undefined || obj.metadata.namespace === namespace) out.push(obj);
    return out;
  }

  /**
   * The cached objects passing the filter, sorted by key, with metadata.resourceVersion = the
   * cache's revision. With a resourceVersion, waits until the cache has reached it; still
   * behind after the wait, Kubernetes' 504 "Too large resource version" (cause ResourceVersionTooLarge).
   */
  async list(opts: CacheListOptions = {}): Promise<KubeList<T>> {
    await this.ready;
    const wanted = opts.resourceVersion && opts.resourceVersion !== '0' ? parseResourceVersion(opts.resourceVersion) : 0;
    if (wanted > this.revision) await this.waitFor(wanted, opts.waitTimeoutMs ?? DEFAULT_FRESHNESS_WAIT_MS);
    if (this.stopped) throw new ServiceUnavailableError('the watch cache is stopped');
    if (wanted > this.revision) {
      throw new TimeoutError(`Too large resource version: ${wanted}, current: ${this.revision}`, {
        causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version', field: '' }],
        retryAfterSeconds: 1,
      });
    }
    const keys = [...this.objects.keys()].sort();
    const items: T[] = [];
    for (const key of keys) {
      const obj = this.objects.get(key)!;
      if (matchesFilter(obj, opts, this.strategy)) items.push(obj);
    }
    const info = this.strategy.info;
    const list: KubeList<T> = { apiVersion: apiVersionOf(info), kind: `${info.kind}List`, metadata: { resourceVersion: String(this.revision) }, items };
    return withWarnings(list, this.corruptWarnings(opts.namespace));
  }

  /**
   * A watch of the objects passing the filter (see CacheWatchOptions). Filtered watchers see
   * an object that stops matching as DELETED and one that starts matching as ADDED. Objects
   * are shared and frozen. Throws GoneError ("too old resource version: X (Y)") when the
   * version is older than the ring reaches.
   */
  async watch(opts: CacheWatchOptions = {}): Promise<CacheWatcher<T>> {
    await this.ready;
    if (this.stopped) throw new ServiceUnavailableError('the watch cache is stopped');
    const from = opts.resourceVersion && opts.resourceVersion !== '0' ? parseResourceVersion(opts.resourceVersion) : undefined;
    const backlog: WatchEvent<T>[] = [];
    let start: number;
    if (from === undefined) {
      start = this.revision;
      for (const key of [...this.objects.keys()].sort()) {
        const obj = this.objects.get(key)!;
        if (matchesFilter(obj, opts, this.strategy)) backlog.push({ type: 'ADDED', object: obj });
      }
    } else {
      const events = this.ring.eventsAfter(from);
      if (events === undefined) throw new GoneError(`too old resource version: ${from} (${this.ring.startRevision + 1})`);
      start = from;
      for (const e of events) {
        const out = this.project(e, opts);
        if (out) backlog.push(out);
        start = Math.max(start, e.revision);
      }
    }
    const limits = { events: opts.queueSize ?? this.queueLimits.events, bytes: opts.queueBytes ?? this.queueLimits.bytes };
    const watcher = new CacheWatcher<T>(opts, opts.bookmarks ?? false, limits, start, backlog, (w, reason) => {
      this.watchers.delete(w);
      this.onWatcherEnded?.(reason);
    });
    this.watchers.add(watcher);
    return watcher;
  }

  // ---- the reflector ----

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.relist();
        this.resolveReady();
        const err = await this.follow();
        if (this.stopped) return;
        this.logger?.warn({ resource: this.strategy.info.resource, err: err?.message }, 'watch cache lost its store watch; re-listing');
      } catch (err) {
        if (this.stopped) return;
        this.logger?.warn({ resource: this.strategy.info.resource, err: (err as Error).message }, 'watch cache list failed; retrying');
        await new Promise((r) => setTimeout(r, RETRY_DELAY_MS).unref());
      }
    }
  }

  /** Loads every object at one revision (paged), replacing the cache and ending all watchers. */
  private async relist(): Promise<void> {
    const end = prefixRangeEnd(this.prefix);
    const objects = new Map<string, T>();
    const corrupt = new Map<string, string>();
    let start = this.prefix;
    let revision = 0;
    for (;;) {
      const res = await this.client.get(start, { rangeEnd: end, revision, limit: RELIST_PAGE_SIZE });
      if (revision === 0) revision = res.revision;
      for (const kv of res.kvs) {
        const obj = this.decode(kv, corrupt);
        if (obj) objects.set(kv.key.toString('utf8'), obj);
      }
      if (!res.more || res.kvs.length === 0) break;
      start = res.kvs[res.kvs.length - 1]!.key.toString('utf8') + '\u0000';
    }
    if (this.stopped) return;
    for (const w of [...this.watchers]) w.end('cache-reset');
    this.objects = objects;
    this.corrupt = corrupt;
    for (const l of this.listeners) l.reset([...objects.values()]);
    this.ring = new EventRing<T>(this.capacity, revision);
    this.advance(revision);
  }

  /** Watches from the cache's revision + 1 until the watch ends; resolves with its error. */
  private async follow(): Promise<StoreError | Error | undefined> {
    for (;;) {
      const handle = this.client.watch(
        this.prefix,
        { prefix: true, startRevision: this.revision + 1, prevKv: true, progressNotify: true },
        (events, revision) => this.onEvents(events, revision),
      );
      this.handle = handle;
      const err = await handle.closed;
      this.handle = undefined;
      if (this.stopped || err === undefined || err instanceof WatchCompactedError || err instanceof ErrCompacted) return err;
      // Cancelled for another reason: resume from where we are.
      this.logger?.warn({ resource: this.strategy.info.resource, err: err.message }, 'watch cache store watch ended; resuming');
      await new Promise((r) => setTimeout(r, RETRY_DELAY_MS).unref());
      if (this.stopped) return undefined;
    }
  }

  private onEvents(events: Event[], revision: number): void {
    if (this.stopped) return;
    if (events.length === 0) {
      // Progress notification: every change up to `revision` has been delivered.
      this.advance(revision);
      return;
    }
    const admitted = [...this.watchers].filter((w) => w.admitBatch());
    for (const ev of events) {
      const change = this.apply(ev);
      if (!change) continue;
      for (const l of this.listeners) l.changed(change.prevObject, change.type === 'DELETED' ? undefined : change.object);
      this.ring.push(change);
      for (const w of admitted) {
        if (change.revision <= w.startRevision) continue;
        const out = this.project(change, w.filter);
        if (out) w.offer(out, change.revision, change.bytes);
      }
    }
    this.advance(Math.max(...events.map((e) => e.kv?.modRevision ?? 0)));
  }

  /** Applies one store event to the object map; the cache event it makes, if any. */
  private apply(ev: Event): CacheEvent<T> | undefined {
    const kv = ev.kv;
    if (!kv) return undefined;
    const key = kv.key.toString('utf8');
    const prev = this.objects.get(key);
    if (ev.type === Event_EventType.DELETE) {
      const last = prev ?? (ev.prevKv && !this.corrupt.has(key) ? this.decode(ev.prevKv) : undefined);
      this.objects.delete(key);
      this.corrupt.delete(key);
      if (!last) return undefined;
      const object = deepFreeze({ ...last, metadata: { ...last.metadata, resourceVersion: String(kv.modRevision) } } as T);
      const bytes = ev.prevKv?.value.length ?? encodeObject(last).length;
      return { type: 'DELETED', key, object, prevObject: last, revision: kv.modRevision, bytes };
    }
    const obj = this.decode(kv, this.corrupt);
    if (!obj) {
      // Now unreadable: watchers that saw it see it go; lists skip it with a warning.
      if (!prev) return undefined;
      this.objects.delete(key);
      return { type: 'DELETED', key, object: prev, prevObject: prev, revision: kv.modRevision, bytes: encodeObject(prev).length };
    }
    this.corrupt.delete(key);
    this.objects.set(key, obj);
    return { type: prev ? 'MODIFIED' : 'ADDED', key, object: obj, prevObject: prev, revision: kv.modRevision, bytes: kv.value.length };
  }

  /** What a watcher with `filter` sees of a change (selector transitions included), if anything. */
  private project(e: CacheEvent<T>, filter: ObjectFilter): WatchEvent<T> | undefined {
    const prevMatch = e.prevObject !== undefined && matchesFilter(e.prevObject, filter, this.strategy);
    if (e.type === 'DELETED') return prevMatch ? { type: 'DELETED', object: e.object } : undefined;
    const curMatch = matchesFilter(e.object, filter, this.strategy);
    if (curMatch) return { type: prevMatch ? 'MODIFIED' : 'ADDED', object: e.object };
    return prevMatch ? { type: 'DELETED', object: e.object } : undefined;
  }

  /** The frozen object a key-value holds; a corrupt one is logged, recorded in `corrupt` and skipped. */
  private decode(kv: KeyValue, corrupt?: Map<string, string>): T | undefined {
    try {
      return decodeObject<T>(kv, { schema: this.schema, freeze: true, transformer: this.transformer });
    } catch (err) {
      if (!(err instanceof CorruptObjectError)) throw err;
      this.logger?.error({ key: err.key, err: err.reason }, 'watch cache skipped a corrupt object');
      corrupt?.set(err.key, err.reason);
      return undefined;
    }
  }

  /** The warnings for the corrupt objects a list of `namespace` (or of all) skipped. */
  private corruptWarnings(namespace: string | undefined): string[] {
    if (this.corrupt.size === 0) return [];
    const under = listPrefix(this.strategy.info, namespace);
    const out: string[] = [];
    for (const [key, reason] of this.corrupt) if (key.startsWith(under)) out.push(skippedObjectWarning(key, reason));
    return out.sort();
  }

  private advance(revision: number): void {
    if (revision <= this.revision) return;
    this.revision = revision;
    const due = this.waiters.filter((w) => w.revision <= revision);
    if (due.length === 0) return;
    this.waiters = this.waiters.filter((w) => w.revision > revision);
    for (const w of due) w.resolve();
  }

  private waitFor(revision: number, timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const waiter = { revision, resolve: () => (clearTimeout(timer), resolve()) };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve();
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  private sendBookmarks(): void {
    const info = this.strategy.info;
    for (const w of this.watchers) {
      if (!w.bookmarks || this.revision <= w.lastRevision) continue;
      const object = deepFreeze({ apiVersion: apiVersionOf(info), kind: info.kind, metadata: { resourceVersion: String(this.revision) } } as T);
      w.offerBookmark({ type: 'BOOKMARK', object }, this.revision);
    }
  }
}
