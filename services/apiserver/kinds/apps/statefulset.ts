import type { FieldError } from '../../../../lib/api/errors';
import { validateIntOrPercent } from '../../../../lib/api/int-or-string';
import { FieldPath, forbidden, invalid, required, validateDns1123Label } from '../../../../lib/api/validation';
import type { Strategy } from '../../registry/strategy';
import { DEFAULT_REVISION_HISTORY_LIMIT } from './deployment';
import { defaultPodTemplate, validateAlwaysRunningTemplate, validatePodTemplate, type PodTemplateSpec } from './pod-template';
import { differs, specDiffers, validateControllerSelector, validateNonNegative } from './strategy-support';
import { RESOURCES } from '../../../../lib/api/resources';
import type { StatefulSetSpec, StatefulSet } from '../../../../lib/api/types/apps';
export type { StatefulSetSpec, StatefulSet };

/** Default spec.replicas of a StatefulSet. */
export const DEFAULT_STATEFULSET_REPLICAS = 1;
/** Pod management policies. */
export const POD_MANAGEMENT_POLICIES: readonly string[] = ['OrderedReady', 'Parallel'];
/** What happens to PVCs of a StatefulSet on delete / scale down. */
export const PVC_RETENTION_POLICIES: readonly string[] = ['Retain', 'Delete'];

/** The spec fields a StatefulSet update may change (everything else is forbidden). */
export const STATEFULSET_MUTABLE_SPEC_FIELDS: readonly string[] = [
  'replicas',
  'ordinals',
  'template',
  'updateStrategy',
  'revisionHistoryLimit',
  'persistentVolumeClaimRetentionPolicy',
  'minReadySeconds',
];
const FORBIDDEN_UPDATE_MESSAGE =
  "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden";

const SPEC = FieldPath.root('spec');

/** Kubernetes' SetDefaults_StatefulSet plus PodSpec defaults of the template, in place. */
export function defaultStatefulSet(obj: StatefulSet): void {
  const spec = (obj.spec ??= {});
  spec.podManagementPolicy ??= 'OrderedReady';
  const us = (spec.updateStrategy ??= {});
  us.type ??= 'RollingUpdate';
  if (us.type === 'RollingUpdate') {
    const ru = (us.rollingUpdate ??= {});
    ru.partition ??= 0;
  }
  const pvc = (spec.persistentVolumeClaimRetentionPolicy ??= {});
  pvc.whenDeleted ??= 'Retain';
  pvc.whenScaled ??= 'Retain';
  spec.replicas ??= DEFAULT_STATEFULSET_REPLICAS;
  spec.revisionHistoryLimit ??= DEFAULT_REVISION_HISTORY_LIMIT;
  defaultPodTemplate(spec.template);
}

/** rollingUpdate.maxUnavailable, when set: an integer or a percentage, not 0, at most 100% (Kubernetes'). */
function validateMaxUnavailable(value: unknown, path: FieldPath): FieldError[] {
  if (value === undefined || value === null) return [];
  const errs = validateIntOrPercent(value, path, { max100Percent: true });
  if (errs.length === 0 && (value === 0 || value === '0%')) errs.push(invalid(path, value, 'cannot be 0'));
  return errs;
}

/** Kubernetes' ValidateStatefulSetSpec, with paths under `spec`. */
export function validateStatefulSetSpec(spec: StatefulSetSpec | undefined): FieldError[] {
  if (!spec) return [required(SPEC)];
  const errs: FieldError[] = [];
  switch (spec.podManagementPolicy) {
    case undefined:
    case '':
      errs.push(required(SPEC.child('podManagementPolicy')));
      break;
    case 'OrderedReady':
    case 'Parallel':
      break;
    default:
      errs.push(invalid(SPEC.child('podManagementPolicy'), spec.podManagementPolicy, "must be 'OrderedReady' or 'Parallel'"));
  }
  const us = spec.updateStrategy ?? {};
  const usPath = SPEC.child('updateStrategy');
  switch (us.type) {
    case undefined:
    case '':
      errs.push(required(usPath));
      break;
    case 'OnDelete':
      if (us.rollingUpdate) errs.push(invalid(usPath.child('rollingUpdate'), us.rollingUpdate, "only allowed for updateStrategy 'RollingUpdate'"));
      break;
    case 'RollingUpdate':
      if (us.rollingUpdate) {
        errs.push(...validateNonNegative(us.rollingUpdate.partition, usPath.child('rollingUpdate', 'partition')));
        errs.push(...validateMaxUnavailable(us.rollingUpdate.maxUnavailable, usPath.child('rollingUpdate', 'maxUnavailable')));
      }
      break;
    default:
      errs.push(invalid(usPath, us, "must be 'RollingUpdate' or 'OnDelete'"));
  }
  const pvc = spec.persistentVolumeClaimRetentionPolicy;
  if (pvc) {
    const pp = SPEC.child('persistentVolumeClaimRetentionPolicy');
    for (const f of ['whenDeleted', 'whenScaled'] as const) {
      const v = pvc[f];
      if (v !== undefined && !PVC_RETENTION_POLICIES.includes(v)) errs.push(invalid(pp.child(f), v, "must be 'Retain' or 'Delete'"));
    }
  }
  if (spec.serviceName) errs.push(...validateDns1123Label(spec.serviceName, SPEC.child('serviceName')));
  errs.push(...validateNonNegative(spec.replicas, SPEC.child('replicas')));
  errs.push(...validateNonNegative(spec.minReadySeconds, SPEC.child('minReadySeconds')));
  errs.push(...validateNonNegative(spec.revisionHistoryLimit, SPEC.child('revisionHistoryLimit')));
  if (spec.ordinals) errs.push(...validateNonNegative(spec.ordinals.start, SPEC.child('ordinals', 'start')));
  errs.push(...validateControllerSelector(spec.selector, spec.template?.metadata?.labels, SPEC, 'statefulset'));
  errs.push(...validatePodTemplate(withClaimVolumes(spec), SPEC.child('template')));
  errs.push(...validateAlwaysRunningTemplate(spec.template, SPEC.child('template'), 'StatefulSet'));
  return errs;
}

/**
 * The template as its pods will be: each volumeClaimTemplate becomes a volume of the same name
 * (a claim per pod), so containers may mount it — validated like that, as Kubernetes does.
 */
function withClaimVolumes(spec: StatefulSetSpec): PodTemplateSpec | undefined {
  const tmpl = spec.template;
  if (!tmpl || typeof tmpl !== 'object' || !tmpl.spec || typeof tmpl.spec !== 'object' || !Array.isArray(spec.volumeClaimTemplates)) return tmpl;
  const claims = spec.volumeClaimTemplates
    .map((c) => (c && typeof c === 'object' ? (c as { metadata?: { name?: unknown } }).metadata?.name : undefined))
    .filter((n): n is string => typeof n === 'string' && n !== '');
  const own = Array.isArray(tmpl.spec.volumes) ? tmpl.spec.volumes : [];
  const ownNames = new Set(own.map((v) => (v && typeof v === 'object' ? (v as { name?: unknown }).name : undefined)));
  const extra = claims.filter((n) => !ownNames.has(n)).map((name) => ({ name, persistentVolumeClaim: { claimName: name } }));
  return { ...tmpl, spec: { ...tmpl.spec, volumes: [...own, ...extra] } };
}

/** Forbidden when the update changes a spec field outside STATEFULSET_MUTABLE_SPEC_FIELDS. */
export function validateStatefulSetSpecUpdate(spec: StatefulSetSpec | undefined, old: StatefulSetSpec | undefined): FieldError[] {
  const strip = (s: StatefulSetSpec | undefined) => {
    const copy: Record<string, unknown> = { ...(s ?? {}) };
    for (const f of STATEFULSET_MUTABLE_SPEC_FIELDS) delete copy[f];
    return copy;
  };
  return differs(strip(spec), strip(old)) ? [forbidden(SPEC, FORBIDDEN_UPDATE_MESSAGE)] : [];
}

/** Registry strategy of apps/v1 StatefulSet (status subresource; most of spec immutable). */
export const statefulSetStrategy: Strategy<StatefulSet> = {
  info: RESOURCES.statefulsets,
  hasStatus: true,
  prepareForCreate(obj) {
    obj.status = {};
    defaultStatefulSet(obj);
  },
  prepareForUpdate(obj) {
    defaultStatefulSet(obj);
  },
  validate(obj) {
    return validateStatefulSetSpec(obj.spec);
  },
  validateUpdate(obj, old) {
    return [...validateStatefulSetSpec(obj.spec), ...validateStatefulSetSpecUpdate(obj.spec, old.spec)];
  },
  specChanged: specDiffers,
};
