/**
 * A SPDY/3.1 session over any byte stream (a TLS socket after an `Upgrade: SPDY/3.1`, or a
 * WebSocket carrying SPDY as kubectl 1.32's port-forward does): streams as Node Duplexes, PING
 * answered, GOAWAY honoured. Frames go out in the order they are queued (a SYN_REPLY is never
 * overtaken by the DATA after it, although its headers compress asynchronously).
 *
 * Flow control is not enforced (as in the Go library kubectl uses): WINDOW_UPDATE and SETTINGS
 * are read and ignored. A stream is done once both halves are closed (FIN each way) or reset.
 */
import { EventEmitter } from 'node:events';
import { Duplex } from 'node:stream';
import { FLAG_FIN, FrameSplitter, RST_CANCEL, RST_INVALID_STREAM, RST_PROTOCOL_ERROR, SpdyCodec, SpdyProtocolError, type SpdyFrame, type SpdyHeaders } from './spdy-frames';

/** Largest DATA frame payload sent; bigger writes are cut into frames of this size. */
export const MAX_DATA_FRAME_BYTES = 32 * 1024;

/** One SPDY stream: what the peer sends on it is readable; what is written goes out as DATA. */
export class SpdyStream extends Duplex {
  private remoteClosed = false;
  private localClosed = false;

  constructor(
    private readonly session: SpdySession,
    /** The stream id (odd: opened by the client, even: by the server). */
    readonly id: number,
    /** The headers of its SYN_STREAM. */
    readonly headers: SpdyHeaders,
  ) {
    super({ allowHalfOpen: true });
  }

  /** The first value of a header of the SYN_STREAM (names are lower case). */
  header(name: string): string | undefined {
    return this.headers[name.toLowerCase()]?.[0];
  }

  override _read(): void {
    // Data is pushed as frames arrive (no flow control window to open).
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    const sends: Promise<void>[] = [];
    for (let at = 0; at < chunk.length; at += MAX_DATA_FRAME_BYTES) {
      sends.push(this.session.send({ type: 'data', streamId: this.id, flags: 0, data: chunk.subarray(at, at + MAX_DATA_FRAME_BYTES) }));
    }
    Promise.all(sends).then(() => cb(), cb);
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.localClosed = true;
    this.session.send({ type: 'data', streamId: this.id, flags: FLAG_FIN, data: Buffer.alloc(0) }).then(() => {
      this.maybeDone();
      cb();
    }, cb);
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    if (!this.localClosed || !this.remoteClosed) {
      this.localClosed = this.remoteClosed = true;
      void this.session.send({ type: 'rst_stream', streamId: this.id, status: RST_CANCEL }).catch(() => undefined);
    }
    this.session.forget(this.id);
    cb(err);
  }

  /** @internal DATA from the peer. */
  receive(data: Buffer, fin: boolean): void {
    if (this.remoteClosed) return;
    if (data.length > 0) this.push(data);
    if (fin) {
      this.remoteClosed = true;
      this.push(null);
      this.maybeDone();
    }
  }

  /** @internal RST_STREAM from the peer (or the session ending). */
  reset(): void {
    this.localClosed = this.remoteClosed = true;
    this.destroy();
  }

  private maybeDone(): void {
    if (this.localClosed && this.remoteClosed) this.session.forget(this.id);
  }
}

/** Events: 'stream' (SpdyStream, opened by the peer), 'close' (the session ended), 'error'. */
export class SpdySession extends EventEmitter {
  private readonly codec = new SpdyCodec();
  private readonly splitter = new FrameSplitter();
  private readonly streams = new Map<number, SpdyStream>();
  private sendChain: Promise<void> = Promise.resolve();
  private receiveChain: Promise<void> = Promise.resolve();
  private nextStreamId: number;
  private closed = false;

  /**
   * Runs SPDY over `transport`. `role` decides the parity of the ids of streams this side opens
   * (client: odd, server: even).
   */
  constructor(
    private readonly transport: Duplex,
    role: 'client' | 'server',
  ) {
    super();
    this.nextStreamId = role === 'client' ? 1 : 2;
    transport.on('data', (chunk: Buffer) => this.onBytes(chunk));
    transport.on('end', () => this.close());
    transport.on('close', () => this.close());
    transport.on('error', () => this.close());
  }

  /** Opens a stream with `headers` (the SYN_STREAM); the peer's SYN_REPLY is not awaited. */
  openStream(headers: SpdyHeaders): SpdyStream {
    const id = this.nextStreamId;
    this.nextStreamId += 2;
    const stream = new SpdyStream(this, id, headers);
    this.streams.set(id, stream);
    void this.send({ type: 'syn_stream', streamId: id, associatedStreamId: 0, priority: 0, flags: 0, headers }).catch(() => undefined);
    return stream;
  }

  /** Queues a frame; resolves once the transport took its bytes (or rejects once the session is gone). */
  send(frame: SpdyFrame): Promise<void> {
    const next = this.sendChain.then(async () => {
      if (this.closed) throw new Error('the SPDY session is closed');
      const bytes = await this.codec.encode(frame);
      if (!this.transport.write(bytes)) await waitDrain(this.transport);
    });
    this.sendChain = next.catch(() => undefined);
    return next;
  }

  /** Ends the session: every stream is reset, the transport ended. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of [...this.streams.values()]) s.reset();
    this.streams.clear();
    this.codec.close();
    this.transport.end();
    this.emit('close');
  }

  /** @internal A stream finished both ways or was reset. */
  forget(id: number): void {
    this.streams.delete(id);
  }

  private onBytes(chunk: Buffer): void {
    let raws;
    try {
      raws = this.splitter.push(chunk);
    } catch (err) {
      return this.fail(err as Error);
    }
    for (const raw of raws) {
      this.receiveChain = this.receiveChain
        .then(async () => {
          if (!this.closed) this.onFrame(await this.codec.decode(raw));
        })
        .catch((err: Error) => this.fail(err));
    }
  }

  private onFrame(frame: SpdyFrame): void {
    switch (frame.type) {
      case 'syn_stream': {
        if (this.streams.has(frame.streamId) || frame.streamId === 0) {
          void this.send({ type: 'rst_stream', streamId: frame.streamId, status: RST_PROTOCOL_ERROR }).catch(() => undefined);
          return;
        }
        const stream = new SpdyStream(this, frame.streamId, frame.headers);
        this.streams.set(frame.streamId, stream);
        void this.send({ type: 'syn_reply', streamId: frame.streamId, flags: 0, headers: {} }).catch(() => undefined);
        if (frame.flags & FLAG_FIN) stream.receive(Buffer.alloc(0), true);
        this.emit('stream', stream);
        return;
      }
      case 'data': {
        const stream = this.streams.get(frame.streamId);
        if (!stream) {
          void this.send({ type: 'rst_stream', streamId: frame.streamId, status: RST_INVALID_STREAM }).catch(() => undefined);
          return;
        }
        stream.receive(frame.data, (frame.flags & FLAG_FIN) !== 0);
        return;
      }
      case 'syn_reply':
      case 'headers':
        if (frame.flags & FLAG_FIN) this.streams.get(frame.streamId)?.receive(Buffer.alloc(0), true);
        return;
      case 'rst_stream':
        this.streams.get(frame.streamId)?.reset();
        return;
      case 'ping':
        void this.send(frame).catch(() => undefined);
        return;
      case 'goaway':
        this.close();
        return;
      case 'settings':
      case 'window_update':
      case 'unknown':
        return;
    }
  }

  private fail(err: Error): void {
    if (this.closed) return;
    if (err instanceof SpdyProtocolError) {
      void this.send({ type: 'goaway', lastGoodStreamId: 0, status: RST_PROTOCOL_ERROR }).catch(() => undefined);
    }
    this.emit('error', err);
    this.close();
  }
}

function waitDrain(stream: Duplex): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off('drain', done);
      stream.off('close', done);
      resolve();
    };
    stream.on('drain', done);
    stream.on('close', done);
  });
}
