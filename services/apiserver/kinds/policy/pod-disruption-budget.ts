import type { FieldError } from '../../../../lib/api/errors';
import { validateIntOrPercent } from '../../../../lib/api/int-or-string';
import { validateLabelSelector } from '../../../../lib/api/label-selector';
import { FieldPath, invalid, notSupported } from '../../../../lib/api/validation';
import type { Strategy } from '../../registry/strategy';
import { RESOURCES } from '../../../../lib/api/resources';
import type { PodDisruptionBudget, PodDisruptionBudgetSpec, PodDisruptionBudgetStatus } from '../../../../lib/api/types/policy';

export type { PodDisruptionBudget, PodDisruptionBudgetSpec, PodDisruptionBudgetStatus };
import { specDiffers, validateNonNegative } from '../apps/strategy-support';

/** spec.unhealthyPodEvictionPolicy values (absent behaves as IfHealthyBudget). */
export const UNHEALTHY_POD_EVICTION_POLICIES: readonly string[] = ['IfHealthyBudget', 'AlwaysAllow'];

const SPEC = FieldPath.root('spec');
const STATUS = FieldPath.root('status');
/** The status counters Go always serializes (no omitempty): a fresh budget shows them as 0. */
const STATUS_COUNTERS = ['disruptionsAllowed', 'currentHealthy', 'desiredHealthy', 'expectedPods'] as const;

/** A fresh status: every counter 0, so nothing may be evicted until the disruption controller computes it. */
export function emptyPodDisruptionBudgetStatus(): PodDisruptionBudgetStatus {
  return { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 };
}

/**
 * Kubernetes' ValidatePodDisruptionBudgetSpec: minAvailable and maxUnavailable are each a
 * non-negative integer or a percentage of at most 100%, and not both set; the selector is a
 * valid label selector; unhealthyPodEvictionPolicy is one of the known values.
 */
export function validatePodDisruptionBudgetSpec(spec: PodDisruptionBudgetSpec | undefined): FieldError[] {
  const s = spec ?? {};
  const errs: FieldError[] = [];
  const hasMin = s.minAvailable !== undefined && s.minAvailable !== null;
  const hasMax = s.maxUnavailable !== undefined && s.maxUnavailable !== null;
  if (hasMin && hasMax) errs.push(invalid(SPEC, renderSpec(s), 'minAvailable and maxUnavailable cannot be both set'));
  if (hasMin) errs.push(...validateIntOrPercent(s.minAvailable, SPEC.child('minAvailable'), { max100Percent: true }));
  if (hasMax) errs.push(...validateIntOrPercent(s.maxUnavailable, SPEC.child('maxUnavailable'), { max100Percent: true }));
  errs.push(...validateLabelSelector(s.selector, SPEC.child('selector')));
  if (s.unhealthyPodEvictionPolicy !== undefined && !UNHEALTHY_POD_EVICTION_POLICIES.includes(s.unhealthyPodEvictionPolicy)) {
    errs.push(notSupported(SPEC.child('unhealthyPodEvictionPolicy'), s.unhealthyPodEvictionPolicy, UNHEALTHY_POD_EVICTION_POLICIES));
  }
  return errs;
}

/** Kubernetes' ValidatePodDisruptionBudgetStatus: the counters are never negative. */
export function validatePodDisruptionBudgetStatus(status: PodDisruptionBudgetStatus | undefined): FieldError[] {
  const errs: FieldError[] = [];
  for (const field of STATUS_COUNTERS) errs.push(...validateNonNegative(status?.[field], STATUS.child(field)));
  return errs;
}

/** The spec as Go's %v prints the value of a spec-level error (the two bounds, enough to see the clash). */
function renderSpec(s: PodDisruptionBudgetSpec): string {
  return `{minAvailable: ${String(s.minAvailable)}, maxUnavailable: ${String(s.maxUnavailable)}}`;
}

/**
 * Registry strategy of policy/v1 PodDisruptionBudget: namespaced, short name pdb, a status
 * subresource (the disruption controller's and the eviction's), the spec mutable (policy/v1
 * allows budget changes), generation bumped on spec changes.
 */
export const podDisruptionBudgetStrategy: Strategy<PodDisruptionBudget> = {
  info: RESOURCES.poddisruptionbudgets,
  hasStatus: true,
  prepareForCreate(obj) {
    obj.status = emptyPodDisruptionBudgetStatus();
  },
  prepareForUpdate() {},
  prepareForStatusUpdate(obj) {
    const status = (obj.status ??= {});
    for (const field of STATUS_COUNTERS) status[field] ??= 0;
  },
  validate(obj) {
    return validatePodDisruptionBudgetSpec(obj.spec);
  },
  validateUpdate(obj) {
    return [...validatePodDisruptionBudgetSpec(obj.spec), ...validatePodDisruptionBudgetStatus(obj.status)];
  },
  specChanged: specDiffers,
};
