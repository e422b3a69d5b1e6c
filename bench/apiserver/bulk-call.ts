import * as http2 from 'node:http2';
import * as net from 'node:net';
import { GRPC_FRAME_HEADER_BYTES } from '../store/grpc-lite';

/**
 * A unary gRPC call for large responses (lists of thousands of pods, megabytes): like
 * grpc-lite's unary() but keeps the DATA chunks in a list and joins them once at the end.
 * grpc-lite appends each chunk to one growing buffer, which is quadratic in the response size
 * and, for an 8 MiB list, costs the load generator more than the server's whole answer.
 */
export class BulkChannel {
  private readonly session: http2.ClientHttp2Session;

  /** `address` is "host:port". */
  constructor(address: string) {
    const colon = address.lastIndexOf(':');
    const host = address.slice(0, colon);
    const port = Number(address.slice(colon + 1));
    this.session = http2.connect(`http://${address}`, { createConnection: () => net.connect({ host, port, noDelay: true }) });
    this.session.on('error', () => undefined); // surfaced through the streams
  }

  /** Calls `path` with a framed request; resolves to the response message (frame prefix removed). */
  call(path: string, framedRequest: Buffer, timeoutMs: number): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const req = this.session.request(
        { ':method': 'POST', ':path': path, 'content-type': 'application/grpc', te: 'trailers', 'grpc-timeout': `${Math.ceil(timeoutMs)}m` },
        { endStream: false },
      );
      const chunks: Buffer[] = [];
      let status: string | undefined;
      let message: string | undefined;
      let streamError: Error | undefined;
      const timer = setTimeout(() => req.close(http2.constants.NGHTTP2_CANCEL), timeoutMs);
      const grpcStatus = (h: http2.IncomingHttpHeaders): void => {
        if (h['grpc-status'] === undefined) return;
        status = String(h['grpc-status']);
        message = h['grpc-message'] === undefined ? undefined : decodeURIComponent(String(h['grpc-message']));
      };
      req.on('response', grpcStatus);
      req.on('trailers', grpcStatus);
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('error', (err: Error) => (streamError = err));
      req.on('close', () => {
        clearTimeout(timer);
        if (status !== '0') {
          reject(new Error(status !== undefined ? `grpc-status ${status}${message ? `: ${message}` : ''}` : `stream closed: ${streamError?.message ?? `rst ${req.rstCode}`}`));
          return;
        }
        const body = Buffer.concat(chunks);
        if (body.length < GRPC_FRAME_HEADER_BYTES) return reject(new Error('grpc-status 0 without a response message'));
        resolve(body.subarray(GRPC_FRAME_HEADER_BYTES, GRPC_FRAME_HEADER_BYTES + body.readUInt32BE(1)));
      });
      req.end(framedRequest);
    });
  }

  close(): void {
    this.session.destroy();
  }
}
