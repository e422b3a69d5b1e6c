/**
 * The garbage collector (kube-controller-manager's `garbagecollector` controller): deletes
 * objects whose owners are all gone, and carries out the foreground and orphan deletions the
 * apiserver starts by adding the `foregroundDeletion` / `orphan` finalizer.
 *
 * Shape:
 * - At start it asks discovery for every resource that serves delete, list and watch (minus
 *   Events), takes one shared informer per resource, and feeds every add/update/delete into the
 *   {@link DependencyGraph} (nodes by uid, owner → dependents).
 * - The graph's effects fill two rate-limited work queues keyed by uid, each with its workers:
 *   attemptToDelete and attemptToOrphan.
 * - attemptToDelete(uid) decides from live reads, never from the cache alone: the object is read
 *   (absent or another uid → the graph is told: a "virtual delete"); each ownerReference is
 *   classified by a live GET of the owner at the reference's coordinates in the dependent's
 *   namespace — dangling (absent, or another uid: a reused name), waiting (being deleted in the
 *   foreground) or solid. With a solid owner, references to dangling and waiting owners are
 *   removed; with none, the object is deleted (Foreground when an owner waits and it has
 *   dependents itself, else by its own finalizers, else Background), with uid and
 *   resourceVersion preconditions. An owner being deleted in the foreground loses its
 *   finalizer once no dependent with blockOwnerDeletion remains.
 * - attemptToOrphan(uid) removes the owner's reference from each dependent, then the `orphan`
 *   finalizer.
 * - A cluster-scoped object cannot have a namespaced owner, nor a namespaced object an owner in
 *   another namespace: the graph reports OwnerRefInvalidNamespace Events; the live lookup in the
 *   dependent's namespace finds no such owner, so the reference counts as dangling (a
 *   cluster-scoped object's namespaced reference is left alone, as in Kubernetes).
 * - Malformed objects (no uid, malformed references) are skipped; a failing key is retried with
 *   its own backoff and never stops the others.
 */
import { FOREGROUND_FINALIZER, ORPHAN_FINALIZER, type PropagationPolicy } from '../../../lib/api/deletion-propagation';
import type { KubeObject, OwnerReference, ResourceInfo } from '../../../lib/api/object';
import { isNotFound } from '../../../lib/api/status';
import type { ServedResource } from '../../../lib/client/api-client';
import type { Timer } from '../../../lib/client/clock';
import type { EventRecorder } from '../../../lib/client/events';
import { ControllerRunner, type Controller, type ControllerContext, type ControllerDescriptor, type ReconcileResult } from '../../../lib/controller';
import type { Logger } from 'pino';
import { AbsentOwnerCache } from './absent-owner-cache';
import { deletableResources, ResourceResolver, UnknownKindError } from './deletable-resources';
import { DependencyGraph, type GraphEffects, type GraphNode, type ObservedMeta } from './graph';
import { describeIdentity, identityOf, ownerIdentity, ownerReferencesOf, type ObjectIdentity } from './identity';
import { GcOperations } from './operations';

/** The controller's name in `--controllers` (kube-controller-manager's). */
export const GARBAGE_COLLECTOR_CONTROLLER_NAME = 'garbagecollector';
/** The component its Events are recorded as (Kubernetes'). */
export const GARBAGE_COLLECTOR_COMPONENT = 'garbage-collector-controller';
/** Work queue names (Kubernetes', as the workqueue_* metrics label them). */
export const ATTEMPT_TO_DELETE_QUEUE = 'garbage_collector_attempt_to_delete';
export const ATTEMPT_TO_ORPHAN_QUEUE = 'garbage_collector_attempt_to_orphan';
/** Workers per queue (kube-controller-manager's --concurrent-gc-syncs default). */
export const GC_WORKERS = 20;
/** First retry delay of a failed discovery, ms; doubles up to {@link DISCOVERY_RETRY_MAX_MS}. */
export const DISCOVERY_RETRY_BASE_MS = 1_000;
/** Cap of the discovery retry delay, ms. */
export const DISCOVERY_RETRY_MAX_MS = 30_000;
/** The Event reason of an ownerReference that names an owner in another namespace (Kubernetes'). */
export const OWNER_REF_INVALID_NAMESPACE = 'OwnerRefInvalidNamespace';

export const garbageCollectorDescriptor: ControllerDescriptor = {
  name: GARBAGE_COLLECTOR_CONTROLLER_NAME,
  create: (ctx) => new GarbageCollector(ctx),
};

/** What the classification of an object's ownerReferences found. */
interface ClassifiedReferences {
  readonly solid: OwnerReference[];
  readonly dangling: OwnerReference[];
  readonly waiting: OwnerReference[];
}

/** A cluster-scoped object names a namespaced owner: never valid, never retried (Kubernetes' marker error). */
class NamespacedOwnerOfClusterScopedObject extends Error {}

/** The garbage collector. See the file comment. */
export class GarbageCollector implements Controller {
  private readonly logger: Logger;
  private readonly recorder: EventRecorder;
  private readonly ops: GcOperations;
  private readonly absentOwners = new AbsentOwnerCache();
  private resolver = new ResourceResolver([]);
  readonly graph = new DependencyGraph((apiVersion, kind) => this.resolver.namespaced(apiVersion, kind), this.absentOwners);
  private readonly deleteRunner: ControllerRunner<string>;
  private readonly orphanRunner: ControllerRunner<string>;
  private stopped = false;
  private discoveryTimer?: Timer;
  private discoveryWake?: () => void;

  constructor(private readonly ctx: ControllerContext) {
    this.logger = ctx.logger.child({ controller: GARBAGE_COLLECTOR_CONTROLLER_NAME });
    this.recorder = ctx.recorder(GARBAGE_COLLECTOR_COMPONENT);
    this.ops = new GcOperations(ctx.client);
    const runner = (name: string, reconcile: (uid: string) => Promise<ReconcileResult | void>) =>
      new ControllerRunner<string>({ name, reconcile, workers: GC_WORKERS, clock: ctx.clock, logger: this.logger, metrics: ctx.workQueueMetrics?.(name) });
    this.deleteRunner = runner(ATTEMPT_TO_DELETE_QUEUE, (uid) => this.attemptToDelete(uid));
    this.orphanRunner = runner(ATTEMPT_TO_ORPHAN_QUEUE, (uid) => this.attemptToOrphan(uid));
  }

  /** Discovers the deletable resources (retrying until it succeeds or the collector stops), builds the graph, starts the workers. */
  async run(): Promise<void> {
    const served = await this.discover();
    if (!served) return;
    const resources = deletableResources(served);
    this.resolver = new ResourceResolver(served);
    const informers = resources.map((info) => {
      const informer = this.ctx.informers.informer(info);
      informer.addEventHandler({
        onAdd: (obj) => this.observe(info, obj),
        onUpdate: (old, obj) => this.observe(info, obj, old),
        onDelete: (obj) => this.observeDeletion(info, obj),
      });
      return informer;
    });
    await Promise.all(informers.map((i) => i.waitForSync()));
    if (this.stopped) return;
    this.logger.info({ resources: resources.map((r) => `${r.group}/${r.resource}`), nodes: this.graph.size }, 'garbage collector synced');
    this.deleteRunner.start();
    this.orphanRunner.start();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.discoveryTimer?.cancel();
    this.discoveryWake?.();
    await Promise.all([this.deleteRunner.stop(), this.orphanRunner.stop()]);
  }

  /** Queue lengths and reconcile counts (status pages, tests). */
  stats(): { readonly attemptToDelete: ReturnType<ControllerRunner['stats']>; readonly attemptToOrphan: ReturnType<ControllerRunner['stats']>; readonly nodes: number } {
    return { attemptToDelete: this.deleteRunner.stats(), attemptToOrphan: this.orphanRunner.stats(), nodes: this.graph.size };
  }

  // ---- discovery ----

  private async discover(): Promise<ServedResource[] | undefined> {
    for (let failures = 0; !this.stopped; failures++) {
      try {
        return await this.ctx.client.discover();
      } catch (err) {
        const delayMs = Math.min(DISCOVERY_RETRY_MAX_MS, DISCOVERY_RETRY_BASE_MS * 2 ** failures);
        this.logger.warn({ err: (err as Error)?.message ?? String(err), retryInMs: delayMs }, 'garbage collector: discovery failed; retrying');
        await new Promise<void>((resolve) => {
          this.discoveryWake = resolve;
          this.discoveryTimer = this.ctx.clock.setTimer(delayMs, resolve);
        });
      }
    }
    return undefined;
  }

  // ---- graph changes (informer handlers: in-memory work and enqueues only) ----

  private observe(info: ResourceInfo, obj: KubeObject, old?: KubeObject): void {
    const id = identityOf(obj, info);
    if (!id) return; // nothing without a uid can own or be collected
    this.apply(this.graph.observe(id, metaOf(obj), old ? metaOf(old) : undefined));
  }

  private observeDeletion(info: ResourceInfo, obj: KubeObject): void {
    const id = identityOf(obj, info);
    if (id) this.apply(this.graph.observeDeletion(id));
  }

  private apply(fx: GraphEffects): void {
    for (const uid of fx.attemptToDelete) this.deleteRunner.enqueue(uid);
    for (const uid of fx.attemptToDeleteLater) this.deleteRunner.queue.addRateLimited(uid);
    for (const uid of fx.attemptToOrphan) this.orphanRunner.enqueue(uid);
    for (const { dependent, owner } of fx.invalidOwnerReferences) {
      this.logger.info({ dependent: describeIdentity(dependent), owner: describeIdentity(owner) }, 'ownerReference names an owner in another namespace');
      this.recorder.eventf(
        { apiVersion: dependent.apiVersion, kind: dependent.kind, namespace: dependent.namespace || undefined, name: dependent.name, uid: dependent.uid },
        'Warning',
        OWNER_REF_INVALID_NAMESPACE,
        'ownerRef %s does not exist in namespace %s',
        describeIdentity(owner),
        JSON.stringify(dependent.namespace),
      );
    }
  }

  /** The graph learns that `id` does not exist (a live read said so). */
  private virtualDelete(id: ObjectIdentity): void {
    this.apply(this.graph.virtualDelete(id));
  }

  // ---- attemptToDelete ----

  private async attemptToDelete(uid: string): Promise<ReconcileResult | void> {
    const node = this.graph.node(uid);
    if (!node) return; // deleted meanwhile: its dependents were queued then
    // Being deleted is a one-way trip: wait for the deletion, then look at the dependents.
    if (node.beingDeleted && !node.deletingDependents) return;
    const id = node.identity;
    const info = this.resolve(id.apiVersion, id.kind);
    let latest: KubeObject;
    try {
      latest = await this.ops.get(info, id.namespace, id.name);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      return this.virtualDelete(id);
    }
    if (latest.metadata.uid !== id.uid) return this.virtualDelete(id);
    if (node.deletingDependents) return this.processDeletingDependents(node, info);
    const result = await this.collectIfOrphaned(node, info, latest);
    // A virtual node whose object exists: look again until an informer shows it (or it goes).
    return result ?? (this.graph.node(uid)?.observed === false ? { requeue: true } : undefined);
  }

  private async collectIfOrphaned(node: GraphNode, info: ResourceInfo, latest: KubeObject): Promise<ReconcileResult | void> {
    const refs = ownerReferencesOf(latest);
    if (refs.length === 0) return;
    let classified: ClassifiedReferences;
    try {
      classified = await this.classify(node, refs);
    } catch (err) {
      if (err instanceof NamespacedOwnerOfClusterScopedObject) {
        this.logger.info({ item: describeIdentity(node.identity) }, 'cluster-scoped object names a namespaced owner; left alone');
        return;
      }
      throw err;
    }
    const { solid, dangling, waiting } = classified;
    if (solid.length > 0) {
      if (dangling.length + waiting.length === 0) return;
      // References to owners waiting for their dependents go too, or those owners wait forever.
      await this.deleteVirtualOnNotFound(node.identity, () => this.ops.removeOwnerReferences(info, latest, new Set([...dangling, ...waiting].map((r) => r.uid))));
      return;
    }
    let policy: PropagationPolicy;
    if (waiting.length > 0 && node.dependents.size > 0) {
      // Break a possible cycle of foreground deletions waiting on each other.
      if ([...node.dependents].some((d) => d.deletingDependents)) await this.ops.unblockOwnerReferences(info, latest);
      policy = 'Foreground';
    } else {
      const finalizers = latest.metadata.finalizers ?? [];
      policy = finalizers.includes(ORPHAN_FINALIZER) ? 'Orphan' : finalizers.includes(FOREGROUND_FINALIZER) ? 'Foreground' : 'Background';
    }
    this.logger.info({ item: describeIdentity(node.identity), propagationPolicy: policy }, 'deleting object whose owners are gone');
    await this.deleteVirtualOnNotFound(node.identity, () =>
      this.ops.delete(info, node.identity, latest.metadata.resourceVersion, latest.metadata.ownerReferences, policy),
    );
  }

  /** Runs `write`; a NotFound means the object is gone: the graph is told. */
  private async deleteVirtualOnNotFound(id: ObjectIdentity, write: () => Promise<void>): Promise<void> {
    try {
      await write();
    } catch (err) {
      if (!isNotFound(err)) throw err;
      this.virtualDelete(id);
    }
  }

  /** An owner in foreground deletion: done when no dependent blocks it, else its blocking dependents are pushed. */
  private async processDeletingDependents(node: GraphNode, info: ResourceInfo): Promise<void> {
    const blocking = node.blockingDependents();
    if (blocking.length === 0) {
      this.logger.info({ item: describeIdentity(node.identity) }, 'no blocking dependents left; removing the foregroundDeletion finalizer');
      await this.ops.removeFinalizer(info, node.identity, FOREGROUND_FINALIZER);
      return;
    }
    for (const dep of blocking) if (!dep.deletingDependents) this.deleteRunner.enqueue(dep.uid);
  }

  /** Classifies each reference by a live lookup of the owner (see the file comment). */
  private async classify(node: GraphNode, refs: readonly OwnerReference[]): Promise<ClassifiedReferences> {
    const out: ClassifiedReferences = { solid: [], dangling: [], waiting: [] };
    for (const ref of refs) {
      const owner = await this.liveOwner(node, ref);
      if (!owner) out.dangling.push(ref);
      else if (owner.metadata.deletionTimestamp && (owner.metadata.finalizers ?? []).includes(FOREGROUND_FINALIZER)) out.waiting.push(ref);
      else out.solid.push(ref);
    }
    return out;
  }

  /** The owner `ref` names, read live; undefined when it is absent (or has another uid). */
  private async liveOwner(node: GraphNode, ref: OwnerReference): Promise<KubeObject | undefined> {
    const info = this.resolve(ref.apiVersion, ref.kind);
    if (node.identity.namespace === '' && info.namespaced) throw new NamespacedOwnerOfClusterScopedObject();
    const owner = ownerIdentity(ref, node.identity.namespace, info.namespaced);
    if (this.absentOwners.has(owner)) return undefined;
    let live: KubeObject;
    try {
      live = await this.ops.get(info, owner.namespace, owner.name);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      this.absentOwners.add(owner);
      return undefined;
    }
    if (live.metadata.uid !== ref.uid) {
      this.absentOwners.add(owner);
      return undefined;
    }
    return live;
  }

  // ---- attemptToOrphan ----

  private async attemptToOrphan(uid: string): Promise<void> {
    const node = this.graph.node(uid);
    if (!node) return;
    const failures: string[] = [];
    await Promise.all(
      [...node.dependents].map(async (dep) => {
        try {
          await this.orphan(dep, uid);
        } catch (err) {
          failures.push(`${describeIdentity(dep.identity)}: ${(err as Error)?.message ?? String(err)}`);
        }
      }),
    );
    if (failures.length > 0) throw new Error(`orphaning the dependents of ${describeIdentity(node.identity)} failed: ${failures.join('; ')}`);
    await this.ops.removeFinalizer(this.resolve(node.identity.apiVersion, node.identity.kind), node.identity, ORPHAN_FINALIZER);
  }

  /** Removes the reference to `ownerUid` from the live dependent (nothing when it is gone or was replaced). */
  private async orphan(dep: GraphNode, ownerUid: string): Promise<void> {
    const info = this.resolve(dep.identity.apiVersion, dep.identity.kind);
    let latest: KubeObject;
    try {
      latest = await this.ops.get(info, dep.identity.namespace, dep.identity.name);
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    if (latest.metadata.uid !== dep.uid) return;
    try {
      await this.ops.removeOwnerReferences(info, latest, new Set([ownerUid]));
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  private resolve(apiVersion: string, kind: string): ResourceInfo {
    const info = this.resolver.resolve(apiVersion, kind);
    if (!info) throw new UnknownKindError(apiVersion, kind);
    return info;
  }
}

/** The graph's view of an object's metadata. */
function metaOf(obj: KubeObject): ObservedMeta {
  const finalizers = obj.metadata?.finalizers;
  return {
    ownerReferences: ownerReferencesOf(obj),
    beingDeleted: !!obj.metadata?.deletionTimestamp,
    finalizers: Array.isArray(finalizers) ? finalizers.filter((f): f is string => typeof f === 'string') : [],
  };
}
