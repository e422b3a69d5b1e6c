/**
 * What a Service's Endpoints hold, from the pods its selector picks (Kubernetes' endpoints
 * controller rules): a pod with an IP, not finished, and not terminating (unless the Service
 * publishes not-ready addresses) gives one address per port; ready pods (or every pod, with
 * publishNotReadyAddresses) go to `addresses`, the others to `notReadyAddresses`. Each service
 * port resolves its targetPort on the pod (a number, or a named container port); a pod without
 * that name is left out of that port. Subsets are packed as Kubernetes' RepackSubsets does:
 * addresses with the same set of ports share a subset, everything sorted, so equal inputs give
 * equal objects and an unchanged Service is never rewritten.
 */
import { isPodReady } from '../../../lib/api/pod-status';
import type { EndpointAddress, EndpointPort, EndpointSubset, Pod, Service, ServicePort } from '../../../lib/api/types/core';

/** At most this many addresses in one Endpoints object; beyond it the object is truncated and annotated (Kubernetes' maxCapacity). */
export const MAX_ENDPOINT_ADDRESSES = 1000;
/** The annotation on a truncated Endpoints object. */
export const OVER_CAPACITY_ANNOTATION = 'endpoints.kubernetes.io/over-capacity';
/** The label on the Endpoints of a headless Service. */
export const HEADLESS_LABEL = 'service.kubernetes.io/headless';

export interface DesiredEndpoints {
  readonly subsets: EndpointSubset[];
  /** Addresses left out for capacity (0 when everything fit). */
  readonly truncated: number;
}

/** Whether a pod belongs in Endpoints at all (Kubernetes' ShouldPodBeInEndpoints). */
export function podBelongsInEndpoints(pod: Pod, includeTerminating: boolean): boolean {
  const phase = pod.status?.phase;
  if (phase === 'Failed' || phase === 'Succeeded') return false;
  if (!pod.status?.podIP) return false;
  if (pod.metadata.deletionTimestamp && !includeTerminating) return false;
  return true;
}

/** The container port number a service port reaches on `pod`, or undefined when the pod has no port of that name. */
export function findPodPort(pod: Pod, servicePort: ServicePort): number | undefined {
  const target = servicePort.targetPort;
  if (typeof target === 'number' && target > 0) return target;
  if (typeof target === 'string' && target !== '') {
    if (/^\d+$/.test(target)) return Number(target);
    const protocol = servicePort.protocol ?? 'TCP';
    for (const c of pod.spec?.containers ?? []) {
      for (const p of c.ports ?? []) {
        if (p.name === target && (p.protocol ?? 'TCP') === protocol) return p.containerPort;
      }
    }
    return undefined;
  }
  return servicePort.port;
}

/**
 * The ports a Service reaches on `pod` (each service port whose targetPort resolves on it), or
 * undefined when the pod is left out: none resolves, unless the Service is headless without
 * ports (DNS only). Shared by the Endpoints and EndpointSlice controllers.
 */
export function podEndpointPorts(pod: Pod, service: Service): EndpointPort[] | undefined {
  const ports = service.spec?.ports ?? [];
  const out: EndpointPort[] = [];
  for (const sp of ports) {
    const port = findPodPort(pod, sp);
    if (port === undefined) continue;
    out.push({ ...(sp.name ? { name: sp.name } : {}), port, protocol: sp.protocol ?? 'TCP', ...(sp.appProtocol ? { appProtocol: sp.appProtocol } : {}) });
  }
  const headlessWithoutPorts = service.spec?.clusterIP === 'None' && ports.length === 0;
  return out.length === 0 && !headlessWithoutPorts ? undefined : out;
}

/** The pod's DNS hostname under `service` (spec.hostname when spec.subdomain names the Service), if any. */
export function podHostnameFor(pod: Pod, service: Service): string | undefined {
  const hostname = pod.spec?.hostname as string | undefined;
  return hostname && pod.spec?.subdomain === service.metadata.name && pod.metadata.namespace === service.metadata.namespace ? hostname : undefined;
}

function addressOf(pod: Pod, service: Service): EndpointAddress {
  const address: EndpointAddress = {
    ip: pod.status!.podIP!,
    ...(pod.spec?.nodeName ? { nodeName: pod.spec.nodeName } : {}),
    targetRef: { kind: 'Pod', namespace: pod.metadata.namespace, name: pod.metadata.name, uid: pod.metadata.uid },
  };
  const hostname = podHostnameFor(pod, service);
  if (hostname) address.hostname = hostname;
  return address;
}

/** The Endpoints subsets for `service` over the pods its selector already picked. */
export function desiredSubsets(service: Service, pods: readonly Pod[]): DesiredEndpoints {
  const publishNotReady = service.spec?.publishNotReadyAddresses === true;
  /** address key → [address, ready, ports]. */
  const entries = new Map<string, { address: EndpointAddress; ready: boolean; ports: EndpointPort[] }>();
  for (const pod of pods) {
    if (!podBelongsInEndpoints(pod, publishNotReady)) continue;
    const address = addressOf(pod, service);
    const ready = publishNotReady || isPodReady(pod);
    const endpointPorts = podEndpointPorts(pod, service);
    if (!endpointPorts) continue;
    entries.set(`${address.ip}/${pod.metadata.uid ?? pod.metadata.name}`, { address, ready, ports: endpointPorts });
  }
  // Ready addresses first when capacity runs out.
  const ordered = [...entries.values()].sort((a, b) => Number(b.ready) - Number(a.ready));
  const kept = ordered.slice(0, MAX_ENDPOINT_ADDRESSES);
  return { subsets: repack(kept), truncated: ordered.length - kept.length };
}

const portKey = (p: EndpointPort) => `${p.name ?? ''}/${p.port}/${p.protocol}/${p.appProtocol ?? ''}`;
const compareAddresses = (a: EndpointAddress, b: EndpointAddress) =>
  ipOrder(a.ip!, b.ip!) || String(a.targetRef?.uid ?? '').localeCompare(String(b.targetRef?.uid ?? ''));

/** Groups addresses by their port set; sorts addresses (by IP) and ports, and subsets by their first port. */
function repack(entries: readonly { address: EndpointAddress; ready: boolean; ports: EndpointPort[] }[]): EndpointSubset[] {
  const groups = new Map<string, { ports: EndpointPort[]; ready: EndpointAddress[]; notReady: EndpointAddress[] }>();
  for (const e of entries) {
    const ports = [...e.ports].sort((a, b) => portKey(a).localeCompare(portKey(b)));
    const key = ports.map(portKey).join(',');
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { ports, ready: [], notReady: [] }));
    (e.ready ? group.ready : group.notReady).push(e.address);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([, g]) => ({
      ...(g.ready.length ? { addresses: g.ready.sort(compareAddresses) } : {}),
      ...(g.notReady.length ? { notReadyAddresses: g.notReady.sort(compareAddresses) } : {}),
      ...(g.ports.length ? { ports: g.ports } : {}),
    }));
}

/** Numeric order of dotted IPv4 addresses (others by text). Shared with the EndpointSlice packing. */
export function ipOrder(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  if (pa.length !== 4 || pb.length !== 4 || pa.some(Number.isNaN) || pb.some(Number.isNaN)) return a.localeCompare(b);
  for (let i = 0; i < 4; i++) if (pa[i] !== pb[i]) return pa[i]! - pb[i]!;
  return 0;
}
