/**
 * The StatefulSet controller (Kubernetes' StatefulSetController + defaultStatefulSetControl):
 * pods with stable names, hostnames and storage (stateful-pod.ts), created, replaced, scaled and
 * rolled in ordinal order (statefulset-plan.ts), a ControllerRevision per template
 * (lib/controller/history.ts) naming the current and update revisions, PVCs kept or deleted by
 * persistentVolumeClaimRetentionPolicy (claim-retention.ts), and the status kubectl reads
 * (statefulset-status.ts).
 *
 * Per sync: claim pods and revisions (adopt/release), find or make the update revision, act
 * once when expectations are satisfied, write status, truncate history.
 */
import type { Logger } from 'pino';
import type { ObjectReference } from '../../../lib/api/core-event';
import { selectorFromLabelSelector, type Selector } from '../../../lib/api/label-selector';
import { apiVersionOf, type ResourceInfo } from '../../../lib/api/object';
import { RESOURCES } from '../../../lib/api/resources';
import { isAlreadyExists, isNotFound } from '../../../lib/api/status';
import type { StatefulSet } from '../../../lib/api/types/apps';
import type { PersistentVolumeClaim, Pod } from '../../../lib/api/types/core';
import type { EventRecorder } from '../../../lib/client/events';
import { objectKey, splitObjectKey, type SharedInformer } from '../../../lib/client/informer';
import type { Controller, ControllerContext } from '../../../lib/controller/controller-context';
import type { ControllerDescriptor } from '../../../lib/controller/controller-registry';
import { CONTROLLER_UID_INDEX, getControllerOf, indexByControllerUid, newControllerRef, resolveControllerRef } from '../../../lib/controller/controller-ref';
import { ControllerRefManager } from '../../../lib/controller/controller-ref-manager';
import { ControllerRunner, type ReconcileResult } from '../../../lib/controller/controller-runner';
import { ControllerExpectations } from '../../../lib/controller/expectations';
import {
  ControllerHistory, DEFAULT_REVISION_HISTORY_LIMIT, findEqualRevisions, newControllerRevision, nextRevision, revisionsToTruncate, sortRevisions,
  type ControllerRevision,
} from '../../../lib/controller/history';
import { writeStatus } from '../../../lib/controller/status-writer';
import { claimOwnerRefPatches } from './claim-retention';
import { applyRevision, newStatefulPod, podClaims, podOrdinal, podRevision, revisionData } from './stateful-pod';
import { isTerminating, placePods, planStatefulSync, type StatefulAction, type StatefulView } from './statefulset-plan';
import { calculateStatefulStatus, statefulStatusDiffers } from './statefulset-status';

export const STATEFULSET_CONTROLLER_NAME = 'statefulset';
/** The component name on the controller's Events (Kubernetes'). */
export const STATEFULSET_CONTROLLER_COMPONENT = 'statefulset-controller';

export const REASON_SUCCESSFUL_CREATE = 'SuccessfulCreate';
export const REASON_FAILED_CREATE = 'FailedCreate';
export const REASON_SUCCESSFUL_DELETE = 'SuccessfulDelete';
export const REASON_FAILED_DELETE = 'FailedDelete';
export const REASON_INVALID_SELECTOR = 'InvalidSelector';

const PODS = RESOURCES.pods;
const CLAIMS = RESOURCES.persistentvolumeclaims;
const REVISIONS = RESOURCES.controllerrevisions;
const SETS = RESOURCES.statefulsets;

export const statefulSetControllerDescriptor: ControllerDescriptor = {
  name: STATEFULSET_CONTROLLER_NAME,
  create: (ctx) => new StatefulSetController(ctx),
};

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The update and current revisions of a set, and the collisionCount that named the update one. */
interface SetRevisions {
  readonly current: ControllerRevision;
  readonly update: ControllerRevision;
  readonly collisionCount: number;
  readonly all: ControllerRevision[];
}

export class StatefulSetController implements Controller {
  private readonly sets: SharedInformer<StatefulSet>;
  private readonly pods: SharedInformer<Pod>;
  private readonly revisions: SharedInformer<ControllerRevision>;
  private readonly claims: SharedInformer<PersistentVolumeClaim>;
  private readonly expectations: ControllerExpectations;
  private readonly history: ControllerHistory;
  private readonly runner: ControllerRunner<string>;
  private readonly recorder: EventRecorder;
  private readonly logger: Logger;

  constructor(private readonly ctx: ControllerContext) {
    this.sets = ctx.informers.informer<StatefulSet>(SETS);
    this.pods = ctx.informers.informer<Pod>(PODS, { indexers: { [CONTROLLER_UID_INDEX]: indexByControllerUid } });
    this.revisions = ctx.informers.informer<ControllerRevision>(REVISIONS, { indexers: { [CONTROLLER_UID_INDEX]: indexByControllerUid } });
    this.claims = ctx.informers.informer<PersistentVolumeClaim>(CLAIMS);
    this.expectations = new ControllerExpectations(ctx.clock);
    this.history = new ControllerHistory(ctx.client.resource<ControllerRevision>(REVISIONS));
    this.recorder = ctx.recorder(STATEFULSET_CONTROLLER_COMPONENT);
    this.logger = ctx.logger.child({ controller: STATEFULSET_CONTROLLER_NAME });
    this.runner = new ControllerRunner({
      name: STATEFULSET_CONTROLLER_NAME, reconcile: (k) => this.sync(k), clock: ctx.clock,
      logger: this.logger, metrics: ctx.workQueueMetrics?.(STATEFULSET_CONTROLLER_NAME),
    });
    const enqueueSet = (set: StatefulSet) => this.runner.enqueue(objectKey(set));
    this.sets.addEventHandler({ onAdd: enqueueSet, onUpdate: (_o, set) => enqueueSet(set), onDelete: enqueueSet });
    this.pods.addEventHandler({
      onAdd: (pod) => this.childChanged(pod, 'add'),
      onUpdate: (old, pod) => {
        if (getControllerOf(old)?.uid !== getControllerOf(pod)?.uid) this.enqueueAllSelecting(old);
        this.childChanged(pod, pod.metadata.deletionTimestamp && !old.metadata.deletionTimestamp ? 'delete' : 'update');
      },
      onDelete: (pod) => this.childChanged(pod, 'gone'),
    });
    const revisionChanged = (rev: ControllerRevision) => this.childChanged(rev, 'revision');
    this.revisions.addEventHandler({ onAdd: revisionChanged, onUpdate: (_o, rev) => revisionChanged(rev), onDelete: revisionChanged });
    // A claim deleted under a live pod is recreated; its set is the one whose selector its labels match.
    this.claims.addEventHandler({ onDelete: (claim) => this.enqueueAllSelecting(claim) });
  }

  async run(): Promise<void> {
    await Promise.all([this.sets.waitForSync(), this.pods.waitForSync(), this.revisions.waitForSync(), this.claims.waitForSync()]);
    this.runner.start();
  }

  stop(): Promise<void> {
    return this.runner.stop();
  }

  /** An orphan (or a child just released) may be adopted by any set selecting it. */
  private enqueueAllSelecting(child: Pod | ControllerRevision | PersistentVolumeClaim): void {
    for (const set of this.sets.lister.listInNamespace(child.metadata.namespace ?? '')) {
      try {
        if (selectorFromLabelSelector(set.spec?.selector).matches(child.metadata.labels ?? {})) this.runner.enqueue(objectKey(set));
      } catch {
        // A set with a malformed selector adopts nothing.
      }
    }
  }

  /**
   * A pod or revision changed: its set looks again. Pod creations and deletions (`delete`: a
   * deletionTimestamp appeared, the first sign of a delete) settle expectations; `gone` settles
   * one only when no deletionTimestamp was seen before; revisions settle none.
   */
  private childChanged(child: Pod | ControllerRevision, what: 'add' | 'update' | 'delete' | 'gone' | 'revision'): void {
    const ref = getControllerOf(child);
    if (!ref) {
      if (what !== 'gone' && what !== 'revision') this.enqueueAllSelecting(child);
      return;
    }
    const owner = resolveControllerRef(child.metadata.namespace ?? '', ref, SETS, this.sets.lister);
    if (!owner) return;
    const key = objectKey(owner);
    if (what !== 'revision' && podOrdinal(owner, child) !== undefined) {
      if (what === 'add') this.expectations.creationObserved(key);
      if (what === 'delete' || (what === 'gone' && !child.metadata.deletionTimestamp)) this.expectations.deletionObserved(key);
    }
    this.runner.enqueue(key);
  }

  private async sync(key: string): Promise<ReconcileResult | void> {
    const { namespace, name } = splitObjectKey(key);
    const set = this.sets.lister.get(namespace, name);
    if (!set) {
      this.expectations.delete(key);
      return;
    }
    let selector: Selector;
    try {
      selector = selectorFromLabelSelector(set.spec?.selector);
    } catch (err) {
      // A malformed set never gets better by retrying; it is looked at again when it changes.
      this.recorder.event(this.refOf(set), 'Warning', REASON_INVALID_SELECTOR, `Invalid selector: ${errorMessage(err)}`);
      return;
    }
    if (set.metadata.deletionTimestamp) return;
    const needsSync = this.expectations.satisfied(key);
    const pods = (await this.claim<Pod>(set, selector, this.pods, PODS)).filter((p) => podOrdinal(set, p) !== undefined);
    const revisions = await this.claim<ControllerRevision>(set, selector, this.revisions, REVISIONS);
    const revs = await this.setRevisions(set, revisions);
    const view: StatefulView = {
      set, pods, nowMs: this.ctx.clock.now(),
      currentSet: applyRevision(set, revs.current), currentRevision: revs.current.metadata.name ?? '',
      updateSet: applyRevision(set, revs.update), updateRevision: revs.update.metadata.name ?? '',
    };
    let error: unknown;
    if (needsSync) error = await this.manage(key, view);
    const { status, nextAvailableInMs } = calculateStatefulStatus(view, revs.collisionCount);
    if (statefulStatusDiffers(set.status, status)) await writeStatus(this.ctx.client.resource<StatefulSet>(SETS), set, status);
    await this.truncateHistory(set, pods, revs);
    if (error !== undefined) throw error;
    return nextAvailableInMs !== undefined ? { requeueAfterMs: nextAvailableInMs } : {};
  }

  /** The set's children of one kind from the cache, after adoption and release. */
  private async claim<C extends Pod | ControllerRevision>(set: StatefulSet, selector: Selector, informer: SharedInformer<C>, info: ResourceInfo): Promise<C[]> {
    const ns = set.metadata.namespace ?? '';
    const orphans = informer.lister.listInNamespace(ns, selector).filter((c) => !getControllerOf(c));
    const candidates = [...informer.lister.byIndex(CONTROLLER_UID_INDEX, set.metadata.uid ?? ''), ...(info === PODS ? orphans.filter((p) => podOrdinal(set, p) !== undefined) : orphans)];
    return new ControllerRefManager<StatefulSet, C>({
      owner: set, ownerInfo: SETS, selector, children: this.ctx.client.resource<C>(info),
      getOwnerFresh: () => this.ctx.client.resource<StatefulSet>(SETS).get(ns, set.metadata.name ?? '').catch(() => undefined),
    }).claim(candidates);
  }

  /**
   * Kubernetes' getStatefulSetRevisions: the update revision is the set's template as a revision —
   * the newest revision when it is equal, an older equal one moved to the head (a rollback), or
   * a new one; the current revision is the one status names (the update one at first).
   */
  private async setRevisions(set: StatefulSet, claimed: readonly ControllerRevision[]): Promise<SetRevisions> {
    const all = sortRevisions(claimed);
    let collisionCount = typeof set.status?.collisionCount === 'number' ? set.status.collisionCount : 0;
    const candidate = newControllerRevision(set, SETS, set.spec?.template?.metadata?.labels, revisionData(set), nextRevision(all), collisionCount);
    const equal = findEqualRevisions(all, candidate);
    let update: ControllerRevision;
    const newest = equal[equal.length - 1];
    if (newest && newest === all[all.length - 1]) update = newest;
    else if (newest) update = await this.history.renumber(newest, candidate.revision ?? 0);
    else {
      const created = await this.history.create(candidate, collisionCount);
      update = created.revision;
      collisionCount = created.collisionCount;
    }
    const current = all.find((r) => r.metadata.name === set.status?.currentRevision) ?? update;
    return { current, update, collisionCount, all: [...all.filter((r) => r.metadata.name !== update.metadata.name), update] };
  }

  /** Makes the plan's writes, then keeps the claims' ownerReferences as the retention policy says; returns the first error. */
  private async manage(key: string, view: StatefulView): Promise<unknown> {
    const actions = planStatefulSync(view);
    const creates = actions.filter((a) => a.type === 'create').length;
    this.expectations.setExpectations(key, creates, actions.length - creates);
    const errors: unknown[] = [];
    try {
      await this.repairClaims(view);
      await this.patchClaimOwners(view);
    } catch (err) {
      errors.push(err);
    }
    const results = await Promise.allSettled(actions.map((a) => this.act(key, view.set, a)));
    for (const r of results) if (r.status === 'rejected') errors.push(r.reason);
    return errors[0];
  }

  private async act(key: string, set: StatefulSet, action: StatefulAction): Promise<void> {
    if (action.type === 'create') return this.createPod(key, set, action.set, action.ordinal, action.revision);
    return this.deletePod(key, set, action.pod);
  }

  /** Creates the pod's missing PVCs, then the pod; a pod that already exists is fine (its creation is no longer expected). */
  private async createPod(key: string, set: StatefulSet, versioned: StatefulSet, ordinal: number, revision: string): Promise<void> {
    const pod = newStatefulPod(versioned, ordinal, revision);
    pod.metadata.ownerReferences = [newControllerRef(set, SETS)];
    try {
      await this.createClaims(set, ordinal, pod.metadata.name ?? '');
      await this.ctx.client.resource<Pod>(PODS).create(set.metadata.namespace, pod);
      this.recorder.event(this.refOf(set), 'Normal', REASON_SUCCESSFUL_CREATE, `create Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} successful`);
    } catch (err) {
      this.expectations.creationObserved(key);
      if (isAlreadyExists(err)) return;
      this.recorder.event(this.refOf(set), 'Warning', REASON_FAILED_CREATE, `create Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} failed error: ${errorMessage(err)}`);
      throw err;
    }
  }

  /** Creates the PVCs of `ordinal` that the cache does not hold; they are never deleted with the pod. */
  private async createClaims(set: StatefulSet, ordinal: number, podName: string): Promise<void> {
    for (const claim of podClaims(set, ordinal)) {
      if (this.claims.lister.get(set.metadata.namespace ?? '', claim.metadata.name ?? '')) continue;
      try {
        await this.ctx.client.resource<PersistentVolumeClaim>(CLAIMS).create(set.metadata.namespace, claim);
        this.recorder.event(this.refOf(set), 'Normal', REASON_SUCCESSFUL_CREATE, `create Claim ${claim.metadata.name} Pod ${podName} in StatefulSet ${set.metadata.name} success`);
      } catch (err) {
        if (isAlreadyExists(err)) continue;
        this.recorder.event(this.refOf(set), 'Warning', REASON_FAILED_CREATE, `create Claim ${claim.metadata.name} for Pod ${podName} in StatefulSet ${set.metadata.name} failed error: ${errorMessage(err)}`);
        throw err;
      }
    }
  }

  /** Deletes one pod (uid precondition); a pod already gone is fine. */
  private async deletePod(key: string, set: StatefulSet, pod: Pod): Promise<void> {
    try {
      await this.ctx.client.resource<Pod>(PODS).delete(pod.metadata.namespace, pod.metadata.name ?? '', { preconditions: { uid: pod.metadata.uid } });
      this.recorder.event(this.refOf(set), 'Normal', REASON_SUCCESSFUL_DELETE, `delete Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} successful`);
    } catch (err) {
      // No watch event will come for a delete that failed: stop expecting it.
      this.expectations.deletionObserved(key);
      if (isNotFound(err)) return;
      this.recorder.event(this.refOf(set), 'Warning', REASON_FAILED_DELETE, `delete Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} failed error: ${errorMessage(err)}`);
      throw err;
    }
  }

  /** Recreates the missing claims of live pods in range (a claim deleted under its pod comes back, as in Kubernetes). */
  private async repairClaims(view: StatefulView): Promise<void> {
    const { replicas } = placePods(view.set, view.pods);
    for (const pod of replicas) {
      if (pod && !isTerminating(pod)) await this.createClaims(view.set, podOrdinal(view.set, pod) ?? 0, pod.metadata.name ?? '');
    }
  }

  /** Patches the ownerReferences of every claim of the set's pods that the retention policy wants otherwise. */
  private async patchClaimOwners(view: StatefulView): Promise<void> {
    const client = this.ctx.client.resource<PersistentVolumeClaim>(CLAIMS);
    const ns = view.set.metadata.namespace ?? '';
    for (const p of claimOwnerRefPatches(view.set, view.pods, (n) => this.claims.lister.get(ns, n))) {
      try {
        await client.patch(ns, p.claim, p.patchType, p.patch);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
  }

  /** Deletes revisions beyond revisionHistoryLimit that no pod, and neither current nor update, uses. */
  private async truncateHistory(set: StatefulSet, pods: readonly Pod[], revs: SetRevisions): Promise<void> {
    const live = new Set<string>([revs.current.metadata.name ?? '', revs.update.metadata.name ?? '']);
    for (const pod of pods) {
      const rev = podRevision(pod);
      if (rev) live.add(rev);
    }
    for (const rev of revisionsToTruncate(revs.all, live, set.spec?.revisionHistoryLimit ?? DEFAULT_REVISION_HISTORY_LIMIT)) await this.history.delete(rev);
  }

  private refOf(set: StatefulSet): ObjectReference {
    return { apiVersion: apiVersionOf(SETS), kind: SETS.kind, namespace: set.metadata.namespace, name: set.metadata.name, uid: set.metadata.uid };
  }
}
