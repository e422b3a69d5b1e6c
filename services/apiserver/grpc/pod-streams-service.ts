/**
 * The gRPC door's streaming pod subresources (bosun.api.streams.v1.PodStreams): Logs relays a
 * container's log chunk by chunk, Exec relays a command's stdin, stdout, stderr, resizes and
 * exit code. Pods resolve to their node agent through the same ConnectableRest the HTTP door
 * uses (the same errors), and the agent is reached through the same NodeStreamProxy.
 */
import type * as grpc from '@grpc/grpc-js';
import type { WebSocket } from 'ws';
import { ApiError, BadRequestError } from '../../../lib/api/errors';
import { errorFromStatus } from '../../../lib/api/status';
import { toGrpcError } from '../../../lib/api/grpc-status';
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
  exitCodeOfStatus,
  type ExitStatus,
} from '../../../lib/streaming/channel-protocol';
import type { ExecInput, ExecOutput, PodLogsChunk, PodLogsRequest } from '../../../gen/bosun/api/streams/v1/streams';
import type { NodeStreamProxy } from '../http/node-stream-proxy';
import type { ConnectableRest } from '../rest/resource-rest';

/** What the service needs, looked up per call (the HTTP door, with the proxy, starts after the gRPC services are added). */
export interface PodStreamsDeps {
  readonly pods: () => ConnectableRest | undefined;
  readonly proxy: () => NodeStreamProxy | undefined;
}

/** The PodStreams implementation. */
export function podStreamsServiceImpl(deps: PodStreamsDeps): grpc.UntypedServiceImplementation {
  const parts = () => {
    const pods = deps.pods();
    const proxy = deps.proxy();
    if (!pods || !proxy) throw new ApiError(503, 'ServiceUnavailable', 'this apiserver serves no pod streams: it has no cluster CA (start it with its HTTPS API)');
    return { pods, proxy };
  };
  return {
    logs: (call: grpc.ServerWritableStream<PodLogsRequest, PodLogsChunk>) => {
      void (async () => {
        const r = call.request;
        requireName(r.namespace, r.name);
        const q = new URLSearchParams();
        if (r.container) q.set('container', r.container);
        if (r.follow) q.set('follow', 'true');
        if (r.tailLines !== undefined) q.set('tailLines', String(r.tailLines));
        if (r.sinceSeconds) q.set('sinceSeconds', String(r.sinceSeconds));
        if (r.sinceTime) q.set('sinceTime', r.sinceTime);
        if (r.timestamps) q.set('timestamps', 'true');
        if (r.previous) q.set('previous', 'true');
        if (r.limitBytes) q.set('limitBytes', String(r.limitBytes));
        const { pods, proxy } = parts();
        const location = await pods.connect(r.namespace, r.name, 'log', q);
        if (!location) return void call.end();
        const answer = await proxy.requestLogs(location);
        call.on('cancelled', () => answer.destroy());
        if (answer.statusCode !== 200) {
          let body = '';
          for await (const chunk of answer) body += String(chunk);
          throw statusError(answer.statusCode ?? 500, body);
        }
        for await (const chunk of answer) {
          if (!call.write({ data: chunk as Buffer })) await new Promise((resolve) => call.once('drain', resolve));
        }
        call.end();
      })().catch((err) => call.emit('error', toGrpcError(err)));
    },

    exec: (call: grpc.ServerDuplexStream<ExecInput, ExecOutput>) => {
      let ws: WebSocket | undefined;
      let started = false;
      /** Input that came before the node answered, sent once it has. */
      const early: ExecInput[] = [];
      const forward = (input: ExecInput) => {
        if (!ws || ws.readyState !== ws.OPEN) return;
        if (input.stdin) ws.send(encodeChannelMessage(CHANNEL_STDIN, input.stdin));
        else if (input.stdinClose && ws.protocol === PROTOCOL_V5) ws.send(encodeChannelMessage(CHANNEL_CLOSE, Buffer.from([CHANNEL_STDIN])));
        else if (input.resize) ws.send(encodeChannelMessage(CHANNEL_RESIZE, JSON.stringify({ Width: input.resize.width, Height: input.resize.height })));
      };
      const fail = (err: unknown) => {
        ws?.terminate();
        call.emit('error', toGrpcError(err));
      };
      call.on('cancelled', () => ws?.terminate());
      call.on('data', (input: ExecInput) => {
        if (!started) {
          started = true;
          if (!input.start) return fail(new BadRequestError('the first message of Exec must be start'));
          const s = input.start;
          void (async () => {
            requireName(s.namespace, s.name);
            if (s.command.length === 0) throw new BadRequestError('start.command: Required value: you must specify at least 1 command');
            const q = new URLSearchParams();
            if (s.container) q.set('container', s.container);
            for (const c of s.command) q.append('command', c);
            if (s.stdin) q.set('stdin', 'true');
            q.set('stdout', 'true');
            if (!s.tty) q.set('stderr', 'true');
            if (s.tty) q.set('tty', 'true');
            const { pods, proxy } = parts();
            const location = await pods.connect(s.namespace, s.name, 'exec', q);
            if (!location) throw new BadRequestError(`pod ${s.name} does not have a host assigned`);
            ws = await proxy.openChannelSocket(location);
            relayFromNode(ws, call, fail);
            for (const input of early.splice(0)) forward(input);
          })().catch(fail);
          return;
        }
        if (!ws) early.push(input);
        else forward(input);
      });
    },
  };
}

/** Relays the node's channel messages to the gRPC call; the exit Status ends it. */
function relayFromNode(ws: WebSocket, call: grpc.ServerDuplexStream<ExecInput, ExecOutput>, fail: (err: unknown) => void): void {
  let exitCode: number | undefined;
  ws.on('message', (raw: Buffer) => {
    const message = decodeChannelMessage(raw);
    if (!message || message.data.length === 0) return;
    switch (message.channel) {
      case CHANNEL_STDOUT:
        call.write({ stdout: message.data });
        return;
      case CHANNEL_STDERR:
        call.write({ stderr: message.data });
        return;
      case CHANNEL_ERROR:
        try {
          exitCode = exitCodeOfStatus(JSON.parse(message.data.toString('utf8')) as ExitStatus);
        } catch (err) {
          fail(err instanceof SyntaxError ? new ApiError(500, 'InternalError', 'the node sent a malformed exit status') : new ApiError(500, 'InternalError', (err as Error).message));
        }
        return;
      default:
        return;
    }
  });
  ws.on('close', () => {
    if (exitCode === undefined) return fail(new ApiError(500, 'InternalError', 'the node ended the exec session without an exit status'));
    call.write({ exitCode });
    call.end();
  });
  ws.on('error', () => undefined); // the close that follows reports it
}

function requireName(namespace: string, name: string): void {
  if (!namespace) throw new BadRequestError('namespace: Required value');
  if (!name) throw new BadRequestError('name: Required value');
}

function statusError(code: number, body: string): ApiError {
  try {
    return errorFromStatus({ code, ...(JSON.parse(body) as object) });
  } catch {
    return errorFromStatus({ code, message: body.trim() || `the node answered ${code}` });
  }
}
