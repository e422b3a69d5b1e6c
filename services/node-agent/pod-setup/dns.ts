/**
 * A pod's resolv.conf as the kubelet computes it (pkg/kubelet/network/dns): by dnsPolicy —
 * ClusterFirst (the cluster DNS servers, search `<ns>.svc.<domain> svc.<domain> <domain>` plus the
 * node's searches, `ndots:5`; on the host network it falls back to Default),
 * ClusterFirstWithHostNet (cluster DNS even on the host network), Default (the node's
 * resolv.conf), None (only dnsConfig) — then `spec.dnsConfig` merged in: nameservers and
 * searches appended without duplicates, options replaced by name. A dnsConfig beyond what the
 * API allows (3 nameservers, 32 searches, 2048 characters of search list) is a
 * ContainerConfigError naming the field; a merged result beyond those limits is trimmed, as the
 * kubelet does.
 */
import type { Pod } from '../../../lib/api/types';
import type { DnsConfig } from '../runtime/runtime';
import { ContainerConfigError } from './pod-setup';

export const MAX_DNS_NAMESERVERS = 3;
export const MAX_DNS_SEARCH_PATHS = 32;
/** Characters of the search line (`searches.join(' ')`). */
export const MAX_DNS_SEARCH_LIST_CHARS = 2048;
/** The options a cluster-DNS pod gets. */
export const CLUSTER_DNS_OPTIONS = ['ndots:5'] as const;

export type DnsPolicy = 'ClusterFirst' | 'ClusterFirstWithHostNet' | 'Default' | 'None';

interface PodDnsConfig {
  nameservers?: string[];
  searches?: string[];
  options?: { name?: string; value?: string }[];
}

/** The node's DNS facts and the cluster's. */
export interface DnsSettings {
  clusterDns: string[];
  clusterDomain: string;
  /** The node's resolv.conf, parsed. */
  host: DnsConfig;
}

/** Parses resolv.conf text: `nameserver`, `search`/`domain` (the last wins, as in resolv.conf), `options`. */
export function parseResolvConf(text: string): DnsConfig {
  const out: DnsConfig = { servers: [], searches: [], options: [] };
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    if (!line) continue;
    const [key, ...fields] = line.split(/\s+/);
    if (key === 'nameserver' && fields[0]) out.servers.push(fields[0]);
    else if (key === 'search' || key === 'domain') out.searches = fields;
    else if (key === 'options') out.options.push(...fields);
  }
  return out;
}

function unique(list: string[]): string[] {
  return [...new Set(list)];
}

/** Options merged by name: `extra` replaces an option of the same name; `name:value` when a value is given. */
function mergeOptions(base: string[], extra: PodDnsConfig['options']): string[] {
  const byName = new Map<string, string>();
  for (const o of base) byName.set(o.split(':')[0]!, o);
  for (const o of extra ?? []) {
    const name = o.name ?? '';
    if (!name) continue;
    byName.set(name, o.value !== undefined && o.value !== '' ? `${name}:${o.value}` : name);
  }
  return [...byName.values()];
}

function checkPodDnsConfig(cfg: PodDnsConfig | undefined, policy: DnsPolicy): void {
  if (policy === 'None' && (!cfg || (cfg.nameservers ?? []).length === 0)) {
    throw new ContainerConfigError('spec.dnsConfig.nameservers: Required value: must provide at least one DNS nameserver when dnsPolicy is None');
  }
  if (!cfg) return;
  const servers = cfg.nameservers ?? [];
  if (servers.length > MAX_DNS_NAMESERVERS) throw new ContainerConfigError(`spec.dnsConfig.nameservers: Invalid value: must not have more than ${MAX_DNS_NAMESERVERS} nameservers`);
  const searches = cfg.searches ?? [];
  if (searches.length > MAX_DNS_SEARCH_PATHS) throw new ContainerConfigError(`spec.dnsConfig.searches: Invalid value: must not have more than ${MAX_DNS_SEARCH_PATHS} search paths`);
  if (searches.join(' ').length > MAX_DNS_SEARCH_LIST_CHARS) throw new ContainerConfigError(`spec.dnsConfig.searches: Invalid value: must not have more than ${MAX_DNS_SEARCH_LIST_CHARS} characters (including spaces) in the search list`);
  for (const [i, o] of (cfg.options ?? []).entries()) if (!o.name) throw new ContainerConfigError(`spec.dnsConfig.options[${i}].name: Required value: must not be empty`);
}

/** Trims to the resolver limits (the kubelet's formDNSConfigFitsLimits). */
function fitLimits(cfg: DnsConfig): DnsConfig {
  const servers = cfg.servers.slice(0, MAX_DNS_NAMESERVERS);
  let searches = cfg.searches.slice(0, MAX_DNS_SEARCH_PATHS);
  while (searches.join(' ').length > MAX_DNS_SEARCH_LIST_CHARS) searches = searches.slice(0, -1);
  return { servers, searches, options: cfg.options };
}

/** The pod's policy, checked: unknown values are a ContainerConfigError naming the field. */
export function dnsPolicyOf(pod: Pod): DnsPolicy {
  const p = pod.spec?.dnsPolicy ?? 'ClusterFirst';
  if (p === 'ClusterFirst' || p === 'ClusterFirstWithHostNet' || p === 'Default' || p === 'None') return p;
  throw new ContainerConfigError(`spec.dnsPolicy: Unsupported value: "${p}": supported values: "ClusterFirst", "ClusterFirstWithHostNet", "Default", "None"`);
}

/** The pod's resolv.conf (see the file comment). Throws ContainerConfigError. */
export function podDnsConfig(pod: Pod, settings: DnsSettings): DnsConfig {
  const policy = dnsPolicyOf(pod);
  const podCfg = pod.spec?.dnsConfig as PodDnsConfig | undefined;
  checkPodDnsConfig(podCfg, policy);
  const hostNetwork = pod.spec?.hostNetwork === true;
  const cluster = policy === 'ClusterFirstWithHostNet' || (policy === 'ClusterFirst' && !hostNetwork);
  let base: DnsConfig;
  if (policy === 'None') base = { servers: [], searches: [], options: [] };
  else if (cluster && settings.clusterDns.length > 0) {
    const ns = pod.metadata.namespace ?? 'default';
    const d = settings.clusterDomain;
    const clusterSearch = d ? [`${ns}.svc.${d}`, `svc.${d}`, d] : [];
    base = { servers: [...settings.clusterDns], searches: unique([...clusterSearch, ...settings.host.searches]), options: [...CLUSTER_DNS_OPTIONS] };
  } else base = { servers: [...settings.host.servers], searches: [...settings.host.searches], options: [...settings.host.options] };
  const merged: DnsConfig = {
    servers: unique([...base.servers, ...(podCfg?.nameservers ?? [])]),
    searches: unique([...base.searches, ...(podCfg?.searches ?? [])]),
    options: mergeOptions(base.options, podCfg?.options),
  };
  return fitLimits(merged);
}
