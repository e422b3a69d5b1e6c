/**
 * The record set both servers of the DNS benchmark serve: SERVICES ClusterIP Services spread
 * over NAMESPACES namespaces, `svc-<i>.ns-<j>.svc.cluster.local` → 10.43.<hi>.<lo>, as Service
 * objects (Bosun's side) and as a zone file (nsd's side), and the dnsperf query file.
 */
import type { Service } from '../../lib/api/types/core';

/** The zone both servers are authoritative for. */
export const BENCH_ZONE = 'cluster.local';
/** Namespaces the Services are spread over. */
export const NAMESPACES = 10;
/** The TTL of every record, seconds (the cluster DNS's). */
const TTL_SECONDS = 5;
/** First ClusterIP handed out, as an offset in 10.43.0.0/16 (above the static band). */
const FIRST_IP_OFFSET = 256;

/** One Service of the set. */
export interface BenchRecord {
  readonly namespace: string;
  readonly name: string;
  readonly ip: string;
}

/** The `count` records. */
export function benchRecords(count: number): BenchRecord[] {
  return Array.from({ length: count }, (_, i) => {
    const n = FIRST_IP_OFFSET + i;
    return { namespace: `ns-${i % NAMESPACES}`, name: `svc-${i}`, ip: `10.43.${Math.floor(n / 256)}.${n % 256}` };
  });
}

/** The fully-qualified name of a record. */
export function fqdn(r: BenchRecord): string {
  return `${r.name}.${r.namespace}.svc.${BENCH_ZONE}`;
}

/** The records as Service objects (what the informers would deliver). */
export function benchServices(records: readonly BenchRecord[]): Service[] {
  return records.map((r) => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { namespace: r.namespace, name: r.name },
    spec: { type: 'ClusterIP', clusterIP: r.ip, clusterIPs: [r.ip], ports: [{ name: 'http', port: 80, protocol: 'TCP' }] },
  }));
}

/** The records as an RFC 1035 zone file for an authoritative server. */
export function zoneFile(records: readonly BenchRecord[]): string {
  const lines = [
    `$ORIGIN ${BENCH_ZONE}.`,
    `$TTL ${TTL_SECONDS}`,
    `@ IN SOA ns.dns.${BENCH_ZONE}. hostmaster.${BENCH_ZONE}. 1 7200 1800 86400 ${TTL_SECONDS}`,
    `@ IN NS ns.dns.${BENCH_ZONE}.`,
    `ns.dns IN A 10.43.0.10`,
    ...records.map((r) => `${r.name}.${r.namespace}.svc IN A ${r.ip}`),
  ];
  return `${lines.join('\n')}\n`;
}

/** dnsperf's query file: every record's A query, in order (dnsperf loops over it). */
export function queryFile(records: readonly BenchRecord[]): string {
  return `${records.map((r) => `${fqdn(r)} A`).join('\n')}\n`;
}
