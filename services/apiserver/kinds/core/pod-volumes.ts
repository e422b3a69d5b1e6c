import type { FieldError } from '../../../../lib/api/errors';
import { validateQuantity } from '../../../../lib/api/quantity';
import { invalid, notSupported, required, toPath, validateAnnotations, validateLabels, type PathLike } from '../../../../lib/api/validation';
import { isRecord, objectItems } from './common';
import { defaultPersistentVolumeClaimSpec, validatePersistentVolumeClaimSpec, type PersistentVolumeClaimSpec } from './persistent-volume-claim';
import { defaultVolumeSources, POD_VOLUME_SOURCES, setVolumeSources, validateOneVolumeSource } from './volume-source';

/**
 * A pod's volumes (spec.volumes[i]): the defaults Kubernetes fills in (pkg/apis/core/v1
 * defaults.go) and the rules of its validation for the sources pods commonly use. Any of
 * Kubernetes' sources is accepted; exactly one per volume.
 */

/** Mode of files projected from Secrets, ConfigMaps, the downward API and projections (0644). */
export const DEFAULT_VOLUME_FILE_MODE = 0o644;
/** Lifetime of a projected service account token unless the pod asks otherwise, in seconds. */
export const DEFAULT_TOKEN_EXPIRATION_SECONDS = 3600;
/** Shortest lifetime a projected service account token may ask for, in seconds. */
export const MIN_TOKEN_EXPIRATION_SECONDS = 600;
/** Longest lifetime a projected service account token may ask for, in seconds (2^32). */
export const MAX_TOKEN_EXPIRATION_SECONDS = 2 ** 32;
/** Largest file mode of a projected file (0777). */
const MAX_FILE_MODE = 0o777;
const FILE_MODE_ERROR = 'must be a number between 0 and 0777 (octal), both inclusive';
/** What a hostPath must be on the node ("" checks nothing). */
export const HOST_PATH_TYPES: readonly string[] = ['', 'DirectoryOrCreate', 'Directory', 'FileOrCreate', 'File', 'Socket', 'CharDevice', 'BlockDevice'];
/** The sources one projection of a projected volume may name (exactly one). */
const PROJECTION_SOURCES: readonly string[] = ['secret', 'downwardAPI', 'configMap', 'serviceAccountToken', 'clusterTrustBundle', 'podCertificate'];

/** A downward API file's fieldRef defaults to apiVersion v1 (Kubernetes' SetDefaults_ObjectFieldSelector). */
export function defaultFieldRef(holder: unknown): void {
  if (isRecord(holder) && isRecord(holder.fieldRef)) holder.fieldRef.apiVersion ??= 'v1';
}

function defaultDownwardApiItems(source: Record<string, unknown>): void {
  for (const item of Array.isArray(source.items) ? source.items : []) defaultFieldRef(item);
}

/**
 * Fills a pod volume's defaults in place: no source means an emptyDir; secret, configMap,
 * downwardAPI and projected get defaultMode 0644; projected tokens expire after an hour;
 * downward API fieldRefs get apiVersion v1; an ephemeral claim template gets its claim spec
 * defaults; hostPath and the in-tree sources get their declared defaults.
 */
export function defaultPodVolume(volume: Record<string, unknown>): void {
  if (setVolumeSources(volume, POD_VOLUME_SOURCES).length === 0) volume.emptyDir = {};
  for (const source of ['secret', 'configMap', 'downwardAPI', 'projected']) {
    const s = volume[source];
    if (isRecord(s)) s.defaultMode ??= DEFAULT_VOLUME_FILE_MODE;
  }
  if (isRecord(volume.downwardAPI)) defaultDownwardApiItems(volume.downwardAPI);
  if (isRecord(volume.projected)) {
    for (const projection of Array.isArray(volume.projected.sources) ? volume.projected.sources : []) {
      if (!isRecord(projection)) continue;
      if (isRecord(projection.serviceAccountToken)) projection.serviceAccountToken.expirationSeconds ??= DEFAULT_TOKEN_EXPIRATION_SECONDS;
      if (isRecord(projection.downwardAPI)) defaultDownwardApiItems(projection.downwardAPI);
    }
  }
  const template = isRecord(volume.ephemeral) ? volume.ephemeral.volumeClaimTemplate : undefined;
  if (isRecord(template) && isRecord(template.spec)) defaultPersistentVolumeClaimSpec(template.spec as PersistentVolumeClaimSpec);
  defaultVolumeSources(volume);
}

/** A file mode (defaultMode, an item's mode), when set, is within 0..0777. */
function validateFileMode(mode: unknown, path: PathLike): FieldError[] {
  if (mode === undefined || mode === null) return [];
  return typeof mode === 'number' && Number.isInteger(mode) && mode >= 0 && mode <= MAX_FILE_MODE ? [] : [invalid(path, mode, FILE_MODE_ERROR)];
}

/** The defaultMode and the items (key and path required, mode in range) of a secret or configMap source. */
function validateKeyedSource(source: Record<string, unknown>, path: PathLike): FieldError[] {
  const p = toPath(path);
  const errs = validateFileMode(source.defaultMode, p.child('defaultMode'));
  for (const [item, ip] of objectItems(source.items as Record<string, unknown>[] | undefined, p.child('items'), errs)) {
    if (!item.key) errs.push(required(ip.child('key')));
    if (!item.path) errs.push(required(ip.child('path')));
    errs.push(...validateFileMode(item.mode, ip.child('mode')));
  }
  return errs;
}

/** A projected volume: each projection names exactly one source; token lifetimes within bounds. */
function validateProjected(projected: Record<string, unknown>, path: PathLike): FieldError[] {
  const p = toPath(path);
  const errs = validateFileMode(projected.defaultMode, p.child('defaultMode'));
  for (const [projection, pp] of objectItems(projected.sources as Record<string, unknown>[] | undefined, p.child('sources'), errs)) {
    errs.push(...validateOneVolumeSource(projection, PROJECTION_SOURCES, pp));
    for (const keyed of ['secret', 'configMap']) if (isRecord(projection[keyed])) errs.push(...validateKeyedSource(projection[keyed], pp.child(keyed)));
    const token = projection.serviceAccountToken;
    if (!isRecord(token)) continue;
    const tp = pp.child('serviceAccountToken');
    if (!token.path) errs.push(required(tp.child('path')));
    const seconds = token.expirationSeconds;
    if (typeof seconds === 'number' && seconds < MIN_TOKEN_EXPIRATION_SECONDS) errs.push(invalid(tp.child('expirationSeconds'), seconds, 'may not specify a duration less than 10 minutes'));
    if (typeof seconds === 'number' && seconds > MAX_TOKEN_EXPIRATION_SECONDS) errs.push(invalid(tp.child('expirationSeconds'), seconds, 'may not specify a duration larger than 2^32 seconds'));
  }
  return errs;
}

/** An ephemeral volume: a claim template is required; its labels, annotations and claim spec are valid. */
function validateEphemeral(ephemeral: Record<string, unknown>, path: PathLike): FieldError[] {
  const tp = toPath(path).child('volumeClaimTemplate');
  const template = ephemeral.volumeClaimTemplate;
  if (!isRecord(template)) return [required(tp)];
  const meta = isRecord(template.metadata) ? template.metadata : {};
  return [
    ...validateLabels(meta.labels as Record<string, string> | undefined, tp.child('metadata', 'labels')),
    ...validateAnnotations(meta.annotations as Record<string, string> | undefined, tp.child('metadata', 'annotations')),
    ...validatePersistentVolumeClaimSpec((isRecord(template.spec) ? template.spec : {}) as PersistentVolumeClaimSpec, tp.child('spec')),
  ];
}

/**
 * Every invalid field of the source of the pod volume at `path` (its name is checked by the
 * caller): exactly one source, and for hostPath, emptyDir, nfs, persistentVolumeClaim, secret,
 * configMap, downwardAPI, projected, csi and ephemeral what Kubernetes requires of them.
 */
export function validatePodVolumeSource(volume: Record<string, unknown>, path: PathLike): FieldError[] {
  const p = toPath(path);
  const errs = validateOneVolumeSource(volume, POD_VOLUME_SOURCES, p);
  const { hostPath, emptyDir, nfs, persistentVolumeClaim, secret, configMap, downwardAPI, projected, csi, ephemeral } = volume;
  if (isRecord(hostPath)) {
    if (!hostPath.path) errs.push(required(p.child('hostPath', 'path')));
    if (hostPath.type !== undefined && !HOST_PATH_TYPES.includes(hostPath.type as string)) errs.push(notSupported(p.child('hostPath', 'type'), hostPath.type, HOST_PATH_TYPES));
  }
  if (isRecord(emptyDir) && emptyDir.sizeLimit !== undefined) errs.push(...validateQuantity(emptyDir.sizeLimit, p.child('emptyDir', 'sizeLimit'), { nonNegative: true }));
  if (isRecord(nfs)) {
    if (!nfs.server) errs.push(required(p.child('nfs', 'server')));
    if (!nfs.path) errs.push(required(p.child('nfs', 'path')));
    else if (typeof nfs.path !== 'string' || !nfs.path.startsWith('/')) errs.push(invalid(p.child('nfs', 'path'), nfs.path, 'must be an absolute path'));
  }
  if (isRecord(persistentVolumeClaim) && !persistentVolumeClaim.claimName) errs.push(required(p.child('persistentVolumeClaim', 'claimName')));
  if (isRecord(secret)) {
    if (!secret.secretName) errs.push(required(p.child('secret', 'secretName')));
    errs.push(...validateKeyedSource(secret, p.child('secret')));
  }
  if (isRecord(configMap)) {
    if (!configMap.name) errs.push(required(p.child('configMap', 'name')));
    errs.push(...validateKeyedSource(configMap, p.child('configMap')));
  }
  if (isRecord(downwardAPI)) {
    errs.push(...validateFileMode(downwardAPI.defaultMode, p.child('downwardAPI', 'defaultMode')));
    for (const [item, ip] of objectItems(downwardAPI.items as Record<string, unknown>[] | undefined, p.child('downwardAPI', 'items'), errs)) {
      if (!item.path) errs.push(required(ip.child('path')));
      errs.push(...validateFileMode(item.mode, ip.child('mode')));
    }
  }
  if (isRecord(projected)) errs.push(...validateProjected(projected, p.child('projected')));
  if (isRecord(csi) && !csi.driver) errs.push(required(p.child('csi', 'driver')));
  if (isRecord(ephemeral)) errs.push(...validateEphemeral(ephemeral, p.child('ephemeral')));
  return errs;
}
