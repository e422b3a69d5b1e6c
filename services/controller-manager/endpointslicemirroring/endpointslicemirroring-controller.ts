/**
 * The EndpointSlice mirroring controller (Kubernetes' `endpointslicemirroring`): a Service
 * without a selector whose users write its Endpoints gets those Endpoints mirrored into
 * EndpointSlices labelled managed-by `endpointslicemirroring-controller.k8s.io`, owned by the
 * Endpoints, so consumers of slices (proxy, DNS) see user-managed backends too. Each subset
 * becomes endpoints with the subset's ports: `addresses` ready, `notReadyAddresses` not ready;
 * IPv4 and IPv6 addresses go to slices of their own type. Endpoints labelled
 * `endpointslice.kubernetes.io/skip-mirror=true` are not mirrored; neither are the Endpoints of
 * Services with a selector (the EndpointSlice controller writes those Services' slices).
 */
import { isIPv4, isIPv6 } from 'node:net';
import { RESOURCES } from '../../../lib/api/resources';
import type { EndpointAddress, Endpoints, Service } from '../../../lib/api/types/core';
import type { AddressType, Endpoint, EndpointPort, EndpointSlice } from '../../../lib/api/types/discovery';
import { objectKey, splitObjectKey, type SharedInformer } from '../../../lib/client/informer';
import { controllerRunner, ControllerRunner, QueueController, newControllerRef, type ControllerContext, type ControllerDescriptor, type ReconcileResult } from '../../../lib/controller';
import { serviceSelector } from '../endpoint/service-pods';
import type { EndpointGroup } from '../endpointslice/slice-plan';
import { SliceWriter } from '../endpointslice/slice-writer';

/** The controller's name in `--controllers`. */
export const ENDPOINTSLICE_MIRRORING_CONTROLLER_NAME = 'endpointslicemirroring';
/** The managed-by label value of mirrored slices. */
export const ENDPOINTSLICE_MIRRORING_MANAGED_BY = 'endpointslicemirroring-controller.k8s.io';
/** An Endpoints label that opts out of mirroring (value "true"). */
export const SKIP_MIRROR_LABEL = 'endpointslice.kubernetes.io/skip-mirror';

/** Registers the mirroring controller. */
export const endpointSliceMirroringControllerDescriptor: ControllerDescriptor = {
  name: ENDPOINTSLICE_MIRRORING_CONTROLLER_NAME,
  create: (ctx) => new EndpointSliceMirroringController(ctx),
};

function addressTypeOf(ip: string | undefined): AddressType | undefined {
  if (ip && isIPv4(ip)) return 'IPv4';
  if (ip && isIPv6(ip)) return 'IPv6';
  return undefined;
}

function mirroredEndpoint(address: EndpointAddress, ready: boolean): Endpoint {
  return {
    addresses: [address.ip!],
    conditions: { ready },
    ...(address.hostname ? { hostname: address.hostname } : {}),
    ...(address.targetRef ? { targetRef: address.targetRef } : {}),
    ...(address.nodeName ? { nodeName: address.nodeName } : {}),
  };
}

/** The slices' endpoint groups of an Endpoints object: one per subset and address type. */
export function mirroredGroups(endpoints: Endpoints): EndpointGroup[] {
  const groups = new Map<string, { addressType: AddressType; ports: EndpointPort[]; endpoints: Endpoint[] }>();
  for (const subset of endpoints.subsets ?? []) {
    const ports: EndpointPort[] = (subset.ports ?? []).map((p) => ({
      ...(p.name ? { name: p.name } : {}),
      port: p.port,
      protocol: p.protocol ?? 'TCP',
      ...(p.appProtocol ? { appProtocol: p.appProtocol } : {}),
    }));
    const add = (address: EndpointAddress, ready: boolean) => {
      const addressType = addressTypeOf(address.ip);
      if (!addressType) return; // the apiserver validates IPs; nothing else can be mirrored
      const key = `${addressType}|${JSON.stringify(ports)}`;
      const g = groups.get(key) ?? { addressType, ports, endpoints: [] };
      g.endpoints.push(mirroredEndpoint(address, ready));
      groups.set(key, g);
    };
    for (const a of subset.addresses ?? []) add(a, true);
    for (const a of subset.notReadyAddresses ?? []) add(a, false);
  }
  return [...groups.values()];
}

/** The mirroring controller. See the file comment. Its queue holds Service (= Endpoints) keys. */
export class EndpointSliceMirroringController extends QueueController {
  private readonly services: SharedInformer<Service>;
  private readonly endpoints: SharedInformer<Endpoints>;
  private readonly slices: SharedInformer<EndpointSlice>;
  private readonly writer: SliceWriter;
  protected readonly runner: ControllerRunner;

  constructor(ctx: ControllerContext) {
    super();
    this.services = ctx.informers.informer<Service>(RESOURCES.services);
    this.endpoints = ctx.informers.informer<Endpoints>(RESOURCES.endpoints);
    this.slices = ctx.informers.informer<EndpointSlice>(RESOURCES.endpointslices);
    this.runner = controllerRunner(ctx, ENDPOINTSLICE_MIRRORING_CONTROLLER_NAME, (key) => this.reconcile(key));
    const enqueue = (obj: Service | Endpoints) => this.runner.enqueue(objectKey(obj));
    this.writer = new SliceWriter(ctx.client, ctx.clock, this.slices, ENDPOINTSLICE_MIRRORING_MANAGED_BY, (key) => this.runner.enqueue(key));
    this.services.addEventHandler({ onAdd: enqueue, onUpdate: (_old, svc) => enqueue(svc), onDelete: enqueue });
    this.endpoints.addEventHandler({ onAdd: enqueue, onUpdate: (_old, ep) => enqueue(ep), onDelete: enqueue });
  }

  protected synced() {
    return [this.services, this.endpoints, this.slices];
  }

  private async reconcile(key: string): Promise<ReconcileResult | void> {
    const { namespace, name } = splitObjectKey(key);
    const service = this.services.lister.get(namespace, name);
    const endpoints = this.endpoints.lister.get(namespace, name);
    if (!service || !endpoints || serviceSelector(service) || endpoints.metadata.labels?.[SKIP_MIRROR_LABEL] === 'true') {
      const result = await this.writer.sync(namespace, name, undefined, { labels: {}, ownerReferences: [] });
      if (!endpoints && this.writer.managedSlices(namespace, name).length === 0) this.writer.forget(namespace, name);
      return result;
    }
    const labels = { ...(endpoints.metadata.labels ?? {}) };
    const groups = mirroredGroups(endpoints);
    // Nothing to mirror: no slices (the placeholder is the EndpointSlice controller's).
    return this.writer.sync(namespace, name, groups.length > 0 ? groups : undefined, {
      labels: this.writer.sliceLabels(name, labels),
      ownerReferences: [newControllerRef(endpoints, RESOURCES.endpoints)],
    });
  }
}
