import { isIP } from 'node:net';
import type { FieldError } from '../../../../lib/api/errors';
import { invalid, notSupported, toPath, type PathLike } from '../../../../lib/api/validation';
import type { KubeObject } from '../../../../lib/api/object';
import { jsonEqual } from '../../registry/object-codec';

/**
 * Helpers shared by the core/v1 strategies: port numbers and names, protocols, IPs, deep
 * comparison. Messages follow Kubernetes' validation package.
 */

/** Smallest and largest TCP/UDP port number. */
export const MIN_PORT = 1;
export const MAX_PORT = 65535;
/** Longest IANA service (port) name, in characters. */
export const PORT_NAME_MAX_LENGTH = 15;
/** Protocols a port may carry. */
export const PROTOCOLS: readonly string[] = ['TCP', 'UDP', 'SCTP'];

/** True when `a` and `b` have the same JSON content (key order ignored). */
export function deepEqual(a: unknown, b: unknown): boolean {
  return jsonEqual(a, b);
}

/** True when the spec of `obj` differs from the spec of `old` (the usual generation rule). */
export function specDiffers(obj: KubeObject, old: KubeObject): boolean {
  return !deepEqual(obj.spec ?? null, old.spec ?? null);
}

/** `Invalid value: N: must be between 1 and 65535, inclusive` unless `port` is a valid port. */
export function validatePortNumber(port: unknown, path: PathLike): FieldError[] {
  if (typeof port !== 'number' || !Number.isInteger(port) || port < MIN_PORT || port > MAX_PORT) {
    return [invalid(path, port, `must be between ${MIN_PORT} and ${MAX_PORT}, inclusive`)];
  }
  return [];
}

/** Problems of `name` as an IANA service name (Kubernetes' IsValidPortName). */
export function portNameErrors(name: string): string[] {
  const errs: string[] = [];
  if (name.length > PORT_NAME_MAX_LENGTH) errs.push(`must be no more than ${PORT_NAME_MAX_LENGTH} characters`);
  if (!/^[-a-z0-9]+$/.test(name)) errs.push('must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)');
  if (!/[a-z]/.test(name)) errs.push('must contain at least one letter (a-z)');
  if (name.includes('--')) errs.push('must not contain consecutive hyphens');
  if (name.startsWith('-') || name.endsWith('-')) errs.push('must not begin or end with a hyphen');
  return errs;
}

/** Validates an IANA service (port) name. */
export function validatePortName(name: string, path: PathLike): FieldError[] {
  return portNameErrors(name).map((m) => invalid(path, name, m));
}

/** `Unsupported value` unless `value` is one of `allowed` (absent values pass). */
export function validateEnum(value: unknown, allowed: readonly string[], path: PathLike): FieldError[] {
  if (value === undefined) return [];
  return typeof value === 'string' && allowed.includes(value) ? [] : [notSupported(path, value, allowed)];
}

/** `Not found: "x"` (Kubernetes' field.NotFound; reported with the Invalid cause type). */
export function notFound(path: PathLike, value: unknown): FieldError {
  return { type: 'FieldValueInvalid', field: String(toPath(path)), message: `Not found: ${JSON.stringify(value)}` };
}

/** `Invalid value: "x": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)`. */
export function validateIp(value: unknown, path: PathLike): FieldError[] {
  if (typeof value === 'string' && isIP(value) !== 0) return [];
  return [invalid(path, value, 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)')];
}

/** True when `value` is a plain object (not an array or null). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `Invalid value: N: must be greater than or equal to 0` for a negative number. */
export function validateNonNegative(value: number | undefined, path: PathLike): FieldError[] {
  return value !== undefined && value < 0 ? [invalid(path, value, 'must be greater than or equal to 0')] : [];
}

/** Like isRecord, without narrowing (for values already typed as objects). */
export function isObject(value: unknown): boolean {
  return isRecord(value);
}

/**
 * The object elements of a list field with their paths. A value that is not a list, or an
 * element that is not an object, is reported into `errs` (instead of failing the request with
 * a TypeError) and skipped.
 */
export function objectItems<T>(list: T[] | undefined | null, path: PathLike, errs: FieldError[]): [T, ReturnType<typeof toPath>][] {
  const p = toPath(path);
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) {
    errs.push(invalid(p, list, 'must be a list'));
    return [];
  }
  const out: [T, ReturnType<typeof toPath>][] = [];
  list.forEach((item, i) => {
    if (isRecord(item)) out.push([item, p.index(i)]);
    else errs.push(invalid(p.index(i), item, 'must be an object'));
  });
  return out;
}

/** Reports a map field that is present but not an object; true when it is usable. */
export function checkMap(value: unknown, path: PathLike, errs: FieldError[]): boolean {
  if (value === undefined || value === null) return false;
  if (isRecord(value)) return true;
  errs.push(invalid(path, value, 'must be an object'));
  return false;
}
