import { ConflictError, type FieldError } from '../../../../lib/api/errors';
import { invalid, notSupported, required } from '../../../../lib/api/validation';
import type { Strategy } from '../../registry/strategy';
import { deepEqual } from './common';
import { podStrategy, type Pod } from './pod';
import { schedulingGateNames } from './pod-scheduling';
import { validatePodSpec } from './pod-spec';
import type { Binding } from '../../../../lib/api/types/core';
export type { Binding };

/** Every invalid field of a Binding: target.name required, target.kind "Node" or empty. */
export function validateBinding(binding: Binding): FieldError[] {
  const errs: FieldError[] = [];
  const kind = binding.target?.kind ?? '';
  if (kind !== '' && kind !== 'Node') errs.push(notSupported('target.kind', kind, ['Node', '<empty>']));
  if (!binding.target?.name) errs.push(required('target.name'));
  return errs;
}

/**
 * Applies a binding to (a copy of) the stored pod, as Kubernetes' assignPod does: sets
 * spec.nodeName, copies the binding's annotations and sets the PodScheduled condition True.
 * A pod already on a node, being deleted, or still held by scheduling gates is a ConflictError
 * on pods/binding. Meant as the
 * `mutate` of GenericStore.guaranteedUpdate on a store built with `podBindingStrategy`.
 */
export function bindPod(pod: Pod, binding: Binding, now: Date): Pod {
  const name = pod.metadata.name ?? '';
  if (pod.metadata.deletionTimestamp) throw new ConflictError('pods/binding', '', name, `pod ${name} is being deleted, cannot be assigned to a host`);
  const current = pod.spec?.nodeName;
  if (current) throw new ConflictError('pods/binding', '', name, `pod ${name} is already assigned to node ${JSON.stringify(current)}`);
  if (schedulingGateNames(pod.spec ?? {}).length > 0) throw new ConflictError('pods/binding', '', name, `pod ${name} has non-empty .spec.schedulingGates`);
  pod.spec = { ...(pod.spec ?? {}), nodeName: binding.target?.name ?? '' };
  if (binding.metadata.annotations && Object.keys(binding.metadata.annotations).length > 0) {
    pod.metadata.annotations = { ...(pod.metadata.annotations ?? {}), ...binding.metadata.annotations };
  }
  const status = (pod.status ??= {});
  const conditions = Array.isArray(status.conditions) ? (status.conditions as Record<string, unknown>[]) : [];
  const scheduled = { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: now.toISOString().replace(/\.\d{3}Z$/, 'Z') };
  const i = conditions.findIndex((c) => c.type === 'PodScheduled');
  if (i < 0) conditions.push(scheduled);
  else if (conditions[i]!.status !== 'True') conditions[i] = scheduled;
  status.conditions = conditions;
  return pod;
}

/**
 * The Pod strategy of the binding subresource: the only spec change allowed is setting
 * spec.nodeName on a pod that has none; status (the PodScheduled condition) is written along
 * with it, so hasStatus is false here (the registry must not restore the old status).
 */
export const podBindingStrategy: Strategy<Pod> = {
  ...podStrategy,
  hasStatus: false,
  validateUpdate(obj, old) {
    const errs = validatePodSpec(obj.spec, 'spec');
    if (old.spec?.nodeName && obj.spec?.nodeName !== old.spec.nodeName) {
      errs.push(invalid('spec.nodeName', obj.spec?.nodeName ?? '', 'field is immutable'));
    }
    const rest = (p: Pod) => ({ ...(p.spec ?? {}), nodeName: undefined });
    if (!deepEqual(rest(obj), rest(old))) errs.push({ type: 'FieldValueForbidden', field: 'spec', message: 'Forbidden: a binding may only set spec.nodeName' });
    return errs;
  },
};
