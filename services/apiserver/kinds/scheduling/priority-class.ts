import type { FieldError } from '../../../../lib/api/errors';
import { FieldPath, forbidden, invalid, notSupported, required, validateImmutableField } from '../../../../lib/api/validation';
import type { Strategy } from '../../registry/strategy';
import { RESOURCES } from '../../../../lib/api/resources';
import type { PriorityClass } from '../../../../lib/api/types/scheduling';
export type { PriorityClass };

/** Highest value a user-defined PriorityClass may have. */
export const HIGHEST_USER_DEFINABLE_PRIORITY = 1_000_000_000;
/** Name prefix reserved for the system priority classes. */
export const SYSTEM_PRIORITY_CLASS_PREFIX = 'system-';
/** The system priority classes and their fixed values. */
export const SYSTEM_PRIORITY_CLASSES: Readonly<Record<string, number>> = {
  'system-cluster-critical': 2_000_000_000,
  'system-node-critical': 2_000_001_000,
};
/** Preemption policies. */
export const PREEMPTION_POLICIES: readonly string[] = ['PreemptLowerPriority', 'Never'];
const INT32_MIN = -2_147_483_648;
const INT32_MAX = 2_147_483_647;

const VALUE = FieldPath.root('value');
const POLICY = FieldPath.root('preemptionPolicy');

/** Kubernetes' SetDefaults_PriorityClass: preemptionPolicy PreemptLowerPriority. */
export function defaultPriorityClass(obj: PriorityClass): void {
  obj.preemptionPolicy ??= 'PreemptLowerPriority';
}

/**
 * Kubernetes' ValidatePriorityClass: value (required int32), reserved names (a `system-` name
 * must be a system class with its fixed value, never the global default), preemptionPolicy.
 */
export function validatePriorityClass(obj: PriorityClass): FieldError[] {
  const errs: FieldError[] = [];
  const name = obj.metadata.name ?? '';
  const value = obj.value;
  if (value === undefined || value === null) errs.push(required(VALUE));
  else if (typeof value !== 'number' || !Number.isInteger(value) || value < INT32_MIN || value > INT32_MAX) {
    errs.push(invalid(VALUE, value, `must be an integer between ${INT32_MIN} and ${INT32_MAX}`));
  } else if (name.startsWith(SYSTEM_PRIORITY_CLASS_PREFIX)) {
    const known = SYSTEM_PRIORITY_CLASSES[name];
    const why =
      known === undefined
        ? `${name} is not a known system priority class`
        : value !== known
          ? `value of ${name} PriorityClass must be ${known}`
          : obj.globalDefault === true
            ? `globalDefault of ${name} PriorityClass must be false`
            : undefined;
    if (why) errs.push(forbidden(FieldPath.root('metadata').child('name'), `priority class names with '${SYSTEM_PRIORITY_CLASS_PREFIX}' prefix are reserved for system use only. error: ${why}`));
  } else if (value > HIGHEST_USER_DEFINABLE_PRIORITY) {
    errs.push(forbidden(VALUE, `maximum allowed value of a user defined priority is ${HIGHEST_USER_DEFINABLE_PRIORITY}`));
  }
  if (obj.preemptionPolicy !== undefined && !PREEMPTION_POLICIES.includes(obj.preemptionPolicy)) {
    errs.push(notSupported(POLICY, obj.preemptionPolicy, PREEMPTION_POLICIES));
  }
  return errs;
}

/** Registry strategy of scheduling.k8s.io/v1 PriorityClass (value and preemptionPolicy immutable). */
export const priorityClassStrategy: Strategy<PriorityClass> = {
  info: RESOURCES.priorityclasses,
  hasStatus: false,
  prepareForCreate: defaultPriorityClass,
  prepareForUpdate: defaultPriorityClass,
  validate: validatePriorityClass,
  validateUpdate(obj, old) {
    const errs = validatePriorityClass(obj);
    if (obj.value !== old.value) errs.push(forbidden(VALUE, 'may not be changed in an update.'));
    errs.push(...validateImmutableField(obj.preemptionPolicy, old.preemptionPolicy, POLICY));
    return errs;
  },
  specChanged: () => false,
};
