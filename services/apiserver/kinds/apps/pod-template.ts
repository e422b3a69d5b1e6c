import type { FieldError } from '../../../../lib/api/errors';
import { forbidden, notSupported, toPath, type PathLike } from '../../../../lib/api/validation';
import {
  defaultPodTemplateSpec as corePodTemplateDefaults,
  validatePodTemplateSpec as corePodTemplateValidation,
  type PodTemplateSpec,
} from '../core/pod-spec';

/**
 * The one seam through which the workload kinds (apps, batch) reach core/v1's pod rules, so a
 * change of the core API is absorbed here and nowhere else.
 */

export type { PodTemplateSpec } from '../core/pod-spec';

/** Fills Kubernetes' PodSpec defaults of a pod template in place (absent template: no-op). */
export function defaultPodTemplate(tmpl: PodTemplateSpec | undefined): void {
  corePodTemplateDefaults(tmpl);
}

/** Every invalid field of a pod template at `path` (labels, annotations, spec). */
export function validatePodTemplate(tmpl: PodTemplateSpec | undefined, path: PathLike): FieldError[] {
  return corePodTemplateValidation(tmpl, path);
}

/**
 * The pod-template rules of controllers that keep pods running (Deployment, ReplicaSet,
 * DaemonSet, StatefulSet), after `validatePodTemplate`: restartPolicy must be Always and
 * activeDeadlineSeconds is forbidden (`… in <kind> is not Supported`).
 */
export function validateAlwaysRunningTemplate(tmpl: PodTemplateSpec | undefined, path: PathLike, kind: string): FieldError[] {
  const spec = tmpl?.spec;
  if (!spec || typeof spec !== 'object') return [];
  const p = toPath(path).child('spec');
  const errs: FieldError[] = [];
  if (spec.restartPolicy !== undefined && spec.restartPolicy !== 'Always') errs.push(notSupported(p.child('restartPolicy'), spec.restartPolicy, ['Always']));
  if (spec.activeDeadlineSeconds !== undefined && spec.activeDeadlineSeconds !== null) {
    errs.push(forbidden(p.child('activeDeadlineSeconds'), `activeDeadlineSeconds in ${kind} is not Supported`));
  }
  return errs;
}
