import type { FieldError } from '../../../../lib/api/errors';
import { validateQuantity } from '../../../../lib/api/quantity';
import { notSupported, required, toPath, validateDns1123Subdomain, type PathLike } from '../../../../lib/api/validation';
import type { Strategy } from '../../registry/strategy';
import { specDiffers, validateEnum } from './common';
import { defaultVolumeSources, PERSISTENT_VOLUME_SOURCES, validateOneVolumeSource } from './volume-source';
import { RESOURCES } from '../../../../lib/api/resources';
import type { PersistentVolume } from '../../../../lib/api/types/core';
export type { PersistentVolume };

export const ACCESS_MODES: readonly string[] = ['ReadWriteOnce', 'ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOncePod'];
export const RECLAIM_POLICIES: readonly string[] = ['Retain', 'Delete', 'Recycle'];
export const VOLUME_MODES: readonly string[] = ['Block', 'Filesystem'];

/** Validates a list of access modes: required, each one of ACCESS_MODES; ReadWriteOncePod alone. */
export function validateAccessModes(modes: unknown, path: PathLike): FieldError[] {
  const p = toPath(path);
  if (!Array.isArray(modes) || modes.length === 0) return [required(p)];
  const errs: FieldError[] = [];
  modes.forEach((m) => {
    if (!ACCESS_MODES.includes(m)) errs.push(notSupported(p, m, ACCESS_MODES));
  });
  if (modes.includes('ReadWriteOncePod') && modes.length > 1) {
    errs.push({ type: 'FieldValueForbidden', field: String(p), message: 'Forbidden: may not use ReadWriteOncePod with other access modes' });
  }
  return errs;
}

function defaults(obj: PersistentVolume): void {
  obj.spec ??= {};
  obj.spec.persistentVolumeReclaimPolicy ??= 'Retain';
  obj.spec.volumeMode ??= 'Filesystem';
  defaultVolumeSources(obj.spec);
}

function validatePv(obj: PersistentVolume): FieldError[] {
  const p = toPath('spec');
  const spec = obj.spec ?? {};
  const errs: FieldError[] = [];
  errs.push(...validateAccessModes(spec.accessModes, p.child('accessModes')));
  const capacity = spec.capacity;
  if (!capacity || Object.keys(capacity).length === 0) errs.push(required(p.child('capacity')));
  else if (!('storage' in capacity) || Object.keys(capacity).length > 1) errs.push(notSupported(p.child('capacity'), capacity, ['storage']));
  else errs.push(...validateQuantity(capacity.storage, p.child('capacity').key('storage'), { nonNegative: true }));
  errs.push(...validateEnum(spec.persistentVolumeReclaimPolicy, RECLAIM_POLICIES, p.child('persistentVolumeReclaimPolicy')));
  errs.push(...validateEnum(spec.volumeMode, VOLUME_MODES, p.child('volumeMode')));
  if (spec.storageClassName) errs.push(...validateDns1123Subdomain(spec.storageClassName, p.child('storageClassName')));
  errs.push(...validateOneVolumeSource(spec, PERSISTENT_VOLUME_SOURCES, p));
  return errs;
}

/**
 * PersistentVolumes (pv; cluster-scoped): capacity.storage (the only capacity key) and
 * accessModes are required, exactly one volume source; reclaim policy Retain, volumeMode
 * Filesystem and the source's declared defaults by default; created with status.phase Pending.
 * volumeMode never changes.
 */
export const persistentVolumeStrategy: Strategy<PersistentVolume> = {
  info: RESOURCES.persistentvolumes,
  hasStatus: true,
  prepareForCreate(obj) {
    defaults(obj);
    obj.status = { phase: 'Pending' };
  },
  prepareForUpdate: defaults,
  validate: validatePv,
  validateUpdate(obj, old) {
    const errs = validatePv(obj);
    if (obj.spec?.volumeMode !== old.spec?.volumeMode) {
      errs.push({ type: 'FieldValueInvalid', field: 'spec.volumeMode', message: `Invalid value: ${JSON.stringify(obj.spec?.volumeMode ?? '')}: field is immutable` });
    }
    return errs;
  },
  specChanged: specDiffers,
};
