/**
 * Defensive readers for API objects of unknown shape. Printers read user-supplied objects that
 * may be malformed; every reader here returns a safe default instead of throwing.
 */

/** A plain record view of `v`, or an empty record when `v` is not an object. */
export function rec(v: unknown): Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/** `v` as an array, or `[]`. */
export function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

/** `v` as an array of records (non-objects become empty records). */
export function recs(v: unknown): Record<string, unknown>[] {
  return arr(v).map(rec);
}

/** `v` as a string: strings as-is, finite numbers and booleans converted, anything else `''`. */
export function str(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v === 'boolean') return String(v);
  return '';
}

/** `v` as an integer, or `dflt` when it is not a finite number (numeric strings are accepted). */
export function int(v: unknown, dflt = 0): number {
  if (typeof v === 'number' && Number.isFinite(v)) return Math.trunc(v);
  if (typeof v === 'string' && /^-?\d+$/.test(v.trim())) return parseInt(v, 10);
  return dflt;
}

/** `v` as an integer, or `undefined` when absent or not a number. */
export function optInt(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return Math.trunc(v);
  if (typeof v === 'string' && /^-?\d+$/.test(v.trim())) return parseInt(v, 10);
  return undefined;
}

/** Follows a path of keys through nested records. */
export function dig(v: unknown, ...path: string[]): unknown {
  let cur: unknown = v;
  for (const k of path) cur = rec(cur)[k];
  return cur;
}

/** `v` as a string map (non-string values are converted with {@link str}). */
export function strMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(rec(v))) out[k] = str(val);
  return out;
}

/** Sorted keys, by UTF-16 code unit order (as Go's sort.Strings on ASCII). */
export function sortedKeys(m: Record<string, unknown>): string[] {
  return Object.keys(m).sort(compareStrings);
}

/** Byte-wise string comparison (no locale). */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** labels.FormatLabels: `k=v` pairs sorted by key, comma-separated; `<none>` when empty. */
export function formatLabels(labels: unknown): string {
  const m = strMap(labels);
  const keys = sortedKeys(m);
  if (keys.length === 0) return '<none>';
  return keys.map((k) => `${k}=${m[k]}`).join(',');
}

/**
 * The selector string of a metav1.LabelSelector as `LabelSelectorAsSelector(...).String()` gives
 * it: requirements sorted by key, `k=v`, `k in (a,b)`, `k notin (a,b)`, `k`, `!k`. Returns `''`
 * for an absent or empty selector and `undefined` when an operator is not understood.
 */
export function labelSelectorString(sel: unknown): string | undefined {
  const s = rec(sel);
  const reqs: { key: string; text: string }[] = [];
  for (const [k, v] of Object.entries(strMap(s.matchLabels))) reqs.push({ key: k, text: `${k}=${v}` });
  for (const e of recs(s.matchExpressions)) {
    const key = str(e.key);
    const values = arr(e.values).map(str).sort(compareStrings);
    switch (str(e.operator)) {
      case 'In':
        reqs.push({ key, text: `${key} in (${values.join(',')})` });
        break;
      case 'NotIn':
        reqs.push({ key, text: `${key} notin (${values.join(',')})` });
        break;
      case 'Exists':
        reqs.push({ key, text: key });
        break;
      case 'DoesNotExist':
        reqs.push({ key, text: `!${key}` });
        break;
      default:
        return undefined;
    }
  }
  // Stable sort by key, as labels.Requirements are sorted by key.
  return reqs
    .map((r, i) => ({ ...r, i }))
    .sort((a, b) => compareStrings(a.key, b.key) || a.i - b.i)
    .map((r) => r.text)
    .join(',');
}

/** metav1.FormatLabelSelector: the selector string, `<none>` when empty, `<error>` when invalid. */
export function formatLabelSelector(sel: unknown): string {
  const s = labelSelectorString(sel);
  if (s === undefined) return '<error>';
  return s === '' ? '<none>' : s;
}

/** Comma-joined container names and images of a pod spec (the wide CONTAINERS/IMAGES cells). */
export function layoutContainerCells(podSpec: unknown): { names: string; images: string } {
  const cs = recs(rec(podSpec).containers);
  return { names: cs.map((c) => str(c.name)).join(','), images: cs.map((c) => str(c.image)).join(',') };
}

/** The pod spec inside a workload's `spec.template`. */
export function templateSpec(obj: unknown): Record<string, unknown> {
  return rec(dig(obj, 'spec', 'template', 'spec'));
}

/** The controller owner reference of an object, if any. */
export function controllerOf(obj: unknown): Record<string, unknown> | undefined {
  return recs(dig(obj, 'metadata', 'ownerReferences')).find((r) => r.controller === true);
}

/** Status of the condition of `type` in a conditions array, or undefined. */
export function conditionStatus(conditions: unknown, type: string): string | undefined {
  const c = recs(conditions).find((x) => x.type === type);
  return c ? str(c.status) : undefined;
}

/** Go's `%v` of a scalar field for generic output. */
export function scalarText(v: unknown): string {
  if (v === null || v === undefined) return '<none>';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}
