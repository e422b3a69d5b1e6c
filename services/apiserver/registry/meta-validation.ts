import type { FieldError } from '../../../lib/api/errors';
import type { KubeObject, ResourceInfo } from '../../../lib/api/object';

/**
 * The registry's own minimal metadata checks (name and namespace present and well-formed).
 * The full ObjectMeta rules (labels, annotations, sizes) belong to lib/api validation and each
 * kind's strategy.validate.
 */

/** Longest DNS-1123 subdomain (a default object name). */
export const MAX_NAME_LENGTH = 253;
/** Longest DNS-1123 label (a namespace name). */
export const MAX_NAMESPACE_LENGTH = 63;

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Every problem with metadata.name / metadata.namespace of an object about to be stored. */
export function validateObjectMetaBasics(obj: KubeObject, info: Pick<ResourceInfo, 'namespaced'>): FieldError[] {
  const errs: FieldError[] = [];
  const { name, namespace } = obj.metadata;
  if (!name) {
    errs.push({ type: 'FieldValueRequired', field: 'metadata.name', message: 'Required value: name or generateName is required' });
  } else if (name.length > MAX_NAME_LENGTH) {
    errs.push({ type: 'FieldValueTooLong', field: 'metadata.name', message: `Too long: must have at most ${MAX_NAME_LENGTH} bytes` });
  } else if (!DNS_SUBDOMAIN.test(name)) {
    errs.push({
      type: 'FieldValueInvalid',
      field: 'metadata.name',
      message: `Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character`,
    });
  }
  if (info.namespaced) {
    if (!namespace) errs.push({ type: 'FieldValueRequired', field: 'metadata.namespace', message: 'Required value' });
    else if (namespace.length > MAX_NAMESPACE_LENGTH || !DNS_LABEL.test(namespace)) {
      errs.push({ type: 'FieldValueInvalid', field: 'metadata.namespace', message: `Invalid value: "${namespace}": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character` });
    }
  }
  return errs;
}
