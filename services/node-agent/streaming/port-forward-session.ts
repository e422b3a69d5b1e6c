/**
 * Serves one port-forward session (`portforward.k8s.io` over SPDY): the client opens two
 * streams per connection it forwards — `streamtype: error` and `streamtype: data`, both with
 * the same `requestid` and `port` headers. Once both are there, the data stream is joined to a
 * byte stream the runtime opens to that port in the pod; a failure is written as text to the
 * error stream. Either side ending its half ends the other's.
 */
import type { Duplex } from 'node:stream';
import type { Logger } from '../../../lib/logger';
import type { SpdySession, SpdyStream } from '../../../lib/streaming/spdy-session';

/** A pair whose second stream does not come within this time is given up (the kubelet's stream creation timeout). */
export const STREAM_PAIR_TIMEOUT_MS = 30_000;

/** Opens the byte stream to `port` in the pod. */
export type PortDialer = (port: number) => Promise<Duplex>;

interface StreamPair {
  data?: SpdyStream;
  error?: SpdyStream;
  timer: NodeJS.Timeout;
}

/** Handles every stream pair of `session`, dialing with `dial`; `podName` names the pod in error messages. */
export function servePortForward(session: SpdySession, dial: PortDialer, podName: string, logger?: Logger): void {
  const pairs = new Map<string, StreamPair>();
  session.on('error', (err: Error) => logger?.debug({ err }, 'port-forward session failed'));
  session.on('close', () => {
    for (const pair of pairs.values()) clearTimeout(pair.timer);
    pairs.clear();
  });
  session.on('stream', (stream: SpdyStream) => {
    const type = stream.header('streamtype');
    const requestId = stream.header('requestid') ?? stream.header('port') ?? '';
    if (type !== 'data' && type !== 'error') {
      stream.destroy();
      return;
    }
    let pair = pairs.get(requestId);
    if (!pair) {
      pair = {
        timer: setTimeout(() => {
          pairs.delete(requestId);
          pair?.error?.end(`timed out waiting for the ${pair.data ? 'error' : 'data'} stream of request ${requestId}`);
          pair?.data?.destroy();
        }, STREAM_PAIR_TIMEOUT_MS),
      };
      pair.timer.unref();
      pairs.set(requestId, pair);
    }
    if (pair[type]) {
      stream.destroy();
      return;
    }
    pair[type] = stream;
    stream.on('error', () => undefined);
    if (pair.data && pair.error) {
      clearTimeout(pair.timer);
      pairs.delete(requestId);
      void forward(pair.data, pair.error, dial, podName, logger);
    }
  });
}

async function forward(data: SpdyStream, error: SpdyStream, dial: PortDialer, podName: string, logger?: Logger): Promise<void> {
  const portText = data.header('port') ?? '';
  const port = Number(portText);
  error.resume(); // the client sends nothing on it
  if (!/^\d+$/.test(portText) || port < 1 || port > 65535) {
    error.end(`invalid port "${portText}": must be an integer between 1 and 65535`);
    data.end();
    return;
  }
  let target: Duplex;
  try {
    target = await dial(port);
  } catch (err) {
    error.end(`error forwarding port ${port} to pod ${podName}: ${(err as Error).message}`);
    data.end();
    return;
  }
  logger?.debug({ port }, 'forwarding a connection');
  target.on('error', (err: Error) => {
    if (!error.writableEnded) error.end(`error forwarding port ${port} to pod ${podName}: ${err.message}`);
    data.destroy();
  });
  data.pipe(target);
  target.pipe(data);
  target.on('close', () => {
    if (!error.writableEnded) error.end();
  });
  data.on('close', () => target.destroy());
}
