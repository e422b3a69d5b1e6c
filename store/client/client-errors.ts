import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import * as E from '../errors';

/**
 * The client's error vocabulary and the one place where a gRPC failure becomes a typed error
 * and a retry decision.
 *
 * Every error the client throws is a StoreError: either one of etcd's catalog errors from
 * store/errors.ts (matched by message text, as etcd's clientv3 does), a generic StoreError
 * carrying the gRPC code and details, or one of the client-side classes below.
 */

/**
 * A write whose outcome is unknown: it may or may not have been applied (deadline passed or
 * the connection dropped after the request was sent, or the server timed out waiting for the
 * proposal to commit). Callers must re-read to learn the outcome; the client never retries it.
 */
export class IndeterminateError extends E.StoreError {
  override readonly name = 'IndeterminateError';
  constructor(
    /** The failure that made the outcome unknown. */
    readonly cause: E.StoreError,
    /** The endpoint the request was sent to. */
    readonly endpoint: string,
  ) {
    super(cause.code, `outcome unknown (request sent to ${endpoint}): ${cause.message}`);
  }
}

/**
 * A watch whose start revision (or resume revision) has been compacted away. `compactRevision`
 * is the oldest revision still available; the apiserver answers 410 Gone from this.
 */
export class WatchCompactedError extends E.ErrCompacted {
  override readonly name = 'WatchCompactedError';
  constructor(readonly compactRevision: number) {
    super();
  }
}

/** A watch the server cancelled for a reason other than compaction (`reason` is its text). */
export class WatchCanceledError extends E.StoreError {
  override readonly name = 'WatchCanceledError';
  constructor(readonly reason: string) {
    super(GrpcStatus.CANCELLED, reason === '' ? 'etcdserver: watch canceled' : reason);
  }
}

/**
 * A kept-alive lease that is gone: the server answered TTL <= 0 (revoked or expired), or its
 * TTL ran out while no renewal got through. An ErrLeaseNotFound, with the lease's ID.
 */
export class LeaseExpiredError extends E.ErrLeaseNotFound {
  override readonly name = 'LeaseExpiredError';
  constructor(readonly leaseId: number) {
    super();
  }
}

/** The client was closed while the call was waiting or running. */
export class ClientClosedError extends E.StoreError {
  override readonly name = 'ClientClosedError';
  constructor() {
    super(GrpcStatus.CANCELLED, 'store client closed');
  }
}

/** No endpoint could be reached before the request deadline (the request was never sent). */
export class EndpointsUnavailableError extends E.StoreError {
  override readonly name = 'EndpointsUnavailableError';
  constructor(detail: string) {
    super(GrpcStatus.UNAVAILABLE, `no store endpoint available: ${detail}`);
  }
}

/** Constructors of every catalog error, looked up by their exact etcd message. */
const CATALOG: ReadonlyMap<string, new () => E.StoreError> = new Map(
  (Object.values(E) as unknown[])
    .filter((v): v is new () => E.StoreError => typeof v === 'function' && v !== E.StoreError && v.prototype instanceof E.StoreError)
    .map((ctor) => [new ctor().message, ctor] as const),
);

/** Catalog errors that mean "not processed, try again": safe to retry even for writes. */
const RETRY_ANY: ReadonlyArray<new () => E.StoreError> = [E.ErrNoLeader, E.ErrNotLeader, E.ErrLeaderChanged, E.ErrTooManyRequests, E.ErrUnhealthy];
/** Catalog errors after which a read may be retried but a write's outcome is unknown. */
const RETRY_READ_ONLY: ReadonlyArray<new () => E.StoreError> = [E.ErrTimeout, E.ErrTimeoutDueToLeaderFail, E.ErrStopped];
/** Of the retryable errors, those that suggest the member itself is unhealthy. */
const FAILOVER: ReadonlyArray<new () => E.StoreError> = [E.ErrNoLeader, E.ErrNotLeader, E.ErrStopped, E.ErrUnhealthy];

/** gRPC details (from grpc-js) showing that the request never left the client. */
const NOT_SENT_PATTERNS: readonly RegExp[] = [/No connection established/i, /ECONNREFUSED/, /Connection refused/i];

/** What the caller should do about a failed attempt. */
export type FailureDecision =
  | { readonly action: 'throw'; readonly error: E.StoreError }
  | { readonly action: 'retry'; readonly error: E.StoreError; readonly failover: boolean }
  | { readonly action: 'indeterminate'; readonly error: E.StoreError };

/**
 * Maps a gRPC failure to a StoreError: the catalog class whose message matches (etcd appends
 * detail to some messages, e.g. "request timed out, possibly due to …", so the longest
 * matching prefix wins), else a generic StoreError with the same code and details.
 */
export function toStoreError(err: ServiceError | Error): E.StoreError {
  if (err instanceof E.StoreError) return err;
  const code = isServiceError(err) ? err.code : GrpcStatus.UNKNOWN;
  const details = isServiceError(err) ? err.details : err.message;
  const exact = CATALOG.get(details);
  if (exact !== undefined) return new exact();
  let best: (new () => E.StoreError) | undefined;
  let bestLen = 0;
  for (const [message, ctor] of CATALOG) {
    if (details.startsWith(message) && message.length > bestLen) {
      best = ctor;
      bestLen = message.length;
    }
  }
  return best !== undefined ? new best() : new E.StoreError(code, details);
}

/**
 * Decides what to do after an attempt failed. `sent` is false when the request provably never
 * reached a server; `write` is true for requests that change state (put, delete, writing txn,
 * compact, lease grant/revoke). The rule for writes: retry only when the request was not sent
 * or the server answered with an error that means "not processed"; otherwise the outcome is
 * indeterminate.
 */
export function decideOnFailure(err: ServiceError | Error, write: boolean, sent: boolean): FailureDecision {
  const error = toStoreError(err);
  if (!sent) return { action: 'retry', error, failover: true };
  if (RETRY_ANY.some((c) => error instanceof c)) {
    return { action: 'retry', error, failover: FAILOVER.some((c) => error instanceof c) };
  }
  if (RETRY_READ_ONLY.some((c) => error instanceof c)) {
    return write ? { action: 'indeterminate', error } : { action: 'retry', error, failover: true };
  }
  if (error.constructor === E.StoreError && isConnectionFailure(error)) {
    if (NOT_SENT_PATTERNS.some((p) => p.test(error.message))) return { action: 'retry', error, failover: true };
    return write ? { action: 'indeterminate', error } : { action: 'retry', error, failover: true };
  }
  if (write && (error.code === GrpcStatus.DEADLINE_EXCEEDED || error.code === GrpcStatus.CANCELLED)) {
    return { action: 'indeterminate', error };
  }
  return { action: 'throw', error };
}

/** A transport-level failure (as opposed to an answer from the server). */
function isConnectionFailure(error: E.StoreError): boolean {
  return error.code === GrpcStatus.UNAVAILABLE || (error.code === GrpcStatus.INTERNAL && /RST_STREAM|GOAWAY|Connection/i.test(error.message));
}

function isServiceError(err: unknown): err is ServiceError {
  return err instanceof Error && typeof (err as Partial<ServiceError>).code === 'number' && typeof (err as Partial<ServiceError>).details === 'string';
}
