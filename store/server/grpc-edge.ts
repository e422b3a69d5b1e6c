import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { StoreError } from '../errors';

/**
 * The one place where store errors become gRPC statuses. A StoreError carries etcd's code and
 * message; anything else is a bug or an I/O failure and is reported as INTERNAL (never thrown
 * out of the handler, so a bad request can't take the member down).
 */
export function toServiceError(err: unknown): Partial<grpc.StatusObject> {
  if (err instanceof StoreError) return { code: err.code, details: err.message };
  const message = err instanceof Error ? err.message : String(err);
  return { code: grpc.status.INTERNAL, details: `etcdserver: ${message}` };
}

/** Wraps an async unary handler: resolves to the response, rejects to a gRPC status. */
export function unary<Req, Res>(log: Logger, method: string, fn: (req: Req) => Promise<Res> | Res): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    let result: Promise<Res>;
    try {
      result = Promise.resolve(fn(call.request));
    } catch (err) {
      result = Promise.reject(err);
    }
    result.then(
      (res) => callback(null, res),
      (err) => {
        if (!(err instanceof StoreError)) log.error({ method, err: err instanceof Error ? err.stack : String(err) }, 'request failed');
        callback(toServiceError(err));
      },
    );
  };
}
