/** Service and EndpointSlice objects for the DNS's unit tests. */
import type { Service } from '../../lib/api/types/core';
import type { EndpointSlice } from '../../lib/api/types/discovery';

/** A Service `ns/name` with `spec`. */
export function service(ns: string, name: string, spec: Service['spec']): Service {
  return { apiVersion: 'v1', kind: 'Service', metadata: { namespace: ns, name }, spec };
}

/** An IPv4 EndpointSlice `name` of Service `ns/svc` with `endpoints` and one port `web` 8080/TCP. */
export function slice(ns: string, svc: string, name: string, endpoints: EndpointSlice['endpoints']): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { namespace: ns, name, labels: { 'kubernetes.io/service-name': svc } },
    addressType: 'IPv4',
    endpoints,
    ports: [{ name: 'web', port: 8080, protocol: 'TCP' }],
  };
}
