/**
 * The Node authorizer (Kubernetes' `--authorization-mode Node`): for a node's user
 * (`system:node:<name>` in group `system:nodes`) it grants what that node's agent needs and no
 * more. Reads of Secrets, ConfigMaps, PersistentVolumeClaims and PersistentVolumes, and
 * ServiceAccount tokens, only when a pod bound to the node refers to them (the graph,
 * node-graph.ts); writes only to its own Node and kube-node-lease Lease, and to the status,
 * eviction and deletion of its own pods; the rest of the node role (reading nodes, pods,
 * Services, endpoints; Events) as is. Anything else, and any other user: no opinion, so the
 * next authorizer (RBAC) decides. NodeRestriction admission checks what the allowed writes
 * store (labels, mirror pods, Lease names in bodies).
 */
import type { UserInfo } from '../authn/request-user';
import type { Attributes, Authorizer, Decision } from './authorizer';
import { LOCAL_PATH_PROVISIONER_RULES, NODE_RULES, NODES_GROUP } from './bootstrap-policy';
import type { NodeGraph } from './node-graph';
import { ruleAllows } from './rbac-rules';

/** The user name prefix of nodes (Kubernetes'). */
export const NODE_USER_PREFIX = 'system:node:';
/** The namespace of the nodes' Leases. */
export const NODE_LEASE_NAMESPACE = 'kube-node-lease';

const NO_OPINION: Decision = { allowed: false, reason: '' };
const ALLOW: Decision = { allowed: true, reason: 'allowed by the Node authorizer' };
const deny = (reason: string): Decision => ({ allowed: false, reason });

/** The node a user is (`system:node:<name>` in `system:nodes`), or undefined for any other user. */
export function nodeNameOf(user: UserInfo): string | undefined {
  if (!user.groups.includes(NODES_GROUP) || !user.name.startsWith(NODE_USER_PREFIX)) return undefined;
  return user.name.slice(NODE_USER_PREFIX.length) || undefined;
}

const WRITES = new Set(['create', 'update', 'patch', 'delete', 'deletecollection']);

/** Decides for nodes. See the file comment. */
export class NodeAuthorizer implements Authorizer {
  constructor(private readonly graph: NodeGraph) {}

  authorize(attrs: Attributes): Decision {
    const node = nodeNameOf(attrs.user);
    if (node === undefined || !attrs.resourceRequest) return NO_OPINION;
    const decided = (attrs.apiGroup ?? '') === '' ? this.core(node, attrs) : attrs.apiGroup === 'coordination.k8s.io' && attrs.resource === 'leases' ? lease(node, attrs) : undefined;
    if (decided) return decided;
    return NODE_RULES.some((r) => ruleAllows(r, attrs)) || LOCAL_PATH_PROVISIONER_RULES.some((r) => ruleAllows(r, attrs)) ? ALLOW : NO_OPINION;
  }

  /** Core-group requests the graph or the node's name decide; undefined: the static rules do. */
  private core(node: string, attrs: Attributes): Decision | undefined {
    const { resource, subresource, verb, name } = attrs;
    const namespace = attrs.namespace ?? '';
    switch (resource) {
      case 'secrets':
      case 'configmaps':
      case 'persistentvolumeclaims':
      case 'persistentvolumes': {
        // The local-path provisioner in each agent watches claims and volumes, and writes them.
        if (verb !== 'get' && resource !== 'secrets' && resource !== 'configmaps') return undefined;
        if (subresource) return NO_OPINION;
        if (verb !== 'get' || !name) return deny('can only get individual resources of this type');
        const related = resource === 'persistentvolumes' ? this.graph.volumeUsedBy(node, name) : this.graph.refers(node, resource, namespace, name);
        return related ? ALLOW : deny(`no relationship found between node '${node}' and this object`);
      }
      case 'serviceaccounts':
        if (subresource !== 'token' || verb !== 'create' || !name) return NO_OPINION;
        return this.graph.refers(node, 'serviceaccounts', namespace, name) ? ALLOW : deny(`no relationship found between node '${node}' and this object`);
      case 'pods':
        return this.pod(node, attrs);
      case 'nodes':
        // Any node may read nodes; it writes its own only (a create names it in the body: admission).
        if (WRITES.has(verb) && verb !== 'create' && name !== node) return deny(`node "${node}" is not allowed to modify node "${name ?? ''}"`);
        return undefined;
      default:
        return undefined;
    }
  }

  /**
   * Deleting a pod, writing its status or evicting it: only a pod bound to this node. A delete or
   * status write of a pod the graph does not know (gone, or not yet in this apiserver's cache) is
   * let through to NodeRestriction, which checks the stored pod (a gone pod is then the 404 the
   * agent expects, not a 403 it would retry).
   */
  private pod(node: string, attrs: Attributes): Decision | undefined {
    const { subresource, verb, name } = attrs;
    const bound = name === undefined ? undefined : this.graph.nodeOfPod(attrs.namespace ?? '', name);
    const own = bound === node || (bound === undefined && name !== undefined && subresource !== 'eviction');
    if (subresource === 'status' && (verb === 'update' || verb === 'patch')) return own ? ALLOW : deny(`node "${node}" can only update pod status for pods with spec.nodeName set to itself`);
    if (subresource === 'eviction' && verb === 'create') return own ? ALLOW : deny(`node ${node} can only evict pods with spec.nodeName set to itself`);
    if (!subresource && verb === 'delete') return own ? ALLOW : deny(`node "${node}" can only delete pods with spec.nodeName set to itself`);
    return undefined;
  }
}

/** A node's own Lease in kube-node-lease (a create names it in the body: admission). */
function lease(node: string, attrs: Attributes): Decision {
  if (attrs.namespace !== NODE_LEASE_NAMESPACE || (attrs.verb !== 'create' && attrs.name !== node)) return deny('can only access node lease with the same name as the requesting node');
  return ['get', 'create', 'update', 'patch', 'delete'].includes(attrs.verb) && !attrs.subresource ? ALLOW : NO_OPINION;
}
