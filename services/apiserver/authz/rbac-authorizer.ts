/**
 * The RBAC authorizer (Kubernetes' RBAC mode): a request is allowed when some ClusterRoleBinding,
 * or some RoleBinding in the request's namespace, binds the user (or one of its groups or its
 * ServiceAccount) to a role with a rule allowing it. Roles and bindings are read from the
 * apiserver's watch caches, in memory, on every decision — so a binding takes effect as soon
 * as the cache has seen it, on every apiserver. A decision looks only at the bindings naming
 * the user, one of its groups or its ServiceAccount: an index by subject, rebuilt when the
 * bindings' version changes, so a thousand bindings cost a lookup, not a scan, per request.
 */
import type { ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding, RoleRef, Subject } from '../../../lib/api/types/rbac';
import type { UserInfo } from '../authn/request-user';
import type { Attributes, Authorizer, Decision } from './authorizer';
import { ruleAllows, SERVICE_ACCOUNT_USER_PREFIX, subjectMatches } from './rbac-rules';

/** Where the authorizer reads roles and bindings (the watch caches; maps in tests). */
export interface RbacObjects {
  clusterRoleBindings(): readonly ClusterRoleBinding[];
  /** The RoleBindings of `namespace`; undefined: of every namespace. */
  roleBindings(namespace: string | undefined): readonly RoleBinding[];
  clusterRole(name: string): ClusterRole | undefined;
  role(namespace: string, name: string): Role | undefined;
  /** Changes whenever a binding may have changed (the caches' revisions); absent: no index is kept. */
  bindingsVersion?(): string;
}

/** Bindings by subject key (see subjectKeys). */
type SubjectIndex<B> = Map<string, B[]>;

interface BindingIndex {
  readonly version: string;
  readonly cluster: SubjectIndex<ClusterRoleBinding>;
  readonly namespaced: Map<string, SubjectIndex<RoleBinding>>;
}

/** The index key of a binding's subject: users and ServiceAccounts by user name, groups by name. */
function subjectKey(subject: Subject, bindingNamespace: string | undefined): string | undefined {
  switch (subject.kind) {
    case 'User':
      return subject.name === undefined ? undefined : `u:${subject.name}`;
    case 'Group':
      return subject.name === undefined ? undefined : `g:${subject.name}`;
    case 'ServiceAccount': {
      const namespace = subject.namespace || bindingNamespace;
      return namespace === undefined ? undefined : `u:${SERVICE_ACCOUNT_USER_PREFIX}${namespace}:${subject.name ?? ''}`;
    }
    default:
      return undefined;
  }
}

/** The keys a user's bindings are indexed under. */
function userKeys(user: UserInfo): string[] {
  return [`u:${user.name}`, ...user.groups.map((g) => `g:${g}`)];
}

function addToIndex<B extends RoleBinding>(index: SubjectIndex<B>, binding: B, namespace: string | undefined): void {
  for (const subject of binding.subjects ?? []) {
    const key = subjectKey(subject, namespace);
    if (key === undefined) continue;
    const list = index.get(key);
    if (list) list.push(binding);
    else index.set(key, [binding]);
  }
}

/** The bindings of `index` under any of `keys`, each once, in a stable order (by name). */
function lookup<B extends RoleBinding>(index: SubjectIndex<B> | undefined, keys: readonly string[]): B[] {
  if (!index) return [];
  const found = new Set<B>();
  for (const k of keys) for (const b of index.get(k) ?? []) found.add(b);
  return [...found].sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
}

/** Decides by RBAC. See the file comment. */
export class RbacAuthorizer implements Authorizer {
  private index: BindingIndex | undefined;

  constructor(private readonly objects: RbacObjects) {}

  /** The ClusterRoleBindings that may name `user` (all of them without an index). */
  private clusterBindingsOf(user: UserInfo): readonly ClusterRoleBinding[] {
    const index = this.currentIndex();
    return index ? lookup(index.cluster, userKeys(user)) : this.objects.clusterRoleBindings();
  }

  /** The RoleBindings of `namespace` that may name `user`. */
  private roleBindingsOf(user: UserInfo, namespace: string): readonly RoleBinding[] {
    const index = this.currentIndex();
    return index ? lookup(index.namespaced.get(namespace), userKeys(user)) : this.objects.roleBindings(namespace);
  }

  private currentIndex(): BindingIndex | undefined {
    const version = this.objects.bindingsVersion?.();
    if (version === undefined) return undefined;
    if (this.index?.version === version) return this.index;
    const cluster: SubjectIndex<ClusterRoleBinding> = new Map();
    for (const b of this.objects.clusterRoleBindings()) addToIndex(cluster, b, undefined);
    const namespaced = new Map<string, SubjectIndex<RoleBinding>>();
    for (const b of this.objects.roleBindings(undefined)) {
      const ns = b.metadata.namespace ?? '';
      let index = namespaced.get(ns);
      if (!index) namespaced.set(ns, (index = new Map()));
      addToIndex(index, b, ns);
    }
    this.index = { version, cluster, namespaced };
    return this.index;
  }

  authorize(attrs: Attributes): Decision {
    for (const binding of this.clusterBindingsOf(attrs.user)) {
      if (!bindsUser(binding, attrs.user, undefined)) continue;
      if (this.rulesOf(binding.roleRef, undefined).some((r) => ruleAllows(r, attrs))) return allowedBy('ClusterRoleBinding', binding, undefined);
    }
    if (attrs.namespace !== undefined && attrs.resourceRequest) {
      for (const binding of this.roleBindingsOf(attrs.user, attrs.namespace)) {
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
    for (const b of this.clusterBindingsOf(user)) if (bindsUser(b, user, undefined)) rules.push(...this.rulesOf(b.roleRef, undefined));
    if (namespace !== undefined) for (const b of this.roleBindingsOf(user, namespace)) if (bindsUser(b, user, namespace)) rules.push(...this.rulesOf(b.roleRef, namespace));
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
