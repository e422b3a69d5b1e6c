/**
 * Keeps the bootstrap policy in the cluster (Kubernetes' RBAC reconciliation at apiserver start):
 * a missing bootstrap ClusterRole or ClusterRoleBinding is created; an existing one gains the
 * rules or subjects it lacks (what a user added stays) unless annotated
 * `rbac.authorization.kubernetes.io/autoupdate: "false"`; an aggregated one (admin, edit, view)
 * gains missing selectors and labels but never has its rules touched — those are the
 * clusterrole-aggregation controller's. Safe with several apiservers at once:
 * a create that finds the object counts as done, a conflicting update is retried next start.
 */
import { isDeepStrictEqual } from 'node:util';
import { AlreadyExistsError, ConflictError } from '../../../lib/api/errors';
import { isNotFound } from '../../../lib/api/status';
import type { ClusterRole, ClusterRoleBinding, PolicyRule, Subject } from '../../../lib/api/types/rbac';
import type { ResourceRest } from '../rest/resource-rest';
import type { ResourceSet } from '../rest/resource-set';
import { AUTOUPDATE_ANNOTATION, bootstrapClusterRoleBindings, BOOTSTRAP_CLUSTER_ROLES, NODE_GROUP_BINDINGS, NODES_GROUP, BOOTSTRAP_LABEL, type BootstrapClusterRole, type BootstrapClusterRoleBinding } from './bootstrap-policy';
import { RBAC_GROUP, rulesCover } from './rbac-rules';
import { settledAggregation } from '../../../lib/api/rbac-aggregation';

const RBAC_API_VERSION = `${RBAC_GROUP}/v1`;

/** What one reconcile changed, by name. */
export interface PolicyReconcileReport {
  readonly created: string[];
  readonly updated: string[];
}

/**
 * Reconciles every bootstrap ClusterRole, then every bootstrap ClusterRoleBinding. With the Node
 * authorizer (`nodeAuthorizer`), the bindings that gave the whole nodes group a role lose that
 * group (a cluster first run without it), as the Node authorizer now decides for each node.
 */
export async function reconcileBootstrapPolicy(resources: ResourceSet, opts: { readonly nodeAuthorizer?: boolean } = {}): Promise<PolicyReconcileReport> {
  const report: PolicyReconcileReport = { created: [], updated: [] };
  const roles = resources.byResource(RBAC_GROUP, 'clusterroles') as ResourceRest<ClusterRole>;
  const bindings = resources.byResource(RBAC_GROUP, 'clusterrolebindings') as ResourceRest<ClusterRoleBinding>;
  const wanted = BOOTSTRAP_CLUSTER_ROLES.map(roleObject);
  // An aggregated role starts with the rules its bootstrap members give it, so it grants before
  // the clusterrole-aggregation controller runs (which then finds nothing to change).
  const aggregated = settledAggregation(wanted);
  // Each object is reconciled on its own, so all of them at once: on a fresh cluster that is
  // one store round for the lot instead of one per object (about 80 of them).
  await Promise.all(
    wanted.map((role) => {
      const rules = aggregated.get(role.metadata.name ?? '');
      return reconcile(roles, rules ? { ...role, rules } : role, rules ? mergeAggregation : mergeRules, 'clusterrole', report);
    }),
  );
  await Promise.all(
    bootstrapClusterRoleBindings(opts.nodeAuthorizer ?? false).map((binding) => {
      const merge = opts.nodeAuthorizer && NODE_GROUP_BINDINGS.has(binding.name) ? withoutNodesGroup : mergeSubjects;
      return reconcile(bindings, bindingObject(binding), merge, 'clusterrolebinding', report);
    }),
  );
  report.created.sort();
  report.updated.sort();
  return report;
}

/** The stored object with what `wanted` adds, or undefined when nothing is missing. */
type Merge<T> = (stored: T, wanted: T) => T | undefined;

async function reconcile<T extends ClusterRole | ClusterRoleBinding>(rest: ResourceRest<T>, wanted: T, merge: Merge<T>, kind: string, report: PolicyReconcileReport): Promise<void> {
  const name = wanted.metadata.name ?? '';
  let stored: T | undefined;
  try {
    stored = await rest.get(undefined, name);
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  try {
    if (!stored) {
      await rest.create(undefined, wanted);
      report.created.push(`${kind}/${name}`);
      return;
    }
    if (stored.metadata.annotations?.[AUTOUPDATE_ANNOTATION] === 'false') return;
    const merged = merge(stored, wanted);
    if (!merged) return;
    await rest.update(undefined, name, merged);
    report.updated.push(`${kind}/${name}`);
  } catch (err) {
    if (!(err instanceof AlreadyExistsError || err instanceof ConflictError)) throw err;
  }
}

function bootstrapMetadata(name: string) {
  return { name, labels: { [BOOTSTRAP_LABEL]: 'rbac-defaults' }, annotations: { [AUTOUPDATE_ANNOTATION]: 'true' } };
}

function roleObject(role: BootstrapClusterRole): ClusterRole {
  const metadata = bootstrapMetadata(role.name);
  return {
    apiVersion: RBAC_API_VERSION,
    kind: 'ClusterRole',
    metadata: { ...metadata, labels: { ...metadata.labels, ...role.labels } },
    ...(role.aggregationRule ? { aggregationRule: { clusterRoleSelectors: role.aggregationRule.map((s) => structuredClone(s)) } } : {}),
    rules: role.rules.map((r) => ({ ...r })),
  };
}

/** The stored role with the bootstrap labels it lacks (an aggregation label added since it was made); undefined when none. */
function withMissingLabels(stored: ClusterRole, wanted: ClusterRole): ClusterRole | undefined {
  const have = stored.metadata.labels ?? {};
  const missing = Object.entries(wanted.metadata.labels ?? {}).filter(([k]) => !(k in have));
  return missing.length === 0 ? undefined : { ...stored, metadata: { ...stored.metadata, labels: { ...have, ...Object.fromEntries(missing) } } };
}

/**
 * For an aggregated bootstrap role: the stored role with the selectors (and labels) it lacks.
 * Its rules are left alone: they are the clusterrole-aggregation controller's to write.
 */
function mergeAggregation(stored: ClusterRole, wanted: ClusterRole): ClusterRole | undefined {
  const role = withMissingLabels(stored, wanted) ?? stored;
  const have = role.aggregationRule?.clusterRoleSelectors ?? [];
  const missing = (wanted.aggregationRule?.clusterRoleSelectors ?? []).filter((w) => !have.some((h) => isDeepStrictEqual(h, w)));
  if (missing.length === 0) return role === stored ? undefined : role;
  return { ...role, aggregationRule: { ...role.aggregationRule, clusterRoleSelectors: [...have, ...missing] } };
}

function bindingObject(binding: BootstrapClusterRoleBinding): ClusterRoleBinding {
  const subjects: Subject[] = [
    ...(binding.groups ?? []).map((name) => ({ kind: 'Group', apiGroup: RBAC_GROUP, name })),
    ...(binding.users ?? []).map((name) => ({ kind: 'User', apiGroup: RBAC_GROUP, name })),
  ];
  return { apiVersion: RBAC_API_VERSION, kind: 'ClusterRoleBinding', metadata: bootstrapMetadata(binding.name), roleRef: { apiGroup: RBAC_GROUP, kind: 'ClusterRole', name: binding.role }, subjects };
}

/** The stored role plus the bootstrap rules it does not already grant. */
function mergeRules(stored: ClusterRole, wanted: ClusterRole): ClusterRole | undefined {
  const role = withMissingLabels(stored, wanted) ?? stored;
  const have = role.rules ?? [];
  const missing = (wanted.rules ?? []).filter((r: PolicyRule) => !rulesCover(have, [r]));
  if (missing.length === 0) return role === stored ? undefined : role;
  return { ...role, rules: [...have, ...missing] };
}

/** The stored binding plus the bootstrap subjects it lacks. */
function mergeSubjects(stored: ClusterRoleBinding, wanted: ClusterRoleBinding): ClusterRoleBinding | undefined {
  const have = stored.subjects ?? [];
  const missing = (wanted.subjects ?? []).filter((s) => !have.some((h) => h.kind === s.kind && h.name === s.name));
  return missing.length === 0 ? undefined : { ...stored, subjects: [...have, ...missing] };
}

/** mergeSubjects, and the nodes group taken off (see reconcileBootstrapPolicy). */
function withoutNodesGroup(stored: ClusterRoleBinding, wanted: ClusterRoleBinding): ClusterRoleBinding | undefined {
  const merged = mergeSubjects(stored, wanted) ?? stored;
  const subjects = (merged.subjects ?? []).filter((s) => !(s.kind === 'Group' && s.name === NODES_GROUP));
  return merged === stored && subjects.length === (stored.subjects ?? []).length ? undefined : { ...merged, subjects };
}
