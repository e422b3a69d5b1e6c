/**
 * The typed objects of the batch/v1 kinds: Job, CronJob.
 * Kubernetes' JSON field names; only the fields Bosun reads are named, the rest stay open.
 * Shared by the apiserver (its strategies) and every client.
 */
import type { LabelSelector } from '../label-selector';
import type { KubeObject, ObjectMeta } from '../object';
import type { PodTemplateSpec } from './core';

/** batch/v1 JobSpec. */
export type JobSpec = {
  parallelism?: number;
  completions?: number;
  activeDeadlineSeconds?: number;
  backoffLimit?: number;
  selector?: LabelSelector;
  manualSelector?: boolean;
  template?: PodTemplateSpec;
  ttlSecondsAfterFinished?: number;
  completionMode?: string;
  suspend?: boolean;
  podReplacementPolicy?: string;
  podFailurePolicy?: unknown;
  [field: string]: unknown;
};
/** batch/v1 Job. */
export type Job = KubeObject & { spec?: JobSpec };

/** batch/v1 CronJobSpec. */
export type CronJobSpec = {
  schedule?: string;
  timeZone?: string;
  startingDeadlineSeconds?: number;
  concurrencyPolicy?: string;
  suspend?: boolean;
  jobTemplate?: { metadata?: ObjectMeta; spec?: JobSpec };
  successfulJobsHistoryLimit?: number;
  failedJobsHistoryLimit?: number;
  [field: string]: unknown;
};
/** batch/v1 CronJob. */
export type CronJob = KubeObject & { spec?: CronJobSpec };
