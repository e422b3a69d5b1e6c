/**
 * The ApiErrors a patch produces. Kubernetes answers a body it cannot decode with 400 BadRequest
 * and a well-formed patch that cannot be applied (a JSON patch `test` that fails, a path that
 * does not exist, a strategic list element without its merge key) with 422; both messages here
 * name where in the patch the problem is.
 */
import { ApiError } from '../errors';

/** 422: the patch is well-formed JSON but cannot be applied to this object. */
export class PatchApplyError extends ApiError {
  override readonly name = 'PatchApplyError';
  constructor(message: string) {
    super(422, 'Invalid', message);
  }
}

/** 413: a JSON patch with more operations than MAX_JSON_PATCH_OPERATIONS. */
export class PatchTooLargeError extends ApiError {
  override readonly name = 'PatchTooLargeError';
  constructor(message: string) {
    super(413, 'RequestEntityTooLarge', message);
  }
}
