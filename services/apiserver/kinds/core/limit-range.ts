/**
 * core/v1 LimitRange: per-namespace bounds and defaults for containers, pods and claims, applied
 * by the LimitRanger admission. Defaulting is Kubernetes' SetDefaults_LimitRangeItem (for a
 * Container item: default ← max, defaultRequest ← default, then ← min); validation is
 * ValidateLimitRange: known types (Container, Pod, PersistentVolumeClaim) once each, resource
 * names standard for the type, min ≤ defaultRequest ≤ default ≤ max, maxLimitRequestRatio ≥ 1
 * and ≤ max/min, no defaults for Pod, a storage bound for PersistentVolumeClaim.
 */
import type { FieldError } from '../../../../lib/api/errors';
import { RESOURCES } from '../../../../lib/api/resources';
import type { LimitRange, LimitRangeItem, ResourceList } from '../../../../lib/api/types/core';
import { duplicate, FieldPath, forbidden, invalid, required } from '../../../../lib/api/validation';
import { tryQuantity } from '../../../../lib/quota/resource-list';
import { isStandardContainerResource, STANDARD_RESOURCES } from '../../../../lib/quota/resource-names';
import type { Strategy } from '../../registry/strategy';
import { specDiffers } from './common';
import { validateResourceList, validateResourceName } from './resource-names-validation';

export type { LimitRange, LimitRangeItem };

/** The limit types Kubernetes defines. */
export const LIMIT_TYPES = ['Pod', 'Container', 'PersistentVolumeClaim'] as const;

const LIMITS = FieldPath.root('spec').child('limits');

/** Kubernetes' SetDefaults_LimitRangeItem, in place. */
export function defaultLimitRangeItem(item: LimitRangeItem): void {
  if (item.type !== 'Container') return;
  const def = (item.default ??= {});
  const defReq = (item.defaultRequest ??= {});
  for (const [k, v] of Object.entries(item.max ?? {})) if (def[k] === undefined) def[k] = v;
  for (const [k, v] of Object.entries(def)) if (defReq[k] === undefined) defReq[k] = v;
  for (const [k, v] of Object.entries(item.min ?? {})) if (defReq[k] === undefined) defReq[k] = v;
}

function defaults(obj: LimitRange): void {
  for (const item of obj.spec?.limits ?? []) if (item && typeof item === 'object') defaultLimitRangeItem(item);
}

function typeName(type: string, at: FieldPath): FieldError[] {
  return validateResourceName(type, at, (t) => (LIMIT_TYPES as readonly string[]).includes(t), 'must be a standard limit type or fully qualified');
}

function nameChecker(type: string | undefined): (name: string, at: FieldPath) => FieldError[] {
  if (type === 'Pod' || type === 'Container') return (name, at) => validateResourceName(name, at, isStandardContainerResource, 'must be a standard resource for containers');
  return (name, at) => validateResourceName(name, at, (n) => STANDARD_RESOURCES.has(n), 'must be a standard resource type or fully qualified');
}

/** The quantity of `list[k]`, if well-formed. */
function q(list: ResourceList | undefined, k: string) {
  return list?.[k] === undefined ? undefined : tryQuantity(list[k]);
}

/** The ordering checks of one resource `k` of an item at `at` (Kubernetes' messages). */
function validateOrdering(item: LimitRangeItem, k: string, at: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  const min = q(item.min, k);
  const max = q(item.max, k);
  const def = item.type === 'Pod' ? undefined : q(item.default, k);
  const defReq = item.type === 'Pod' ? undefined : q(item.defaultRequest, k);
  const ratio = q(item.maxLimitRequestRatio, k);
  if (min && max && min.cmp(max) > 0) errs.push(invalid(at.child('min').key(k), min.toString(), `min value ${min} is greater than max value ${max}`));
  if (defReq && min && min.cmp(defReq) > 0) errs.push(invalid(at.child('defaultRequest').key(k), defReq.toString(), `min value ${min} is greater than default request value ${defReq}`));
  if (defReq && max && defReq.cmp(max) > 0) errs.push(invalid(at.child('defaultRequest').key(k), defReq.toString(), `default request value ${defReq} is greater than max value ${max}`));
  if (defReq && def && defReq.cmp(def) > 0) errs.push(invalid(at.child('defaultRequest').key(k), defReq.toString(), `default request value ${defReq} is greater than default limit value ${def}`));
  if (def && min && min.cmp(def) > 0) errs.push(invalid(at.child('default').key(k), min.toString(), `min value ${min} is greater than default value ${def}`));
  if (def && max && def.cmp(max) > 0) errs.push(invalid(at.child('default').key(k), max.toString(), `default value ${def} is greater than max value ${max}`));
  if (ratio && ratio.nanos < 1_000_000_000n) errs.push(invalid(at.child('maxLimitRequestRatio').key(k), ratio.toString(), `ratio ${ratio} is less than 1`));
  if (ratio && min && max && !min.isZero()) {
    const limit = Number(max.nanos) / Number(min.nanos);
    if (Number(ratio.nanos) / 1e9 > limit) errs.push(invalid(at.child('maxLimitRequestRatio').key(k), ratio.toString(), `ratio ${ratio} is greater than max/min = ${limit.toFixed(6)}`));
  }
  return errs;
}

/** Every invalid field of one item at `at`. */
function validateItem(item: LimitRangeItem, at: FieldPath): FieldError[] {
  const type = item.type ?? '';
  const errs = typeName(type, at.child('type'));
  const names = nameChecker(item.type);
  errs.push(...validateResourceList(item.max, at.child('max'), names), ...validateResourceList(item.min, at.child('min'), names));
  if (type === 'Pod') {
    if (Object.keys(item.default ?? {}).length > 0) errs.push(forbidden(at.child('default'), "may not be specified when `type` is 'Pod'"));
    if (Object.keys(item.defaultRequest ?? {}).length > 0) errs.push(forbidden(at.child('defaultRequest'), "may not be specified when `type` is 'Pod'"));
  } else {
    errs.push(...validateResourceList(item.default, at.child('default'), names), ...validateResourceList(item.defaultRequest, at.child('defaultRequest'), names));
  }
  if (type === 'PersistentVolumeClaim' && item.min?.storage === undefined && item.max?.storage === undefined) {
    errs.push(required(at.child('limits'), 'either minimum or maximum storage value is required, but neither was provided'));
  }
  errs.push(...validateResourceList(item.maxLimitRequestRatio, at.child('maxLimitRequestRatio'), names));
  const keys = new Set([...Object.keys(item.max ?? {}), ...Object.keys(item.min ?? {}), ...Object.keys(item.default ?? {}), ...Object.keys(item.defaultRequest ?? {}), ...Object.keys(item.maxLimitRequestRatio ?? {})]);
  for (const k of [...keys].sort()) errs.push(...validateOrdering(item, k, at));
  return errs;
}

/** Every invalid field of a LimitRange (Kubernetes' ValidateLimitRange). */
export function validateLimitRange(obj: LimitRange): FieldError[] {
  const limits = obj.spec?.limits;
  if (limits === undefined || limits === null) return [];
  if (!Array.isArray(limits)) return [invalid(LIMITS, limits, 'must be a list of limit range items')];
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  limits.forEach((item, i) => {
    const at = LIMITS.index(i);
    if (!item || typeof item !== 'object') {
      errs.push(invalid(at, item, 'must be an object'));
      return;
    }
    if (item.type !== undefined && seen.has(item.type)) errs.push(duplicate(at.child('type'), item.type));
    if (item.type !== undefined) seen.add(item.type);
    errs.push(...validateItem(item, at));
  });
  return errs;
}

/** Registry strategy of core/v1 LimitRange (no status). */
export const limitRangeStrategy: Strategy<LimitRange> = {
  info: RESOURCES.limitranges,
  hasStatus: false,
  prepareForCreate: defaults,
  prepareForUpdate: defaults,
  validate: validateLimitRange,
  validateUpdate: validateLimitRange,
  specChanged: specDiffers,
};
