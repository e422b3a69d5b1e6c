/**
 * One UDP socket of the userspace data path: datagrams to a virtual address:port are relayed to
 * an endpoint and the endpoint's replies back to the client, through one session per client
 * ip:port (kube-proxy userspace's UDP "connection" map).
 *
 * Contract:
 * - A session is opened on a client's first datagram: the {@link EndpointPicker} chooses its
 *   endpoint and a fresh socket (any port) talks to it; replies from that endpoint go back to
 *   the client from the virtual address. Datagrams from anyone else to that socket are dropped.
 * - A session closes after `idleTimeoutMs` without traffic either way (timers on the injected
 *   clock), when its endpoint leaves the rotation (`dropSessionsNotIn`), or with the frontend.
 * - With no endpoint to choose the datagram is dropped (the data path closes frontends that have
 *   no endpoints at all, so the kernel answers "port unreachable" instead).
 */
import * as dgram from 'node:dgram';
import type { Logger } from 'pino';
import type { Clock, Timer } from '../../../lib/client/clock';
import { endpointAddress, type EndpointPicker } from './endpoint-picker';

/** Idle time (no datagram either way) after which a UDP session closes. */
export const UDP_SESSION_IDLE_TIMEOUT_MS = 60_000;

interface Session {
  /** "ip:port" of the endpoint. */
  readonly endpoint: string;
  readonly ip: string;
  readonly port: number;
  readonly upstream: dgram.Socket;
  timer: Timer;
}

/** A bound UDP frontend. */
export class UdpFrontend {
  private readonly sessions = new Map<string, Session>();

  private constructor(
    private readonly socket: dgram.Socket,
    readonly address: string,
    readonly port: number,
    private readonly picker: EndpointPicker,
    private readonly clock: Clock,
    private readonly idleTimeoutMs: number,
    private readonly logger: Logger,
  ) {}

  /** Binds address:port (port 0: any free port); rejects when it cannot bind. */
  static bind(address: string, port: number, picker: EndpointPicker, clock: Clock, logger: Logger, idleTimeoutMs = UDP_SESSION_IDLE_TIMEOUT_MS): Promise<UdpFrontend> {
    const socket = dgram.createSocket({ type: 'udp4' });
    return new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.bind({ address, port, exclusive: true }, () => {
        socket.off('error', reject);
        const frontend = new UdpFrontend(socket, address, socket.address().port, picker, clock, idleTimeoutMs, logger);
        socket.on('message', (msg, from) => frontend.forward(msg, from));
        socket.on('error', (err) => logger.warn({ address, port, err: err.message }, 'udp socket error'));
        resolve(frontend);
      });
    });
  }

  /** Sessions open now. */
  sessionCount(): number {
    return this.sessions.size;
  }

  /** Closes the sessions whose endpoint ("ip:port") is not in `endpoints`. */
  dropSessionsNotIn(endpoints: ReadonlySet<string>): void {
    for (const [client, s] of this.sessions) if (!endpoints.has(s.endpoint)) this.closeSession(client);
  }

  /** Closes every session and the socket. */
  close(): Promise<void> {
    for (const client of [...this.sessions.keys()]) this.closeSession(client);
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }

  private forward(msg: Buffer, from: dgram.RemoteInfo): void {
    const client = `${from.address}:${from.port}`;
    const session = this.sessions.get(client) ?? this.openSession(client, from);
    if (!session) return;
    this.touch(client, session);
    session.upstream.send(msg, session.port, session.ip);
  }

  private openSession(client: string, from: dgram.RemoteInfo): Session | undefined {
    const endpoint = this.picker.pick(from.address);
    if (!endpoint) return undefined;
    const upstream = dgram.createSocket({ type: 'udp4' });
    const target = endpointAddress(endpoint);
    const session: Session = { endpoint: target, ip: endpoint.ip, port: endpoint.port, upstream, timer: { cancel: () => undefined } };
    upstream.on('message', (reply, replier) => {
      if (`${replier.address}:${replier.port}` !== target) return;
      this.touch(client, session);
      this.socket.send(reply, from.port, from.address);
    });
    upstream.on('error', (err) => {
      this.logger.debug({ client, endpoint: target, err: err.message }, 'udp session error');
      this.closeSession(client);
    });
    this.sessions.set(client, session);
    return session;
  }

  private touch(client: string, session: Session): void {
    session.timer.cancel();
    session.timer = this.clock.setTimer(this.idleTimeoutMs, () => this.closeSession(client));
  }

  private closeSession(client: string): void {
    const s = this.sessions.get(client);
    if (!s) return;
    this.sessions.delete(client);
    s.timer.cancel();
    try {
      s.upstream.close();
    } catch {
      // already closed by an error
    }
  }
}
