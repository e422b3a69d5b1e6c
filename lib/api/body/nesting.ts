/**
 * How deeply a request body may nest objects and lists, for every body the HTTP API decodes
 * (JSON, YAML, patches, DeleteOptions).
 *
 * Kubernetes allows 10000 levels. Bosun cannot: everything after decoding (the yaml library's
 * composer, field validation, patching, JSON.stringify) recurses once per level, and Node's default
 * stack runs out near 800 levels in the yaml library (where V8 may even abort the whole process
 * compiling a regular expression with the stack nearly full) and near 3000 in JSON.stringify.
 * 500 levels keeps a wide margin below both, and is still twenty times deeper than any built-in
 * kind nests (a CronJob's pod affinity terms are about 15 levels down).
 */
import { BadRequestError } from '../errors';

/** Most levels of nested objects and lists a request body may have. */
export const MAX_NESTING_DEPTH = 500;

/** The 400 for a body nested deeper than MAX_NESTING_DEPTH. */
export function tooDeeplyNested(): BadRequestError {
  return new BadRequestError(`the request body is nested too deeply: the limit is ${MAX_NESTING_DEPTH} levels of objects and lists`);
}

/**
 * Whether `value` nests objects and lists deeper than `limit` levels (a scalar is level 0, `{}`
 * level 1). Iterative, so any depth is safe to ask about; it stops at the first path past the
 * limit. Shared subtrees (YAML aliases) are walked once per reference.
 */
export function nestsDeeperThan(value: unknown, limit: number): boolean {
  const stack: Array<{ value: unknown; depth: number }> = [{ value, depth: 0 }];
  while (stack.length > 0) {
    const { value: v, depth } = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth + 1 > limit) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v as Record<string, unknown>)) {
      if (child !== null && typeof child === 'object') stack.push({ value: child, depth: depth + 1 });
    }
  }
  return false;
}
