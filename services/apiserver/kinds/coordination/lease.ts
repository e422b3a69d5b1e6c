import type { FieldError } from '../../../../lib/api/errors';
import { FieldPath, invalid } from '../../../../lib/api/validation';
import type { Strategy } from '../../registry/strategy';
import { specDiffers, validateNonNegative, validatePositive } from '../apps/strategy-support';
import { RESOURCES } from '../../../../lib/api/resources';
import type { LeaseSpec, Lease } from '../../../../lib/api/types/coordination';
export type { LeaseSpec, Lease };

const SPEC = FieldPath.root('spec');
/** RFC 3339 with optional fractional seconds (MicroTime is written with six digits). */
const RFC3339_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** Kubernetes' ValidateLeaseSpec: leaseDurationSeconds > 0, leaseTransitions ≥ 0, parseable times. */
export function validateLeaseSpec(spec: LeaseSpec | undefined): FieldError[] {
  if (!spec) return [];
  const errs: FieldError[] = [
    ...validatePositive(spec.leaseDurationSeconds, SPEC.child('leaseDurationSeconds')),
    ...validateNonNegative(spec.leaseTransitions, SPEC.child('leaseTransitions')),
  ];
  for (const f of ['acquireTime', 'renewTime'] as const) {
    const v = spec[f];
    if (v !== undefined && v !== null && (typeof v !== 'string' || !RFC3339_RE.test(v) || Number.isNaN(Date.parse(v)))) {
      errs.push(invalid(SPEC.child(f), v, 'must be an RFC 3339 time, e.g. 2006-01-02T15:04:05.000000Z'));
    }
  }
  return errs;
}

/** Registry strategy of coordination.k8s.io/v1 Lease (no status subresource). */
export const leaseStrategy: Strategy<Lease> = {
  info: RESOURCES.leases,
  hasStatus: false,
  prepareForCreate() {},
  prepareForUpdate() {},
  validate(obj) {
    return validateLeaseSpec(obj.spec);
  },
  validateUpdate(obj) {
    return validateLeaseSpec(obj.spec);
  },
  specChanged: specDiffers,
};
