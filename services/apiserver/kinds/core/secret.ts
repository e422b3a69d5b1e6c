import type { FieldError } from '../../../../lib/api/errors';
import { invalid, required, toPath, tooLong, validateImmutableField } from '../../../../lib/api/validation';
import type { Strategy } from '../../registry/strategy';
import { checkMap } from './common';
import { MAX_DATA_SIZE_BYTES, validateConfigKeys, validateImmutableData } from './configmap';
import { RESOURCES } from '../../../../lib/api/resources';
import type { Secret } from '../../../../lib/api/types/core';
export type { Secret };

export const SECRET_TYPE_OPAQUE = 'Opaque';
export const SECRET_TYPE_SERVICE_ACCOUNT_TOKEN = 'kubernetes.io/service-account-token';
export const SECRET_TYPE_DOCKER_CONFIG_JSON = 'kubernetes.io/dockerconfigjson';
export const SECRET_TYPE_DOCKERCFG = 'kubernetes.io/dockercfg';
export const SECRET_TYPE_BASIC_AUTH = 'kubernetes.io/basic-auth';
export const SECRET_TYPE_SSH_AUTH = 'kubernetes.io/ssh-auth';
export const SECRET_TYPE_TLS = 'kubernetes.io/tls';
/** Annotation naming the ServiceAccount of a token Secret. */
export const SERVICE_ACCOUNT_NAME_ANNOTATION = 'kubernetes.io/service-account.name';

const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Defaults type to Opaque and folds stringData (base64-encoded) into data, then drops it. */
function prepare(obj: Secret): void {
  if (!obj.type) obj.type = SECRET_TYPE_OPAQUE;
  if (obj.stringData && typeof obj.stringData === 'object' && !Array.isArray(obj.stringData)) {
    const data = { ...(obj.data ?? {}) };
    for (const [k, v] of Object.entries(obj.stringData)) data[k] = Buffer.from(String(v), 'utf8').toString('base64');
    obj.data = data;
  }
  delete obj.stringData;
}

/** Keys that a Secret of `type` must carry in data. */
function requiredKeys(type: string): string[] {
  switch (type) {
    case SECRET_TYPE_DOCKER_CONFIG_JSON:
      return ['.dockerconfigjson'];
    case SECRET_TYPE_DOCKERCFG:
      return ['.dockercfg'];
    case SECRET_TYPE_SSH_AUTH:
      return ['ssh-privatekey'];
    case SECRET_TYPE_TLS:
      return ['tls.crt', 'tls.key'];
    default:
      return [];
  }
}

function validateSecret(obj: Secret): FieldError[] {
  const errs: FieldError[] = [];
  const dataPath = toPath('data');
  if (obj.data !== undefined && !checkMap(obj.data, dataPath, errs)) return errs;
  errs.push(...validateConfigKeys(obj.data, dataPath));
  let total = 0;
  for (const [k, v] of Object.entries(obj.data ?? {})) {
    if (typeof v !== 'string' || !BASE64_RE.test(v)) {
      errs.push(invalid(dataPath.key(k), typeof v === 'string' ? '<value omitted>' : v, 'must be a base64-encoded string'));
      continue;
    }
    total += Buffer.byteLength(k) + Buffer.from(v, 'base64').length;
  }
  if (total > MAX_DATA_SIZE_BYTES) errs.push(tooLong(dataPath, '', MAX_DATA_SIZE_BYTES));
  const type = obj.type ?? SECRET_TYPE_OPAQUE;
  for (const key of requiredKeys(type)) if (!(obj.data && key in obj.data)) errs.push(required(dataPath.key(key)));
  if (type === SECRET_TYPE_SERVICE_ACCOUNT_TOKEN && !obj.metadata.annotations?.[SERVICE_ACCOUNT_NAME_ANNOTATION]) {
    errs.push(required(toPath('metadata').child('annotations').key(SERVICE_ACCOUNT_NAME_ANNOTATION)));
  }
  if (type === SECRET_TYPE_BASIC_AUTH && !(obj.data && ('username' in obj.data || 'password' in obj.data))) {
    errs.push(required(dataPath.key('username')), required(dataPath.key('password')));
  }
  return errs;
}

/**
 * Secrets: type defaults to Opaque and never changes; data keys are config keys with base64
 * values (at most 1 MiB decoded); stringData is merged into data on every write and not
 * stored; type-specific keys (tls.crt/tls.key, .dockerconfigjson…) are required.
 */
export const secretStrategy: Strategy<Secret> = {
  info: RESOURCES.secrets,
  hasStatus: false,
  prepareForCreate: prepare,
  prepareForUpdate: prepare,
  validate: validateSecret,
  validateUpdate(obj, old) {
    return [
      ...validateSecret(obj),
      ...validateImmutableField(obj.type, old.type, 'type'),
      ...validateImmutableData(obj, old, ['data']),
    ];
  },
  specChanged() {
    return false;
  },
  selectableFields(obj) {
    return { type: obj.type ?? '' };
  },
};
