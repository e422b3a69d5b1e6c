/**
 * How a Service's desired endpoints are packed into EndpointSlices (the reconciler of
 * Kubernetes' EndpointSlice controller, simplified), as a pure function of the desired endpoint
 * groups and the slices that exist:
 * - endpoints are grouped by address type and port set; one slice holds one group;
 * - an existing slice keeps the endpoints it already holds that are still desired (updated in
 *   place, order kept) and drops the others; a slice whose group is no longer desired goes;
 * - the endpoints left over fill slices that change anyway first, then other slices with room,
 *   then new slices of at most `maxEndpointsPerSlice`;
 * - a slice left empty is deleted, except that a Service with no endpoints at all keeps one
 *   empty placeholder slice (no ports, no endpoints), as Kubernetes does;
 * - a slice is written only when its endpoints, ports, labels or owners differ.
 * Equal inputs give equal plans, so an unchanged Service is never rewritten.
 */
import { isDeepStrictEqual } from 'node:util';
import type { OwnerReference } from '../../../lib/api/object';
import type { AddressType, Endpoint, EndpointPort, EndpointSlice } from '../../../lib/api/types/discovery';
import { ipOrder } from '../endpoint/endpoint-subsets';

/** Most endpoints the controller puts in one slice (kube-controller-manager's --max-endpoints-per-slice default). */
export const MAX_ENDPOINTS_PER_SLICE = 100;

/** Endpoints that share an address type and a port set. */
export interface EndpointGroup {
  readonly addressType: AddressType;
  readonly ports: readonly EndpointPort[];
  readonly endpoints: readonly Endpoint[];
}

/** What every slice of one Service carries. */
export interface SliceTemplate {
  readonly namespace: string;
  /** `<service>-`: the apiserver appends five random characters. */
  readonly generateName: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly ownerReferences: readonly OwnerReference[];
}

/** The writes that bring the existing slices to the desired state. */
export interface SlicePlan {
  readonly create: EndpointSlice[];
  readonly update: EndpointSlice[];
  readonly delete: EndpointSlice[];
}

const portKey = (p: EndpointPort) => `${p.name ?? ''}/${p.port ?? ''}/${p.protocol ?? 'TCP'}/${p.appProtocol ?? ''}`;

/** The identity of a port set (order ignored). */
function portsKey(ports: readonly EndpointPort[] | undefined): string {
  return (ports ?? []).map(portKey).sort().join(',');
}

function groupKey(addressType: string, ports: readonly EndpointPort[] | undefined): string {
  return `${addressType}|${portsKey(ports)}`;
}

/** The identity of an endpoint across writes: its target's uid, else its addresses. */
export function endpointKey(ep: Endpoint): string {
  return ep.targetRef?.uid ? `uid:${ep.targetRef.uid}` : `addr:${ep.addresses.join(',')}`;
}

/** Address order for new endpoints: numeric for IPv4, text otherwise; then identity. */
function compareEndpoints(a: Endpoint, b: Endpoint): number {
  return ipOrder(a.addresses[0] ?? '', b.addresses[0] ?? '') || endpointKey(a).localeCompare(endpointKey(b));
}

/** A slice being planned: its endpoints so far and whether it must be written. */
interface Draft {
  readonly slice: EndpointSlice;
  endpoints: Endpoint[];
  changed: boolean;
}

function metadataCurrent(slice: EndpointSlice, template: SliceTemplate): boolean {
  return isDeepStrictEqual(slice.metadata.labels ?? {}, template.labels) && isDeepStrictEqual(slice.metadata.ownerReferences ?? [], template.ownerReferences);
}

function newSlice(template: SliceTemplate, group: { addressType: AddressType; ports: readonly EndpointPort[] }, endpoints: Endpoint[]): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      generateName: template.generateName,
      namespace: template.namespace,
      labels: { ...template.labels },
      ownerReferences: template.ownerReferences.map((r) => ({ ...r })),
    },
    addressType: group.addressType,
    endpoints,
    ports: group.ports.map((p) => ({ ...p })),
  };
}

function written(d: Draft, template: SliceTemplate): EndpointSlice {
  return {
    ...d.slice,
    metadata: { ...d.slice.metadata, labels: { ...template.labels }, ownerReferences: template.ownerReferences.map((r) => ({ ...r })) },
    endpoints: d.endpoints,
  };
}

/**
 * The creates, updates and deletes that turn `existing` (the slices this controller manages for
 * one Service) into slices holding exactly `groups`. See the file comment for the rules.
 */
export function planSlices(
  groups: readonly EndpointGroup[],
  existing: readonly EndpointSlice[],
  template: SliceTemplate,
  maxEndpointsPerSlice: number = MAX_ENDPOINTS_PER_SLICE,
): SlicePlan {
  const placeholder = groups.every((g) => g.endpoints.length === 0);
  const wanted: EndpointGroup[] = placeholder ? [{ addressType: groups[0]?.addressType ?? 'IPv4', ports: [], endpoints: [] }] : groups.filter((g) => g.endpoints.length > 0);
  const plan: SlicePlan = { create: [], update: [], delete: [] };
  const desired = new Map<string, { group: EndpointGroup; remaining: Map<string, Endpoint> }>();
  for (const g of wanted) {
    const key = groupKey(g.addressType, g.ports);
    const entry = desired.get(key) ?? { group: g, remaining: new Map<string, Endpoint>() };
    for (const ep of g.endpoints) entry.remaining.set(endpointKey(ep), ep);
    desired.set(key, entry);
  }
  const drafts = new Map<string, Draft[]>();
  for (const slice of [...existing].sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''))) {
    const key = groupKey(slice.addressType, slice.ports);
    const entry = desired.get(key);
    if (!entry) {
      plan.delete.push(slice);
      continue;
    }
    const kept: Endpoint[] = [];
    for (const ep of slice.endpoints ?? []) {
      const k = endpointKey(ep);
      const want = entry.remaining.get(k);
      if (want === undefined) continue;
      entry.remaining.delete(k);
      kept.push(want);
    }
    const changed = !isDeepStrictEqual(kept, slice.endpoints ?? []) || !metadataCurrent(slice, template);
    drafts.set(key, [...(drafts.get(key) ?? []), { slice, endpoints: kept, changed }]);
  }
  for (const [key, { group, remaining }] of desired) {
    const list = drafts.get(key) ?? [];
    const toAdd = [...remaining.values()].sort(compareEndpoints);
    // Fill slices that are written anyway first, then the others, fullest first (fewer writes).
    const byPreference = [...list].sort((a, b) => Number(b.changed) - Number(a.changed) || b.endpoints.length - a.endpoints.length);
    for (const d of byPreference) {
      if (toAdd.length === 0) break;
      const room = maxEndpointsPerSlice - d.endpoints.length;
      if (room <= 0) continue;
      d.endpoints = [...d.endpoints, ...toAdd.splice(0, room)];
      d.changed = true;
    }
    for (let i = 0; i < toAdd.length; i += maxEndpointsPerSlice) plan.create.push(newSlice(template, group, toAdd.slice(i, i + maxEndpointsPerSlice)));
    let placeholderKept = plan.create.length > 0;
    for (const d of list) {
      if (d.endpoints.length === 0 && !(placeholder && !placeholderKept)) plan.delete.push(d.slice);
      else {
        placeholderKept = true;
        if (d.changed) plan.update.push(written(d, template));
      }
    }
    if (placeholder && !placeholderKept) plan.create.push(newSlice(template, group, []));
  }
  return plan;
}
