import type { FieldError } from '../../../../lib/api/errors';
import type { Strategy } from '../../registry/strategy';
import { specDiffers } from './common';
import { computeQosClass, DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS, defaultPodSpec, validatePodSpec, validatePodSpecUpdate } from './pod-spec';
import { RESOURCES } from '../../../../lib/api/resources';
import type { Pod } from '../../../../lib/api/types/core';
export type { Pod };

/**
 * Pods: PodSpec defaults on every write; on create the status is reset to phase Pending with the
 * computed qosClass; updates may change only images, activeDeadlineSeconds and add tolerations
 * (spec.nodeName is set through the binding subresource, not here).
 */
export const podStrategy: Strategy<Pod> = {
  info: RESOURCES.pods,
  hasStatus: true,
  prepareForCreate(obj) {
    obj.spec ??= {};
    defaultPodSpec(obj.spec);
    obj.status = { phase: 'Pending', qosClass: computeQosClass(obj.spec) };
  },
  prepareForUpdate(obj) {
    obj.spec ??= {};
    defaultPodSpec(obj.spec);
  },
  validate(obj) {
    return validatePodSpec(obj.spec, 'spec');
  },
  validateUpdate(obj, old): FieldError[] {
    const errs = validatePodSpec(obj.spec, 'spec');
    errs.push(...validatePodSpecUpdate(obj.spec ?? {}, old.spec ?? {}, 'spec'));
    return errs;
  },
  specChanged: specDiffers,
  // A pod on a node is stopped by its node agent, which deletes it with grace 0 once its
  // containers are gone; a pod never scheduled, or already finished, has nothing to stop.
  gracePeriodSeconds(obj, requested) {
    const phase = obj.status?.phase;
    if (!obj.spec?.nodeName || phase === 'Succeeded' || phase === 'Failed') return 0;
    const period = requested ?? obj.spec.terminationGracePeriodSeconds ?? DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS;
    return Math.max(0, period);
  },
  selectableFields(obj) {
    const s = obj.spec ?? {};
    const st = obj.status ?? {};
    return {
      'spec.nodeName': s.nodeName ?? '',
      'spec.restartPolicy': s.restartPolicy ?? '',
      'spec.schedulerName': s.schedulerName ?? '',
      'spec.serviceAccountName': s.serviceAccountName ?? '',
      'spec.hostNetwork': String(s.hostNetwork ?? false),
      'status.phase': st.phase ?? '',
      'status.podIP': st.podIP ?? '',
      'status.nominatedNodeName': st.nominatedNodeName ?? '',
    };
  },
};
