import type { Logger } from 'pino';
import type { WorkQueueMetrics } from '../../../lib/metrics';
import type { KubeObject } from '../../../lib/api/object';
import { RESOURCES } from '../../../lib/api/resources';
import type { Namespace } from '../../../lib/api/types/core';
import { isNotFound } from '../../../lib/api/status';
import type { ApiClient, ResourceClient, ServedResource } from '../../../lib/client/api-client';
import type { Clock } from '../../../lib/client/clock';
import type { EventRecorder } from '../../../lib/client/events';
import type { SharedInformer } from '../../../lib/client/informer';
import { ItemExponentialFailureRateLimiter } from '../../../lib/client/work-queue';
import type { Controller, ControllerContext } from '../../../lib/controller/controller-context';
import type { ControllerDescriptor } from '../../../lib/controller/controller-registry';
import { ControllerRunner, type ReconcileResult } from '../../../lib/controller/controller-runner';
import { SharedInformerFactory } from '../../../lib/controller/informer-factory';

/**
 * The namespace controller: empties namespaces being deleted, then releases them.
 *
 * The shared namespace informer feeds the names of namespaces being deleted to a
 * {@link ControllerRunner}. For a namespace with deletionTimestamp that still holds the
 * "kubernetes" spec finalizer, syncNamespace lists every namespaced resource the server serves
 * (discovery) in it and deletes each object (Background propagation; pods with grace 0, as no
 * node agent stops them yet). When every list came back empty it removes "kubernetes" from
 * spec.finalizers through namespaces/finalize, and the apiserver completes the deletion (other
 * spec finalizers are left to their owners). Objects still present (finalizers, graceful
 * deletion) requeue the namespace with backoff, and each such sync records a Warning Event about
 * the namespace (the reasons and messages of Kubernetes' namespace deletion conditions):
 * ContentDeletionFailed when deletes failed, SomeResourcesRemain (and SomeFinalizersRemain,
 * naming the finalizers) when objects are still stored; repeats are counted on one Event by the
 * recorder.
 */

/** The controller's name in `--controllers`. */
export const NAMESPACE_CONTROLLER_NAME = 'namespace';
/** The event source of the namespace controller (Kubernetes' component name). */
export const NAMESPACE_CONTROLLER_COMPONENT = 'namespace-controller';
/** The spec finalizer this controller owns. */
export const KUBERNETES_FINALIZER = 'kubernetes';
/** First retry delay of a namespace that is not empty yet, ms. */
export const NAMESPACE_RETRY_BASE_MS = 100;
/** Cap of the retry delay, ms (a namespace waiting on finalizers is looked at this often). */
export const NAMESPACE_RETRY_MAX_MS = 5_000;
/** Namespaces synced at once unless told otherwise. */
export const NAMESPACE_WORKERS = 2;
/** Event reason: deleting the namespace's content failed (Kubernetes' ContentDeletionFailed). */
export const REASON_CONTENT_DELETION_FAILED = 'ContentDeletionFailed';
/** Event reason: objects are still stored after their deletion (Kubernetes' SomeResourcesRemain). */
export const REASON_SOME_RESOURCES_REMAIN = 'SomeResourcesRemain';
/** Event reason: what is left waits for finalizers (Kubernetes' SomeFinalizersRemain). */
export const REASON_SOME_FINALIZERS_REMAIN = 'SomeFinalizersRemain';

const NAMESPACES = RESOURCES.namespaces;

export type { Namespace };

/** Constructor parameters of a NamespaceController. */
export interface NamespaceControllerOptions {
  readonly client: ApiClient;
  /** The shared informers (absent: the controller makes, starts and stops its own). */
  readonly informers?: SharedInformerFactory;
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** Namespaces synced at once (default {@link NAMESPACE_WORKERS}). */
  readonly workers?: number;
  readonly retryBaseMs?: number;
  readonly retryMaxMs?: number;
  /** Where the Warning Events about namespaces that can't be emptied go (none: not recorded). */
  readonly recorder?: EventRecorder;
  /** workqueue_* metrics of the controller's queue; none when absent. */
  readonly metrics?: WorkQueueMetrics;
}

/** What is left of a namespace's content after one round of deletes. */
interface ContentLeft {
  /** Objects still stored, by resource ("configmaps", "deployments.apps"). */
  readonly remaining: Map<string, number>;
  /** Objects still stored, by the finalizers they wait for. */
  readonly finalizers: Map<string, number>;
  /** Resources whose objects could not be listed or deleted, with why. */
  readonly errors: string[];
}

/** Result of one sync: finished, or to be tried again later. */
export type SyncResult = 'done' | 'requeue';

/** The registry entry of the namespace controller. */
export const namespaceControllerDescriptor: ControllerDescriptor = {
  name: NAMESPACE_CONTROLLER_NAME,
  create: (ctx: ControllerContext) =>
    new NamespaceController({
      client: ctx.client,
      informers: ctx.informers,
      clock: ctx.clock,
      logger: ctx.logger.child({ controller: NAMESPACE_CONTROLLER_NAME }),
      recorder: ctx.recorder(NAMESPACE_CONTROLLER_COMPONENT),
      metrics: ctx.workQueueMetrics?.(NAMESPACE_CONTROLLER_NAME),
    }),
};

export class NamespaceController implements Controller {
  private readonly client: ApiClient;
  private readonly logger?: Logger;
  private readonly recorder?: EventRecorder;
  private readonly informers: SharedInformerFactory;
  /** Whether this controller made the factory (then it starts and stops it). */
  private readonly ownsInformers: boolean;
  private readonly informer: SharedInformer<Namespace>;
  private readonly runner: ControllerRunner<string>;

  constructor(options: NamespaceControllerOptions) {
    this.client = options.client;
    this.logger = options.logger;
    this.recorder = options.recorder;
    this.ownsInformers = !options.informers;
    this.informers = options.informers ?? new SharedInformerFactory({ client: this.client, clock: options.clock, logger: this.logger });
    this.runner = new ControllerRunner<string>({
      name: NAMESPACE_CONTROLLER_NAME,
      reconcile: (name) => this.reconcile(name),
      workers: options.workers ?? NAMESPACE_WORKERS,
      clock: options.clock,
      logger: this.logger,
      rateLimiter: new ItemExponentialFailureRateLimiter<string>(options.retryBaseMs ?? NAMESPACE_RETRY_BASE_MS, options.retryMaxMs ?? NAMESPACE_RETRY_MAX_MS),
      metrics: options.metrics,
    });
    this.informer = this.informers.informer<Namespace>(NAMESPACES);
    const enqueue = (ns: Namespace) => {
      if (ns.metadata.deletionTimestamp && ns.metadata.name) this.runner.enqueue(ns.metadata.name);
    };
    this.informer.addEventHandler({ onAdd: enqueue, onUpdate: (_old, ns) => enqueue(ns) });
  }

  /** Waits for the namespace cache (starting the informers it owns), then starts the workers. */
  async run(): Promise<void> {
    if (this.ownsInformers) this.informers.start();
    await this.informer.waitForSync();
    this.runner.start();
  }

  /** Stops the workers (a sync in progress finishes), and the informers it owns. */
  async stop(): Promise<void> {
    await this.runner.stop();
    if (this.ownsInformers) this.informers.stop();
  }

  /** The runner's reconcile: a namespace not emptied yet is looked at again with backoff. */
  private async reconcile(name: string): Promise<ReconcileResult> {
    return (await this.syncNamespace(name)) === 'requeue' ? { requeue: true } : {};
  }

  /**
   * One reconcile of the namespace `name`: nothing unless it is being deleted and still holds
   * the "kubernetes" finalizer; then delete its content, and finalize it once it is empty.
   */
  async syncNamespace(name: string): Promise<SyncResult> {
    const cached = this.informer.lister.get('', name);
    if (!cached || !cached.metadata.deletionTimestamp) return 'done';
    if (!(cached.spec?.finalizers ?? []).includes(KUBERNETES_FINALIZER)) return 'done';
    const left = await this.deleteContent(name);
    if (left.errors.length > 0) {
      const why = left.errors.length === 1 ? left.errors[0]! : `[${left.errors.join(', ')}]`;
      this.recorder?.event(cached, 'Warning', REASON_CONTENT_DELETION_FAILED, `Failed to delete all resource types, ${left.errors.length} remaining: ${why}`);
      throw new Error(`deleting the content of namespace ${name} failed: ${why}`);
    }
    if (left.remaining.size > 0) {
      this.recordRemaining(cached, left);
      this.logger?.debug({ namespace: name, remaining: Object.fromEntries(left.remaining) }, 'namespace not empty yet');
      return 'requeue';
    }
    return this.finalize(name);
  }

  /**
   * Deletes every object in namespace `ns`: what is still stored afterwards (waiting for
   * finalizers or a graceful deletion), and the resources that failed.
   */
  private async deleteContent(ns: string): Promise<ContentLeft> {
    const left: ContentLeft = { remaining: new Map(), finalizers: new Map(), errors: [] };
    for (const info of await this.namespacedResources()) {
      const resource = info.group ? `${info.resource}.${info.group}` : info.resource;
      try {
        const client = this.client.resource(info);
        for (const obj of (await client.list(ns)).items) {
          const stillThere = await this.deleteOne(client, info, ns, obj.metadata.name ?? '');
          if (!stillThere) continue;
          count(left.remaining, resource);
          for (const f of stillThere.metadata.finalizers ?? []) count(left.finalizers, f);
        }
      } catch (err) {
        left.errors.push(`${resource}: ${(err as Error).message}`);
      }
    }
    return left;
  }

  /** Deletes one object; the object when it is still stored (only marked for deletion). */
  private async deleteOne(client: ResourceClient, info: ServedResource, ns: string, objName: string): Promise<KubeObject | undefined> {
    try {
      const pod = info.group === '' && info.resource === 'pods';
      const outcome = await client.delete(ns, objName, { propagationPolicy: 'Background', ...(pod ? { gracePeriodSeconds: 0 } : {}) });
      return outcome.deleted ? undefined : outcome.object;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /** The Warning Events of a namespace whose content is not gone yet (Kubernetes' condition messages). */
  private recordRemaining(ns: Namespace, left: ContentLeft): void {
    const resources = [...left.remaining].map(([r, n]) => `${r} has ${n} resource instances`).join(', ');
    this.recorder?.event(ns, 'Warning', REASON_SOME_RESOURCES_REMAIN, `Some resources are remaining: ${resources}`);
    if (left.finalizers.size === 0) return;
    const finalizers = [...left.finalizers].map(([f, n]) => `${f} in ${n} resource instances`).join(', ');
    this.recorder?.event(ns, 'Warning', REASON_SOME_FINALIZERS_REMAIN, `Some content in the namespace has finalizers remaining: ${finalizers}`);
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

/** Adds one to `key`'s count in `counts`. */
function count(counts: Map<string, number>, key: string): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}
