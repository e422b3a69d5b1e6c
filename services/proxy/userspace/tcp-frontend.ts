/**
 * One TCP listener of the userspace data path: a virtual address:port (ClusterIP, external or
 * load-balancer IP, or a NodePort) whose connections are relayed to the endpoints its
 * {@link EndpointPicker} chooses.
 *
 * Contract:
 * - Each accepted connection waits (its bytes buffered) while the proxy dials an endpoint; a
 *   refused or timed-out dial moves on to the next endpoint, at most `MAX_DIAL_ATTEMPTS` in all,
 *   with kube-proxy userspace's growing dial timeouts. When every attempt fails the client is
 *   reset (it sees "connection reset", never a hang).
 * - Once dialled, bytes flow both ways with half-close preserved (a client's FIN reaches the
 *   endpoint and the reply still flows back), until either side closes or errs.
 * - `close()` stops accepting; connections already relayed continue (as kube-proxy's), unless
 *   `close(true)` destroys them too (the proxy is stopping).
 */
import * as net from 'node:net';
import type { Logger } from 'pino';
import { endpointAddress, type EndpointPicker } from './endpoint-picker';

/** Dial timeouts of successive attempts, ms (kube-proxy userspace's 250 ms, 500 ms, 1 s, 2 s). */
export const DIAL_TIMEOUTS_MS: readonly number[] = [250, 500, 1000, 2000];
/** Endpoints one connection tries before it is reset. */
export const MAX_DIAL_ATTEMPTS = DIAL_TIMEOUTS_MS.length;

/** A listening TCP frontend. */
export class TcpFrontend {
  private readonly open = new Set<net.Socket>();

  private constructor(
    private readonly server: net.Server,
    readonly address: string,
    readonly port: number,
  ) {}

  /** Listens on address:port (port 0: any free port); rejects when it cannot bind. */
  static listen(address: string, port: number, picker: EndpointPicker, logger: Logger): Promise<TcpFrontend> {
    // No Nagle on either leg: a relayed request must not wait for the previous segment's ACK.
    const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true, noDelay: true });
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: address, port, exclusive: true }, () => {
        server.off('error', reject);
        const frontend = new TcpFrontend(server, address, (server.address() as net.AddressInfo).port);
        server.on('connection', (client) => frontend.relay(client, picker, logger));
        server.on('error', (err) => logger.warn({ address, port, err: err.message }, 'tcp listener error'));
        resolve(frontend);
      });
    });
  }

  /** Stops accepting (see the file comment). */
  close(destroyConnections = false): Promise<void> {
    if (destroyConnections) for (const s of this.open) s.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private track(socket: net.Socket): void {
    this.open.add(socket);
    socket.once('close', () => this.open.delete(socket));
  }

  private relay(client: net.Socket, picker: EndpointPicker, logger: Logger): void {
    this.track(client);
    client.on('error', () => client.destroy());
    const clientIp = client.remoteAddress ?? '';
    const tried = new Set<string>();
    const attempt = (n: number): void => {
      const endpoint = n < MAX_DIAL_ATTEMPTS ? picker.pick(clientIp, tried) : undefined;
      if (!endpoint) {
        logger.debug({ frontend: `${this.address}:${this.port}`, client: clientIp, tried: [...tried] }, 'no endpoint reachable; resetting the connection');
        if (!client.destroyed) client.resetAndDestroy();
        return;
      }
      const target = endpointAddress(endpoint);
      tried.add(target);
      const upstream = net.connect({ host: endpoint.ip, port: endpoint.port, allowHalfOpen: true, noDelay: true });
      const failed = () => {
        upstream.destroy();
        picker.forget(clientIp);
        if (!client.destroyed) attempt(n + 1);
      };
      upstream.setTimeout(DIAL_TIMEOUTS_MS[n]!, failed);
      upstream.once('error', failed);
      upstream.once('connect', () => {
        upstream.setTimeout(0);
        upstream.off('error', failed);
        this.track(upstream);
        if (client.destroyed) return void upstream.destroy();
        upstream.on('error', () => client.destroy());
        client.on('error', () => upstream.destroy());
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
      });
    };
    attempt(0);
  }
}
