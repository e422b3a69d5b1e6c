/**
 * The delay before a Job replaces a failed pod (Kubernetes' pod failure backoff): 10 s after
 * the first failure since the last success, doubling with each further one, at most 6 min.
 * Kept in memory per Job, as Kubernetes keeps it, and driven by the injected clock.
 */

/** Delay after the first failure, ms. */
export const POD_FAILURE_BACKOFF_BASE_MS = 10_000;
/** Longest delay, ms. */
export const POD_FAILURE_BACKOFF_MAX_MS = 6 * 60_000;

/** Failures since the Job's last success and when the latest was seen. */
export interface BackoffRecord {
  readonly failuresAfterLastSuccess: number;
  readonly lastFailureMs: number;
}

/** The record after counting `succeeded` successes and `failed` failures seen at `nowMs`. */
export function updateBackoff(prev: BackoffRecord | undefined, succeeded: number, failed: number, nowMs: number): BackoffRecord {
  const base = succeeded > 0 ? 0 : prev?.failuresAfterLastSuccess ?? 0;
  if (failed === 0) return { failuresAfterLastSuccess: base, lastFailureMs: prev?.lastFailureMs ?? 0 };
  return { failuresAfterLastSuccess: base + failed, lastFailureMs: nowMs };
}

/** Milliseconds still to wait at `nowMs` before a new pod may be created (0: none). */
export function remainingBackoffMs(record: BackoffRecord | undefined, nowMs: number): number {
  if (!record || record.failuresAfterLastSuccess === 0) return 0;
  const exponent = Math.min(record.failuresAfterLastSuccess - 1, 30);
  const delay = Math.min(POD_FAILURE_BACKOFF_BASE_MS * 2 ** exponent, POD_FAILURE_BACKOFF_MAX_MS);
  return Math.max(0, record.lastFailureMs + delay - nowMs);
}
