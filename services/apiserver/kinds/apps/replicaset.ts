import type { FieldError } from '../../../../lib/api/errors';
import { FieldPath, required, validateImmutableField } from '../../../../lib/api/validation';
import type { Strategy } from '../../registry/strategy';
import { defaultPodTemplate, validateAlwaysRunningTemplate, validatePodTemplate } from './pod-template';
import { specDiffers, validateControllerSelector, validateNonNegative } from './strategy-support';
import { RESOURCES } from '../../../../lib/api/resources';
import type { ReplicaSetSpec, ReplicaSet } from '../../../../lib/api/types/apps';
export type { ReplicaSetSpec, ReplicaSet };

/** Default spec.replicas of a ReplicaSet. */
export const DEFAULT_REPLICASET_REPLICAS = 1;

const SPEC = FieldPath.root('spec');

/** Kubernetes' SetDefaults_ReplicaSet plus PodSpec defaults of the template, in place. */
export function defaultReplicaSet(obj: ReplicaSet): void {
  const spec = (obj.spec ??= {});
  spec.replicas ??= DEFAULT_REPLICASET_REPLICAS;
  defaultPodTemplate(spec.template);
}

/** Kubernetes' ValidateReplicaSetSpec, with paths under `spec`. */
export function validateReplicaSetSpec(spec: ReplicaSetSpec | undefined): FieldError[] {
  if (!spec) return [required(SPEC)];
  return [
    ...validateNonNegative(spec.replicas, SPEC.child('replicas')),
    ...validateNonNegative(spec.minReadySeconds, SPEC.child('minReadySeconds')),
    ...validateControllerSelector(spec.selector, spec.template?.metadata?.labels, SPEC, 'deployment'),
    ...validatePodTemplate(spec.template, SPEC.child('template')),
    ...validateAlwaysRunningTemplate(spec.template, SPEC.child('template'), 'ReplicaSet'),
  ];
}

/** Registry strategy of apps/v1 ReplicaSet (status subresource; selector immutable). */
export const replicaSetStrategy: Strategy<ReplicaSet> = {
  info: RESOURCES.replicasets,
  hasStatus: true,
  prepareForCreate(obj) {
    obj.status = {};
    defaultReplicaSet(obj);
  },
  prepareForUpdate(obj) {
    defaultReplicaSet(obj);
  },
  validate(obj) {
    return validateReplicaSetSpec(obj.spec);
  },
  validateUpdate(obj, old) {
    return [...validateReplicaSetSpec(obj.spec), ...validateImmutableField(obj.spec?.selector, old.spec?.selector, SPEC.child('selector'))];
  },
  specChanged: specDiffers,
};
