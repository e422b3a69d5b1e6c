/**
 * The HTTP endpoint every Bosun component serves its metrics on (plain HTTP, by default on
 * 127.0.0.1 only): `GET /metrics` in the Prometheus text exposition format, `GET /healthz`
 * answering `ok`; every other path is 404, other methods on these paths 405.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

/** The path Prometheus scrapes. */
export const METRICS_PATH = '/metrics';
/** The liveness path (answers `ok` while the process serves). */
export const HEALTHZ_PATH = '/healthz';

/** Splits host:port (IPv6 hosts in brackets); port 0 means any free port. */
function splitHostPort(hostPort: string): { host: string; port: number } {
  const colon = hostPort.lastIndexOf(':');
  return { host: hostPort.slice(0, colon).replace(/^\[|\]$/g, '') || '127.0.0.1', port: Number(hostPort.slice(colon + 1)) };
}

/** A listening metrics endpoint of one registry. */
export class MetricsServer {
  private constructor(
    private readonly server: http.Server,
    /** The bound port (the one asked for, or the one the OS chose for port 0). */
    readonly port: number,
    /** host:port as bound. */
    readonly address: string,
  ) {}

  /** Serves `registry` on `hostPort`; rejects when the address cannot be bound (e.g. in use). */
  static start(registry: Registry, hostPort: string): Promise<MetricsServer> {
    const { host, port } = splitHostPort(hostPort);
    const server = http.createServer((req, res) => void answer(registry, req, res));
    return new Promise((resolve, reject) => {
      server.once('error', (err) => reject(new Error(`cannot serve metrics on ${hostPort}: ${err.message}`)));
      server.listen(port, host, () => {
        const bound = (server.address() as AddressInfo).port;
        resolve(new MetricsServer(server, bound, `${host.includes(':') ? `[${host}]` : host}:${bound}`));
      });
    });
  }

  /** `http://host:port/metrics`. */
  get url(): string {
    return `http://${this.address}${METRICS_PATH}`;
  }

  /** Stops listening and closes open connections. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}

async function answer(registry: Registry, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  const text = (status: number, body: string, contentType = 'text/plain; charset=utf-8', extra: http.OutgoingHttpHeaders = {}) => {
    res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body), ...extra });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
  if (path !== METRICS_PATH && path !== HEALTHZ_PATH) return text(404, '404 page not found\n');
  if (req.method !== 'GET' && req.method !== 'HEAD') return text(405, `${req.method} is not allowed on ${path}\n`, undefined, { Allow: 'GET, HEAD' });
  if (path === HEALTHZ_PATH) return text(200, 'ok');
  try {
    text(200, await registry.metrics(), registry.contentType);
  } catch (err) {
    text(500, `collecting metrics failed: ${(err as Error).message}\n`);
  }
}
