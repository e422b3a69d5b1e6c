import type { FieldError } from '../../../../lib/api/errors';
import type { KubeObject } from '../../../../lib/api/object';
import { forbidden, invalid, toPath, tooLong, type PathLike } from '../../../../lib/api/validation';
import type { Strategy } from '../../registry/strategy';
import { checkMap, deepEqual } from './common';
import { RESOURCES } from '../../../../lib/api/resources';
import type { ConfigMap } from '../../../../lib/api/types/core';
export type { ConfigMap };

/** Largest total size of a ConfigMap's or Secret's data, in bytes (1 MiB). */
export const MAX_DATA_SIZE_BYTES = 1024 * 1024;
/** Longest config key, in characters. */
export const CONFIG_KEY_MAX_LENGTH = 253;
const CONFIG_KEY_FMT = '[-._a-zA-Z0-9]+';
const CONFIG_KEY_RE = new RegExp(`^${CONFIG_KEY_FMT}$`);

/** Problems of `key` as a ConfigMap/Secret key (Kubernetes' IsConfigMapKey). */
export function configKeyErrors(key: string): string[] {
  const errs: string[] = [];
  if (key.length > CONFIG_KEY_MAX_LENGTH) errs.push(`must be no more than ${CONFIG_KEY_MAX_LENGTH} characters`);
  if (!CONFIG_KEY_RE.test(key)) {
    errs.push(
      `a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '${CONFIG_KEY_FMT}')`,
    );
  }
  if (key === '.') errs.push("must not be '.'");
  else if (key === '..') errs.push("must not be '..'");
  else if (key.startsWith('..')) errs.push("must not start with '..'");
  return errs;
}

/** Validates every key of a data map at `path` (`data[key]: Invalid value: "key": …`). */
export function validateConfigKeys(data: Record<string, unknown> | undefined, path: PathLike): FieldError[] {
  const p = toPath(path);
  const errs: FieldError[] = [];
  for (const key of Object.keys(data ?? {})) errs.push(...configKeyErrors(key).map((m) => invalid(p.key(key), key, m)));
  return errs;
}

/**
 * The rule of `immutable: true` data objects: once set, neither the flag nor `fields` change
 * (`data: Forbidden: field is immutable when `immutable` is set`).
 */
export function validateImmutableData<T extends KubeObject & { immutable?: boolean }>(obj: T, old: T, fields: string[]): FieldError[] {
  if (old.immutable !== true) return [];
  const errs: FieldError[] = [];
  if (obj.immutable !== true) errs.push(forbidden('immutable', 'field is immutable when `immutable` is set'));
  for (const f of fields) if (!deepEqual(obj[f] ?? null, old[f] ?? null)) errs.push(forbidden(f, 'field is immutable when `immutable` is set'));
  return errs;
}

function validateConfigMap(obj: ConfigMap): FieldError[] {
  const errs: FieldError[] = [];
  if (obj.data !== undefined && !checkMap(obj.data, 'data', errs)) return errs;
  if (obj.binaryData !== undefined && !checkMap(obj.binaryData, 'binaryData', errs)) return errs;
  errs.push(...validateConfigKeys(obj.data, 'data'));
  errs.push(...validateConfigKeys(obj.binaryData, 'binaryData'));
  let total = 0;
  for (const [k, v] of Object.entries(obj.data ?? {})) {
    if (typeof v !== 'string') errs.push(invalid(toPath('data').key(k), v, 'must be a string'));
    else total += Buffer.byteLength(k) + Buffer.byteLength(v);
  }
  for (const [k, v] of Object.entries(obj.binaryData ?? {})) {
    if (obj.data && k in obj.data) errs.push(invalid(toPath('data').key(k), k, 'duplicate of key present in binaryData'));
    if (typeof v !== 'string') errs.push(invalid(toPath('binaryData').key(k), v, 'must be a base64-encoded string'));
    else total += Buffer.byteLength(k) + Buffer.from(v, 'base64').length;
  }
  if (total > MAX_DATA_SIZE_BYTES) errs.push(tooLong('', total, MAX_DATA_SIZE_BYTES));
  return errs;
}

/** ConfigMaps (cm): config keys, no key in both data and binaryData, at most 1 MiB, `immutable`. */
export const configMapStrategy: Strategy<ConfigMap> = {
  info: RESOURCES.configmaps,
  hasStatus: false,
  prepareForCreate() {},
  prepareForUpdate() {},
  validate: validateConfigMap,
  validateUpdate(obj, old) {
    return [...validateConfigMap(obj), ...validateImmutableData(obj, old, ['data', 'binaryData'])];
  },
  specChanged() {
    return false;
  },
};
