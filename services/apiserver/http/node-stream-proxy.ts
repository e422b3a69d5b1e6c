/**
 * Proxies a pod's streaming subresources to the node agent that serves them (the part of
 * kube-apiserver's UpgradeAwareHandler Bosun needs), over TLS with the apiserver's client
 * certificate from the cluster CA:
 * - logs: a GET whose answer (status, type, body) is copied chunk by chunk as it comes, so
 *   `kubectl logs -f` follows;
 * - for the gRPC door: the same log request, and an exec WebSocket it relays itself;
 * - exec, attach, port-forward: the client's upgrade request is sent on to the agent as is
 *   (WebSocket or SPDY; the bearer token stays behind), then bytes are piped both ways — the
 *   agent's 101 or its error Status reaches the client unchanged.
 * An agent that does not answer gives Kubernetes' errors: a 500 naming the request for logs,
 * "error dialing backend: …" for upgrades.
 */
import * as https from 'node:https';
import * as tls from 'node:tls';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { WebSocket } from 'ws';
import { InternalError } from '../../../lib/api/errors';
import { errorFromStatus, type StatusObject } from '../../../lib/api/status';
import { CHANNEL_PROTOCOLS } from '../../../lib/streaming/channel-protocol';
import type { IssuedCert } from '../../../lib/pki/component-certs';
import type { IdentitySource } from '../../../lib/pki/reloading-identity';
import type { NodeStreamLocation } from '../rest/pod-stream-location';
import { sendError } from './http-io';

/** Longest the TLS connection to an agent may take to open. */
export const AGENT_DIAL_TIMEOUT_MS = 10_000;

/** Request headers never passed to the agent (the client's credentials, hop-by-hop framing). */
const DROPPED_HEADERS = new Set(['authorization', 'host', 'content-length', 'transfer-encoding', 'proxy-authorization', 'cookie']);

/** Sends streaming requests on to node agents. */
export class NodeStreamProxy {
  /** `client`: the apiserver's client certificate; with `identity`, the certificate files followed (renewed while it runs). */
  constructor(private readonly client: IssuedCert, private readonly identity?: IdentitySource) {}

  /**
   * Asks the agent at `location` for a log; resolves with its answer (any status) once its
   * headers are in. An agent that cannot be reached is a 500 naming the request, as in
   * Kubernetes.
   */
  requestLogs(location: NodeStreamLocation): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      const upstream = https.request({ ...this.tlsOptions(location), method: 'GET', path: location.path, headers: { Accept: '*/*' }, timeout: AGENT_DIAL_TIMEOUT_MS }, (answer) => {
        upstream.setTimeout(0); // a followed log may be quiet for long
        answer.on('close', () => upstream.destroy());
        resolve(answer);
      });
      upstream.on('timeout', () => upstream.destroy(new Error(`dial tcp ${hostPort(location)}: i/o timeout`)));
      upstream.on('error', (err) => reject(new InternalError(`Get "https://${hostPort(location)}${location.path}": ${err.message}`)));
      upstream.end();
    });
  }

  /**
   * GETs a JSON document from the agent at `location` (e.g. its /stats/summary), within
   * `timeoutMs` overall and at most `maxBytes`; rejects with an InternalError naming the request
   * when the agent cannot be reached, answers non-200, too much, or not JSON.
   */
  async getJson(location: NodeStreamLocation, timeoutMs: number, maxBytes: number): Promise<unknown> {
    const what = `Get "https://${hostPort(location)}${location.path}"`;
    const answer = await this.requestLogs(location);
    const timer = setTimeout(() => answer.destroy(new Error('timed out')), timeoutMs);
    try {
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of answer) {
        size += (chunk as Buffer).length;
        if (size > maxBytes) throw new Error(`the answer is larger than ${maxBytes} bytes`);
        chunks.push(chunk as Buffer);
      }
      const text = Buffer.concat(chunks).toString('utf8');
      if (answer.statusCode !== 200) throw new Error(`the node answered ${answer.statusCode}: ${text.slice(0, 200)}`);
      return JSON.parse(text) as unknown;
    } catch (err) {
      throw new InternalError(`${what}: ${(err as Error).message}`);
    } finally {
      clearTimeout(timer);
      answer.destroy();
    }
  }

  /** Copies the agent's answer to a log request into `res` (nothing sent yet), chunk by chunk. */
  async proxyLogs(location: NodeStreamLocation | null, _req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!location) {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end();
      return;
    }
    let answer: IncomingMessage;
    try {
      answer = await this.requestLogs(location);
    } catch (err) {
      return sendError(res, err);
    }
    res.on('close', () => answer.destroy());
    res.writeHead(answer.statusCode ?? 502, { 'Content-Type': String(answer.headers['content-type'] ?? 'text/plain') });
    res.flushHeaders();
    await pipeline(answer, res).catch(() => undefined);
  }

  /**
   * Opens an exec/attach WebSocket (v5, else v4 channel protocol) to the agent at `location`;
   * rejects with the agent's Status as an ApiError when it refuses, with "error dialing
   * backend" when it cannot be reached.
   */
  openChannelSocket(location: NodeStreamLocation): Promise<WebSocket> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`wss://${hostPort(location)}${location.path}`, [...CHANNEL_PROTOCOLS], {
        ...this.tlsOptions(location),
        perMessageDeflate: false,
        handshakeTimeout: AGENT_DIAL_TIMEOUT_MS,
      });
      ws.once('open', () => resolve(ws));
      ws.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString('utf8')));
        res.on('end', () => {
          let status: Partial<StatusObject> | undefined;
          try {
            status = JSON.parse(body) as Partial<StatusObject>;
          } catch {
            status = { code: res.statusCode, message: body.trim() || `the node answered ${res.statusCode}` };
          }
          reject(errorFromStatus({ code: res.statusCode, ...status }));
          ws.terminate();
        });
      });
      ws.once('error', (err) => reject(new InternalError(`error dialing backend: ${err.message}`)));
    });
  }

  /**
   * Sends the upgrade request `req` (with the bytes already read, `head`) to the agent at
   * `location` and joins the two connections. Fails (before writing anything to `socket`) when
   * the agent cannot be reached.
   */
  proxyUpgrade(location: NodeStreamLocation, req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const upstream = tls.connect({ ...this.tlsOptions(location), timeout: AGENT_DIAL_TIMEOUT_MS });
      const fail = (err: Error) => {
        upstream.destroy();
        reject(new InternalError(`error dialing backend: ${err.message}`));
      };
      upstream.once('error', fail);
      upstream.once('timeout', () => fail(new Error(`dial tcp ${hostPort(location)}: i/o timeout`)));
      upstream.once('secureConnect', () => {
        upstream.off('error', fail);
        upstream.setTimeout(0);
        const lines = [`${req.method ?? 'GET'} ${location.path} HTTP/1.1`, `Host: ${hostPort(location)}`];
        for (let i = 0; i < req.rawHeaders.length; i += 2) {
          const name = req.rawHeaders[i]!;
          if (!DROPPED_HEADERS.has(name.toLowerCase())) lines.push(`${name}: ${req.rawHeaders[i + 1]!}`);
        }
        upstream.write(lines.join('\r\n') + '\r\n\r\n');
        if (head.length > 0) upstream.write(head);
        upstream.on('error', () => socket.destroy());
        socket.on('error', () => upstream.destroy());
        upstream.on('close', () => socket.destroy());
        socket.on('close', () => upstream.destroy());
        socket.pipe(upstream);
        upstream.pipe(socket);
        resolve();
      });
    });
  }

  private tlsOptions(location: NodeStreamLocation): tls.ConnectionOptions & { host: string; port: number } {
    const identity = this.identity?.current() ?? this.client;
    return {
      host: location.host,
      port: location.port,
      cert: identity.cert,
      key: identity.key,
      ca: this.client.caCert,
      // Agents' serving certificates chain to the cluster CA; the address they are reached at
      // is whatever their Node reports, which their certificate may not name.
      checkServerIdentity: () => undefined,
    };
  }
}

function hostPort(location: NodeStreamLocation): string {
  return location.host.includes(':') ? `[${location.host}]:${location.port}` : `${location.host}:${location.port}`;
}
