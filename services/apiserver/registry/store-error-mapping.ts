import { status as GrpcStatus } from '@grpc/grpc-js';
import { ApiError, InternalError, RequestEntityTooLargeError, ServiceUnavailableError } from '../../../lib/api/errors';
import { StoreError, ErrRequestTooLarge } from '../../../store/errors';
import { IndeterminateError } from '../../../store/client';

/**
 * The one place where a store client failure becomes an API error, so no raw StoreError
 * leaves the registry. Compaction is handled by the callers (it means different things for a
 * list and a watch) before they get here.
 */

/** gRPC codes that mean "the store is not answering now; try again later". */
const UNAVAILABLE_CODES: ReadonlySet<number> = new Set([
  GrpcStatus.UNAVAILABLE,
  GrpcStatus.DEADLINE_EXCEEDED,
  GrpcStatus.RESOURCE_EXHAUSTED,
  GrpcStatus.CANCELLED,
  GrpcStatus.ABORTED,
]);

/** How grpc-js words a message over the size limit ("Received message larger than max (…)"). */
const MESSAGE_TOO_LARGE = /message larger than max|message length .* exceeds|larger than max/i;

/**
 * `err` as an ApiError: ApiErrors pass through; an unknown write outcome, an unreachable store
 * or a timeout become ServiceUnavailableError; a too-large request a 413 RequestEntityTooLarge; any
 * other StoreError an InternalError. Anything else is a bug and is returned unchanged.
 */
export function toApiError(err: unknown): unknown {
  if (err instanceof ApiError) return err;
  if (err instanceof IndeterminateError) {
    return new ServiceUnavailableError(`the store did not confirm the write in time; its outcome is unknown: ${err.cause.message}`);
  }
  if (err instanceof ErrRequestTooLarge) return new RequestEntityTooLargeError(`Request entity too large: ${err.message}`);
  if (err instanceof StoreError) {
    // gRPC's own message-size limit (either side) is the client's too-large request, not an outage.
    if (err.code === GrpcStatus.RESOURCE_EXHAUSTED && MESSAGE_TOO_LARGE.test(err.message)) {
      return new RequestEntityTooLargeError(`Request entity too large: ${err.message}`);
    }
    if (UNAVAILABLE_CODES.has(err.code)) return new ServiceUnavailableError(`the store is unavailable: ${err.message}`);
    return new InternalError(`store error: ${err.message}`);
  }
  return err;
}

/** Runs a store call and rethrows its failure through toApiError. */
export async function storeCall<R>(call: () => Promise<R>): Promise<R> {
  try {
    return await call();
  } catch (err) {
    throw toApiError(err);
  }
}
