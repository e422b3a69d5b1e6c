/**
 * Where a pod's streaming subresource (log, exec, attach, portforward) is served: the agent of
 * the pod's node, at the node's address (status.addresses: InternalIP, else Hostname) and
 * kubelet port (status.daemonEndpoints.kubeletEndpoint.Port), under the path the agent's
 * streaming server answers. Both front doors resolve through here, so they give the same
 * errors, Kubernetes' own:
 * - a pod of several containers and no `container` → 400 "a container name must be specified …";
 * - a container the pod does not have → 400 "container X is not valid for pod Y";
 * - exec/attach/portforward of a pod without a node → 400 "pod X does not have a host assigned"
 *   (its log is empty: null);
 * - a node without an address → 500.
 */
import { BadRequestError, InternalError } from '../../../lib/api/errors';
import type { Node, Pod } from '../../../lib/api/types/core';

/** The kubelet's default port, when a Node does not say its own. */
export const DEFAULT_KUBELET_PORT = 10250;

/** The pod subresources served by a node. */
export type PodStreamSubresource = 'log' | 'exec' | 'attach' | 'portforward';

/** Where to send a streaming request. */
export interface NodeStreamLocation {
  readonly nodeName: string;
  readonly host: string;
  readonly port: number;
  /** Path and query on the agent's streaming server. */
  readonly path: string;
}

/** Query parameters passed on to the agent, per subresource. */
const PASSED_PARAMS: Readonly<Record<PodStreamSubresource, readonly string[]>> = {
  log: ['follow', 'previous', 'timestamps', 'tailLines', 'limitBytes', 'sinceSeconds', 'sinceTime'],
  exec: ['command', 'stdin', 'stdout', 'stderr', 'tty'],
  attach: ['stdin', 'stdout', 'stderr', 'tty'],
  portforward: ['ports'],
};

/** True when `subresource` is one a node serves. */
export function isPodStreamSubresource(subresource: string): subresource is PodStreamSubresource {
  return subresource in PASSED_PARAMS;
}

/**
 * The container a request names (the `container` parameter, or the pod's only container);
 * 400 as Kubernetes says it when it is missing or unknown.
 */
export function requestedContainer(pod: Pod, query: URLSearchParams): string {
  const name = pod.metadata.name ?? '';
  const containers = (pod.spec?.containers ?? []).map((c) => c.name ?? '');
  const inits = (pod.spec?.initContainers ?? []).map((c) => c.name ?? '');
  const ephemeral = ((pod.spec?.ephemeralContainers as { name?: string }[] | undefined) ?? []).map((c) => c.name ?? '');
  const wanted = query.get('container') ?? '';
  if (wanted === '') {
    if (containers.length === 1) return containers[0]!;
    const initText = inits.length > 0 ? ` or one of the init containers: [${inits.join(' ')}]` : '';
    throw new BadRequestError(`a container name must be specified for pod ${name}, choose one of: [${containers.join(' ')}]${initText}`);
  }
  if (![...containers, ...inits, ...ephemeral].includes(wanted)) throw new BadRequestError(`container ${wanted} is not valid for pod ${name}`);
  return wanted;
}

/**
 * The location of `subresource` of `pod`; null for the log of a pod on no node yet (an empty
 * log). `node` is the pod's Node (the caller reads it; a missing one is its NotFound).
 */
export function podStreamLocation(pod: Pod, node: Node | undefined, subresource: PodStreamSubresource, query: URLSearchParams): NodeStreamLocation | null {
  const ns = pod.metadata.namespace ?? 'default';
  const name = pod.metadata.name ?? '';
  const container = subresource === 'portforward' ? '' : requestedContainer(pod, query);
  const nodeName = pod.spec?.nodeName ?? '';
  if (nodeName === '') {
    if (subresource === 'log') return null;
    throw new BadRequestError(`pod ${name} does not have a host assigned`);
  }
  if (!node) throw new InternalError(`node ${nodeName} of pod ${name} is not known`);
  const { host, port } = nodeAddress(node);
  const passed = new URLSearchParams();
  for (const key of PASSED_PARAMS[subresource]) for (const v of query.getAll(key)) passed.append(key, v);
  const qs = passed.toString();
  const segments: string[] =
    subresource === 'portforward' ? ['portForward', ns, name] : [subresource === 'log' ? 'containerLogs' : subresource, ns, name, container];
  return { nodeName, host, port, path: `/${segments.map((s) => encodeURIComponent(s)).join('/')}${qs ? `?${qs}` : ''}` };
}

/** A Node's streaming address: InternalIP, else Hostname; the kubelet endpoint port or 10250. */
export function nodeAddress(node: Node): { host: string; port: number } {
  const status = node.status as { addresses?: { type?: string; address?: string }[]; daemonEndpoints?: { kubeletEndpoint?: { Port?: number } } } | undefined;
  const addresses = status?.addresses ?? [];
  const pick = (type: string) => addresses.find((a) => a.type === type && a.address)?.address;
  const host = pick('InternalIP') ?? pick('Hostname');
  if (!host) {
    const known = addresses.map((a) => `{${a.type ?? ''} ${a.address ?? ''}}`).join(' ');
    throw new InternalError(`no preferred addresses found; known addresses: [${known}]`);
  }
  const port = status?.daemonEndpoints?.kubeletEndpoint?.Port;
  return { host, port: typeof port === 'number' && port > 0 && port <= 65535 ? port : DEFAULT_KUBELET_PORT };
}
