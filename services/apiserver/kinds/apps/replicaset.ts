import type { FieldError } from '../../../../lib/api/errors';
import type { LabelSelector } from '../../../../lib/api/label-selector';
import type { KubeObject } from '../../../../lib/api/object';
import { FieldPath, required, validateImmutableField } from '../../../../lib/api/validation';
import type { Strategy } from '../../registry/strategy';
import { defaultPodTemplate, validateAlwaysRunningTemplate, validatePodTemplate, type PodTemplateSpec } from './pod-template';
import { groupInfo, specDiffers, validateControllerSelector, validateNonNegative } from './strategy-support';

/** Default spec.replicas of a ReplicaSet. */
export const DEFAULT_REPLICASET_REPLICAS = 1;

/** apps/v1 ReplicaSetSpec. */
export type ReplicaSetSpec = {
  replicas?: number;
  minReadySeconds?: number;
  selector?: LabelSelector;
  template?: PodTemplateSpec;
  [field: string]: unknown;
};

/** apps/v1 ReplicaSet. */
export type ReplicaSet = KubeObject & { spec?: ReplicaSetSpec };

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
  info: groupInfo('apps', 'v1', 'ReplicaSet', 'replicasets', true, ['rs'], ['all']),
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
