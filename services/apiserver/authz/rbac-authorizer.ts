/**
 * The RBAC authorizer (Kubernetes' RBAC mode): a request is allowed when some ClusterRoleBinding,
 * or some RoleBinding in the request's namespace, binds the user (or one of its groups or its
 * ServiceAccount) to a role with a rule allowing it. Roles and bindings are read from the
 * apiserver's watch caches, in memory, on every decision — so a binding takes effect as soon
 * as the cache has seen it, on every apiserver.
 */
import type { ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding, RoleRef } from '../../../lib/api/types/rbac';
import type { UserInfo } from '../authn/request-user';
import type { Attributes, Authorizer, Decision } from './authorizer';
import { ruleAllows, subjectMatches } from './rbac-rules';

/** Where the authorizer reads roles and bindings (the watch caches; maps in tests). */
export interface RbacObjects {
  clusterRoleBindings(): readonly ClusterRoleBinding[];
  roleBindings(namespace: string): readonly RoleBinding[];
  clusterRole(name: string): ClusterRole | undefined;
  role(namespace: string, name: string): Role | undefined;
}

/** Decides by RBAC. See the file comment. */
export class RbacAuthorizer implements Authorizer {
  constructor(private readonly objects: RbacObjects) {}

  authorize(attrs: Attributes): Decision {
    for (const binding of this.objects.clusterRoleBindings()) {
      if (!bindsUser(binding, attrs.user, undefined)) continue;
      if (this.rulesOf(binding.roleRef, undefined).some((r) => ruleAllows(r, attrs))) return allowedBy('ClusterRoleBinding', binding, undefined);
    }
    if (attrs.namespace !== undefined && attrs.resourceRequest) {
      for (const binding of this.objects.roleBindings(attrs.namespace)) {
        if (!bindsUser(binding, attrs.user, attrs.namespace)) continue;
        if (this.rulesOf(binding.roleRef, attrs.namespace).some((r) => ruleAllows(r, attrs))) return allowedBy('RoleBinding', binding, attrs.namespace);
      }
    }
    return { allowed: false, reason: '' };
  }

  /**
   * Every rule `user` holds in `namespace` (cluster-wide ones included; undefined: cluster-wide
   * only) — what SelfSubjectRulesReview lists and escalation checks compare against.
   */
  rulesFor(user: UserInfo, namespace: string | undefined): PolicyRule[] {
    const rules: PolicyRule[] = [];
    for (const b of this.objects.clusterRoleBindings()) if (bindsUser(b, user, undefined)) rules.push(...this.rulesOf(b.roleRef, undefined));
    if (namespace !== undefined) for (const b of this.objects.roleBindings(namespace)) if (bindsUser(b, user, namespace)) rules.push(...this.rulesOf(b.roleRef, namespace));
    return rules;
  }

  /** The rules a roleRef grants (none when the role does not exist: a dangling binding grants nothing). */
  rulesOf(ref: RoleRef | undefined, namespace: string | undefined): PolicyRule[] {
    if (!ref?.name) return [];
    if (ref.kind === 'ClusterRole') return this.objects.clusterRole(ref.name)?.rules ?? [];
    if (ref.kind === 'Role' && namespace !== undefined) return this.objects.role(namespace, ref.name)?.rules ?? [];
    return [];
  }
}

function bindsUser(binding: RoleBinding, user: UserInfo, namespace: string | undefined): boolean {
  return (binding.subjects ?? []).some((s) => subjectMatches(s, user, namespace));
}

function allowedBy(kind: string, binding: RoleBinding, namespace: string | undefined): Decision {
  const where = namespace ? ` in ${namespace}` : '';
  return { allowed: true, reason: `RBAC: allowed by ${kind} "${binding.metadata.name ?? ''}"${where} of ${binding.roleRef?.kind ?? ''} "${binding.roleRef?.name ?? ''}"` };
}
