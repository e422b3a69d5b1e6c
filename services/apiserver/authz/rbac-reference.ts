/**
 * Test support for the can-i property tests: random RBAC worlds (fast-check, seeded, bounded)
 * and a reference evaluation of RBAC written straight from the rules' definition in the
 * Kubernetes RBAC documentation — on purpose sharing no code with rbac-rules.ts or
 * rbac-authorizer.ts, so the two can disagree. Not used outside tests.
 *
 * The definition: a request (user, verb, group, resource[/subresource], namespace?, name?) is
 * allowed when the user is in system:masters, or some binding names the user (a User subject by
 * name, a Group subject by one of the user's groups, a ServiceAccount subject by
 * `system:serviceaccount:<ns>:<name>`) and its role holds a rule that names the verb (or `*`),
 * the group (or `*`), the resource — `*`, the resource itself, `resource/subresource` for a
 * subresource, or `*\/subresource` — and, when it lists resourceNames, the request's name. A
 * ClusterRoleBinding grants its ClusterRole everywhere; a RoleBinding grants its Role or
 * ClusterRole only in the binding's namespace. A binding to a missing role grants nothing.
 */
import fc from 'fast-check';
import type { ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding, Subject } from '../../../lib/api/types/rbac';

/** One question: may `user` (with `groups`) do `verb` on the resource? */
export interface Cell {
  readonly user: string;
  readonly groups: readonly string[];
  readonly verb: string;
  readonly group: string;
  readonly resource: string;
  readonly subresource?: string;
  readonly namespace?: string;
  readonly name?: string;
}

/** The RBAC objects of a world. */
export interface RbacWorld {
  readonly roles: Role[];
  readonly clusterRoles: ClusterRole[];
  readonly roleBindings: RoleBinding[];
  readonly clusterRoleBindings: ClusterRoleBinding[];
}

/** The vocabulary worlds and cells are drawn from (small, so random rules often apply). */
export const VOCABULARY = {
  users: ['ann', 'ben', 'cat', 'system:serviceaccount:pt-a:robot'],
  groups: ['devs', 'ops', 'qa'],
  namespaces: ['pt-a', 'pt-b'],
  verbs: ['get', 'list', 'watch', 'create', 'update', 'delete'],
  resources: [
    { group: '', resource: 'configmaps' },
    { group: '', resource: 'secrets' },
    { group: '', resource: 'pods', subresources: ['log', 'status'] },
    { group: 'apps', resource: 'deployments', subresources: ['scale'] },
  ],
  names: ['one', 'two'],
} as const;

const RBAC = 'rbac.authorization.k8s.io';
const WILD = '*';

/** A subset of `values` (possibly with `*`), as a rule list. */
function listOf(values: readonly string[], wildWeight: number): fc.Arbitrary<string[]> {
  return fc.oneof({ weight: wildWeight, arbitrary: fc.constant<string[]>([WILD]) }, { weight: 10, arbitrary: fc.subarray([...values], { minLength: 1 }) });
}

const resourceNames = VOCABULARY.resources.flatMap((r) => [r.resource, ...('subresources' in r ? r.subresources.map((s) => `${r.resource}/${s}`) : [])]);

const ruleArb: fc.Arbitrary<PolicyRule> = fc.record(
  {
    verbs: listOf(VOCABULARY.verbs, 1),
    apiGroups: listOf(['', 'apps'], 2),
    resources: fc.oneof({ weight: 1, arbitrary: fc.constant<string[]>([WILD]) }, { weight: 1, arbitrary: fc.constant<string[]>(['*/scale']) }, { weight: 12, arbitrary: fc.subarray(resourceNames, { minLength: 1, maxLength: 3 }) }),
    resourceNames: fc.oneof({ weight: 3, arbitrary: fc.constant<string[]>([]) }, { weight: 1, arbitrary: fc.subarray<string>([...VOCABULARY.names], { minLength: 1 }) }),
  },
  { requiredKeys: ['verbs', 'apiGroups', 'resources'] },
);

const subjectArb: fc.Arbitrary<Subject> = fc.oneof(
  fc.constantFrom(...VOCABULARY.users.filter((u) => !u.startsWith('system:'))).map((name) => ({ kind: 'User', apiGroup: RBAC, name })),
  fc.constantFrom(...VOCABULARY.groups).map((name) => ({ kind: 'Group', apiGroup: RBAC, name })),
  fc.constant({ kind: 'ServiceAccount', name: 'robot', namespace: 'pt-a' }),
);

/** Bounds of a world (kept small so every world writes through the API quickly). */
const MAX_ROLES = 4;
const MAX_BINDINGS = 5;

/** A random world: Roles in each namespace, ClusterRoles, and bindings to existing and missing roles. */
export const worldArb: fc.Arbitrary<RbacWorld> = fc
  .record({
    roles: fc.array(fc.record({ namespace: fc.constantFrom(...VOCABULARY.namespaces), rules: fc.array(ruleArb, { minLength: 1, maxLength: 3 }) }), { maxLength: MAX_ROLES }),
    clusterRoles: fc.array(fc.array(ruleArb, { minLength: 1, maxLength: 3 }), { maxLength: MAX_ROLES }),
    roleBindings: fc.array(fc.record({ namespace: fc.constantFrom(...VOCABULARY.namespaces), ref: fc.nat(MAX_ROLES), toCluster: fc.boolean(), subjects: fc.array(subjectArb, { minLength: 1, maxLength: 3 }) }), { maxLength: MAX_BINDINGS }),
    clusterRoleBindings: fc.array(fc.record({ ref: fc.nat(MAX_ROLES), subjects: fc.array(subjectArb, { minLength: 1, maxLength: 2 }) }), { maxLength: 2 }),
  })
  .map(({ roles, clusterRoles, roleBindings, clusterRoleBindings }) => ({
    roles: roles.map((r, i) => ({ apiVersion: `${RBAC}/v1`, kind: 'Role', metadata: { name: `pt-role-${i}`, namespace: r.namespace }, rules: r.rules })),
    clusterRoles: clusterRoles.map((rules, i) => ({ apiVersion: `${RBAC}/v1`, kind: 'ClusterRole', metadata: { name: `pt-clusterrole-${i}` }, rules })),
    // A reference past the generated roles names a role that does not exist (a dangling binding).
    roleBindings: roleBindings.map((b, i) => ({
      apiVersion: `${RBAC}/v1`,
      kind: 'RoleBinding',
      metadata: { name: `pt-rb-${i}`, namespace: b.namespace },
      roleRef: b.toCluster ? { apiGroup: RBAC, kind: 'ClusterRole', name: `pt-clusterrole-${b.ref}` } : { apiGroup: RBAC, kind: 'Role', name: `pt-role-${b.ref}` },
      subjects: b.subjects,
    })),
    clusterRoleBindings: clusterRoleBindings.map((b, i) => ({ apiVersion: `${RBAC}/v1`, kind: 'ClusterRoleBinding', metadata: { name: `pt-crb-${i}` }, roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: `pt-clusterrole-${b.ref}` }, subjects: b.subjects })),
  }));

/** A random question over the vocabulary (a name on some, a subresource on some, cluster scope on some). */
export const cellArb: fc.Arbitrary<Cell> = fc
  .record({
    user: fc.constantFrom(...VOCABULARY.users),
    groups: fc.subarray([...VOCABULARY.groups, 'system:masters'], { maxLength: 2 }),
    masters: fc.nat(19),
    verb: fc.constantFrom(...VOCABULARY.verbs),
    resource: fc.constantFrom(...VOCABULARY.resources),
    sub: fc.nat(3),
    namespace: fc.constantFrom<string | undefined>(...VOCABULARY.namespaces, undefined),
    name: fc.constantFrom<string | undefined>(...VOCABULARY.names, undefined, undefined),
  })
  .map((c) => {
    const subs: readonly string[] = 'subresources' in c.resource ? c.resource.subresources : [];
    const subresource = c.sub < subs.length ? subs[c.sub] : undefined;
    // system:masters only now and then: it answers yes to everything.
    const groups = c.groups.filter((g) => g !== 'system:masters' || c.masters === 0);
    return { user: c.user, groups, verb: c.verb, group: c.resource.group, resource: c.resource.resource, ...(subresource ? { subresource } : {}), ...(c.namespace ? { namespace: c.namespace } : {}), ...(c.name ? { name: c.name } : {}) };
  });

/** Every cell of the matrix users × verbs × resources (+ subresources) × namespaces, with and without a name. */
export function matrixCells(groupsOf: (user: string) => readonly string[]): Cell[] {
  const cells: Cell[] = [];
  for (const user of VOCABULARY.users) {
    for (const verb of VOCABULARY.verbs) {
      for (const r of VOCABULARY.resources) {
        const subs: (string | undefined)[] = [undefined, ...('subresources' in r ? r.subresources : [])];
        for (const subresource of subs) {
          for (const namespace of [...VOCABULARY.namespaces, undefined]) {
            for (const name of [undefined, VOCABULARY.names[0]]) {
              cells.push({ user, groups: groupsOf(user), verb, group: r.group, resource: r.resource, ...(subresource ? { subresource } : {}), ...(namespace ? { namespace } : {}), ...(name ? { name } : {}) });
            }
          }
        }
      }
    }
  }
  return cells;
}

function names(list: readonly string[] | undefined, value: string): boolean {
  return (list ?? []).includes(WILD) || (list ?? []).includes(value);
}

/** Whether one rule grants the cell (the definition in the module comment). */
function grants(rule: PolicyRule, cell: Cell): boolean {
  if (!names(rule.verbs, cell.verb) || !names(rule.apiGroups, cell.group)) return false;
  const wanted = cell.subresource === undefined ? [cell.resource] : [`${cell.resource}/${cell.subresource}`, `*/${cell.subresource}`];
  if (!(rule.resources ?? []).some((r) => r === WILD || wanted.includes(r))) return false;
  if ((rule.resourceNames ?? []).length === 0) return true;
  return cell.name !== undefined && rule.resourceNames!.includes(cell.name);
}

function isSubject(subject: Subject, cell: Cell): boolean {
  if (subject.kind === 'User') return subject.name === cell.user;
  if (subject.kind === 'Group') return cell.groups.includes(subject.name ?? '');
  if (subject.kind === 'ServiceAccount') return cell.user === `system:serviceaccount:${subject.namespace}:${subject.name}`;
  return false;
}

/** The reference answer: is `cell` allowed in `world`? */
export function referenceAllows(world: RbacWorld, cell: Cell): boolean {
  if (cell.groups.includes('system:masters')) return true;
  const clusterRole = (name: string | undefined) => world.clusterRoles.find((r) => r.metadata.name === name);
  for (const b of world.clusterRoleBindings) {
    if (!(b.subjects ?? []).some((s) => isSubject(s, cell))) continue;
    if ((clusterRole(b.roleRef?.name)?.rules ?? []).some((r) => grants(r, cell))) return true;
  }
  if (cell.namespace === undefined) return false;
  for (const b of world.roleBindings) {
    if (b.metadata.namespace !== cell.namespace || !(b.subjects ?? []).some((s) => isSubject(s, cell))) continue;
    const role = b.roleRef?.kind === 'Role' ? world.roles.find((r) => r.metadata.namespace === cell.namespace && r.metadata.name === b.roleRef?.name) : clusterRole(b.roleRef?.name);
    if ((role?.rules ?? []).some((r) => grants(r, cell))) return true;
  }
  return false;
}

/** The cell as it reads in a failure message (and as kubectl's can-i arguments would name it). */
export function describeCell(cell: Cell): string {
  const res = `${cell.resource}${cell.group ? `.${cell.group}` : ''}${cell.name ? `/${cell.name}` : ''}${cell.subresource ? ` --subresource=${cell.subresource}` : ''}`;
  return `${cell.user} [${cell.groups.join(',')}] ${cell.verb} ${res} ${cell.namespace ? `-n ${cell.namespace}` : '(cluster)'}`;
}
