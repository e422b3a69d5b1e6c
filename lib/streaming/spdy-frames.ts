/**
 * SPDY/3.1 framing, as kubectl's port-forward (and the SPDY fallback of exec) speaks it: the
 * frame layout, the header block format, and header compression with one zlib context per
 * direction primed with the SPDY/3 dictionary. Pure encoding and decoding; sessions and streams
 * live in spdy-session.ts.
 *
 * Layout (all big-endian):
 * - control frame: 1 bit C=1, 15 bits version (3), 16 bits type, 8 bits flags, 24 bits length;
 * - data frame: 1 bit C=0, 31 bits stream id, 8 bits flags, 24 bits length;
 * - header block (before compression): 32-bit count, then per header a 32-bit length and name,
 *   a 32-bit length and value (several values of one name joined by NUL).
 */
import * as zlib from 'node:zlib';
import { SPDY3_DICTIONARY } from './spdy-dictionary';

/** The only SPDY version spoken. */
export const SPDY_VERSION = 3;
/** Bytes of a frame header (control and data alike). */
export const FRAME_HEADER_BYTES = 8;
/** Largest frame payload the 24-bit length field can carry. */
export const MAX_FRAME_PAYLOAD_BYTES = 0xffffff;

/** Frame flags. */
export const FLAG_FIN = 0x01;
export const FLAG_UNIDIRECTIONAL = 0x02;

/** Control frame types. */
export const SYN_STREAM = 1;
export const SYN_REPLY = 2;
export const RST_STREAM = 3;
export const SETTINGS = 4;
export const PING = 6;
export const GOAWAY = 7;
export const HEADERS = 8;
export const WINDOW_UPDATE = 9;

/** RST_STREAM status codes used here. */
export const RST_PROTOCOL_ERROR = 1;
export const RST_INVALID_STREAM = 2;
export const RST_REFUSED_STREAM = 3;
export const RST_CANCEL = 5;
export const RST_INTERNAL_ERROR = 6;

/** Header names (lower case) to their values. */
export type SpdyHeaders = Record<string, string[]>;

/** A frame as read off the wire, its header block (if any) still compressed. */
export type RawFrame =
  | { readonly control: false; readonly streamId: number; readonly flags: number; readonly data: Buffer }
  | { readonly control: true; readonly version: number; readonly type: number; readonly flags: number; readonly payload: Buffer };

/** A decoded frame. */
export type SpdyFrame =
  | { type: 'data'; streamId: number; flags: number; data: Buffer }
  | { type: 'syn_stream'; streamId: number; associatedStreamId: number; priority: number; flags: number; headers: SpdyHeaders }
  | { type: 'syn_reply'; streamId: number; flags: number; headers: SpdyHeaders }
  | { type: 'headers'; streamId: number; flags: number; headers: SpdyHeaders }
  | { type: 'rst_stream'; streamId: number; status: number }
  | { type: 'settings'; flags: number; entries: { id: number; flags: number; value: number }[] }
  | { type: 'ping'; id: number }
  | { type: 'goaway'; lastGoodStreamId: number; status: number }
  | { type: 'window_update'; streamId: number; delta: number }
  | { type: 'unknown'; controlType: number; flags: number };

/** A frame the peer sent that breaks the protocol; the session ends with GOAWAY. */
export class SpdyProtocolError extends Error {
  override readonly name = 'SpdyProtocolError';
}

const STREAM_ID_MASK = 0x7fffffff;

/**
 * Cuts a byte stream into raw frames. Feed it chunks as they come; it returns the whole frames
 * they complete and keeps the rest. A frame longer than `maxPayloadBytes` is a protocol error
 * (a peer cannot make us buffer without bound).
 */
export class FrameSplitter {
  private pending: Buffer = Buffer.alloc(0);

  constructor(private readonly maxPayloadBytes = MAX_FRAME_PAYLOAD_BYTES) {}

  push(chunk: Buffer): RawFrame[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const frames: RawFrame[] = [];
    let at = 0;
    while (this.pending.length - at >= FRAME_HEADER_BYTES) {
      const word = this.pending.readUInt32BE(at);
      const flags = this.pending[at + 4]!;
      const length = this.pending.readUIntBE(at + 5, 3);
      if (length > this.maxPayloadBytes) throw new SpdyProtocolError(`frame of ${length} bytes is over the limit of ${this.maxPayloadBytes}`);
      if (this.pending.length - at < FRAME_HEADER_BYTES + length) break;
      const body = this.pending.subarray(at + FRAME_HEADER_BYTES, at + FRAME_HEADER_BYTES + length);
      if (word & 0x80000000) {
        frames.push({ control: true, version: (word >>> 16) & 0x7fff, type: word & 0xffff, flags, payload: Buffer.from(body) });
      } else {
        frames.push({ control: false, streamId: word & STREAM_ID_MASK, flags, data: Buffer.from(body) });
      }
      at += FRAME_HEADER_BYTES + length;
    }
    this.pending = this.pending.subarray(at);
    return frames;
  }
}

/** Encodes a header block (uncompressed). Names are sent lower case, as SPDY/3 requires. */
export function encodeHeaderBlock(headers: SpdyHeaders): Buffer {
  const entries = Object.entries(headers);
  const parts: Buffer[] = [u32(entries.length)];
  for (const [name, values] of entries) {
    const n = Buffer.from(name.toLowerCase(), 'utf8');
    const v = Buffer.from(values.join('\0'), 'utf8');
    parts.push(u32(n.length), n, u32(v.length), v);
  }
  return Buffer.concat(parts);
}

/** Decodes an uncompressed header block; throws SpdyProtocolError on a malformed one. */
export function decodeHeaderBlock(block: Buffer): SpdyHeaders {
  const headers: SpdyHeaders = {};
  let at = 0;
  const take = (): Buffer => {
    if (block.length - at < 4) throw new SpdyProtocolError('truncated header block');
    const len = block.readUInt32BE(at);
    at += 4;
    if (block.length - at < len) throw new SpdyProtocolError('truncated header block');
    const out = block.subarray(at, at + len);
    at += len;
    return out;
  };
  if (block.length < 4) throw new SpdyProtocolError('truncated header block');
  const count = block.readUInt32BE(0);
  at = 4;
  for (let i = 0; i < count; i++) {
    const name = take().toString('utf8').toLowerCase();
    const values = take().toString('utf8').split('\0');
    headers[name] = [...(headers[name] ?? []), ...values];
  }
  return headers;
}

/**
 * One direction's zlib context for header blocks: every block is compressed (or inflated) in
 * the same stream, each ended with a sync flush, so blocks must pass through in frame order.
 * Calls are queued, so callers may fire them without awaiting the previous one.
 */
class HeaderZlib {
  private queue: Promise<unknown> = Promise.resolve();
  constructor(private readonly stream: zlib.Deflate | zlib.Inflate) {
    stream.on('error', () => undefined); // surfaced through the pending call instead
  }

  run(input: Buffer): Promise<Buffer> {
    const next = this.queue.then(
      () =>
        new Promise<Buffer>((resolve, reject) => {
          const onError = (err: Error) => reject(new SpdyProtocolError(`header block compression failed: ${err.message}`));
          this.stream.once('error', onError);
          this.stream.write(input);
          this.stream.flush(zlib.constants.Z_SYNC_FLUSH, () => {
            this.stream.off('error', onError);
            const out: Buffer[] = [];
            for (let chunk: Buffer | null; (chunk = this.stream.read() as Buffer | null) !== null; ) out.push(chunk);
            resolve(Buffer.concat(out));
          });
        }),
    );
    this.queue = next.catch(() => undefined);
    return next;
  }

  close(): void {
    this.stream.close();
  }
}

/**
 * Turns raw frames into SpdyFrames and SpdyFrames into bytes, with the session's two header
 * compression contexts. One codec per session; frames must be decoded and encoded in wire order
 * (the calls queue themselves, so firing them in order is enough).
 */
export class SpdyCodec {
  private readonly deflate = new HeaderZlib(zlib.createDeflate({ dictionary: SPDY3_DICTIONARY }));
  private readonly inflate = new HeaderZlib(zlib.createInflate({ dictionary: SPDY3_DICTIONARY }));

  async decode(raw: RawFrame): Promise<SpdyFrame> {
    if (!raw.control) return { type: 'data', streamId: raw.streamId, flags: raw.flags, data: raw.data };
    if (raw.version !== SPDY_VERSION) throw new SpdyProtocolError(`unsupported SPDY version ${raw.version}`);
    const p = raw.payload;
    const need = (n: number) => {
      if (p.length < n) throw new SpdyProtocolError(`control frame type ${raw.type} of ${p.length} bytes is too short`);
    };
    switch (raw.type) {
      case SYN_STREAM: {
        need(10);
        const headers = decodeHeaderBlock(await this.inflate.run(p.subarray(10)));
        return { type: 'syn_stream', streamId: p.readUInt32BE(0) & STREAM_ID_MASK, associatedStreamId: p.readUInt32BE(4) & STREAM_ID_MASK, priority: p[8]! >>> 5, flags: raw.flags, headers };
      }
      case SYN_REPLY:
      case HEADERS: {
        need(4);
        const headers = decodeHeaderBlock(await this.inflate.run(p.subarray(4)));
        return { type: raw.type === SYN_REPLY ? 'syn_reply' : 'headers', streamId: p.readUInt32BE(0) & STREAM_ID_MASK, flags: raw.flags, headers };
      }
      case RST_STREAM:
        need(8);
        return { type: 'rst_stream', streamId: p.readUInt32BE(0) & STREAM_ID_MASK, status: p.readUInt32BE(4) };
      case SETTINGS: {
        need(4);
        const count = p.readUInt32BE(0);
        need(4 + count * 8);
        const entries = [];
        for (let i = 0; i < count; i++) {
          const at = 4 + i * 8;
          entries.push({ flags: p[at]!, id: p.readUIntBE(at + 1, 3), value: p.readUInt32BE(at + 4) });
        }
        return { type: 'settings', flags: raw.flags, entries };
      }
      case PING:
        need(4);
        return { type: 'ping', id: p.readUInt32BE(0) };
      case GOAWAY:
        need(4);
        return { type: 'goaway', lastGoodStreamId: p.readUInt32BE(0) & STREAM_ID_MASK, status: p.length >= 8 ? p.readUInt32BE(4) : 0 };
      case WINDOW_UPDATE:
        need(8);
        return { type: 'window_update', streamId: p.readUInt32BE(0) & STREAM_ID_MASK, delta: p.readUInt32BE(4) & STREAM_ID_MASK };
      default:
        return { type: 'unknown', controlType: raw.type, flags: raw.flags };
    }
  }

  async encode(frame: SpdyFrame): Promise<Buffer> {
    switch (frame.type) {
      case 'data':
        return dataFrame(frame.streamId, frame.flags, frame.data);
      case 'syn_stream': {
        const block = await this.deflate.run(encodeHeaderBlock(frame.headers));
        const head = Buffer.alloc(10);
        head.writeUInt32BE(frame.streamId & STREAM_ID_MASK, 0);
        head.writeUInt32BE(frame.associatedStreamId & STREAM_ID_MASK, 4);
        head[8] = (frame.priority & 0x7) << 5;
        return controlFrame(SYN_STREAM, frame.flags, Buffer.concat([head, block]));
      }
      case 'syn_reply':
      case 'headers': {
        const block = await this.deflate.run(encodeHeaderBlock(frame.headers));
        return controlFrame(frame.type === 'syn_reply' ? SYN_REPLY : HEADERS, frame.flags, Buffer.concat([u32(frame.streamId & STREAM_ID_MASK), block]));
      }
      case 'rst_stream':
        return controlFrame(RST_STREAM, 0, Buffer.concat([u32(frame.streamId & STREAM_ID_MASK), u32(frame.status)]));
      case 'settings': {
        const body = Buffer.alloc(4 + frame.entries.length * 8);
        body.writeUInt32BE(frame.entries.length, 0);
        frame.entries.forEach((e, i) => {
          body[4 + i * 8] = e.flags;
          body.writeUIntBE(e.id, 5 + i * 8, 3);
          body.writeUInt32BE(e.value, 8 + i * 8);
        });
        return controlFrame(SETTINGS, frame.flags, body);
      }
      case 'ping':
        return controlFrame(PING, 0, u32(frame.id));
      case 'goaway':
        return controlFrame(GOAWAY, 0, Buffer.concat([u32(frame.lastGoodStreamId & STREAM_ID_MASK), u32(frame.status)]));
      case 'window_update':
        return controlFrame(WINDOW_UPDATE, 0, Buffer.concat([u32(frame.streamId & STREAM_ID_MASK), u32(frame.delta & STREAM_ID_MASK)]));
      case 'unknown':
        throw new Error(`cannot encode a control frame of unknown type ${frame.controlType}`);
    }
  }

  close(): void {
    this.deflate.close();
    this.inflate.close();
  }
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

function controlFrame(type: number, flags: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(FRAME_HEADER_BYTES);
  head.writeUInt32BE((0x80000000 | (SPDY_VERSION << 16) | type) >>> 0, 0);
  head[4] = flags;
  head.writeUIntBE(payload.length, 5, 3);
  return Buffer.concat([head, payload]);
}

function dataFrame(streamId: number, flags: number, data: Buffer): Buffer {
  if (data.length > MAX_FRAME_PAYLOAD_BYTES) throw new Error(`data frame of ${data.length} bytes is over the SPDY limit`);
  const head = Buffer.alloc(FRAME_HEADER_BYTES);
  head.writeUInt32BE(streamId & STREAM_ID_MASK, 0);
  head[4] = flags;
  head.writeUIntBE(data.length, 5, 3);
  return Buffer.concat([head, data]);
}
