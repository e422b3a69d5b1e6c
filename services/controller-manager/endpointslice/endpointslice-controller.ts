/**
 * The EndpointSlice controller (Kubernetes' `endpointslice`): for every Service with a
 * selector, discovery.k8s.io/v1 EndpointSlices named `<service>-<random5>`, labelled
 * `kubernetes.io/service-name=<service>` and managed-by `endpointslice-controller.k8s.io`, owned
 * by the Service, listing the selected pods (slice-plan.ts packs them, ≤100 per slice).
 *
 * Each pod with an IPv4 address that is not finished gives one endpoint: conditions ready (pod
 * Ready and not terminating, or the Service publishes not-ready addresses), serving (pod Ready,
 * terminating or not) and terminating (deletionTimestamp set) — so unlike Endpoints, terminating
 * pods stay listed; nodeName, a Pod targetRef, and the pod's hostname when its subdomain is the
 * Service. Ports follow the Service's, resolved per pod as for Endpoints (endpoint-subsets.ts).
 * Pod events reach the slices at once through the pod informer; nothing is written when the
 * slices already hold what they should.
 */
import { isIPv4 } from 'node:net';
import { isPodReady } from '../../../lib/api/pod-status';
import { RESOURCES } from '../../../lib/api/resources';
import type { Pod, Service } from '../../../lib/api/types/core';
import type { Endpoint, EndpointSlice } from '../../../lib/api/types/discovery';
import { objectKey, splitObjectKey, type SharedInformer } from '../../../lib/client/informer';
import { controllerRunner, ControllerRunner, QueueController, newControllerRef, type ControllerContext, type ControllerDescriptor, type ReconcileResult } from '../../../lib/controller';
import { HEADLESS_LABEL, podBelongsInEndpoints, podEndpointPorts, podHostnameFor } from '../endpoint/endpoint-subsets';
import { selectedPods, serviceSelector, watchSelectedPods } from '../endpoint/service-pods';
import type { EndpointGroup } from './slice-plan';
import { SliceWriter } from './slice-writer';

/** The controller's name in `--controllers`. */
export const ENDPOINTSLICE_CONTROLLER_NAME = 'endpointslice';
/** The managed-by label value of this controller's slices. */
export const ENDPOINTSLICE_MANAGED_BY = 'endpointslice-controller.k8s.io';

/** Registers the EndpointSlice controller. */
export const endpointSliceControllerDescriptor: ControllerDescriptor = {
  name: ENDPOINTSLICE_CONTROLLER_NAME,
  create: (ctx) => new EndpointSliceController(ctx),
};

/** The endpoint of one pod under `service` (see the file comment), or undefined when the pod is left out. */
export function podEndpoint(pod: Pod, service: Service): { endpoint: Endpoint; ports: NonNullable<ReturnType<typeof podEndpointPorts>> } | undefined {
  const ip = pod.status?.podIP;
  if (!podBelongsInEndpoints(pod, true) || !ip || !isIPv4(ip)) return undefined;
  const ports = podEndpointPorts(pod, service);
  if (!ports) return undefined;
  const serving = isPodReady(pod);
  const terminating = Boolean(pod.metadata.deletionTimestamp);
  const ready = service.spec?.publishNotReadyAddresses === true || (serving && !terminating);
  const hostname = podHostnameFor(pod, service);
  const endpoint: Endpoint = {
    addresses: [ip],
    conditions: { ready, serving, terminating },
    ...(hostname ? { hostname } : {}),
    targetRef: { kind: 'Pod', namespace: pod.metadata.namespace, name: pod.metadata.name, uid: pod.metadata.uid },
    ...(pod.spec?.nodeName ? { nodeName: pod.spec.nodeName } : {}),
  };
  return { endpoint, ports };
}

/** The Service's endpoints grouped by port set (pods may resolve named ports differently). */
export function desiredGroups(service: Service, pods: readonly Pod[]): EndpointGroup[] {
  const groups = new Map<string, { ports: EndpointGroup['ports']; endpoints: Endpoint[] }>();
  for (const pod of pods) {
    const e = podEndpoint(pod, service);
    if (!e) continue;
    const key = JSON.stringify(e.ports);
    const g = groups.get(key) ?? { ports: e.ports, endpoints: [] };
    g.endpoints.push(e.endpoint);
    groups.set(key, g);
  }
  return [...groups.values()].map((g) => ({ addressType: 'IPv4' as const, ...g }));
}

/** The EndpointSlice controller. See the file comment. Its queue holds Service keys. */
export class EndpointSliceController extends QueueController {
  private readonly services: SharedInformer<Service>;
  private readonly pods: SharedInformer<Pod>;
  private readonly slices: SharedInformer<EndpointSlice>;
  private readonly writer: SliceWriter;
  protected readonly runner: ControllerRunner;

  constructor(ctx: ControllerContext) {
    super();
    this.services = ctx.informers.informer<Service>(RESOURCES.services);
    this.pods = ctx.informers.informer<Pod>(RESOURCES.pods);
    this.slices = ctx.informers.informer<EndpointSlice>(RESOURCES.endpointslices);
    this.runner = controllerRunner(ctx, ENDPOINTSLICE_CONTROLLER_NAME, (key) => this.reconcile(key));
    const enqueue = (svc: Service) => this.runner.enqueue(objectKey(svc));
    this.writer = new SliceWriter(ctx.client, ctx.clock, this.slices, ENDPOINTSLICE_MANAGED_BY, (key) => this.runner.enqueue(key));
    this.services.addEventHandler({ onAdd: enqueue, onUpdate: (_old, svc) => enqueue(svc), onDelete: enqueue });
    watchSelectedPods(this.pods, this.services.lister, enqueue);
  }

  protected synced() {
    return [this.services, this.pods, this.slices];
  }

  private async reconcile(key: string): Promise<ReconcileResult | void> {
    const { namespace, name } = splitObjectKey(key);
    const service = this.services.lister.get(namespace, name);
    if (!service || !serviceSelector(service) || service.spec?.type === 'ExternalName') {
      // Gone, or no longer selecting: its slices go (the garbage collector would too, later).
      const result = await this.writer.sync(namespace, name, undefined, { labels: {}, ownerReferences: [] });
      if (!service && this.writer.managedSlices(namespace, name).length === 0) this.writer.forget(namespace, name);
      return result;
    }
    const labels: Record<string, string> = { ...(service.metadata.labels ?? {}) };
    if (service.spec?.clusterIP === 'None') labels[HEADLESS_LABEL] = '';
    const groups = desiredGroups(service, selectedPods(service, this.pods.lister));
    return this.writer.sync(namespace, name, groups, {
      labels: this.writer.sliceLabels(name, labels),
      ownerReferences: [newControllerRef(service, RESOURCES.services)],
    });
  }
}
