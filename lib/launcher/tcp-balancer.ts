/**
 * A small TCP load balancer in front of the apiservers (what kind puts haproxy there for and
 * k3s agents do client-side): every client connection is piped, bytes unchanged (TLS passes
 * through), to the next backend in turn that accepts a connection. A backend that refuses is
 * skipped for a while, so clients such as kubectl keep working while one apiserver is down.
 */
import * as net from 'node:net';

/** How long a connection attempt to a backend may take before the next one is tried. */
export const BACKEND_CONNECT_TIMEOUT_MS = 1_000;
/** How long a backend that refused is passed over (it is still tried when no other is left). */
export const BACKEND_RETRY_AFTER_MS = 2_000;

/** One backend, host:port. */
export interface Backend {
  readonly host: string;
  readonly port: number;
}

/** Round-robin TCP pass-through over backends with passive health. See the file comment. */
export class TcpBalancer {
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private readonly downUntil = new Map<Backend, number>();
  private next = 0;

  constructor(private readonly backends: readonly Backend[]) {
    if (backends.length === 0) throw new Error('TcpBalancer: no backends');
    this.server = net.createServer((client) => this.accept(client));
  }

  /** Starts listening on host:port (port 0: any free port); resolves with the bound port. */
  listen(port: number, host = '127.0.0.1'): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve((this.server.address() as net.AddressInfo).port);
      });
    });
  }

  /** Stops listening and closes every open connection. */
  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  /** The backends in the order this connection tries them: healthy ones first, from the round-robin position. */
  private order(): Backend[] {
    const start = this.next++ % this.backends.length;
    const rotated = [...this.backends.slice(start), ...this.backends.slice(0, start)];
    const now = Date.now();
    const up = rotated.filter((b) => (this.downUntil.get(b) ?? 0) <= now);
    return [...up, ...rotated.filter((b) => !up.includes(b))];
  }

  private track(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
  }

  private accept(client: net.Socket): void {
    this.track(client);
    client.pause();
    client.on('error', () => client.destroy());
    const candidates = this.order();
    const attempt = (i: number): void => {
      if (client.destroyed) return;
      const backend = candidates[i];
      if (!backend) {
        client.destroy();
        return;
      }
      const upstream = net.connect({ host: backend.host, port: backend.port });
      let connected = false;
      const timer = setTimeout(() => upstream.destroy(new Error('connect timeout')), BACKEND_CONNECT_TIMEOUT_MS);
      upstream.once('error', () => {
        clearTimeout(timer);
        if (connected) return;
        this.downUntil.set(backend, Date.now() + BACKEND_RETRY_AFTER_MS);
        attempt(i + 1);
      });
      upstream.once('connect', () => {
        connected = true;
        clearTimeout(timer);
        this.downUntil.delete(backend);
        this.track(upstream);
        upstream.on('error', () => client.destroy());
        client.on('close', () => upstream.destroy());
        upstream.on('close', () => client.destroy());
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
      });
    };
    attempt(0);
  }
}
