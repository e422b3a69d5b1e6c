import * as http2 from 'node:http2';
import * as net from 'node:net';

/**
 * A lean gRPC client on Node's built-in node:http2, for load generation only: unary calls and
 * raw bidi streams, with protobuf bytes framed by the caller (see frameMessage). It costs about
 * half the client CPU per call of @grpc/grpc-js, which matters on a 2-core machine where the
 * load generator's CPU comes out of the servers' share. No retries, no name resolution, no
 * compression, no TLS: plaintext HTTP/2 to one "host:port".
 */

/** Bytes of the gRPC message prefix: 1 compressed flag + 4 length (big-endian). */
export const GRPC_FRAME_HEADER_BYTES = 5;
/** How long connect() waits for the HTTP/2 session to come up. */
export const CONNECT_TIMEOUT_MS = 5_000;

/** A failed call: `code` is the grpc-status, or undefined for a transport (stream/session) error. */
export class GrpcCallError extends Error {
  override readonly name = 'GrpcCallError';
  constructor(
    readonly code: number | undefined,
    message: string,
  ) {
    super(message);
  }
}

/** Completion of a unary call: an error, or the response message bytes (frame prefix removed). */
export type UnaryCallback = (err: GrpcCallError | undefined, message: Buffer | undefined) => void;

/** Prefixes one protobuf message with the 5-byte gRPC frame header (uncompressed). */
export function frameMessage(message: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(GRPC_FRAME_HEADER_BYTES + message.length);
  out[0] = 0;
  out.writeUInt32BE(message.length, 1);
  out.set(message, GRPC_FRAME_HEADER_BYTES);
  return out;
}

/**
 * Splits a byte stream into gRPC messages; feed it every DATA chunk in order. Compressed
 * messages are rejected (we never ask for compression).
 */
export class GrpcDeframer {
  private pending: Buffer | undefined;

  constructor(private readonly onMessage: (message: Buffer) => void) {}

  push(chunk: Buffer): void {
    let buf = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = undefined;
    while (buf.length >= GRPC_FRAME_HEADER_BYTES) {
      if (buf[0] !== 0) throw new GrpcCallError(undefined, 'compressed gRPC message not supported');
      const len = buf.readUInt32BE(1);
      const end = GRPC_FRAME_HEADER_BYTES + len;
      if (buf.length < end) break;
      this.onMessage(buf.subarray(GRPC_FRAME_HEADER_BYTES, end));
      buf = buf.subarray(end);
    }
    if (buf.length > 0) this.pending = buf;
  }
}

type Headers = http2.OutgoingHttpHeaders;

/** The request headers of one method (and timeout), built once and reused. */
const headerCache = new Map<string, Headers>();
function requestHeaders(path: string, timeoutMs: number): Headers {
  const cacheKey = `${path}#${timeoutMs}`;
  let h = headerCache.get(cacheKey);
  if (!h) {
    h = {
      ':method': 'POST',
      ':path': path,
      'content-type': 'application/grpc',
      te: 'trailers',
    };
    if (timeoutMs > 0) h['grpc-timeout'] = `${Math.ceil(timeoutMs)}m`;
    headerCache.set(cacheKey, h);
  }
  return h;
}

/**
 * One HTTP/2 connection to one server, re-dialled lazily after it closes. Many concurrent
 * calls share it as separate streams.
 */
export class GrpcLiteChannel {
  private session: http2.ClientHttp2Session | undefined;

  private readonly host: string;
  private readonly port: number;

  /** `address` is "host:port". */
  constructor(readonly address: string) {
    const colon = address.lastIndexOf(':');
    this.host = address.slice(0, colon);
    this.port = Number(address.slice(colon + 1));
  }

  private ensureSession(): http2.ClientHttp2Session {
    const s = this.session;
    if (s && !s.closed && !s.destroyed) return s;
    const session = http2.connect(`http://${this.address}`, {
      // Without TCP_NODELAY a request's HEADERS and DATA frames (two writes) can sit behind
      // Nagle's algorithm and the server's delayed ACK; grpc-js sets it too.
      createConnection: () => net.connect({ host: this.host, port: this.port, noDelay: true }),
    });
    session.on('error', () => undefined); // surfaced through the streams
    session.on('close', () => {
      if (this.session === session) this.session = undefined;
    });
    this.session = session;
    return session;
  }

  /** Dials (if needed) and resolves once the HTTP/2 session is up; rejects after timeoutMs. */
  connect(timeoutMs = CONNECT_TIMEOUT_MS): Promise<void> {
    const session = this.ensureSession();
    if (!session.connecting) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        session.destroy();
        reject(new GrpcCallError(undefined, `connect to ${this.address} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      session.once('connect', () => {
        clearTimeout(timer);
        resolve();
      });
      session.once('close', () => {
        clearTimeout(timer);
        reject(new GrpcCallError(undefined, `connection to ${this.address} closed while connecting`));
      });
    });
  }

  /**
   * Starts one unary call with an already framed request. `cb` runs exactly once, never
   * synchronously. With timeoutMs > 0 the call sends grpc-timeout and is cancelled locally when
   * it runs out.
   */
  unary(path: string, framedRequest: Buffer, cb: UnaryCallback, timeoutMs = 0): void {
    let req: http2.ClientHttp2Stream;
    try {
      req = this.ensureSession().request(requestHeaders(path, timeoutMs), { endStream: false });
    } catch (err) {
      this.session?.destroy();
      const e = new GrpcCallError(undefined, `request failed: ${(err as Error).message}`);
      process.nextTick(cb, e, undefined);
      return;
    }
    let body: Buffer | undefined;
    let status: string | undefined;
    let statusMessage: string | undefined;
    let httpStatus = 0;
    let streamError: Error | undefined;
    let timer: NodeJS.Timeout | undefined;
    let done = false;
    const finish = (err: GrpcCallError | undefined, msg: Buffer | undefined): void => {
      if (done) return;
      done = true;
      if (timer) clearTimeout(timer);
      cb(err, msg);
    };
    if (timeoutMs > 0) {
      timer = setTimeout(() => {
        finish(new GrpcCallError(4, `deadline of ${timeoutMs} ms exceeded (client side)`), undefined);
        req.close(http2.constants.NGHTTP2_CANCEL);
      }, timeoutMs);
    }
    req.on('response', (h) => {
      httpStatus = Number(h[':status']);
      const s = h['grpc-status'];
      if (s !== undefined) {
        status = String(s);
        statusMessage = h['grpc-message'] === undefined ? undefined : String(h['grpc-message']);
      }
    });
    req.on('data', (chunk: Buffer) => {
      body = body ? Buffer.concat([body, chunk]) : chunk;
    });
    req.on('trailers', (t) => {
      const s = t['grpc-status'];
      if (s !== undefined) {
        status = String(s);
        statusMessage = t['grpc-message'] === undefined ? undefined : String(t['grpc-message']);
      }
    });
    req.on('error', (err: Error) => {
      streamError = err;
    });
    req.on('close', () => {
      if (status === '0') {
        if (!body || body.length < GRPC_FRAME_HEADER_BYTES) {
          finish(new GrpcCallError(13, 'grpc-status 0 without a response message'), undefined);
          return;
        }
        const len = body.readUInt32BE(1);
        finish(undefined, body.subarray(GRPC_FRAME_HEADER_BYTES, GRPC_FRAME_HEADER_BYTES + len));
      } else if (status !== undefined) {
        const msg = statusMessage ? decodeURIComponent(statusMessage) : '';
        finish(new GrpcCallError(Number(status), `grpc-status ${status}${msg ? `: ${msg}` : ''}`), undefined);
      } else {
        const why = streamError ? streamError.message : httpStatus ? `HTTP ${httpStatus} without grpc-status` : `stream closed (rst ${req.rstCode})`;
        finish(new GrpcCallError(undefined, why), undefined);
      }
    });
    req.end(framedRequest);
  }

  /** unary() as a promise of the response message bytes. */
  call(path: string, framedRequest: Buffer, timeoutMs = 0): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      this.unary(path, framedRequest, (err, msg) => (err ? reject(err) : resolve(msg as Buffer)), timeoutMs);
    });
  }

  /**
   * Opens a bidi stream on `path`; `onMessage` gets each response message, `onEnd` runs once
   * with the error (or undefined for a clean end). Write framed requests with stream.write().
   */
  openStream(path: string, onMessage: (msg: Buffer) => void, onEnd: (err: Error | undefined) => void): http2.ClientHttp2Stream {
    const req = this.ensureSession().request(requestHeaders(path, 0), { endStream: false });
    const deframer = new GrpcDeframer(onMessage);
    let ended = false;
    let status: string | undefined;
    let error: Error | undefined;
    req.on('data', (chunk: Buffer) => {
      try {
        deframer.push(chunk);
      } catch (err) {
        error = err as Error;
        req.close(http2.constants.NGHTTP2_CANCEL);
      }
    });
    req.on('response', (h) => {
      if (h['grpc-status'] !== undefined) status = String(h['grpc-status']);
    });
    req.on('trailers', (t) => {
      if (t['grpc-status'] !== undefined) status = String(t['grpc-status']);
    });
    req.on('error', (err: Error) => (error = error ?? err));
    req.on('close', () => {
      if (ended) return;
      ended = true;
      if (error) onEnd(error);
      else if (status !== undefined && status !== '0') onEnd(new GrpcCallError(Number(status), `stream ended with grpc-status ${status}`));
      else onEnd(undefined);
    });
    return req;
  }

  /** Closes the connection, failing its open streams. */
  close(): void {
    const s = this.session;
    this.session = undefined;
    s?.destroy();
  }
}
