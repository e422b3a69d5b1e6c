import type { FieldError } from '../../../../lib/api/errors';
import { dns1123LabelErrors, dns1123SubdomainErrors, invalid, validateFinalizers } from '../../../../lib/api/validation';
import type { Strategy } from '../../registry/strategy';
import { deepEqual, specDiffers } from './common';
import { RESOURCES } from '../../../../lib/api/resources';
import type { Namespace } from '../../../../lib/api/types/core';
export type { Namespace };

/** The finalizer every namespace gets; the namespace controller removes it after cleanup. */
export const KUBERNETES_FINALIZER = 'kubernetes';
/** Label Kubernetes sets on every namespace to its own name. */
export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

/**
 * The DNS-1123-label rule of namespace names, beyond the subdomain rule the registry already
 * checks (so a bad name is reported once).
 */
function validateName(name: string | undefined): FieldError[] {
  if (!name || dns1123SubdomainErrors(name).length > 0) return [];
  return dns1123LabelErrors(name).map((m) => invalid('metadata.name', name, m));
}

function setNameLabel(obj: Namespace): void {
  if (obj.metadata.name) obj.metadata.labels = { ...(obj.metadata.labels ?? {}), [NAMESPACE_NAME_LABEL]: obj.metadata.name };
}

/**
 * Namespaces (cluster-scoped): created Active with the "kubernetes" spec finalizer added and the
 * kubernetes.io/metadata.name label; spec.finalizers are not changed by plain updates (only by
 * the namespace controller's finalize call, as in Kubernetes).
 */
export const namespaceStrategy: Strategy<Namespace> = {
  info: RESOURCES.namespaces,
  hasStatus: true,
  prepareForCreate(obj) {
    const finalizers = Array.isArray(obj.spec?.finalizers) ? [...obj.spec!.finalizers] : [];
    if (!finalizers.includes(KUBERNETES_FINALIZER)) finalizers.push(KUBERNETES_FINALIZER);
    obj.spec = { ...(obj.spec ?? {}), finalizers };
    obj.status = { phase: 'Active' };
    setNameLabel(obj);
  },
  prepareForUpdate(obj, old) {
    obj.spec = old.spec === undefined ? undefined : JSON.parse(JSON.stringify(old.spec));
    if (obj.spec === undefined) delete obj.spec;
    setNameLabel(obj);
  },
  validate(obj) {
    return [...validateName(obj.metadata.name), ...validateFinalizers(obj.spec?.finalizers, 'spec.finalizers')];
  },
  validateUpdate(obj) {
    return [...validateName(obj.metadata.name), ...validateFinalizers(obj.spec?.finalizers, 'spec.finalizers')];
  },
  specChanged: specDiffers,
  // The namespace controller empties the namespace, then removes spec.finalizers (through the
  // finalize subresource); until then a deleted namespace stays, Terminating.
  holdsDeletion(obj) {
    return (obj.spec?.finalizers ?? []).length > 0;
  },
  markDeleting(obj) {
    obj.status = { ...(obj.status ?? {}), phase: 'Terminating' };
  },
  selectableFields(obj) {
    return { 'status.phase': obj.status?.phase ?? '' };
  },
};

/**
 * The Namespace strategy of the finalize subresource (namespaces/finalize): an update that
 * writes spec.finalizers and nothing else (status is kept by the registry; any other change
 * of spec or of labels, annotations, finalizers or owner references is refused). Removing the
 * last spec finalizer of a namespace being deleted completes its deletion.
 */
export const namespaceFinalizeStrategy: Strategy<Namespace> = {
  ...namespaceStrategy,
  prepareForUpdate(obj) {
    const finalizers = Array.isArray(obj.spec?.finalizers) ? [...obj.spec!.finalizers] : [];
    obj.spec = { ...(obj.spec ?? {}), finalizers };
    setNameLabel(obj);
  },
  validateUpdate(obj, old) {
    const errs = namespaceStrategy.validateUpdate(obj, old);
    const otherSpec = (n: Namespace) => ({ ...(n.spec ?? {}), finalizers: undefined });
    if (!deepEqual(otherSpec(obj), otherSpec(old))) errs.push({ type: 'FieldValueForbidden', field: 'spec', message: 'Forbidden: namespaces/finalize may only change spec.finalizers' });
    for (const field of ['labels', 'annotations', 'finalizers', 'ownerReferences'] as const) {
      const norm = (v: unknown) => (v === undefined || (Array.isArray(v) && v.length === 0) || (typeof v === 'object' && v !== null && Object.keys(v).length === 0) ? undefined : v);
      if (!deepEqual(norm(obj.metadata[field]), norm(old.metadata[field]))) {
        errs.push({ type: 'FieldValueForbidden', field: `metadata.${field}`, message: 'Forbidden: namespaces/finalize may only change spec.finalizers' });
      }
    }
    return errs;
  },
};
