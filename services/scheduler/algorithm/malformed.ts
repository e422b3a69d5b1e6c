/**
 * A pod or node the scheduler cannot read: a quantity that does not parse, a selector with an
 * unknown operator, a field of the wrong type. The service reports it (an event, a log line)
 * and skips the object; it never reaches the filters.
 */
export class MalformedObjectError extends Error {
  override readonly name = 'MalformedObjectError';
  constructor(
    /** Path of the offending field, e.g. `spec.containers[0].resources.requests.cpu`. */
    readonly field: string,
    detail: string,
  ) {
    super(`${field}: ${detail}`);
  }
}

/** Throws a MalformedObjectError unless `value` is an array (or absent, giving []). */
export function arrayAt<T>(value: unknown, field: string): T[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new MalformedObjectError(field, 'must be a list');
  return value as T[];
}

/** Throws a MalformedObjectError unless `value` is a plain object (or absent, giving {}). */
export function recordAt<T>(value: unknown, field: string): Record<string, T> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new MalformedObjectError(field, 'must be a map');
  return value as Record<string, T>;
}

/** Throws a MalformedObjectError unless `value` is a string (or absent, giving `fallback`). */
export function stringAt(value: unknown, field: string, fallback = ''): string {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'string') throw new MalformedObjectError(field, 'must be a string');
  return value;
}

/** Throws a MalformedObjectError unless `value` is an integer (or absent, giving `fallback`). */
export function integerAt(value: unknown, field: string, fallback: number): number {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new MalformedObjectError(field, 'must be an integer');
  return value;
}
