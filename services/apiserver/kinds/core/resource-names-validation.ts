/**
 * Validation of resource names and amounts in ResourceLists (ResourceQuota hard/used, LimitRange
 * items), with Kubernetes' messages: names are qualified names, plain ones must be standard for
 * where they appear; amounts are quantities ≥ 0, whole numbers for object counts.
 */
import type { FieldError } from '../../../../lib/api/errors';
import { tryQuantity } from '../../../../lib/quota/resource-list';
import { isIntegerResource } from '../../../../lib/quota/resource-names';
import { validateQuantity } from '../../../../lib/api/quantity';
import { invalid, qualifiedNameErrors, type FieldPath } from '../../../../lib/api/validation';

/** Kubernetes' message for a fractional amount of a counted resource. */
export const NOT_INTEGER_MESSAGE = 'must be an integer';

/**
 * A resource name at `path`: a qualified name, and when it has no domain, one `isStandard`
 * accepts (else `Invalid value: "x": <notStandard>`).
 */
export function validateResourceName(name: string, path: FieldPath, isStandard: (name: string) => boolean, notStandard: string): FieldError[] {
  const msgs = qualifiedNameErrors(name);
  if (msgs.length > 0) return msgs.map((m) => invalid(path, name, m));
  if (!name.includes('/') && !isStandard(name)) return [invalid(path, name, notStandard)];
  return [];
}

/** Kubernetes' ValidateResourceQuantityValue: a quantity ≥ 0, whole for integer resources. */
export function validateResourceAmount(name: string, value: unknown, path: FieldPath): FieldError[] {
  const errs = validateQuantity(value, path, { nonNegative: true });
  if (errs.length > 0) return errs;
  const q = tryQuantity(value)!;
  if (isIntegerResource(name) && q.nanos % 1_000_000_000n !== 0n) return [invalid(path, q.toString(), NOT_INTEGER_MESSAGE)];
  return [];
}

/** Every entry of a ResourceList at `path` (names by `checkName`, amounts ≥ 0 and whole where counted). */
export function validateResourceList(
  list: unknown,
  path: FieldPath,
  checkName: (name: string, at: FieldPath) => FieldError[],
): FieldError[] {
  if (list === undefined || list === null) return [];
  if (typeof list !== 'object' || Array.isArray(list)) return [invalid(path, list, 'must be a map of resource names to quantities')];
  const errs: FieldError[] = [];
  for (const [name, value] of Object.entries(list as Record<string, unknown>)) {
    const at = path.key(name);
    errs.push(...checkName(name, at), ...validateResourceAmount(name, value, at));
  }
  return errs;
}
