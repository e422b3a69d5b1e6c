/**
 * Forwarding of names outside the cluster zone to upstream servers (CoreDNS's `forward`): the
 * client's query bytes go unchanged to the first upstream over the client's transport; on a
 * timeout or a socket error the next upstream is tried. The reply is relayed as received (its
 * id is the client's, since the query was not rewritten).
 */
import * as dgram from 'node:dgram';
import * as net from 'node:net';

/** How long one upstream may take to answer, ms (CoreDNS's forward read timeout is 2 s). */
export const UPSTREAM_TIMEOUT_MS = 2_000;
/** Largest UDP reply accepted from an upstream (EDNS maximum). */
const MAX_UDP_REPLY_BYTES = 65_535;
/** Bytes of the TCP length prefix (RFC 1035 §4.2.2). */
export const TCP_LENGTH_PREFIX_BYTES = 2;

/** The transport a query came in on (and goes out on). */
export type DnsTransport = 'udp' | 'tcp';

/** Sends a query elsewhere; undefined when nobody answered in time. */
export interface Upstream {
  /** host:port of the servers, in the order tried. */
  readonly servers: readonly string[];
  forward(query: Buffer, transport: DnsTransport): Promise<Buffer | undefined>;
}

/** Forwards to `servers` (host:port) in order. See the file comment. */
export class UpstreamForwarder implements Upstream {
  constructor(
    readonly servers: readonly string[],
    private readonly timeoutMs = UPSTREAM_TIMEOUT_MS,
  ) {}

  async forward(query: Buffer, transport: DnsTransport): Promise<Buffer | undefined> {
    for (const server of this.servers) {
      const { host, port } = splitHostPort(server);
      const reply = await (transport === 'udp' ? this.viaUdp(query, host, port) : this.viaTcp(query, host, port)).catch(() => undefined);
      if (reply) return reply;
    }
    return undefined;
  }

  private viaUdp(query: Buffer, host: string, port: number): Promise<Buffer | undefined> {
    return new Promise((resolve) => {
      const socket = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
      const done = (reply: Buffer | undefined) => {
        clearTimeout(timer);
        socket.close();
        resolve(reply);
      };
      const timer = setTimeout(() => done(undefined), this.timeoutMs);
      socket.on('error', () => done(undefined));
      socket.on('message', (msg) => {
        // Only the reply to this query (same id); anything else is ignored.
        if (msg.length >= 2 && msg.length <= MAX_UDP_REPLY_BYTES && msg.readUInt16BE(0) === query.readUInt16BE(0)) done(msg);
      });
      socket.send(query, port, host, (err) => err && done(undefined));
    });
  }

  private viaTcp(query: Buffer, host: string, port: number): Promise<Buffer | undefined> {
    return new Promise((resolve) => {
      const socket = net.connect({ host, port });
      let buffered = Buffer.alloc(0);
      const done = (reply: Buffer | undefined) => {
        clearTimeout(timer);
        socket.destroy();
        resolve(reply);
      };
      const timer = setTimeout(() => done(undefined), this.timeoutMs);
      socket.on('error', () => done(undefined));
      socket.on('close', () => done(undefined));
      socket.on('connect', () => socket.write(frame(query)));
      socket.on('data', (chunk) => {
        buffered = Buffer.concat([buffered, chunk]);
        if (buffered.length < TCP_LENGTH_PREFIX_BYTES) return;
        const length = buffered.readUInt16BE(0);
        if (buffered.length >= TCP_LENGTH_PREFIX_BYTES + length) done(buffered.subarray(TCP_LENGTH_PREFIX_BYTES, TCP_LENGTH_PREFIX_BYTES + length));
      });
    });
  }
}

/** A DNS message with its TCP length prefix. */
export function frame(message: Buffer): Buffer {
  const prefix = Buffer.alloc(TCP_LENGTH_PREFIX_BYTES);
  prefix.writeUInt16BE(message.length, 0);
  return Buffer.concat([prefix, message]);
}

/** "host:port" or "[v6]:port" → parts (the flag parser has checked the form). */
export function splitHostPort(hostPort: string): { host: string; port: number } {
  const i = hostPort.lastIndexOf(':');
  return { host: hostPort.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(hostPort.slice(i + 1)) };
}
