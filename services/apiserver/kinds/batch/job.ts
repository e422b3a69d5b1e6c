import type { FieldError } from '../../../../lib/api/errors';
import { FieldPath, invalid, notSupported, required, validateImmutableField } from '../../../../lib/api/validation';
import type { Strategy } from '../../registry/strategy';
import { defaultPodTemplate, validatePodTemplate, type PodTemplateSpec } from '../apps/pod-template';
import { differs, specDiffers, validateControllerSelector, validateNonNegative } from '../apps/strategy-support';
import { validatePodFailurePolicy } from './pod-failure-policy';
import { RESOURCES } from '../../../../lib/api/resources';
import type { JobSpec, Job } from '../../../../lib/api/types/batch';
export type { JobSpec, Job };

/** Label (and selector key) that ties a Job's pods to it by the Job's uid. */
export const CONTROLLER_UID_LABEL = 'batch.kubernetes.io/controller-uid';
/** The pre-1.27 spelling of CONTROLLER_UID_LABEL, still set on templates. */
export const LEGACY_CONTROLLER_UID_LABEL = 'controller-uid';
/** Label carrying the Job's name on its pods. */
export const JOB_NAME_LABEL = 'batch.kubernetes.io/job-name';
/** The pre-1.27 spelling of JOB_NAME_LABEL, still set on templates. */
export const LEGACY_JOB_NAME_LABEL = 'job-name';
/** Default spec.backoffLimit (retries before the Job fails). */
export const DEFAULT_BACKOFF_LIMIT = 6;
/** Completion modes. */
export const COMPLETION_MODES: readonly string[] = ['NonIndexed', 'Indexed'];
/** Restart policies a Job's pods may have. */
export const JOB_RESTART_POLICIES: readonly string[] = ['OnFailure', 'Never'];
/** Pod replacement policies. */
export const POD_REPLACEMENT_POLICIES: readonly string[] = ['TerminatingOrFailed', 'Failed'];

const SPEC = FieldPath.root('spec');

/**
 * Kubernetes' SetDefaults_Job in place: parallelism and completions 1 when both are unset
 * (else parallelism 1), backoffLimit 6, completionMode NonIndexed, suspend false,
 * manualSelector false,
 * podReplacementPolicy TerminatingOrFailed (Failed with a podFailurePolicy), and PodSpec
 * defaults of the template. The object's labels, when empty, are the template's.
 */
export function defaultJob(obj: Job): void {
  const spec = (obj.spec ??= {});
  defaultJobSpec(spec);
  const tmplLabels = spec.template?.metadata?.labels;
  if (tmplLabels && Object.keys(obj.metadata.labels ?? {}).length === 0) obj.metadata.labels = { ...tmplLabels };
}

/** The JobSpec part of `defaultJob` (a CronJob's job template gets only the PodSpec defaults). */
export function defaultJobSpec(spec: JobSpec): void {
  if (spec.completions === undefined && spec.parallelism === undefined) {
    spec.completions = 1;
    spec.parallelism = 1;
  }
  spec.parallelism ??= 1;
  spec.backoffLimit ??= DEFAULT_BACKOFF_LIMIT;
  spec.completionMode ??= 'NonIndexed';
  spec.suspend ??= false;
  spec.manualSelector ??= false;
  spec.podReplacementPolicy ??= spec.podFailurePolicy ? 'Failed' : 'TerminatingOrFailed';
  defaultPodTemplate(spec.template);
}

/**
 * Kubernetes' generateSelector: unless spec.manualSelector is true, the template gets the
 * job-name and controller-uid labels (both spellings, user values kept) and the selector
 * matches `batch.kubernetes.io/controller-uid: <uid>`.
 */
export function generateJobSelector(obj: Job): void {
  const spec = (obj.spec ??= {});
  if (spec.manualSelector === true) return;
  const uid = obj.metadata.uid ?? '';
  const name = obj.metadata.name ?? '';
  const tmpl = (spec.template ??= {});
  const tmeta = (tmpl.metadata ??= {});
  const labels = (tmeta.labels ??= {});
  labels[LEGACY_JOB_NAME_LABEL] ??= name;
  labels[JOB_NAME_LABEL] ??= name;
  labels[LEGACY_CONTROLLER_UID_LABEL] ??= uid;
  labels[CONTROLLER_UID_LABEL] ??= uid;
  const selector = (spec.selector ??= {});
  const match = (selector.matchLabels ??= {});
  match[CONTROLLER_UID_LABEL] ??= uid;
}

/**
 * Kubernetes' validateJobSpec at `path` (the rules a Job and a CronJob's job template share):
 * counts non-negative, completionMode, the pod template, and restartPolicy OnFailure or Never
 * (`Required value: valid values: "OnFailure", "Never"` when unset or defaulted to Always).
 */
export function validateJobSpecCommon(spec: JobSpec | undefined, path: FieldPath): FieldError[] {
  if (!spec) return [required(path)];
  const errs: FieldError[] = [];
  for (const f of ['parallelism', 'completions', 'activeDeadlineSeconds', 'backoffLimit', 'ttlSecondsAfterFinished'] as const) {
    errs.push(...validateNonNegative(spec[f], path.child(f)));
  }
  if (spec.completionMode !== undefined) {
    if (!COMPLETION_MODES.includes(spec.completionMode)) errs.push(notSupported(path.child('completionMode'), spec.completionMode, COMPLETION_MODES));
    if (spec.completionMode === 'Indexed' && spec.completions === undefined) errs.push(required(path.child('completions'), 'when completion mode is Indexed'));
  }
  if (spec.podReplacementPolicy !== undefined && !POD_REPLACEMENT_POLICIES.includes(spec.podReplacementPolicy)) {
    errs.push(notSupported(path.child('podReplacementPolicy'), spec.podReplacementPolicy, POD_REPLACEMENT_POLICIES));
  }
  errs.push(...validatePodTemplate(spec.template, path.child('template')));
  errs.push(...validatePodFailurePolicy(spec, path));
  const restartPolicy = spec.template?.spec?.restartPolicy;
  const rp = path.child('template', 'spec', 'restartPolicy');
  if (restartPolicy === undefined || restartPolicy === '' || restartPolicy === 'Always') {
    errs.push(required(rp, 'valid values: "OnFailure", "Never"'));
  } else if (!JOB_RESTART_POLICIES.includes(restartPolicy)) {
    errs.push(notSupported(rp, restartPolicy, JOB_RESTART_POLICIES));
  }
  return errs;
}

/** Every invalid field of a Job: its spec, its selector, and the generated selector's integrity. */
export function validateJob(obj: Job): FieldError[] {
  const spec = obj.spec;
  if (!spec) return [required(SPEC)];
  const errs = validateJobSpecCommon(spec, SPEC);
  errs.push(...validateControllerSelector(spec.selector, spec.template?.metadata?.labels, SPEC, 'job', { requireNonEmpty: false }));
  if (spec.manualSelector !== true && spec.selector && spec.selector.matchLabels?.[CONTROLLER_UID_LABEL] !== obj.metadata.uid) {
    errs.push(invalid(SPEC.child('selector'), spec.selector, '`selector` not auto-generated'));
  }
  return errs;
}

/**
 * Pod-template fields a suspended Job that never started may still change (Kubernetes'
 * mutable scheduling directives): labels, annotations, nodeSelector, tolerations, affinity and
 * schedulingGates.
 */
export const SUSPENDED_JOB_MUTABLE_TEMPLATE_FIELDS: readonly string[] = ['nodeSelector', 'tolerations', 'affinity', 'schedulingGates'];

/** The template without what a suspended, never-started Job may change. */
function schedulingInvariantTemplate(tmpl: PodTemplateSpec | undefined): unknown {
  if (!tmpl) return tmpl;
  const spec: Record<string, unknown> = { ...(tmpl.spec ?? {}) };
  for (const f of SUSPENDED_JOB_MUTABLE_TEMPLATE_FIELDS) delete spec[f];
  const { labels: _l, annotations: _a, ...meta } = tmpl.metadata ?? {};
  return { ...tmpl, metadata: meta, spec };
}

/**
 * Immutable fields of a Job update: selector, completionMode, completions (NonIndexed) and
 * the template — except, while the old Job is suspended and has never started
 * (no status.startTime), its scheduling directives, labels and annotations.
 */
export function validateJobUpdate(obj: Job, old: Job): FieldError[] {
  const spec = obj.spec;
  const prev = old.spec;
  const errs: FieldError[] = [
    ...validateImmutableField(spec?.selector, prev?.selector, SPEC.child('selector')),
  ];
  const schedulingMutable = prev?.suspend === true && !old.status?.startTime;
  if (!schedulingMutable) errs.push(...validateImmutableField(spec?.template, prev?.template, SPEC.child('template')));
  else if (differs(schedulingInvariantTemplate(spec?.template), schedulingInvariantTemplate(prev?.template))) {
    errs.push(invalid(SPEC.child('template'), spec?.template, 'field is immutable'));
  }
  errs.push(...validateImmutableField(spec?.completionMode, prev?.completionMode, SPEC.child('completionMode')));
  if (spec?.completionMode !== 'Indexed') errs.push(...validateImmutableField(spec?.completions, prev?.completions, SPEC.child('completions')));
  return errs;
}

/** Registry strategy of batch/v1 Job (status subresource; generated selector; template immutable). */
export const jobStrategy: Strategy<Job> = {
  info: RESOURCES.jobs,
  hasStatus: true,
  prepareForCreate(obj) {
    obj.status = {};
    const spec = (obj.spec ??= {});
    defaultJobSpec(spec);
    generateJobSelector(obj);
    defaultJob(obj);
  },
  prepareForUpdate(obj) {
    defaultJob(obj);
  },
  validate: validateJob,
  validateUpdate(obj, old) {
    return [...validateJob(obj), ...validateJobUpdate(obj, old)];
  },
  specChanged: specDiffers,
};
