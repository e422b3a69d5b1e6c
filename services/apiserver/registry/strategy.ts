import { FieldError } from '../../../lib/api/errors';
import type { NameValidator } from '../../../lib/api/validation';
import { KubeObject, ResourceInfo } from '../../../lib/api/object';

/**
 * What one kind contributes to the generic registry (Kubernetes' RESTCreateStrategy and
 * RESTUpdateStrategy, in one interface). The registry owns everything kinds share — names,
 * uid, timestamps, resourceVersion, generation, storage — and calls these hooks for the rest.
 */
export interface Strategy<T extends KubeObject = KubeObject> {
  readonly info: ResourceInfo;
  /**
   * Clears what a client may not set on create (e.g. status) and fills defaults, in place.
   * Runs before validation.
   */
  prepareForCreate(obj: T): void;
  /**
   * Makes an update touch only what it may (the main resource keeps the old status; the
   * status subresource keeps the old spec) and fills defaults, in place.
   */
  prepareForUpdate(obj: T, old: T): void;
  /**
   * Fills the defaults of a write to the status subresource, in place (`obj` carries the old
   * spec and the new status). Absent: a status write is taken as sent.
   */
  prepareForStatusUpdate?(obj: T, old: T): void;
  /** Every invalid field of a new object, with its path. */
  validate(obj: T): FieldError[];
  /** Every invalid field of an update, including changes to immutable fields. */
  validateUpdate(obj: T, old: T): FieldError[];
  /** True when `obj` differs from `old` in what bumps metadata.generation (usually spec). */
  specChanged(obj: T, old: T): boolean;
  /** Field values selectable with fieldSelector (metadata.name/namespace are added by the registry). */
  selectableFields?(obj: T): Record<string, string>;
  /** Whether the kind has a status subresource. */
  readonly hasStatus: boolean;
  /** How metadata.name is checked (default: a DNS-1123 subdomain, like most kinds). */
  readonly nameValidator?: NameValidator;
  /**
   * Graceful deletion (Kubernetes' RESTGracefulDeleteStrategy): the seconds a delete of `obj`
   * waits (deletionTimestamp set that far ahead, the object kept until someone deletes it with
   * grace 0), given the grace period the request asked for. 0 or absent: deleted at once.
   */
  gracePeriodSeconds?(obj: T, requested: number | undefined): number;
  /**
   * Kind-specific finalizers (a namespace's spec.finalizers): while this says true, a deleted
   * object is only marked (deletionTimestamp), as metadata.finalizers keep it, and it is removed
   * by the update that makes this false.
   */
  holdsDeletion?(obj: T): boolean;
  /** Changes made to an object when it is marked for deletion (a namespace turns Terminating). */
  markDeleting?(obj: T): void;
}
