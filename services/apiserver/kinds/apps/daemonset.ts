import type { FieldError } from '../../../../lib/api/errors';
import { validateIntOrPercent, type IntOrString } from '../../../../lib/api/int-or-string';
import { FieldPath, invalid, notSupported, required, validateImmutableField } from '../../../../lib/api/validation';
import type { Strategy } from '../../registry/strategy';
import { DEFAULT_REVISION_HISTORY_LIMIT } from './deployment';
import { defaultPodTemplate, validateAlwaysRunningTemplate, validatePodTemplate } from './pod-template';
import { specDiffers, validateControllerSelector, validateNonNegative } from './strategy-support';
import { RESOURCES } from '../../../../lib/api/resources';
import type { DaemonSetSpec, DaemonSet } from '../../../../lib/api/types/apps';
export type { DaemonSetSpec, DaemonSet };

/** Default maxUnavailable of a DaemonSet rolling update (pods). */
export const DEFAULT_DAEMONSET_MAX_UNAVAILABLE = 1;
/** Default maxSurge of a DaemonSet rolling update (pods). */
export const DEFAULT_DAEMONSET_MAX_SURGE = 0;
/** DaemonSet update strategy types. */
export const DAEMONSET_UPDATE_STRATEGY_TYPES: readonly string[] = ['RollingUpdate', 'OnDelete'];

const SPEC = FieldPath.root('spec');

/** Kubernetes' SetDefaults_DaemonSet plus PodSpec defaults of the template, in place. */
export function defaultDaemonSet(obj: DaemonSet): void {
  const spec = (obj.spec ??= {});
  const us = (spec.updateStrategy ??= {});
  us.type ??= 'RollingUpdate';
  if (us.type === 'RollingUpdate') {
    const ru = (us.rollingUpdate ??= {});
    ru.maxUnavailable ??= DEFAULT_DAEMONSET_MAX_UNAVAILABLE;
    ru.maxSurge ??= DEFAULT_DAEMONSET_MAX_SURGE;
  }
  spec.revisionHistoryLimit ??= DEFAULT_REVISION_HISTORY_LIMIT;
  defaultPodTemplate(spec.template);
}

/** Kubernetes' ValidateDaemonSetSpec, with paths under `spec`. */
export function validateDaemonSetSpec(spec: DaemonSetSpec | undefined): FieldError[] {
  if (!spec) return [required(SPEC)];
  const errs: FieldError[] = [
    ...validateControllerSelector(spec.selector, spec.template?.metadata?.labels, SPEC, 'daemonset'),
    ...validatePodTemplate(spec.template, SPEC.child('template')),
    ...validateAlwaysRunningTemplate(spec.template, SPEC.child('template'), 'DaemonSet'),
    ...validateNonNegative(spec.minReadySeconds, SPEC.child('minReadySeconds')),
    ...validateNonNegative(spec.revisionHistoryLimit, SPEC.child('revisionHistoryLimit')),
  ];
  const us = spec.updateStrategy ?? {};
  const usPath = SPEC.child('updateStrategy');
  switch (us.type) {
    case 'OnDelete':
      break;
    case 'RollingUpdate': {
      const ru = us.rollingUpdate;
      if (!ru) {
        errs.push(required(usPath.child('rollingUpdate')));
        break;
      }
      const rp = usPath.child('rollingUpdate');
      if (ru.maxUnavailable !== undefined) errs.push(...validateIntOrPercent(ru.maxUnavailable, rp.child('maxUnavailable'), { max100Percent: true }));
      if (ru.maxSurge !== undefined) errs.push(...validateIntOrPercent(ru.maxSurge, rp.child('maxSurge'), { max100Percent: true }));
      if (isZero(ru.maxUnavailable) && isZero(ru.maxSurge)) {
        errs.push(invalid(rp.child('maxUnavailable'), ru.maxUnavailable ?? 0, 'may not be 0 when `maxSurge` is 0'));
      }
      break;
    }
    default:
      errs.push(notSupported(usPath.child('type'), us.type ?? '', DAEMONSET_UPDATE_STRATEGY_TYPES));
  }
  return errs;
}

function isZero(v: IntOrString | undefined): boolean {
  if (v === undefined) return true;
  return typeof v === 'number' ? v === 0 : /^0+%$/.test(v);
}

/** Registry strategy of apps/v1 DaemonSet (status subresource; selector immutable). */
export const daemonSetStrategy: Strategy<DaemonSet> = {
  info: RESOURCES.daemonsets,
  hasStatus: true,
  prepareForCreate(obj) {
    obj.status = {};
    defaultDaemonSet(obj);
  },
  prepareForUpdate(obj) {
    defaultDaemonSet(obj);
  },
  validate(obj) {
    return validateDaemonSetSpec(obj.spec);
  },
  validateUpdate(obj, old) {
    return [...validateDaemonSetSpec(obj.spec), ...validateImmutableField(obj.spec?.selector, old.spec?.selector, SPEC.child('selector'))];
  },
  specChanged: specDiffers,
};
