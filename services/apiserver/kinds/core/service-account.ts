import type { FieldError } from '../../../../lib/api/errors';
import { required } from '../../../../lib/api/validation';
import type { Strategy } from '../../registry/strategy';
import { objectItems } from './common';
import { RESOURCES } from '../../../../lib/api/resources';
import type { ServiceAccount } from '../../../../lib/api/types/core';
export type { ServiceAccount };

function validateServiceAccount(obj: ServiceAccount): FieldError[] {
  const errs: FieldError[] = [];
  for (const [s, sp] of objectItems(obj.imagePullSecrets, 'imagePullSecrets', errs)) if (!s.name) errs.push(required(sp.child('name')));
  return errs;
}

/** ServiceAccounts (sa): no spec; imagePullSecrets entries need a name. */
export const serviceAccountStrategy: Strategy<ServiceAccount> = {
  info: RESOURCES.serviceaccounts,
  hasStatus: false,
  prepareForCreate() {},
  prepareForUpdate() {},
  validate: validateServiceAccount,
  validateUpdate: validateServiceAccount,
  specChanged() {
    return false;
  },
};
