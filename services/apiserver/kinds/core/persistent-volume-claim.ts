import type { FieldError } from '../../../../lib/api/errors';
import { compareQuantities, isQuantity, validateQuantity } from '../../../../lib/api/quantity';
import { forbidden, required, toPath, type PathLike } from '../../../../lib/api/validation';
import { validateLabelSelector } from '../../../../lib/api/label-selector';
import type { Strategy } from '../../registry/strategy';
import { deepEqual, specDiffers, validateEnum } from './common';
import { VOLUME_MODES, validateAccessModes } from './persistent-volume';
import { RESOURCES } from '../../../../lib/api/resources';
import type { PersistentVolumeClaimSpec, PersistentVolumeClaim } from '../../../../lib/api/types/core';
export type { PersistentVolumeClaimSpec, PersistentVolumeClaim };

/** Kubernetes' message for a forbidden PVC spec change. */
export const PVC_UPDATE_FORBIDDEN_MESSAGE = 'spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims';

/** A claim spec's defaults, in place (Kubernetes' SetDefaults_PersistentVolumeClaimSpec): volumeMode Filesystem. */
export function defaultPersistentVolumeClaimSpec(spec: PersistentVolumeClaimSpec): void {
  spec.volumeMode ??= 'Filesystem';
}

function defaults(obj: PersistentVolumeClaim): void {
  obj.spec ??= {};
  defaultPersistentVolumeClaimSpec(obj.spec);
}

/**
 * Every invalid field of a claim spec at `path` (a claim's `spec`, or the spec of a pod's
 * ephemeral volumeClaimTemplate): accessModes, resources.requests.storage, volumeMode, selector.
 */
export function validatePersistentVolumeClaimSpec(spec: PersistentVolumeClaimSpec, path: PathLike): FieldError[] {
  const p = toPath(path);
  const errs: FieldError[] = [];
  errs.push(...validateAccessModes(spec.accessModes, p.child('accessModes')));
  const storage = spec.resources?.requests?.storage;
  if (storage === undefined) errs.push(required(p.child('resources').key('storage')));
  else errs.push(...validateQuantity(storage, p.child('resources', 'requests').key('storage'), { nonNegative: true }));
  errs.push(...validateEnum(spec.volumeMode, VOLUME_MODES, p.child('volumeMode')));
  if (spec.selector) errs.push(...validateLabelSelector(spec.selector, p.child('selector')));
  return errs;
}

function validatePvc(obj: PersistentVolumeClaim): FieldError[] {
  return validatePersistentVolumeClaimSpec(obj.spec ?? {}, 'spec');
}

function isBound(obj: PersistentVolumeClaim): boolean {
  return !!obj.spec?.volumeName || obj.status?.phase === 'Bound';
}

/**
 * PersistentVolumeClaims (pvc): accessModes and resources.requests.storage required,
 * volumeMode Filesystem by default, created with status.phase Pending. The spec never changes
 * except that volumeName may be set once (binding) and a bound claim's storage request may grow.
 */
export const persistentVolumeClaimStrategy: Strategy<PersistentVolumeClaim> = {
  info: RESOURCES.persistentvolumeclaims,
  hasStatus: true,
  prepareForCreate(obj) {
    defaults(obj);
    obj.status = { phase: 'Pending' };
  },
  prepareForUpdate: defaults,
  validate: validatePvc,
  validateUpdate(obj, old) {
    const errs = validatePvc(obj);
    const next = JSON.parse(JSON.stringify(obj.spec ?? {})) as PersistentVolumeClaimSpec;
    const prev = JSON.parse(JSON.stringify(old.spec ?? {})) as PersistentVolumeClaimSpec;
    if (!prev.volumeName && next.volumeName) prev.volumeName = next.volumeName; // binding
    const bound = isBound(old);
    if (bound) {
      const a = next.resources?.requests?.storage;
      const b = prev.resources?.requests?.storage;
      if (a !== undefined && b !== undefined && isQuantity(String(a)) && isQuantity(String(b)) && compareQuantities(String(a), String(b)) < 0) {
        errs.push(forbidden('spec.resources.requests.storage', 'field can not be less than previous value'));
      }
      if (next.resources) next.resources = { ...next.resources, requests: { ...(next.resources.requests ?? {}) } };
      if (prev.resources) prev.resources = { ...prev.resources, requests: { ...(prev.resources.requests ?? {}) } };
      if (next.resources?.requests) delete next.resources.requests.storage;
      if (prev.resources?.requests) delete prev.resources.requests.storage;
    }
    if (!deepEqual(next, prev)) errs.push(forbidden('spec', PVC_UPDATE_FORBIDDEN_MESSAGE));
    return errs;
  },
  specChanged: specDiffers,
};
