/**
 * The part the EndpointSlice and EndpointSlice-mirroring controllers share: the slices one of
 * them manages for a Service (found by the `kubernetes.io/service-name` and
 * `endpointslice.kubernetes.io/managed-by` labels), applying a {@link SlicePlan} through the
 * API, and expectations so a stale slice cache never makes it create a Service's slices twice.
 *
 * Owner keys are Service keys (`namespace/name`): a slice belongs to the key
 * `<its namespace>/<its service-name label>`.
 */
import { selectorFromSet } from '../../../lib/api/label-selector';
import { RESOURCES } from '../../../lib/api/resources';
import { isAlreadyExists, isConflict, isNotFound } from '../../../lib/api/status';
import type { EndpointSlice } from '../../../lib/api/types/discovery';
import type { ApiClient, ResourceClient } from '../../../lib/client/api-client';
import type { Clock } from '../../../lib/client/clock';
import { type SharedInformer } from '../../../lib/client/informer';
import { ControllerExpectations, type ReconcileResult } from '../../../lib/controller';
import { planSlices, type EndpointGroup, type SliceTemplate } from './slice-plan';

/** The label naming the Service a slice belongs to. */
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
/** The label naming the controller that manages a slice. */
export const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';

/** Writes one controller's slices. See the file comment. */
export class SliceWriter {
  private readonly client: ResourceClient<EndpointSlice>;
  private readonly expectations: ControllerExpectations;

  /**
   * @param managedBy the controller's `managed-by` label value; slices with another value are never touched.
   * @param enqueue called with the owner key of every event on one of this controller's slices.
   */
  constructor(
    api: ApiClient,
    clock: Clock,
    private readonly slices: SharedInformer<EndpointSlice>,
    private readonly managedBy: string,
    enqueue: (key: string) => void,
  ) {
    this.client = api.resource<EndpointSlice>(RESOURCES.endpointslices);
    this.expectations = new ControllerExpectations(clock);
    const ownerKey = (s: EndpointSlice) => this.ownerKeyOf(s);
    slices.addEventHandler({
      onAdd: (s) => {
        const key = ownerKey(s);
        if (key === undefined) return;
        this.expectations.creationObserved(key);
        enqueue(key);
      },
      // Someone editing or deleting a managed slice gets it put back.
      onUpdate: (_old, s) => {
        const key = ownerKey(s);
        if (key !== undefined) enqueue(key);
      },
      onDelete: (s) => {
        const key = ownerKey(s);
        if (key === undefined) return;
        this.expectations.deletionObserved(key);
        enqueue(key);
      },
    });
  }

  /** `namespace/service` of a slice this controller manages, else undefined. */
  private ownerKeyOf(slice: EndpointSlice): string | undefined {
    const labels = slice.metadata.labels ?? {};
    const service = labels[SERVICE_NAME_LABEL];
    if (labels[MANAGED_BY_LABEL] !== this.managedBy || !service) return undefined;
    return `${slice.metadata.namespace ?? ''}/${service}`;
  }

  /** The cached slices this controller manages for the Service `namespace/service`. */
  managedSlices(namespace: string, service: string): EndpointSlice[] {
    return this.slices.lister.listInNamespace(namespace, selectorFromSet({ [SERVICE_NAME_LABEL]: service, [MANAGED_BY_LABEL]: this.managedBy }));
  }

  /** The labels every slice of a Service carries: `extra` (the Service's or Endpoints' own), then the two identity labels. */
  sliceLabels(service: string, extra: Readonly<Record<string, string>> = {}): Record<string, string> {
    return { ...extra, [SERVICE_NAME_LABEL]: service, [MANAGED_BY_LABEL]: this.managedBy };
  }

  /**
   * Makes the Service's managed slices hold exactly `groups` (an empty list: delete them all).
   * Returns a requeue when the cache has not yet seen this controller's last creates/deletes
   * (the slice events re-enqueue the key) or a write met a stale cache.
   */
  async sync(namespace: string, service: string, groups: readonly EndpointGroup[] | undefined, template: Omit<SliceTemplate, 'namespace' | 'generateName'>): Promise<ReconcileResult | void> {
    const key = `${namespace}/${service}`;
    if (!this.expectations.satisfied(key)) return;
    const existing = this.managedSlices(namespace, service);
    const plan = groups === undefined ? { create: [], update: [], delete: existing } : planSlices(groups, existing, { ...template, namespace, generateName: `${service}-` });
    if (plan.create.length === 0 && plan.update.length === 0 && plan.delete.length === 0) return;
    this.expectations.setExpectations(key, plan.create.length, plan.delete.length);
    let stale = false;
    const tolerate = (err: unknown) => {
      if (isConflict(err) || isNotFound(err) || isAlreadyExists(err)) stale = true;
      else throw err;
    };
    for (const slice of plan.create) {
      await this.client.create(namespace, slice).catch((err) => {
        this.expectations.creationObserved(key); // no event will come for it
        tolerate(err);
      });
    }
    for (const slice of plan.update) await this.client.update(namespace, slice).catch(tolerate);
    for (const slice of plan.delete) {
      await this.client.delete(namespace, slice.metadata.name!).catch((err) => {
        this.expectations.deletionObserved(key);
        tolerate(err);
      });
    }
    return stale ? { requeue: true } : undefined;
  }

  /** Forgets the Service's expectations (it is gone). */
  forget(namespace: string, service: string): void {
    this.expectations.delete(`${namespace}/${service}`);
  }
}
