/**
 * Service tables of a chosen size for tests and the sync benchmark: `services` ClusterIP
 * Services of one TCP port each, `endpointsPerService` ready endpoints apiece, addresses drawn
 * from the given ranges' low ends (10.43.x.y ClusterIPs, 10.42.x.y endpoints by default).
 */
import type { Service } from '../../../../lib/api/types/core';
import type { EndpointSlice } from '../../../../lib/api/types/discovery';
import { SERVICE_NAME_LABEL, ServiceTable } from '../../../../lib/network/service-table';

export const SYNTHETIC_NAMESPACE = 'bench';
/** The synthetic Services' port and their endpoints' port. */
export const SYNTHETIC_PORT = 80;
export const SYNTHETIC_TARGET_PORT = 8080;

/** The i-th address after `base` (a.b.0.0), skipping .0 and .255 in the last octet. */
function nthAddress(base: string, i: number): string {
  const [a, b] = base.split('.');
  return `${a}.${b}.${Math.floor(i / 250)}.${(i % 250) + 1}`;
}

export function syntheticService(i: number, serviceBase = '10.43.0.0'): Service {
  const ip = nthAddress(serviceBase, i + 10);
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { namespace: SYNTHETIC_NAMESPACE, name: `svc-${i}` },
    spec: { clusterIP: ip, clusterIPs: [ip], ports: [{ name: 'http', port: SYNTHETIC_PORT, protocol: 'TCP' }] },
  };
}

/** The slice of service `i`; `generation` shifts its endpoint addresses (a rollout). */
export function syntheticSlice(i: number, endpoints: number, generation = 0, podBase = '10.42.0.0'): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { namespace: SYNTHETIC_NAMESPACE, name: `svc-${i}-abc`, labels: { [SERVICE_NAME_LABEL]: `svc-${i}` } },
    addressType: 'IPv4',
    endpoints: Array.from({ length: endpoints }, (_, j) => ({ addresses: [nthAddress(podBase, (i * endpoints + j + generation) % 60_000)], conditions: { ready: true } })),
    ports: [{ name: 'http', port: SYNTHETIC_TARGET_PORT, protocol: 'TCP' }],
  };
}

/** A table of `services` × `endpointsPerService`; its pending changes are taken (a fresh start). */
export function syntheticTable(services: number, endpointsPerService: number): ServiceTable {
  const table = new ServiceTable();
  for (let i = 0; i < services; i++) {
    table.setService(syntheticService(i));
    table.setSlice(syntheticSlice(i, endpointsPerService));
  }
  table.takeChanges();
  return table;
}
