import type { FieldError } from '../../../../lib/api/errors';
import type { KubeObject } from '../../../../lib/api/object';
import { required } from '../../../../lib/api/validation';
import type { Strategy } from '../../registry/strategy';
import { coreInfo, objectItems } from './common';

/** A core/v1 ServiceAccount. */
export interface ServiceAccount extends KubeObject {
  secrets?: { name?: string; namespace?: string }[];
  imagePullSecrets?: { name?: string }[];
  automountServiceAccountToken?: boolean;
}

function validateServiceAccount(obj: ServiceAccount): FieldError[] {
  const errs: FieldError[] = [];
  for (const [s, sp] of objectItems(obj.imagePullSecrets, 'imagePullSecrets', errs)) if (!s.name) errs.push(required(sp.child('name')));
  return errs;
}

/** ServiceAccounts (sa): no spec; imagePullSecrets entries need a name. */
export const serviceAccountStrategy: Strategy<ServiceAccount> = {
  info: coreInfo('ServiceAccount', 'serviceaccounts', true, ['sa']),
  hasStatus: false,
  prepareForCreate() {},
  prepareForUpdate() {},
  validate: validateServiceAccount,
  validateUpdate: validateServiceAccount,
  specChanged() {
    return false;
  },
};
