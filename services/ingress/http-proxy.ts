/**
 * The ingress data path: one request in (HTTP/1.1, or HTTP/2 through node's compatibility API),
 * routed by the RouteTable, forwarded over HTTP/1.1 to a ready endpoint of the backend Service.
 *
 * Contract:
 * - No route for the host and path → 404; a route whose backend is not a Service, names a
 *   Service port the ServiceTable lacks, or has no usable endpoint → 503.
 * - Endpoints are taken round-robin per Service port (kube-proxy's choice of usable endpoints:
 *   ready ones, else serving terminating ones). A new connection that fails (refused,
 *   unreachable, or not connected within CONNECT_TIMEOUT_MS) moves the request to the next
 *   endpoint; the request body is not read before a connection stands, so a retry never needs a
 *   buffer. When every endpoint failed → 502. Upstream connections are kept alive and reused; a
 *   reused one that fails is answered 502 (the request may have reached the backend).
 * - Bodies stream both ways (pipe, with backpressure); nothing is buffered. Hop-by-hop headers
 *   are dropped both ways (and HTTP/2 pseudo-headers); the Host header is kept; X-Forwarded-For
 *   (appended), X-Forwarded-Proto and X-Forwarded-Host are set.
 * - A client that goes away aborts its upstream request; an upstream that fails after the
 *   response started ends the client's response abruptly (the client sees a truncated body).
 */
import * as http from 'node:http';
import type * as http2 from 'node:http2';
import type { Logger } from 'pino';
import { usableEndpoints, type ServiceEndpoint, type ServiceTable } from '../../lib/network/service-table';
import type { IngressMetrics } from './ingress-metrics';
import type { RouteTable } from './route-table';

/** How long a connection to an endpoint may take before the next endpoint is tried. */
export const CONNECT_TIMEOUT_MS = 5_000;
/** Headers that describe one connection, never forwarded (RFC 9110 §7.6.1, plus HTTP/2's ban list). */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'http2-settings', 'proxy-authenticate', 'proxy-authorization']);
/** Idle upstream connections kept per endpoint, and how often they are probed (TCP keep-alive). */
export const MAX_IDLE_UPSTREAM_SOCKETS = 64;
export const UPSTREAM_KEEPALIVE_MS = 1_000;
/** No node is local to the ingress: externalTrafficPolicy Local has no local endpoints to prefer. */
const NO_LOCAL_NODES: ReadonlySet<string> = new Set();

/** A request of either server (HTTP/1.1 or HTTP/2 compatibility API). */
export type ProxyRequest = http.IncomingMessage | http2.Http2ServerRequest;
/** A response of either server. */
export type ProxyResponse = http.ServerResponse | http2.Http2ServerResponse;

/** What the proxy reads. */
export interface IngressProxyDeps {
  /** The current routing table (swapped whole by the controller). */
  routes(): RouteTable;
  readonly services: ServiceTable;
  readonly metrics: IngressMetrics;
  readonly logger: Logger;
}

/** The headers of `headers` minus hop-by-hop ones (and those `Connection` names) and HTTP/2 pseudo-headers. */
export function endToEndHeaders(headers: http.IncomingHttpHeaders): http.OutgoingHttpHeaders {
  const named = String(headers.connection ?? '').split(',').map((s) => s.trim().toLowerCase()).filter((s) => s !== '');
  const out: http.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (value === undefined || lower.startsWith(':') || HOP_BY_HOP.has(lower) || named.includes(lower)) continue;
    out[lower] = value;
  }
  return out;
}

/** The Host a request was sent to (HTTP/1.1 Host, or HTTP/2 :authority). */
export function requestHost(req: ProxyRequest): string {
  const h = req.headers.host ?? req.headers[':authority'];
  return Array.isArray(h) ? h[0] ?? '' : h ?? '';
}

/** The headers sent upstream: end-to-end ones, Host kept, X-Forwarded-For/-Proto/-Host set. */
export function upstreamHeaders(req: ProxyRequest, scheme: 'http' | 'https'): http.OutgoingHttpHeaders {
  const headers = endToEndHeaders(req.headers);
  const host = requestHost(req);
  const client = req.socket?.remoteAddress ?? '';
  const prior = req.headers['x-forwarded-for'];
  headers.host = host;
  headers['x-forwarded-for'] = prior ? `${Array.isArray(prior) ? prior.join(', ') : prior}, ${client}` : client;
  headers['x-forwarded-proto'] = scheme;
  headers['x-forwarded-host'] = host;
  return headers;
}

/** The data path. See the file comment. */
export class IngressProxy {
  /** Round-robin position per Service port key. */
  private readonly cursors = new Map<string, number>();
  /** Upstream connections, kept open between requests (each endpoint has its own pool). */
  private readonly agent = new http.Agent({ keepAlive: true, keepAliveMsecs: UPSTREAM_KEEPALIVE_MS, maxFreeSockets: MAX_IDLE_UPSTREAM_SOCKETS, scheduling: 'lifo' });

  constructor(private readonly deps: IngressProxyDeps) {}

  /** Closes the idle upstream connections. */
  close(): void {
    this.agent.destroy();
  }

  /** Serves one request that arrived over `scheme`. */
  handle(req: ProxyRequest, res: ProxyResponse, scheme: 'http' | 'https'): void {
    const started = performance.now();
    const out = res as http.ServerResponse;
    const answer = (status: number, text: string) => {
      this.deps.metrics.answered(status, (performance.now() - started) / 1000);
      if (out.headersSent) return void out.destroy();
      out.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text) });
      out.end(text);
      // An HTTP/1.1 body we never read must not hold the connection.
      (req as http.IncomingMessage).resume();
    };
    const match = this.deps.routes().match(requestHost(req), req.url ?? '/');
    if (!match) return answer(404, '404 page not found\n');
    const backend = match.route.backend;
    const entry = backend && this.deps.services.findPort(backend.namespace, backend.service, backend.port);
    const endpoints = entry ? usableEndpoints(entry, 'external', NO_LOCAL_NODES) : [];
    if (!entry || endpoints.length === 0) return answer(503, '503 Service Temporarily Unavailable\n');
    const cursor = this.cursors.get(entry.key) ?? 0;
    this.cursors.set(entry.key, cursor + 1);
    const order = endpoints.map((_, i) => endpoints[(cursor + i) % endpoints.length]!);
    const headers = upstreamHeaders(req, scheme);
    const attempt = (i: number): void => {
      if (i >= order.length) return answer(502, '502 Bad Gateway\n');
      this.forward(req, out, order[i]!, headers, started, () => {
        this.deps.metrics.connectFailed();
        attempt(i + 1);
      });
    };
    attempt(0);
  }

  /** Sends the request to `ep`; `onConnectError` runs (instead of any answer) when no connection could be made. */
  private forward(req: ProxyRequest, res: http.ServerResponse, ep: ServiceEndpoint, headers: http.OutgoingHttpHeaders, started: number, onConnectError: () => void): void {
    let connected = false;
    const upstream = http.request({ host: ep.ip, port: ep.port, method: req.method, path: req.url, headers, agent: this.agent, setHost: false });
    const timer = setTimeout(() => upstream.destroy(new Error(`connect timeout after ${CONNECT_TIMEOUT_MS} ms`)), CONNECT_TIMEOUT_MS);
    const abortUpstream = () => {
      if (!res.writableEnded) upstream.destroy();
    };
    upstream.on('socket', (socket) => {
      const start = () => {
        connected = true;
        clearTimeout(timer);
        req.pipe(upstream);
      };
      if (socket.connecting) socket.once('connect', start);
      else start();
    });
    upstream.on('response', (ures) => {
      this.deps.metrics.answered(ures.statusCode ?? 502, (performance.now() - started) / 1000);
      res.writeHead(ures.statusCode ?? 502, endToEndHeaders(ures.headers));
      ures.pipe(res);
      ures.on('error', () => res.destroy());
    });
    upstream.on('error', (err) => {
      clearTimeout(timer);
      res.off('close', abortUpstream);
      if (!connected) {
        this.deps.logger.debug({ endpoint: `${ep.ip}:${ep.port}`, err: err.message }, 'endpoint connection failed');
        return onConnectError();
      }
      this.deps.logger.debug({ endpoint: `${ep.ip}:${ep.port}`, err: err.message }, 'upstream request failed');
      if (res.headersSent) res.destroy();
      else {
        this.deps.metrics.answered(502, (performance.now() - started) / 1000);
        res.writeHead(502, { 'content-type': 'text/plain; charset=utf-8' });
        res.end('502 Bad Gateway\n');
      }
    });
    res.on('close', abortUpstream);
  }
}
