import type { Logger } from 'pino';
import type { KubeObject, ResourceInfo } from '../../../lib/api/object';
import { isNotFound } from '../../../lib/api/status';
import type { ApiClient, ServedResource } from '../../../lib/client/api-client';
import { listerWatcherFor } from '../../../lib/client/api-adapters';
import { SharedInformer } from '../../../lib/client/informer';
import { ItemExponentialFailureRateLimiter, RateLimitingQueue } from '../../../lib/client/work-queue';

/**
 * The namespace controller: empties namespaces being deleted, then releases them.
 *
 * A shared informer on namespaces feeds namespace names into a rate-limited work queue. For a
 * namespace with deletionTimestamp that still holds the "kubernetes" spec finalizer,
 * syncNamespace lists every namespaced resource the server serves (discovery) in it and deletes
 * each object (Background propagation; pods with grace 0, as no node agent stops them yet).
 * When every list came back empty it removes "kubernetes" from spec.finalizers through
 * namespaces/finalize, and the apiserver completes the deletion (other spec finalizers are
 * left to their owners). Objects still present (finalizers, graceful deletion) requeue the
 * namespace with backoff.
 */

/** The spec finalizer this controller owns. */
export const KUBERNETES_FINALIZER = 'kubernetes';
/** First retry delay of a namespace that is not empty yet, ms. */
export const NAMESPACE_RETRY_BASE_MS = 100;
/** Cap of the retry delay, ms (a namespace waiting on finalizers is looked at this often). */
export const NAMESPACE_RETRY_MAX_MS = 5_000;

const NAMESPACES: ResourceInfo = {
  group: '',
  version: 'v1',
  kind: 'Namespace',
  resource: 'namespaces',
  singular: 'namespace',
  namespaced: false,
  shortNames: ['ns'],
  categories: [],
};

/** A core/v1 Namespace as the controller reads it. */
export interface Namespace extends KubeObject {
  spec?: { finalizers?: string[] };
}

/** Constructor parameters of a NamespaceController. */
export interface NamespaceControllerOptions {
  readonly client: ApiClient;
  readonly logger?: Logger;
  /** Namespaces synced at once (default 2). */
  readonly workers?: number;
  readonly retryBaseMs?: number;
  readonly retryMaxMs?: number;
}

/** Result of one sync: finished, or to be tried again later. */
export type SyncResult = 'done' | 'requeue';

export class NamespaceController {
  private readonly client: ApiClient;
  private readonly logger?: Logger;
  private readonly workers: number;
  private readonly informer: SharedInformer<Namespace>;
  private readonly queue: RateLimitingQueue<string>;
  private running: Promise<void>[] = [];

  constructor(options: NamespaceControllerOptions) {
    this.client = options.client;
    this.logger = options.logger;
    this.workers = options.workers ?? 2;
    this.queue = new RateLimitingQueue<string>(
      undefined,
      new ItemExponentialFailureRateLimiter<string>(options.retryBaseMs ?? NAMESPACE_RETRY_BASE_MS, options.retryMaxMs ?? NAMESPACE_RETRY_MAX_MS),
    );
    this.informer = new SharedInformer<Namespace>(listerWatcherFor(this.client.resource<Namespace>(NAMESPACES)), { logger: this.logger });
    const enqueue = (ns: Namespace) => {
      if (ns.metadata.deletionTimestamp && ns.metadata.name) this.queue.add(ns.metadata.name);
    };
    this.informer.addEventHandler({ onAdd: enqueue, onUpdate: (_old, ns) => enqueue(ns) });
  }

  /** Starts the informer and the workers; resolves once the cache has synced. */
  async run(): Promise<void> {
    this.informer.run();
    await this.informer.waitForSync();
    for (let i = 0; i < this.workers; i++) this.running.push(this.worker());
  }

  /** Stops watching and the workers (a sync in progress finishes). */
  async stop(): Promise<void> {
    this.informer.stop();
    this.queue.shutDown();
    await Promise.all(this.running);
    this.running = [];
  }

  private async worker(): Promise<void> {
    for (;;) {
      const name = await this.queue.get();
      if (name === undefined) return;
      try {
        const result = await this.syncNamespace(name);
        if (result === 'done') this.queue.forget(name);
        else this.queue.addRateLimited(name);
      } catch (err) {
        this.logger?.warn({ namespace: name, err: (err as Error).message }, 'namespace sync failed; retrying');
        this.queue.addRateLimited(name);
      } finally {
        this.queue.done(name);
      }
    }
  }

  /**
   * One reconcile of the namespace `name`: nothing unless it is being deleted and still holds
   * the "kubernetes" finalizer; then delete its content, and finalize it once it is empty.
   */
  async syncNamespace(name: string): Promise<SyncResult> {
    const cached = this.informer.lister.get('', name);
    if (!cached || !cached.metadata.deletionTimestamp) return 'done';
    if (!(cached.spec?.finalizers ?? []).includes(KUBERNETES_FINALIZER)) return 'done';
    const remaining = await this.deleteContent(name);
    if (remaining > 0) {
      this.logger?.debug({ namespace: name, remaining }, 'namespace not empty yet');
      return 'requeue';
    }
    return this.finalize(name);
  }

  /** Deletes every object in namespace `ns`; the number of objects that are still stored. */
  private async deleteContent(ns: string): Promise<number> {
    let remaining = 0;
    for (const info of await this.namespacedResources()) {
      const client = this.client.resource(info);
      const list = await client.list(ns);
      for (const obj of list.items) {
        const objName = obj.metadata.name ?? '';
        try {
          const pod = info.group === '' && info.resource === 'pods';
          const outcome = await client.delete(ns, objName, { propagationPolicy: 'Background', ...(pod ? { gracePeriodSeconds: 0 } : {}) });
          if (!outcome.deleted) remaining++;
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
      }
    }
    return remaining;
  }

  /** Removes "kubernetes" from the namespace's spec.finalizers (the server then deletes it). */
  private async finalize(name: string): Promise<SyncResult> {
    const namespaces = this.client.resource<Namespace>(NAMESPACES);
    let current: Namespace;
    try {
      current = await namespaces.get(undefined, name);
    } catch (err) {
      if (isNotFound(err)) return 'done';
      throw err;
    }
    const finalizers = current.spec?.finalizers ?? [];
    if (!finalizers.includes(KUBERNETES_FINALIZER)) return 'done';
    const next: Namespace = { ...current, spec: { ...(current.spec ?? {}), finalizers: finalizers.filter((f) => f !== KUBERNETES_FINALIZER) } };
    await namespaces.finalize(name, next);
    this.logger?.info({ namespace: name }, 'namespace emptied and finalized');
    return 'done';
  }

  /** The namespaced resources served that can be listed and deleted, one version each. */
  private async namespacedResources(): Promise<ServedResource[]> {
    const seen = new Set<string>();
    const out: ServedResource[] = [];
    for (const r of await this.client.discover()) {
      const key = `${r.group}/${r.resource}`;
      if (!r.namespaced || seen.has(key)) continue;
      if (!r.verbs.includes('list') || !r.verbs.includes('delete')) continue;
      seen.add(key);
      out.push(r);
    }
    return out;
  }
}
