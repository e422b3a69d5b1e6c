/**
 * The API resources the scheduler reads and writes: lib/api/resources' entries under the names
 * the scheduler's code uses.
 */
import { RESOURCES } from '../../lib/api/resources';

export const PODS = RESOURCES.pods;
export const NODES = RESOURCES.nodes;
export const NAMESPACES = RESOURCES.namespaces;
export const SERVICES = RESOURCES.services;
export const EVENTS = RESOURCES.events;
export const REPLICA_SETS = RESOURCES.replicasets;
export const STATEFUL_SETS = RESOURCES.statefulsets;
export const LEASES = RESOURCES.leases;
export const POD_DISRUPTION_BUDGETS = RESOURCES.poddisruptionbudgets;
