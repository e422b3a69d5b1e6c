import type { FieldError } from '../../../../lib/api/errors';
import { required, invalid, validateImmutableField } from '../../../../lib/api/validation';
import type { Strategy } from '../../registry/strategy';
import { validateNonNegative } from './strategy-support';
import { RESOURCES } from '../../../../lib/api/resources';
import type { ControllerRevision } from '../../../../lib/api/types/apps';
export type { ControllerRevision };

/**
 * Kubernetes' ValidateControllerRevision: `data` is mandatory and a JSON object (a
 * RawExtension), `revision` is a set integer ≥ 0.
 */
export function validateControllerRevision(obj: ControllerRevision): FieldError[] {
  const errs: FieldError[] = [];
  if (obj.data === undefined || obj.data === null) errs.push(required('data', 'data is mandatory'));
  else if (typeof obj.data !== 'object' || Array.isArray(obj.data)) errs.push(invalid('data', obj.data, 'must be a JSON object'));
  if (obj.revision === undefined || obj.revision === null) errs.push(required('revision'));
  else errs.push(...validateNonNegative(obj.revision, 'revision'));
  return errs;
}

/**
 * Registry strategy of apps/v1 ControllerRevision (no status, no spec). `data` never changes
 * after create; `revision` may — a controller rolling back to a template it had before re-uses
 * that revision and moves it to the head of the history, as Kubernetes' controller history does.
 */
export const controllerRevisionStrategy: Strategy<ControllerRevision> = {
  info: RESOURCES.controllerrevisions,
  hasStatus: false,
  prepareForCreate() {},
  prepareForUpdate() {},
  validate: validateControllerRevision,
  validateUpdate(obj, old) {
    return [...validateControllerRevision(obj), ...validateImmutableField(obj.data, old.data, 'data')];
  },
  specChanged: () => false,
};
