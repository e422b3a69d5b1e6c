/**
 * The channel protocol of exec and attach over WebSocket (`v4.channel.k8s.io`,
 * `v5.channel.k8s.io`): every binary message starts with a channel byte — 0 stdin, 1 stdout,
 * 2 stderr, 3 error (a Status JSON sent once, at the end), 4 resize (`{"Width":w,"Height":h}`)
 * — and v5 adds 255, "close": `[255, channel]` half-closes a stream (kubectl ends stdin so).
 */
export const CHANNEL_STDIN = 0;
export const CHANNEL_STDOUT = 1;
export const CHANNEL_STDERR = 2;
export const CHANNEL_ERROR = 3;
export const CHANNEL_RESIZE = 4;
/** v5 only: the payload's first byte names the channel the peer closes. */
export const CHANNEL_CLOSE = 255;

export const PROTOCOL_V5 = 'v5.channel.k8s.io';
export const PROTOCOL_V4 = 'v4.channel.k8s.io';
/** The exec/attach subprotocols served, most preferred first. */
export const CHANNEL_PROTOCOLS: readonly string[] = [PROTOCOL_V5, PROTOCOL_V4];

/** The WebSocket subprotocol of port-forward: SPDY/3.1 bytes carried in binary messages. */
export const PORT_FORWARD_WEBSOCKET_PROTOCOL = 'SPDY/3.1+portforward.k8s.io';
/** The SPDY stream protocol of port-forward (X-Stream-Protocol-Version). */
export const PORT_FORWARD_PROTOCOL = 'portforward.k8s.io';

/** The Status an error channel carries (kubelet sends it without kind/apiVersion). */
export interface ExitStatus {
  metadata: Record<string, never>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  details?: { causes?: { reason?: string; message?: string }[] };
}

/** A message for `channel`. */
export function encodeChannelMessage(channel: number, data: Buffer | string = Buffer.alloc(0)): Buffer {
  const body = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  return Buffer.concat([Buffer.from([channel]), body]);
}

/** Splits a message into its channel and payload; null for an empty message (no channel byte). */
export function decodeChannelMessage(message: Buffer): { channel: number; data: Buffer } | null {
  if (message.length === 0) return null;
  return { channel: message[0]!, data: message.subarray(1) };
}

/** The terminal size a resize message carries; null when the JSON is not one. */
export function parseResize(data: Buffer): { width: number; height: number } | null {
  try {
    const v = JSON.parse(data.toString('utf8')) as { Width?: unknown; Height?: unknown };
    if (typeof v.Width !== 'number' || typeof v.Height !== 'number' || v.Width < 0 || v.Height < 0) return null;
    return { width: v.Width, height: v.Height };
  } catch {
    return null;
  }
}

/**
 * The Status the error channel carries when a command ends: Success for exit code 0, else
 * Failure with reason NonZeroExitCode and the code in details.causes (kubectl exits with it).
 */
export function exitStatus(exitCode: number, command: readonly string[]): ExitStatus {
  if (exitCode === 0) return { metadata: {}, status: 'Success' };
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: error executing command [${command.join(' ')}], exit code ${exitCode}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(exitCode) }] },
  };
}

/**
 * The exit code an error-channel Status stands for: 0 for Success, the ExitCode cause for
 * NonZeroExitCode; throws an Error with the Status message for any other failure.
 */
export function exitCodeOfStatus(status: Partial<ExitStatus>): number {
  if (status.status === 'Success') return 0;
  if (status.reason === 'NonZeroExitCode') {
    const cause = status.details?.causes?.find((c) => c.reason === 'ExitCode');
    const code = Number(cause?.message);
    if (Number.isInteger(code)) return code;
  }
  throw new Error(status.message || 'the command failed');
}
