/**
 * The Deployment controller (kube-controller-manager's `deployment`, Events as
 * `deployment-controller`): a Deployment owns ReplicaSets named `<deployment>-<pod-template-hash>`,
 * one per pod template it has had, and moves pods from the old ones to the new one.
 *
 * One reconcile (`sync`) of a Deployment, as Kubernetes' syncDeployment:
 * 1. claim its ReplicaSets (adopt matching orphans, release ones whose labels stopped matching);
 * 2. a Deployment being deleted only gets its status refreshed;
 * 3. spec.paused flips the Progressing condition to DeploymentPaused / DeploymentResumed;
 * 4. paused, or resized (a set's desired-replicas annotation differs from spec.replicas): only
 *    scale — the single active set directly, otherwise proportionally — and refresh status;
 * 5. otherwise roll out: Recreate scales every old set to 0, waits until their pods are gone,
 *    then creates / scales up the new set; RollingUpdate grows the new set within maxSurge and
 *    shrinks old sets while replicas − maxUnavailable stay available;
 * 6. once complete, old sets with no pods beyond revisionHistoryLimit are deleted;
 * 7. status and the Progressing / Available conditions are written, and a Deployment whose
 *    progress stalls is looked at again when its progressDeadlineSeconds run out.
 *
 * Acting twice on a stale cache is harmless by construction: ReplicaSet names are a function of
 * the template (a create that finds its own set already there takes it), and every update is a
 * compare-and-swap on resourceVersion (a conflict throws and the runner retries on a fresher cache).
 */
import { selectorFromLabelSelector, type Selector } from '../../../lib/api/label-selector';
import type { KubeObject } from '../../../lib/api/object';
import { RESOURCES } from '../../../lib/api/resources';
import { isAlreadyExists, isNotFound } from '../../../lib/api/status';
import type { Deployment, Pod, ReplicaSet } from '../../../lib/api/types';
import type { EventRecorder } from '../../../lib/client/events';
import { objectKey, splitObjectKey, type SharedInformer } from '../../../lib/client/informer';
import {
  CONTROLLER_UID_INDEX, ControllerRefManager, ControllerRunner, getControllerOf, indexByControllerUid, newControllerRef, resolveControllerRef,
  type Controller, type ControllerContext, type ControllerDescriptor, type ReconcileResult,
} from '../../../lib/controller';
import { canonicalJson } from './replica-sets';
import {
  CONDITION_PROGRESSING, deploymentStatus, EVENT_SCALING_REPLICA_SET, EVENT_SELECTOR_REQUIRED, POD_TEMPLATE_HASH_LABEL, REASON, REVISION_ANNOTATION,
  replicaSetStatus, type DeploymentStatus,
} from './deployment-types';
import {
  calculateStatus, deploymentComplete, getCondition, hasProgressDeadline, newCondition, pausedConditionStatus, rolloutStatus, setCondition, stuckRecheckDelayMs,
} from './deployment-status';
import { activeReplicaSets, actualReplicaCount, byCreation, computePodTemplateHash, replicaCount, revisionOf, specReplicas, splitNewAndOld } from './replica-sets';
import { desiredReplicasAnnotation, maxRevision, replicasAnnotationsNeedUpdate, setDeploymentRevision, setNewReplicaSetAnnotations, setReplicasAnnotations } from './revisions';
import {
  desiredReplicas, isRollingUpdate, maxOldScaleDown, maxSurge, newRSNewReplicas, planProportionalScale, planRollingScaleDown, planUnhealthyCleanup, type SizePlan,
} from './rollout-math';

/** The controller's name in `--controllers`. */
export const DEPLOYMENT_CONTROLLER_NAME = 'deployment';
/** The component its Events are recorded as (Kubernetes' name). */
export const DEPLOYMENT_CONTROLLER_COMPONENT = 'deployment-controller';
/** Default spec.revisionHistoryLimit: old ReplicaSets kept for rollback. */
export const DEFAULT_REVISION_HISTORY_LIMIT = 10;
/** revisionHistoryLimit meaning "keep all" (math.MaxInt32). */
const UNLIMITED_HISTORY = 2 ** 31 - 1;

export const deploymentControllerDescriptor: ControllerDescriptor = {
  name: DEPLOYMENT_CONTROLLER_NAME,
  create: (ctx) => new DeploymentController(ctx),
};

/** A Deployment and its sets during one reconcile; replaced by what each write returns. */
interface Rollout {
  d: Deployment;
  newRS?: ReplicaSet;
  oldRSs: ReplicaSet[];
}

const allSets = (r: Rollout): ReplicaSet[] => (r.newRS ? [...r.oldRSs, r.newRS] : [...r.oldRSs]);

/** The Deployment controller; see the file comment. */
export class DeploymentController implements Controller {
  private readonly deployments: SharedInformer<Deployment>;
  private readonly sets: SharedInformer<ReplicaSet>;
  private readonly pods: SharedInformer<Pod>;
  private readonly recorder: EventRecorder;
  private readonly runner: ControllerRunner;

  constructor(private readonly ctx: ControllerContext) {
    const byController = { indexers: { [CONTROLLER_UID_INDEX]: indexByControllerUid } };
    this.deployments = ctx.informers.informer<Deployment>(RESOURCES.deployments);
    this.sets = ctx.informers.informer<ReplicaSet>(RESOURCES.replicasets, byController);
    this.pods = ctx.informers.informer<Pod>(RESOURCES.pods, byController);
    this.recorder = ctx.recorder(DEPLOYMENT_CONTROLLER_COMPONENT);
    this.runner = new ControllerRunner({
      name: DEPLOYMENT_CONTROLLER_NAME, reconcile: (k) => this.sync(k), clock: ctx.clock, logger: ctx.logger.child({ controller: DEPLOYMENT_CONTROLLER_NAME }),
    });
    const enqueue = (d: Deployment) => this.runner.enqueue(objectKey(d));
    this.deployments.addEventHandler({ onAdd: enqueue, onUpdate: (_o, d) => enqueue(d), onDelete: enqueue });
    this.sets.addEventHandler({
      onAdd: (rs) => this.setChanged(undefined, rs),
      onUpdate: (old, rs) => this.setChanged(old, rs),
      onDelete: (rs) => this.ownerOf(rs).forEach(enqueue),
    });
    // Recreate waits for old pods to be gone; their deletion is what lets it go on.
    this.pods.addEventHandler({ onDelete: (pod) => this.podDeleted(pod) });
  }

  async run(): Promise<void> {
    await Promise.all([this.deployments.waitForSync(), this.sets.waitForSync(), this.pods.waitForSync()]);
    this.runner.start();
  }

  stop(): Promise<void> {
    return this.runner.stop();
  }

  /** The Deployment controlling a set, as a list of zero or one. */
  private ownerOf(rs: ReplicaSet): Deployment[] {
    const d = resolveControllerRef(rs.metadata.namespace ?? '', getControllerOf(rs), RESOURCES.deployments, this.deployments.lister);
    return d ? [d] : [];
  }

  /** Deployments in the set's namespace whose selector matches an orphan set (which may adopt it). */
  private matchingDeployments(rs: ReplicaSet): Deployment[] {
    return this.deployments.lister.listInNamespace(rs.metadata.namespace ?? '').filter((d) => {
      const sel = safeSelector(d);
      return !!sel && !sel.empty() && sel.matches(rs.metadata.labels ?? {});
    });
  }

  private setChanged(old: ReplicaSet | undefined, rs: ReplicaSet): void {
    if (old && old.metadata.resourceVersion === rs.metadata.resourceVersion) return;
    const ref = getControllerOf(rs);
    const oldRef = old ? getControllerOf(old) : undefined;
    if (old && oldRef && oldRef.uid !== ref?.uid) this.ownerOf(old).forEach((d) => this.runner.enqueue(objectKey(d)));
    if (ref) {
      this.ownerOf(rs).forEach((d) => this.runner.enqueue(objectKey(d)));
      return;
    }
    const labelsChanged = !old || canonicalJson(old.metadata.labels ?? {}) !== canonicalJson(rs.metadata.labels ?? {});
    if (labelsChanged || oldRef) this.matchingDeployments(rs).forEach((d) => this.runner.enqueue(objectKey(d)));
  }

  private podDeleted(pod: Pod): void {
    const rs = resolveControllerRef(pod.metadata.namespace ?? '', getControllerOf(pod), RESOURCES.replicasets, this.sets.lister);
    if (!rs) return;
    for (const d of this.ownerOf(rs)) if (!isRollingUpdate(d)) this.runner.enqueue(objectKey(d));
  }

  /** One reconcile; see the file comment for the steps. */
  private async sync(key: string): Promise<ReconcileResult | void> {
    const { namespace, name } = splitObjectKey(key);
    const cached = this.deployments.lister.get(namespace, name);
    if (!cached) return;
    let d: Deployment = structuredClone(cached);
    const selector = safeSelector(d);
    if (!selector || selector.empty()) {
      this.recorder.event(d, 'Warning', EVENT_SELECTOR_REQUIRED, 'This deployment is selecting all pods. A non-empty selector is required.');
      if ((deploymentStatus(d).observedGeneration ?? 0) < (d.metadata.generation ?? 0)) {
        await this.writeStatus(d, { ...deploymentStatus(d), observedGeneration: d.metadata.generation });
      }
      return;
    }
    const owned = await this.claimSets(d, selector);
    if (d.metadata.deletionTimestamp) {
      const r = await this.newAndOld(d, owned, false);
      await this.syncStatusOnly(r);
      return;
    }
    const paused = pausedConditionStatus(d, this.ctx.clock.now());
    if (paused) d = await this.writeStatus(d, paused);

    const r = await this.newAndOld(d, owned, false);
    if (d.spec?.paused || this.isScalingEvent(r)) return this.syncScale(r);
    return isRollingUpdate(d) ? this.rolloutRolling(r) : this.rolloutRecreate(r, selector);
  }

  /** The sets this Deployment controls after adoption and release. */
  private async claimSets(d: Deployment, selector: Selector): Promise<ReplicaSet[]> {
    const ns = d.metadata.namespace ?? '';
    const client = this.ctx.client.resource<Deployment>(RESOURCES.deployments);
    return new ControllerRefManager<Deployment, ReplicaSet>({
      owner: d,
      ownerInfo: RESOURCES.deployments,
      selector,
      children: this.ctx.client.resource<ReplicaSet>(RESOURCES.replicasets),
      getOwnerFresh: () => client.get(ns, d.metadata.name ?? '').catch((err: unknown) => {
        if (isNotFound(err)) return undefined;
        throw err;
      }),
    }).claim(this.sets.lister.listInNamespace(ns));
  }

  /**
   * The new set (found, or created when `create`) and the old ones, with the revision
   * bookkeeping brought up to date (getAllReplicaSetsAndSyncRevision).
   */
  private async newAndOld(d: Deployment, owned: readonly ReplicaSet[], create: boolean): Promise<Rollout> {
    const { newRS, oldRSs } = splitNewAndOld(d.spec?.template, owned);
    const r: Rollout = { d, newRS, oldRSs };
    if (newRS) await this.syncExistingNewRS(r, newRS);
    else if (create) await this.createNewRS(r);
    return r;
  }

  private async syncExistingNewRS(r: Rollout, existing: ReplicaSet): Promise<void> {
    const d = r.d;
    const rs = structuredClone(existing);
    const desired = desiredReplicas(d);
    const annotated = setNewReplicaSetAnnotations(d, rs, maxRevision(r.oldRSs) + 1, true, desired, desired + maxSurge(d));
    const minReady = d.spec?.minReadySeconds ?? 0;
    if (annotated || (rs.spec?.minReadySeconds ?? 0) !== minReady) {
      rs.spec = { ...rs.spec, minReadySeconds: minReady };
      r.newRS = await this.setsClient().update(rs.metadata.namespace, rs);
    }
    await this.syncDeploymentRevision(r, r.newRS?.metadata.annotations?.[REVISION_ANNOTATION]);
    if (hasProgressDeadline(r.d) && !getCondition(deploymentStatus(r.d), CONDITION_PROGRESSING)) {
      const status = structuredClone(deploymentStatus(r.d));
      setCondition(status, newCondition(CONDITION_PROGRESSING, 'True', REASON.foundNewReplicaSet, `Found new replica set "${existing.metadata.name}"`, this.ctx.clock.now()));
      r.d = await this.writeStatus(r.d, status);
    }
  }

  /** Writes the Deployment's revision annotation (metadata: a main-resource update). */
  private async syncDeploymentRevision(r: Rollout, revision: string | undefined): Promise<void> {
    if (revision === undefined) return;
    const copy = structuredClone(r.d);
    if (!setDeploymentRevision(copy, revision)) return;
    r.d = await this.deploymentsClient().update(copy.metadata.namespace, copy);
  }

  /**
   * Creates the new set `<name>-<hash>` sized by newRSNewReplicas. Finding it already there and
   * ours with this template means a stale cache: it is taken. Someone else's set under that
   * name is a hash collision: status.collisionCount goes up (a new hash next time) and the
   * reconcile retries.
   */
  private async createNewRS(r: Rollout): Promise<void> {
    const d = r.d;
    const ns = d.metadata.namespace ?? '';
    const status = deploymentStatus(d);
    const hash = computePodTemplateHash(d.spec?.template, status.collisionCount);
    const template = structuredClone(d.spec?.template ?? {});
    template.metadata = { ...template.metadata, labels: { ...template.metadata?.labels, [POD_TEMPLATE_HASH_LABEL]: hash } };
    const selector = structuredClone(d.spec?.selector ?? {});
    selector.matchLabels = { ...selector.matchLabels, [POD_TEMPLATE_HASH_LABEL]: hash };
    const rs: ReplicaSet = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: `${d.metadata.name}-${hash}`, namespace: ns, labels: { ...template.metadata.labels }, ownerReferences: [newControllerRef(d, RESOURCES.deployments)] },
      spec: { replicas: 0, minReadySeconds: d.spec?.minReadySeconds ?? 0, selector, template },
    };
    const replicas = newRSNewReplicas(d, [...r.oldRSs, rs], rs);
    rs.spec!.replicas = replicas;
    const desired = desiredReplicas(d);
    const newRevision = maxRevision(r.oldRSs) + 1;
    setNewReplicaSetAnnotations(d, rs, newRevision, false, desired, desired + maxSurge(d));

    let created: ReplicaSet;
    let alreadyExisted = false;
    try {
      created = await this.setsClient().create(ns, rs);
    } catch (err) {
      if (!isAlreadyExists(err)) {
        if (hasProgressDeadline(d)) {
          const s = structuredClone(status);
          const msg = `Failed to create new replica set "${rs.metadata.name}": ${(err as Error).message}`;
          setCondition(s, newCondition(CONDITION_PROGRESSING, 'False', REASON.replicaSetCreateError, msg, this.ctx.clock.now()));
          await this.writeStatus(d, s);
        }
        throw err;
      }
      const existing = await this.setsClient().get(ns, rs.metadata.name!);
      if (getControllerOf(existing)?.uid !== d.metadata.uid || !splitNewAndOld(d.spec?.template, [existing]).newRS) {
        await this.writeStatus(d, { ...structuredClone(status), collisionCount: (status.collisionCount ?? 0) + 1 });
        throw new Error(`replica set ${rs.metadata.name} exists with another template or owner: hash collision, collisionCount raised`);
      }
      created = existing;
      alreadyExisted = true;
    }
    r.newRS = created;
    if (!alreadyExisted && replicas > 0) {
      this.recorder.eventf(d, 'Normal', EVENT_SCALING_REPLICA_SET, 'Scaled up replica set %s from 0 to %d', created.metadata.name, replicas);
    }
    await this.syncDeploymentRevision(r, String(newRevision));
    if (!alreadyExisted && hasProgressDeadline(r.d)) {
      const s = structuredClone(deploymentStatus(r.d));
      setCondition(s, newCondition(CONDITION_PROGRESSING, 'True', REASON.newReplicaSetCreated, `Created new replica set "${created.metadata.name}"`, this.ctx.clock.now()));
      r.d = await this.writeStatus(r.d, s);
    }
  }

  /** Whether some active set was last scaled for another spec.replicas (isScalingEvent). */
  private isScalingEvent(r: Rollout): boolean {
    const want = desiredReplicas(r.d);
    return activeReplicaSets(allSets(r)).some((rs) => {
      const desired = desiredReplicasAnnotation(rs);
      return desired !== undefined && desired !== want;
    });
  }

  // ---- scaling (paused or resized) ----

  /** Scale only, clean up history when paused, refresh status (Kubernetes' `sync`). */
  private async syncScale(r: Rollout): Promise<ReconcileResult | void> {
    await this.scale(r);
    if (r.d.spec?.paused) await this.cleanupHistory(r);
    return this.syncStatusOnly(r);
  }

  private async scale(r: Rollout): Promise<void> {
    const d = r.d;
    const want = desiredReplicas(d);
    const only = activeOrLatest(r);
    if (only) {
      if (specReplicas(only) !== want) await this.scaleAndRecord(r, only, want);
      return;
    }
    if (isSaturated(d, r.newRS)) {
      for (const rs of activeReplicaSets(r.oldRSs)) await this.scaleAndRecord(r, rs, 0);
      return;
    }
    if (!isRollingUpdate(d)) return;
    const { plan, operation } = planProportionalScale(d, allSets(r), deploymentStatus(d).replicas ?? 0);
    for (const rs of activeReplicaSets(allSets(r))) await this.scaleSet(r, rs, plan.get(rs.metadata.name ?? '') ?? specReplicas(rs), operation);
  }

  // ---- rollouts ----

  private async rolloutRolling(r: Rollout): Promise<ReconcileResult | void> {
    if (!r.newRS) await this.createNewRS(r);
    if (await this.reconcileNewReplicaSet(r)) return this.syncRolloutStatus(r);
    if (await this.reconcileOldReplicaSets(r)) return this.syncRolloutStatus(r);
    if (deploymentComplete(r.d, deploymentStatus(r.d))) await this.cleanupHistory(r);
    return this.syncRolloutStatus(r);
  }

  private async rolloutRecreate(r: Rollout, selector: Selector): Promise<ReconcileResult | void> {
    let scaledDown = false;
    for (const rs of activeReplicaSets(r.oldRSs)) {
      await this.scaleAndRecord(r, rs, 0);
      scaledDown = true;
    }
    if (scaledDown || this.oldPodsRunning(r, selector)) return this.syncRolloutStatus(r);
    if (!r.newRS) await this.createNewRS(r);
    await this.reconcileNewReplicaSet(r);
    if (deploymentComplete(r.d, deploymentStatus(r.d))) await this.cleanupHistory(r);
    return this.syncRolloutStatus(r);
  }

  /** Whether pods of old sets still exist and have not terminated (Recreate waits for them). */
  private oldPodsRunning(r: Rollout, selector: Selector): boolean {
    if (actualReplicaCount(r.oldRSs) > 0) return true;
    const oldUids = new Set(r.oldRSs.map((rs) => rs.metadata.uid));
    return this.pods.lister.listInNamespace(r.d.metadata.namespace ?? '', selector).some((pod) => {
      const owner = getControllerOf(pod);
      if (!owner || !oldUids.has(owner.uid)) return false;
      const phase = (pod.status as { phase?: string } | undefined)?.phase;
      return phase !== 'Succeeded' && phase !== 'Failed';
    });
  }

  /** Grows (or shrinks past spec.replicas) the new set; whether it scaled. */
  private async reconcileNewReplicaSet(r: Rollout): Promise<boolean> {
    const newRS = r.newRS;
    if (!newRS) return false;
    const want = desiredReplicas(r.d);
    const size = specReplicas(newRS);
    if (size === want) return false;
    const target = size > want ? want : newRSNewReplicas(r.d, allSets(r), newRS);
    return this.scaleAndRecord(r, newRS, target);
  }

  /** Shrinks old sets: their unavailable pods first, then as availability allows; whether any scaled. */
  private async reconcileOldReplicaSets(r: Rollout): Promise<boolean> {
    const newRS = r.newRS;
    if (!newRS || replicaCount(activeReplicaSets(r.oldRSs)) === 0) return false;
    const maxDown = maxOldScaleDown(r.d, allSets(r), newRS);
    if (maxDown <= 0) return false;
    const cleaned = await this.applyPlan(r, planUnhealthyCleanup(activeReplicaSets(r.oldRSs), maxDown));
    const scaled = await this.applyPlan(r, planRollingScaleDown(r.d, allSets(r), activeReplicaSets(r.oldRSs)));
    return cleaned || scaled;
  }

  private async applyPlan(r: Rollout, plan: SizePlan): Promise<boolean> {
    let any = false;
    for (const rs of [...r.oldRSs]) {
      const size = plan.get(rs.metadata.name ?? '');
      if (size !== undefined && (await this.scaleAndRecord(r, rs, size))) any = true;
    }
    return any;
  }

  /** Deletes the oldest old sets beyond revisionHistoryLimit that have no pods left. */
  private async cleanupHistory(r: Rollout): Promise<void> {
    const limit = r.d.spec?.revisionHistoryLimit ?? DEFAULT_REVISION_HISTORY_LIMIT;
    if (limit === UNLIMITED_HISTORY) return;
    const cleanable = r.oldRSs.filter((rs) => !rs.metadata.deletionTimestamp);
    const excess = cleanable.length - limit;
    if (excess <= 0) return;
    cleanable.sort((a, b) => revisionOf(a, REVISION_ANNOTATION) - revisionOf(b, REVISION_ANNOTATION) || byCreation(a, b));
    for (const rs of cleanable.slice(0, excess)) {
      const st = replicaSetStatus(rs);
      if ((st.replicas ?? 0) !== 0 || specReplicas(rs) !== 0 || (rs.metadata.generation ?? 0) > (st.observedGeneration ?? 0)) continue;
      try {
        await this.setsClient().delete(rs.metadata.namespace, rs.metadata.name ?? '', { preconditions: { uid: rs.metadata.uid } });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      r.oldRSs = r.oldRSs.filter((o) => o !== rs);
    }
  }

  // ---- writes ----

  /** Scales a set to `size` recording "Scaled up|down …"; whether its size changed. */
  private async scaleAndRecord(r: Rollout, rs: ReplicaSet, size: number): Promise<boolean> {
    if (specReplicas(rs) === size) return false;
    return this.scaleSet(r, rs, size, specReplicas(rs) < size ? 'up' : 'down');
  }

  /**
   * Sets a set's size and its desired/max-replicas annotations (one update, when either
   * differs), replaces it in `r`, and records a ScalingReplicaSet Event when the size changed.
   */
  private async scaleSet(r: Rollout, rs: ReplicaSet, size: number, operation: 'up' | 'down'): Promise<boolean> {
    const d = r.d;
    const desired = desiredReplicas(d);
    const max = desired + maxSurge(d);
    const from = specReplicas(rs);
    const sizeChanges = from !== size;
    if (!sizeChanges && !replicasAnnotationsNeedUpdate(rs, desired, max)) return false;
    const copy = structuredClone(rs);
    copy.spec = { ...copy.spec, replicas: size };
    setReplicasAnnotations(copy, desired, max);
    const updated = await this.setsClient().update(copy.metadata.namespace, copy);
    if (r.newRS === rs) r.newRS = updated;
    r.oldRSs = r.oldRSs.map((o) => (o === rs ? updated : o));
    if (sizeChanges) this.recorder.eventf(d, 'Normal', EVENT_SCALING_REPLICA_SET, 'Scaled %s replica set %s from %d to %d', operation, rs.metadata.name, from, size);
    return sizeChanges;
  }

  /** Writes the status calculateStatus gives when it differs (syncDeploymentStatus). */
  private async syncStatusOnly(r: Rollout): Promise<void> {
    const next = calculateStatus(r.d, allSets(r), r.newRS, this.ctx.clock.now());
    if (canonicalJson(next) !== canonicalJson(deploymentStatus(r.d))) r.d = await this.writeStatus(r.d, next);
  }

  /** Writes the rollout status; when nothing changed, asks to look again at the progress deadline. */
  private async syncRolloutStatus(r: Rollout): Promise<ReconcileResult | void> {
    const now = this.ctx.clock.now();
    const next = rolloutStatus(r.d, allSets(r), r.newRS, now);
    if (canonicalJson(next) === canonicalJson(deploymentStatus(r.d))) {
      const delay = stuckRecheckDelayMs(r.d, next, now);
      return delay === undefined ? undefined : { requeueAfterMs: delay };
    }
    r.d = await this.writeStatus(r.d, next);
  }

  private async writeStatus(d: Deployment, status: DeploymentStatus): Promise<Deployment> {
    return this.deploymentsClient().updateStatus(d.metadata.namespace, { ...d, status: status as KubeObject['status'] });
  }

  private deploymentsClient() {
    return this.ctx.client.resource<Deployment>(RESOURCES.deployments);
  }

  private setsClient() {
    return this.ctx.client.resource<ReplicaSet>(RESOURCES.replicasets);
  }
}

/** The Deployment's selector, or undefined when it does not parse (validation should have refused it). */
function safeSelector(d: Deployment): Selector | undefined {
  try {
    return selectorFromLabelSelector(d.spec?.selector, 'spec.selector');
  } catch {
    return undefined;
  }
}

/**
 * The one set to resize directly (FindActiveOrLatest): the only active set; with none active,
 * the new set or else the newest old one; undefined when several are active.
 */
function activeOrLatest(r: Rollout): ReplicaSet | undefined {
  const active = activeReplicaSets(allSets(r));
  if (active.length === 1) return active[0];
  if (active.length > 1) return undefined;
  if (r.newRS) return r.newRS;
  return [...r.oldRSs].sort(byCreation).at(-1);
}

/** The new set has every pod, for this size, and all are available (IsSaturated). */
function isSaturated(d: Deployment, newRS: ReplicaSet | undefined): boolean {
  if (!newRS) return false;
  const want = desiredReplicas(d);
  return specReplicas(newRS) === want && desiredReplicasAnnotation(newRS) === want && (replicaSetStatus(newRS).availableReplicas ?? 0) === want;
}
