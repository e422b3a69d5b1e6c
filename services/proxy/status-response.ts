/**
 * The proxy's status as the ProxyStatus gRPC API answers it: mode, nodes, sync figures and the
 * routing table with, per endpoint, whether it is in rotation for internal and external traffic.
 */
import type { GetStatusResponse, ServicePortRoute } from '../../gen/bosun/proxy';
import { type ServicePortEntry, usableEndpoints } from '../../lib/network/service-table';
import type { ProxyMode } from './data-path';
import type { SyncState } from './proxy';

/** What the server knows besides the table. */
export interface ProxyStatusParts {
  readonly mode: ProxyMode;
  readonly nodeNames: ReadonlySet<string>;
  readonly serviceCidr: string;
  readonly clusterCidr: string;
  readonly sync: SyncState;
  readonly entries: readonly ServicePortEntry[];
}

/** The response message for `parts`. */
export function toStatusResponse(parts: ProxyStatusParts): GetStatusResponse {
  const s = parts.sync;
  return {
    mode: parts.mode,
    nodeNames: [...parts.nodeNames].sort(),
    serviceCidr: parts.serviceCidr,
    clusterCidr: parts.clusterCidr,
    lastSyncTime: s.lastSyncMs > 0 ? new Date(s.lastSyncMs).toISOString() : '',
    lastSyncDurationSeconds: s.lastSyncDurationMs / 1000,
    lastError: s.lastError ?? '',
    syncsTotal: s.syncs,
    syncFailuresTotal: s.failures,
    servicePorts: s.lastResult?.servicePorts ?? 0,
    endpoints: s.lastResult?.endpoints ?? 0,
    rules: s.lastResult?.rules ?? 0,
    routes: parts.entries.map((e) => toRoute(e, parts.nodeNames)),
  };
}

function toRoute(e: ServicePortEntry, localNodes: ReadonlySet<string>): ServicePortRoute {
  const internal = new Set(usableEndpoints(e, 'internal', localNodes));
  const external = new Set(usableEndpoints(e, 'external', localNodes));
  return {
    key: e.key,
    namespace: e.namespace,
    name: e.name,
    portName: e.portName,
    protocol: e.protocol,
    type: e.type,
    clusterIps: [...e.clusterIPs],
    port: e.port,
    nodePort: e.nodePort ?? 0,
    externalIps: [...e.externalIPs],
    loadBalancerIps: [...e.loadBalancerIPs],
    sessionAffinity: e.sessionAffinity.type,
    affinityTimeoutSeconds: e.sessionAffinity.type === 'ClientIP' ? e.sessionAffinity.timeoutSeconds : 0,
    internalTrafficPolicy: e.internalTrafficPolicy,
    externalTrafficPolicy: e.externalTrafficPolicy,
    endpoints: e.endpoints.map((ep) => ({
      ip: ep.ip,
      port: ep.port,
      nodeName: ep.nodeName ?? '',
      pod: ep.pod ?? '',
      ready: ep.ready,
      serving: ep.serving,
      terminating: ep.terminating,
      internal: internal.has(ep),
      external: external.has(ep),
    })),
  };
}
