import type * as grpc from '@grpc/grpc-js';
import * as http2 from 'node:http2';

/**
 * Resetting a grpc-js server call's HTTP/2 stream (RST_STREAM), which grpc-js has no API for.
 *
 * A server stream whose client stopped reading cannot be ended with a status: the trailers
 * queue behind DATA the client's flow-control window does not let out, so the stream and
 * everything it buffers stay until the client reads or the connection dies. A reset drops
 * the stream's queued data at once. The client sees the call fail: grpc-js reports
 * ENHANCE_YOUR_CALM as RESOURCE_EXHAUSTED ("Bandwidth exhausted or memory limit exceeded"),
 * other implementations alike.
 *
 * This reaches into grpc-js internals (checked against the pinned 1.14): a server call object
 * holds its intercepting call in `call`, interceptors chain through `nextCall`, and the base
 * call holds the `stream`. lib/grpc/reset-server-call.test.ts checks it against the real
 * library, so an upgrade that moves these fails there.
 */

/** RST_STREAM code for a peer that uses too many resources (RFC 9113 §7). */
export const RST_ENHANCE_YOUR_CALM = http2.constants.NGHTTP2_ENHANCE_YOUR_CALM;
/** How deep an interceptor chain is searched for the stream. */
const MAX_INTERCEPTOR_DEPTH = 16;

/** A grpc-js server call of any kind (unary, streaming). */
type ServerCall = grpc.ServerUnaryCall<unknown, unknown> | grpc.ServerWritableStream<unknown, unknown> | grpc.ServerReadableStream<unknown, unknown> | grpc.ServerDuplexStream<unknown, unknown>;

/** The HTTP/2 stream under a grpc-js server call, or undefined when it cannot be found. */
export function serverCallStream(call: ServerCall): http2.ServerHttp2Stream | undefined {
  let node: unknown = (call as unknown as { call?: unknown }).call;
  for (let depth = 0; depth < MAX_INTERCEPTOR_DEPTH && node !== null && typeof node === 'object'; depth++) {
    const stream = (node as { stream?: unknown }).stream;
    if (isServerStream(stream)) return stream;
    node = (node as { nextCall?: unknown }).nextCall;
  }
  return undefined;
}

/** Whether `value` looks like Node's ServerHttp2Stream (the class itself is not exported). */
function isServerStream(value: unknown): value is http2.ServerHttp2Stream {
  if (value === null || typeof value !== 'object') return false;
  const s = value as Partial<http2.ServerHttp2Stream>;
  return typeof s.close === 'function' && typeof s.respond === 'function' && typeof s.sendTrailers === 'function';
}

/**
 * Resets the call's HTTP/2 stream with `code`, freeing what it buffers; returns false when the
 * stream could not be found (the caller then has only the call's own ways to end it).
 */
export function resetServerCall(call: ServerCall, code: number = RST_ENHANCE_YOUR_CALM): boolean {
  const stream = serverCallStream(call);
  if (!stream) return false;
  if (!stream.closed && !stream.destroyed) stream.close(code);
  return true;
}
