/**
 * The API resources the scheduler reads and writes, as the client addresses them.
 */
import type { ResourceInfo } from '../../lib/api/object';

function info(group: string, version: string, kind: string, resource: string, namespaced: boolean): ResourceInfo {
  return { group, version, kind, resource, singular: kind.toLowerCase(), namespaced, shortNames: [], categories: [] };
}

export const PODS = info('', 'v1', 'Pod', 'pods', true);
export const NODES = info('', 'v1', 'Node', 'nodes', false);
export const NAMESPACES = info('', 'v1', 'Namespace', 'namespaces', false);
export const SERVICES = info('', 'v1', 'Service', 'services', true);
export const EVENTS = info('', 'v1', 'Event', 'events', true);
export const REPLICA_SETS = info('apps', 'v1', 'ReplicaSet', 'replicasets', true);
export const STATEFUL_SETS = info('apps', 'v1', 'StatefulSet', 'statefulsets', true);
export const POD_DISRUPTION_BUDGETS = info('policy', 'v1', 'PodDisruptionBudget', 'poddisruptionbudgets', true);
export const LEASES = info('coordination.k8s.io', 'v1', 'Lease', 'leases', true);
