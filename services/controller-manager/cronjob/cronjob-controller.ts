/**
 * The CronJob controller (Kubernetes' `cronjob` controller v2, Events as `cronjob-controller`):
 * creates a Job at each scheduled time of a CronJob.
 *
 * One reconcile of a CronJob, from the caches:
 * 1. status.active follows the owned Jobs: running ones are listed, finished ones leave it
 *    (a Complete one moves lastSuccessfulTime), ones gone from the API leave it.
 * 2. Finished Jobs beyond successfulJobsHistoryLimit / failedJobsHistoryLimit are deleted,
 *    oldest first (Background propagation).
 * 3. Unless suspended or being deleted: the most recent scheduled time since lastScheduleTime
 *    (or creation, bounded by startingDeadlineSeconds) is started, unless it is past its
 *    startingDeadlineSeconds, already started, or concurrencyPolicy Forbid finds a Job
 *    running (Replace deletes the running ones first). More than 100 missed times is warned
 *    about (TooManyMissedTimes); only the latest starts.
 * 4. The key is looked at again just after the next scheduled time (the injected clock).
 * Jobs are named `<cronjob>-<scheduled time in Unix minutes>` and carry the scheduled time in
 * the `batch.kubernetes.io/cronjob-scheduled-timestamp` annotation (RFC 3339 in the zone).
 */
import { sameStatus } from '../../../lib/controller/status-compare';
import { isAlreadyExists, isNotFound } from '../../../lib/api/status';
import { RESOURCES } from '../../../lib/api/resources';
import type { CronJob, Job } from '../../../lib/api/types';
import type { ObjectReference } from '../../../lib/api/types/core';
import type { ResourceClient } from '../../../lib/client/api-client';
import type { EventRecorder } from '../../../lib/client/events';
import { objectKey, splitObjectKey, type SharedInformer } from '../../../lib/client/informer';
import {
  CONTROLLER_UID_INDEX,
  ControllerRunner,
  getControllerOf,
  indexByControllerUid,
  isControlledBy,
  newControllerRef,
  resolveControllerRef,
  type Controller,
  type ControllerContext,
  type ControllerDescriptor,
  type ReconcileResult,
} from '../../../lib/controller';
import { CONDITION_COMPLETE, CONDITION_FAILED, rfc3339, trueCondition, type JobStatus } from '../job/job-status';
import { isScheduleError, MAX_MISSED_START_TIMES, mostRecentScheduleTime, parseCronSchedule } from './cron-times';
import { formatRfc3339InZone } from './zone-time';

/** The controller's name in `--controllers`. */
export const CRONJOB_CONTROLLER_NAME = 'cronjob';
/** The component its Events are written as. */
export const CRONJOB_CONTROLLER_COMPONENT = 'cronjob-controller';
/** Annotation of a Job with the scheduled time it was started for. */
export const CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION = 'batch.kubernetes.io/cronjob-scheduled-timestamp';
/** How long after the next scheduled time the CronJob is looked at again, ms (Kubernetes' nextScheduleDelta). */
export const NEXT_SCHEDULE_DELTA_MS = 100;
/** Default history limits (the apiserver defaults them; objects from elsewhere may lack them). */
const DEFAULT_SUCCESSFUL_HISTORY = 3;
const DEFAULT_FAILED_HISTORY = 1;

/** Registers the CronJob controller. */
export const cronJobControllerDescriptor: ControllerDescriptor = {
  name: CRONJOB_CONTROLLER_NAME,
  create: (ctx) => new CronJobController(ctx),
};

/** The Job name of the run scheduled at `scheduledMs`. */
export function jobNameFor(cronJob: CronJob, scheduledMs: number): string {
  return `${cronJob.metadata.name}-${Math.floor(scheduledMs / 60_000)}`;
}

interface CronJobStatus {
  active?: ObjectReference[];
  lastScheduleTime?: string;
  lastSuccessfulTime?: string;
  [field: string]: unknown;
}

/** The CronJob controller. See the file comment. */
export class CronJobController implements Controller {
  private readonly cronJobs: SharedInformer<CronJob>;
  private readonly jobs: SharedInformer<Job>;
  private readonly cronJobClient: ResourceClient<CronJob>;
  private readonly jobClient: ResourceClient<Job>;
  private readonly recorder: EventRecorder;
  private readonly runner: ControllerRunner;

  constructor(private readonly ctx: ControllerContext) {
    this.cronJobs = this.ctx.informers.informer<CronJob>(RESOURCES.cronjobs);
    this.jobs = this.ctx.informers.informer<Job>(RESOURCES.jobs, { indexers: { [CONTROLLER_UID_INDEX]: indexByControllerUid } });
    this.cronJobClient = this.ctx.client.resource<CronJob>(RESOURCES.cronjobs);
    this.jobClient = this.ctx.client.resource<Job>(RESOURCES.jobs);
    this.recorder = this.ctx.recorder(CRONJOB_CONTROLLER_COMPONENT);
    this.runner = new ControllerRunner({
      name: CRONJOB_CONTROLLER_NAME,
      reconcile: (k) => this.reconcile(k),
      clock: this.ctx.clock,
      logger: this.ctx.logger.child({ controller: CRONJOB_CONTROLLER_NAME }),
      metrics: this.ctx.workQueueMetrics?.(CRONJOB_CONTROLLER_NAME),
    });
    this.cronJobs.addEventHandler({ onAdd: (cj) => this.runner.enqueue(objectKey(cj)), onUpdate: (_o, cj) => this.runner.enqueue(objectKey(cj)) });
    const jobChanged = (job: Job) => {
      const owner = resolveControllerRef(job.metadata.namespace ?? '', getControllerOf(job), RESOURCES.cronjobs, this.cronJobs.lister);
      if (owner) this.runner.enqueue(objectKey(owner));
    };
    this.jobs.addEventHandler({ onAdd: jobChanged, onUpdate: (_o, job) => jobChanged(job), onDelete: jobChanged });
  }

  async run(): Promise<void> {
    await Promise.all([this.cronJobs.waitForSync(), this.jobs.waitForSync()]);
    this.runner.start();
  }

  stop(): Promise<void> {
    return this.runner.stop();
  }

  private async reconcile(key: string): Promise<ReconcileResult | void> {
    const { namespace, name } = splitObjectKey(key);
    const cached = this.cronJobs.lister.get(namespace, name);
    if (!cached) return;
    const cj: CronJob = structuredClone(cached);
    const status = (cj.status ??= {}) as CronJobStatus;
    const owned = this.jobs.lister.byIndex(CONTROLLER_UID_INDEX, cj.metadata.uid ?? '').filter((j) => isControlledBy(j, cj));
    await this.trackActive(cj, status, owned);
    await this.cleanupHistory(cj, owned);
    const result = cj.metadata.deletionTimestamp ? undefined : await this.schedule(cj, status);
    await this.writeStatus(cached, status);
    return result;
  }

  /** Step 1 of the file comment. */
  private async trackActive(cj: CronJob, status: CronJobStatus, owned: readonly Job[]): Promise<void> {
    const active = (status.active ??= []);
    for (const job of owned) {
      const at = active.findIndex((r) => r.uid === job.metadata.uid);
      const done = trueCondition(job.status as JobStatus, CONDITION_COMPLETE) ? 'Complete' : trueCondition(job.status as JobStatus, CONDITION_FAILED) ? 'Failed' : undefined;
      if (at < 0 && !done) active.push(jobReference(job));
      if (at >= 0 && done) {
        active.splice(at, 1);
        this.recorder.event(cj, 'Normal', 'SawCompletedJob', `Saw completed job: ${job.metadata.name}, status: ${done}`);
        const completedAt = (job.status as JobStatus | undefined)?.completionTime;
        if (done === 'Complete' && completedAt && (!status.lastSuccessfulTime || Date.parse(completedAt) > Date.parse(status.lastSuccessfulTime))) {
          status.lastSuccessfulTime = completedAt;
        }
      }
    }
    for (const ref of [...active]) {
      if (owned.some((j) => j.metadata.uid === ref.uid)) continue;
      // Not in the cache: ask the API before dropping it (the cache may not have seen a new Job yet).
      const job = await this.jobClient.get(ref.namespace, ref.name ?? '').catch((err) => {
        if (isNotFound(err)) return undefined;
        throw err;
      });
      if (!job || job.metadata.uid !== ref.uid) {
        active.splice(active.indexOf(ref), 1);
        this.recorder.event(cj, 'Normal', 'MissingJob', `Active job went missing: ${ref.name}`);
      }
    }
  }

  /** Step 2 of the file comment. */
  private async cleanupHistory(cj: CronJob, owned: readonly Job[]): Promise<void> {
    const startOf = (j: Job) => Date.parse((j.status as JobStatus | undefined)?.startTime ?? j.metadata.creationTimestamp ?? '') || 0;
    const limits: [string, number][] = [
      [CONDITION_COMPLETE, cj.spec?.successfulJobsHistoryLimit ?? DEFAULT_SUCCESSFUL_HISTORY],
      [CONDITION_FAILED, cj.spec?.failedJobsHistoryLimit ?? DEFAULT_FAILED_HISTORY],
    ];
    for (const [condition, limit] of limits) {
      const finished = owned.filter((j) => !j.metadata.deletionTimestamp && trueCondition(j.status as JobStatus, condition)).sort((a, b) => startOf(a) - startOf(b));
      for (const job of finished.slice(0, Math.max(0, finished.length - limit))) await this.deleteJob(cj, job);
    }
  }

  private async deleteJob(cj: CronJob, job: Job): Promise<void> {
    try {
      await this.jobClient.delete(job.metadata.namespace, job.metadata.name ?? '', { propagationPolicy: 'Background', preconditions: { uid: job.metadata.uid } });
      this.recorder.event(cj, 'Normal', 'SuccessfulDelete', `Deleted job ${job.metadata.name}`);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  /** Steps 3 and 4 of the file comment. */
  private async schedule(cj: CronJob, status: CronJobStatus): Promise<ReconcileResult | void> {
    const spec = cj.spec ?? {};
    const parsed = parseCronSchedule(spec.schedule ?? '', spec.timeZone);
    if (isScheduleError(parsed)) {
      const badZone = parsed.error.startsWith('unknown time zone');
      this.recorder.event(cj, 'Warning', badZone ? 'UnknownTimeZone' : 'UnparseableSchedule', badZone ? `invalid timeZone: ${JSON.stringify(spec.timeZone)}: ${parsed.error}` : `unparseable schedule: ${JSON.stringify(spec.schedule)} : ${parsed.error}`);
      return;
    }
    if (spec.suspend === true) return;
    const now = this.ctx.clock.now();
    const requeue = { requeueAfterMs: parsed.next(now) - now + NEXT_SCHEDULE_DELTA_MS };
    let earliest = Date.parse(status.lastScheduleTime ?? cj.metadata.creationTimestamp ?? '') || now;
    const deadlineS = spec.startingDeadlineSeconds;
    if (deadlineS !== undefined && deadlineS !== null) earliest = Math.max(earliest, now - deadlineS * 1000);
    const { mostRecentMs, missed } = mostRecentScheduleTime(parsed, earliest, now);
    if (missed > MAX_MISSED_START_TIMES) {
      this.recorder.event(cj, 'Warning', 'TooManyMissedTimes', 'too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew');
    }
    if (mostRecentMs === undefined) return requeue;
    if (deadlineS !== undefined && deadlineS !== null && mostRecentMs + deadlineS * 1000 < now) {
      this.recorder.event(cj, 'Warning', 'MissSchedule', `Missed scheduled time to start a job: ${formatRfc3339InZone(mostRecentMs, zoneOf(cj))}`);
      return requeue;
    }
    const name = jobNameFor(cj, mostRecentMs);
    const active = (status.active ??= []);
    if (active.some((r) => r.name === name) || (status.lastScheduleTime && Date.parse(status.lastScheduleTime) >= mostRecentMs)) return requeue;
    if (spec.concurrencyPolicy === 'Forbid' && active.length > 0) {
      this.recorder.event(cj, 'Normal', 'JobAlreadyActive', 'Not starting job because prior execution is running and concurrency policy is Forbid');
      return requeue;
    }
    if (spec.concurrencyPolicy === 'Replace') {
      for (const ref of [...active]) {
        const job = this.jobs.lister.get(ref.namespace ?? '', ref.name ?? '');
        if (job) await this.deleteJob(cj, job);
        active.splice(active.indexOf(ref), 1);
      }
    }
    const job = await this.createJob(cj, name, mostRecentMs);
    if (job) {
      // An existing Job of the same name (two runs in one minute, e.g. `@every 20s`) is that run.
      const running = !trueCondition(job.status as JobStatus, CONDITION_COMPLETE) && !trueCondition(job.status as JobStatus, CONDITION_FAILED);
      if (running && !active.some((r) => r.uid === job.metadata.uid)) active.push(jobReference(job));
      status.lastScheduleTime = rfc3339(mostRecentMs);
    }
    return requeue;
  }

  /** Creates the Job of one scheduled time; an existing one of this CronJob counts as created. */
  private async createJob(cj: CronJob, name: string, scheduledMs: number): Promise<Job | undefined> {
    const tmpl = cj.spec?.jobTemplate ?? {};
    const job: Job = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: {
        name,
        namespace: cj.metadata.namespace,
        labels: { ...(tmpl.metadata?.labels ?? {}) },
        annotations: { ...(tmpl.metadata?.annotations ?? {}), [CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION]: formatRfc3339InZone(scheduledMs, zoneOf(cj)) },
        ownerReferences: [newControllerRef(cj, RESOURCES.cronjobs)],
      },
      spec: structuredClone(tmpl.spec ?? {}),
    };
    try {
      const created = await this.jobClient.create(cj.metadata.namespace, job);
      this.recorder.event(cj, 'Normal', 'SuccessfulCreate', `Created job ${name}`);
      return created;
    } catch (err) {
      if (!isAlreadyExists(err)) {
        this.recorder.event(cj, 'Warning', 'FailedCreate', `Error creating job: ${(err as Error).message}`);
        throw err;
      }
      const existing = await this.jobClient.get(cj.metadata.namespace, name);
      return isControlledBy(existing, cj) ? existing : undefined;
    }
  }

  /** Writes the status when it changed (an empty active list counts as none). */
  private async writeStatus(cached: CronJob, status: CronJobStatus): Promise<void> {
    if (status.active?.length === 0) delete status.active;
    if (sameStatus(cached.status, status)) return;
    await this.cronJobClient.updateStatus(cached.metadata.namespace, { ...cached, status });
  }
}

/** The zone a CronJob's times are written in. */
function zoneOf(cj: CronJob): string {
  const prefix = /^(?:CRON_TZ|TZ)=(\S+)\s/.exec(cj.spec?.schedule ?? '');
  return cj.spec?.timeZone ?? prefix?.[1] ?? 'UTC';
}

/** A reference to a Job as status.active holds it. */
function jobReference(job: Job): ObjectReference {
  return { apiVersion: 'batch/v1', kind: 'Job', namespace: job.metadata.namespace, name: job.metadata.name, uid: job.metadata.uid, resourceVersion: job.metadata.resourceVersion };
}
