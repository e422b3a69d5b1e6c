import { ApiError, type StatusDetails } from './errors';

/**
 * The Kubernetes `Status` object (meta/v1) of a failed call, and the one conversion each way
 * between it and ApiError. Front doors turn any thrown error into a Status here; clients turn
 * a received Status back into an ApiError.
 */
export interface StatusObject {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure' | 'Success';
  message: string;
  reason: string;
  details?: StatusDetails;
  code: number;
}

/** The Status of `err`: an ApiError's code/reason/details; anything else a 500 InternalError. */
export function statusFromError(err: unknown): StatusObject {
  if (err instanceof ApiError) {
    const status: StatusObject = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: err.message, reason: err.reason, code: err.code };
    if (err.details && Object.keys(err.details).length > 0) status.details = err.details;
    return status;
  }
  const message = err instanceof Error ? err.message : String(err);
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `Internal error occurred: ${message}`, reason: 'InternalError', code: 500 };
}

/** The ApiError a received Status stands for (missing parts filled from the code). */
export function errorFromStatus(status: Partial<StatusObject> | undefined, fallbackMessage = 'unknown error'): ApiError {
  const code = typeof status?.code === 'number' && status.code > 0 ? status.code : 500;
  const reason = status?.reason || reasonForCode(code);
  return new ApiError(code, reason, status?.message || fallbackMessage, status?.details);
}

/** Kubernetes' reason for an HTTP code when a Status names none. */
export function reasonForCode(code: number): string {
  switch (code) {
    case 400:
      return 'BadRequest';
    case 401:
      return 'Unauthorized';
    case 403:
      return 'Forbidden';
    case 404:
      return 'NotFound';
    case 405:
      return 'MethodNotAllowed';
    case 406:
      return 'NotAcceptable';
    case 409:
      return 'Conflict';
    case 410:
      return 'Expired';
    case 413:
      return 'RequestEntityTooLarge';
    case 415:
      return 'UnsupportedMediaType';
    case 422:
      return 'Invalid';
    case 429:
      return 'TooManyRequests';
    case 503:
      return 'ServiceUnavailable';
    case 504:
      return 'Timeout';
    default:
      return code >= 500 ? 'InternalError' : 'Unknown';
  }
}

/** True when `err` is an API error with this HTTP code. */
export function hasCode(err: unknown, code: number): boolean {
  return err instanceof ApiError && err.code === code;
}

export const isNotFound = (err: unknown): boolean => hasCode(err, 404);
export const isConflict = (err: unknown): boolean => err instanceof ApiError && err.code === 409 && err.reason === 'Conflict';
export const isAlreadyExists = (err: unknown): boolean => err instanceof ApiError && err.code === 409 && err.reason === 'AlreadyExists';
export const isGone = (err: unknown): boolean => hasCode(err, 410);
export const isForbidden = (err: unknown): boolean => hasCode(err, 403);
