/**
 * The shared informer factory (client-go's SharedInformerFactory): one list+watch per kind —
 * and per namespace/selector scope — per process, however many controllers read that kind.
 *
 * Contract:
 * - `informer(info, scope?)` returns the same {@link SharedInformer} to every caller asking for
 *   the same resource and scope; callers add their own handlers and indexes to it (an index
 *   name two callers share must come with the same function — use the exported ones).
 * - `start()` runs every informer created so far; informers created after `start()` run at
 *   once. `waitForCacheSync()` resolves when every started informer has listed once (or the
 *   factory is stopped). `stop()` stops them all; a stopped factory is not restarted (the
 *   controller-manager builds a new one per leadership term).
 * - Resync is off unless `resyncPeriodMs` is given: level-triggered reconciles and requeues
 *   cover what a periodic resync would.
 */
import type { Logger } from 'pino';
import type { KubeObject, ResourceInfo } from '../api/object';
import type { ApiClient } from '../client/api-client';
import { listerWatcherFor, type ListWatchScope } from '../client/api-adapters';
import { type Clock, realClock } from '../client/clock';
import { type IndexFunc, SharedInformer } from '../client/informer';

/** Options of one informer request. */
export interface InformerRequest<T extends KubeObject> extends ListWatchScope {
  /** Indexes this caller needs (added to the shared informer). */
  readonly indexers?: Record<string, IndexFunc<T>>;
}

/** Constructor parameters of a {@link SharedInformerFactory}. */
export interface InformerFactoryOptions {
  readonly client: ApiClient;
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** Period of resync of every informer, ms; 0 (default) = off. */
  readonly resyncPeriodMs?: number;
}

/** One informer per resource and scope. See the file comment. */
export class SharedInformerFactory {
  private readonly informers = new Map<string, SharedInformer<KubeObject>>();
  private readonly client: ApiClient;
  private readonly clock: Clock;
  private readonly logger?: Logger;
  private readonly resyncPeriodMs: number;
  private started = false;
  private stopped = false;

  constructor(options: InformerFactoryOptions) {
    this.client = options.client;
    this.clock = options.clock ?? realClock;
    this.logger = options.logger;
    this.resyncPeriodMs = options.resyncPeriodMs ?? 0;
  }

  /** The shared informer of `info` in `request`'s scope (created on first request). */
  informer<T extends KubeObject = KubeObject>(info: ResourceInfo, request: InformerRequest<T> = {}): SharedInformer<T> {
    if (this.stopped) throw new Error(`informer factory: stopped; cannot serve ${info.resource}`);
    const key = scopeKey(info, request);
    let informer = this.informers.get(key) as SharedInformer<T> | undefined;
    if (!informer) {
      const scope: ListWatchScope = { namespace: request.namespace, labelSelector: request.labelSelector, fieldSelector: request.fieldSelector };
      informer = new SharedInformer<T>(listerWatcherFor(this.client.resource<T>(info), scope), {
        clock: this.clock,
        logger: this.logger?.child({ informer: key }),
        resyncPeriodMs: this.resyncPeriodMs,
      });
      this.informers.set(key, informer as unknown as SharedInformer<KubeObject>);
      if (this.started) informer.run();
    }
    if (request.indexers) informer.addIndexers(request.indexers);
    return informer;
  }

  /** Runs every informer (and, from now on, each new one at creation). */
  start(): void {
    if (this.stopped) return;
    this.started = true;
    for (const informer of this.informers.values()) informer.run();
  }

  /** Resolves when every informer created so far has synced (or the factory was stopped). */
  async waitForCacheSync(): Promise<void> {
    await Promise.all([...this.informers.values()].map((i) => i.waitForSync()));
  }

  /** Whether every informer created so far has synced. */
  hasSynced(): boolean {
    return [...this.informers.values()].every((i) => i.hasSynced());
  }

  /** Stops every informer; the caches stay readable. */
  stop(): void {
    this.stopped = true;
    for (const informer of this.informers.values()) informer.stop();
  }

  /** The scope keys of the informers created, e.g. `apps/replicasets` or `/pods?ns=web` (status pages, tests). */
  keys(): string[] {
    return [...this.informers.keys()];
  }
}

/** `group/resource`, plus the namespace and selectors when scoped. */
function scopeKey(info: ResourceInfo, scope: ListWatchScope): string {
  const parts = [
    scope.namespace ? `ns=${scope.namespace}` : '',
    scope.labelSelector ? `labels=${scope.labelSelector}` : '',
    scope.fieldSelector ? `fields=${scope.fieldSelector}` : '',
  ].filter((p) => p !== '');
  const base = `${info.group}/${info.resource}`;
  return parts.length > 0 ? `${base}?${parts.join('&')}` : base;
}
