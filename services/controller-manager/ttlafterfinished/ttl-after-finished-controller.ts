/**
 * The TTL-after-finished controller (Kubernetes' `ttl-after-finished`): deletes a finished Job
 * (Complete or Failed) ttlSecondsAfterFinished after it finished, with Background propagation
 * so the garbage collector removes its pods. Before deleting it reads the Job from the API (the
 * cache may be stale: the TTL may have been changed or removed) and deletes with that read's
 * resourceVersion as precondition.
 */
import { isConflict, isNotFound } from '../../../lib/api/status';
import { RESOURCES } from '../../../lib/api/resources';
import type { Job } from '../../../lib/api/types';
import { objectKey, splitObjectKey, type SharedInformer } from '../../../lib/client/informer';
import { ControllerRunner, type Controller, type ControllerContext, type ControllerDescriptor, type ReconcileResult } from '../../../lib/controller';
import type { ResourceClient } from '../../../lib/client/api-client';
import { jobFinishTimeMs } from '../job/job-status';

/** The controller's name in `--controllers`. */
export const TTL_AFTER_FINISHED_CONTROLLER_NAME = 'ttl-after-finished';

/** Registers the TTL-after-finished controller. */
export const ttlAfterFinishedControllerDescriptor: ControllerDescriptor = {
  name: TTL_AFTER_FINISHED_CONTROLLER_NAME,
  create: (ctx) => new TtlAfterFinishedController(ctx),
};

/** Milliseconds until `job` expires at `nowMs` (≤ 0: due), or undefined when it never does (no TTL, not finished). */
export function msUntilExpiry(job: Job, nowMs: number): number | undefined {
  const ttl = job.spec?.ttlSecondsAfterFinished;
  if (ttl === undefined || ttl === null || job.metadata.deletionTimestamp) return undefined;
  const finished = jobFinishTimeMs(job);
  return finished === undefined ? undefined : finished + ttl * 1000 - nowMs;
}

/** The TTL-after-finished controller. See the file comment. */
export class TtlAfterFinishedController implements Controller {
  private readonly jobs: SharedInformer<Job>;
  private readonly client: ResourceClient<Job>;
  private readonly runner: ControllerRunner;

  constructor(private readonly ctx: ControllerContext) {
    this.jobs = this.ctx.informers.informer<Job>(RESOURCES.jobs);
    this.client = this.ctx.client.resource<Job>(RESOURCES.jobs);
    this.runner = new ControllerRunner({
      name: TTL_AFTER_FINISHED_CONTROLLER_NAME,
      reconcile: (k) => this.reconcile(k),
      clock: this.ctx.clock,
      logger: this.ctx.logger.child({ controller: TTL_AFTER_FINISHED_CONTROLLER_NAME }),
      metrics: this.ctx.workQueueMetrics?.(TTL_AFTER_FINISHED_CONTROLLER_NAME),
    });
    const consider = (job: Job) => {
      if (msUntilExpiry(job, this.ctx.clock.now()) !== undefined) this.runner.enqueue(objectKey(job));
    };
    this.jobs.addEventHandler({ onAdd: consider, onUpdate: (_o, job) => consider(job) });
  }

  async run(): Promise<void> {
    await this.jobs.waitForSync();
    this.runner.start();
  }

  stop(): Promise<void> {
    return this.runner.stop();
  }

  private async reconcile(key: string): Promise<ReconcileResult | void> {
    const { namespace, name } = splitObjectKey(key);
    const cached = this.jobs.lister.get(namespace, name);
    if (!cached) return;
    const left = msUntilExpiry(cached, this.ctx.clock.now());
    if (left === undefined) return;
    if (left > 0) return { requeueAfterMs: left };
    const fresh = await this.client.get(namespace, name).catch((err) => {
      if (isNotFound(err)) return undefined;
      throw err;
    });
    if (!fresh) return;
    const freshLeft = msUntilExpiry(fresh, this.ctx.clock.now());
    if (freshLeft === undefined) return;
    if (freshLeft > 0) return { requeueAfterMs: freshLeft };
    try {
      await this.client.delete(namespace, name, { propagationPolicy: 'Background', preconditions: { uid: fresh.metadata.uid, resourceVersion: fresh.metadata.resourceVersion } });
    } catch (err) {
      if (isNotFound(err)) return;
      if (isConflict(err)) return { requeue: true };
      throw err;
    }
  }
}
