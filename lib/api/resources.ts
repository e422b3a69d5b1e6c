/**
 * The resource table: the ResourceInfo of every kind Bosun serves, in one place, so the
 * apiserver (each kind's strategy takes its `info` from here) and every client (controllers,
 * scheduler, CLI, tests) address a kind by the same value: `RESOURCES.pods`,
 * `RESOURCES.deployments`, … Keys are the plural resource names (the path segment), which are
 * unique across the groups Bosun serves.
 *
 * The typed object interfaces of these kinds live in lib/api/types.
 */
import type { ResourceInfo } from './object';

/** A ResourceInfo whose singular is the lower-cased kind. */
function info(
  group: string,
  version: string,
  kind: string,
  resource: string,
  namespaced: boolean,
  shortNames: string[] = [],
  categories: string[] = [],
): ResourceInfo {
  return Object.freeze({ group, version, kind, resource, singular: kind.toLowerCase(), namespaced, shortNames, categories });
}

const CORE = '';
const RBAC = 'rbac.authorization.k8s.io';

/** Every served kind's ResourceInfo, by plural resource name. */
export const RESOURCES = Object.freeze({
  // core/v1
  pods: info(CORE, 'v1', 'Pod', 'pods', true, ['po'], ['all']),
  services: info(CORE, 'v1', 'Service', 'services', true, ['svc'], ['all']),
  namespaces: info(CORE, 'v1', 'Namespace', 'namespaces', false, ['ns']),
  nodes: info(CORE, 'v1', 'Node', 'nodes', false, ['no']),
  configmaps: info(CORE, 'v1', 'ConfigMap', 'configmaps', true, ['cm']),
  secrets: info(CORE, 'v1', 'Secret', 'secrets', true),
  endpoints: info(CORE, 'v1', 'Endpoints', 'endpoints', true, ['ep']),
  events: info(CORE, 'v1', 'Event', 'events', true, ['ev']),
  serviceaccounts: info(CORE, 'v1', 'ServiceAccount', 'serviceaccounts', true, ['sa']),
  persistentvolumes: info(CORE, 'v1', 'PersistentVolume', 'persistentvolumes', false, ['pv']),
  persistentvolumeclaims: info(CORE, 'v1', 'PersistentVolumeClaim', 'persistentvolumeclaims', true, ['pvc']),
  replicationcontrollers: info(CORE, 'v1', 'ReplicationController', 'replicationcontrollers', true, ['rc'], ['all']),
  resourcequotas: info(CORE, 'v1', 'ResourceQuota', 'resourcequotas', true, ['quota']),
  limitranges: info(CORE, 'v1', 'LimitRange', 'limitranges', true, ['limits']),
  // apps/v1
  deployments: info('apps', 'v1', 'Deployment', 'deployments', true, ['deploy'], ['all']),
  replicasets: info('apps', 'v1', 'ReplicaSet', 'replicasets', true, ['rs'], ['all']),
  daemonsets: info('apps', 'v1', 'DaemonSet', 'daemonsets', true, ['ds'], ['all']),
  statefulsets: info('apps', 'v1', 'StatefulSet', 'statefulsets', true, ['sts'], ['all']),
  controllerrevisions: info('apps', 'v1', 'ControllerRevision', 'controllerrevisions', true),
  // batch/v1
  jobs: info('batch', 'v1', 'Job', 'jobs', true, [], ['all']),
  cronjobs: info('batch', 'v1', 'CronJob', 'cronjobs', true, ['cj'], ['all']),
  // autoscaling/v2
  horizontalpodautoscalers: info('autoscaling', 'v2', 'HorizontalPodAutoscaler', 'horizontalpodautoscalers', true, ['hpa'], ['all']),
  // coordination.k8s.io/v1
  leases: info('coordination.k8s.io', 'v1', 'Lease', 'leases', true),
  // scheduling.k8s.io/v1
  priorityclasses: info('scheduling.k8s.io', 'v1', 'PriorityClass', 'priorityclasses', false, ['pc']),
  // policy/v1
  poddisruptionbudgets: info('policy', 'v1', 'PodDisruptionBudget', 'poddisruptionbudgets', true, ['pdb']),
  // discovery.k8s.io/v1
  endpointslices: info('discovery.k8s.io', 'v1', 'EndpointSlice', 'endpointslices', true),
  // networking.k8s.io/v1
  ingresses: info('networking.k8s.io', 'v1', 'Ingress', 'ingresses', true, ['ing']),
  ingressclasses: info('networking.k8s.io', 'v1', 'IngressClass', 'ingressclasses', false),
  // storage.k8s.io/v1
  storageclasses: info('storage.k8s.io', 'v1', 'StorageClass', 'storageclasses', false, ['sc']),
  // rbac.authorization.k8s.io/v1
  roles: info(RBAC, 'v1', 'Role', 'roles', true),
  rolebindings: info(RBAC, 'v1', 'RoleBinding', 'rolebindings', true),
  clusterroles: info(RBAC, 'v1', 'ClusterRole', 'clusterroles', false),
  clusterrolebindings: info(RBAC, 'v1', 'ClusterRoleBinding', 'clusterrolebindings', false),
});

/** The plural name of a served resource (a key of {@link RESOURCES}). */
export type ResourceName = keyof typeof RESOURCES;

/** The table entry of `group`/`kind`, if Bosun serves that kind. */
export function resourceForKind(group: string, kind: string): ResourceInfo | undefined {
  return Object.values(RESOURCES).find((r) => r.group === group && r.kind === kind);
}

/** The group of an apiVersion: "" for "v1", "apps" for "apps/v1". */
export function groupOfApiVersion(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

/** The table entry of an object's `apiVersion` and `kind` ("apps/v1", "Deployment"), if served. */
export function resourceForApiVersionKind(apiVersion: string, kind: string): ResourceInfo | undefined {
  return resourceForKind(groupOfApiVersion(apiVersion), kind);
}
