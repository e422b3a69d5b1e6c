/**
 * Server-side patching of API objects in their Kubernetes JSON shape, dispatched on the request's
 * Content-Type as the apiserver does for PATCH:
 * - `application/json-patch+json`: RFC 6902 (json-patch.ts);
 * - `application/merge-patch+json`: RFC 7386 (json-merge-patch.ts);
 * - `application/strategic-merge-patch+json`: Kubernetes' strategic merge patch
 *   (strategic-merge-patch.ts), with the patch strategies of the object's kind.
 * Anything else (server-side apply's `application/apply-patch+yaml` included) is a 415.
 *
 * Every failure is an ApiError, whatever the input: 400 for a body that is not a well-formed
 * patch, 422 for a patch that does not apply, 413 for an oversized JSON patch, 415 for an unknown
 * patch type.
 */
import { ApiError, BadRequestError, InternalError, UnsupportedMediaTypeError } from '../errors';
import { applyMergePatch } from './json-merge-patch';
import { applyJsonPatch } from './json-patch';
import { cloneJson, isObject, jsonTypeName, parseJsonBody } from './json-value';
import type { JsonObject, JsonValue } from './json-value';
import { PatchApplyError } from './patch-errors';
import { applyStrategicMergePatch, rootSchema } from './strategic-merge-patch';

export { applyMergePatch, createMergePatch, threeWayMergePatch } from './json-merge-patch';
export { applyJsonPatch, decodeJsonPatch, parsePointer, MAX_JSON_PATCH_OPERATIONS } from './json-patch';
export type { JsonPatchOperation } from './json-patch';
export { applyStrategicMergePatch, rootSchema } from './strategic-merge-patch';
export type { PatchSchema } from './strategic-merge-patch';
export type { JsonObject, JsonValue } from './json-value';
export { MAX_JSON_DEPTH } from './json-value';
export { PatchApplyError, PatchTooLargeError } from './patch-errors';

/** The patch content types, as in Kubernetes' types.PatchType. */
export const JSON_PATCH_TYPE = 'application/json-patch+json';
export const MERGE_PATCH_TYPE = 'application/merge-patch+json';
export const STRATEGIC_MERGE_PATCH_TYPE = 'application/strategic-merge-patch+json';

/** Patch types this module applies. */
export const SUPPORTED_PATCH_TYPES: readonly string[] = [JSON_PATCH_TYPE, MERGE_PATCH_TYPE, STRATEGIC_MERGE_PATCH_TYPE];

/** The kind of the object being patched: selects the strategic merge patch schema. */
export interface PatchTarget {
  apiVersion: string;
  kind: string;
}

/**
 * Applies a patch of `patchType` (a Content-Type; parameters such as `; charset=utf-8` ignored)
 * to `obj` and returns the patched object. The patch is the raw body (bytes or text) or an
 * already-parsed JSON value. `obj` is not mutated. Throws only ApiErrors.
 */
export function applyPatch(obj: JsonObject, patchType: string, patch: Uint8Array | string | unknown, target: PatchTarget): JsonObject {
  try {
    const mediaType = typeof patchType === 'string' ? patchType.split(';')[0]!.trim().toLowerCase() : '';
    if (!SUPPORTED_PATCH_TYPES.includes(mediaType)) {
      throw new UnsupportedMediaTypeError(
        `the body of the request was in an unknown format - accepted media types include: ${SUPPORTED_PATCH_TYPES.join(', ')}`,
      );
    }
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
