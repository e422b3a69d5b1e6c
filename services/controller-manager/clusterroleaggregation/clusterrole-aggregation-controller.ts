/**
 * The clusterrole-aggregation controller (Kubernetes' `clusterrole-aggregation`): the `rules` of
 * every ClusterRole with an `aggregationRule` are kept equal to the rules of the ClusterRoles its
 * selectors match (lib/api/rbac-aggregation.ts: selector by selector, roles by name, each rule
 * once). Any ClusterRole changing re-queues every aggregated role — one may now match, or hold
 * other rules — so chains (view into edit into admin) settle pass by pass. A role is written only
 * when its rules differ, with the cached resourceVersion (a conflict re-queues it).
 */
import type { Logger } from 'pino';
import { RESOURCES } from '../../../lib/api/resources';
import { ApiError } from '../../../lib/api/errors';
import { isNotFound } from '../../../lib/api/status';
import { aggregatedRules, isAggregated, sameRules } from '../../../lib/api/rbac-aggregation';
import type { ClusterRole } from '../../../lib/api/types/rbac';
import type { ResourceClient } from '../../../lib/client/api-client';
import type { SharedInformer } from '../../../lib/client/informer';
import { controllerRunner, ControllerRunner, QueueController, type ControllerContext, type ControllerDescriptor } from '../../../lib/controller';

export const CLUSTERROLE_AGGREGATION_CONTROLLER_NAME = 'clusterrole-aggregation';

export const clusterRoleAggregationControllerDescriptor: ControllerDescriptor = {
  name: CLUSTERROLE_AGGREGATION_CONTROLLER_NAME,
  create: (ctx) => new ClusterRoleAggregationController(ctx),
};

/** Keeps aggregated ClusterRoles' rules (see the file comment); queue keys are role names. */
export class ClusterRoleAggregationController extends QueueController {
  private readonly roles: SharedInformer<ClusterRole>;
  private readonly client: ResourceClient<ClusterRole>;
  protected readonly runner: ControllerRunner;
  private readonly logger: Logger;

  constructor(ctx: ControllerContext) {
    super();
    this.roles = ctx.informers.informer<ClusterRole>(RESOURCES.clusterroles);
    this.client = ctx.client.resource<ClusterRole>(RESOURCES.clusterroles);
    this.logger = ctx.logger.child({ controller: CLUSTERROLE_AGGREGATION_CONTROLLER_NAME });
    this.runner = controllerRunner(ctx, CLUSTERROLE_AGGREGATION_CONTROLLER_NAME, (name) => this.sync(name));
    const enqueueAll = () => {
      for (const role of this.roles.lister.list()) if (isAggregated(role)) this.runner.enqueue(role.metadata.name ?? '');
    };
    this.roles.addEventHandler({ onAdd: enqueueAll, onUpdate: enqueueAll, onDelete: enqueueAll });
  }

  protected synced() {
    return [this.roles];
  }

  private async sync(name: string): Promise<void> {
    const role = this.roles.lister.get('', name);
    if (!role || !isAggregated(role)) return;
    let rules;
    try {
      rules = aggregatedRules(role, this.roles.lister.list());
    } catch (err) {
      // The apiserver validates selectors, so this is an old object: retrying cannot help.
      if (err instanceof ApiError && err.code === 400) {
        this.logger.warn({ clusterRole: name, err: err.message }, 'an aggregationRule has an invalid selector; its rules are left as they are');
        return;
      }
      throw err;
    }
    if (sameRules(rules, role.rules ?? [])) return;
    try {
      await this.client.update(undefined, { ...role, rules });
      this.logger.info({ clusterRole: name, rules: rules.length }, 'aggregated the rules of a ClusterRole');
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}
