/**
 * Reading request bodies within a size limit, and getting rid of the bodies the server does not
 * read so that the client still sees its answer.
 *
 * A client sending a body writes all of it before it reads the answer, or while it reads. If the
 * server answers early (413 for a body past the limit, 401, 404, …) and closes the connection
 * with body bytes still arriving, the client's next writes hit a closed socket: its kernel gets a
 * reset, may drop the answer it had not read yet, and the client reports "broken pipe" or
 * "connection reset" instead of the Status. So the server writes its answer at once, keeps
 * reading and discarding the rest of the body, and only then ends the response (which, for a
 * client that asked to close, closes the connection) — bounded, because the body may be endless:
 * at most MAX_DISCARD_BYTES more, for at most MAX_DISCARD_MS, then the connection is cut. The
 * bound takes in the realistic mistake (`kubectl apply` of an object a few times too large sends
 * it twice, once in the last-applied annotation) in well under a second on a local link, and caps
 * what one hostile request can cost at a few seconds of reading.
 */
import type { IncomingMessage } from 'node:http';
import { BadRequestError, RequestEntityTooLargeError } from '../../../lib/api/errors';

/** Largest request body accepted (Kubernetes' limit): larger ones answer 413. */
export const MAX_BODY_BYTES = 3 * 1024 * 1024;

/** Most body bytes read and thrown away after the server has answered without reading them. */
export const MAX_DISCARD_BYTES = 32 * 1024 * 1024;

/** Longest time spent reading and throwing away a body after answering. */
export const MAX_DISCARD_MS = 10_000;

/** Bounds of discardBody (the defaults above unless a test sets its own). */
export interface DiscardBounds {
  readonly maxBytes: number;
  readonly maxMs: number;
}

const DEFAULT_BOUNDS: DiscardBounds = { maxBytes: MAX_DISCARD_BYTES, maxMs: MAX_DISCARD_MS };

/**
 * Reads and drops whatever is left of `req`'s body, then calls `done` (at once when the body has
 * been read in full). Past `bounds` (bytes or time) the connection is destroyed instead, and
 * `done` is called after that.
 */
export function discardBody(req: IncomingMessage, done: () => void, bounds: DiscardBounds = DEFAULT_BOUNDS): void {
  if (req.complete) {
    done();
    return;
  }
  let dropped = 0;
  const cut = (): void => {
    req.socket?.destroy();
    stop();
  };
  const onData = (chunk: Buffer): void => {
    dropped += chunk.length;
    if (dropped > bounds.maxBytes) cut();
  };
  const timer = setTimeout(cut, bounds.maxMs);
  timer.unref();
  const stop = (): void => {
    clearTimeout(timer);
    req.off('data', onData);
    req.off('end', stop);
    req.off('close', stop);
    req.resume(); // anything still in flight after a stop is dropped by the stream
    done();
  };
  req.on('data', onData);
  req.on('end', stop);
  req.on('close', stop);
  req.resume();
}

/** 413: the request body is larger than `limit` (Kubernetes' wording). */
function bodyTooLarge(limit: number): RequestEntityTooLargeError {
  return new RequestEntityTooLargeError(`Request entity too large: limit is ${limit}`);
}

/**
 * Reads the whole body. Past `limit` bytes (declared in Content-Length, or counted while
 * reading a chunked body) it rejects with RequestEntityTooLargeError at once and stops reading:
 * the caller answers and then discards the rest (discardBody; see the module comment).
 */
export function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      reject(bodyTooLarge(limit));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size <= limit) {
        chunks.push(chunk);
        return;
      }
      finish();
      req.pause();
      chunks.length = 0;
      reject(bodyTooLarge(limit));
    };
    const onEnd = (): void => {
      finish();
      resolve(Buffer.concat(chunks));
    };
    const onError = (): void => {
      finish();
      reject(new BadRequestError('the request body could not be read to its end: the client stopped sending it'));
    };
    const finish = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}
