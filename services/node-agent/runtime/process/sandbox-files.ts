/**
 * The files a pod sandbox gives every container of it (bind-mounted over /etc): resolv.conf from
 * the pod's DNS config (or the node's), hostname, and hosts naming the pod's address.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DnsConfig } from '../runtime';

const NODE_RESOLV_CONF = '/etc/resolv.conf';

/** resolv.conf text for a DNS config. */
export function resolvConf(dns: DnsConfig): string {
  const lines = dns.servers.map((s) => `nameserver ${s}`);
  if (dns.searches.length) lines.push(`search ${dns.searches.join(' ')}`);
  if (dns.options.length) lines.push(`options ${dns.options.join(' ')}`);
  return lines.join('\n') + '\n';
}

/** /etc/hosts text: localhost, and the pod's hostname at its address when it has one. */
export function hostsFile(hostname: string, ip: string): string {
  const lines = ['127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback'];
  if (ip) lines.push(`${ip}\t${hostname}`);
  return lines.join('\n') + '\n';
}

/** Writes resolv.conf, hostname and hosts into the sandbox's directory. */
export function writeSandboxFiles(dir: string, hostname: string, ip: string, dns?: DnsConfig): void {
  fs.writeFileSync(path.join(dir, 'resolv.conf'), dns ? resolvConf(dns) : fs.readFileSync(NODE_RESOLV_CONF, 'utf8'));
  fs.writeFileSync(path.join(dir, 'hostname'), `${hostname}\n`);
  fs.writeFileSync(path.join(dir, 'hosts'), hostsFile(hostname, ip));
}
