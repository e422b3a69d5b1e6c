/**
 * Server-side patching of API objects in their Kubernetes JSON shape, dispatched on the request's
 * Content-Type as the apiserver does for PATCH:
 * - `application/json-patch+json`: RFC 6902 (json-patch.ts);
 * - `application/merge-patch+json`: RFC 7386 (json-merge-patch.ts);
 * - `application/strategic-merge-patch+json`: Kubernetes' strategic merge patch
 *   (strategic-merge-patch.ts), with the patch strategies of the object's kind;
 * - `application/apply-patch+yaml`: server-side apply (server-side-apply.ts), which needs the
 *   target's fieldManager (and force, now).
 * Anything else is a 415.
 *
 * Every failure is an ApiError, whatever the input: 400 for a body that is not a well-formed
 * patch, 422 for a patch that does not apply, 413 for an oversized JSON patch, 415 for an unknown
 * patch type, 409 for an apply in conflict with another field manager.
 */
import { ApiError, BadRequestError, InternalError, UnsupportedMediaTypeError } from '../errors';
import { applyMergePatch } from './json-merge-patch';
import { applyJsonPatch } from './json-patch';
import { cloneJson, isObject, jsonTypeName, parseJsonBody } from './json-value';
import type { JsonObject, JsonValue } from './json-value';
import { PatchApplyError } from './patch-errors';
import { APPLY_PATCH_TYPE, parseApplyBody, serverSideApply } from './server-side-apply';
import { applyStrategicMergePatch, rootSchema } from './strategic-merge-patch';

export { applyMergePatch, createMergePatch, threeWayMergePatch } from './json-merge-patch';
export { applyJsonPatch, decodeJsonPatch, parsePointer, MAX_JSON_PATCH_OPERATIONS } from './json-patch';
export type { JsonPatchOperation } from './json-patch';
export { applyStrategicMergePatch, rootSchema } from './strategic-merge-patch';
export type { PatchSchema } from './strategic-merge-patch';
export type { JsonObject, JsonValue } from './json-value';
export { MAX_JSON_DEPTH } from './json-value';
export { PatchApplyError } from './patch-errors';
export { APPLY_PATCH_TYPE, ApplyConflictError, checkApplyManager, parseApplyBody, serverSideApply } from './server-side-apply';
export type { ApplyConflict, ApplyOptions } from './server-side-apply';
export {
  BEFORE_FIRST_APPLY_MANAGER,
  defaultFieldManager,
  FieldSet,
  fieldSetOf,
  pathString,
  readManagedFields,
  recordUpdate,
  UNKNOWN_FIELD_MANAGER,
} from './managed-fields';
export type { FieldPath, ManagedEntry, ManagedOperation, PathElement } from './managed-fields';

/** The patch content types, as in Kubernetes' types.PatchType. */
export const JSON_PATCH_TYPE = 'application/json-patch+json';
export const MERGE_PATCH_TYPE = 'application/merge-patch+json';
export const STRATEGIC_MERGE_PATCH_TYPE = 'application/strategic-merge-patch+json';

/** Patch types this module applies. */
export const SUPPORTED_PATCH_TYPES: readonly string[] = [JSON_PATCH_TYPE, MERGE_PATCH_TYPE, STRATEGIC_MERGE_PATCH_TYPE, APPLY_PATCH_TYPE];

/**
 * The kind of the object being patched (selects the strategic merge patch schema) and, for
 * server-side apply, who applies and how.
 */
export interface PatchTarget {
  apiVersion: string;
  kind: string;
  /** The applier (required for apply patches). */
  fieldManager?: string;
  /** Apply: take over conflicting fields (`force=true`); refused with any other patch type. */
  force?: boolean;
  /** Apply: the time recorded in managedFields (default: now). */
  now?: Date;
  /** Apply: top-level fields the endpoint does not write (`status` on a main resource). */
  ignoredFields?: readonly string[];
  /** Apply: the subresource applied to, recorded in managedFields. */
  subresource?: string;
}

/** The media type of a Content-Type header, without parameters, lowercased. */
export function patchMediaType(patchType: string): string {
  return typeof patchType === 'string' ? patchType.split(';')[0]!.trim().toLowerCase() : '';
}

/**
 * Applies a patch of `patchType` (a Content-Type; parameters such as `; charset=utf-8` ignored)
 * to `obj` and returns the patched object. The patch is the raw body (bytes or text) or an
 * already-parsed JSON value. `obj` is not mutated. Throws only ApiErrors.
 */
export function applyPatch(obj: JsonObject, patchType: string, patch: Uint8Array | string | unknown, target: PatchTarget): JsonObject {
  try {
    const mediaType = patchMediaType(patchType);
    if (!SUPPORTED_PATCH_TYPES.includes(mediaType)) {
      throw new UnsupportedMediaTypeError(
        `the body of the request was in an unknown format - accepted media types include: ${SUPPORTED_PATCH_TYPES.join(', ')}`,
      );
    }
    if (mediaType === APPLY_PATCH_TYPE) {
      return serverSideApply(obj, parseApplyBody(patch), {
        fieldManager: target?.fieldManager ?? '',
        force: target?.force,
        apiVersion: target?.apiVersion ?? '',
        kind: target?.kind ?? '',
        now: target?.now ?? new Date(),
        ignoredFields: target?.ignoredFields,
        subresource: target?.subresource,
      });
    }
    if (target?.force) throw new BadRequestError('force: Invalid value: true: may not be specified for non-apply patch');
    const body = parseJsonBody(patch, `invalid ${mediaType} body`);
    const original = cloneJson(obj);
    let result: JsonValue;
    switch (mediaType) {
      case JSON_PATCH_TYPE:
        result = applyJsonPatch(original, body);
        break;
      case MERGE_PATCH_TYPE:
        if (!isObject(body)) throw new BadRequestError(`merge patch must be a JSON object, got ${jsonTypeName(body)}`);
        result = applyMergePatch(original, body);
        break;
      default:
        result = applyStrategicMergePatch(original, body, rootSchema(target?.apiVersion ?? '', target?.kind ?? ''));
        break;
    }
    if (!isObject(result)) throw new PatchApplyError(`the patched object is a ${jsonTypeName(result)}, not a JSON object`);
    return result;
  } catch (e) {
    throw asApiError(e);
  }
}

/** Any failure as an ApiError: a stack overflow on hostile input is the client's 400, anything else a 500. */
function asApiError(e: unknown): ApiError {
  if (e instanceof ApiError) return e;
  if (e instanceof RangeError) return new BadRequestError(`patch could not be applied: ${e.message}`);
  return new InternalError(`patch failed unexpectedly: ${e instanceof Error ? e.message : String(e)}`);
}
