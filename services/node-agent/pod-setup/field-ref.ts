/**
 * The downward API: a pod's own fields (`fieldRef`) and a container's resources
 * (`resourceFieldRef`) as strings, as env values and downwardAPI volume files carry them.
 * Kubernetes' supported paths and formats; anything else is an error naming the path.
 */
import { Quantity } from '../../../lib/api/quantity';
import type { Container, Pod } from '../../../lib/api/types';
import type { ContainerRuntimeFacts } from './pod-setup';

/** What the node offers a container with no limit (limits default to the node's allocatable). */
export interface NodeAllocatable {
  /** CPU in millicores. */
  cpuMillis: number;
  memoryBytes: number;
  ephemeralStorageBytes?: number;
}

export interface ObjectFieldSelector {
  fieldPath?: string;
  apiVersion?: string;
}
export interface ResourceFieldSelector {
  containerName?: string;
  resource?: string;
  divisor?: string | number;
}

/** Downward facts a fieldRef may need (pod IPs are only known once the sandbox runs). */
export type PodFacts = Pick<ContainerRuntimeFacts, 'podIP' | 'podIPs' | 'hostIP'>;

/** `key="value"` lines, sorted by key (Kubernetes' FormatMap, used for all labels/annotations). */
export function formatMap(m: Record<string, string> | undefined): string {
  return Object.keys(m ?? {})
    .sort()
    .map((k) => `${k}=${JSON.stringify(m![k])}`)
    .join('\n');
}

const SUBSCRIPT = /^metadata\.(labels|annotations)\['(.*)'\]$/;

/**
 * The value of `fieldPath` for `pod`. `facts` is absent for volumes (only metadata fields are
 * allowed there, as in Kubernetes). Throws an Error `unsupported fieldPath: <path>`.
 */
export function podFieldValue(pod: Pod, fieldPath: string, facts?: PodFacts): string {
  const meta = pod.metadata;
  switch (fieldPath) {
    case 'metadata.name':
      return meta.name ?? '';
    case 'metadata.namespace':
      return meta.namespace ?? '';
    case 'metadata.uid':
      return meta.uid ?? '';
    case 'metadata.labels':
      return formatMap(meta.labels);
    case 'metadata.annotations':
      return formatMap(meta.annotations);
  }
  const sub = SUBSCRIPT.exec(fieldPath);
  if (sub) return (sub[1] === 'labels' ? meta.labels : meta.annotations)?.[sub[2]!] ?? '';
  if (facts) {
    switch (fieldPath) {
      case 'spec.nodeName':
        return pod.spec?.nodeName ?? '';
      case 'spec.serviceAccountName':
        return pod.spec?.serviceAccountName ?? pod.spec?.serviceAccount ?? '';
      case 'status.hostIP':
        return facts.hostIP;
      case 'status.hostIPs':
        return facts.hostIP;
      case 'status.podIP':
        return facts.podIP;
      case 'status.podIPs':
        return facts.podIPs.join(',');
    }
  }
  throw new Error(`unsupported fieldPath: ${fieldPath}`);
}

const RESOURCE_NAMES = ['limits.cpu', 'limits.memory', 'limits.ephemeral-storage', 'requests.cpu', 'requests.memory', 'requests.ephemeral-storage'] as const;

/** The container a resourceFieldRef names (any kind of container of the pod). */
export function findContainer(pod: Pod, name: string): Container | undefined {
  const spec = pod.spec;
  return [...(spec?.containers ?? []), ...(spec?.initContainers ?? []), ...((spec?.ephemeralContainers as Container[] | undefined) ?? [])].find((c) => c.name === name);
}

/** `text` as a Quantity; undefined when unset; an Error naming `what` when malformed. */
export function optionalQuantity(text: string | number | undefined, what: string): Quantity | undefined {
  if (text === undefined || text === '') return undefined;
  try {
    return Quantity.parse(String(text));
  } catch {
    throw new Error(`invalid quantity ${JSON.stringify(String(text))} for ${what}`);
  }
}

/**
 * The value of `ref` for `container` (Kubernetes' ExtractContainerResourceValue): CPU rounded up
 * to whole `divisor`s (default 1 core), memory/storage rounded up to whole `divisor` bytes. An
 * unset limit is the node's allocatable; an unset request is the limit when one is set, else 0.
 */
export function containerResourceValue(ref: ResourceFieldSelector, container: Container, node: NodeAllocatable): string {
  const resource = ref.resource ?? '';
  if (!(RESOURCE_NAMES as readonly string[]).includes(resource)) throw new Error(`unsupported container resource: ${resource}`);
  const [kind, name] = resource.split('.') as ['limits' | 'requests', string];
  const divisor = optionalQuantity(ref.divisor, `${resource} divisor`) ?? Quantity.fromInt(1);
  if (divisor.isZero()) throw new Error(`divisor of ${resource} must be positive`);
  const limit = optionalQuantity(container.resources?.limits?.[name], `limits.${name}`);
  const request = optionalQuantity(container.resources?.requests?.[name], `requests.${name}`);
  const nodeValue = name === 'cpu' ? Quantity.fromMilli(node.cpuMillis) : Quantity.fromInt(name === 'memory' ? node.memoryBytes : (node.ephemeralStorageBytes ?? 0));
  const value = kind === 'limits' ? (limit ?? nodeValue) : (request ?? limit ?? Quantity.fromInt(0));
  if (name === 'cpu') return String(Math.ceil(value.milliValue() / divisor.milliValue()));
  return String(Math.ceil(value.value() / divisor.value()));
}
