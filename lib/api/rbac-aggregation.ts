/**
 * ClusterRole aggregation (Kubernetes' clusterrole-aggregation rules), pure: the rules of a
 * ClusterRole with an `aggregationRule` are the rules of every other ClusterRole its
 * `clusterRoleSelectors` match — selector by selector, the matching roles in order of name,
 * each rule once (a rule equal to one already taken is skipped). Shared by the
 * controller-manager's clusterrole-aggregation controller and the apiserver's bootstrap policy
 * (which fills the aggregated bootstrap roles at creation, so they grant before any controller runs).
 */
import { selectorFromLabelSelector } from './label-selector';
import type { ClusterRole, PolicyRule } from './types/rbac';

/** The rule fields, in Kubernetes' order. */
const RULE_FIELDS = ['verbs', 'apiGroups', 'resources', 'resourceNames', 'nonResourceURLs'] as const;

/** A rule with its empty lists dropped (Kubernetes compares nil and empty lists as equal). */
export function canonicalRule(rule: PolicyRule): PolicyRule {
  const out: PolicyRule = {};
  for (const f of RULE_FIELDS) if ((rule[f] ?? []).length > 0) out[f] = [...rule[f]!];
  return out;
}

/** Whether two rules are the same (order of list items counts, empty lists equal absent ones). */
export function sameRule(a: PolicyRule, b: PolicyRule): boolean {
  return RULE_FIELDS.every((f) => {
    const x = a[f] ?? [];
    const y = b[f] ?? [];
    return x.length === y.length && x.every((v, i) => v === y[i]);
  });
}

/** Whether two rule lists are the same, rule by rule. */
export function sameRules(a: readonly PolicyRule[], b: readonly PolicyRule[]): boolean {
  return a.length === b.length && a.every((r, i) => sameRule(r, b[i]!));
}

/** Whether `role` is aggregated (has an aggregationRule: its rules belong to the aggregation). */
export function isAggregated(role: ClusterRole): boolean {
  return role.aggregationRule !== undefined && role.aggregationRule !== null;
}

/**
 * The rules `aggregator` aggregates from `roles` (see the module comment); throws a
 * BadRequestError naming the selector when one is invalid.
 */
export function aggregatedRules(aggregator: ClusterRole, roles: readonly ClusterRole[]): PolicyRule[] {
  const rules: PolicyRule[] = [];
  (aggregator.aggregationRule?.clusterRoleSelectors ?? []).forEach((ls, i) => {
    const selector = selectorFromLabelSelector(ls, `aggregationRule.clusterRoleSelectors[${i}]`);
    const matching = roles
      .filter((r) => r.metadata.name !== aggregator.metadata.name && selector.matches(r.metadata.labels ?? {}))
      // Byte order of names, as Kubernetes sorts them (not the locale's).
      .sort((a, b) => ((a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : (a.metadata.name ?? '') > (b.metadata.name ?? '') ? 1 : 0));
    for (const role of matching) for (const rule of role.rules ?? []) if (!rules.some((r) => sameRule(r, rule))) rules.push(canonicalRule(rule));
  });
  return rules;
}

/**
 * The rules of every aggregated role once aggregation has settled (roles aggregating aggregated
 * roles, as edit aggregates view): aggregation repeated until nothing changes, at most once per
 * role plus one. Roles are given and returned by name.
 */
export function settledAggregation(roles: readonly ClusterRole[]): Map<string, PolicyRule[]> {
  const current = new Map<string, ClusterRole>(roles.map((r) => [r.metadata.name ?? '', r]));
  for (let pass = 0; pass <= roles.length; pass++) {
    let changed = false;
    for (const role of current.values()) {
      if (!isAggregated(role)) continue;
      const rules = aggregatedRules(role, [...current.values()]);
      if (sameRules(rules, role.rules ?? [])) continue;
      current.set(role.metadata.name ?? '', { ...role, rules });
      changed = true;
    }
    if (!changed) break;
  }
  const out = new Map<string, PolicyRule[]>();
  for (const [name, role] of current) if (isAggregated(role)) out.set(name, role.rules ?? []);
  return out;
}
