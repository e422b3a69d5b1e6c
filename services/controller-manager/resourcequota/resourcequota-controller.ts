/**
 * The ResourceQuota controller (Kubernetes' `resourcequota`): keeps every quota's status exact —
 * status.hard mirrors spec.hard, status.used is the sum of what the namespace's objects cost
 * (lib/quota/usage: terminal pods release their compute and `pods`) for each limited resource.
 *
 * A quota is recalculated in full when it is created or its spec changes, every
 * QUOTA_RESYNC_PERIOD_MS, and whenever an object of a watched kind in its namespace is deleted
 * or changes what it costs (a pod turning terminal, a Service changing type): deletes release
 * usage at once. Creates are not a trigger: the quota admission charges them as they happen,
 * and a recalculation from a cache that has not yet seen a just-charged object would undo the
 * charge. Kinds without an informer here (count/deployments.apps, …) are listed through the API
 * on each recalculation. The status write carries the cached quota's resourceVersion, so it
 * never overwrites a charge it did not see (a conflict requeues).
 */
import type { KubeObject, ResourceInfo } from '../../../lib/api/object';
import { RESOURCES } from '../../../lib/api/resources';
import { isNotFound } from '../../../lib/api/status';
import type { ResourceList, ResourceQuota } from '../../../lib/api/types/core';
import type { ResourceClient } from '../../../lib/client/api-client';
import { objectKey, splitObjectKey, type SharedInformer } from '../../../lib/client/informer';
import { controllerRunner, ControllerRunner, QueueController, type ControllerContext, type ControllerDescriptor, type ReconcileResult } from '../../../lib/controller';
import { addLists, listsEqual, maskList, zeroList } from '../../../lib/quota/resource-list';
import { objectUsage, quotaCovers } from '../../../lib/quota/usage';
import { sourceOf, WATCHED_RESOURCES } from './quota-sources';

/** The controller's name in `--controllers`. */
export const RESOURCE_QUOTA_CONTROLLER_NAME = 'resourcequota';
/** How often every quota is recalculated in full (Kubernetes' --resource-quota-sync-period, 5 min). */
export const QUOTA_RESYNC_PERIOD_MS = 5 * 60_000;

/** Registers the ResourceQuota controller. */
export const resourceQuotaControllerDescriptor: ControllerDescriptor = {
  name: RESOURCE_QUOTA_CONTROLLER_NAME,
  create: (ctx) => new ResourceQuotaController(ctx),
};

/** "group/resource" of a served resource. */
function grKey(gr: { group: string; resource: string }): string {
  return `${gr.group}/${gr.resource}`;
}

/** The ResourceQuota controller. See the file comment. Its queue holds quota keys (namespace/name). */
export class ResourceQuotaController extends QueueController {
  private readonly quotas: SharedInformer<ResourceQuota>;
  private readonly watched = new Map<string, SharedInformer<KubeObject>>();
  private readonly quotaClient: ResourceClient<ResourceQuota>;
  protected readonly runner: ControllerRunner;

  constructor(private readonly ctx: ControllerContext) {
    super();
    this.quotas = ctx.informers.informer<ResourceQuota>(RESOURCES.resourcequotas);
    this.quotaClient = ctx.client.resource<ResourceQuota>(RESOURCES.resourcequotas);
    this.runner = controllerRunner(ctx, RESOURCE_QUOTA_CONTROLLER_NAME, (key) => this.sync(key));
    this.quotas.addEventHandler({
      onAdd: (q) => this.runner.enqueue(objectKey(q)),
      onUpdate: (old, q) => {
        if (!listsEqual(old.spec?.hard, q.spec?.hard) || !listsEqual(q.spec?.hard, q.status?.hard)) this.runner.enqueue(objectKey(q));
      },
    });
    for (const info of WATCHED_RESOURCES) {
      const informer = info === RESOURCES.resourcequotas ? (this.quotas as unknown as SharedInformer<KubeObject>) : ctx.informers.informer<KubeObject>(info);
      this.watched.set(grKey(info), informer);
      informer.addEventHandler({
        onDelete: (obj) => this.enqueueNamespace(obj.metadata.namespace),
        onUpdate: (old, obj) => {
          const now = this.ctx.clock.now();
          if (!listsEqual(objectUsage(info, old, now), objectUsage(info, obj, now))) this.enqueueNamespace(obj.metadata.namespace);
        },
      });
    }
  }

  protected synced() {
    return [this.quotas, ...this.watched.values()];
  }

  private enqueueNamespace(namespace: string | undefined): void {
    if (!namespace) return;
    for (const q of this.quotas.lister.listInNamespace(namespace)) this.runner.enqueue(objectKey(q));
  }

  private async sync(key: string): Promise<ReconcileResult> {
    const { namespace, name } = splitObjectKey(key);
    const quota = this.quotas.lister.get(namespace, name);
    if (!quota) return {};
    const hard = quota.spec?.hard ?? {};
    const used = await this.usage(quota, namespace, Object.keys(hard));
    if (listsEqual(quota.status?.hard, hard) && listsEqual(quota.status?.used, used)) return { requeueAfterMs: QUOTA_RESYNC_PERIOD_MS };
    try {
      // The cached resourceVersion makes this a compare-and-swap: a charge made since is never lost.
      await this.quotaClient.updateStatus(namespace, { ...quota, status: { hard: { ...hard }, used } });
    } catch (err) {
      if (isNotFound(err)) return {};
      throw err;
    }
    return { requeueAfterMs: QUOTA_RESYNC_PERIOD_MS };
  }

  /** What the namespace's objects covered by `quota` cost, for `names` (each present, 0 when nothing costs it). */
  private async usage(quota: ResourceQuota, namespace: string, names: readonly string[]): Promise<ResourceList> {
    const bySource = new Map<string, ResourceInfo>();
    for (const n of names) {
      const src = sourceOf(n);
      if (src) bySource.set(grKey(src), src as ResourceInfo);
    }
    const now = this.ctx.clock.now();
    let total: ResourceList = zeroList(names);
    for (const [k, info] of bySource) {
      for (const obj of await this.objectsOf(k, info, namespace)) {
        if (quotaCovers(quota, info, obj)) total = addLists(total, maskList(objectUsage(info, obj, now), names));
      }
    }
    return total;
  }

  /** The objects of `info` in `namespace`: from the informer when there is one, else listed through the API. */
  private async objectsOf(key: string, info: ResourceInfo, namespace: string): Promise<readonly KubeObject[]> {
    const informer = this.watched.get(key);
    if (informer) return informer.lister.listInNamespace(namespace);
    return (await this.ctx.client.resource<KubeObject>(info).list(namespace)).items;
  }
}
