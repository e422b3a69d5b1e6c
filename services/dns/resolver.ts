/**
 * The cluster DNS's answers: a pure function from the cached cluster state (a DnsIndex) and one
 * question to an answer, following the Kubernetes DNS-based service discovery specification as
 * CoreDNS's kubernetes plugin serves it (no I/O; the wire server encodes and forwards).
 *
 * Names under the cluster zone (`cluster.local`):
 * - `<zone>`: SOA and NS (`ns.dns.<zone>`); `ns.dns.<zone>` A is the cluster DNS IP.
 * - `<svc>.<ns>.svc.<zone>`: A = the ClusterIP; for a headless Service the ready endpoints'
 *   IPv4 addresses; SRV = one per port (ClusterIP: target the Service name; headless: one per
 *   ready endpoint and port, target the endpoint's name); ExternalName → CNAME.
 * - `_<port>._<proto>.<svc>.<ns>.svc.<zone>`: SRV of a named port, as above.
 * - `<hostname>.<svc>.<ns>.svc.<zone>`: A of a headless Service's ready endpoint, named by its
 *   endpoint hostname (StatefulSet pods) or its dashed IP (`10-42-0-5`).
 * - `<a-b-c-d>.<ns>.pod.<zone>`: A = a.b.c.d (CoreDNS "pods insecure": the IP from the name).
 * - `<ns>.svc.<zone>`, `svc.<zone>`, `pod.<zone>`, `<ns>.pod.<zone>`: names without records.
 * Reverse names (`d.c.b.a.in-addr.arpa`) of ClusterIPs and headless endpoints get PTR.
 *
 * Outcomes: a name that exists but has no record of the asked type is NOERROR with an empty
 * answer and the SOA in authority (NODATA); a name under the zone that does not exist is
 * NXDOMAIN with the SOA; a name outside the zone is `outside` (forward or refuse). Every
 * record has the configured TTL (5 s by default, CoreDNS's).
 */
import type { Answer, RecordType, SrvAnswer } from 'dns-packet';
import type { Service, ServicePort } from '../../lib/api/types/core';
import type { DnsEndpoint, DnsIndex } from './dns-index';

/** CoreDNS's default TTL of the kubernetes plugin's records, seconds. */
export const DEFAULT_DNS_TTL_SECONDS = 5;
/** The default cluster domain. */
export const DEFAULT_CLUSTER_DOMAIN = 'cluster.local';
/** The default ClusterIP of the kube-dns Service. */
export const DEFAULT_CLUSTER_DNS_IP = '10.43.0.10';
/** SOA timers (seconds), CoreDNS's values for the zone it serves. */
const SOA_REFRESH_S = 7200;
const SOA_RETRY_S = 1800;
const SOA_EXPIRE_S = 86400;
/** Weight given to each SRV record when a name has several (equal shares of 100). */
const SRV_TOTAL_WEIGHT = 100;
/** The reverse zone for IPv4 addresses. */
const REVERSE_SUFFIX = '.in-addr.arpa';

/** How the resolver names and times its records. */
export interface ResolverConfig {
  /** Cluster domain without trailing dot, lower case (`cluster.local`). */
  readonly zone: string;
  readonly ttlSeconds: number;
  /** The kube-dns ClusterIP: the A record of the zone's name server `ns.dns.<zone>`. */
  readonly dnsIp: string;
}

/** Response codes the resolver produces. */
export type Rcode = 'NOERROR' | 'NXDOMAIN';

/** The resolver's answer to one question. */
export type Resolution =
  | { readonly kind: 'answer'; readonly rcode: Rcode; readonly answers: Answer[]; readonly authorities: Answer[]; readonly additionals: Answer[] }
  | { readonly kind: 'outside' };

/** Every record a name owns (before filtering by the asked type); undefined: no such name. */
type NameRecords = Answer[];

/** One question: a name (any case, trailing dot optional) and a type. */
export interface DnsQuestion {
  readonly name: string;
  readonly type: RecordType;
}

/** Answers `question` from `index`. See the file comment. */
export function resolve(index: DnsIndex, question: DnsQuestion, config: ResolverConfig): Resolution {
  const name = question.name.toLowerCase().replace(/\.$/, '');
  const zone = config.zone;
  const inZone = name === zone || name.endsWith(`.${zone}`);
  const reverse = !inZone && name.endsWith(REVERSE_SUFFIX);
  if (!inZone && !reverse) return { kind: 'outside' };
  const records = inZone ? zoneRecords(index, name, name === zone ? [] : name.slice(0, -zone.length - 1).split('.'), config) : reverseRecords(index, name, config);
  if (records === undefined && reverse) return { kind: 'outside' };
  const soa = [soaRecord(config)];
  if (records === undefined) return { kind: 'answer', rcode: 'NXDOMAIN', answers: [], authorities: soa, additionals: [] };
  const answers = records.filter((r) => r.type === question.type || (r.type === 'CNAME' && question.type !== 'CNAME' && !records.some((o) => o.type === question.type)));
  if (answers.length === 0) return { kind: 'answer', rcode: 'NOERROR', answers: [], authorities: soa, additionals: [] };
  return { kind: 'answer', rcode: 'NOERROR', answers, authorities: [], additionals: additionalsFor(index, answers, config) };
}

/** The SOA of the zone (serial: a constant; the data changes faster than any secondary could follow). */
export function soaRecord(config: ResolverConfig): Answer {
  return {
    type: 'SOA',
    name: config.zone,
    ttl: config.ttlSeconds,
    data: { mname: `ns.dns.${config.zone}`, rname: `hostmaster.${config.zone}`, serial: 1, refresh: SOA_REFRESH_S, retry: SOA_RETRY_S, expire: SOA_EXPIRE_S, minimum: config.ttlSeconds },
  };
}

/** The records of `name` under the zone, `labels` its labels left of the zone. */
function zoneRecords(index: DnsIndex, name: string, labels: string[], config: ResolverConfig): NameRecords | undefined {
  const rr = recordMaker(name, config.ttlSeconds);
  if (labels.length === 0) return [soaRecord(config), rr('NS', `ns.dns.${config.zone}`)];
  const top = labels[labels.length - 1];
  const rest = labels.slice(0, -1);
  if (top === 'dns') {
    if (rest.length === 0) return [];
    return rest.length === 1 && rest[0] === 'ns' ? [rr('A', config.dnsIp)] : undefined;
  }
  if (top === 'pod') return podRecords(index, rest, rr);
  if (top === 'svc') return serviceRecords(index, rest, config);
  return undefined;
}

/** Builds a record of `name` with the configured TTL. */
function recordMaker(name: string, ttl: number) {
  return (type: 'A' | 'AAAA' | 'CNAME' | 'NS' | 'PTR', data: string): Answer => ({ type, name, ttl, data });
}

/** `<a-b-c-d>.<ns>.pod` (labels without "pod"): the IP from the name. */
function podRecords(index: DnsIndex, labels: string[], rr: ReturnType<typeof recordMaker>): NameRecords | undefined {
  void index; // pods insecure: the namespace is not checked, as CoreDNS's default mode
  if (labels.length === 0 || labels.length === 1) return [];
  if (labels.length !== 2) return undefined;
  const ip = dashedIpv4(labels[0]!);
  return ip ? [rr('A', ip)] : undefined;
}

/** Names under `svc.<zone>` (labels without "svc", left to right). */
function serviceRecords(index: DnsIndex, labels: string[], config: ResolverConfig): NameRecords | undefined {
  if (labels.length === 0) return [];
  const ns = labels[labels.length - 1]!;
  if (labels.length === 1) return index.hasNamespace(ns) ? [] : undefined;
  const svcName = labels[labels.length - 2]!;
  const svc = index.service(ns, svcName);
  if (!svc) return undefined;
  const svcFqdn = `${svcName}.${ns}.svc.${config.zone}`;
  const name = [...labels, 'svc', config.zone].join('.');
  const rr = recordMaker(name, config.ttlSeconds);
  const prefix = labels.slice(0, -2);
  if (prefix.length === 0) return serviceNameRecords(index, svc, svcFqdn, config, rr);
  if (svc.spec?.type === 'ExternalName') return undefined;
  if (prefix.length === 1) {
    const label = prefix[0]!;
    if (label.startsWith('_')) return hasProtocol(svc, label.slice(1)) ? [] : undefined;
    if (!isHeadless(svc)) return undefined;
    const endpoint = readyEndpoints(index, svc).find((e) => endpointLabel(e) === label);
    return endpoint ? [rr('A', endpoint.ip)] : undefined;
  }
  if (prefix.length === 2 && prefix[0]!.startsWith('_') && prefix[1]!.startsWith('_')) {
    const port = servicePorts(svc).find((p) => p.name?.toLowerCase() === prefix[0]!.slice(1) && protocolOf(p) === prefix[1]!.slice(1));
    return port ? srvRecords(index, svc, [port], name, svcFqdn, config) : undefined;
  }
  return undefined;
}

/** The records of `<svc>.<ns>.svc.<zone>` itself. */
function serviceNameRecords(index: DnsIndex, svc: Service, svcFqdn: string, config: ResolverConfig, rr: ReturnType<typeof recordMaker>): NameRecords {
  const spec = svc.spec ?? {};
  if (spec.type === 'ExternalName') return spec.externalName ? [rr('CNAME', spec.externalName.replace(/\.$/, ''))] : [];
  const srv = srvRecords(index, svc, servicePorts(svc), svcFqdn, svcFqdn, config);
  if (isHeadless(svc)) return [...readyEndpoints(index, svc).map((e) => rr(isIpv4(e.ip) ? 'A' : 'AAAA', e.ip)), ...srv];
  const ips = [...new Set([spec.clusterIP, ...(spec.clusterIPs ?? [])].filter((ip): ip is string => typeof ip === 'string' && ip !== '' && ip !== 'None'))];
  return [...ips.map((ip) => rr(isIpv4(ip) ? 'A' : 'AAAA', ip)), ...srv];
}

/** SRV records of `ports` owned by `name`: the Service's name as target, or each ready endpoint's of a headless Service. */
function srvRecords(index: DnsIndex, svc: Service, ports: ServicePort[], name: string, svcFqdn: string, config: ResolverConfig): Answer[] {
  const targets = isHeadless(svc) ? readyEndpoints(index, svc).map((e) => `${endpointLabel(e)}.${svcFqdn}`) : [svcFqdn];
  const out: SrvAnswer[] = [];
  const count = ports.length * targets.length;
  for (const p of ports) {
    if (typeof p.port !== 'number') continue;
    for (const target of targets) {
      out.push({ type: 'SRV', name, ttl: config.ttlSeconds, data: { priority: 0, weight: Math.max(1, Math.floor(SRV_TOTAL_WEIGHT / count)), port: p.port, target } });
    }
  }
  return out;
}

/** A records of the SRV targets, for the additional section. */
function additionalsFor(index: DnsIndex, answers: Answer[], config: ResolverConfig): Answer[] {
  const out: Answer[] = [];
  const seen = new Set<string>();
  for (const a of answers) {
    if (a.type !== 'SRV' || seen.has(a.data.target)) continue;
    seen.add(a.data.target);
    const target = zoneRecords(index, a.data.target, a.data.target.slice(0, -config.zone.length - 1).split('.'), config);
    for (const r of target ?? []) if (r.type === 'A' || r.type === 'AAAA') out.push(r);
  }
  return out;
}

/** PTR of a ClusterIP or a headless endpoint; undefined when the address is not the cluster's. */
function reverseRecords(index: DnsIndex, name: string, config: ResolverConfig): NameRecords | undefined {
  const octets = name.slice(0, -REVERSE_SUFFIX.length).split('.');
  if (octets.length !== 4) return undefined;
  const ip = octets.reverse().join('.');
  if (!isIpv4(ip)) return undefined;
  const hit = index.ptr(ip);
  if (!hit) return undefined;
  const svcFqdn = `${hit.name}.${hit.namespace}.svc.${config.zone}`;
  return [recordMaker(name, config.ttlSeconds)('PTR', hit.endpoint ? `${endpointLabel(hit.endpoint)}.${svcFqdn}` : svcFqdn)];
}

function isHeadless(svc: Service): boolean {
  return svc.spec?.clusterIP === 'None';
}

function servicePorts(svc: Service): ServicePort[] {
  return Array.isArray(svc.spec?.ports) ? svc.spec!.ports.filter((p): p is ServicePort => !!p && typeof p === 'object') : [];
}

function protocolOf(p: ServicePort): string {
  return (typeof p.protocol === 'string' ? p.protocol : 'TCP').toLowerCase();
}

/** Whether `_<proto>.<svc>` names an empty non-terminal: a named port of that protocol exists. */
function hasProtocol(svc: Service, proto: string): boolean {
  return servicePorts(svc).some((p) => !!p.name && protocolOf(p) === proto);
}

function readyEndpoints(index: DnsIndex, svc: Service): DnsEndpoint[] {
  return index.endpoints(svc.metadata.namespace ?? 'default', svc.metadata.name ?? '').filter((e) => e.ready);
}

/** The DNS label of an endpoint: its hostname, else its dashed address. */
export function endpointLabel(e: DnsEndpoint): string {
  return (e.hostname ?? e.ip.replace(/[.:]/g, '-')).toLowerCase();
}

/** `10-42-0-5` → `10.42.0.5`; undefined when the label is not a dashed IPv4 address. */
export function dashedIpv4(label: string): string | undefined {
  const ip = label.split('-').join('.');
  return isIpv4(ip) ? ip : undefined;
}

/** Whether `ip` is a dotted-quad IPv4 address without leading zeros. */
export function isIpv4(ip: string): boolean {
  const parts = ip.split('.');
  return parts.length === 4 && parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255);
}
