/**
 * The Job controller (Kubernetes' `job` controller, Events as `job-controller`): runs a Job's
 * pods to completion.
 *
 * One reconcile of a Job, level-triggered from the caches:
 * 1. Claim the pods the selector matches (adopt orphans, release strays).
 * 2. Account finished pods exactly once through the tracking finalizer: a finished pod that
 *    still carries `batch.kubernetes.io/job-tracking` is first recorded by uid in
 *    status.uncountedTerminatedPods (written before anything else), then its finalizer is
 *    removed, then it moves into status.succeeded / status.failed (and completedIndexes). Pods
 *    whose finalizer this controller removed are remembered until the cache shows it gone, so a
 *    stale cache never counts them twice.
 * 3. Decide the outcome: a podFailurePolicy FailJob match, failures beyond backoffLimit,
 *    activeDeadlineSeconds passed, or failed indexes set FailureTarget; enough successes set
 *    SuccessCriteriaMet. Either way the remaining pods are deleted and, once none runs and
 *    every finished pod is counted, Failed or Complete (with completionTime) follows.
 * 4. Otherwise create or delete pods toward min(parallelism, what is left) — Indexed Jobs by
 *    the lowest pending indexes — replacing failed pods only after the pod failure backoff;
 *    a suspended Job keeps no pods (the ones it deletes for that are not counted as failures).
 * Orphaned pods (their Job gone) that still carry the tracking finalizer lose it.
 */
import { sameStatus } from '../../../lib/controller/status-compare';
import { isNotFound } from '../../../lib/api/status';
import { selectorFromLabelSelector } from '../../../lib/api/label-selector';
import { STRATEGIC_MERGE_PATCH_TYPE } from '../../../lib/api/patch';
import { RESOURCES } from '../../../lib/api/resources';
import type { Job, Pod } from '../../../lib/api/types';
import type { ResourceClient } from '../../../lib/client/api-client';
import type { EventRecorder } from '../../../lib/client/events';
import { objectKey, splitObjectKey, type SharedInformer } from '../../../lib/client/informer';
import {
  CONTROLLER_UID_INDEX,
  ControllerExpectations,
  ControllerRefManager,
  ControllerRunner,
  getControllerOf,
  indexByControllerUid,
  resolveControllerRef,
  type Controller,
  type ControllerContext,
  type ControllerDescriptor,
  type ReconcileResult,
} from '../../../lib/controller';
import { completionIndexOf, formatIndexes, parseIndexes } from './completion-index';
import { hasTrackingFinalizer, isActive, isFinished, isIndexed, isReady, JOB_TRACKING_FINALIZER, podForJob, terminalOutcome } from './job-pods';
import { planPods } from './job-plan';
import {
  CONDITION_COMPLETE,
  CONDITION_FAILED,
  CONDITION_FAILURE_TARGET,
  CONDITION_SUCCESS_CRITERIA_MET,
  CONDITION_SUSPENDED,
  isJobFinished,
  jobStatusOf,
  MESSAGE_BACKOFF_LIMIT_EXCEEDED,
  MESSAGE_COMPLETIONS_REACHED,
  MESSAGE_DEADLINE_EXCEEDED,
  MESSAGE_FAILED_INDEXES,
  REASON_BACKOFF_LIMIT_EXCEEDED,
  REASON_COMPLETIONS_REACHED,
  REASON_DEADLINE_EXCEEDED,
  REASON_FAILED_INDEXES,
  REASON_POD_FAILURE_POLICY,
  rfc3339,
  setCondition,
  trueCondition,
  type JobStatus,
} from './job-status';
import { matchPodFailurePolicy, podFailurePolicyRules } from './pod-failure-policy';
import { remainingBackoffMs, updateBackoff, type BackoffRecord } from './pod-backoff';

/** The controller's name in `--controllers`. */
export const JOB_CONTROLLER_NAME = 'job';
/** The component its Events are written as. */
export const JOB_CONTROLLER_COMPONENT = 'job-controller';
/** Most pods one reconcile creates (Kubernetes' MaxPodCreateDeletePerSync). */
export const MAX_POD_CREATE_DELETE_PER_SYNC = 500;
/** Default spec.backoffLimit when a Job carries none. */
const DEFAULT_BACKOFF_LIMIT = 6;
/** Prefix of work-queue keys naming an orphaned pod whose tracking finalizer must go. */
const ORPHAN_POD_KEY_PREFIX = 'orphan-pod:';

/** Registers the Job controller. */
export const jobControllerDescriptor: ControllerDescriptor = {
  name: JOB_CONTROLLER_NAME,
  create: (ctx) => new JobController(ctx),
};

/** The Job controller. See the file comment. */
export class JobController implements Controller {
  private readonly jobs: SharedInformer<Job>;
  private readonly pods: SharedInformer<Pod>;
  private readonly podClient: ResourceClient<Pod>;
  private readonly jobClient: ResourceClient<Job>;
  private readonly expectations: ControllerExpectations;
  private readonly recorder: EventRecorder;
  private readonly runner: ControllerRunner;
  /** Uids of pods whose tracking finalizer we removed, by Job key, until the cache shows it gone. */
  private readonly finalizersRemoved = new Map<string, Set<string>>();
  /** Pod failure backoff per Job key. */
  private readonly backoff = new Map<string, BackoffRecord>();

  constructor(private readonly ctx: ControllerContext) {
    this.jobs = this.ctx.informers.informer<Job>(RESOURCES.jobs);
    this.pods = this.ctx.informers.informer<Pod>(RESOURCES.pods, { indexers: { [CONTROLLER_UID_INDEX]: indexByControllerUid } });
    this.podClient = this.ctx.client.resource<Pod>(RESOURCES.pods);
    this.jobClient = this.ctx.client.resource<Job>(RESOURCES.jobs);
    this.expectations = new ControllerExpectations(this.ctx.clock);
    this.recorder = this.ctx.recorder(JOB_CONTROLLER_COMPONENT);
    this.runner = new ControllerRunner({
      name: JOB_CONTROLLER_NAME,
      reconcile: (k) => this.reconcile(k),
      clock: this.ctx.clock,
      logger: this.ctx.logger.child({ controller: JOB_CONTROLLER_NAME }),
      metrics: this.ctx.workQueueMetrics?.(JOB_CONTROLLER_NAME),
    });
    this.jobs.addEventHandler({
      onAdd: (job) => this.runner.enqueue(objectKey(job)),
      onUpdate: (_old, job) => this.runner.enqueue(objectKey(job)),
      onDelete: (job) => this.forget(objectKey(job)),
    });
    this.pods.addEventHandler({
      onAdd: (pod) => this.podChanged(pod, undefined),
      onUpdate: (old, pod) => this.podChanged(pod, old),
      onDelete: (pod) => this.podDeleted(pod),
    });
  }

  async run(): Promise<void> {
    await Promise.all([this.jobs.waitForSync(), this.pods.waitForSync()]);
    this.runner.start();
  }

  stop(): Promise<void> {
    return this.runner.stop();
  }

  private forget(key: string): void {
    this.expectations.delete(key);
    this.backoff.delete(key);
    this.finalizersRemoved.delete(key);
  }

  private ownerOf(pod: Pod): Job | undefined {
    return resolveControllerRef(pod.metadata.namespace ?? '', getControllerOf(pod), RESOURCES.jobs, this.jobs.lister);
  }

  private podChanged(pod: Pod, old: Pod | undefined): void {
    const job = this.ownerOf(pod);
    if (!job) {
      if (hasTrackingFinalizer(pod) && getControllerOf(pod)?.kind === 'Job') this.runner.enqueue(ORPHAN_POD_KEY_PREFIX + objectKey(pod));
      return;
    }
    const key = objectKey(job);
    if (!old) this.expectations.creationObserved(key);
    else if (pod.metadata.deletionTimestamp && !old.metadata.deletionTimestamp) this.expectations.deletionObserved(key);
    if (!hasTrackingFinalizer(pod)) this.finalizersRemoved.get(key)?.delete(pod.metadata.uid ?? '');
    this.runner.enqueue(key);
  }

  private podDeleted(pod: Pod): void {
    const job = this.ownerOf(pod);
    if (!job) return;
    const key = objectKey(job);
    if (!pod.metadata.deletionTimestamp) this.expectations.deletionObserved(key);
    this.finalizersRemoved.get(key)?.delete(pod.metadata.uid ?? '');
    this.runner.enqueue(key);
  }

  private async reconcile(key: string): Promise<ReconcileResult | void> {
    if (key.startsWith(ORPHAN_POD_KEY_PREFIX)) return this.releaseOrphan(key.slice(ORPHAN_POD_KEY_PREFIX.length));
    const { namespace, name } = splitObjectKey(key);
    const job = this.jobs.lister.get(namespace, name);
    if (!job) return this.forget(key);
    return new JobSync(this, key, job).run();
  }

  /** Removes the tracking finalizer of a pod whose Job is gone (checked against the API, not the cache). */
  private async releaseOrphan(podKey: string): Promise<void> {
    const { namespace, name } = splitObjectKey(podKey);
    const pod = this.pods.lister.get(namespace, name);
    if (!pod || !hasTrackingFinalizer(pod)) return;
    const ref = getControllerOf(pod);
    if (ref && (await this.jobClient.get(namespace, ref.name).then((j) => j.metadata.uid === ref.uid, () => false))) return;
    await this.removeFinalizer(pod);
  }

  // The parts a JobSync uses.
  /** @internal */ get internals() {
    return {
      ctx: this.ctx,
      pods: this.pods,
      podClient: this.podClient,
      jobClient: this.jobClient,
      expectations: this.expectations,
      recorder: this.recorder,
      finalizersRemoved: this.finalizersRemoved,
      backoff: this.backoff,
      removeFinalizer: (pod: Pod) => this.removeFinalizer(pod),
    };
  }

  /** Removes the tracking finalizer (true when gone, also when the pod is). */
  private async removeFinalizer(pod: Pod): Promise<boolean> {
    const patch = JSON.stringify({ metadata: { [`$deleteFromPrimitiveList/finalizers`]: [JOB_TRACKING_FINALIZER] } });
    try {
      await this.podClient.patch(pod.metadata.namespace, pod.metadata.name ?? '', STRATEGIC_MERGE_PATCH_TYPE, patch);
      return true;
    } catch (err) {
      if (isNotFound(err)) return true;
      throw err;
    }
  }
}

/** One reconcile of one Job. */
class JobSync {
  private readonly p: JobController['internals'];
  private readonly now: number;
  private readonly nowText: string;
  private job: Job;
  private readonly status: JobStatus;
  private requeueAfterMs = 0;

  constructor(
    controller: JobController,
    private readonly key: string,
    job: Job,
  ) {
    this.p = controller.internals;
    this.job = job;
    this.status = jobStatusOf(job);
    this.now = this.p.ctx.clock.now();
    this.nowText = rfc3339(this.now);
  }

  async run(): Promise<ReconcileResult | void> {
    const pods = await this.claimPods();
    if (isJobFinished(this.job)) {
      // Whatever still holds the finalizer of a finished Job is released; nothing is counted any more.
      await Promise.all(pods.filter(hasTrackingFinalizer).map((p) => this.p.removeFinalizer(p)));
      return;
    }
    const spec = this.job.spec ?? {};
    const completions = spec.completions;
    const indexed = isIndexed(this.job) && completions !== undefined;
    const removed = this.removedSet();
    const uncounted = {
      succeeded: new Set(this.status.uncountedTerminatedPods?.succeeded ?? []),
      failed: new Set(this.status.uncountedTerminatedPods?.failed ?? []),
    };
    const completed = indexed ? parseIndexes(this.status.completedIndexes, completions) : new Set<number>();
    const failedIndexes = indexed ? parseIndexes(this.status.failedIndexes, completions) : new Set<number>();
    const rules = podFailurePolicyRules(spec.podFailurePolicy);

    // 2a. Record newly finished pods before touching their finalizers.
    let failJob: string | undefined;
    let newSucceeded = 0;
    let newFailed = 0;
    const ignored: Pod[] = [];
    for (const pod of pods) {
      const uid = pod.metadata.uid ?? '';
      if (!hasTrackingFinalizer(pod) || removed.has(uid) || uncounted.succeeded.has(uid) || uncounted.failed.has(uid)) continue;
      const outcome = terminalOutcome(pod);
      if (outcome === 'succeeded') {
        uncounted.succeeded.add(uid);
        newSucceeded++;
        const index = indexed ? completionIndexOf(pod, completions) : undefined;
        if (index !== undefined) completed.add(index);
      } else if (outcome === 'failed') {
        const match = pod.status?.phase === 'Failed' ? matchPodFailurePolicy(rules, pod) : undefined;
        // A pod deleted because the Job is suspended did not fail; neither does one an Ignore rule matches.
        const suspendedAway = spec.suspend === true && pod.status?.phase !== 'Failed';
        if (match?.action === 'Ignore' || suspendedAway) {
          ignored.push(pod);
          continue;
        }
        if (match?.action === 'FailJob') failJob ??= match.message;
        if (match?.action === 'FailIndex' && indexed) {
          const index = completionIndexOf(pod, completions);
          if (index !== undefined) failedIndexes.add(index);
        }
        uncounted.failed.add(uid);
        newFailed++;
      }
    }
    if (newSucceeded + newFailed > 0) {
      this.p.backoff.set(this.key, updateBackoff(this.p.backoff.get(this.key), newSucceeded, newFailed, this.now));
      this.status.uncountedTerminatedPods = { succeeded: [...uncounted.succeeded], failed: [...uncounted.failed] };
      if (indexed) this.status.completedIndexes = formatIndexes(completed);
      if (indexed && failedIndexes.size > 0) this.status.failedIndexes = formatIndexes(failedIndexes);
      await this.writeStatus();
    }

    // 2b. Remove the finalizers of recorded (and ignored) pods; 2c. count the ones released.
    const byUid = new Map(pods.map((p) => [p.metadata.uid ?? '', p]));
    for (const pod of ignored) await this.release(pod);
    for (const [set, field] of [[uncounted.succeeded, 'succeeded'], [uncounted.failed, 'failed']] as const) {
      for (const uid of [...set]) {
        const pod = byUid.get(uid);
        if (pod && hasTrackingFinalizer(pod) && !removed.has(uid)) await this.release(pod);
        set.delete(uid);
        if (field === 'failed' || !indexed) this.status[field] = (this.status[field] ?? 0) + 1;
      }
    }
    if (indexed) this.status.succeeded = completed.size;
    this.status.uncountedTerminatedPods = { succeeded: [], failed: [] };

    const active = pods.filter(isActive);
    this.status.terminating = pods.filter((p) => p.metadata.deletionTimestamp && !isFinished(p)).length;
    this.decideOutcome(failJob, failedIndexes, completed, active.length);

    const target = trueCondition(this.status, CONDITION_FAILURE_TARGET) ?? trueCondition(this.status, CONDITION_SUCCESS_CRITERIA_MET);
    if (target) {
      await this.deletePods(active, active.length);
      if (active.length === 0) this.finish(target.type === CONDITION_FAILURE_TARGET, target.reason ?? '', target.message ?? '');
      this.status.active = 0;
      this.status.ready = 0;
    } else if (spec.suspend === true) {
      if (setCondition(this.status, CONDITION_SUSPENDED, 'True', 'JobSuspended', 'Job suspended', this.nowText)) {
        this.p.recorder.event(this.job, 'Normal', 'Suspended', 'Job suspended');
      }
      await this.deletePods(active, active.length);
      this.status.active = 0;
      this.status.ready = 0;
    } else {
      if (trueCondition(this.status, CONDITION_SUSPENDED)) {
        setCondition(this.status, CONDITION_SUSPENDED, 'False', 'JobResumed', 'Job resumed', this.nowText);
        this.p.recorder.event(this.job, 'Normal', 'Resumed', 'Job resumed');
        this.status.startTime = this.nowText;
      }
      this.status.startTime ??= this.nowText;
      const made = await this.managePods(active, completed, failedIndexes);
      this.status.active = active.length + made.created - made.deleted;
      this.status.ready = active.filter(isReady).length;
    }
    await this.writeStatus();
    return this.requeueAfterMs > 0 ? { requeueAfterMs: this.requeueAfterMs } : undefined;
  }

  private removedSet(): Set<string> {
    let set = this.p.finalizersRemoved.get(this.key);
    if (!set) this.p.finalizersRemoved.set(this.key, (set = new Set()));
    return set;
  }

  private async release(pod: Pod): Promise<void> {
    await this.p.removeFinalizer(pod);
    this.removedSet().add(pod.metadata.uid ?? '');
  }

  private async claimPods(): Promise<Pod[]> {
    const namespace = this.job.metadata.namespace ?? '';
    return new ControllerRefManager<Job, Pod>({
      owner: this.job,
      ownerInfo: RESOURCES.jobs,
      selector: selectorFromLabelSelector(this.job.spec?.selector, 'spec.selector'),
      children: this.p.podClient,
      getOwnerFresh: () => this.p.jobClient.get(namespace, this.job.metadata.name ?? '').catch(() => undefined),
    }).claim(this.p.pods.lister.listInNamespace(namespace));
  }

  /** Sets FailureTarget or SuccessCriteriaMet when the Job's outcome became known (once). */
  private decideOutcome(failJob: string | undefined, failedIndexes: Set<number>, completed: Set<number>, activeCount: number): void {
    if (trueCondition(this.status, CONDITION_FAILURE_TARGET) || trueCondition(this.status, CONDITION_SUCCESS_CRITERIA_MET)) return;
    const spec = this.job.spec ?? {};
    const failure = this.failure(failJob, failedIndexes, completed);
    if (failure) {
      setCondition(this.status, CONDITION_FAILURE_TARGET, 'True', failure.reason, failure.message, this.nowText);
      this.p.recorder.event(this.job, 'Warning', failure.reason, failure.message);
      return;
    }
    const succeeded = this.status.succeeded ?? 0;
    const done =
      spec.completions === undefined ? succeeded > 0 && activeCount === 0
      : isIndexed(this.job) ? completed.size >= spec.completions
      : succeeded >= spec.completions;
    if (done) setCondition(this.status, CONDITION_SUCCESS_CRITERIA_MET, 'True', REASON_COMPLETIONS_REACHED, MESSAGE_COMPLETIONS_REACHED, this.nowText);
  }

  private failure(failJob: string | undefined, failedIndexes: Set<number>, completed: Set<number>): { reason: string; message: string } | undefined {
    const spec = this.job.spec ?? {};
    if (failJob) return { reason: REASON_POD_FAILURE_POLICY, message: failJob };
    if ((this.status.failed ?? 0) > (spec.backoffLimit ?? DEFAULT_BACKOFF_LIMIT)) return { reason: REASON_BACKOFF_LIMIT_EXCEEDED, message: MESSAGE_BACKOFF_LIMIT_EXCEEDED };
    if (failedIndexes.size > 0 && spec.completions !== undefined && failedIndexes.size + completed.size >= spec.completions) {
      return { reason: REASON_FAILED_INDEXES, message: MESSAGE_FAILED_INDEXES };
    }
    const deadlineS = spec.activeDeadlineSeconds;
    const start = this.status.startTime ? Date.parse(this.status.startTime) : NaN;
    if (deadlineS !== undefined && spec.suspend !== true && Number.isFinite(start)) {
      const left = start + deadlineS * 1000 - this.now;
      if (left <= 0) return { reason: REASON_DEADLINE_EXCEEDED, message: MESSAGE_DEADLINE_EXCEEDED };
      this.requeueAt(left);
    }
    return undefined;
  }

  /** The terminal condition, once no pod runs and every finished pod is counted. */
  private finish(failed: boolean, reason: string, message: string): void {
    if (failed) {
      setCondition(this.status, CONDITION_FAILED, 'True', reason, message, this.nowText);
      return;
    }
    setCondition(this.status, CONDITION_COMPLETE, 'True', reason, message, this.nowText);
    this.status.completionTime = this.nowText;
    this.p.recorder.event(this.job, 'Normal', 'Completed', 'Job completed');
  }

  /** Creates and deletes pods toward the plan; returns how many it did. */
  private async managePods(active: Pod[], completed: Set<number>, failedIndexes: Set<number>): Promise<{ created: number; deleted: number }> {
    if (!this.p.expectations.satisfied(this.key)) return { created: 0, deleted: 0 };
    const plan = planPods(this.job, active, this.status.succeeded ?? 0, completed, failedIndexes);
    const deleted = await this.deletePods(plan.toDelete, plan.toDelete.length);
    if (plan.toCreate.length === 0) return { created: 0, deleted };
    const wait = remainingBackoffMs(this.p.backoff.get(this.key), this.now);
    if (wait > 0) {
      this.requeueAt(wait);
      return { created: 0, deleted };
    }
    const batch = plan.toCreate.slice(0, MAX_POD_CREATE_DELETE_PER_SYNC);
    this.p.expectations.expectCreations(this.key, batch.length);
    let created = 0;
    const errors: unknown[] = [];
    await Promise.all(
      batch.map(async (index) => {
        try {
          const pod = await this.p.podClient.create(this.job.metadata.namespace, podForJob(this.job, index ?? undefined));
          created++;
          this.p.recorder.event(this.job, 'Normal', 'SuccessfulCreate', `Created pod: ${pod.metadata.name}`);
        } catch (err) {
          this.p.expectations.creationObserved(this.key);
          this.p.recorder.event(this.job, 'Warning', 'FailedCreate', `Error creating: ${(err as Error).message}`);
          errors.push(err);
        }
      }),
    );
    if (errors.length > 0) throw errors[0];
    return { created, deleted };
  }

  private async deletePods(pods: Pod[], count: number): Promise<number> {
    const victims = pods.slice(0, Math.min(count, MAX_POD_CREATE_DELETE_PER_SYNC));
    if (victims.length === 0) return 0;
    this.p.expectations.expectDeletions(this.key, victims.length);
    let deleted = 0;
    await Promise.all(
      victims.map(async (pod) => {
        try {
          await this.p.podClient.delete(pod.metadata.namespace, pod.metadata.name ?? '', { preconditions: { uid: pod.metadata.uid } });
          deleted++;
          this.p.recorder.event(this.job, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`);
        } catch (err) {
          this.p.expectations.deletionObserved(this.key);
          if (!isNotFound(err)) throw err;
        }
      }),
    );
    return deleted;
  }

  private requeueAt(ms: number): void {
    this.requeueAfterMs = this.requeueAfterMs > 0 ? Math.min(this.requeueAfterMs, ms) : ms;
  }

  /** Writes the status when it changed (compare-and-swap on the Job's resourceVersion). */
  private async writeStatus(): Promise<void> {
    const next = normalized(this.status);
    if (sameStatus(normalized((this.job.status ?? {}) as JobStatus), next)) return;
    this.job = await this.p.jobClient.updateStatus(this.job.metadata.namespace, { ...this.job, status: next });
  }
}

/** The status with empty optional parts dropped, so equal statuses compare equal. */
function normalized(status: JobStatus): JobStatus {
  const out: JobStatus = { ...status };
  const u = out.uncountedTerminatedPods;
  if (u && (u.succeeded?.length ?? 0) === 0 && (u.failed?.length ?? 0) === 0) out.uncountedTerminatedPods = {};
  for (const f of ['terminating', 'failedIndexes'] as const) if (!out[f]) delete out[f];
  return out;
}

