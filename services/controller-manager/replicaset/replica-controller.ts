/**
 * The replica controller (Kubernetes' ReplicaSet controller, which also runs
 * ReplicationControllers): keeps `spec.replicas` active pods for each owner of one
 * {@link ReplicaKind}.
 *
 * Handlers only enqueue owner keys and feed the expectations. One sync of an owner:
 * 1. reads the owner and its candidate pods from the caches (pods it controls, and orphans its
 *    selector matches), ignoring terminating and Succeeded/Failed pods;
 * 2. claims them (adopting matching orphans, releasing controlled pods that stopped matching);
 * 3. only when the expectations of its last creates/deletes are met (a stale cache must not
 *    make it act twice) and it is not being deleted: creates the missing pods from the template
 *    in slow-start batches, or deletes the surplus in ActivePods order — at most
 *    {@link BURST_REPLICAS} per sync either way;
 * 4. writes status (counts, observedGeneration, ReplicaFailure) when it changed, then throws the
 *    create/delete failure (retried with backoff), or asks to be looked at again when a ready pod
 *    becomes available after minReadySeconds.
 * Events about the owner: SuccessfulCreate / FailedCreate / SuccessfulDelete / FailedDelete with
 * Kubernetes' messages.
 */
import type { Logger } from 'pino';
import type { Selector } from '../../../lib/api/label-selector';
import type { ObjectReference } from '../../../lib/api/core-event';
import { apiVersionOf } from '../../../lib/api/object';
import { RESOURCES } from '../../../lib/api/resources';
import { isConflict, isNotFound } from '../../../lib/api/status';
import type { Pod } from '../../../lib/api/types/core';
import type { EventRecorder } from '../../../lib/client/events';
import { objectKey, splitObjectKey, type SharedInformer } from '../../../lib/client/informer';
import type { Controller, ControllerContext } from '../../../lib/controller/controller-context';
import { CONTROLLER_UID_INDEX, getControllerOf, indexByControllerUid, newControllerRef, resolveControllerRef } from '../../../lib/controller/controller-ref';
import { ControllerRefManager } from '../../../lib/controller/controller-ref-manager';
import { ControllerRunner, type ReconcileResult } from '../../../lib/controller/controller-runner';
import { ControllerExpectations } from '../../../lib/controller/expectations';
import { podsToDelete } from './deletion-order';
import { isPodActive } from './pod-readiness';
import type { ReplicaKind, ReplicaOwner } from './replica-kind';
import { calculateStatus, type ManageOutcome, REASON_FAILED_CREATE, REASON_FAILED_DELETE, statusDiffers } from './replica-status';
import { slowStartBatch } from './slow-start';

/** Most pods created or deleted for one owner in one sync (Kubernetes' BurstReplicas). */
export const BURST_REPLICAS = 500;
/** Owners synced at once (kube-controller-manager's --concurrent-replicaset-syncs default). */
export const REPLICA_WORKERS = 5;
/** Event reasons (Kubernetes' names). */
export const REASON_SUCCESSFUL_CREATE = 'SuccessfulCreate';
export const REASON_SUCCESSFUL_DELETE = 'SuccessfulDelete';
export { REASON_FAILED_CREATE, REASON_FAILED_DELETE };

const PODS = RESOURCES.pods;

/** Pod deletions this controller asked for and has not seen yet, per owner key (Kubernetes' UID-tracking expectations). */
type PendingDeletions = Map<string, Set<string>>;

/** Keeps the pods of every owner of one replica kind. See the file comment. */
export class ReplicaController implements Controller {
  private readonly owners: SharedInformer<ReplicaOwner>;
  private readonly pods: SharedInformer<Pod>;
  private readonly expectations: ControllerExpectations;
  private readonly pendingDeletions: PendingDeletions = new Map();
  private readonly runner: ControllerRunner<string>;
  private readonly recorder: EventRecorder;
  private readonly logger: Logger;

  constructor(
    private readonly ctx: ControllerContext,
    private readonly kind: ReplicaKind,
  ) {
    this.logger = ctx.logger.child({ controller: kind.controllerName });
    this.recorder = ctx.recorder(kind.component);
    this.expectations = new ControllerExpectations(ctx.clock);
    this.owners = ctx.informers.informer<ReplicaOwner>(kind.info);
    this.pods = ctx.informers.informer<Pod>(PODS, { indexers: { [CONTROLLER_UID_INDEX]: indexByControllerUid } });
    this.runner = new ControllerRunner<string>({ name: kind.controllerName, reconcile: (key) => this.sync(key), workers: REPLICA_WORKERS, clock: ctx.clock, logger: this.logger, metrics: ctx.workQueueMetrics?.(kind.controllerName) });
    this.owners.addEventHandler({
      onAdd: (o) => this.runner.enqueue(objectKey(o)),
      onUpdate: (_old, o) => this.runner.enqueue(objectKey(o)),
      onDelete: (o) => this.ownerDeleted(objectKey(o)),
    });
    this.pods.addEventHandler({
      onAdd: (p) => this.podAdded(p),
      onUpdate: (old, p) => this.podUpdated(old, p),
      onDelete: (p) => this.podDeleted(p),
    });
  }

  async run(): Promise<void> {
    await Promise.all([this.owners.waitForSync(), this.pods.waitForSync()]);
    this.runner.start();
  }

  stop(): Promise<void> {
    return this.runner.stop();
  }

  // ---- handlers: enqueue keys, observe expectations ----

  private ownerDeleted(key: string): void {
    this.expectations.delete(key);
    this.pendingDeletions.delete(key);
  }

  /** The cached owner `pod`'s controllerRef names, if it is of our kind. */
  private ownerOf(pod: Pod): ReplicaOwner | undefined {
    return resolveControllerRef(pod.metadata.namespace ?? '', getControllerOf(pod), this.kind.info, this.owners.lister);
  }

  /** Enqueues every owner in the pod's namespace whose selector matches it (an orphan to adopt). */
  private enqueueMatchingOwners(pod: Pod): void {
    for (const owner of this.owners.lister.listInNamespace(pod.metadata.namespace ?? '')) {
      const selector = this.selectorOrUndefined(owner);
      if (selector?.matches(pod.metadata.labels ?? {})) this.runner.enqueue(objectKey(owner));
    }
  }

  private podAdded(pod: Pod): void {
    if (pod.metadata.deletionTimestamp) {
      // Restarted informers may see a pod already being deleted: that is a deletion, not a creation.
      this.podDeleted(pod);
      return;
    }
    if (getControllerOf(pod)) {
      const owner = this.ownerOf(pod);
      if (!owner) return;
      const key = objectKey(owner);
      this.expectations.creationObserved(key);
      this.runner.enqueue(key);
      return;
    }
    this.enqueueMatchingOwners(pod);
  }

  private podUpdated(old: Pod, pod: Pod): void {
    if (old === pod || old.metadata.resourceVersion === pod.metadata.resourceVersion) return;
    const oldRef = getControllerOf(old);
    const ref = getControllerOf(pod);
    if (oldRef && oldRef.uid !== ref?.uid) {
      const previous = this.ownerOf(old);
      if (previous) this.runner.enqueue(objectKey(previous));
    }
    if (pod.metadata.deletionTimestamp && !old.metadata.deletionTimestamp) this.observeDeletion(pod);
    if (ref) {
      const owner = this.ownerOf(pod);
      if (owner) this.runner.enqueue(objectKey(owner));
      return;
    }
    if (oldRef || JSON.stringify(old.metadata.labels ?? {}) !== JSON.stringify(pod.metadata.labels ?? {})) this.enqueueMatchingOwners(pod);
  }

  private podDeleted(pod: Pod): void {
    const owner = this.ownerOf(pod);
    if (!owner) return;
    this.observeDeletion(pod);
    this.runner.enqueue(objectKey(owner));
  }

  /** Counts a deletion for the pod's owner once per pod this controller deleted. */
  private observeDeletion(pod: Pod): void {
    const owner = this.ownerOf(pod);
    if (!owner) return;
    const key = objectKey(owner);
    if (this.pendingDeletions.get(key)?.delete(objectKey(pod))) this.expectations.deletionObserved(key);
  }

  // ---- sync ----

  private selectorOrUndefined(owner: ReplicaOwner): Selector | undefined {
    try {
      return this.kind.selectorOf(owner);
    } catch {
      return undefined;
    }
  }

  /** One reconcile of the owner `key` (see the file comment). */
  async sync(key: string): Promise<ReconcileResult> {
    const { namespace, name } = splitObjectKey(key);
    const owner = this.owners.lister.get(namespace, name);
    if (!owner) {
      this.ownerDeleted(key);
      return {};
    }
    let selector: Selector;
    try {
      selector = this.kind.selectorOf(owner);
    } catch (err) {
      // A malformed selector never gets better by retrying; the owner is looked at again when it changes.
      this.logger.warn({ owner: key, err: String(err) }, 'invalid selector; owner skipped');
      return {};
    }
    const needsSync = this.expectations.satisfied(key);
    const candidates = this.candidatePods(owner, selector);
    const claimed = await new ControllerRefManager<ReplicaOwner, Pod>({
      owner,
      ownerInfo: this.kind.info,
      selector,
      children: this.ctx.client.resource<Pod>(PODS),
      getOwnerFresh: () => this.ctx.client.resource<ReplicaOwner>(this.kind.info).get(namespace, name).catch(() => undefined),
    }).claim(candidates);
    const outcome: ManageOutcome = needsSync && !owner.metadata.deletionTimestamp ? await this.manageReplicas(key, owner, claimed) : {};
    const { status, nextAvailableInMs } = calculateStatus({
      previous: owner.status,
      generation: owner.metadata.generation,
      pods: claimed,
      templateLabels: owner.spec?.template?.metadata?.labels ?? {},
      minReadySeconds: owner.spec?.minReadySeconds ?? 0,
      outcome,
      nowMs: this.ctx.clock.now(),
    });
    if (statusDiffers(owner.status, status)) await this.writeStatus(owner, status);
    if (outcome.error !== undefined) throw outcome.error;
    return nextAvailableInMs !== undefined ? { requeueAfterMs: nextAvailableInMs } : {};
  }

  /** The owner's active pods and the active orphans its selector matches, from the cache. */
  private candidatePods(owner: ReplicaOwner, selector: Selector): Pod[] {
    const uid = owner.metadata.uid ?? '';
    const controlled = this.pods.lister.byIndex(CONTROLLER_UID_INDEX, uid);
    const orphans = this.pods.lister.listInNamespace(owner.metadata.namespace ?? '', selector).filter((p) => !getControllerOf(p));
    return [...controlled, ...orphans].filter(isPodActive);
  }

  /** Creates or deletes pods so `pods` moves toward spec.replicas (at most BURST_REPLICAS). */
  private async manageReplicas(key: string, owner: ReplicaOwner, pods: readonly Pod[]): Promise<ManageOutcome> {
    const desired = owner.spec?.replicas ?? 1;
    const diff = pods.length - desired;
    if (diff < 0) {
      const count = Math.min(-diff, BURST_REPLICAS);
      this.expectations.expectCreations(key, count);
      const { successes, error } = await slowStartBatch(count, () => this.createPod(owner));
      // Creates that failed or were never made produce no watch event: stop expecting them.
      for (let i = successes; i < count; i++) this.expectations.creationObserved(key);
      return error === undefined ? {} : { error, reason: REASON_FAILED_CREATE };
    }
    if (diff > 0) {
      const victims = podsToDelete(pods, pods, Math.min(diff, BURST_REPLICAS));
      this.pendingDeletions.set(key, new Set(victims.map((p) => objectKey(p))));
      this.expectations.expectDeletions(key, victims.length);
      const results = await Promise.allSettled(victims.map((pod) => this.deletePod(key, owner, pod)));
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      return failed ? { error: failed.reason, reason: REASON_FAILED_DELETE } : {};
    }
    return {};
  }

  /** Creates one pod from the owner's template (Kubernetes' GetPodFromTemplate). */
  private async createPod(owner: ReplicaOwner): Promise<void> {
    const template = owner.spec?.template ?? {};
    const meta = template.metadata ?? {};
    const pod: Pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        generateName: `${owner.metadata.name}-`,
        namespace: owner.metadata.namespace,
        ...(meta.labels ? { labels: { ...meta.labels } } : {}),
        ...(meta.annotations ? { annotations: { ...meta.annotations } } : {}),
        ...(meta.finalizers ? { finalizers: [...meta.finalizers] } : {}),
        ownerReferences: [newControllerRef(owner, this.kind.info)],
      },
      spec: structuredClone(template.spec ?? {}),
    };
    try {
      const created = await this.ctx.client.resource<Pod>(PODS).create(owner.metadata.namespace, pod);
      this.recorder.event(this.refOf(owner), 'Normal', REASON_SUCCESSFUL_CREATE, `Created pod: ${created.metadata.name}`);
    } catch (err) {
      this.recorder.event(this.refOf(owner), 'Warning', REASON_FAILED_CREATE, `Error creating: ${errorMessage(err)}`);
      throw err;
    }
  }

  /** Deletes one pod (uid precondition: never another pod that took its name); a pod already gone is fine. */
  private async deletePod(key: string, owner: ReplicaOwner, pod: Pod): Promise<void> {
    try {
      await this.ctx.client.resource<Pod>(PODS).delete(pod.metadata.namespace, pod.metadata.name ?? '', { preconditions: { uid: pod.metadata.uid } });
      this.recorder.event(this.refOf(owner), 'Normal', REASON_SUCCESSFUL_DELETE, `Deleted pod: ${pod.metadata.name}`);
    } catch (err) {
      // No watch event will come for a delete that failed: stop expecting it.
      if (this.pendingDeletions.get(key)?.delete(objectKey(pod))) this.expectations.deletionObserved(key);
      if (isNotFound(err)) return;
      this.recorder.event(this.refOf(owner), 'Warning', REASON_FAILED_DELETE, `Error deleting: ${errorMessage(err)}`);
      throw err;
    }
  }

  /** Writes status through the status subresource; on a conflict re-reads the owner and tries once more. */
  private async writeStatus(owner: ReplicaOwner, status: ReplicaOwner['status']): Promise<void> {
    const client = this.ctx.client.resource<ReplicaOwner>(this.kind.info);
    const ns = owner.metadata.namespace;
    try {
      await client.updateStatus(ns, { ...owner, status });
    } catch (err) {
      if (!isConflict(err)) throw err;
      const fresh = await client.get(ns, owner.metadata.name ?? '');
      if (fresh.metadata.uid !== owner.metadata.uid) return;
      await client.updateStatus(ns, { ...fresh, status: { ...status, observedGeneration: status?.observedGeneration } });
    }
  }

  /** The Event subject for the owner (objects from lists may lack kind/apiVersion). */
  private refOf(owner: ReplicaOwner): ObjectReference {
    const m = owner.metadata;
    return { kind: this.kind.info.kind, apiVersion: apiVersionOf(this.kind.info), namespace: m.namespace, name: m.name, uid: m.uid, resourceVersion: m.resourceVersion };
  }
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
