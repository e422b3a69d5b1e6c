/**
 * The pods a running (not suspended, not finishing) Job should create or delete — Kubernetes'
 * parallelism arithmetic:
 * - NonIndexed with completions: min(parallelism, completions − succeeded) active pods;
 * - NonIndexed without completions (a work queue): parallelism until one pod succeeded, then
 *   no new pods (the active ones finish by themselves);
 * - Indexed: one pod per pending index (not completed, not failed), the lowest first, at most
 *   parallelism; pods of completed, failed, duplicate or out-of-range indexes are deleted.
 */
import type { Job, Pod } from '../../../lib/api/types';
import { completionIndexOf } from './completion-index';
import { isIndexed, isReady } from './job-pods';

/** What to do: indexes to create pods for (undefined entries: NonIndexed pods) and pods to delete. */
export interface PodPlan {
  readonly toCreate: (number | undefined)[];
  readonly toDelete: Pod[];
}

/** The plan for `job` given its active pods and what already succeeded. See the file comment. */
export function planPods(job: Job, active: readonly Pod[], succeeded: number, completed: ReadonlySet<number>, failedIndexes: ReadonlySet<number>): PodPlan {
  const parallelism = Math.max(0, job.spec?.parallelism ?? 1);
  const completions = job.spec?.completions;
  if (isIndexed(job) && completions !== undefined) return planIndexed(active, parallelism, completions, completed, failedIndexes);
  let want: number;
  if (completions !== undefined) want = Math.max(0, Math.min(parallelism, completions - succeeded));
  else want = succeeded > 0 ? active.length : parallelism;
  const diff = active.length - want;
  if (diff > 0) return { toCreate: [], toDelete: rankForDeletion(active).slice(0, diff) };
  return { toCreate: new Array<undefined>(-diff).fill(undefined), toDelete: [] };
}

function planIndexed(active: readonly Pod[], parallelism: number, completions: number, completed: ReadonlySet<number>, failed: ReadonlySet<number>): PodPlan {
  const toDelete: Pod[] = [];
  const kept = new Map<number, Pod>();
  for (const pod of rankForDeletion(active).reverse()) {
    const index = completionIndexOf(pod, completions);
    if (index === undefined || completed.has(index) || failed.has(index) || kept.has(index)) toDelete.push(pod);
    else kept.set(index, pod);
  }
  const pending: number[] = [];
  for (let i = 0; i < completions; i++) if (!completed.has(i) && !failed.has(i) && !kept.has(i)) pending.push(i);
  const want = Math.min(parallelism, kept.size + pending.length);
  if (kept.size > want) {
    const extra = [...kept.entries()].sort((a, b) => b[0] - a[0]).slice(0, kept.size - want).map(([, pod]) => pod);
    return { toCreate: [], toDelete: [...toDelete, ...extra] };
  }
  return { toCreate: pending.slice(0, want - kept.size), toDelete };
}

/** Pods in the order they are best deleted: unscheduled, then pending, then not ready, then newest first. */
export function rankForDeletion(pods: readonly Pod[]): Pod[] {
  const score = (p: Pod): number => (p.spec?.nodeName ? 4 : 0) + (p.status?.phase === 'Running' ? 2 : 0) + (isReady(p) ? 1 : 0);
  return [...pods].sort((a, b) => score(a) - score(b) || (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? ''));
}
