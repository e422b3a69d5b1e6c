/**
 * Kubernetes' LimitRanger admission plugin, on creates of pods and PersistentVolumeClaims:
 *
 * - defaults: every container (and init container) without a limit or request for a resource
 *   a Container item of a LimitRange in the namespace defaults gets `default` as its limit and
 *   `defaultRequest` as its request (earlier LimitRanges first; what is set is kept);
 * - bounds: Container items bound each container's requests/limits by min, max and
 *   maxLimitRequestRatio; Pod items bound the pod's totals; PersistentVolumeClaim items bound a
 *   claim's storage request. Violations are refused with 403 and Kubernetes' messages
 *   (`maximum cpu usage per Container is 1, but limit is 2`), several as `[a, b]`.
 */
import type { KubeObject, ResourceInfo } from '../../../lib/api/object';
import type { Container, LimitRange, LimitRangeItem, PersistentVolumeClaim, Pod, ResourceList } from '../../../lib/api/types/core';
import { addLists, tryQuantity } from '../../../lib/quota/resource-list';
import { podContainers } from '../../../lib/quota/usage';
import { admissionForbidden, isResource, type AdmissionPlugin } from './admission';

/** The LimitRanges of a namespace, as the watch cache holds them. */
export type LimitRangeLookup = (namespace: string) => Promise<readonly LimitRange[]>;

/** Fixed-point scale of the ratio comparison (Kubernetes compares ratios in thousandths). */
const MILLI = 1000;

function isMap(v: unknown): boolean {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Adds the defaults of `item` (a Container item) to `c` where it has none. */
function defaultContainer(c: Container, item: LimitRangeItem): void {
  const def = item.default ?? {};
  const defReq = item.defaultRequest ?? {};
  if (Object.keys(def).length === 0 && Object.keys(defReq).length === 0) return;
  const resources = (c.resources ??= {});
  // A malformed body is left as it is, for validation to report.
  if (!isMap(resources) || (resources.limits !== undefined && !isMap(resources.limits)) || (resources.requests !== undefined && !isMap(resources.requests))) return;
  for (const [k, v] of Object.entries(def)) if ((resources.limits ??= {})[k] === undefined) resources.limits[k] = v;
  for (const [k, v] of Object.entries(defReq)) if ((resources.requests ??= {})[k] === undefined) resources.requests[k] = v;
}

/** Kubernetes' minConstraint: the request (and a limit, if any) are ≥ min. */
function minConstraint(type: string, name: string, enforced: string, requests: ResourceList, limits: ResourceList): string | undefined {
  const min = tryQuantity(enforced);
  if (!min) return undefined;
  const req = tryQuantity(requests[name]);
  const lim = tryQuantity(limits[name]);
  if (requests[name] === undefined) return `minimum ${name} usage per ${type} is ${min}.  No request is specified`;
  if (req && req.cmp(min) < 0) return `minimum ${name} usage per ${type} is ${min}, but request is ${req}`;
  if (lim && lim.cmp(min) < 0) return `minimum ${name} usage per ${type} is ${min}, but limit is ${lim}`;
  return undefined;
}

/** Kubernetes' maxConstraint: a limit is required and it (and a request, if any) are ≤ max. */
function maxConstraint(type: string, name: string, enforced: string, requests: ResourceList, limits: ResourceList): string | undefined {
  const max = tryQuantity(enforced);
  if (!max) return undefined;
  const req = tryQuantity(requests[name]);
  const lim = tryQuantity(limits[name]);
  if (limits[name] === undefined) return `maximum ${name} usage per ${type} is ${max}.  No limit is specified`;
  if (lim && lim.cmp(max) > 0) return `maximum ${name} usage per ${type} is ${max}, but limit is ${lim}`;
  if (req && req.cmp(max) > 0) return `maximum ${name} usage per ${type} is ${max}, but request is ${req}`;
  return undefined;
}

/** Kubernetes' maxRequestConstraint (claims): the request is ≤ max. */
function maxRequestConstraint(type: string, name: string, enforced: string, requests: ResourceList): string | undefined {
  const max = tryQuantity(enforced);
  if (!max) return undefined;
  const req = tryQuantity(requests[name]);
  if (requests[name] === undefined) return `maximum ${name} usage per ${type} is ${max}.  No request is specified`;
  if (req && req.cmp(max) > 0) return `maximum ${name} usage per ${type} is ${max}, but request is ${req}`;
  return undefined;
}

/** Kubernetes' limitRequestRatioConstraint: limit / request ≤ the ratio. */
function ratioConstraint(type: string, name: string, enforced: string, requests: ResourceList, limits: ResourceList): string | undefined {
  const ratio = tryQuantity(enforced);
  if (!ratio) return undefined;
  const req = tryQuantity(requests[name]);
  const lim = tryQuantity(limits[name]);
  if (!req || req.isZero()) return `${name} max limit to request ratio per ${type} is ${ratio}, but no request is specified or request is 0`;
  if (!lim || lim.isZero()) return `${name} max limit to request ratio per ${type} is ${ratio}, but no limit is specified or limit is 0`;
  const observed = Number(lim.nanos) / Number(req.nanos);
  if (Math.round(observed * MILLI) > Number(ratio.nanos / 1_000_000n)) return `${name} max limit to request ratio per ${type} is ${ratio}, but provided ratio is ${observed.toFixed(6)}`;
  return undefined;
}

/** The min/max/ratio violations of `item` by one set of requests and limits. */
function boundsErrors(item: LimitRangeItem, type: string, requests: ResourceList, limits: ResourceList): string[] {
  const out: (string | undefined)[] = [];
  for (const k of Object.keys(item.min ?? {}).sort()) out.push(minConstraint(type, k, item.min![k], requests, limits));
  for (const k of Object.keys(item.max ?? {}).sort()) out.push(maxConstraint(type, k, item.max![k], requests, limits));
  for (const k of Object.keys(item.maxLimitRequestRatio ?? {}).sort()) out.push(ratioConstraint(type, k, item.maxLimitRequestRatio![k], requests, limits));
  return out.filter((e): e is string => e !== undefined);
}

/** A pod's totals: the sum over containers, or an init container if larger. */
function podTotals(pod: Pod, part: 'requests' | 'limits'): ResourceList {
  let sum: ResourceList = {};
  for (const c of podContainers(pod, 'containers')) sum = addLists(sum, c.resources?.[part] ?? {});
  for (const c of podContainers(pod, 'initContainers')) {
    for (const [k, v] of Object.entries(c.resources?.[part] ?? {})) {
      const q = tryQuantity(v);
      const cur = tryQuantity(sum[k]);
      if (q && (!cur || q.cmp(cur) > 0)) sum[k] = q.toString();
    }
  }
  return sum;
}

/** Defaults `pod` from, then checks it against, the items of `ranges`; answers the violations. */
export function limitPod(pod: Pod, ranges: readonly LimitRange[]): string[] {
  const containers = [...podContainers(pod, 'containers'), ...podContainers(pod, 'initContainers')];
  const items = ranges.flatMap((r) => r.spec?.limits ?? []);
  for (const item of items) if (item.type === 'Container') for (const c of containers) defaultContainer(c, item);
  const errs: string[] = [];
  for (const item of items) {
    if (item.type === 'Container') {
      for (const c of containers) errs.push(...boundsErrors(item, 'Container', c.resources?.requests ?? {}, c.resources?.limits ?? {}));
    } else if (item.type === 'Pod') {
      errs.push(...boundsErrors(item, 'Pod', podTotals(pod, 'requests'), podTotals(pod, 'limits')));
    }
  }
  return errs;
}

/** Checks a claim against the PersistentVolumeClaim items of `ranges`; answers the violations. */
export function limitClaim(pvc: PersistentVolumeClaim, ranges: readonly LimitRange[]): string[] {
  const requests = pvc.spec?.resources?.requests ?? {};
  const errs: (string | undefined)[] = [];
  for (const item of ranges.flatMap((r) => r.spec?.limits ?? [])) {
    if (item.type !== 'PersistentVolumeClaim') continue;
    for (const k of Object.keys(item.min ?? {}).sort()) errs.push(minConstraint('PersistentVolumeClaim', k, item.min![k], requests, {}));
    for (const k of Object.keys(item.max ?? {}).sort()) errs.push(maxRequestConstraint('PersistentVolumeClaim', k, item.max![k], requests));
  }
  return errs.filter((e): e is string => e !== undefined);
}

/** Go's utilerrors.Aggregate text: one error as it is, several as `[a, b]`. */
export function aggregateMessage(errs: readonly string[]): string {
  return errs.length === 1 ? errs[0] : `[${errs.join(', ')}]`;
}

/** The LimitRanger admission plugin. See the file comment. */
export class LimitRanger implements AdmissionPlugin {
  constructor(private readonly ranges: LimitRangeLookup) {}

  async admitCreate(info: ResourceInfo, namespace: string | undefined, obj: KubeObject): Promise<void> {
    const isPod = isResource(info, '', 'pods');
    if (!isPod && !isResource(info, '', 'persistentvolumeclaims')) return;
    const ns = namespace ?? obj.metadata?.namespace;
    if (!ns) return;
    const ranges = await this.ranges(ns);
    if (ranges.length === 0) return;
    const errs = isPod ? limitPod(obj as Pod, ranges) : limitClaim(obj as PersistentVolumeClaim, ranges);
    if (errs.length > 0) throw admissionForbidden(info, obj, aggregateMessage(errs));
  }
}
