import * as net from 'node:net';
import { Duplex } from 'node:stream';
import * as tls from 'node:tls';
import { serveReloadingIdentity, type IdentitySource } from '../../lib/pki/reloading-identity';
import { AuthorityRewriter, EMPTY_SETTINGS_FRAME } from './authority-rewriter';

/**
 * The store's client port: a TCP listener that hands each connection to the gRPC server, after
 * making sure nghttp2 will accept its requests' `:authority` (see authority-rewriter.ts).
 *
 * Each connection starts in a short "look" phase: the listener sends an empty SETTINGS frame
 * (Go clients wait for the server's SETTINGS before their first request) and reads the
 * client's bytes through an AuthorityRewriter until it has seen the client acknowledge that
 * frame and the first request's headers. If nothing needed rewriting, the plain socket goes to
 * the gRPC server with the bytes read so far put back, so ordinary clients pay nothing after
 * the first request. Otherwise the connection is served through a rewriting stream for its
 * whole life. A client that sends no request within LOOK_TIMEOUT_MS (a channel connected
 * ahead of its first call) is handed over plainly too, once it has acknowledged the SETTINGS
 * frame; clients that send a URL as `:authority` (Go's, as etcdctl uses) send their request at
 * once, so only the first request of a connection is looked at.
 *
 * With TLS options the port serves TLS: the look phase and the gRPC server see the decrypted
 * stream, and a client the options refuse (no certificate, or one from another CA, under
 * client-cert-auth) fails at the handshake, before any of its bytes reach gRPC.
 */

/** How long a connection may stay in the look phase before it is handed over anyway. */
export const LOOK_TIMEOUT_MS = 2000;

/** Longest a TLS handshake may take before the connection is dropped. */
export const TLS_HANDSHAKE_TIMEOUT_MS = 10_000;

/** Where connections go: grpc-js's connection injector. */
export interface ConnectionSink {
  injectConnection(connection: Duplex): void;
}

/** A socket as the gRPC server sees it, with every client→server byte passed through the rewriter. */
class RewritingConnection extends Duplex {
  constructor(
    private readonly socket: net.Socket,
    rewriter: AuthorityRewriter,
    initial: Buffer,
  ) {
    super();
    if (initial.length > 0) this.push(initial);
    socket.on('data', (chunk: Buffer) => {
      const out = rewriter.push(chunk);
      if (out.length > 0 && !this.push(out)) socket.pause();
    });
    socket.on('end', () => this.push(null));
    socket.on('error', (err) => this.destroy(err));
    socket.on('close', () => this.destroy());
    socket.resume();
  }

  get remoteAddress(): string | undefined {
    return this.socket.remoteAddress;
  }

  get remotePort(): number | undefined {
    return this.socket.remotePort;
  }

  get localAddress(): string | undefined {
    return this.socket.localAddress;
  }

  get localPort(): number | undefined {
    return this.socket.localPort;
  }

  override _read(): void {
    this.socket.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (err?: Error | null) => void): void {
    this.socket.write(chunk, callback);
  }

  override _final(callback: (err?: Error | null) => void): void {
    this.socket.end(callback);
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    this.socket.destroy();
    callback(err);
  }
}

/** A bound client port; see the file header. */
export class ClientListener {
  /** Connections still in the look phase (destroyed by close()). */
  private readonly looking = new Set<net.Socket>();
  /** Every open connection, looking or handed over. */
  private readonly open = new Set<net.Socket>();

  private constructor(
    private readonly server: net.Server,
    private readonly sink: ConnectionSink,
    /** The port bound (useful when 0 was asked for). */
    readonly port: number,
    private readonly lookTimeoutMs: number,
  ) {}

  /**
   * Binds `host`:`port` (0 = any free port) and serves every connection into `sink`; over TLS
   * when `tlsOptions` are given (plain text otherwise).
   */
  static listen(
    host: string,
    port: number,
    sink: ConnectionSink,
    lookTimeoutMs = LOOK_TIMEOUT_MS,
    tlsOptions?: tls.TlsOptions,
    /** Told of every TLS handshake that failed (a refused client certificate, say). */
    onTlsRefused: (err: Error, remoteAddress: string | undefined) => void = () => undefined,
    /** With TLS: where a renewed serving certificate comes from (it replaces tlsOptions' for new connections). */
    identity?: IdentitySource,
  ): Promise<ClientListener> {
    const server = tlsOptions ? tls.createServer({ ...tlsOptions, noDelay: true, handshakeTimeout: TLS_HANDSHAKE_TIMEOUT_MS }) : net.createServer({ noDelay: true });
    if (tlsOptions && identity) serveReloadingIdentity(server as tls.Server, identity, tlsOptions);
    return new Promise((resolve, reject) => {
      server.once('error', (err) => reject(new Error(`cannot listen on ${host}:${port}: ${err.message}`)));
      server.listen({ host, port }, () => {
        const bound = (server.address() as net.AddressInfo).port;
        const listener = new ClientListener(server, sink, bound, lookTimeoutMs);
        // A failed accept (e.g. EMFILE) concerns one connection, never the member.
        server.on('error', () => undefined);
        // Every accepted socket is tracked (a TLS one from before its handshake), so close() can end it.
        server.on('connection', (socket: net.Socket) => {
          listener.open.add(socket);
          socket.once('close', () => listener.open.delete(socket));
          if (!tlsOptions) listener.look(socket);
        });
        if (tlsOptions) {
          server.on('secureConnection', (socket: tls.TLSSocket) => listener.look(socket));
          // A refused handshake concerns that client only; Node destroys its socket.
          server.on('tlsClientError', (err: Error, socket: tls.TLSSocket) => onTlsRefused(err, socket.remoteAddress));
        }
        resolve(listener);
      });
    });
  }

  private look(socket: net.Socket): void {
    const rewriter = new AuthorityRewriter();
    const taken: Buffer[] = [];
    this.looking.add(socket);
    const finish = (plain: boolean) => {
      clearTimeout(timer);
      socket.removeListener('data', onData);
      socket.removeListener('error', onError);
      socket.pause();
      this.looking.delete(socket);
      if (socket.destroyed) return;
      if (plain) {
        const unread = Buffer.concat([...taken, rewriter.unreturned()]);
        if (unread.length > 0) socket.unshift(unread);
        this.sink.injectConnection(socket);
      } else {
        this.sink.injectConnection(new RewritingConnection(socket, rewriter, Buffer.concat(taken)));
      }
    };
    const onData = (chunk: Buffer) => {
      taken.push(rewriter.push(chunk));
      if (rewriter.bypassed) finish(true);
      else if (rewriter.rewrites > 0) finish(false);
      else if (rewriter.headersSeen && rewriter.ackDropped) finish(true);
    };
    const onError = () => {
      clearTimeout(timer);
      this.looking.delete(socket);
      socket.destroy();
    };
    // Plain only once the acknowledgement of our SETTINGS frame was dropped: nghttp2 must never see it.
    const timer = setTimeout(() => finish(rewriter.ackDropped && rewriter.rewrites === 0), this.lookTimeoutMs);
    socket.on('data', onData);
    socket.on('error', onError);
    socket.on('close', () => {
      clearTimeout(timer);
      this.looking.delete(socket);
    });
    socket.write(EMPTY_SETTINGS_FRAME);
  }

  /**
   * Stops accepting connections and drops those not yet handed to the gRPC server; resolves
   * once every connection has closed, destroying those still open after `graceMs` (the gRPC
   * server's own shutdown normally ends them first).
   */
  close(graceMs: number): Promise<void> {
    for (const s of this.looking) s.destroy();
    this.looking.clear();
    const force = setTimeout(() => {
      for (const s of this.open) s.destroy();
    }, graceMs);
    return new Promise((resolve) =>
      this.server.close(() => {
        clearTimeout(force);
        resolve();
      }),
    );
  }
}
