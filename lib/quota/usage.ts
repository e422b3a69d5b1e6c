/**
 * What an object costs a ResourceQuota (Kubernetes' quota evaluators), shared by the quota
 * admission (the cost of a create) and the quota controller (the sum over what is stored):
 *
 * - every object: `count/<resource>[.<group>]` = 1, and its plain name for the classic object
 *   counts (services, secrets, …);
 * - a pod that is not terminal (not Succeeded/Failed, not past its deletion grace period):
 *   `pods` = 1 and its requests (cpu, requests.cpu, …) and limits (limits.cpu, …), each the sum
 *   over the containers or the largest init container, whichever is more — a terminal pod only
 *   keeps `count/pods`;
 * - a Service: `services.nodeports` (its ports, for NodePort and LoadBalancer) and
 *   `services.loadbalancers`;
 * - a PersistentVolumeClaim: `requests.storage`, also per storage class.
 *
 * A container's missing requests default from its limits, as the apiserver defaults them.
 */
import type { KubeObject } from '../api/object';
import type { Container, PersistentVolumeClaim, Pod, ResourceList, ResourceQuota, Service } from '../api/types/core';
import { addLists, tryQuantity } from './resource-list';
import { OBJECT_COUNT_RESOURCES, objectCountName, POD_COMPUTE_RESOURCES } from './resource-names';

/** The group and plural resource an object is stored as. */
export interface GroupResource {
  readonly group: string;
  readonly resource: string;
}

/** Resource names whose presence in a quota makes every container state them (Kubernetes' validationSet). */
const MUST_SPECIFY: ReadonlySet<string> = new Set(['cpu', 'memory', 'requests.cpu', 'requests.memory', 'limits.cpu', 'limits.memory']);

/** Whether `gr` is core/v1 pods. */
export function isPods(gr: GroupResource): boolean {
  return gr.group === '' && gr.resource === 'pods';
}

/** Whether a pod still counts against quota at `nowMs` (Kubernetes' QuotaV1Pod). */
export function podCountsForQuota(pod: Pod, nowMs: number): boolean {
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return false;
  const deletion = pod.metadata.deletionTimestamp;
  const grace = pod.metadata.deletionGracePeriodSeconds;
  if (deletion && typeof grace === 'number') {
    const at = Date.parse(deletion);
    if (Number.isFinite(at) && nowMs > at + grace * 1000) return false;
  }
  return true;
}

/**
 * The containers (`which`: app or init) of a pod not yet validated: only well-formed entries, so
 * a malformed body is left for validation to report.
 */
export function podContainers(pod: Pod, which: 'containers' | 'initContainers'): Container[] {
  const list = pod.spec?.[which];
  return Array.isArray(list) ? list.filter((c): c is Container => !!c && typeof c === 'object') : [];
}

/** A container's requests, missing ones defaulted from its limits. */
function containerRequests(c: Container): ResourceList {
  return { ...(c.resources?.limits ?? {}), ...(c.resources?.requests ?? {}) };
}

/** The larger of each name in `a` and `b`. */
function maxLists(a: ResourceList, b: ResourceList): ResourceList {
  const out: ResourceList = { ...a };
  for (const [name, value] of Object.entries(b)) {
    const qb = tryQuantity(value);
    const qa = tryQuantity(out[name]);
    if (qb && (!qa || qb.cmp(qa) > 0)) out[name] = qb.toString();
  }
  return out;
}

/** A pod's effective requests or limits: max(sum of containers, each init container), plus overhead. */
function podTotal(pod: Pod, of: (c: Container) => ResourceList): ResourceList {
  let sum: ResourceList = {};
  for (const c of podContainers(pod, 'containers')) sum = addLists(sum, of(c));
  for (const c of podContainers(pod, 'initContainers')) sum = maxLists(sum, of(c));
  const overhead = pod.spec?.overhead;
  if (overhead && typeof overhead === 'object') sum = addLists(sum, overhead as ResourceList);
  return sum;
}

/** Kubernetes' podComputeUsageHelper: `pods` = 1, requests under their plain and requests. names, limits under limits. */
function computeUsage(requests: ResourceList, limits: ResourceList): ResourceList {
  const out: ResourceList = { pods: '1' };
  for (const name of Object.keys(requests)) {
    if (POD_COMPUTE_RESOURCES.includes(name) || name.startsWith('hugepages-')) {
      const q = tryQuantity(requests[name]);
      if (!q) continue;
      if (!name.startsWith('hugepages-')) out[name] = q.toString();
      out[`requests.${name}`] = q.toString();
    }
  }
  for (const name of Object.keys(limits)) {
    if (!POD_COMPUTE_RESOURCES.includes(name)) continue;
    const q = tryQuantity(limits[name]);
    if (q) out[`limits.${name}`] = q.toString();
  }
  return out;
}

/** What `pod` costs at `nowMs`. */
export function podUsage(pod: Pod, nowMs: number): ResourceList {
  const count = { [objectCountName('pods', '')]: '1' };
  if (!podCountsForQuota(pod, nowMs)) return count;
  const requests = podTotal(pod, containerRequests);
  const limits = podTotal(pod, (c) => c.resources?.limits ?? {});
  return { ...count, ...computeUsage(requests, limits) };
}

/** What `svc` costs (nodeports only where the type allocates them). */
function serviceUsage(svc: Service): ResourceList {
  const out: ResourceList = { services: '1' };
  const type = svc.spec?.type ?? 'ClusterIP';
  const ports = String(svc.spec?.ports?.length ?? 0);
  if (type === 'NodePort') out['services.nodeports'] = ports;
  if (type === 'LoadBalancer') {
    out['services.loadbalancers'] = '1';
    out['services.nodeports'] = svc.spec?.allocateLoadBalancerNodePorts === false ? '0' : ports;
  }
  return out;
}

/** Suffix of the per-storage-class quota names (`gold.storageclass.storage.k8s.io/requests.storage`). */
const STORAGE_CLASS_SUFFIX = '.storageclass.storage.k8s.io/';

/** What `pvc` costs. */
function claimUsage(pvc: PersistentVolumeClaim): ResourceList {
  const out: ResourceList = { persistentvolumeclaims: '1' };
  const storage = tryQuantity(pvc.spec?.resources?.requests?.storage);
  const cls = pvc.spec?.storageClassName;
  if (cls) out[`${cls}${STORAGE_CLASS_SUFFIX}persistentvolumeclaims`] = '1';
  if (storage) {
    out['requests.storage'] = storage.toString();
    if (cls) out[`${cls}${STORAGE_CLASS_SUFFIX}requests.storage`] = storage.toString();
  }
  return out;
}

/** What one stored (or about to be stored) object of `gr` costs at `nowMs`. */
export function objectUsage(gr: GroupResource, obj: KubeObject, nowMs: number): ResourceList {
  if (isPods(gr)) return podUsage(obj as Pod, nowMs);
  const count: ResourceList = { [objectCountName(gr.resource, gr.group)]: '1' };
  if (gr.group !== '') return count;
  if (gr.resource === 'services') return { ...count, ...serviceUsage(obj as Service) };
  if (gr.resource === 'persistentvolumeclaims') return { ...count, ...claimUsage(obj as PersistentVolumeClaim) };
  if (OBJECT_COUNT_RESOURCES[gr.resource]) return { ...count, [gr.resource]: '1' };
  return count;
}

/** Kubernetes' BestEffort QoS: no container (nor init container) requests or limits cpu or memory. */
export function isBestEffort(pod: Pod): boolean {
  const containers = [...podContainers(pod, 'containers'), ...podContainers(pod, 'initContainers')];
  return containers.every((c) => ['cpu', 'memory'].every((r) => c.resources?.requests?.[r] === undefined && c.resources?.limits?.[r] === undefined));
}

/** Whether a pod's affinity terms reach other namespaces (the CrossNamespacePodAffinity scope). */
function hasCrossNamespaceAffinity(pod: Pod): boolean {
  const affinity = pod.spec?.affinity as Record<string, Record<string, unknown[]> | undefined> | undefined;
  for (const kind of ['podAffinity', 'podAntiAffinity']) {
    const a = affinity?.[kind];
    const terms = [
      ...((a?.requiredDuringSchedulingIgnoredDuringExecution as Record<string, unknown>[] | undefined) ?? []),
      ...(((a?.preferredDuringSchedulingIgnoredDuringExecution as Record<string, unknown>[] | undefined) ?? []).map((w) => (w.podAffinityTerm ?? {}) as Record<string, unknown>)),
    ];
    if (terms.some((t) => (Array.isArray(t.namespaces) && t.namespaces.length > 0) || t.namespaceSelector !== undefined)) return true;
  }
  return false;
}

/** Whether `pod` is in `scope` (for PriorityClass: `op` over `values` of its priorityClassName). */
function podInScope(pod: Pod, scope: string, op: string, values: readonly string[]): boolean {
  const spec = pod.spec ?? {};
  switch (scope) {
    case 'Terminating':
      return typeof spec.activeDeadlineSeconds === 'number' && spec.activeDeadlineSeconds >= 0;
    case 'NotTerminating':
      return !(typeof spec.activeDeadlineSeconds === 'number' && spec.activeDeadlineSeconds >= 0);
    case 'BestEffort':
      return isBestEffort(pod);
    case 'NotBestEffort':
      return !isBestEffort(pod);
    case 'CrossNamespacePodAffinity':
      return hasCrossNamespaceAffinity(pod);
    case 'PriorityClass': {
      const cls = spec.priorityClassName ?? '';
      if (op === 'In') return values.includes(cls);
      if (op === 'NotIn') return !values.includes(cls);
      if (op === 'DoesNotExist') return cls === '';
      return cls !== '';
    }
    default:
      return false;
  }
}

/**
 * Whether `quota` covers an object of `gr`: an unscoped quota covers everything in its
 * namespace; a quota with scopes or a scopeSelector covers only pods in every scope.
 */
export function quotaCovers(quota: ResourceQuota, gr: GroupResource, obj: KubeObject): boolean {
  const scopes = quota.spec?.scopes ?? [];
  const selector = quota.spec?.scopeSelector?.matchExpressions ?? [];
  if (scopes.length === 0 && selector.length === 0) return true;
  if (!isPods(gr)) return false;
  const pod = obj as Pod;
  return scopes.every((s) => podInScope(pod, s, 'Exists', [])) && selector.every((r) => podInScope(pod, r.scopeName ?? '', r.operator ?? '', r.values ?? []));
}

/**
 * Kubernetes' pod evaluator Constraints: when a quota limits cpu or memory (`hardNames`), every
 * container must state that resource. Answers `must specify limits.cpu for: a,b; requests.memory
 * for: a`, or undefined when nothing is missing.
 */
export function missingPodResources(pod: Pod, hardNames: readonly string[]): string | undefined {
  const required = hardNames.filter((n) => MUST_SPECIFY.has(n));
  if (required.length === 0) return undefined;
  const missing = new Map<string, Set<string>>();
  for (const c of [...podContainers(pod, 'containers'), ...podContainers(pod, 'initContainers')]) {
    const has = computeUsage(containerRequests(c), c.resources?.limits ?? {});
    for (const name of required) {
      if (has[name] === undefined) {
        const set = missing.get(name) ?? new Set<string>();
        set.add(c.name ?? '');
        missing.set(name, set);
      }
    }
  }
  if (missing.size === 0) return undefined;
  const parts = [...missing.keys()].sort().map((name) => `${name} for: ${[...missing.get(name)!].sort().join(',')}`);
  return `must specify ${parts.join('; ')}`;
}
