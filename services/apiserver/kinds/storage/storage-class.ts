import type { FieldError } from '../../../../lib/api/errors';
import { RESOURCES } from '../../../../lib/api/resources';
import type { StorageClass } from '../../../../lib/api/types/storage';
import {
  FieldPath,
  invalid,
  qualifiedNameErrors,
  required,
  tooLong,
  tooMany,
  validateImmutableField,
} from '../../../../lib/api/validation';
import type { Strategy } from '../../registry/strategy';
import { checkMap, isRecord, validateEnum } from '../core/common';
export type { StorageClass };

/** Longest provisioner name, in characters (Kubernetes' ProvisionerMaxLength: a qualified name's length limit times 4). */
export const MAX_PROVISIONER_LENGTH = 63 * 4;
/** Most parameters a class may carry (Kubernetes' maxProvisionerParameterLen is a size; a count is simpler to state). */
export const MAX_PROVISIONER_PARAMETERS = 512;
/** Largest total size of the parameters' keys and values, in bytes (Kubernetes' maxProvisionerParameterSize). */
export const MAX_PROVISIONER_PARAMETERS_SIZE_BYTES = 256 * 1024;
/** The reclaim policies a class may ask for (Recycle is deprecated and not offered for classes). */
export const STORAGE_CLASS_RECLAIM_POLICIES: readonly string[] = ['Delete', 'Retain'];
/** The volume binding modes. */
export const VOLUME_BINDING_MODES: readonly string[] = ['Immediate', 'WaitForFirstConsumer'];

function validateProvisioner(value: unknown, path: FieldPath): FieldError[] {
  if (value === undefined || value === null || value === '') return [required(path)];
  if (typeof value !== 'string') return [invalid(path, value, 'must be a string')];
  if (value.length > MAX_PROVISIONER_LENGTH) return [tooLong(path, value, MAX_PROVISIONER_LENGTH)];
  return qualifiedNameErrors(value.toLowerCase()).map((m) => invalid(path, value, m));
}

function validateParameters(params: unknown, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  if (params === undefined || params === null || !checkMap(params, path, errs)) return errs;
  const entries = Object.entries(params as Record<string, unknown>);
  if (entries.length > MAX_PROVISIONER_PARAMETERS) errs.push(tooMany(path, entries.length, MAX_PROVISIONER_PARAMETERS));
  let size = 0;
  for (const [k, v] of entries) {
    if (k === '') errs.push(invalid(path, k, 'parameter keys must not be empty'));
    if (typeof v !== 'string') errs.push(invalid(path.key(k), v, 'must be a string'));
    size += k.length + String(v).length;
  }
  if (size > MAX_PROVISIONER_PARAMETERS_SIZE_BYTES) errs.push(tooLong(path, '', MAX_PROVISIONER_PARAMETERS_SIZE_BYTES));
  return errs;
}

function validateAllowedTopologies(terms: unknown, path: FieldPath): FieldError[] {
  if (terms === undefined || terms === null) return [];
  if (!Array.isArray(terms)) return [invalid(path, terms, 'must be a list')];
  const errs: FieldError[] = [];
  terms.forEach((term: unknown, i) => {
    const p = path.index(i).child('matchLabelExpressions');
    const exprs = isRecord(term) ? term.matchLabelExpressions : undefined;
    if (!Array.isArray(exprs) || exprs.length === 0) { errs.push(required(p, 'must have at least one label expression')); return; }
    exprs.forEach((e: unknown, j) => {
      const ep = p.index(j);
      if (!isRecord(e) || typeof e.key !== 'string' || e.key === '') errs.push(required(ep.child('key')));
      if (!isRecord(e) || !Array.isArray(e.values) || e.values.length === 0) errs.push(required(ep.child('values'), 'must specify as least one value'));
    });
  });
  return errs;
}

/**
 * Kubernetes' ValidateStorageClass: provisioner required (a qualified name, at most 252
 * characters), parameters a string map of bounded size, reclaimPolicy Delete or Retain,
 * volumeBindingMode Immediate or WaitForFirstConsumer, allowedTopologies terms with keys and values.
 */
export function validateStorageClass(obj: StorageClass): FieldError[] {
  return [
    ...validateProvisioner(obj.provisioner, FieldPath.root('provisioner')),
    ...validateParameters(obj.parameters, FieldPath.root('parameters')),
    ...validateEnum(obj.reclaimPolicy, STORAGE_CLASS_RECLAIM_POLICIES, FieldPath.root('reclaimPolicy')),
    ...validateEnum(obj.volumeBindingMode, VOLUME_BINDING_MODES, FieldPath.root('volumeBindingMode')),
    ...(obj.allowVolumeExpansion !== undefined && typeof obj.allowVolumeExpansion !== 'boolean'
      ? [invalid(FieldPath.root('allowVolumeExpansion'), obj.allowVolumeExpansion, 'must be a boolean')]
      : []),
    ...validateAllowedTopologies(obj.allowedTopologies, FieldPath.root('allowedTopologies')),
  ];
}

/** Kubernetes' defaults: reclaimPolicy Delete, volumeBindingMode Immediate. */
function defaultStorageClassFields(obj: StorageClass): void {
  obj.reclaimPolicy ??= 'Delete';
  obj.volumeBindingMode ??= 'Immediate';
}

/** The fields Kubernetes' ValidateStorageClassUpdate freezes (everything but allowVolumeExpansion and metadata). */
const IMMUTABLE_FIELDS = ['provisioner', 'parameters', 'reclaimPolicy', 'volumeBindingMode'] as const;

/**
 * Registry strategy of storage.k8s.io/v1 StorageClass (sc; cluster-scoped, no status): only
 * allowVolumeExpansion, mountOptions, allowedTopologies and metadata change after creation
 * (Kubernetes freezes provisioner, parameters, reclaimPolicy and volumeBindingMode).
 */
export const storageClassStrategy: Strategy<StorageClass> = {
  info: RESOURCES.storageclasses,
  hasStatus: false,
  prepareForCreate: defaultStorageClassFields,
  prepareForUpdate: defaultStorageClassFields,
  validate: validateStorageClass,
  validateUpdate(obj, old) {
    const errs = validateStorageClass(obj);
    for (const f of IMMUTABLE_FIELDS) {
      // An empty parameters map and none are the same class.
      const next = f === 'parameters' ? obj.parameters ?? {} : obj[f];
      const prev = f === 'parameters' ? old.parameters ?? {} : old[f];
      errs.push(...validateImmutableField(next, prev, FieldPath.root(f)));
    }
    return errs;
  },
  specChanged() {
    return false;
  },
};
