/**
 * The matching rules of RBAC (Kubernetes' rbac/v1 semantics), pure functions: whether a
 * PolicyRule allows a request, whether a binding's subject is the requesting user, and whether
 * one set of rules covers another (escalation prevention).
 */
import type { PolicyRule, Subject } from '../../../lib/api/types/rbac';
import type { UserInfo } from '../authn/request-user';
import type { Attributes } from './authorizer';

/** Every value of a rule list. */
const ALL = '*';
/** The API group of RBAC subjects of kind User and Group. */
export const RBAC_GROUP = 'rbac.authorization.k8s.io';
/** ServiceAccounts authenticate as `system:serviceaccount:<namespace>:<name>`. */
export const SERVICE_ACCOUNT_USER_PREFIX = 'system:serviceaccount:';

function has(list: readonly string[] | undefined, value: string): boolean {
  return (list ?? []).some((v) => v === ALL || v === value);
}

/** Whether a rule's resources name the requested resource (and subresource). */
function resourceMatches(rule: PolicyRule, resource: string, subresource: string | undefined): boolean {
  const combined = subresource ? `${resource}/${subresource}` : resource;
  return (rule.resources ?? []).some((r) => r === ALL || r === combined || (subresource !== undefined && r === `${ALL}/${subresource}`));
}

/** Whether a non-resource rule names `path` (exactly, or as a prefix ending in `*`). */
function pathMatches(rule: PolicyRule, path: string): boolean {
  return (rule.nonResourceURLs ?? []).some((u) => u === ALL || u === path || (u.endsWith(ALL) && path.startsWith(u.slice(0, -1))));
}

/** Whether `rule` allows the request `attrs` describes. */
export function ruleAllows(rule: PolicyRule, attrs: Attributes): boolean {
  if (!has(rule.verbs, attrs.verb)) return false;
  if (!attrs.resourceRequest) return pathMatches(rule, attrs.path ?? '/');
  if (!has(rule.apiGroups, attrs.apiGroup ?? '')) return false;
  if (!resourceMatches(rule, attrs.resource ?? '', attrs.subresource)) return false;
  const names = rule.resourceNames ?? [];
  return names.length === 0 || (attrs.name !== undefined && names.includes(attrs.name));
}

/**
 * Whether a binding's subject is `user`: a User by name, a Group by membership, a ServiceAccount
 * by its user name (its namespace defaulting to the binding's, as Kubernetes reads it).
 */
export function subjectMatches(subject: Subject, user: UserInfo, bindingNamespace: string | undefined): boolean {
  switch (subject.kind) {
    case 'User':
      return subject.name === user.name;
    case 'Group':
      return subject.name !== undefined && user.groups.includes(subject.name);
    case 'ServiceAccount': {
      const namespace = subject.namespace || bindingNamespace;
      return namespace !== undefined && user.name === `${SERVICE_ACCOUNT_USER_PREFIX}${namespace}:${subject.name ?? ''}`;
    }
    default:
      return false;
  }
}

/**
 * Whether `owner` rules grant everything `requested` rules do (Kubernetes' Covers): every
 * verb × group × resource × name combination a requested rule names — a `*` taken literally —
 * is allowed by some owner rule. Non-resource URLs likewise.
 */
export function rulesCover(owner: readonly PolicyRule[], requested: readonly PolicyRule[]): boolean {
  for (const rule of requested) {
    for (const verb of rule.verbs ?? []) {
      for (const url of rule.nonResourceURLs ?? []) {
        if (!owner.some((o) => has(o.verbs, verb) && (o.nonResourceURLs ?? []).some((u) => u === ALL || u === url || (u.endsWith(ALL) && url.startsWith(u.slice(0, -1)))))) return false;
      }
      for (const group of rule.apiGroups ?? []) {
        for (const resource of rule.resources ?? []) {
          const names = rule.resourceNames ?? [];
          const covered = (name: string | undefined) =>
            owner.some((o) => has(o.verbs, verb) && has(o.apiGroups, group) && ((o.resources ?? []).includes(ALL) || (o.resources ?? []).includes(resource)) && ((o.resourceNames ?? []).length === 0 || (name !== undefined && (o.resourceNames ?? []).includes(name))));
          if (names.length === 0 ? !covered(undefined) : !names.every((n) => covered(n))) return false;
        }
      }
    }
  }
  return true;
}
