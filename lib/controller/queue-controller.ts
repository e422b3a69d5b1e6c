/**
 * The parts every queue-driven controller shares: a runner named after the controller on the
 * context's clock, logger and work-queue metrics, and the Controller lifecycle — workers start
 * once the informers the controller reads have synced, and stop with the runner.
 */
import type { KubeObject } from '../api/object';
import type { SharedInformer } from '../client/informer';
import type { Controller, ControllerContext } from './controller-context';
import { ControllerRunner, type ReconcileFunc } from './controller-runner';

/** A runner for the controller `name` of `ctx`, its logger a child naming the controller. */
export function controllerRunner<K = string>(ctx: ControllerContext, name: string, reconcile: ReconcileFunc<K>): ControllerRunner<K> {
  return new ControllerRunner<K>({ name, reconcile, clock: ctx.clock, logger: ctx.logger.child({ controller: name }), metrics: ctx.workQueueMetrics?.(name) });
}

/** A Controller whose `runner` starts once every informer of `synced()` has synced. */
export abstract class QueueController<K = string> implements Controller {
  protected abstract readonly runner: ControllerRunner<K>;
  /** The informers the reconcile reads (their caches must be complete before it runs). */
  protected abstract synced(): readonly Pick<SharedInformer<KubeObject>, 'waitForSync'>[];

  async run(): Promise<void> {
    await Promise.all(this.synced().map((i) => i.waitForSync()));
    this.runner.start();
  }

  stop(): Promise<void> {
    return this.runner.stop();
  }
}
