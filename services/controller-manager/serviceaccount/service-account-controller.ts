/**
 * The ServiceAccounts controller (Kubernetes' `serviceaccount`): every active namespace has a
 * `default` ServiceAccount — made when the namespace appears and made again when someone
 * deletes it. Namespaces being terminated are left alone (their content is going away).
 */
import { isAlreadyExists, isForbidden, isNotFound } from '../../../lib/api/status';
import { RESOURCES } from '../../../lib/api/resources';
import type { Namespace, ServiceAccount } from '../../../lib/api/types';
import type { SharedInformer } from '../../../lib/client/informer';
import type { ResourceClient } from '../../../lib/client/api-client';
import { controllerRunner, ControllerRunner, QueueController, type ControllerContext, type ControllerDescriptor } from '../../../lib/controller';

/** The controller's name in `--controllers`. */
export const SERVICE_ACCOUNT_CONTROLLER_NAME = 'serviceaccount';
/** The ServiceAccounts every namespace gets. */
export const MANAGED_SERVICE_ACCOUNTS: readonly string[] = ['default'];

/** Registers the ServiceAccounts controller. */
export const serviceAccountControllerDescriptor: ControllerDescriptor = {
  name: SERVICE_ACCOUNT_CONTROLLER_NAME,
  create: (ctx) => new ServiceAccountController(ctx),
};

/** The ServiceAccounts controller. See the file comment. Its queue holds namespace names. */
export class ServiceAccountController extends QueueController {
  private readonly namespaces: SharedInformer<Namespace>;
  private readonly accounts: SharedInformer<ServiceAccount>;
  private readonly client: ResourceClient<ServiceAccount>;
  protected readonly runner: ControllerRunner;

  constructor(ctx: ControllerContext) {
    super();
    this.namespaces = ctx.informers.informer<Namespace>(RESOURCES.namespaces);
    this.accounts = ctx.informers.informer<ServiceAccount>(RESOURCES.serviceaccounts);
    this.client = ctx.client.resource<ServiceAccount>(RESOURCES.serviceaccounts);
    this.runner = controllerRunner(ctx, SERVICE_ACCOUNT_CONTROLLER_NAME, (ns) => this.reconcile(ns));
    const enqueueNamespace = (ns: Namespace) => this.runner.enqueue(ns.metadata.name!);
    this.namespaces.addEventHandler({ onAdd: enqueueNamespace, onUpdate: (_old, ns) => enqueueNamespace(ns) });
    this.accounts.addEventHandler({
      onDelete: (sa) => {
        if (MANAGED_SERVICE_ACCOUNTS.includes(sa.metadata.name!) && sa.metadata.namespace) this.runner.enqueue(sa.metadata.namespace!);
      },
    });
  }

  protected synced() {
    return [this.namespaces, this.accounts];
  }

  private async reconcile(namespace: string): Promise<void> {
    const ns = this.namespaces.lister.get('', namespace);
    if (!ns || ns.metadata.deletionTimestamp || ns.status?.phase === 'Terminating') return;
    for (const name of MANAGED_SERVICE_ACCOUNTS) {
      if (this.accounts.lister.get(namespace, name)) continue;
      try {
        await this.client.create(namespace, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace } });
      } catch (err) {
        // Already there (the cache lags), or the namespace went away or began terminating
        // meanwhile (NotFound / Forbidden from namespace lifecycle): nothing to do.
        if (isAlreadyExists(err) || isNotFound(err) || isForbidden(err)) continue;
        throw err;
      }
    }
  }
}
