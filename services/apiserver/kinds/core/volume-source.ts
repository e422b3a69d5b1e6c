import type { FieldError } from '../../../../lib/api/errors';
import { K8S_MESSAGE_FIELDS } from '../../../../lib/api/proto/schema';
import { forbidden, required, toPath, type PathLike } from '../../../../lib/api/validation';
import { isRecord } from './common';

/**
 * The volume sources of Kubernetes' VolumeSource (a pod's volumes) and PersistentVolumeSource (a
 * PersistentVolume's spec), and the rule both share: exactly one source per volume. The sources
 * are the fields of the two protobuf messages (lib/api/proto/schema.ts), so a source upstream
 * adds is known here as soon as the messages are regenerated.
 */

/** The JSON names of the fields of one protobuf message, in field-table order. */
function fieldNames(message: string): readonly string[] {
  const fields = K8S_MESSAGE_FIELDS[message];
  if (!fields) throw new Error(`no field table for protobuf message ${message}`);
  return fields.map(([name]) => name);
}

/** Every source a pod volume may name (hostPath, emptyDir, nfs, csi, ephemeral, …). */
export const POD_VOLUME_SOURCES: readonly string[] = fieldNames('k8s.io.api.core.v1.VolumeSource');
/** Every source a PersistentVolume may name (hostPath, local, nfs, csi, iscsi, …). */
export const PERSISTENT_VOLUME_SOURCES: readonly string[] = fieldNames('k8s.io.api.core.v1.PersistentVolumeSource');

/** The sources among `sources` that `holder` sets (a present, non-null member), in order. */
export function setVolumeSources(holder: Record<string, unknown>, sources: readonly string[]): string[] {
  return sources.filter((s) => holder[s] !== undefined && holder[s] !== null);
}

/**
 * Kubernetes' one-source rule for the volume (or PersistentVolume spec) `holder` at `path`:
 * `Required value: must specify a volume type` at `path` when none is set, and `Forbidden: may
 * not specify more than 1 volume type` at `path.<source>` for each source after the first.
 */
export function validateOneVolumeSource(holder: Record<string, unknown>, sources: readonly string[], path: PathLike): FieldError[] {
  const p = toPath(path);
  const set = setVolumeSources(holder, sources);
  if (set.length === 0) return [required(p, 'must specify a volume type')];
  return set.slice(1).map((s) => forbidden(p.child(s), 'may not specify more than 1 volume type'));
}

/**
 * Kubernetes' declared defaults (`+default=` in k8s.io/api core/v1 types.go) of the volume
 * sources that have any, by source field; the same for a pod's volume and a PersistentVolume.
 */
const SOURCE_DEFAULTS: Readonly<Record<string, Readonly<Record<string, unknown>>>> = {
  rbd: { pool: 'rbd', user: 'admin', keyring: '/etc/ceph/keyring' },
  iscsi: { iscsiInterface: 'default' },
  azureDisk: { cachingMode: 'ReadWrite', fsType: 'ext4', readOnly: false, kind: 'Shared' },
  scaleIO: { storageMode: 'ThinProvisioned', fsType: 'xfs' },
};

/**
 * Fills, in place, the declared defaults of the sources `holder` sets (rbd pool/user/keyring,
 * iscsi iscsiInterface, azureDisk cachingMode/fsType/readOnly/kind, scaleIO storageMode/fsType)
 * and a hostPath's type "" (Kubernetes' SetDefaults_HostPathVolumeSource).
 */
export function defaultVolumeSources(holder: Record<string, unknown>): void {
  for (const [source, defaults] of Object.entries(SOURCE_DEFAULTS)) {
    const value = holder[source];
    if (!isRecord(value)) continue;
    for (const [field, v] of Object.entries(defaults)) value[field] ??= v;
  }
  if (isRecord(holder.hostPath)) holder.hostPath.type ??= '';
}
