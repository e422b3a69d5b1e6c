/**
 * IntOrString fields such as a Deployment's `maxSurge` / `maxUnavailable`: either an absolute
 * count (3) or a percentage of a total ("25%").
 */

import { BadRequestError, FieldError } from './errors';
import { PathLike } from './field-path';
import { invalid } from './validation';

/** Kubernetes' IntOrString in its JSON shape: a number or a string. */
export type IntOrString = number | string;

const PERCENT_RE = /^[0-9]+%$/;
const PERCENT_ERROR =
  "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')";

/**
 * Resolves `value` against `total`: a number is returned as is; "p%" gives p% of total, rounded
 * up when `roundUp` (maxSurge) and down otherwise (maxUnavailable). Throws BadRequestError for
 * a missing value, a string without '%', or a non-integer percentage.
 */
export function resolveIntOrPercent(value: IntOrString | undefined | null, total: number, roundUp: boolean): number {
  if (value === undefined || value === null) throw new BadRequestError('nil value for IntOrString');
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new BadRequestError(`invalid value for IntOrString: invalid value "${value}": not an integer`);
    return value;
  }
  if (!value.endsWith('%')) throw new BadRequestError('invalid value for IntOrString: invalid type: string is not a percentage');
  const digits = value.slice(0, -1);
  if (!/^-?[0-9]+$/.test(digits)) throw new BadRequestError(`invalid value for IntOrString: invalid value "${value}"`);
  const scaled = Number(digits) * total;
  return roundUp ? Math.ceil(scaled / 100) : Math.floor(scaled / 100);
}

/**
 * Validates a non-negative IntOrString: an integer ≥ 0 or a string like "25%"; with
 * `max100Percent`, a percentage above 100% is invalid too.
 */
export function validateIntOrPercent(value: unknown, path: PathLike, opts: { max100Percent?: boolean } = {}): FieldError[] {
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) return [invalid(path, value, 'must be an integer or percentage')];
    return value < 0 ? [invalid(path, value, 'must be greater than or equal to 0')] : [];
  }
  if (typeof value !== 'string') return [invalid(path, value, 'must be an integer or percentage')];
  if (!PERCENT_RE.test(value)) return [invalid(path, value, PERCENT_ERROR)];
  if (opts.max100Percent && Number(value.slice(0, -1)) > 100) return [invalid(path, value, 'must not be greater than 100%')];
  return [];
}
