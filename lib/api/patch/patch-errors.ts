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
