/**
 * Builders for proxy tests: Services and EndpointSlices in the shapes the ServiceTable reads,
 * and tiny real backends (TCP servers answering their own name, a UDP echo) on loopback.
 */
import * as dgram from 'node:dgram';
import * as net from 'node:net';
import type { Service } from '../../../lib/api/types/core';
import type { EndpointSlice } from '../../../lib/api/types/discovery';
import { SERVICE_NAME_LABEL } from '../../../lib/network/service-table';

/** A Service in `default` with one port named `port`. */
export function testService(name: string, spec: Service['spec']): Service {
  return { apiVersion: 'v1', kind: 'Service', metadata: { namespace: 'default', name }, spec };
}

/** One endpoint of a slice. */
export interface SliceEndpoint {
  readonly ip: string;
  readonly ready?: boolean;
  readonly nodeName?: string;
}

/** An EndpointSlice of `service` with one port named `portName` (TCP unless told). */
export function testSlice(name: string, service: string, port: number, endpoints: readonly SliceEndpoint[], portName = 'p', protocol: 'TCP' | 'UDP' = 'TCP'): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { namespace: 'default', name, labels: { [SERVICE_NAME_LABEL]: service } },
    addressType: 'IPv4',
    ports: [{ name: portName, port, protocol }],
    endpoints: endpoints.map((e) => ({ addresses: [e.ip], conditions: { ready: e.ready ?? true }, ...(e.nodeName ? { nodeName: e.nodeName } : {}) })),
  };
}

/** A TCP server on 127.0.0.1 (any port) that writes `name` and closes each connection. */
export async function namedTcpServer(name: string, host = '127.0.0.1'): Promise<{ port: number; close(): Promise<void> }> {
  const server = net.createServer((s) => s.end(name));
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return { port: (server.address() as net.AddressInfo).port, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** A UDP server on 127.0.0.1 (any port) answering every datagram with `name:` + the datagram. */
export async function udpEcho(name: string): Promise<{ port: number; close(): Promise<void> }> {
  const socket = dgram.createSocket('udp4');
  socket.on('message', (msg, from) => socket.send(Buffer.concat([Buffer.from(`${name}:`), msg]), from.port, from.address));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return { port: socket.address().port, close: () => new Promise((resolve) => socket.close(() => resolve())) };
}

/** Connects to host:port and reads until the server closes; rejects with the socket's error (e.g. ECONNREFUSED). */
export function tcpRead(host: string, port: number, localAddress?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const s = net.connect({ host, port, ...(localAddress ? { localAddress } : {}) });
    s.on('data', (b: Buffer) => chunks.push(b));
    s.on('end', () => resolve(Buffer.concat(chunks).toString()));
    s.on('error', reject);
  });
}

/** Sends one datagram to host:port from a fresh socket and resolves with the first reply. */
export function udpAsk(host: string, port: number, message: string, timeoutMs = 2000): Promise<string> {
  const socket = dgram.createSocket('udp4');
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no UDP reply from ${host}:${port} within ${timeoutMs} ms`)), timeoutMs);
    socket.on('message', (reply) => {
      clearTimeout(timer);
      resolve(reply.toString());
    });
    socket.send(message, port, host);
  }).finally(() => socket.close());
}
