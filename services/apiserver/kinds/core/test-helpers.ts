import type { FieldError } from '../../../../lib/api/errors';

/**
 * Test helpers of the core kind suites (not used outside tests).
 */

/** Errors as `field: message` lines, the way InvalidError prints them. */
export function lines(errs: readonly FieldError[]): string[] {
  return errs.map((e) => `${e.field}: ${e.message}`);
}

/** A deep copy through JSON. */
export function clone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}
