import type { FieldError } from '../../../../lib/api/errors';
import { selectorFromSet } from '../../../../lib/api/label-selector';
import type { KubeObject } from '../../../../lib/api/object';
import { RESOURCES } from '../../../../lib/api/resources';
import { FieldPath, invalid, required, validateLabels } from '../../../../lib/api/validation';
import type { Strategy } from '../../registry/strategy';
import { defaultPodTemplate, validateAlwaysRunningTemplate, validatePodTemplate } from '../apps/pod-template';
import { specDiffers, validateNonNegative } from '../apps/strategy-support';
import type { PodTemplateSpec } from './pod-spec';

/** core/v1 ReplicationControllerSpec: like a ReplicaSet's, with a plain label map as selector. */
export interface ReplicationControllerSpec {
  replicas?: number;
  minReadySeconds?: number;
  selector?: Record<string, string>;
  template?: PodTemplateSpec;
  [field: string]: unknown;
}
/** core/v1 ReplicationController. */
export type ReplicationController = KubeObject & { spec?: ReplicationControllerSpec };

/** Default spec.replicas of a ReplicationController. */
export const DEFAULT_RC_REPLICAS = 1;

const SPEC = FieldPath.root('spec');

/**
 * Kubernetes' SetDefaults_ReplicationController, in place: an empty selector, and empty
 * object labels, become the template's labels; replicas defaults to 1; PodSpec defaults.
 */
export function defaultReplicationController(obj: ReplicationController): void {
  const spec = (obj.spec ??= {});
  const templateLabels = spec.template?.metadata?.labels;
  if (templateLabels && Object.keys(templateLabels).length > 0) {
    if (!spec.selector || Object.keys(spec.selector).length === 0) spec.selector = { ...templateLabels };
    if (!obj.metadata.labels || Object.keys(obj.metadata.labels).length === 0) obj.metadata.labels = { ...templateLabels };
  }
  spec.replicas ??= DEFAULT_RC_REPLICAS;
  defaultPodTemplate(spec.template);
}

/** Kubernetes' ValidateReplicationControllerSpec, with paths under `spec`. */
export function validateReplicationControllerSpec(spec: ReplicationControllerSpec | undefined): FieldError[] {
  if (!spec) return [required(SPEC)];
  const errs: FieldError[] = [...validateNonNegative(spec.replicas, SPEC.child('replicas')), ...validateNonNegative(spec.minReadySeconds, SPEC.child('minReadySeconds'))];
  const selector = spec.selector;
  if (!selector || Object.keys(selector).length === 0) errs.push(required(SPEC.child('selector')));
  else errs.push(...validateLabels(selector, SPEC.child('selector')));
  const template = SPEC.child('template');
  if (!spec.template) return [...errs, required(template)];
  const labels = spec.template.metadata?.labels ?? {};
  if (selector && Object.keys(selector).length > 0 && !selectorFromSet(selector).matches(labels)) {
    errs.push(invalid(template.child('metadata').child('labels'), labels, '`selector` does not match template `labels`'));
  }
  return [...errs, ...validatePodTemplate(spec.template, template), ...validateAlwaysRunningTemplate(spec.template, template, 'ReplicationController')];
}

/** Registry strategy of core/v1 ReplicationController (status and scale subresources). */
export const replicationControllerStrategy: Strategy<ReplicationController> = {
  info: RESOURCES.replicationcontrollers,
  hasStatus: true,
  prepareForCreate(obj) {
    obj.status = {};
    defaultReplicationController(obj);
  },
  prepareForUpdate(obj) {
    defaultReplicationController(obj);
  },
  validate(obj) {
    return validateReplicationControllerSpec(obj.spec);
  },
  validateUpdate(obj) {
    return validateReplicationControllerSpec(obj.spec);
  },
  specChanged: specDiffers,
};
