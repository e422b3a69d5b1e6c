/**
 * NodeRestriction admission (Kubernetes'): what a node's user (`system:node:<name>`) may store,
 * beyond what the Node authorizer lets it ask for. A node creates and updates only its own Node,
 * without setting, changing or removing labels under `node-restriction.kubernetes.io/` or any
 * kubernetes.io / k8s.io label a kubelet does not own (and its `kubernetes.io/hostname` is its
 * own name), and without changing its taints; creates only mirror pods bound to itself that
 * refer to no other object and are owned by nothing but its own Node; deletes, and writes the status of, only pods bound to it; writes only its own Lease. Other
 * users pass. On with the Node authorization mode.
 */
import type { KubeObject, ResourceInfo } from '../../../lib/api/object';
import type { Node, Pod } from '../../../lib/api/types/core';
import { requestUser } from '../authn/request-user';
import { NODE_LEASE_NAMESPACE, nodeNameOf } from '../authz/node-authorizer';
import { podReferences } from '../authz/pod-references';
import { type AdmissionPlugin, admissionForbidden, isResource } from './admission';

/** The annotation that makes a pod a mirror pod (of a static pod the node runs). */
export const MIRROR_POD_ANNOTATION = 'kubernetes.io/config.mirror';
/** Labels no node may set or change (Kubernetes' node-restriction.kubernetes.io namespace). */
export const NODE_RESTRICTION_LABEL_DOMAIN = 'node-restriction.kubernetes.io';
const HOSTNAME_LABEL = 'kubernetes.io/hostname';

/** kubernetes.io labels a kubelet sets itself (Kubernetes' kubelet label set). */
const KUBELET_LABELS: ReadonlySet<string> = new Set([
  HOSTNAME_LABEL,
  'kubernetes.io/arch',
  'kubernetes.io/os',
  'beta.kubernetes.io/arch',
  'beta.kubernetes.io/os',
  'beta.kubernetes.io/instance-type',
  'node.kubernetes.io/instance-type',
  'failure-domain.beta.kubernetes.io/region',
  'failure-domain.beta.kubernetes.io/zone',
  'topology.kubernetes.io/region',
  'topology.kubernetes.io/zone',
]);
/** Label domains a kubelet owns outright. */
const KUBELET_LABEL_DOMAINS = ['kubelet.kubernetes.io', 'node.kubernetes.io'];

const inDomain = (domain: string, parent: string): boolean => domain === parent || domain.endsWith(`.${parent}`);
const domainOf = (key: string): string => (key.includes('/') ? key.slice(0, key.indexOf('/')) : '');

/** True when a node may not set, change or remove the label `key` (Kubernetes' rule). */
export function nodeMayNotChangeLabel(key: string): boolean {
  const domain = domainOf(key);
  if (inDomain(domain, NODE_RESTRICTION_LABEL_DOMAIN)) return true;
  const kubernetes = inDomain(domain, 'kubernetes.io') || inDomain(domain, 'k8s.io');
  return kubernetes && !KUBELET_LABELS.has(key) && !KUBELET_LABEL_DOMAINS.some((d) => inDomain(domain, d));
}

/** The label keys added, changed or removed from `before` to `after`. */
function changedLabels(after: Record<string, string> | undefined, before: Record<string, string> | undefined): string[] {
  const a = after ?? {};
  const b = before ?? {};
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => a[k] !== b[k]).sort();
}

/** Looks up a Node as the apiserver knows it now (the watch cache, the store behind it). */
export type NodeLookup = (name: string) => Promise<Node | undefined>;

/** See the file comment. */
export class NodeRestriction implements AdmissionPlugin {
  constructor(private readonly nodes: NodeLookup) {}

  async admitCreate(info: ResourceInfo, namespace: string | undefined, obj: KubeObject): Promise<void> {
    const node = requestingNode();
    if (node === undefined) return;
    if (isResource(info, '', 'nodes')) this.admitNode(info, node, obj as Node, undefined);
    else if (isResource(info, '', 'pods')) await this.admitMirrorPod(info, node, obj as Pod);
    else if (isResource(info, 'coordination.k8s.io', 'leases')) admitLease(info, node, namespace, obj.metadata?.name ?? '');
  }

  /**
   * A node creates only mirror pods, bound to itself, that refer to no other object, and whose
   * only owner (if any) is its own Node as controller — so a node cannot make a pod that the
   * garbage collector or a controller would treat as another's.
   */
  private async admitMirrorPod(info: ResourceInfo, node: string, pod: Pod): Promise<void> {
    const refuse = (why: string) => admissionForbidden(info, pod, why);
    if (pod.metadata.annotations?.[MIRROR_POD_ANNOTATION] === undefined) throw refuse(`pod does not have "${MIRROR_POD_ANNOTATION}" annotation, node "${node}" can only create mirror pods`);
    if (pod.spec?.nodeName !== node) throw refuse(`node "${node}" can only create pods with spec.nodeName set to itself`);
    const owners = pod.metadata.ownerReferences ?? [];
    if (owners.length > 1) throw refuse(`node "${node}" can only create pods with a single owner reference set to itself`);
    const owner = owners[0];
    if (owner) {
      if (owner.apiVersion !== 'v1' || owner.kind !== 'Node' || owner.name !== node) throw refuse(`node "${node}" can only create pods with an owner reference set to itself`);
      if (owner.controller !== true) throw refuse(`node "${node}" can only create pods with a controller owner reference set to itself`);
      if (owner.blockOwnerDeletion === true) throw refuse(`node "${node}" must not set blockOwnerDeletion on an owner reference`);
      const self = await this.nodes(node);
      if (!self) throw refuse(`node "${node}" can only create pods with an owner reference set to itself`);
      if (self.metadata.uid !== owner.uid) throw refuse(`node ${node} UID mismatch`);
    }
    const refs = podReferences(pod);
    const kinds: [string, string][] = [['serviceaccounts', 'a service account'], ['secrets', 'secrets'], ['configmaps', 'configmaps'], ['persistentvolumeclaims', 'persistentvolumeclaims']];
    for (const [resource, words] of kinds) {
      if (refs.some((r) => r.resource === resource)) throw refuse(`node "${node}" can not create pods that reference ${words}`);
    }
  }

  async admitUpdate(info: ResourceInfo, namespace: string | undefined, obj: KubeObject, old: KubeObject): Promise<void> {
    const node = requestingNode();
    if (node === undefined) return;
    if (isResource(info, '', 'nodes')) this.admitNode(info, node, obj as Node, old as Node);
    else if (isResource(info, '', 'pods')) throw admissionForbidden(info, obj, `unexpected operation "UPDATE", node "${node}" can only create and delete mirror pods`);
    else if (isResource(info, 'coordination.k8s.io', 'leases')) admitLease(info, node, namespace, obj.metadata?.name ?? '');
  }

  async admitDelete(info: ResourceInfo, namespace: string | undefined, obj: KubeObject): Promise<void> {
    const node = requestingNode();
    if (node === undefined) return;
    const name = obj.metadata.name ?? '';
    if (isResource(info, '', 'nodes') && name !== node) throw admissionForbidden(info, name, `node "${node}" is not allowed to modify node "${name}"`);
    if (isResource(info, 'coordination.k8s.io', 'leases')) admitLease(info, node, namespace, name);
    if (isResource(info, '', 'pods') && (obj as Pod).spec?.nodeName !== node) throw admissionForbidden(info, name, `node "${node}" can only delete pods with spec.nodeName set to itself`);
  }


  async admitStatusUpdate(info: ResourceInfo, _namespace: string | undefined, obj: KubeObject, old: KubeObject): Promise<void> {
    const node = requestingNode();
    if (node === undefined || !isResource(info, '', 'pods')) return;
    if ((old as Pod).spec?.nodeName !== node) throw admissionForbidden(info, obj, `node "${node}" can only update pod status for pods with spec.nodeName set to itself`);
  }

  private admitNode(info: ResourceInfo, node: string, obj: Node, old: Node | undefined): void {
    const name = obj.metadata?.name ?? '';
    if (name !== node) throw admissionForbidden(info, obj, `node "${node}" is not allowed to modify node "${name}"`);
    const labels = obj.metadata.labels;
    const changed = changedLabels(labels, old?.metadata.labels);
    // Bosun's own guard: a node's hostname label names itself, never another node.
    const forbidden = changed.filter((k) => nodeMayNotChangeLabel(k) || (k === HOSTNAME_LABEL && labels?.[k] !== undefined && labels[k] !== node));
    if (!old) {
      if (forbidden.length > 0) throw admissionForbidden(info, obj, `node "${node}" is not allowed to set the following labels: ${forbidden.join(', ')}`);
      return;
    }
    if (JSON.stringify(obj.spec?.taints ?? []) !== JSON.stringify(old.spec?.taints ?? [])) throw admissionForbidden(info, obj, `node "${node}" is not allowed to modify taints`);
    if (forbidden.length > 0) throw admissionForbidden(info, obj, `is not allowed to modify labels: ${forbidden.join(', ')}`);
  }
}

/** The node making the request, or undefined when the requester is not a node (or the server itself). */
function requestingNode(): string | undefined {
  const user = requestUser();
  return user ? nodeNameOf(user) : undefined;
}


/** A node writes only its own Lease in kube-node-lease. */
function admitLease(info: ResourceInfo, node: string, namespace: string | undefined, name: string): void {
  if (namespace !== NODE_LEASE_NAMESPACE || name !== node) throw admissionForbidden(info, name || 'Unknown', 'can only access node lease with the same name as the requesting node');
}
