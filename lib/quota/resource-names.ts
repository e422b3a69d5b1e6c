/**
 * The resource names and scopes quota knows (Kubernetes' core helper tables): which names a
 * ResourceQuota may limit, which must be whole numbers, and which scopes apply to which names.
 */

/** Object counts quota tracks under their plain names (and as count/<resource>). */
export const OBJECT_COUNT_RESOURCES: Readonly<Record<string, string>> = {
  pods: 'pods',
  services: 'services',
  replicationcontrollers: 'replicationcontrollers',
  resourcequotas: 'resourcequotas',
  secrets: 'secrets',
  configmaps: 'configmaps',
  persistentvolumeclaims: 'persistentvolumeclaims',
};

/** The compute resources of a pod quota charges, each also under requests./limits. */
export const POD_COMPUTE_RESOURCES: readonly string[] = ['cpu', 'memory', 'ephemeral-storage'];

/** Resource names a ResourceQuota may name without a domain (Kubernetes' standardQuotaResources). */
export const STANDARD_QUOTA_RESOURCES: ReadonlySet<string> = new Set([
  ...POD_COMPUTE_RESOURCES,
  ...POD_COMPUTE_RESOURCES.map((r) => `requests.${r}`),
  ...POD_COMPUTE_RESOURCES.map((r) => `limits.${r}`),
  'requests.storage',
  ...Object.keys(OBJECT_COUNT_RESOURCES),
  'services.nodeports',
  'services.loadbalancers',
]);

/** Names a container's (or a LimitRange's Container/Pod item's) resources may use without a domain. */
export const STANDARD_CONTAINER_RESOURCES: ReadonlySet<string> = new Set(['cpu', 'memory', 'ephemeral-storage']);

/** Every standard resource name (Kubernetes' standardResources), for LimitRange PVC items and the like. */
export const STANDARD_RESOURCES: ReadonlySet<string> = new Set([...STANDARD_QUOTA_RESOURCES, 'storage']);

/** Names whose amounts must be whole numbers (object counts). */
const INTEGER_RESOURCES: ReadonlySet<string> = new Set([...Object.keys(OBJECT_COUNT_RESOURCES), 'services.nodeports', 'services.loadbalancers']);

/** The prefix of huge page resources (hugepages-2Mi), allowed in quotas as requests./limits. too. */
const HUGEPAGES_PREFIX = 'hugepages-';

/** Whether `name` may be limited by a ResourceQuota without a domain. */
export function isStandardQuotaResource(name: string): boolean {
  return STANDARD_QUOTA_RESOURCES.has(name) || name.startsWith(HUGEPAGES_PREFIX) || name.startsWith(`requests.${HUGEPAGES_PREFIX}`);
}

/** Whether `name` is a container resource (cpu, memory, ephemeral-storage, hugepages-*). */
export function isStandardContainerResource(name: string): boolean {
  return STANDARD_CONTAINER_RESOURCES.has(name) || name.startsWith(HUGEPAGES_PREFIX);
}

/**
 * Whether amounts of `name` must be whole numbers (Kubernetes' IsIntegerResourceName): object
 * counts, and extended resources (a domain-qualified name outside kubernetes.io, count/<x>).
 */
export function isIntegerResource(name: string): boolean {
  if (INTEGER_RESOURCES.has(name)) return true;
  return name.includes('/') && !name.startsWith('kubernetes.io/') && !name.includes('.kubernetes.io/') && !name.startsWith('requests.');
}

/** The quota scopes Kubernetes defines. */
export const QUOTA_SCOPES = ['Terminating', 'NotTerminating', 'BestEffort', 'NotBestEffort', 'PriorityClass', 'CrossNamespacePodAffinity'] as const;
export type QuotaScope = (typeof QUOTA_SCOPES)[number];

/** The names a pod-scoped quota (NotBestEffort, Terminating, …) may limit. */
const POD_SCOPED_RESOURCES: ReadonlySet<string> = new Set([
  'pods',
  ...POD_COMPUTE_RESOURCES,
  ...POD_COMPUTE_RESOURCES.map((r) => `requests.${r}`),
  ...POD_COMPUTE_RESOURCES.map((r) => `limits.${r}`),
]);

/** Whether `scope` may be applied to a quota limiting `name` (BestEffort pods have no compute resources). */
export function isScopeValidForResource(scope: string, name: string): boolean {
  if (scope === 'BestEffort') return name === 'pods';
  return POD_SCOPED_RESOURCES.has(name);
}

/** `count/<resource>[.<group>]`, the object-count name of any resource. */
export function objectCountName(resource: string, group: string): string {
  return group === '' ? `count/${resource}` : `count/${resource}.${group}`;
}
