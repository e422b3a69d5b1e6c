import type { FieldError } from '../../../../lib/api/errors';
import { FieldPath, invalid, notSupported, required } from '../../../../lib/api/validation';
import type { Strategy } from '../../registry/strategy';
import { defaultPodTemplate } from '../apps/pod-template';
import { specDiffers, validateNonNegative } from '../apps/strategy-support';
import { cronScheduleError } from './cron-schedule';
import { validateJobSpecCommon } from './job';
import { RESOURCES } from '../../../../lib/api/resources';
import type { CronJobSpec, CronJob } from '../../../../lib/api/types/batch';
export type { CronJobSpec, CronJob };

/** Concurrency policies of a CronJob. */
export const CONCURRENCY_POLICIES: readonly string[] = ['Allow', 'Forbid', 'Replace'];
/** Default spec.successfulJobsHistoryLimit. */
export const DEFAULT_SUCCESSFUL_JOBS_HISTORY_LIMIT = 3;
/** Default spec.failedJobsHistoryLimit. */
export const DEFAULT_FAILED_JOBS_HISTORY_LIMIT = 1;
/** Longest CronJob name: 63 less the 11 characters of the Job name suffix. */
export const CRONJOB_NAME_MAX_LENGTH = 52;

const SPEC = FieldPath.root('spec');

/**
 * Kubernetes' SetDefaults_CronJob in place: concurrencyPolicy Allow, suspend false, history
 * limits 3 and 1; the job template's pod spec gets PodSpec defaults (its JobSpec none).
 */
export function defaultCronJob(obj: CronJob): void {
  const spec = (obj.spec ??= {});
  spec.concurrencyPolicy ??= 'Allow';
  spec.suspend ??= false;
  spec.successfulJobsHistoryLimit ??= DEFAULT_SUCCESSFUL_JOBS_HISTORY_LIMIT;
  spec.failedJobsHistoryLimit ??= DEFAULT_FAILED_JOBS_HISTORY_LIMIT;
  defaultPodTemplate(spec.jobTemplate?.spec?.template);
}

/** Kubernetes' validateTimeZone: an explicit IANA zone name. */
function validateTimeZone(tz: string, path: FieldPath): FieldError[] {
  if (tz === '') return [invalid(path, tz, 'timeZone must be nil or non-empty string')];
  if (tz.toLowerCase() === 'local') return [invalid(path, tz, 'timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones')];
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return [];
  } catch {
    return [invalid(path, tz, `unknown time zone ${tz}`)];
  }
}

/**
 * Every invalid field of a CronJob spec; `old` (on update) allows a TZ= prefix the old
 * schedule already had.
 */
export function validateCronJobSpec(spec: CronJobSpec | undefined, old?: CronJobSpec): FieldError[] {
  if (!spec) return [required(SPEC)];
  const errs: FieldError[] = [];
  const sp = SPEC.child('schedule');
  if (!spec.schedule) errs.push(required(sp));
  else {
    const err = cronScheduleError(spec.schedule);
    if (err) errs.push(invalid(sp, spec.schedule, err));
    const allowTz = !!old?.schedule?.includes('TZ');
    if (allowTz && spec.schedule.includes('TZ') && spec.timeZone !== undefined) {
      errs.push(invalid(sp, spec.schedule, 'cannot use both timeZone field and TZ or CRON_TZ in schedule'));
    } else if (!allowTz && spec.schedule.includes('TZ')) {
      errs.push(invalid(sp, spec.schedule, 'cannot use TZ or CRON_TZ in schedule, use timeZone field instead'));
    }
  }
  if (spec.timeZone !== undefined && spec.timeZone !== null && spec.timeZone !== old?.timeZone) {
    errs.push(...validateTimeZone(spec.timeZone, SPEC.child('timeZone')));
  }
  errs.push(...validateNonNegative(spec.startingDeadlineSeconds, SPEC.child('startingDeadlineSeconds')));
  const cp = SPEC.child('concurrencyPolicy');
  if (!spec.concurrencyPolicy) errs.push(required(cp));
  else if (!CONCURRENCY_POLICIES.includes(spec.concurrencyPolicy)) errs.push(notSupported(cp, spec.concurrencyPolicy, CONCURRENCY_POLICIES));
  const jt = SPEC.child('jobTemplate');
  const jobSpec = spec.jobTemplate?.spec;
  errs.push(...validateJobSpecCommon(jobSpec, jt.child('spec')));
  if (jobSpec?.selector !== undefined) errs.push(invalid(jt.child('spec', 'selector'), jobSpec.selector, '`selector` will be auto-generated'));
  if (jobSpec?.manualSelector === true) errs.push(notSupported(jt.child('spec', 'manualSelector'), true, ['nil', 'false']));
  errs.push(...validateNonNegative(spec.successfulJobsHistoryLimit, SPEC.child('successfulJobsHistoryLimit')));
  errs.push(...validateNonNegative(spec.failedJobsHistoryLimit, SPEC.child('failedJobsHistoryLimit')));
  return errs;
}

/** Registry strategy of batch/v1 CronJob (status subresource). */
export const cronJobStrategy: Strategy<CronJob> = {
  info: RESOURCES.cronjobs,
  hasStatus: true,
  prepareForCreate(obj) {
    obj.status = {};
    defaultCronJob(obj);
  },
  prepareForUpdate(obj) {
    defaultCronJob(obj);
  },
  validate(obj) {
    const errs = validateCronJobSpec(obj.spec);
    const name = obj.metadata.name ?? '';
    if (name.length > CRONJOB_NAME_MAX_LENGTH) errs.unshift(invalid(FieldPath.root('metadata').child('name'), name, `must be no more than ${CRONJOB_NAME_MAX_LENGTH} characters`));
    return errs;
  },
  validateUpdate(obj, old) {
    return validateCronJobSpec(obj.spec, old.spec);
  },
  specChanged: specDiffers,
};
