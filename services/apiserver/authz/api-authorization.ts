/**
 * The apiserver's authorization as configured (`--authorization-mode`): AlwaysAllow, or RBAC
 * over the apiserver's own watch caches of roles and bindings. Wraps each resource's REST
 * (both doors go through it) and answers the HTTP door's non-resource paths.
 */
import type { ClusterRole, ClusterRoleBinding, Role, RoleBinding } from '../../../lib/api/types/rbac';
import type { ResourceRest } from '../rest/resource-rest';
import type { ResourceSet } from '../rest/resource-set';
import type { PolicyRule } from '../../../lib/api/types/rbac';
import type { UserInfo } from '../authn/request-user';
import { ALWAYS_ALLOW, type Attributes, type Authorizer, AuthorizerChain, type Decision, PRIVILEGED_GROUP } from './authorizer';
import { authorizingRest } from './authorizing-rest';
import { RbacAuthorizer, type RbacObjects } from './rbac-authorizer';
import { escalationRefusal, guardsEscalation } from './rbac-escalation';
import { RBAC_GROUP } from './rbac-rules';
import { type ReviewAuthorizer, reviewRests } from './review-rest';

/** The modes `--authorization-mode` takes (Kubernetes' names). */
export const AUTHORIZATION_MODES = ['AlwaysAllow', 'RBAC'] as const;
export type AuthorizationMode = (typeof AUTHORIZATION_MODES)[number];

/** Everything, as one rule (what AlwaysAllow and system:masters hold). */
const EVERYTHING: readonly PolicyRule[] = [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }, { verbs: ['*'], nonResourceURLs: ['*'] }];

/** Authorization of one apiserver. Build it, pass `wrap` to the ResourceSet, then `attach` the set. */
export class ApiAuthorization implements ReviewAuthorizer {
  private rbac: RbacAuthorizer | undefined;
  private readonly chain: Authorizer;

  constructor(readonly mode: AuthorizationMode) {
    this.chain = mode === 'RBAC' ? new AuthorizerChain([{ authorize: (a) => this.rbacAuthorizer().authorize(a) }]) : ALWAYS_ALLOW;
  }

  authorize(attrs: Attributes): Decision {
    return this.chain.authorize(attrs);
  }

  /** The rules `user` holds in `namespace` (SelfSubjectRulesReview). */
  rulesFor(user: UserInfo, namespace: string | undefined): { rules: PolicyRule[]; incomplete: boolean } {
    if (this.mode === 'AlwaysAllow' || user.groups.includes(PRIVILEGED_GROUP)) return { rules: EVERYTHING.map((r) => ({ ...r })), incomplete: false };
    return { rules: this.rbacAuthorizer().rulesFor(user, namespace), incomplete: false };
  }

  /** The review resources (can-i, whoami), answered by this authorization. */
  reviews(): ResourceRest[] {
    return reviewRests(this).map(this.wrap);
  }

  /** The REST of a resource as the doors should call it (unchanged in AlwaysAllow mode). */
  readonly wrap = (rest: ResourceRest): ResourceRest => {
    if (this.mode === 'AlwaysAllow') return rest;
    const { group, resource } = rest.info;
    const check = guardsEscalation(group, resource) ? (user: Parameters<typeof escalationRefusal>[2], namespace: string | undefined, obj: Parameters<typeof escalationRefusal>[5]) => escalationRefusal(this.rbacAuthorizer(), this, user, resource, namespace, obj) : undefined;
    return authorizingRest(rest, this, check);
  };

  /** Reads roles and bindings from `resources`' watch caches from now on. */
  attach(resources: ResourceSet): void {
    this.rbac = new RbacAuthorizer(cachedRbacObjects(resources));
  }

  private rbacAuthorizer(): RbacAuthorizer {
    if (!this.rbac) throw new Error('RBAC authorization used before the resources were attached');
    return this.rbac;
  }
}

/** Roles and bindings as the watch caches hold them now. */
function cachedRbacObjects(resources: ResourceSet): RbacObjects {
  const cache = <T extends ClusterRole | RoleBinding>(resource: string) => {
    const c = resources.cacheOf<T>(RBAC_GROUP, resource);
    if (!c) throw new Error(`the apiserver serves no ${resource}`);
    return c;
  };
  const clusterRoles = cache<ClusterRole>('clusterroles');
  const roles = cache<Role>('roles');
  const clusterRoleBindings = cache<ClusterRoleBinding>('clusterrolebindings');
  const roleBindings = cache<RoleBinding>('rolebindings');
  return {
    clusterRoleBindings: () => clusterRoleBindings.cachedObjects(),
    roleBindings: (namespace) => roleBindings.cachedObjects(namespace),
    clusterRole: (name) => clusterRoles.getCached(undefined, name),
    role: (namespace, name) => roles.getCached(namespace, name),
    bindingsVersion: () => `${clusterRoleBindings.resourceVersion}/${roleBindings.resourceVersion}`,
  };
}
