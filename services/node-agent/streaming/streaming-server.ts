/**
 * The node agent's streaming server — the kubelet's port 10250 role: an HTTPS server that only
 * the apiserver may call (a client certificate signed by the cluster CA with an allowed common
 * name), serving a pod's container logs, exec, attach and port-forward straight from the
 * runtime, so it works whatever the agent's pod workers are doing:
 *
 * - `GET /containerLogs/<ns>/<pod>/<container>?follow&tailLines&sinceSeconds&sinceTime&timestamps&previous&limitBytes`
 * - `/exec/<ns>/<pod>/<container>?command=…&stdin&stdout&stderr&tty` and `/attach/<ns>/<pod>/<container>?…`:
 *   WebSocket `v5.channel.k8s.io` / `v4.channel.k8s.io` (channel-session.ts)
 * - `/portForward/<ns>/<pod>`: WebSocket `SPDY/3.1+portforward.k8s.io` (SPDY inside binary
 *   messages, what kubectl 1.32 sends) or a plain `Upgrade: SPDY/3.1` (port-forward-session.ts)
 *
 * - `GET /stats/summary`: the Summary API subset of stats-summary.ts (for the metrics API)
 *
 * Errors are Kubernetes Status bodies (the apiserver passes them through to kubectl).
 */
import * as https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { serveReloadingIdentity, type IdentitySource } from '../../../lib/pki/reloading-identity';
import { WebSocketServer, createWebSocketStream, type WebSocket } from 'ws';
import { ApiError, BadRequestError, InternalError } from '../../../lib/api/errors';
import { statusFromError } from '../../../lib/api/status';
import { STATS_SUMMARY_PATH } from '../../../lib/api/types/metrics';
import type { Logger } from '../../../lib/logger';
import { APISERVER_KUBELET_CLIENT_CN } from '../../../lib/pki/component-certs';
import { CHANNEL_PROTOCOLS, PORT_FORWARD_PROTOCOL, PORT_FORWARD_WEBSOCKET_PROTOCOL } from '../../../lib/streaming/channel-protocol';
import { SpdySession } from '../../../lib/streaming/spdy-session';
import { refuseUpgradeWithStatus } from '../../../lib/streaming/refuse-upgrade';
import type { Runtime, StreamOptions } from '../runtime/runtime';
import { serveChannelSession } from './channel-session';
import { containerForLogs, podSandbox, runningContainer, type ContainerRef } from './container-lookup';
import { streamContainerLog } from './log-reader';
import { parseLogQuery, parseStreamQuery } from './streaming-query';
import { servePortForward } from './port-forward-session';

/** The kubelet's port. */
export const DEFAULT_STREAMING_PORT = 10250;

/** Constructor parameters of the streaming server. */
export interface StreamingServerOptions {
  readonly runtime: Runtime;
  /** Port to listen on (0: any free port). */
  readonly port: number;
  /** Address to listen on (default 0.0.0.0). */
  readonly host?: string;
  /** The serving certificate and key, and the cluster CA client certificates must chain to. */
  readonly tls: { readonly cert: string; readonly key: string; readonly caCert: string; readonly identity?: IdentitySource };
  /** Common names of the client certificates served (default: the apiserver's kubelet client). */
  readonly allowedClientNames?: readonly string[];
  readonly logger?: Logger;
  /** The node's Summary API document (`GET /stats/summary`, stats-summary.ts); without it the path is 404. */
  readonly statsSummary?: () => Promise<unknown>;
}

/** A running streaming server. */
export interface StreamingServer {
  readonly port: number;
  /** Stops listening and ends every open stream. */
  close(): Promise<void>;
}

/** A parsed streaming path. */
type Route =
  | { kind: 'containerLogs' | 'exec' | 'attach'; ref: ContainerRef }
  | { kind: 'portForward'; namespace: string; pod: string };

/** Starts the server; resolves once it listens. */
export async function startStreamingServer(options: StreamingServerOptions): Promise<StreamingServer> {
  const logger = options.logger?.child({ part: 'streaming' });
  const allowed = new Set(options.allowedClientNames ?? [APISERVER_KUBELET_CLIENT_CN]);
  const sockets = new Set<Duplex>();
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, handleProtocols: (offered) => pickProtocol(offered) });
  const server = https.createServer({ cert: options.tls.cert, key: options.tls.key, ca: options.tls.caCert, requestCert: true, rejectUnauthorized: false });
  // A serving certificate renewed under the agent serves the connections that follow.
  if (options.tls.identity) serveReloadingIdentity(server, options.tls.identity, { ca: options.tls.caCert });

  const authorize = (req: IncomingMessage): void => {
    const socket = req.socket as TLSSocket;
    if (!socket.authorized) throw new ApiError(401, 'Unauthorized', 'Unauthorized: a client certificate signed by the cluster CA is required');
    const cn = socket.getPeerCertificate().subject?.CN;
    const name = Array.isArray(cn) ? cn[0] : cn;
    if (!name || !allowed.has(name)) throw new ApiError(403, 'Forbidden', `Forbidden: user "${name ?? ''}" may not use the node's streaming API`);
  };

  server.on('connection', (socket: Duplex) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      try {
        authorize(req);
        const url = new URL(req.url ?? '/', 'https://node');
        if (url.pathname === STATS_SUMMARY_PATH && options.statsSummary) return await serveJson(req, res, await options.statsSummary());
        const route = parseRoute(url.pathname);
        if (route.kind !== 'containerLogs') throw new BadRequestError('Upgrade request required');
        if (req.method !== 'GET' && req.method !== 'HEAD') throw new ApiError(405, 'MethodNotAllowed', `${req.method} is not allowed on ${url.pathname}`);
        await serveLogs(options.runtime, route.ref, url.searchParams, req, res);
      } catch (err) {
        answerError(res, err, logger);
      }
    })();
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    void (async () => {
      try {
        authorize(req);
        const url = new URL(req.url ?? '/', 'https://node');
        const route = parseRoute(url.pathname);
        const upgrade = (req.headers.upgrade ?? '').toLowerCase();
        if (route.kind === 'containerLogs') throw new BadRequestError('the containerLogs endpoint is not upgraded');
        if (route.kind === 'portForward') {
          const sandbox = await podSandbox(options.runtime, route.namespace, route.pod);
          const dial = (port: number) => options.runtime.portForward(sandbox.id, port);
          if (upgrade === 'spdy/3.1') {
            socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: ${PORT_FORWARD_PROTOCOL}\r\n\r\n`);
            if (head.length > 0) socket.unshift(head);
            return servePortForward(new SpdySession(socket, 'server'), dial, route.pod, logger);
          }
          const ws = await acceptWebSocket(wss, req, socket, head, [PORT_FORWARD_WEBSOCKET_PROTOCOL]);
          return servePortForward(new SpdySession(createWebSocketStream(ws), 'server'), dial, route.pod, logger);
        }
        const query = parseStreamQuery(url.searchParams, route.kind);
        const container = await runningContainer(options.runtime, route.ref);
        const streams: StreamOptions = { stdin: query.stdin, stdout: query.stdout, stderr: query.stderr && !query.tty, tty: query.tty };
        checkWebSocketRequest(req, CHANNEL_PROTOCOLS);
        // The session starts before the handshake completes: the client sends stdin right after
        // it, and a message that came before anyone listened would be lost. Its output waits
        // (paused streams) until the socket is there.
        let session;
        try {
          session = route.kind === 'exec' ? await options.runtime.exec(container.id, query.command, streams) : await options.runtime.attach(container.id, streams);
        } catch (err) {
          logger?.warn({ err, ...route.ref }, 'starting a stream session failed');
          throw new InternalError(`${route.kind} in container "${route.ref.container}" failed: ${(err as Error).message}`);
        }
        let ws: WebSocket;
        try {
          ws = await acceptWebSocket(wss, req, socket, head, CHANNEL_PROTOCOLS);
        } catch (err) {
          session.close();
          throw err;
        }
        await serveChannelSession(ws, session, streams, route.kind === 'exec' ? query.command : [], logger);
      } catch (err) {
        refuseUpgrade(socket, err, logger);
      }
    })();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '0.0.0.0', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  logger?.info({ port }, 'serving container streams');
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

async function serveJson(req: IncomingMessage, res: ServerResponse, body: unknown): Promise<void> {
  if (req.method !== 'GET') throw new ApiError(405, 'MethodNotAllowed', `${req.method} is not allowed on ${STATS_SUMMARY_PATH}`);
  const text = JSON.stringify(body);
  res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

async function serveLogs(runtime: Runtime, ref: ContainerRef, query: URLSearchParams, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const options = parseLogQuery(query, Date.now());
  const container = await containerForLogs(runtime, ref, options.previous);
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff' });
  res.flushHeaders();
  if (req.method === 'HEAD') return void res.end();
  const abort = new AbortController();
  res.on('close', () => abort.abort());
  await streamContainerLog(container.logPath, options, res, {
    signal: abort.signal,
    running: async () => {
      try {
        const status = await runtime.containerStatus(container.id);
        return status.state === 'running' || status.state === 'created';
      } catch {
        return false;
      }
    },
  });
  res.end();
}

/** Parses `/<kind>/<ns>/<pod>[/<container>]`; 404 for any other path. */
function parseRoute(pathname: string): Route {
  const parts = pathname.split('/').slice(1).map((p) => decodeURIComponent(p));
  const [kind, namespace, pod, container] = parts;
  if ((kind === 'containerLogs' || kind === 'exec' || kind === 'attach') && parts.length === 4 && namespace && pod && container) {
    return { kind, ref: { namespace, pod, container } };
  }
  if (kind === 'portForward' && parts.length === 3 && namespace && pod) return { kind, namespace, pod };
  throw new ApiError(404, 'NotFound', `the node's streaming API serves no path ${pathname}`);
}

/** The most preferred subprotocol the client offered, of the ones served anywhere here. */
function pickProtocol(offered: Set<string>): string | false {
  for (const p of [...CHANNEL_PROTOCOLS, PORT_FORWARD_WEBSOCKET_PROTOCOL]) if (offered.has(p)) return p;
  return false;
}

/** Checks that `req` asks for a WebSocket with one of `protocols`; 400 otherwise. */
function checkWebSocketRequest(req: IncomingMessage, protocols: readonly string[]): void {
  const offered = String(req.headers['sec-websocket-protocol'] ?? '')
    .split(',')
    .map((p) => p.trim());
  if ((req.headers.upgrade ?? '').toLowerCase() !== 'websocket') {
    throw new BadRequestError(`unsupported upgrade "${req.headers.upgrade ?? ''}": this endpoint speaks WebSocket`);
  }
  if (!protocols.some((p) => offered.includes(p))) {
    throw new BadRequestError(`none of the offered subprotocols [${offered.join(' ')}] is served here; supported: [${protocols.join(' ')}]`);
  }
}

/**
 * Completes the WebSocket handshake (400 when the request is not one for `protocols`). The
 * socket is resolved before any of its messages can be read: attach listeners at once.
 */
function acceptWebSocket(wss: WebSocketServer, req: IncomingMessage, socket: Duplex, head: Buffer, protocols: readonly string[]): Promise<WebSocket> {
  checkWebSocketRequest(req, protocols);
  return new Promise((resolve) => wss.handleUpgrade(req, socket, head, resolve));
}

function answerError(res: ServerResponse, err: unknown, logger?: Logger): void {
  const apiErr = err instanceof ApiError ? err : new InternalError(`the node's streaming server failed: ${(err as Error)?.message ?? String(err)}`);
  if (apiErr.code >= 500) logger?.warn({ err }, 'streaming request failed');
  if (res.headersSent) return void res.destroy();
  const body = JSON.stringify(statusFromError(apiErr));
  res.writeHead(apiErr.code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

/** Answers a refused upgrade with its Status, then closes the connection. */
function refuseUpgrade(socket: Duplex, err: unknown, logger?: Logger): void {
  const apiErr = err instanceof ApiError ? err : new InternalError(`the node's streaming server failed: ${(err as Error)?.message ?? String(err)}`);
  if (apiErr.code >= 500) logger?.warn({ err }, 'streaming upgrade failed');
  refuseUpgradeWithStatus(socket, statusFromError(apiErr));
}
