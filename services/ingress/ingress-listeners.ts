/**
 * The ingress controller's front: a plain HTTP/1.1 server and a TLS server that speaks HTTP/2
 * and HTTP/1.1 (ALPN h2 / http/1.1, node's http2.createSecureServer with allowHTTP1). The TLS
 * server picks its certificate by SNI through `certificateFor`, falling back to the default
 * certificate for a name no Ingress covers (or no SNI at all). Both hand every request to the
 * IngressProxy.
 */
import * as http from 'node:http';
import * as http2 from 'node:http2';
import type { Socket } from 'node:net';
import * as tls from 'node:tls';
import type { IngressProxy } from './http-proxy';
import type { CertificatePair } from './tls-certificates';

/** How the listeners are set up. */
export interface IngressListenersOptions {
  /** host:port of plain HTTP ('' for none; port 0 = any free port). */
  readonly httpListen: string;
  /** host:port of HTTPS ('' for none; port 0 = any free port). */
  readonly httpsListen: string;
  readonly proxy: IngressProxy;
  /** The TLS context serving `servername`, or undefined for the default certificate. */
  certificateFor(servername: string): tls.SecureContext | undefined;
  /** Served for names no Ingress covers; absent: such handshakes fail (no certificate to offer). */
  readonly defaultCertificate?: CertificatePair;
}

/** host and port of "host:port" ("[::1]:80" → "::1", 80). */
export function splitListen(listen: string): { host: string; port: number } {
  const colon = listen.lastIndexOf(':');
  const host = listen.slice(0, colon).replace(/^\[|\]$/g, '');
  return { host, port: Number(listen.slice(colon + 1)) };
}

function listenOn(server: http.Server | http2.Http2SecureServer, listen: string): Promise<number> {
  const { host, port } = splitListen(listen);
  return new Promise((resolve, reject) => {
    server.once('error', (err) => reject(new Error(`cannot listen on ${listen}: ${err.message}`)));
    server.listen(port, host, () => resolve((server.address() as { port: number }).port));
  });
}

/** The running listeners. */
export class IngressListeners {
  /** Bound ports (0 when that listener is off). */
  httpPort = 0;
  httpsPort = 0;
  private httpServer: http.Server | undefined;
  private httpsServer: http2.Http2SecureServer | undefined;
  /** Open TLS connections (HTTP/2 sessions and HTTP/1.1 alike), destroyed on close. */
  private readonly tlsSockets = new Set<Socket>();


  /** Binds the configured listeners; rejects naming the address when one cannot be bound. */
  static async start(options: IngressListenersOptions): Promise<IngressListeners> {
    const l = new IngressListeners();
    try {
      if (options.httpListen) {
        l.httpServer = http.createServer((req, res) => options.proxy.handle(req, res, 'http'));
        l.httpPort = await listenOn(l.httpServer, options.httpListen);
      }
      if (options.httpsListen) {
        const defaults = options.defaultCertificate;
        const fallback = defaults ? tls.createSecureContext(defaults) : undefined;
        l.httpsServer = http2.createSecureServer(
          {
            allowHTTP1: true,
            ...(defaults ? { cert: defaults.cert, key: defaults.key } : {}),
            SNICallback: (servername, cb) => {
              const context = options.certificateFor(servername) ?? fallback;
              if (context) cb(null, context);
              else cb(new Error(`no certificate for ${JSON.stringify(servername)}`), undefined);
            },
          },
          (req, res) => options.proxy.handle(req, res, 'https'),
        );
        l.httpsServer.on('secureConnection', (socket: tls.TLSSocket) => {
          l.tlsSockets.add(socket);
          socket.once('close', () => l.tlsSockets.delete(socket));
        });
        l.httpsPort = await listenOn(l.httpsServer, options.httpsListen);
      }
    } catch (err) {
      await l.close();
      throw err;
    }
    return l;
  }

  /** Stops accepting and ends every open connection. */
  async close(): Promise<void> {
    const closing: Promise<void>[] = [];
    if (this.httpServer?.listening) {
      const s = this.httpServer;
      closing.push(new Promise((resolve) => s.close(() => resolve())));
      s.closeAllConnections();
    }
    if (this.httpsServer?.listening) {
      const s = this.httpsServer;
      closing.push(new Promise((resolve) => s.close(() => resolve())));
      for (const socket of this.tlsSockets) socket.destroy();
    }
    await Promise.all(closing);
  }
}
