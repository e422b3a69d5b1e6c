/**
 * Arithmetic on ResourceLists (resource name → quantity string), as Kubernetes' quota helpers
 * do it: sums, masks to a set of names, the "≤ hard" check, and the `name=value,…` form the
 * quota messages print. A value that is not a quantity counts as absent (validation reports it).
 */
import { Quantity } from '../api/quantity';
import type { ResourceList } from '../api/types/core';

/** The quantity of `value`, or undefined when it is not one. */
export function tryQuantity(value: unknown): Quantity | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  try {
    return Quantity.parse(String(value));
  } catch {
    return undefined;
  }
}

/** `a + b`, per name: names in only one list keep their value; a sum keeps the first non-zero term's format. */
export function addLists(a: ResourceList, b: ResourceList): ResourceList {
  const out: ResourceList = { ...a };
  for (const [name, value] of Object.entries(b)) {
    const qb = tryQuantity(value);
    if (!qb) continue;
    const qa = tryQuantity(out[name]);
    // A zero takes the other's format, as Kubernetes' Quantity.Add does ("0" + "1Gi" is "1Gi").
    out[name] = (qa && !qa.isZero() ? qa.add(qb) : qb).toString();
  }
  return out;
}

/** `a - b`, per name of `a` (Kubernetes' quota.Subtract keeps only a's names). */
export function subtractLists(a: ResourceList, b: ResourceList): ResourceList {
  const out: ResourceList = {};
  for (const [name, value] of Object.entries(a)) {
    const qa = tryQuantity(value);
    if (!qa) continue;
    const qb = tryQuantity(b[name]);
    out[name] = (qb ? qa.sub(qb) : qa).toString();
  }
  return out;
}

/** The entries of `list` whose names are in `names`. */
export function maskList(list: ResourceList, names: Iterable<string>): ResourceList {
  const out: ResourceList = {};
  for (const name of names) if (list[name] !== undefined) out[name] = list[name];
  return out;
}

/**
 * Whether every entry of `a` is ≤ the same entry of `b` (an entry `b` lacks is not limited);
 * the names that are not, sorted.
 */
export function lessThanOrEqual(a: ResourceList, b: ResourceList): { allowed: boolean; exceeded: string[] } {
  const exceeded: string[] = [];
  for (const [name, value] of Object.entries(a)) {
    const qb = tryQuantity(b[name]);
    const qa = tryQuantity(value);
    if (qa && qb && qa.cmp(qb) > 0) exceeded.push(name);
  }
  exceeded.sort();
  return { allowed: exceeded.length === 0, exceeded };
}

/** Whether both lists hold the same names with equal amounts. */
export function listsEqual(a: ResourceList | undefined, b: ResourceList | undefined): boolean {
  const ka = Object.keys(a ?? {});
  if (ka.length !== Object.keys(b ?? {}).length) return false;
  return ka.every((name) => {
    const qa = tryQuantity(a![name]);
    const qb = tryQuantity(b?.[name]);
    return qa !== undefined && qb !== undefined ? qa.equals(qb) : a![name] === b?.[name];
  });
}

/** Kubernetes' quota prettyPrint: `name=value` pairs sorted by name, joined by commas. */
export function formatList(list: ResourceList): string {
  return Object.keys(list)
    .sort()
    .map((name) => `${name}=${tryQuantity(list[name])?.toString() ?? list[name]}`)
    .join(',');
}

/** A list of the same names, every amount zero. */
export function zeroList(names: Iterable<string>): ResourceList {
  const out: ResourceList = {};
  for (const name of names) out[name] = '0';
  return out;
}
