/**
 * The DNS wire server: UDP datagrams and TCP streams on one host:port, each message handed to
 * a {@link DnsResponder}.
 *
 * Contract:
 * - UDP and TCP bind the same port (port 0: the OS picks one for TCP and UDP takes the same).
 * - TCP framing per RFC 1035 §4.2.2 / RFC 7766: every message is prefixed with its 2-byte
 *   length; several queries may arrive in one segment or one query across several; answers go
 *   back in order. A zero length or a connection idle for TCP_IDLE_TIMEOUT_MS is closed.
 * - Nothing a client sends can crash the server: the responder never throws, and socket
 *   errors are logged and dropped.
 */
import * as dgram from 'node:dgram';
import * as net from 'node:net';
import type { Logger } from 'pino';
import { frame, splitHostPort, TCP_LENGTH_PREFIX_BYTES } from './dns-forwarder';
import type { DnsResponder } from './dns-responder';

/** How long a TCP connection may stay idle before the server closes it (RFC 7766 suggests seconds). */
export const TCP_IDLE_TIMEOUT_MS = 10_000;
/** Attempts to find a port free for both TCP and UDP when asked for port 0. */
const BIND_ATTEMPTS = 10;

/** Serves a responder on UDP and TCP. See the file comment. */
export class DnsWireServer {
  private udp: dgram.Socket | undefined;
  private tcp: net.Server | undefined;
  private readonly connections = new Set<net.Socket>();
  /** The bound port (after start). */
  port = 0;

  constructor(
    private readonly responder: DnsResponder,
    private readonly logger: Logger,
  ) {}

  /** Binds `hostPort` on TCP and UDP; resolves with the port. */
  async start(hostPort: string): Promise<number> {
    const { host, port } = splitHostPort(hostPort);
    let lastError: unknown;
    for (let attempt = 0; attempt < (port === 0 ? BIND_ATTEMPTS : 1); attempt++) {
      const tcp = this.newTcpServer();
      try {
        const bound = await listenTcp(tcp, host, port);
        try {
          this.udp = await bindUdp(host, bound, (msg, rinfo, socket) => this.onDatagram(msg, rinfo, socket));
        } catch (err) {
          tcp.close();
          throw err;
        }
        this.tcp = tcp;
        this.port = bound;
        return bound;
      } catch (err) {
        lastError = err;
      }
    }
    throw lastError;
  }

  /** Stops serving: closes the UDP socket, the TCP listener and every open connection. */
  async stop(): Promise<void> {
    for (const c of this.connections) c.destroy();
    this.connections.clear();
    await Promise.all([
      new Promise<void>((resolve) => (this.udp ? this.udp.close(() => resolve()) : resolve())),
      new Promise<void>((resolve) => (this.tcp ? this.tcp.close(() => resolve()) : resolve())),
    ]);
    this.udp = undefined;
    this.tcp = undefined;
  }

  private onDatagram(msg: Buffer, rinfo: dgram.RemoteInfo, socket: dgram.Socket): void {
    void this.responder.respond(msg, 'udp').then((reply) => {
      if (!reply) return;
      socket.send(reply, rinfo.port, rinfo.address, (err) => err && this.logger.debug({ err: err.message }, 'dns udp send failed'));
    });
  }

  private newTcpServer(): net.Server {
    return net.createServer((socket) => {
      this.connections.add(socket);
      socket.setTimeout(TCP_IDLE_TIMEOUT_MS, () => socket.destroy());
      socket.on('error', (err) => this.logger.debug({ err: err.message }, 'dns tcp connection error'));
      socket.on('close', () => this.connections.delete(socket));
      let buffered = Buffer.alloc(0);
      // Answers go out in query order: each waits for the one before it.
      let previous: Promise<void> = Promise.resolve();
      socket.on('data', (chunk) => {
        buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
        while (buffered.length >= TCP_LENGTH_PREFIX_BYTES) {
          const length = buffered.readUInt16BE(0);
          if (length === 0) {
            socket.destroy();
            return;
          }
          if (buffered.length < TCP_LENGTH_PREFIX_BYTES + length) break;
          const message = buffered.subarray(TCP_LENGTH_PREFIX_BYTES, TCP_LENGTH_PREFIX_BYTES + length);
          buffered = buffered.subarray(TCP_LENGTH_PREFIX_BYTES + length);
          const answer = this.responder.respond(message, 'tcp');
          previous = previous.then(async () => {
            const reply = await answer;
            if (reply && !socket.destroyed) socket.write(frame(reply));
          });
        }
      });
    });
  }
}

function listenTcp(server: net.Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port }, () => {
      server.off('error', reject);
      resolve((server.address() as net.AddressInfo).port);
    });
  });
}

function bindUdp(host: string, port: number, onMessage: (msg: Buffer, rinfo: dgram.RemoteInfo, socket: dgram.Socket) => void): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
    socket.once('error', reject);
    socket.bind({ address: host, port }, () => {
      socket.off('error', reject);
      socket.on('error', () => undefined); // ICMP-induced errors on send: nothing to do
      socket.on('message', (msg, rinfo) => onMessage(msg, rinfo, socket));
      resolve(socket);
    });
  });
}
