/**
 * The apiserver's authorization as configured (`--authorization-mode`, a comma list evaluated in
 * order, first allow wins): AlwaysAllow, Node (node-authorizer.ts, over a graph kept from the
 * pods' and claims' watch caches), and RBAC over the watch caches of roles and bindings. Wraps
 * each resource's REST (both doors go through it) and answers the HTTP door's non-resource paths.
 */
import type { ClusterRole, ClusterRoleBinding, Role, RoleBinding } from '../../../lib/api/types/rbac';
import type { PersistentVolumeClaim, Pod } from '../../../lib/api/types/core';
import type { ResourceRest } from '../rest/resource-rest';
import type { ResourceSet } from '../rest/resource-set';
import type { PolicyRule } from '../../../lib/api/types/rbac';
import type { UserInfo } from '../authn/request-user';
import { ALWAYS_ALLOW, type Attributes, type Authorizer, AuthorizerChain, type Decision, PRIVILEGED_GROUP } from './authorizer';
import { authorizingRest } from './authorizing-rest';
import { NodeAuthorizer, nodeNameOf } from './node-authorizer';
import { NodeGraph } from './node-graph';
import { RbacAuthorizer, type RbacObjects } from './rbac-authorizer';
import { escalationRefusal, guardsEscalation } from './rbac-escalation';
import { RBAC_GROUP } from './rbac-rules';
import { type ReviewAuthorizer, reviewRests } from './review-rest';

/** The modes `--authorization-mode` takes (Kubernetes' names). */
export const AUTHORIZATION_MODES = ['AlwaysAllow', 'Node', 'RBAC'] as const;
export type AuthorizationMode = (typeof AUTHORIZATION_MODES)[number];
/** One mode, or several evaluated in order. */
export type AuthorizationModes = AuthorizationMode | readonly AuthorizationMode[];

/**
 * Parses `--authorization-mode` ("Node,RBAC"): each a known mode, none twice, as Kubernetes
 * checks. Throws an Error naming the flag otherwise.
 */
export function parseAuthorizationModes(text: string): AuthorizationMode[] {
  const modes = text.split(',').map((m) => m.trim());
  for (const m of modes) {
    if (!(AUTHORIZATION_MODES as readonly string[]).includes(m)) throw new Error(`--authorization-mode: "${m}" is not one of ${AUTHORIZATION_MODES.join(', ')}`);
  }
  const twice = modes.find((m, i) => modes.indexOf(m) !== i);
  if (twice) throw new Error(`--authorization-mode: "${twice}" is given twice`);
  return modes as AuthorizationMode[];
}

/** The modes as a list. */
export function authorizationModeList(modes: AuthorizationModes | undefined): readonly AuthorizationMode[] {
  if (modes === undefined) return ['AlwaysAllow'];
  return typeof modes === 'string' ? [modes] : modes;
}

/** Everything, as one rule (what AlwaysAllow and system:masters hold). */
const EVERYTHING: readonly PolicyRule[] = [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }, { verbs: ['*'], nonResourceURLs: ['*'] }];

/** Authorization of one apiserver. Build it, pass `wrap` to the ResourceSet, then `attach` the set. */
export class ApiAuthorization implements ReviewAuthorizer {
  private rbac: RbacAuthorizer | undefined;
  private readonly chain: Authorizer;
  /** The Node authorizer's graph (Node mode only; fed once the resources are attached). */
  readonly nodeGraph: NodeGraph | undefined;
  readonly modes: readonly AuthorizationMode[];
  /** AlwaysAllow when it is the first mode (every request passes); else the chain of modes. */
  readonly mode: 'AlwaysAllow' | 'chain';

  constructor(modes: AuthorizationModes) {
    this.modes = authorizationModeList(modes);
    this.mode = this.modes[0] === 'AlwaysAllow' ? 'AlwaysAllow' : 'chain';
    this.nodeGraph = this.modes.includes('Node') ? new NodeGraph() : undefined;
    const members = this.modes.map((m): Authorizer => {
      if (m === 'AlwaysAllow') return ALWAYS_ALLOW;
      if (m === 'Node') return new NodeAuthorizer(this.nodeGraph!);
      return { authorize: (a) => this.rbacAuthorizer().authorize(a) };
    });
    this.chain = this.mode === 'AlwaysAllow' ? ALWAYS_ALLOW : new AuthorizerChain(members);
  }

  /** True when the Node authorizer is among the modes (NodeRestriction admission goes with it). */
  get nodeAuthorizer(): boolean {
    return this.nodeGraph !== undefined;
  }

  authorize(attrs: Attributes): Decision {
    return this.chain.authorize(attrs);
  }

  /** The rules `user` holds in `namespace` (SelfSubjectRulesReview). */
  rulesFor(user: UserInfo, namespace: string | undefined): { rules: PolicyRule[]; incomplete: boolean } {
    if (this.modes.includes('AlwaysAllow') || user.groups.includes(PRIVILEGED_GROUP)) return { rules: EVERYTHING.map((r) => ({ ...r })), incomplete: false };
    // The Node authorizer's answers depend on the object (Kubernetes also reports them as incomplete).
    const rbac = this.modes.includes('RBAC') ? this.rbacAuthorizer().rulesFor(user, namespace) : [];
    return { rules: rbac, incomplete: this.nodeAuthorizer && nodeNameOf(user) !== undefined };
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

  /** Reads roles and bindings (and, in Node mode, pods and claims) from `resources`' watch caches from now on. */
  attach(resources: ResourceSet): void {
    this.rbac = new RbacAuthorizer(cachedRbacObjects(resources));
    if (this.nodeGraph) {
      resources.cacheOf<Pod>('', 'pods')!.subscribe(this.nodeGraph.pods);
      resources.cacheOf<PersistentVolumeClaim>('', 'persistentvolumeclaims')!.subscribe(this.nodeGraph.claims);
    }
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
