import * as http2 from 'node:http2';
import * as tls from 'node:tls';
import { WatchRequest } from '../../gen/bosun/api/requests';
import { fullServiceName } from '../../lib/api/grpc-services';
import type { ResourceInfo } from '../../lib/api/object';

/**
 * Watch clients that never read what the apiserver sends — the slow consumers a server has to
 * survive. Each one opens its watch, waits until the server answered (so the watch exists on
 * the server), then stops reading at the transport: the kernel's socket buffers and the HTTP/2
 * flow-control window fill up, and whatever the server sends next stays with the server.
 * Lean on purpose (raw TLS and node:http2, no client library): they share the CPU with the
 * server under test.
 */

/** One non-reading watch. */
export interface StalledWatch {
  /** Resolves once the server closed or reset the watch (the client notices even though it does not read). */
  readonly cutOff: Promise<void>;
  /** Whether the server has closed or reset it (as far as the client has noticed). */
  isCutOff(): boolean;
  /** Starts reading again, discarding what arrives, so that a closed stream shows. */
  resume(): void;
  /** Closes it from the client side. */
  close(): void;
}

/** How long opening one watch (connect, TLS, the server's answer) may take, in milliseconds. */
export const OPEN_TIMEOUT_MS = 20_000;

/**
 * An HTTP watch (`GET …?watch=true`) on its own TLS connection that reads the response
 * headers and then nothing.
 */
export function stalledHttpWatch(opts: { readonly port: number; readonly ca: string; readonly token: string; readonly path: string }): Promise<StalledWatch> {
  return new Promise((resolve, reject) => {
    let cut = false;
    let markCut!: () => void;
    const cutOff = new Promise<void>((r) => (markCut = r));
    const socket = tls.connect({ host: '127.0.0.1', port: opts.port, ca: opts.ca, servername: 'localhost' }, () => {
      socket.write(`GET ${opts.path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${opts.token}\r\n\r\n`);
    });
    const timer = setTimeout(() => fail(new Error(`no answer to ${opts.path} within ${OPEN_TIMEOUT_MS} ms`)), OPEN_TIMEOUT_MS);
    let head = '';
    const onData = (chunk: Buffer) => {
      head += chunk.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      clearTimeout(timer);
      socket.off('data', onData);
      socket.pause();
      if (!head.startsWith('HTTP/1.1 200')) return fail(new Error(`watch ${opts.path} answered ${head.split('\r\n')[0]}`));
      resolve({
        cutOff,
        isCutOff: () => cut,
        resume: () => socket.on('data', () => undefined).resume(),
        close: () => socket.destroy(),
      });
    };
    const fail = (err: Error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    };
    socket.on('data', onData);
    socket.on('error', () => undefined);
    // A socket that is not read still learns of a reset; a plain close shows once the peer's FIN is seen.
    socket.on('close', () => {
      cut = true;
      markCut();
    });
    socket.on('end', () => {
      cut = true;
      markCut();
    });
  });
}

/**
 * A gRPC Watch of `info` on `session` (node:http2) whose response stream is paused as soon as
 * the server sent its headers.
 */
export function stalledGrpcWatch(session: http2.ClientHttp2Session, info: ResourceInfo, request: Partial<WatchRequest>, token?: string): Promise<StalledWatch> {
  return new Promise((resolve, reject) => {
    let cut = false;
    let markCut!: () => void;
    const cutOff = new Promise<void>((r) => (markCut = r));
    const stream = session.request({ ':method': 'POST', ':path': `/${fullServiceName(info)}/Watch`, 'content-type': 'application/grpc', te: 'trailers', ...(token ? { authorization: `Bearer ${token}` } : {}) });
    stream.pause();
    stream.on('error', () => undefined);
    const body = Buffer.from(WatchRequest.encode(WatchRequest.fromPartial(request)).finish());
    const frame = Buffer.alloc(5 + body.length);
    frame.writeUInt32BE(body.length, 1);
    body.copy(frame, 5);
    stream.end(frame);
    const timer = setTimeout(() => {
      stream.close();
      reject(new Error(`no answer to the gRPC watch within ${OPEN_TIMEOUT_MS} ms`));
    }, OPEN_TIMEOUT_MS);
    stream.on('response', (headers) => {
      clearTimeout(timer);
      if (headers['grpc-status'] !== undefined) return reject(new Error(`gRPC watch refused: ${headers['grpc-status']} ${headers['grpc-message'] ?? ''}`));
      resolve({
        cutOff,
        isCutOff: () => cut,
        resume: () => stream.on('data', () => undefined).resume(),
        close: () => stream.close(http2.constants.NGHTTP2_CANCEL),
      });
    });
    stream.on('close', () => {
      cut = true;
      markCut();
    });
  });
}

/**
 * A node:http2 session to a gRPC endpoint host:port whose errors are ignored (its streams
 * report them): TLS checked against `caCert` when given (the apiserver's default), else plain text.
 */
export function grpcSession(endpoint: string, caCert?: string): http2.ClientHttp2Session {
  const session = caCert ? http2.connect(`https://${endpoint}`, { ca: caCert }) : http2.connect(`http://${endpoint}`);
  session.on('error', () => undefined);
  return session;
}
