import type { FieldError } from '../../../../lib/api/errors';
import { validateIntOrPercent, type IntOrString } from '../../../../lib/api/int-or-string';
import { FieldPath, forbidden, invalid, notSupported, required, validateImmutableField } from '../../../../lib/api/validation';
import type { Strategy } from '../../registry/strategy';
import { defaultPodTemplate, validateAlwaysRunningTemplate, validatePodTemplate } from './pod-template';
import { specDiffers, validateControllerSelector, validateNonNegative } from './strategy-support';
import { RESOURCES } from '../../../../lib/api/resources';
import type { DeploymentSpec, Deployment } from '../../../../lib/api/types/apps';
export type { DeploymentSpec, Deployment };

/** Default spec.replicas of a Deployment. */
export const DEFAULT_DEPLOYMENT_REPLICAS = 1;
/** Default maxSurge and maxUnavailable of a RollingUpdate strategy. */
export const DEFAULT_ROLLING_UPDATE_PERCENT = '25%';
/** Default spec.revisionHistoryLimit (old ReplicaSets kept). */
export const DEFAULT_REVISION_HISTORY_LIMIT = 10;
/** Default spec.progressDeadlineSeconds, in seconds. */
export const DEFAULT_PROGRESS_DEADLINE_SECONDS = 600;
/** Deployment strategy types. */
export const DEPLOYMENT_STRATEGY_TYPES: readonly string[] = ['Recreate', 'RollingUpdate'];

const SPEC = FieldPath.root('spec');

/** Kubernetes' SetDefaults_Deployment plus the pod template's PodSpec defaults, in place. */
export function defaultDeployment(obj: Deployment): void {
  const spec = (obj.spec ??= {});
  spec.replicas ??= DEFAULT_DEPLOYMENT_REPLICAS;
  const strategy = (spec.strategy ??= {});
  strategy.type ??= 'RollingUpdate';
  if (strategy.type === 'RollingUpdate') {
    const ru = (strategy.rollingUpdate ??= {});
    ru.maxUnavailable ??= DEFAULT_ROLLING_UPDATE_PERCENT;
    ru.maxSurge ??= DEFAULT_ROLLING_UPDATE_PERCENT;
  }
  spec.revisionHistoryLimit ??= DEFAULT_REVISION_HISTORY_LIMIT;
  spec.progressDeadlineSeconds ??= DEFAULT_PROGRESS_DEADLINE_SECONDS;
  defaultPodTemplate(spec.template);
}

/** Kubernetes' ValidateDeploymentSpec, with paths under `spec`. */
export function validateDeploymentSpec(spec: DeploymentSpec | undefined): FieldError[] {
  if (!spec) return [required(SPEC)];
  const errs: FieldError[] = [];
  errs.push(...validateNonNegative(spec.replicas, SPEC.child('replicas')));
  errs.push(...validateControllerSelector(spec.selector, spec.template?.metadata?.labels, SPEC, 'deployment'));
  errs.push(...validatePodTemplate(spec.template, SPEC.child('template')));
  errs.push(...validateAlwaysRunningTemplate(spec.template, SPEC.child('template'), 'ReplicaSet'));
  errs.push(...validateDeploymentStrategy(spec.strategy, SPEC.child('strategy')));
  errs.push(...validateNonNegative(spec.minReadySeconds, SPEC.child('minReadySeconds')));
  errs.push(...validateNonNegative(spec.revisionHistoryLimit, SPEC.child('revisionHistoryLimit')));
  if (spec.progressDeadlineSeconds !== undefined) {
    const pds = spec.progressDeadlineSeconds;
    const pdsErrs = validateNonNegative(pds, SPEC.child('progressDeadlineSeconds'));
    errs.push(...pdsErrs);
    if (pdsErrs.length === 0 && pds <= (spec.minReadySeconds ?? 0)) {
      errs.push(invalid(SPEC.child('progressDeadlineSeconds'), pds, 'must be greater than minReadySeconds'));
    }
  }
  return errs;
}

function validateDeploymentStrategy(strategy: DeploymentSpec['strategy'], p: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  const s = strategy ?? {};
  switch (s.type) {
    case 'Recreate':
      if (s.rollingUpdate) errs.push(forbidden(p.child('rollingUpdate'), "may not be specified when strategy `type` is 'Recreate'"));
      break;
    case 'RollingUpdate':
      if (!s.rollingUpdate) errs.push(required(p.child('rollingUpdate'), 'this should be defaulted and never be nil'));
      else errs.push(...validateRollingUpdate(s.rollingUpdate, p.child('rollingUpdate')));
      break;
    default:
      errs.push(notSupported(p.child('type'), s.type ?? '', DEPLOYMENT_STRATEGY_TYPES));
  }
  return errs;
}

function validateRollingUpdate(ru: { maxUnavailable?: IntOrString; maxSurge?: IntOrString }, p: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  const unavailErrs = ru.maxUnavailable === undefined ? [] : validateIntOrPercent(ru.maxUnavailable, p.child('maxUnavailable'), { max100Percent: true });
  const surgeErrs = ru.maxSurge === undefined ? [] : validateIntOrPercent(ru.maxSurge, p.child('maxSurge'));
  errs.push(...unavailErrs, ...surgeErrs);
  if (isZero(ru.maxUnavailable) && isZero(ru.maxSurge)) {
    errs.push(invalid(p.child('maxUnavailable'), ru.maxUnavailable ?? 0, 'may not be 0 when `maxSurge` is 0'));
  }
  return errs;
}

/** An unset, 0, "0%" IntOrString counts as zero (as Kubernetes' getIntOrPercentValue). */
function isZero(v: IntOrString | undefined): boolean {
  if (v === undefined) return true;
  if (typeof v === 'number') return v === 0;
  return /^0+%$/.test(v);
}

/** Registry strategy of apps/v1 Deployment (status subresource; selector immutable). */
export const deploymentStrategy: Strategy<Deployment> = {
  info: RESOURCES.deployments,
  hasStatus: true,
  prepareForCreate(obj) {
    obj.status = {};
    defaultDeployment(obj);
  },
  prepareForUpdate(obj) {
    defaultDeployment(obj);
  },
  validate(obj) {
    return validateDeploymentSpec(obj.spec);
  },
  validateUpdate(obj, old) {
    return [...validateDeploymentSpec(obj.spec), ...validateImmutableField(obj.spec?.selector, old.spec?.selector, SPEC.child('selector'))];
  },
  specChanged: specDiffers,
};
