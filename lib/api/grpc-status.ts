import * as grpc from '@grpc/grpc-js';
import { Status as RpcStatus } from '../../gen/google/rpc/status';
import { Status as K8sStatus } from '../../gen/k8s/apimachinery/meta/v1/meta';
import type { ApiError } from './errors';
import { fromProto, toProto } from './proto/convert';
import { findProtoKind } from './proto/kinds';
import { errorFromStatus, statusFromError, type StatusObject } from './status';

/**
 * API errors on gRPC: the gRPC code chosen from the Kubernetes code and reason, and the whole
 * Kubernetes Status (reason, field causes) in the standard rich-error trailer
 * `grpc-status-details-bin` (a google.rpc.Status whose details hold the meta/v1 Status), so
 * clients get back exactly the ApiError the server raised and grpcurl shows the details.
 */

/** The trailer key of the gRPC rich error model. */
export const STATUS_DETAILS_KEY = 'grpc-status-details-bin';
/** type_url of the Kubernetes Status inside google.rpc.Status.details. */
export const K8S_STATUS_TYPE_URL = 'type.googleapis.com/k8s.io.apimachinery.pkg.apis.meta.v1.Status';

const STATUS_KIND = findProtoKind('v1', 'Status')!;

/** The gRPC code of a Kubernetes HTTP code and reason. */
export function grpcCodeFor(code: number, reason: string): grpc.status {
  switch (code) {
    case 400:
    case 422:
    case 415:
      return grpc.status.INVALID_ARGUMENT;
    case 401:
      return grpc.status.UNAUTHENTICATED;
    case 403:
      return grpc.status.PERMISSION_DENIED;
    case 404:
      return grpc.status.NOT_FOUND;
    case 405:
      return grpc.status.UNIMPLEMENTED;
    case 409:
      return reason === 'AlreadyExists' ? grpc.status.ALREADY_EXISTS : grpc.status.ABORTED;
    case 410:
      return grpc.status.OUT_OF_RANGE;
    case 413:
    case 429:
      return grpc.status.RESOURCE_EXHAUSTED;
    case 503:
      return grpc.status.UNAVAILABLE;
    case 504:
      return grpc.status.DEADLINE_EXCEEDED;
    default:
      return code >= 500 ? grpc.status.INTERNAL : grpc.status.UNKNOWN;
  }
}

/** The Kubernetes HTTP code of a gRPC code, for errors that carry no Status (transport failures). */
function httpCodeFor(code: grpc.status): number {
  switch (code) {
    case grpc.status.INVALID_ARGUMENT:
      return 400;
    case grpc.status.UNAUTHENTICATED:
      return 401;
    case grpc.status.PERMISSION_DENIED:
      return 403;
    case grpc.status.NOT_FOUND:
      return 404;
    case grpc.status.UNIMPLEMENTED:
      return 405;
    case grpc.status.ALREADY_EXISTS:
    case grpc.status.ABORTED:
      return 409;
    case grpc.status.OUT_OF_RANGE:
      return 410;
    case grpc.status.RESOURCE_EXHAUSTED:
      return 429;
    case grpc.status.UNAVAILABLE:
    case grpc.status.CANCELLED:
      return 503;
    case grpc.status.DEADLINE_EXCEEDED:
      return 504;
    default:
      return 500;
  }
}

/**
 * Longest message, cause message and name a Status keeps on gRPC, and most causes: the Status
 * travels in HTTP/2 trailers, which a client refuses past a few KiB (the call then never ends),
 * and a refused value can be megabytes long.
 */
export const MAX_GRPC_ERROR_MESSAGE_CHARS = 1024;
export const MAX_GRPC_ERROR_CAUSE_CHARS = 200;
export const MAX_GRPC_ERROR_CAUSES = 16;

/** `text` cut to `max` characters, saying how much was cut. */
function truncated(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length - max} more characters)`;
}

/** The Status cut to what fits in gRPC trailers (see MAX_GRPC_ERROR_MESSAGE_CHARS). */
function boundedStatus(status: StatusObject): StatusObject {
  const details = status.details;
  if (!details) return { ...status, message: truncated(status.message, MAX_GRPC_ERROR_MESSAGE_CHARS) };
  return {
    ...status,
    message: truncated(status.message, MAX_GRPC_ERROR_MESSAGE_CHARS),
    details: {
      ...details,
      name: details.name === undefined ? undefined : truncated(details.name, MAX_GRPC_ERROR_CAUSE_CHARS),
      causes: details.causes?.slice(0, MAX_GRPC_ERROR_CAUSES).map((c) => ({
        reason: c.reason,
        field: truncated(c.field, MAX_GRPC_ERROR_CAUSE_CHARS),
        message: truncated(c.message, MAX_GRPC_ERROR_CAUSE_CHARS),
      })),
    },
  };
}

/** The Status of a failed call as a gRPC error a handler passes to its callback or stream. */
export function grpcErrorFromStatus(full: StatusObject): Partial<grpc.StatusObject> {
  const status = boundedStatus(full);
  const k8s = K8sStatus.encode(toProto(STATUS_KIND, status) as never).finish();
  const rich = RpcStatus.encode({ code: grpcCodeFor(status.code, status.reason), message: status.message, details: [{ typeUrl: K8S_STATUS_TYPE_URL, value: Buffer.from(k8s) }] }).finish();
  const metadata = new grpc.Metadata();
  metadata.set(STATUS_DETAILS_KEY, Buffer.from(rich));
  return { code: grpcCodeFor(status.code, status.reason), details: status.message, metadata };
}

/** Any thrown error as a gRPC error (non-API errors become 500 InternalError). */
export function toGrpcError(err: unknown): Partial<grpc.StatusObject> {
  return grpcErrorFromStatus(statusFromError(err));
}

/** The ApiError a failed gRPC call carries: its Status from the trailer, else one made from the gRPC code. */
export function apiErrorFromGrpc(err: Partial<grpc.ServiceError>): ApiError {
  const raw = err.metadata?.get(STATUS_DETAILS_KEY)?.[0];
  if (Buffer.isBuffer(raw)) {
    try {
      const rich = RpcStatus.decode(raw);
      const detail = rich.details.find((d) => d.typeUrl === K8S_STATUS_TYPE_URL);
      if (detail) return errorFromStatus(fromProto(STATUS_KIND, K8sStatus.decode(detail.value)) as Partial<StatusObject>);
    } catch {
      // fall through: a malformed trailer is treated as absent
    }
  }
  const code = httpCodeFor(err.code ?? grpc.status.UNKNOWN);
  const message = err.details || err.message || 'unknown error';
  return errorFromStatus({ code, message: code === 503 ? `the server is currently unable to handle the request: ${message}` : message });
}
