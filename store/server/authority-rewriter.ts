import { huffmanDecode } from './hpack-huffman';

/**
 * Makes requests whose HTTP/2 `:authority` is a URL acceptable to Node's HTTP/2 server.
 *
 * Why: etcdctl 3.4 dials some calls (endpoint status/hashkv/defrag, move-leader, snapshot) with
 * the endpoint exactly as given, and grpc-go then sends it as the `:authority` pseudo-header:
 * `http://127.0.0.1:2379`. A URL is not an authority (RFC 3986 3.2 has no "/"), and nghttp2,
 * under Node's HTTP/2 server, resets such a stream with PROTOCOL_ERROR before gRPC sees it; Go's
 * server (etcd) accepts it. This module rewrites the client→server byte stream of one
 * connection, before nghttp2 reads it: a literal `:authority` holding a URL keeps only the
 * URL's host:port. Nothing else changes; the server ignores `:authority` anyway.
 *
 * The HPACK dynamic table stays consistent: the rewritten value is strictly shorter, so the
 * server's copy of that table entry is smaller than the client's. The server therefore evicts
 * no earlier than the client, and since indices count from the newest entry, every index the
 * client sends still names the same field.
 *
 * Also: the server side of the connection sent one extra empty SETTINGS frame before nghttp2
 * took over (see client-listener.ts); the client's first SETTINGS acknowledgement answers that
 * frame, so it is removed here, or nghttp2 would take it for the acknowledgement of its own.
 */

/** The client connection preface (RFC 9113 3.4). */
export const CLIENT_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
/** An empty SETTINGS frame (all defaults), from the server. */
export const EMPTY_SETTINGS_FRAME = Buffer.from([0, 0, 0, 0x4, 0, 0, 0, 0, 0]);
/** Frame header size in bytes (RFC 9113 4.1). */
const FRAME_HEADER_BYTES = 9;
/**
 * SETTINGS_MAX_FRAME_SIZE's initial value, which Node's server (under grpc-js) keeps: nghttp2
 * refuses a longer frame, so the rewriter passes one on unread rather than buffering it.
 */
const MAX_FRAME_PAYLOAD_BYTES = 16_384;
/** Longest header block the rewriter collects across CONTINUATION frames (Node's server allows 64 KiB of headers). */
const MAX_HEADER_BLOCK_BYTES = 256 * 1024;

const FRAME_HEADERS = 0x1;
const FRAME_SETTINGS = 0x4;
const FRAME_CONTINUATION = 0x9;
const FLAG_ACK = 0x1;
const FLAG_END_HEADERS = 0x4;
const FLAG_PADDED = 0x8;
const FLAG_PRIORITY = 0x20;
/** HEADERS' stream dependency and weight, when FLAG_PRIORITY is set. */
const PRIORITY_BYTES = 5;
/** `:authority` in HPACK's static table (RFC 7541 Appendix A). */
const STATIC_AUTHORITY_INDEX = 1;
/** A URL's scheme and "//" (RFC 3986 3.1). */
const URL_SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;

/** A header block that ended early or holds an impossible integer. */
class TruncatedBlock extends Error {}

/** Reads an HPACK integer with an N-bit prefix (RFC 7541 5.1) at `at`; returns it and the next offset. */
function readInteger(block: Buffer, at: number, prefixBits: number): [number, number] {
  if (at >= block.length) throw new TruncatedBlock();
  const mask = 2 ** prefixBits - 1;
  let value = block[at] & mask;
  let next = at + 1;
  if (value < mask) return [value, next];
  for (let factor = 1; ; factor *= 128) {
    if (next >= block.length || factor > 2 ** 28) throw new TruncatedBlock();
    const b = block[next++];
    value += (b & 0x7f) * factor;
    if ((b & 0x80) === 0) return [value, next];
  }
}

/** Encodes an HPACK integer with an N-bit prefix whose other bits are `flags`. */
function writeInteger(value: number, prefixBits: number, flags: number): Buffer {
  const mask = 2 ** prefixBits - 1;
  if (value < mask) return Buffer.from([flags | value]);
  const bytes = [flags | mask];
  let rest = value - mask;
  while (rest >= 128) {
    bytes.push((rest % 128) | 0x80);
    rest = Math.floor(rest / 128);
  }
  bytes.push(rest);
  return Buffer.from(bytes);
}

/** Reads an HPACK string literal (RFC 7541 5.2) at `at`; returns its decoded bytes and the next offset. */
function readString(block: Buffer, at: number): [Buffer, number] {
  if (at >= block.length) throw new TruncatedBlock();
  const huffman = (block[at] & 0x80) !== 0;
  const [length, start] = readInteger(block, at, 7);
  const end = start + length;
  if (end > block.length) throw new TruncatedBlock();
  const raw = block.subarray(start, end);
  return [huffman ? huffmanDecode(raw) : raw, end];
}

/**
 * The header block with every literal `:authority` that holds a URL replaced by the URL's
 * host:port (sent as a plain, non-Huffman string), or undefined when nothing had to change or
 * the block is malformed (then nghttp2 judges the original).
 */
export function rewriteAuthority(block: Buffer): Buffer | undefined {
  const parts: Buffer[] = [];
  let copiedUpTo = 0;
  let at = 0;
  try {
    while (at < block.length) {
      const first = block[at];
      if (first & 0x80) {
        [, at] = readInteger(block, at, 7); // indexed field
        continue;
      }
      if ((first & 0xe0) === 0x20) {
        [, at] = readInteger(block, at, 5); // dynamic table size update
        continue;
      }
      // A literal: with incremental indexing (01), or without / never indexed (0000 / 0001).
      const prefixBits = (first & 0xc0) === 0x40 ? 6 : 4;
      let [nameIndex, valueAt] = readInteger(block, at, prefixBits);
      let name: Buffer | undefined;
      if (nameIndex === 0) [name, valueAt] = readString(block, valueAt);
      const [value, next] = readString(block, valueAt);
      const isAuthority = nameIndex === STATIC_AUTHORITY_INDEX || name?.toString('latin1') === ':authority';
      const url = isAuthority ? URL_SCHEME.exec(value.toString('latin1')) : null;
      if (url) {
        const hostPort = value.subarray(url[0].length).toString('latin1').split('/')[0];
        parts.push(block.subarray(copiedUpTo, valueAt), writeInteger(hostPort.length, 7, 0), Buffer.from(hostPort, 'latin1'));
        copiedUpTo = next;
      }
      at = next;
    }
  } catch {
    return undefined; // malformed (truncated, bad Huffman): let nghttp2 refuse the original
  }
  if (parts.length === 0) return undefined;
  parts.push(block.subarray(copiedUpTo));
  return Buffer.concat(parts);
}

function frameHeader(length: number, type: number, flags: number, streamId: number): Buffer {
  const h = Buffer.alloc(FRAME_HEADER_BYTES);
  h.writeUIntBE(length, 0, 3);
  h[3] = type;
  h[4] = flags;
  h.writeUInt32BE(streamId, 5);
  return h;
}

/** A HEADERS frame (and CONTINUATIONs if needed) carrying `block`, without padding. */
function headersFrames(streamId: number, flags: number, priority: Buffer, block: Buffer): Buffer[] {
  const frames: Buffer[] = [];
  const firstRoom = MAX_FRAME_PAYLOAD_BYTES - priority.length;
  let rest = block.subarray(Math.min(firstRoom, block.length));
  const firstFlags = (flags & ~(FLAG_PADDED | FLAG_END_HEADERS)) | (rest.length === 0 ? FLAG_END_HEADERS : 0);
  const first = block.subarray(0, Math.min(firstRoom, block.length));
  frames.push(frameHeader(priority.length + first.length, FRAME_HEADERS, firstFlags, streamId), priority, first);
  while (rest.length > 0) {
    const part = rest.subarray(0, MAX_FRAME_PAYLOAD_BYTES);
    rest = rest.subarray(part.length);
    frames.push(frameHeader(part.length, FRAME_CONTINUATION, rest.length === 0 ? FLAG_END_HEADERS : 0, streamId), part);
  }
  return frames;
}

/** A HEADERS frame and its CONTINUATIONs, collected until END_HEADERS. */
interface PendingHeaders {
  readonly frames: Buffer[];
  readonly blockParts: Buffer[];
  readonly streamId: number;
  readonly flags: number;
  readonly priority: Buffer;
}

/**
 * The client→server byte stream of one HTTP/2 connection, rewritten as described at the top of
 * this file. Feed it bytes in order with push(); it returns the bytes to hand to the server.
 * Bytes that are no HTTP/2 (a bad preface, an oversized frame) pass through unchanged from then
 * on, for nghttp2 to refuse; so at most one frame per connection is ever buffered here (and
 * one header block of at most MAX_HEADER_BLOCK_BYTES).
 */
export class AuthorityRewriter {
  private pending: Buffer = Buffer.alloc(0);
  private prefaceSeen = false;
  private passThrough = false;
  private headers: PendingHeaders | undefined;
  /** The client acknowledged the extra SETTINGS frame (and that acknowledgement was dropped). */
  ackDropped = false;
  /** A complete header block has been read. */
  headersSeen = false;
  /** How many `:authority` fields were rewritten so far. */
  rewrites = 0;

  /** The input is no HTTP/2 this class understands; everything passes unchanged. */
  get bypassed(): boolean {
    return this.passThrough;
  }

  /** Takes the next bytes from the client; returns the bytes for the server (maybe none yet). */
  push(chunk: Buffer): Buffer {
    if (this.passThrough) return chunk;
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const out: Buffer[] = [];
    if (!this.prefaceSeen) {
      const n = Math.min(this.pending.length, CLIENT_PREFACE.length);
      if (!this.pending.subarray(0, n).equals(CLIENT_PREFACE.subarray(0, n))) return this.bypass();
      if (n < CLIENT_PREFACE.length) return Buffer.alloc(0);
      this.prefaceSeen = true;
      out.push(this.pending.subarray(0, n));
      this.pending = this.pending.subarray(n);
    }
    while (this.pending.length >= FRAME_HEADER_BYTES) {
      const length = this.pending.readUIntBE(0, 3);
      if (length > MAX_FRAME_PAYLOAD_BYTES) return Buffer.concat([...out, this.bypass()]);
      if (this.pending.length < FRAME_HEADER_BYTES + length) break;
      const frame = this.pending.subarray(0, FRAME_HEADER_BYTES + length);
      this.pending = this.pending.subarray(frame.length);
      this.onFrame(frame, out);
    }
    return out.length === 1 ? out[0] : Buffer.concat(out);
  }

  /**
   * Bytes taken but not yet returned (an incomplete frame or header block), for a caller that
   * stops using the rewriter and hands the connection over as it is.
   */
  unreturned(): Buffer {
    return Buffer.concat([...(this.headers?.frames ?? []), this.pending]);
  }

  private bypass(): Buffer {
    this.passThrough = true;
    const rest = this.unreturned();
    this.pending = Buffer.alloc(0);
    this.headers = undefined;
    return rest;
  }

  private onFrame(frame: Buffer, out: Buffer[]): void {
    const type = frame[3];
    const flags = frame[4];
    const streamId = frame.readUInt32BE(5) & 0x7fffffff;
    const payload = frame.subarray(FRAME_HEADER_BYTES);
    if (this.headers) {
      if (type === FRAME_CONTINUATION && streamId === this.headers.streamId && this.headers.frames.length * MAX_FRAME_PAYLOAD_BYTES < MAX_HEADER_BLOCK_BYTES) {
        this.headers.frames.push(frame);
        this.headers.blockParts.push(payload);
        if (flags & FLAG_END_HEADERS) this.finishHeaders(out);
        return;
      }
      // A protocol error by the client: pass everything on for nghttp2 to report.
      out.push(...this.headers.frames);
      this.headers = undefined;
    }
    if (type === FRAME_SETTINGS && flags & FLAG_ACK && !this.ackDropped) {
      this.ackDropped = true;
      return;
    }
    if (type !== FRAME_HEADERS) {
      out.push(frame);
      return;
    }
    let at = 0;
    let padding = 0;
    if (flags & FLAG_PADDED) {
      padding = payload[0] ?? 0;
      at = 1;
    }
    const priority = flags & FLAG_PRIORITY ? payload.subarray(at, at + PRIORITY_BYTES) : Buffer.alloc(0);
    at += priority.length;
    if (at + padding > payload.length) {
      out.push(frame); // malformed: nghttp2 reports it
      return;
    }
    this.headers = { frames: [frame], blockParts: [payload.subarray(at, payload.length - padding)], streamId, flags, priority };
    if (flags & FLAG_END_HEADERS) this.finishHeaders(out);
  }

  private finishHeaders(out: Buffer[]): void {
    const h = this.headers;
    if (!h) return;
    this.headers = undefined;
    this.headersSeen = true;
    const rewritten = rewriteAuthority(h.blockParts.length === 1 ? h.blockParts[0] : Buffer.concat(h.blockParts));
    if (rewritten === undefined) {
      out.push(...h.frames);
      return;
    }
    this.rewrites++;
    out.push(...headersFrames(h.streamId, h.flags, h.priority, rewritten));
  }
}
