/**
 * The `kube-dns` Service in kube-system and its Endpoints: how pods reach the cluster DNS. The
 * Service has the cluster DNS IP (10.43.0.10), ports `dns` 53/UDP and `dns-tcp` 53/TCP, label
 * `k8s-app=kube-dns` and no selector; its Endpoints list this DNS server's advertise address
 * with its real listen port under the same port names. The EndpointSlice mirroring controller
 * mirrors them into slices, and the proxy forwards 10.43.0.10:53 to them.
 *
 * Level-triggered: `ensure()` creates what is missing and corrects what drifted (another
 * writer, a restart on a new port); the server calls it at start and every
 * KUBE_DNS_RESYNC_MS, with backoff on failures. A Service that exists with a different
 * ClusterIP is left alone (ClusterIPs are immutable) and reported.
 */
import { isAlreadyExists, isNotFound } from '../../lib/api/status';
import type { Endpoints, Service } from '../../lib/api/types/core';
import type { ResourceClient } from '../../lib/client/api-client';

/** Namespace and name of the DNS Service (Kubernetes' own). */
export const KUBE_DNS = { namespace: 'kube-system', name: 'kube-dns' } as const;
/** Labels of the Service (CoreDNS's manifests'). */
export const KUBE_DNS_LABELS: Readonly<Record<string, string>> = { 'k8s-app': 'kube-dns', 'kubernetes.io/name': 'CoreDNS' };
/** The Service port of DNS. */
export const DNS_SERVICE_PORT = 53;
/** How often the Service and Endpoints are re-checked, ms. */
export const KUBE_DNS_RESYNC_MS = 30_000;

/** What the registration advertises. */
export interface KubeDnsTarget {
  /** The Service's ClusterIP. */
  readonly clusterIp: string;
  /** The address pods reach this server on (the node's address). */
  readonly advertiseAddress: string;
  /** The port this server answers on (UDP and TCP). */
  readonly port: number;
}

/** What ensure() found and did. */
export interface KubeDnsOutcome {
  readonly service: 'created' | 'updated' | 'unchanged';
  readonly endpoints: 'created' | 'updated' | 'unchanged';
  /** The ClusterIP the existing Service has when it differs from the target (not changeable). */
  readonly clusterIpMismatch?: string;
}

/** The Service as the DNS wants it. */
export function desiredService(target: KubeDnsTarget): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { namespace: KUBE_DNS.namespace, name: KUBE_DNS.name, labels: { ...KUBE_DNS_LABELS } },
    spec: {
      type: 'ClusterIP',
      clusterIP: target.clusterIp,
      clusterIPs: [target.clusterIp],
      ports: [
        { name: 'dns', port: DNS_SERVICE_PORT, protocol: 'UDP', targetPort: target.port },
        { name: 'dns-tcp', port: DNS_SERVICE_PORT, protocol: 'TCP', targetPort: target.port },
      ],
    },
  };
}

/** The Endpoints as the DNS wants them. */
export function desiredEndpoints(target: KubeDnsTarget): Endpoints {
  return {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { namespace: KUBE_DNS.namespace, name: KUBE_DNS.name, labels: { ...KUBE_DNS_LABELS } },
    subsets: [
      {
        addresses: [{ ip: target.advertiseAddress }],
        ports: [
          { name: 'dns', port: target.port, protocol: 'UDP' },
          { name: 'dns-tcp', port: target.port, protocol: 'TCP' },
        ],
      },
    ],
  };
}

/** Creates or corrects the Service and the Endpoints. Throws API errors (the caller retries). */
export async function ensureKubeDns(services: ResourceClient<Service>, endpoints: ResourceClient<Endpoints>, target: KubeDnsTarget): Promise<KubeDnsOutcome> {
  const svc = await ensureService(services, target);
  const eps = await ensureEndpoints(endpoints, target);
  return { service: svc.outcome, endpoints: eps, ...(svc.clusterIpMismatch ? { clusterIpMismatch: svc.clusterIpMismatch } : {}) };
}

async function ensureService(client: ResourceClient<Service>, target: KubeDnsTarget): Promise<{ outcome: KubeDnsOutcome['service']; clusterIpMismatch?: string }> {
  const want = desiredService(target);
  const have = await getOrUndefined(() => client.get(KUBE_DNS.namespace, KUBE_DNS.name));
  if (!have) {
    try {
      await client.create(KUBE_DNS.namespace, want);
      return { outcome: 'created' };
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      return ensureService(client, target);
    }
  }
  const spec = have.spec ?? {};
  const mismatch = spec.clusterIP !== target.clusterIp ? spec.clusterIP : undefined;
  const labelsOk = Object.entries(KUBE_DNS_LABELS).every(([k, v]) => have.metadata.labels?.[k] === v);
  const portsOk = JSON.stringify(portsOf(spec.ports)) === JSON.stringify(portsOf(want.spec!.ports));
  if (labelsOk && portsOk && !spec.selector) return { outcome: 'unchanged', ...(mismatch ? { clusterIpMismatch: mismatch } : {}) };
  const { selector: _dropped, ...rest } = spec;
  void _dropped;
  await client.update(KUBE_DNS.namespace, {
    ...have,
    metadata: { ...have.metadata, labels: { ...(have.metadata.labels ?? {}), ...KUBE_DNS_LABELS } },
    spec: { ...rest, ports: want.spec!.ports },
  });
  return { outcome: 'updated', ...(mismatch ? { clusterIpMismatch: mismatch } : {}) };
}

async function ensureEndpoints(client: ResourceClient<Endpoints>, target: KubeDnsTarget): Promise<KubeDnsOutcome['endpoints']> {
  const want = desiredEndpoints(target);
  const have = await getOrUndefined(() => client.get(KUBE_DNS.namespace, KUBE_DNS.name));
  if (!have) {
    try {
      await client.create(KUBE_DNS.namespace, want);
      return 'created';
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      return ensureEndpoints(client, target);
    }
  }
  if (JSON.stringify(have.subsets ?? []) === JSON.stringify(want.subsets)) return 'unchanged';
  await client.update(KUBE_DNS.namespace, { ...have, subsets: want.subsets });
  return 'updated';
}

/** The comparable part of Service ports. */
function portsOf(ports: unknown): unknown[] {
  return (Array.isArray(ports) ? ports : []).map((p: Record<string, unknown>) => [p.name, p.port, p.protocol ?? 'TCP', p.targetPort]);
}

async function getOrUndefined<T>(get: () => Promise<T>): Promise<T | undefined> {
  try {
    return await get();
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}
