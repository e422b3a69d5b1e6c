/**
 * What the cluster DNS answers from: the Services and the EndpointSlices of each Service, kept
 * in memory and indexed for lookups by name and by address. Fed by the informers
 * (dns-index-feed.ts) in `bosun dns`, directly by unit tests and the benchmark.
 *
 * Contract:
 * - A Service is found by namespace and name; its endpoints are the union of its IPv4 slices
 *   (labelled `kubernetes.io/service-name`), one entry per address, ready when any slice says
 *   so (absent conditions count as ready, as Kubernetes' consumers read them).
 * - `ptr(ip)` names the Service owning a ClusterIP, or the endpoint of a headless Service
 *   holding the address, for reverse lookups.
 * - A namespace "exists" for DNS while it holds at least one Service (the DNS does not watch
 *   Namespaces; `ns.svc.<zone>` is then NODATA rather than NXDOMAIN).
 */
import type { Service } from '../../lib/api/types/core';
import type { EndpointSlice } from '../../lib/api/types/discovery';
import { SERVICE_NAME_LABEL } from '../../lib/network/service-table';

/** One address behind a Service, as DNS names it. */
export interface DnsEndpoint {
  readonly ip: string;
  /** endpoint.hostname (StatefulSet pods under their governing headless Service). */
  readonly hostname?: string;
  readonly ready: boolean;
}

/** The Services and endpoints the DNS answers from. See the file comment. */
export class DnsIndex {
  private readonly services = new Map<string, Service>();
  /** "ns/name" → slice name → slice. */
  private readonly slices = new Map<string, Map<string, EndpointSlice>>();
  /** "ns/name" → endpoints joined from the slices (computed on demand, dropped on change). */
  private readonly joined = new Map<string, DnsEndpoint[]>();
  private readonly servicesPerNamespace = new Map<string, number>();
  /** Bumped by every change: answers computed at an older generation are stale (the responder's cache). */
  generation = 0;

  /** Adds or replaces a Service. */
  setService(svc: Service): void {
    const ns = svc.metadata.namespace ?? 'default';
    const id = idOf(ns, svc.metadata.name ?? '');
    if (!this.services.has(id)) this.servicesPerNamespace.set(ns, (this.servicesPerNamespace.get(ns) ?? 0) + 1);
    this.services.set(id, svc);
    this.generation++;
  }

  /** Removes a Service (its slices stay until they are deleted). */
  deleteService(namespace: string, name: string): void {
    if (!this.services.delete(idOf(namespace, name))) return;
    this.generation++;
    const left = (this.servicesPerNamespace.get(namespace) ?? 1) - 1;
    if (left > 0) this.servicesPerNamespace.set(namespace, left);
    else this.servicesPerNamespace.delete(namespace);
  }

  /** Adds or replaces an EndpointSlice (slices of other address types or no Service are ignored). */
  setSlice(slice: EndpointSlice): void {
    const id = sliceOwner(slice);
    if (!id) return;
    let byName = this.slices.get(id);
    if (!byName) this.slices.set(id, (byName = new Map()));
    byName.set(slice.metadata.name ?? '', slice);
    this.joined.delete(id);
    this.generation++;
  }

  /** Removes an EndpointSlice. */
  deleteSlice(slice: EndpointSlice): void {
    const id = sliceOwner(slice);
    if (!id) return;
    const byName = this.slices.get(id);
    if (!byName?.delete(slice.metadata.name ?? '')) return;
    if (byName.size === 0) this.slices.delete(id);
    this.joined.delete(id);
    this.generation++;
  }

  /** The Service `namespace/name`, if known. */
  service(namespace: string, name: string): Service | undefined {
    return this.services.get(idOf(namespace, name));
  }

  /** Whether the namespace holds any Service. */
  hasNamespace(namespace: string): boolean {
    return this.servicesPerNamespace.has(namespace);
  }

  /** Number of Services known. */
  get serviceCount(): number {
    return this.services.size;
  }

  /** The endpoints of a Service (ready or not), sorted by address. */
  endpoints(namespace: string, name: string): readonly DnsEndpoint[] {
    const id = idOf(namespace, name);
    let list = this.joined.get(id);
    if (!list) {
      list = joinEndpoints(this.slices.get(id)?.values() ?? []);
      this.joined.set(id, list);
    }
    return list;
  }

  /** Every slice of a Service (the ports it serves). */
  slicesOf(namespace: string, name: string): EndpointSlice[] {
    return [...(this.slices.get(idOf(namespace, name))?.values() ?? [])];
  }

  /**
   * Reverse lookup: the Service whose ClusterIP is `ip`, else the headless Service endpoint
   * holding it (scan of the Services: reverse lookups are rare, and this keeps writes cheap).
   */
  ptr(ip: string): { namespace: string; name: string; endpoint?: DnsEndpoint } | undefined {
    for (const svc of this.services.values()) {
      const spec = svc.spec ?? {};
      const ns = svc.metadata.namespace ?? 'default';
      const name = svc.metadata.name ?? '';
      if (spec.clusterIP === ip || (spec.clusterIPs ?? []).includes(ip)) return { namespace: ns, name };
      if (spec.clusterIP === 'None') {
        const endpoint = this.endpoints(ns, name).find((e) => e.ip === ip && e.ready);
        if (endpoint) return { namespace: ns, name, endpoint };
      }
    }
    return undefined;
  }
}

function idOf(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

/** "ns/name" of the Service an IPv4 slice belongs to, or undefined. */
function sliceOwner(slice: EndpointSlice): string | undefined {
  const service = slice.metadata.labels?.[SERVICE_NAME_LABEL];
  if (!service || slice.addressType !== 'IPv4') return undefined;
  return idOf(slice.metadata.namespace ?? 'default', service);
}

/** One endpoint per address across the slices; ready wins, the first hostname given stays. */
function joinEndpoints(slices: Iterable<EndpointSlice>): DnsEndpoint[] {
  const byIp = new Map<string, DnsEndpoint>();
  for (const slice of slices) {
    for (const e of Array.isArray(slice.endpoints) ? slice.endpoints : []) {
      const ready = e.conditions?.ready !== false;
      for (const ip of Array.isArray(e.addresses) ? e.addresses : []) {
        if (typeof ip !== 'string') continue;
        const seen = byIp.get(ip);
        const hostname = seen?.hostname ?? (typeof e.hostname === 'string' && e.hostname ? e.hostname : undefined);
        byIp.set(ip, { ip, ready: ready || (seen?.ready ?? false), ...(hostname ? { hostname } : {}) });
      }
    }
  }
  return [...byIp.values()].sort((a, b) => compareIps(a.ip, b.ip));
}

function compareIps(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 4; i++) if (pa[i] !== pb[i]) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return 0;
}
