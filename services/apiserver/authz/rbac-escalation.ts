/**
 * RBAC's escalation prevention (Kubernetes' rbac registry checks): a user may write a Role or
 * ClusterRole only with rules it already holds where the role applies (or with the `escalate`
 * verb on it), and may write a binding only to a role whose rules it already holds where the
 * binding applies (or with the `bind` verb on that role). So granting never exceeds holding.
 * Without `escalate`, a ClusterRole with an aggregationRule needs every permission there is.
 */
import type { KubeObject } from '../../../lib/api/object';
import type { ClusterRole, RoleBinding } from '../../../lib/api/types/rbac';
import type { UserInfo } from '../authn/request-user';
import { type Authorizer, PRIVILEGED_GROUP } from './authorizer';
import type { RbacAuthorizer } from './rbac-authorizer';
import { RBAC_GROUP, rulesCover } from './rbac-rules';

/** The RBAC resources whose writes are checked. */
const ROLES = new Set(['roles', 'clusterroles']);
const BINDINGS = new Set(['rolebindings', 'clusterrolebindings']);

/** Every permission there is (what setting an aggregationRule requires). */
const FULL_AUTHORITY = [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }, { verbs: ['*'], nonResourceURLs: ['*'] }];

/** Whether `resource` (of the RBAC group) is one this check guards. */
export function guardsEscalation(group: string, resource: string): boolean {
  return group === RBAC_GROUP && (ROLES.has(resource) || BINDINGS.has(resource));
}

/**
 * Undefined when `user` may write `obj` (a role or binding of `resource` in `namespace`), else
 * the reason it may not (Kubernetes' wording: "attempting to grant RBAC permissions not currently held").
 */
export function escalationRefusal(rbac: RbacAuthorizer, authorizer: Authorizer, user: UserInfo, resource: string, namespace: string | undefined, obj: KubeObject): string | undefined {
  if (user.groups.includes(PRIVILEGED_GROUP)) return undefined;
  const held = rbac.rulesFor(user, namespace);
  if (ROLES.has(resource)) {
    const may = authorizer.authorize({ user, verb: 'escalate', resourceRequest: true, apiGroup: RBAC_GROUP, resource, namespace, name: obj.metadata.name });
    if (may.allowed) return undefined;
    if (!rulesCover(held, (obj as ClusterRole).rules ?? [])) return `user "${user.name}" is attempting to grant RBAC permissions not currently held`;
    // An aggregationRule can gather any rule there is: only who holds everything may set one (Kubernetes').
    if (resource === 'clusterroles' && (obj as ClusterRole).aggregationRule && !rulesCover(held, FULL_AUTHORITY)) return 'must have cluster-admin privileges to use the aggregationRule';
    return undefined;
  }
  const ref = (obj as RoleBinding).roleRef;
  const roleResource = ref?.kind === 'ClusterRole' ? 'clusterroles' : 'roles';
  const may = authorizer.authorize({ user, verb: 'bind', resourceRequest: true, apiGroup: RBAC_GROUP, resource: roleResource, namespace: ref?.kind === 'Role' ? namespace : undefined, name: ref?.name });
  if (may.allowed || rulesCover(held, rbac.rulesOf(ref, namespace))) return undefined;
  return `user "${user.name}" is attempting to grant RBAC permissions not currently held (through ${ref?.kind ?? 'role'} "${ref?.name ?? ''}")`;
}
