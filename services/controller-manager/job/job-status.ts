/**
 * The status of a batch/v1 Job as the Job controller writes it, and its conditions: the
 * interim SuccessCriteriaMet / FailureTarget (Kubernetes 1.31+) set when the outcome is known,
 * the terminal Complete / Failed once no pod of the Job runs any more, and Suspended.
 */
import type { Job } from '../../../lib/api/types';

/** A Job condition. */
export interface JobCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastProbeTime?: string;
  lastTransitionTime?: string;
}

/** batch/v1 JobStatus. */
export interface JobStatus {
  active?: number;
  ready?: number;
  terminating?: number;
  succeeded?: number;
  failed?: number;
  startTime?: string;
  completionTime?: string;
  completedIndexes?: string;
  failedIndexes?: string;
  conditions?: JobCondition[];
  uncountedTerminatedPods?: { succeeded?: string[]; failed?: string[] };
  [field: string]: unknown;
}

export const CONDITION_COMPLETE = 'Complete';
export const CONDITION_FAILED = 'Failed';
export const CONDITION_SUCCESS_CRITERIA_MET = 'SuccessCriteriaMet';
export const CONDITION_FAILURE_TARGET = 'FailureTarget';
export const CONDITION_SUSPENDED = 'Suspended';

/** Reasons (and Event reasons) of the Job's outcomes. */
export const REASON_BACKOFF_LIMIT_EXCEEDED = 'BackoffLimitExceeded';
export const REASON_DEADLINE_EXCEEDED = 'DeadlineExceeded';
export const REASON_POD_FAILURE_POLICY = 'PodFailurePolicy';
export const REASON_FAILED_INDEXES = 'FailedIndexes';
export const REASON_COMPLETIONS_REACHED = 'CompletionsReached';
export const MESSAGE_BACKOFF_LIMIT_EXCEEDED = 'Job has reached the specified backoff limit';
export const MESSAGE_DEADLINE_EXCEEDED = 'Job was active longer than specified deadline';
export const MESSAGE_FAILED_INDEXES = 'Job has failed indexes';
export const MESSAGE_COMPLETIONS_REACHED = 'Reached expected number of succeeded pods';

/** The Job's status (a copy the caller may change). */
export function jobStatusOf(job: Job): JobStatus {
  return structuredClone((job.status ?? {}) as JobStatus);
}

/** The condition of `type` with status True, if any. */
export function trueCondition(status: JobStatus | undefined, type: string): JobCondition | undefined {
  return (status?.conditions ?? []).find((c) => c.type === type && c.status === 'True');
}

/** Whether the Job ended: Complete or Failed is True. */
export function isJobFinished(job: Job): boolean {
  const status = job.status as JobStatus | undefined;
  return !!(trueCondition(status, CONDITION_COMPLETE) ?? trueCondition(status, CONDITION_FAILED));
}

/** When the Job ended (completionTime, else the Failed condition's transition), ms; undefined while it runs. */
export function jobFinishTimeMs(job: Job): number | undefined {
  const status = job.status as JobStatus | undefined;
  const done = trueCondition(status, CONDITION_COMPLETE) ?? trueCondition(status, CONDITION_FAILED);
  if (!done) return undefined;
  const text = status?.completionTime ?? done.lastTransitionTime;
  const ms = text ? Date.parse(text) : NaN;
  return Number.isFinite(ms) ? ms : undefined;
}

/**
 * Sets the condition of `type` in place: a new condition, or an existing one changed only when
 * its status, reason or message differ (its lastTransitionTime moves only with the status).
 * Returns whether anything changed.
 */
export function setCondition(status: JobStatus, type: string, value: 'True' | 'False', reason: string, message: string, now: string): boolean {
  const conditions = (status.conditions ??= []);
  const existing = conditions.find((c) => c.type === type);
  if (!existing) {
    conditions.push({ type, status: value, reason, message, lastProbeTime: now, lastTransitionTime: now });
    return true;
  }
  if (existing.status === value && existing.reason === reason && existing.message === message) return false;
  if (existing.status !== value) existing.lastTransitionTime = now;
  existing.status = value;
  existing.reason = reason;
  existing.message = message;
  existing.lastProbeTime = now;
  return true;
}

/** RFC 3339 seconds of `ms`, as the API writes times. */
export function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
}
