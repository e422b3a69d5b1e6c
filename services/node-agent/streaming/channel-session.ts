/**
 * Serves one exec or attach over a WebSocket speaking the channel protocol
 * (lib/streaming/channel-protocol.ts): stdin from channel 0 (ended by a v5 close of channel 0),
 * terminal resizes from channel 4, the command's stdout and stderr out on channels 1 and 2, and
 * at the end the exit Status on channel 3, then a normal close. The client going away ends the
 * session (the exec'd process is killed, an attach detaches).
 */
import { finished } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import type { WebSocket } from 'ws';
import type { Logger } from '../../../lib/logger';
import {
  CHANNEL_CLOSE,
  CHANNEL_ERROR,
  CHANNEL_RESIZE,
  CHANNEL_STDERR,
  CHANNEL_STDIN,
  CHANNEL_STDOUT,
  PROTOCOL_V5,
  decodeChannelMessage,
  encodeChannelMessage,
  exitStatus,
  parseResize,
} from '../../../lib/streaming/channel-protocol';
import type { StreamOptions, StreamSession } from '../runtime/runtime';

/** WebSocket close code of a normal end. */
const WS_NORMAL_CLOSURE = 1000;
/** Longest the output streams may take to drain after the command exited. */
export const OUTPUT_DRAIN_TIMEOUT_MS = 5_000;

/**
 * Pumps `session` over `ws` until the command ends or the client leaves. `command` names the
 * command in a non-zero exit Status (empty for attach). Resolves once the socket is closed.
 */
export async function serveChannelSession(ws: WebSocket, session: StreamSession, options: StreamOptions, command: readonly string[], logger?: Logger): Promise<void> {
  const v5 = ws.protocol === PROTOCOL_V5;
  let clientGone = false;
  const send = (channel: number, data: Buffer) => {
    if (ws.readyState === ws.OPEN) ws.send(encodeChannelMessage(channel, data));
  };

  // The kubelet announces the session with an empty message on the lowest writable channel.
  send(options.stdout ? CHANNEL_STDOUT : options.stderr ? CHANNEL_STDERR : CHANNEL_ERROR, Buffer.alloc(0));

  ws.on('message', (raw: Buffer, isBinary: boolean) => {
    const message = decodeChannelMessage(isBinary ? raw : Buffer.from(raw));
    if (!message) return;
    switch (message.channel) {
      case CHANNEL_STDIN:
        if (message.data.length > 0) session.stdin?.write(message.data);
        return;
      case CHANNEL_RESIZE: {
        const size = parseResize(message.data);
        if (size) session.resize(size);
        return;
      }
      case CHANNEL_CLOSE:
        if (v5 && message.data[0] === CHANNEL_STDIN) session.stdin?.end();
        return;
      default:
        return;
    }
  });
  session.stdin?.on('error', () => undefined); // a command that exits without reading stdin
  const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
  void closed.then(() => {
    clientGone = true;
    session.close();
  });

  const pump = (stream: Readable | undefined, channel: number) => {
    if (!stream) return Promise.resolve();
    stream.on('data', (chunk: Buffer) => send(channel, chunk));
    return finished(stream).catch(() => undefined);
  };
  const outputs = Promise.all([pump(session.stdout, CHANNEL_STDOUT), pump(session.stderr, CHANNEL_STDERR)]);

  let code: number;
  try {
    ({ exitCode: code } = await session.exit);
  } catch (err) {
    logger?.warn({ err }, 'stream session failed');
    code = -1;
  }
  await Promise.race([outputs, closed, new Promise((r) => setTimeout(r, OUTPUT_DRAIN_TIMEOUT_MS).unref())]);
  if (!clientGone) {
    const status =
      code >= 0
        ? exitStatus(code, command)
        : { metadata: {}, status: 'Failure', message: 'the runtime lost the session', reason: 'InternalError' };
    send(CHANNEL_ERROR, Buffer.from(JSON.stringify(status)));
    ws.close(WS_NORMAL_CLOSURE);
  }
  await closed;
}
