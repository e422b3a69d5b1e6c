/**
 * The Endpoints controller (Kubernetes' `endpoint`): for every Service with a selector, an
 * Endpoints object of the same name listing the selected pods' addresses and ports
 * (endpoint-subsets.ts holds the rules). Services without a selector keep the Endpoints their
 * users write; a deleted Service loses its Endpoints. Pod changes reach the Endpoints through
 * the pod informer at once (readiness flips included), and nothing is written when the desired
 * object equals the cached one.
 */
import { isDeepStrictEqual } from 'node:util';
import { RESOURCES } from '../../../lib/api/resources';
import { isConflict, isNotFound, isAlreadyExists } from '../../../lib/api/status';
import type { Endpoints, Pod, Service } from '../../../lib/api/types/core';
import type { ResourceClient } from '../../../lib/client/api-client';
import { objectKey, splitObjectKey, type SharedInformer } from '../../../lib/client/informer';
import { controllerRunner, ControllerRunner, QueueController, type ControllerContext, type ControllerDescriptor, type ReconcileResult } from '../../../lib/controller';
import { desiredSubsets, HEADLESS_LABEL, OVER_CAPACITY_ANNOTATION } from './endpoint-subsets';
import { selectedPods, serviceSelector, watchSelectedPods } from './service-pods';

/** The controller's name in `--controllers`. */
export const ENDPOINT_CONTROLLER_NAME = 'endpoint';

/** Registers the Endpoints controller. */
export const endpointControllerDescriptor: ControllerDescriptor = {
  name: ENDPOINT_CONTROLLER_NAME,
  create: (ctx) => new EndpointsController(ctx),
};

/** The Endpoints controller. See the file comment. Its queue holds Service keys. */
export class EndpointsController extends QueueController {
  private readonly services: SharedInformer<Service>;
  private readonly pods: SharedInformer<Pod>;
  private readonly endpoints: SharedInformer<Endpoints>;
  private readonly client: ResourceClient<Endpoints>;
  protected readonly runner: ControllerRunner;

  constructor(ctx: ControllerContext) {
    super();
    this.services = ctx.informers.informer<Service>(RESOURCES.services);
    this.pods = ctx.informers.informer<Pod>(RESOURCES.pods);
    this.endpoints = ctx.informers.informer<Endpoints>(RESOURCES.endpoints);
    this.client = ctx.client.resource<Endpoints>(RESOURCES.endpoints);
    this.runner = controllerRunner(ctx, ENDPOINT_CONTROLLER_NAME, (key) => this.reconcile(key));
    const enqueue = (obj: Service | Endpoints) => this.runner.enqueue(objectKey(obj));
    this.services.addEventHandler({ onAdd: enqueue, onUpdate: (_old, svc) => enqueue(svc), onDelete: enqueue });
    // Someone deleting or editing a managed Endpoints gets it put back.
    this.endpoints.addEventHandler({ onUpdate: (_old, ep) => enqueue(ep), onDelete: enqueue });
    watchSelectedPods(this.pods, this.services.lister, enqueue);
  }

  protected synced() {
    return [this.services, this.pods, this.endpoints];
  }

  private async reconcile(key: string): Promise<ReconcileResult | void> {
    const { namespace, name } = splitObjectKey(key);
    const service = this.services.lister.get(namespace, name);
    if (!service) {
      // The Service is gone: so are its Endpoints (only ones a controller could have made).
      if (this.endpoints.lister.get(namespace, name)) await this.client.delete(namespace, name).catch((err) => (isNotFound(err) ? undefined : Promise.reject(err)));
      return;
    }
    if (!serviceSelector(service) || service.spec?.type === 'ExternalName') return;
    const pods = selectedPods(service, this.pods.lister);
    const { subsets, truncated } = desiredSubsets(service, pods);
    const labels: Record<string, string> = { ...(service.metadata.labels ?? {}) };
    if (service.spec?.clusterIP === 'None') labels[HEADLESS_LABEL] = '';
    const current = this.endpoints.lister.get(namespace, name);
    const annotations: Record<string, string> = { ...(current?.metadata.annotations ?? {}) };
    if (truncated > 0) annotations[OVER_CAPACITY_ANNOTATION] = 'truncated';
    else delete annotations[OVER_CAPACITY_ANNOTATION];
    if (
      current &&
      isDeepStrictEqual(current.subsets ?? [], subsets) &&
      isDeepStrictEqual(current.metadata.labels ?? {}, labels) &&
      isDeepStrictEqual(current.metadata.annotations ?? {}, annotations)
    ) {
      return;
    }
    const desired: Endpoints = {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: {
        ...(current?.metadata ?? {}),
        name,
        namespace,
        labels,
        ...(Object.keys(annotations).length ? { annotations } : {}),
      },
      subsets,
    };
    if (!Object.keys(annotations).length) delete desired.metadata.annotations;
    try {
      if (current) await this.client.update(namespace, desired);
      else await this.client.create(namespace, desired);
    } catch (err) {
      // A stale cache (someone else wrote it meanwhile): look again once the informer caught up.
      if (isConflict(err) || isAlreadyExists(err) || isNotFound(err)) return { requeue: true };
      throw err;
    }
  }
}
