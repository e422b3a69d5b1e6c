/**
 * A shared informer, after client-go's `tools/cache`: list, then watch from the list's
 * resourceVersion, keeping an indexed in-memory cache and telling handlers about every change.
 *
 * - Watch errors: the watch is restarted from the last resourceVersion seen, after an
 *   exponential backoff ({@link WATCH_RETRY_BASE_MS}..{@link WATCH_RETRY_MAX_MS}).
 * - 410 Gone (an error with `code === 410`): the informer lists again and replaces its cache,
 *   telling handlers the differences — adds, updates, and deletes of objects that vanished while
 *   it was disconnected — so handlers always see a consistent level.
 * - Resync (every `resyncPeriodMs`, 0 = off): every cached object is re-delivered as
 *   `onUpdate(obj, obj)`.
 * - Handlers run synchronously, in registration order, in the order changes are applied to the
 *   cache; they should only enqueue keys. A handler that throws is logged and skipped.
 * - Objects handed out (to handlers and by the lister) are the cache's own: never mutate them.
 */
import type { Logger } from 'pino';
import { KubeObject } from '../api/object';
import { Selector } from '../api/label-selector';
import { Clock, realClock, Timer } from './clock';

/** First delay before a failed list or watch is retried, in milliseconds (client-go: 800 ms). */
export const WATCH_RETRY_BASE_MS = 800;
/** Cap of the list/watch retry backoff, in milliseconds (client-go: 30 s). */
export const WATCH_RETRY_MAX_MS = 30_000;
/** HTTP-style code of the error that means "resourceVersion too old": re-list. */
export const GONE_CODE = 410;
/** Name of the built-in index of objects by namespace. */
export const NAMESPACE_INDEX = 'namespace';
/** Conventional name of the index of pods by `spec.nodeName` (see {@link indexByNodeName}). */
export const NODE_NAME_INDEX = 'nodeName';

/** One watch event as the apiserver sends it. BOOKMARK carries only a resourceVersion. */
export interface WatchEvent<T extends KubeObject> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';
  object: T;
}

/** A running watch. */
export interface WatchHandle {
  stop(): void;
}

/** What an informer needs from the API for one kind (and optionally one namespace or selector). */
export interface ListerWatcher<T extends KubeObject> {
  /** A consistent list and the resourceVersion it was read at. */
  list(): Promise<{ items: T[]; resourceVersion: string }>;
  /**
   * Events after `resourceVersion`, in order, until `stop()` or `onError`. An error with
   * `code === 410` means the version is too old to resume from.
   */
  watch(resourceVersion: string, onEvent: (e: WatchEvent<T>) => void, onError: (err: unknown) => void): WatchHandle;
}

/** Callbacks for cache changes. All optional. */
export interface EventHandlers<T extends KubeObject> {
  onAdd?(obj: T): void;
  /** `old === new` on resync. */
  onUpdate?(oldObj: T, newObj: T): void;
  /** The last state the informer knew (it may have missed later changes while disconnected). */
  onDelete?(obj: T): void;
}

/** Index function: the index values an object is filed under (none → not in the index). */
export type IndexFunc<T extends KubeObject> = (obj: T) => string[];

/** The cache key of an object: `namespace/name`, or `name` for cluster-scoped objects. */
export function objectKey(obj: KubeObject): string {
  const ns = obj.metadata.namespace;
  const name = obj.metadata.name ?? '';
  return ns ? `${ns}/${name}` : name;
}

/** Splits a key made by {@link objectKey} into namespace ("" when cluster-scoped) and name. */
export function splitObjectKey(key: string): { namespace: string; name: string } {
  const slash = key.indexOf('/');
  return slash < 0 ? { namespace: '', name: key } : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

/** Index function of {@link NAMESPACE_INDEX}. */
export function indexByNamespace(obj: KubeObject): string[] {
  return [obj.metadata.namespace ?? ''];
}

/** Files an object under its `spec.nodeName`, when it has one (pods bound to a node). */
export function indexByNodeName(obj: KubeObject): string[] {
  const node = obj.spec?.['nodeName'];
  return typeof node === 'string' && node !== '' ? [node] : [];
}

/** An in-memory store of objects by key, with named indexes kept up to date on every change. */
export class Indexer<T extends KubeObject> {
  private readonly items = new Map<string, T>();
  /** index name → index value → keys */
  private readonly indices = new Map<string, Map<string, Set<string>>>();
  private readonly indexers: Map<string, IndexFunc<T>>;

  constructor(indexers: Record<string, IndexFunc<T>> = {}) {
    this.indexers = new Map(Object.entries({ [NAMESPACE_INDEX]: indexByNamespace as IndexFunc<T>, ...indexers }));
    for (const name of this.indexers.keys()) this.indices.set(name, new Map());
  }

  /**
   * Adds named indexes (also over the objects already stored). A name already in use must
   * come with the same function: two callers sharing an informer may both ask for one index.
   */
  addIndexers(indexers: Record<string, IndexFunc<T>>): void {
    for (const [name, fn] of Object.entries(indexers)) {
      const existing = this.indexers.get(name);
      if (existing === fn) continue;
      if (existing) throw new Error(`informer: index "${name}" already exists with another function`);
      this.indexers.set(name, fn);
      const index = new Map<string, Set<string>>();
      this.indices.set(name, index);
      for (const [key, obj] of this.items) fileUnder(index, key, fn(obj));
    }
  }

  /** Stores `obj` under its key; returns the object it replaced, if any. */
  upsert(obj: T): T | undefined {
    const key = objectKey(obj);
    const old = this.items.get(key);
    if (old) this.unindex(key, old);
    this.items.set(key, obj);
    this.index(key, obj);
    return old;
  }

  /** Removes the object under `key`; returns it, if there was one. */
  remove(key: string): T | undefined {
    const old = this.items.get(key);
    if (!old) return undefined;
    this.unindex(key, old);
    this.items.delete(key);
    return old;
  }

  /** The object under `key`. */
  getByKey(key: string): T | undefined {
    return this.items.get(key);
  }

  /** All keys. */
  keys(): string[] {
    return [...this.items.keys()];
  }

  /** All objects. */
  list(): T[] {
    return [...this.items.values()];
  }

  /** Number of objects. */
  get size(): number {
    return this.items.size;
  }

  /** The objects filed under `value` in index `indexName`; throws if there is no such index. */
  byIndex(indexName: string, value: string): T[] {
    const index = this.indices.get(indexName);
    if (!index) throw new Error(`informer: no index named "${indexName}"`);
    const keys = index.get(value);
    return keys ? [...keys].map((k) => this.items.get(k) as T) : [];
  }

  private index(key: string, obj: T): void {
    for (const [name, fn] of this.indexers) {
      fileUnder(this.indices.get(name) as Map<string, Set<string>>, key, fn(obj));
    }
  }

  private unindex(key: string, obj: T): void {
    for (const [name, fn] of this.indexers) {
      const index = this.indices.get(name) as Map<string, Set<string>>;
      for (const v of fn(obj)) {
        const set = index.get(v);
        if (!set) continue;
        set.delete(key);
        if (set.size === 0) index.delete(v);
      }
    }
  }
}

/** Adds `key` to `index` under each of `values`. */
function fileUnder(index: Map<string, Set<string>>, key: string, values: string[]): void {
  for (const v of values) {
    let set = index.get(v);
    if (!set) index.set(v, (set = new Set()));
    set.add(key);
  }
}

/** Read access to an informer's cache. */
export interface Lister<T extends KubeObject> {
  /** The object `namespace/name` (namespace "" for cluster-scoped kinds). */
  get(namespace: string, name: string): T | undefined;
  /** All cached objects whose labels match `selector` (all when omitted). */
  list(selector?: Selector): T[];
  /** Cached objects in `namespace` whose labels match `selector`. */
  listInNamespace(namespace: string, selector?: Selector): T[];
  /** The objects filed under `value` in index `indexName`. */
  byIndex(indexName: string, value: string): T[];
}

/** Options of a {@link SharedInformer}. */
export interface InformerOptions<T extends KubeObject> {
  /** Period of resync in milliseconds; 0 (default) = off. */
  resyncPeriodMs?: number;
  /** Custom indexes by name (the namespace index is always there). */
  indexers?: Record<string, IndexFunc<T>>;
  clock?: Clock;
  logger?: Logger;
  /** First retry delay of list/watch failures, ms. */
  retryBaseMs?: number;
  /** Cap of list/watch retry delays, ms. */
  retryMaxMs?: number;
}

/** List-then-watch cache of one kind with handlers and indexes. See the file comment. */
export class SharedInformer<T extends KubeObject> {
  /** Read access to the cache. */
  readonly lister: Lister<T>;
  private readonly store: Indexer<T>;
  private readonly handlers: EventHandlers<T>[] = [];
  private readonly clock: Clock;
  private readonly logger?: Logger;
  private readonly resyncPeriodMs: number;
  private readonly retryBaseMs: number;
  private readonly retryMaxMs: number;
  private synced = false;
  private syncWaiters: (() => void)[] = [];
  private running = false;
  private stopped = false;
  /** Bumped whenever the current watch is abandoned, so late events of an old watch are dropped. */
  private generation = 0;
  private lastResourceVersion = '';
  private watch?: WatchHandle;
  private retryTimer?: Timer;
  private resyncTimer?: Timer;
  private failures = 0;

  constructor(
    private readonly lw: ListerWatcher<T>,
    options: InformerOptions<T> = {},
  ) {
    this.store = new Indexer<T>(options.indexers);
    this.clock = options.clock ?? realClock;
    this.logger = options.logger;
    this.resyncPeriodMs = options.resyncPeriodMs ?? 0;
    this.retryBaseMs = options.retryBaseMs ?? WATCH_RETRY_BASE_MS;
    this.retryMaxMs = options.retryMaxMs ?? WATCH_RETRY_MAX_MS;
    const store = this.store;
    this.lister = {
      get: (namespace, name) => store.getByKey(namespace ? `${namespace}/${name}` : name),
      list: (selector) => store.list().filter((o) => !selector || selector.matches(o.metadata.labels)),
      listInNamespace: (namespace, selector) =>
        store.byIndex(NAMESPACE_INDEX, namespace).filter((o) => !selector || selector.matches(o.metadata.labels)),
      byIndex: (indexName, value) => store.byIndex(indexName, value),
    };
  }

  /**
   * Registers handlers. Objects already cached are delivered to the new handlers as adds at
   * once, so a late handler sees the same level as the others.
   */
  addEventHandler(handlers: EventHandlers<T>): void {
    this.handlers.push(handlers);
    for (const obj of this.store.list()) this.call('onAdd', () => handlers.onAdd?.(obj));
  }

  /** Starts listing and watching; idempotent. */
  run(): void {
    if (this.running || this.stopped) return;
    this.running = true;
    void this.relist();
    if (this.resyncPeriodMs > 0) this.scheduleResync();
  }

  /** Stops the watch and all timers; the cache stays readable. Cannot be restarted. */
  stop(): void {
    this.stopped = true;
    this.generation++;
    this.watch?.stop();
    this.watch = undefined;
    this.retryTimer?.cancel();
    this.resyncTimer?.cancel();
    for (const w of this.syncWaiters.splice(0)) w();
  }

  /** True once the first list has been applied to the cache. */
  hasSynced(): boolean {
    return this.synced;
  }

  /** Resolves once the first list has been applied (or the informer is stopped). */
  waitForSync(): Promise<void> {
    if (this.synced || this.stopped) return Promise.resolve();
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  /** The resourceVersion of the last list, event or bookmark applied. */
  lastSyncResourceVersion(): string {
    return this.lastResourceVersion;
  }

  /** The objects filed under `value` in index `indexName`. */
  byIndex(indexName: string, value: string): T[] {
    return this.store.byIndex(indexName, value);
  }

  /** Adds named indexes (see {@link Indexer.addIndexers}); allowed at any time. */
  addIndexers(indexers: Record<string, IndexFunc<T>>): void {
    this.store.addIndexers(indexers);
  }

  /** Whether run() was called and stop() was not. */
  isRunning(): boolean {
    return this.running && !this.stopped;
  }

  private async relist(): Promise<void> {
    const generation = ++this.generation;
    this.watch?.stop();
    this.watch = undefined;
    let result: { items: T[]; resourceVersion: string };
    try {
      result = await this.lw.list();
    } catch (err) {
      if (generation !== this.generation || this.stopped) return;
      this.logger?.warn({ err }, 'informer list failed');
      this.retryLater(() => void this.relist());
      return;
    }
    if (generation !== this.generation || this.stopped) return;
    this.replace(result.items);
    this.lastResourceVersion = result.resourceVersion;
    if (!this.synced) {
      this.synced = true;
      for (const w of this.syncWaiters.splice(0)) w();
    }
    this.startWatch();
  }

  /** Makes the cache equal to `items`, telling handlers adds, updates, then deletes. */
  private replace(items: T[]): void {
    const seen = new Set<string>();
    for (const obj of items) {
      seen.add(objectKey(obj));
      const old = this.store.upsert(obj);
      if (old) this.emitUpdate(old, obj);
      else this.emitAdd(obj);
    }
    for (const key of this.store.keys()) {
      if (seen.has(key)) continue;
      const old = this.store.remove(key) as T;
      this.emitDelete(old);
    }
  }

  private startWatch(): void {
    const generation = ++this.generation;
    let handle: WatchHandle | undefined;
    const onEvent = (e: WatchEvent<T>): void => {
      if (generation !== this.generation || this.stopped) return;
      this.failures = 0;
      this.apply(e);
    };
    const onError = (err: unknown): void => {
      if (generation !== this.generation || this.stopped) return;
      this.generation++;
      handle?.stop();
      this.watch = undefined;
      if (isGone(err)) {
        this.logger?.info({ resourceVersion: this.lastResourceVersion }, 'informer watch expired; re-listing');
        // At once the first time; with backoff when watches keep expiring before any event.
        if (this.failures === 0) {
          this.failures++;
          void this.relist();
        } else {
          this.retryLater(() => void this.relist());
        }
      } else {
        this.logger?.warn({ err, resourceVersion: this.lastResourceVersion }, 'informer watch failed; retrying');
        this.retryLater(() => this.startWatch());
      }
    };
    try {
      handle = this.lw.watch(this.lastResourceVersion, onEvent, onError);
    } catch (err) {
      onError(err);
      return;
    }
    if (generation === this.generation && !this.stopped) this.watch = handle;
    else handle.stop();
  }

  private apply(e: WatchEvent<T>): void {
    const rv = e.object.metadata.resourceVersion;
    switch (e.type) {
      case 'ADDED':
      case 'MODIFIED': {
        const old = this.store.upsert(e.object);
        if (old) this.emitUpdate(old, e.object);
        else this.emitAdd(e.object);
        break;
      }
      case 'DELETED': {
        const old = this.store.remove(objectKey(e.object));
        this.emitDelete(old ?? e.object);
        break;
      }
      case 'BOOKMARK':
        break;
    }
    if (rv) this.lastResourceVersion = rv;
  }

  private retryLater(fn: () => void): void {
    const delay = Math.min(this.retryMaxMs, this.retryBaseMs * Math.pow(2, this.failures));
    this.failures++;
    this.retryTimer?.cancel();
    this.retryTimer = this.clock.setTimer(delay, () => {
      if (!this.stopped) fn();
    });
  }

  private scheduleResync(): void {
    this.resyncTimer = this.clock.setTimer(this.resyncPeriodMs, () => {
      if (this.stopped) return;
      if (this.synced) for (const obj of this.store.list()) this.emitUpdate(obj, obj);
      this.scheduleResync();
    });
  }

  private emitAdd(obj: T): void {
    for (const h of this.handlers) this.call('onAdd', () => h.onAdd?.(obj));
  }

  private emitUpdate(oldObj: T, newObj: T): void {
    for (const h of this.handlers) this.call('onUpdate', () => h.onUpdate?.(oldObj, newObj));
  }

  private emitDelete(obj: T): void {
    for (const h of this.handlers) this.call('onDelete', () => h.onDelete?.(obj));
  }

  private call(which: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.logger?.error({ err, handler: which }, 'informer event handler threw');
    }
  }
}

/** Whether `err` is the "resourceVersion too old" error (`code === 410`). */
export function isGone(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === GONE_CODE;
}
