/**
 * The /etc/hosts the kubelet writes for a pod with its own network: localhost lines, the pod's IP
 * with its hostname (and FQDN under a subdomain), and spec.hostAliases.
 */
import type { Pod } from '../../../lib/api/types';

interface HostAlias {
  ip?: string;
  hostnames?: string[];
}

/** A DNS label may have at most this many characters: longer hostnames are cut (Kubernetes'). */
export const MAX_HOSTNAME_LENGTH = 63;

/** The pod's hostname and domain (`<subdomain>.<ns>.svc.<clusterDomain>` when it has a subdomain, else ''). */
export function podHostnameAndDomain(pod: Pod, clusterDomain: string): { hostname: string; domain: string } {
  let hostname = String(pod.spec?.hostname || pod.metadata.name || '');
  if (hostname.length > MAX_HOSTNAME_LENGTH) hostname = hostname.slice(0, MAX_HOSTNAME_LENGTH).replace(/[-.]+$/, '');
  const subdomain = String(pod.spec?.subdomain ?? '');
  const domain = subdomain ? `${subdomain}.${pod.metadata.namespace ?? 'default'}.svc.${clusterDomain}` : '';
  return { hostname, domain };
}

/** The file's text for `pod` with addresses `podIPs`. */
export function hostsFileContent(pod: Pod, podIPs: string[], clusterDomain: string): string {
  const { hostname, domain } = podHostnameAndDomain(pod, clusterDomain);
  const lines = [
    '# Kubernetes-managed hosts file.',
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'fe00::0\tip6-localnet',
    'fe00::0\tip6-mcastprefix',
    'fe00::1\tip6-allnodes',
    'fe00::2\tip6-allrouters',
  ];
  for (const ip of podIPs) lines.push(domain ? `${ip}\t${hostname}.${domain}\t${hostname}` : `${ip}\t${hostname}`);
  const aliases = (pod.spec?.hostAliases as HostAlias[] | undefined) ?? [];
  if (aliases.length > 0) {
    lines.push('', '# Entries added by HostAliases.');
    for (const a of aliases) lines.push(`${a.ip ?? ''}\t${(a.hostnames ?? []).join('\t')}`);
  }
  return `${lines.join('\n')}\n`;
}
