import type { FieldError } from '../../../../lib/api/errors';
import { selectorFromLabelSelector, validateLabelSelector, type LabelSelector } from '../../../../lib/api/label-selector';
import type { KubeObject } from '../../../../lib/api/object';
import { invalid, required, toPath, type PathLike } from '../../../../lib/api/validation';
import { jsonEqual } from '../../registry/object-codec';

/**
 * Helpers shared by the non-core strategies (apps, batch, coordination, rbac, autoscaling,
 * scheduling): Kubernetes' number rules and Go-style value rendering,
 * and the "selector must match the template" rule of the workload kinds.
 */

/** True when the JSON content of `a` and `b` differs (key order ignored). */
export function differs(a: unknown, b: unknown): boolean {
  return !jsonEqual(a ?? null, b ?? null);
}

/** The usual generation rule: the spec changed. */
export function specDiffers(obj: KubeObject, old: KubeObject): boolean {
  return differs(obj.spec, old.spec);
}

/** `Invalid value: N: must be greater than or equal to 0` for a set negative number. */
export function validateNonNegative(value: unknown, path: PathLike): FieldError[] {
  if (value === undefined || value === null) return [];
  if (typeof value !== 'number' || !Number.isInteger(value)) return [invalid(path, value, 'must be an integer')];
  return value < 0 ? [invalid(path, value, 'must be greater than or equal to 0')] : [];
}

/** `Invalid value: N: must be greater than 0` for a set number below 1. */
export function validatePositive(value: unknown, path: PathLike): FieldError[] {
  if (value === undefined || value === null) return [];
  if (typeof value !== 'number' || !Number.isInteger(value)) return [invalid(path, value, 'must be an integer')];
  return value <= 0 ? [invalid(path, value, 'must be greater than 0')] : [];
}

/** A label map as Go's `%#v` prints it in field errors: `map[string]string{"app":"web"}`. */
export function goStringMap(m: Record<string, string> | undefined | null): string {
  if (m === undefined || m === null) return 'map[string]string(nil)';
  const entries = Object.keys(m)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${JSON.stringify(m[k])}`);
  return `map[string]string{${entries.join(', ')}}`;
}

/** A string list as Go's `%#v` prints it: `[]string{"a", "b"}`. */
export function goStringSlice(values: readonly string[] | undefined | null): string {
  if (values === undefined || values === null) return '[]string(nil)';
  return `[]string{${values.map((v) => JSON.stringify(v)).join(', ')}}`;
}

/** A FieldValueInvalid error whose value is already rendered (Go `%#v` style). */
export function invalidRendered(path: PathLike, rendered: string, detail: string): FieldError {
  return { type: 'FieldValueInvalid', field: String(path), message: `Invalid value: ${rendered}: ${detail}` };
}

/**
 * Kubernetes' selector rules of a controller spec at `specPath`: the selector is required
 * (`spec.selector: Required value`), valid, not empty (`empty selector is invalid for
 * <what>`), and, when `templateLabels` is given, matches them
 * (`spec.template.metadata.labels: Invalid value: map[string]string{…}: \`selector\` does not
 * match template \`labels\``).
 */
export function validateControllerSelector(
  selector: LabelSelector | undefined,
  templateLabels: Record<string, string> | undefined,
  specPath: PathLike,
  what: string,
  opts: { requireNonEmpty?: boolean } = {},
): FieldError[] {
  const p = toPath(specPath);
  if (selector === undefined || selector === null) return [required(p.child('selector'))];
  const errs = validateLabelSelector(selector, p.child('selector'));
  const empty = Object.keys(selector.matchLabels ?? {}).length + (selector.matchExpressions ?? []).length === 0;
  if (empty && opts.requireNonEmpty !== false) errs.push(invalid(p.child('selector'), selector, `empty selector is invalid for ${what}`));
  if (errs.length > 0 || empty) return errs;
  const sel = selectorFromLabelSelector(selector, p.child('selector'));
  if (!sel.matches(templateLabels ?? {})) {
    errs.push(invalidRendered(p.child('template', 'metadata', 'labels'), goStringMap(templateLabels), '`selector` does not match template `labels`'));
  }
  return errs;
}
