import { nameIsPathSegment } from '../../../../lib/api/validation';
import type { FieldError } from '../../../../lib/api/errors';
import { validateLabelSelector } from '../../../../lib/api/label-selector';
import { FieldPath, invalid, notSupported, required, validateDns1123Subdomain } from '../../../../lib/api/validation';
import type { Strategy } from '../../registry/strategy';
import { goStringSlice, invalidRendered } from '../apps/strategy-support';
import { RESOURCES } from '../../../../lib/api/resources';
import type { PolicyRule, Subject, RoleRef, Role, ClusterRole, RoleBinding, ClusterRoleBinding } from '../../../../lib/api/types/rbac';
export type { PolicyRule, Subject, RoleRef, Role, ClusterRole, RoleBinding, ClusterRoleBinding };

/** The RBAC API group, the only apiGroup of a roleRef and of User/Group subjects. */
export const RBAC_GROUP = 'rbac.authorization.k8s.io';
/** Subject kinds. */
export const SUBJECT_KINDS: readonly string[] = ['ServiceAccount', 'User', 'Group'];

const RULES = FieldPath.root('rules');
const ROLE_REF = FieldPath.root('roleRef');
const SUBJECTS = FieldPath.root('subjects');

/** Kubernetes' ValidatePolicyRule at `path`; namespaced rules may not name non-resource URLs. */
export function validatePolicyRule(rule: PolicyRule, namespaced: boolean, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  if (!rule.verbs || rule.verbs.length === 0) errs.push(required(path.child('verbs'), 'verbs must contain at least one value'));
  if (rule.nonResourceURLs && rule.nonResourceURLs.length > 0) {
    const urls = goStringSlice(rule.nonResourceURLs);
    if (namespaced) errs.push(invalidRendered(path.child('nonResourceURLs'), urls, 'namespaced rules cannot apply to non-resource URLs'));
    if ((rule.apiGroups ?? []).length > 0 || (rule.resources ?? []).length > 0 || (rule.resourceNames ?? []).length > 0) {
      errs.push(invalidRendered(path.child('nonResourceURLs'), urls, 'rules cannot apply to both regular resources and non-resource URLs'));
    }
    return errs;
  }
  if (!rule.apiGroups || rule.apiGroups.length === 0) errs.push(required(path.child('apiGroups'), 'resource rules must supply at least one api group'));
  if (!rule.resources || rule.resources.length === 0) errs.push(required(path.child('resources'), 'resource rules must supply at least one resource'));
  return errs;
}

function validateRules(rules: PolicyRule[] | undefined, namespaced: boolean): FieldError[] {
  const errs: FieldError[] = [];
  (rules ?? []).forEach((r, i) => errs.push(...validatePolicyRule(r ?? {}, namespaced, RULES.index(i))));
  return errs;
}

/** Kubernetes' SetDefaults_Subject: User and Group subjects default to the RBAC apiGroup. */
function defaultSubjects(subjects: Subject[] | undefined): void {
  for (const s of subjects ?? []) {
    if (s && !s.apiGroup && (s.kind === 'User' || s.kind === 'Group')) s.apiGroup = RBAC_GROUP;
  }
}

/** Kubernetes' SetDefaults_RoleBinding / ClusterRoleBinding: roleRef.apiGroup and subject groups. */
export function defaultBinding(obj: RoleBinding): void {
  if (obj.roleRef && !obj.roleRef.apiGroup) obj.roleRef.apiGroup = RBAC_GROUP;
  defaultSubjects(obj.subjects);
}

/** Kubernetes' ValidateRoleBindingSubject; a ServiceAccount in a ClusterRoleBinding needs a namespace. */
export function validateSubject(s: Subject, namespaced: boolean, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  if (!s.name) errs.push(required(path.child('name')));
  switch (s.kind) {
    case 'ServiceAccount':
      if (s.name) errs.push(...validateDns1123Subdomain(s.name, path.child('name')));
      if (s.apiGroup) errs.push(notSupported(path.child('apiGroup'), s.apiGroup, ['']));
      if (!namespaced && !s.namespace) errs.push(required(path.child('namespace')));
      break;
    case 'User':
    case 'Group':
      if (s.apiGroup !== RBAC_GROUP) errs.push(notSupported(path.child('apiGroup'), s.apiGroup ?? '', [RBAC_GROUP]));
      break;
    default:
      errs.push(notSupported(path.child('kind'), s.kind ?? '', SUBJECT_KINDS));
  }
  return errs;
}

/** Kubernetes' ValidateRoleBinding / ValidateClusterRoleBinding: roleRef and subjects. */
export function validateBinding(obj: RoleBinding, namespaced: boolean): FieldError[] {
  const errs: FieldError[] = [];
  const ref = obj.roleRef ?? {};
  if (ref.apiGroup !== RBAC_GROUP) errs.push(notSupported(ROLE_REF.child('apiGroup'), ref.apiGroup ?? '', [RBAC_GROUP]));
  const kinds = namespaced ? ['Role', 'ClusterRole'] : ['ClusterRole'];
  if (!ref.kind || !kinds.includes(ref.kind)) errs.push(notSupported(ROLE_REF.child('kind'), ref.kind ?? '', kinds));
  if (!ref.name) errs.push(required(ROLE_REF.child('name')));
  else errs.push(...pathSegmentErrors(ref.name).map((m) => invalid(ROLE_REF.child('name'), ref.name, m)));
  (obj.subjects ?? []).forEach((s, i) => errs.push(...validateSubject(s ?? {}, namespaced, SUBJECTS.index(i))));
  return errs;
}

/** Kubernetes' IsValidPathSegmentName (the RBAC name rule). */
function pathSegmentErrors(name: string): string[] {
  if (name === '.' || name === '..') return [`may not be '${name}'`];
  for (const bad of ['/', '%']) if (name.includes(bad)) return [`may not contain '${bad}'`];
  return [];
}

/** `Invalid value: rbac.RoleRef{…}: cannot change roleRef` when the roleRef differs. */
export function validateRoleRefUnchanged(obj: RoleBinding, old: RoleBinding): FieldError[] {
  const a = obj.roleRef ?? {};
  const b = old.roleRef ?? {};
  if ((a.apiGroup ?? '') === (b.apiGroup ?? '') && (a.kind ?? '') === (b.kind ?? '') && (a.name ?? '') === (b.name ?? '')) return [];
  const rendered = `rbac.RoleRef{APIGroup:${JSON.stringify(a.apiGroup ?? '')}, Kind:${JSON.stringify(a.kind ?? '')}, Name:${JSON.stringify(a.name ?? '')}}`;
  return [invalidRendered(ROLE_REF, rendered, 'cannot change roleRef')];
}

function validateAggregationRule(obj: ClusterRole): FieldError[] {
  const errs: FieldError[] = [];
  const p = FieldPath.root('aggregationRule').child('clusterRoleSelectors');
  (obj.aggregationRule?.clusterRoleSelectors ?? []).forEach((sel, i) => errs.push(...validateLabelSelector(sel, p.index(i))));
  return errs;
}

const noop = () => {};

/** Registry strategy of rbac.authorization.k8s.io/v1 Role. */
export const roleStrategy: Strategy<Role> = {
  info: RESOURCES.roles,
  nameValidator: nameIsPathSegment,
  hasStatus: false,
  prepareForCreate: noop,
  prepareForUpdate: noop,
  validate: (obj) => validateRules(obj.rules, true),
  validateUpdate: (obj) => validateRules(obj.rules, true),
  specChanged: () => false,
};

/** Registry strategy of rbac.authorization.k8s.io/v1 ClusterRole. */
export const clusterRoleStrategy: Strategy<ClusterRole> = {
  info: RESOURCES.clusterroles,
  nameValidator: nameIsPathSegment,
  hasStatus: false,
  prepareForCreate: noop,
  prepareForUpdate: noop,
  validate: (obj) => [...validateRules(obj.rules, false), ...validateAggregationRule(obj)],
  validateUpdate: (obj) => [...validateRules(obj.rules, false), ...validateAggregationRule(obj)],
  specChanged: () => false,
};

/** Registry strategy of rbac.authorization.k8s.io/v1 RoleBinding (roleRef immutable). */
export const roleBindingStrategy: Strategy<RoleBinding> = {
  info: RESOURCES.rolebindings,
  nameValidator: nameIsPathSegment,
  hasStatus: false,
  prepareForCreate: defaultBinding,
  prepareForUpdate: defaultBinding,
  validate: (obj) => validateBinding(obj, true),
  validateUpdate: (obj, old) => [...validateBinding(obj, true), ...validateRoleRefUnchanged(obj, old)],
  specChanged: () => false,
};

/** Registry strategy of rbac.authorization.k8s.io/v1 ClusterRoleBinding (roleRef immutable). */
export const clusterRoleBindingStrategy: Strategy<ClusterRoleBinding> = {
  info: RESOURCES.clusterrolebindings,
  nameValidator: nameIsPathSegment,
  hasStatus: false,
  prepareForCreate: defaultBinding,
  prepareForUpdate: defaultBinding,
  validate: (obj) => validateBinding(obj, false),
  validateUpdate: (obj, old) => [...validateBinding(obj, false), ...validateRoleRefUnchanged(obj, old)],
  specChanged: () => false,
};
