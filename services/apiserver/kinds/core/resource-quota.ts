/**
 * core/v1 ResourceQuota: hard limits on what one namespace may hold (spec), and what the quota
 * controller and the quota admission recorded (status subresource). Validation is Kubernetes'
 * ValidateResourceQuota: standard or qualified resource names, amounts ≥ 0 (whole numbers for
 * object counts), known scopes valid for every limited resource and never in conflicting pairs,
 * and a scopeSelector of known scopes with In/NotIn/Exists/DoesNotExist.
 */
import type { FieldError } from '../../../../lib/api/errors';
import { RESOURCES } from '../../../../lib/api/resources';
import type { ResourceQuota } from '../../../../lib/api/types/core';
import { FieldPath, invalid, notSupported, required } from '../../../../lib/api/validation';
import { isScopeValidForResource, isStandardQuotaResource, QUOTA_SCOPES } from '../../../../lib/quota/resource-names';
import type { Strategy } from '../../registry/strategy';
import { specDiffers } from './common';
import { validateResourceList, validateResourceName } from './resource-names-validation';

export type { ResourceQuota };

const SPEC = FieldPath.root('spec');
const STATUS = FieldPath.root('status');
/** The operators of a scopeSelector requirement. */
const SCOPE_OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'];
/** Scopes that cannot both apply to one quota. */
const CONFLICTING_SCOPES: readonly (readonly [string, string])[] = [
  ['BestEffort', 'NotBestEffort'],
  ['Terminating', 'NotTerminating'],
];

function isKnownScope(scope: string): boolean {
  return (QUOTA_SCOPES as readonly string[]).includes(scope);
}

function quotaName(name: string, at: FieldPath): FieldError[] {
  return validateResourceName(name, at, isStandardQuotaResource, 'must be a standard resource for quota');
}

/** Kubernetes' validateResourceQuotaScopes, at spec.scopes. */
function validateScopes(scopes: string[], hard: Record<string, string>): FieldError[] {
  const path = SPEC.child('scopes');
  const errs: FieldError[] = [];
  for (const scope of scopes) {
    if (!isKnownScope(scope)) errs.push(invalid(path, scopes, 'unsupported scope'));
    for (const name of Object.keys(hard)) {
      if (isStandardQuotaResource(name) && !isScopeValidForResource(scope, name)) errs.push(invalid(path, scopes, 'unsupported scope applied to resource'));
    }
  }
  for (const [a, b] of CONFLICTING_SCOPES) if (scopes.includes(a) && scopes.includes(b)) errs.push(invalid(path, scopes, 'conflicting scopes'));
  return errs;
}

/** Kubernetes' validateScopeSelector, at spec.scopeSelector. */
function validateScopeSelector(selector: NonNullable<NonNullable<ResourceQuota['spec']>['scopeSelector']>, hard: Record<string, string>): FieldError[] {
  const errs: FieldError[] = [];
  const path = SPEC.child('scopeSelector', 'matchExpressions');
  const scopes: string[] = [];
  (selector.matchExpressions ?? []).forEach((req, i) => {
    const at = path.index(i);
    const scope = req.scopeName ?? '';
    if (!isKnownScope(scope)) errs.push(invalid(at.child('scopeName'), scope, 'unsupported scope'));
    for (const name of Object.keys(hard)) {
      if (isStandardQuotaResource(name) && !isScopeValidForResource(scope, name)) errs.push(invalid(at.child('scopeName'), scope, 'unsupported scope applied to resource'));
    }
    const values = req.values ?? [];
    const op = req.operator ?? '';
    if (op === 'In' || op === 'NotIn') {
      if (values.length === 0) errs.push(required(at.child('values'), "must be at least one value when `operator` is 'In' or 'NotIn' for scope selector"));
    } else if (op === 'Exists' || op === 'DoesNotExist') {
      if (values.length > 0) errs.push(invalid(at.child('values'), values, "must be no value when `operator` is 'Exist' or 'DoesNotExist' for scope selector"));
    } else errs.push(notSupported(at.child('operator'), op, SCOPE_OPERATORS));
    scopes.push(scope);
  });
  for (const [a, b] of CONFLICTING_SCOPES) if (scopes.includes(a) && scopes.includes(b)) errs.push(invalid(path, selector.matchExpressions, 'conflicting scopes'));
  return errs;
}

/** Every invalid field of a ResourceQuota's spec and status (Kubernetes' ValidateResourceQuota). */
export function validateResourceQuota(quota: ResourceQuota): FieldError[] {
  const spec = quota.spec ?? {};
  const hard = spec.hard ?? {};
  const errs = validateResourceList(spec.hard, SPEC.child('hard'), quotaName);
  if (spec.scopes !== undefined && !Array.isArray(spec.scopes)) errs.push(invalid(SPEC.child('scopes'), spec.scopes, 'must be a list of scopes'));
  else errs.push(...validateScopes(spec.scopes ?? [], hard));
  if (spec.scopeSelector) errs.push(...validateScopeSelector(spec.scopeSelector, hard));
  errs.push(...validateResourceList(quota.status?.hard, STATUS.child('hard'), quotaName));
  errs.push(...validateResourceList(quota.status?.used, STATUS.child('used'), quotaName));
  return errs;
}

/** Scopes are fixed at creation (Kubernetes' ValidateResourceQuotaUpdate). */
function validateScopesUnchanged(quota: ResourceQuota, old: ResourceQuota): FieldError[] {
  const same = (a: unknown, b: unknown) => JSON.stringify(a ?? []) === JSON.stringify(b ?? []);
  const errs: FieldError[] = [];
  if (!same(quota.spec?.scopes, old.spec?.scopes)) errs.push(invalid(SPEC.child('scopes'), quota.spec?.scopes, 'field is immutable'));
  if (!same(quota.spec?.scopeSelector?.matchExpressions, old.spec?.scopeSelector?.matchExpressions)) errs.push(invalid(SPEC.child('scopeSelector'), quota.spec?.scopeSelector, 'field is immutable'));
  return errs;
}

/** Registry strategy of core/v1 ResourceQuota (status subresource written by the quota controller and admission). */
export const resourceQuotaStrategy: Strategy<ResourceQuota> = {
  info: RESOURCES.resourcequotas,
  hasStatus: true,
  prepareForCreate(obj) {
    obj.status = {};
  },
  prepareForUpdate() {},
  validate: validateResourceQuota,
  validateUpdate(obj, old) {
    return [...validateResourceQuota(obj), ...validateScopesUnchanged(obj, old)];
  },
  specChanged: specDiffers,
};
