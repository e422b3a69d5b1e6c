/**
 * Resource amounts as the scheduler counts them (kube-scheduler's framework.Resource): cpu in
 * millicores, memory and ephemeral-storage in bytes, other (extended, hugepages) resources in
 * whole units, and the pod count of a node apart. A pod's request follows Kubernetes'
 * resourcehelper.PodRequests: the sum of its containers, at least the largest init container
 * (plus the restartable "sidecar" init containers started before it), plus spec.overhead.
 */
import { Quantity } from '../../../lib/api/quantity';
import type { Container, PodSpec } from './api-types';
import { arrayAt, MalformedObjectError, recordAt } from './malformed';

/** Resource names the scheduler counts by name; every other name is a scalar resource. */
export const RESOURCE_CPU = 'cpu';
export const RESOURCE_MEMORY = 'memory';
export const RESOURCE_EPHEMERAL_STORAGE = 'ephemeral-storage';
export const RESOURCE_PODS = 'pods';

/** CPU counted for a container that requests none, when scoring (kube: DefaultMilliCPURequest), in millicores. */
export const DEFAULT_MILLI_CPU_REQUEST = 100;
/** Memory counted for a container that requests none, when scoring (kube: DefaultMemoryRequest), in bytes. */
export const DEFAULT_MEMORY_REQUEST_BYTES = 200 * 1024 * 1024;

/** An amount of every resource. Mutable: NodeInfo adds and subtracts pods in place. */
export interface Resources {
  milliCPU: number;
  memory: number;
  ephemeralStorage: number;
  /** Extended and hugepages resources by name, in whole units; undefined when none. */
  scalar: Map<string, number> | undefined;
}

/** A zero amount. */
export function emptyResources(): Resources {
  return { milliCPU: 0, memory: 0, ephemeralStorage: 0, scalar: undefined };
}

/** A copy of `r`. */
export function cloneResources(r: Resources): Resources {
  return { milliCPU: r.milliCPU, memory: r.memory, ephemeralStorage: r.ephemeralStorage, scalar: r.scalar ? new Map(r.scalar) : undefined };
}

/** `into += sign * r`, in place. */
export function addResources(into: Resources, r: Resources, sign: 1 | -1 = 1): void {
  into.milliCPU += sign * r.milliCPU;
  into.memory += sign * r.memory;
  into.ephemeralStorage += sign * r.ephemeralStorage;
  if (r.scalar) {
    into.scalar ??= new Map();
    for (const [k, v] of r.scalar) into.scalar.set(k, (into.scalar.get(k) ?? 0) + sign * v);
  }
}

/** `into = max(into, r)` per resource, in place. */
function maxResources(into: Resources, r: Resources): void {
  into.milliCPU = Math.max(into.milliCPU, r.milliCPU);
  into.memory = Math.max(into.memory, r.memory);
  into.ephemeralStorage = Math.max(into.ephemeralStorage, r.ephemeralStorage);
  if (r.scalar) {
    into.scalar ??= new Map();
    for (const [k, v] of r.scalar) into.scalar.set(k, Math.max(into.scalar.get(k) ?? 0, v));
  }
}

/** Whether every amount is zero. */
export function isZero(r: Resources): boolean {
  if (r.milliCPU !== 0 || r.memory !== 0 || r.ephemeralStorage !== 0) return false;
  if (r.scalar) for (const v of r.scalar.values()) if (v !== 0) return false;
  return true;
}

/** Parsed quantities by their text, since the same few strings ("100m", "1Gi") recur. */
const QUANTITY_CACHE = new Map<string, { milli: number; units: number }>();
/** Bound of {@link QUANTITY_CACHE}, in entries; the cache is dropped when it is reached. */
const QUANTITY_CACHE_MAX_ENTRIES = 10_000;

/** A quantity as millis and whole units (both rounded up); throws MalformedObjectError. */
function parseAmount(value: unknown, field: string): { milli: number; units: number } {
  if (typeof value !== 'string' && typeof value !== 'number') throw new MalformedObjectError(field, 'must be a quantity');
  const text = String(value);
  let parsed = QUANTITY_CACHE.get(text);
  if (!parsed) {
    let q: Quantity;
    try {
      q = Quantity.parse(text);
    } catch (err) {
      throw new MalformedObjectError(field, (err as Error).message);
    }
    if (q.nanos < 0n) throw new MalformedObjectError(field, 'must be greater than or equal to 0');
    parsed = { milli: q.milliValue(), units: q.value() };
    if (QUANTITY_CACHE.size >= QUANTITY_CACHE_MAX_ENTRIES) QUANTITY_CACHE.clear();
    QUANTITY_CACHE.set(text, parsed);
  }
  return parsed;
}

/** A resource list (requests, overhead, allocatable) and its `pods` entry, if any. */
export interface ParsedResourceList {
  resources: Resources;
  /** The `pods` amount, when the list names one. */
  pods: number | undefined;
}

/** Parses a resource map; throws MalformedObjectError naming the bad entry under `field`. */
export function parseResourceList(map: unknown, field: string): ParsedResourceList {
  const resources = emptyResources();
  let pods: number | undefined;
  for (const [name, value] of Object.entries(recordAt<unknown>(map, field))) {
    const amount = parseAmount(value, `${field}.${name}`);
    switch (name) {
      case RESOURCE_CPU:
        resources.milliCPU = amount.milli;
        break;
      case RESOURCE_MEMORY:
        resources.memory = amount.units;
        break;
      case RESOURCE_EPHEMERAL_STORAGE:
        resources.ephemeralStorage = amount.units;
        break;
      case RESOURCE_PODS:
        pods = amount.units;
        break;
      default:
        (resources.scalar ??= new Map()).set(name, amount.units);
    }
  }
  return { resources, pods };
}

/** What a pod asks for: the exact request (filtering) and the non-zero request (scoring). */
export interface PodRequests {
  /** resourcehelper.PodRequests: containers, init-container max rule, overhead. */
  requests: Resources;
  /** The same with 100m cpu / 200Mi memory for containers that request none (scoring). */
  nonZero: Resources;
}

/** A container's requests, exact and with the scoring defaults. */
function containerRequests(c: Container, field: string): PodRequests {
  const requests = parseResourceList(recordAt(c?.resources, `${field}.resources`).requests, `${field}.resources.requests`).resources;
  const nonZero = cloneResources(requests);
  const given = recordAt<unknown>(c?.resources?.requests, `${field}.resources.requests`);
  if (!(RESOURCE_CPU in given)) nonZero.milliCPU = DEFAULT_MILLI_CPU_REQUEST;
  if (!(RESOURCE_MEMORY in given)) nonZero.memory = DEFAULT_MEMORY_REQUEST_BYTES;
  return { requests, nonZero };
}

/** Kubernetes' container restart policy of a sidecar (restartable init container). */
const RESTART_POLICY_ALWAYS = 'Always';

/**
 * The pod's requests (see the file comment). Sidecars (init containers with restartPolicy
 * Always) run beside the containers, so they add to the sum; a regular init container runs with
 * the sidecars started before it.
 */
export function computePodRequests(spec: PodSpec): PodRequests {
  const sum: PodRequests = { requests: emptyResources(), nonZero: emptyResources() };
  arrayAt<Container>(spec.containers, 'spec.containers').forEach((c, i) => {
    const r = containerRequests(c, `spec.containers[${i}]`);
    addResources(sum.requests, r.requests);
    addResources(sum.nonZero, r.nonZero);
  });
  const sidecars: PodRequests = { requests: emptyResources(), nonZero: emptyResources() };
  const initMax: PodRequests = { requests: emptyResources(), nonZero: emptyResources() };
  arrayAt<Container>(spec.initContainers, 'spec.initContainers').forEach((c, i) => {
    const r = containerRequests(c, `spec.initContainers[${i}]`);
    for (const part of ['requests', 'nonZero'] as const) {
      if (c?.restartPolicy === RESTART_POLICY_ALWAYS) {
        addResources(sidecars[part], r[part]);
        maxResources(initMax[part], sidecars[part]);
      } else {
        const during = cloneResources(r[part]);
        addResources(during, sidecars[part]);
        maxResources(initMax[part], during);
      }
    }
  });
  const overhead = parseResourceList(spec.overhead, 'spec.overhead').resources;
  for (const part of ['requests', 'nonZero'] as const) {
    addResources(sum[part], sidecars[part]);
    maxResources(sum[part], initMax[part]);
    addResources(sum[part], overhead);
  }
  return sum;
}
