import type { Duplex } from 'node:stream';
import type { StatusObject } from '../api/status';

/**
 * Answers an upgrade request that will not be upgraded with a plain HTTP response carrying
 * `status` as JSON (kubectl prints its message), then ends the connection. The socket is the
 * raw one of Node's 'upgrade' event, so the response is written by hand.
 */
export function refuseUpgradeWithStatus(socket: Duplex, status: StatusObject): void {
  if (socket.destroyed) return;
  const body = JSON.stringify(status);
  socket.end(
    `HTTP/1.1 ${status.code} ${status.reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
