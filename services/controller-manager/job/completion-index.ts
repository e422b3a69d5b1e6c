/**
 * Completion indexes of Indexed Jobs: the index a pod carries, and the compressed interval
 * form of status.completedIndexes / status.failedIndexes ("1,3-5": ascending, and any run of
 * two or more consecutive indexes written as a range, "1-2").
 */
import type { Pod } from '../../../lib/api/types';

/** Annotation and label a pod of an Indexed Job carries its completion index in. */
export const JOB_COMPLETION_INDEX_ANNOTATION = 'batch.kubernetes.io/job-completion-index';
/** The environment variable the index reaches the containers through. */
export const JOB_COMPLETION_INDEX_ENV = 'JOB_COMPLETION_INDEX';

/** The pod's completion index, or undefined when it has none or it is not a non-negative integer below `completions`. */
export function completionIndexOf(pod: Pod, completions: number): number | undefined {
  const text = pod.metadata.annotations?.[JOB_COMPLETION_INDEX_ANNOTATION];
  if (text === undefined || !/^\d+$/.test(text)) return undefined;
  const index = Number(text);
  return index < completions ? index : undefined;
}

/**
 * The index set written as Kubernetes does: ascending, runs of consecutive indexes as `a-b`,
 * comma-separated ("" when empty). E.g. {1,3,4,5} → "1,3-5".
 */
export function formatIndexes(indexes: Iterable<number>): string {
  const sorted = [...new Set(indexes)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    parts.push(j === i ? String(sorted[i]) : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/**
 * The indexes of a compressed string (the inverse of {@link formatIndexes}); indexes at or
 * above `completions` and malformed parts are dropped, as Kubernetes drops them.
 */
export function parseIndexes(text: string | undefined, completions: number): Set<number> {
  const out = new Set<number>();
  for (const part of (text ?? '').split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) continue;
    const lo = Number(m[1]);
    const hi = Math.min(m[2] === undefined ? lo : Number(m[2]), completions - 1);
    for (let i = lo; i <= hi; i++) out.add(i);
  }
  return out;
}
