/**
 * The service routing table every data path reads (kube-proxy's ServicePortMap + EndpointsMap):
 * one entry per Service port, with the port's virtual addresses and its endpoints gathered from
 * every EndpointSlice of the Service. Fed by informers (see service-table-feed.ts); the proxy's
 * userspace and nftables data paths, the ingress controller and the status API all read it.
 *
 * Contract:
 * - An entry exists for every port of a Service that the proxy serves: not ExternalName, not
 *   headless (clusterIP None), not labelled `service.kubernetes.io/service-proxy-name` (another
 *   proxy's). Its key is kube-proxy's ServicePortName "ns/name:portName" plus "/PROTOCOL".
 * - Endpoints of a port come from the IPv4 slices labelled `kubernetes.io/service-name` with a
 *   port of the same name and protocol; the same ip:port in two slices counts once (ready wins).
 * - Every change records the keys it touched; `takeChanges()` hands them to a sync (incremental
 *   rule sync) and clears them. A deleted entry's key is reported too (the sync removes it).
 */
import type { Service, ServicePort } from '../api/types/core';
import type { EndpointSlice } from '../api/types/discovery';

/** Protocols a Service port may carry. */
export type Protocol = 'TCP' | 'UDP' | 'SCTP';
/** Traffic policy of a Service (internal or external). */
export type TrafficPolicy = 'Cluster' | 'Local';

/** Kubernetes' default ClientIP affinity timeout: 3 hours. */
export const DEFAULT_AFFINITY_TIMEOUT_SECONDS = 10_800;
/** Label naming the Service an EndpointSlice belongs to. */
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
/** Label that hands a Service to a different proxy implementation (kube-proxy skips it). */
export const SERVICE_PROXY_NAME_LABEL = 'service.kubernetes.io/service-proxy-name';

/** One backend of a service port. */
export interface ServiceEndpoint {
  readonly ip: string;
  readonly port: number;
  /** The node the endpoint runs on (absent when the slice does not say). */
  readonly nodeName?: string;
  readonly ready: boolean;
  readonly serving: boolean;
  readonly terminating: boolean;
  /** "namespace/name" of the pod behind it, when the slice names one (status API). */
  readonly pod?: string;
}

/** ClientIP session affinity, or none. */
export type SessionAffinity = { readonly type: 'None' } | { readonly type: 'ClientIP'; readonly timeoutSeconds: number };

/** One Service port as the data paths serve it. */
export interface ServicePortEntry {
  /** "ns/name:portName/PROTOCOL" (portName empty for an unnamed port). */
  readonly key: string;
  readonly namespace: string;
  readonly name: string;
  readonly portName: string;
  readonly protocol: Protocol;
  readonly type: 'ClusterIP' | 'NodePort' | 'LoadBalancer';
  /** The Service's cluster IPs (IPv4 only; empty when none is allocated yet). */
  readonly clusterIPs: readonly string[];
  /** The Service port (on every virtual address). */
  readonly port: number;
  /** The node port (NodePort and LoadBalancer Services with one allocated). */
  readonly nodePort?: number;
  readonly externalIPs: readonly string[];
  /** status.loadBalancer.ingress[].ip */
  readonly loadBalancerIPs: readonly string[];
  readonly sessionAffinity: SessionAffinity;
  readonly internalTrafficPolicy: TrafficPolicy;
  readonly externalTrafficPolicy: TrafficPolicy;
  /** Every endpoint of the port (ready or not), sorted by ip then port. */
  readonly endpoints: readonly ServiceEndpoint[];
}

/** The key of a Service port: "ns/name:portName/PROTOCOL". */
export function servicePortKey(namespace: string, name: string, portName: string, protocol: Protocol): string {
  return `${namespace}/${name}:${portName}/${protocol}`;
}

/**
 * The endpoints traffic from inside the cluster (`internal`) or from outside it (`external`)
 * may reach, as kube-proxy chooses them: the ready ones — restricted to this node's when the
 * matching traffic policy is Local — or, when none of those is ready, the serving terminating
 * ones (so a rolling update never drops traffic it could still serve). Empty means: refuse.
 */
export function usableEndpoints(entry: ServicePortEntry, traffic: 'internal' | 'external', localNodes: ReadonlySet<string>): ServiceEndpoint[] {
  const policy = traffic === 'internal' ? entry.internalTrafficPolicy : entry.externalTrafficPolicy;
  const candidates = policy === 'Local' ? entry.endpoints.filter((e) => e.nodeName !== undefined && localNodes.has(e.nodeName)) : entry.endpoints;
  const ready = candidates.filter((e) => e.ready);
  return ready.length > 0 ? ready : candidates.filter((e) => e.serving && e.terminating);
}

/** What a Service contributes before endpoints are joined (one per served port). */
type PortSpec = Omit<ServicePortEntry, 'endpoints'>;

/** The routing table. See the file comment. */
export class ServiceTable {
  /** "ns/name" → the served ports of that Service. */
  private readonly services = new Map<string, PortSpec[]>();
  /** "ns/name" → slice name → slice. */
  private readonly slices = new Map<string, Map<string, EndpointSlice>>();
  private readonly entriesByKey = new Map<string, ServicePortEntry>();
  private changes = new Set<string>();

  /** Adds or replaces a Service. */
  setService(svc: Service): void {
    const id = objectId(svc.metadata.namespace, svc.metadata.name);
    this.services.set(id, servedPorts(svc));
    this.rebuild(id);
  }

  /** Removes a Service (its slices stay until they are deleted, as the informers report them). */
  deleteService(namespace: string, name: string): void {
    const id = objectId(namespace, name);
    this.services.delete(id);
    this.rebuild(id);
  }

  /** Adds or replaces an EndpointSlice. */
  setSlice(slice: EndpointSlice): void {
    const id = sliceServiceId(slice);
    if (!id) return;
    let byName = this.slices.get(id);
    if (!byName) this.slices.set(id, (byName = new Map()));
    byName.set(slice.metadata.name ?? '', slice);
    this.rebuild(id);
  }

  /** Removes an EndpointSlice. */
  deleteSlice(slice: EndpointSlice): void {
    const id = sliceServiceId(slice);
    if (!id) return;
    const byName = this.slices.get(id);
    if (!byName?.delete(slice.metadata.name ?? '')) return;
    if (byName.size === 0) this.slices.delete(id);
    this.rebuild(id);
  }

  /** Every entry, sorted by key. */
  entries(): ServicePortEntry[] {
    return [...this.entriesByKey.values()].sort((a, b) => a.key.localeCompare(b.key));
  }

  /** The entry of `key`, if served. */
  get(key: string): ServicePortEntry | undefined {
    return this.entriesByKey.get(key);
  }

  /**
   * The entry of a Service port named by number or by name (an Ingress backend's
   * `service.port.number` / `service.port.name`), TCP first.
   */
  findPort(namespace: string, name: string, port: number | string): ServicePortEntry | undefined {
    const prefix = `${objectId(namespace, name)}:`;
    const matches = [...this.entriesByKey.values()].filter((e) => e.key.startsWith(prefix) && (typeof port === 'number' ? e.port === port : e.portName === port));
    return matches.find((e) => e.protocol === 'TCP') ?? matches[0];
  }

  /** The keys changed since the last call (added, updated or removed entries), then clears them. */
  takeChanges(): Set<string> {
    const taken = this.changes;
    this.changes = new Set();
    return taken;
  }

  /** Recomputes the entries of one Service, recording the keys whose entry changed. */
  private rebuild(id: string): void {
    const prefix = `${id}:`;
    const next = new Map<string, ServicePortEntry>();
    const slices = [...(this.slices.get(id)?.values() ?? [])];
    for (const spec of this.services.get(id) ?? []) next.set(spec.key, { ...spec, endpoints: joinEndpoints(spec, slices) });
    for (const key of [...this.entriesByKey.keys()]) {
      if (!key.startsWith(prefix) || next.has(key)) continue;
      this.entriesByKey.delete(key);
      this.changes.add(key);
    }
    for (const [key, entry] of next) {
      const old = this.entriesByKey.get(key);
      if (old && JSON.stringify(old) === JSON.stringify(entry)) continue;
      this.entriesByKey.set(key, entry);
      this.changes.add(key);
    }
  }
}

function objectId(namespace: string | undefined, name: string | undefined): string {
  return `${namespace ?? 'default'}/${name ?? ''}`;
}

function sliceServiceId(slice: EndpointSlice): string | undefined {
  const service = slice.metadata.labels?.[SERVICE_NAME_LABEL];
  if (!service || slice.addressType !== 'IPv4') return undefined;
  return objectId(slice.metadata.namespace, service);
}

/** The ports of a Service the proxy serves (none for ExternalName, headless or foreign Services). */
function servedPorts(svc: Service): PortSpec[] {
  const spec = svc.spec ?? {};
  const type = spec.type ?? 'ClusterIP';
  if (spec.clusterIP === 'None' || svc.metadata.labels?.[SERVICE_PROXY_NAME_LABEL]) return [];
  if (type !== 'ClusterIP' && type !== 'NodePort' && type !== 'LoadBalancer') return [];
  const clusterIPs = (spec.clusterIPs ?? (spec.clusterIP ? [spec.clusterIP] : [])).filter(isIpv4);
  const affinity = sessionAffinityOf(svc);
  const ingress = (svc.status?.loadBalancer as { ingress?: { ip?: string }[] } | undefined)?.ingress ?? [];
  const namespace = svc.metadata.namespace ?? 'default';
  const name = svc.metadata.name ?? '';
  return (spec.ports ?? []).filter((p): p is ServicePort & { port: number } => typeof p.port === 'number').map((p) => {
    const protocol = (p.protocol ?? 'TCP') as Protocol;
    const portName = p.name ?? '';
    return {
      key: servicePortKey(namespace, name, portName, protocol),
      namespace,
      name,
      portName,
      protocol,
      type,
      clusterIPs,
      port: p.port,
      ...(type !== 'ClusterIP' && p.nodePort ? { nodePort: p.nodePort } : {}),
      externalIPs: (spec.externalIPs ?? []).filter(isIpv4),
      loadBalancerIPs: type === 'LoadBalancer' ? ingress.map((i) => i.ip ?? '').filter(isIpv4) : [],
      sessionAffinity: affinity,
      internalTrafficPolicy: spec.internalTrafficPolicy === 'Local' ? 'Local' : 'Cluster',
      externalTrafficPolicy: spec.externalTrafficPolicy === 'Local' ? 'Local' : 'Cluster',
    };
  });
}

function sessionAffinityOf(svc: Service): SessionAffinity {
  if (svc.spec?.sessionAffinity !== 'ClientIP') return { type: 'None' };
  const config = svc.spec.sessionAffinityConfig as { clientIP?: { timeoutSeconds?: number } } | undefined;
  return { type: 'ClientIP', timeoutSeconds: config?.clientIP?.timeoutSeconds ?? DEFAULT_AFFINITY_TIMEOUT_SECONDS };
}

/** The endpoints of one port, from every slice port of the same name and protocol. */
function joinEndpoints(spec: PortSpec, slices: EndpointSlice[]): ServiceEndpoint[] {
  const byAddress = new Map<string, ServiceEndpoint>();
  for (const slice of slices) {
    const port = (slice.ports ?? []).find((p) => (p.name ?? '') === spec.portName && (p.protocol ?? 'TCP') === spec.protocol);
    if (typeof port?.port !== 'number') continue;
    for (const ep of slice.endpoints ?? []) {
      const conditions = ep.conditions ?? {};
      const ready = conditions.ready !== false;
      const endpoint: ServiceEndpoint = {
        ip: ep.addresses[0],
        port: port.port,
        ...(ep.nodeName ? { nodeName: ep.nodeName } : {}),
        ready,
        serving: conditions.serving ?? ready,
        terminating: conditions.terminating === true,
        ...(ep.targetRef?.kind === 'Pod' && ep.targetRef.name ? { pod: `${ep.targetRef.namespace ?? spec.namespace}/${ep.targetRef.name}` } : {}),
      };
      if (!endpoint.ip) continue;
      const id = `${endpoint.ip}:${endpoint.port}`;
      const seen = byAddress.get(id);
      if (!seen || (!seen.ready && endpoint.ready)) byAddress.set(id, endpoint);
    }
  }
  return [...byAddress.values()].sort((a, b) => compareIpv4(a.ip, b.ip) || a.port - b.port);
}

function isIpv4(ip: string): boolean {
  const parts = ip.split('.');
  return parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255);
}

function compareIpv4(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 4; i++) if (pa[i] !== pb[i]) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return 0;
}
