/**
 * API errors in Kubernetes' terms: each has the HTTP code and the CamelCase reason of a
 * `Status` object, and optional details with field causes. Conversion to an HTTP Status body or
 * a gRPC status happens at the edges (one place each); inside, these are thrown and caught by
 * type.
 */

/** One invalid field, as in Kubernetes' field.Error: a path like `spec.containers[0].name`. */
export interface FieldError {
  /** Machine-readable cause, e.g. "FieldValueRequired", "FieldValueInvalid". */
  type: FieldErrorType;
  field: string;
  /** Human-readable text, e.g. "Required value" or `Invalid value: -1: must be greater than or equal to 0`. */
  message: string;
}

export type FieldErrorType =
  | 'FieldValueRequired'
  | 'FieldValueInvalid'
  | 'FieldValueNotSupported'
  | 'FieldValueForbidden'
  | 'FieldValueTooLong'
  | 'FieldValueDuplicate'
  | 'FieldValueTooMany'
  | 'FieldValueTypeInvalid';

/** Details of a Status: what the error is about. */
export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  causes?: { reason: string; message: string; field: string }[];
  /** Seconds a client should wait before it retries (429 TooManyRequests, 503). */
  retryAfterSeconds?: number;
}

/** Base of all API errors. */
export class ApiError extends Error {
  override readonly name: string = 'ApiError';
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: StatusDetails,
  ) {
    super(message);
  }
}

/** `<resource>[.<group>]`, as Kubernetes names a resource in messages. */
export function qualifiedResource(resource: string, group: string): string {
  return group ? `${resource}.${group}` : resource;
}

export class NotFoundError extends ApiError {
  override readonly name = 'NotFoundError';
  constructor(resource: string, group: string, name: string) {
    super(404, 'NotFound', `${qualifiedResource(resource, group)} "${name}" not found`, { name, group, kind: resource });
  }
}

export class AlreadyExistsError extends ApiError {
  override readonly name = 'AlreadyExistsError';
  constructor(resource: string, group: string, name: string) {
    super(409, 'AlreadyExists', `${qualifiedResource(resource, group)} "${name}" already exists`, { name, group, kind: resource });
  }
}

/** Optimistic-concurrency failure: the object changed since the caller read it. */
export class ConflictError extends ApiError {
  override readonly name = 'ConflictError';
  constructor(resource: string, group: string, name: string, why = 'the object has been modified; please apply your changes to the latest version and try again') {
    super(409, 'Conflict', `Operation cannot be fulfilled on ${qualifiedResource(resource, group)} "${name}": ${why}`, { name, group, kind: resource });
  }
}

/** 422: the object failed validation; one cause per bad field. */
export class InvalidError extends ApiError {
  override readonly name = 'InvalidError';
  constructor(
    kind: string,
    group: string,
    name: string,
    readonly fieldErrors: FieldError[],
  ) {
    const lines = fieldErrors.map((e) => `${e.field}: ${e.message}`);
    const message =
      lines.length === 1 ? `${kind} "${name}" is invalid: ${lines[0]}` : `${kind} "${name}" is invalid: [${lines.join(', ')}]`;
    super(422, 'Invalid', message, {
      name,
      group,
      kind,
      causes: fieldErrors.map((e) => ({ reason: e.type, message: e.message, field: e.field })),
    });
  }
}

export class BadRequestError extends ApiError {
  override readonly name = 'BadRequestError';
  constructor(message: string) {
    super(400, 'BadRequest', message);
  }
}

export class ForbiddenError extends ApiError {
  override readonly name = 'ForbiddenError';
  constructor(message: string, details?: StatusDetails) {
    super(403, 'Forbidden', message, details);
  }
}

/** 410: a watch or list asked for a resourceVersion older than the history kept. */
export class GoneError extends ApiError {
  override readonly name = 'GoneError';
  constructor(message: string) {
    super(410, 'Expired', message);
  }
}

export class MethodNotAllowedError extends ApiError {
  override readonly name = 'MethodNotAllowedError';
  constructor(message: string) {
    super(405, 'MethodNotAllowed', message);
  }
}

export class InternalError extends ApiError {
  override readonly name = 'InternalError';
  constructor(message: string) {
    super(500, 'InternalError', message);
  }
}

/** 429: the request is refused for now (an eviction a disruption budget forbids); retry later. */
export class TooManyRequestsError extends ApiError {
  override readonly name = 'TooManyRequestsError';
  constructor(message: string, details?: StatusDetails) {
    super(429, 'TooManyRequests', message, details);
  }
}

/**
 * 504 Timeout: the request could not be served in time, e.g. a read at a resourceVersion the
 * server has not reached yet ("Too large resource version"); clients retry after a pause.
 */
export class TimeoutError extends ApiError {
  override readonly name = 'TimeoutError';
  constructor(message: string, details?: StatusDetails) {
    super(504, 'Timeout', `Timeout: ${message}`, details);
  }
}

/** The store could not be reached or did not answer in time. */
export class ServiceUnavailableError extends ApiError {
  override readonly name = 'ServiceUnavailableError';
  constructor(message: string) {
    super(503, 'ServiceUnavailable', message);
  }
}

/** 415: the request's Content-Type (e.g. a patch type) is not one the server accepts here. */
export class UnsupportedMediaTypeError extends ApiError {
  override readonly name = 'UnsupportedMediaTypeError';
  constructor(message: string) {
    super(415, 'UnsupportedMediaType', message);
  }
}

/** 413: the request, or the object it would store, is larger than the server accepts. */
export class RequestEntityTooLargeError extends ApiError {
  override readonly name = 'RequestEntityTooLargeError';
  constructor(message: string) {
    super(413, 'RequestEntityTooLarge', message);
  }
}
