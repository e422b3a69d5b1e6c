/**
 * Sends one watch to one client through a bounded send buffer: the one loop both front doors
 * (the HTTP watch stream and the gRPC Watch call) run between a ResourceWatch and their
 * transport.
 *
 * Memory per watch stream is bounded in bytes at both ends of the pump:
 * - Events wait in the watch cache's queue for this watcher, bounded in events and bytes; a
 *   watcher over its bounds is ended 'too-slow' and its queue dropped (see CacheWatcher).
 * - Encoded events handed to the transport and not yet flushed to the socket are at most
 *   `sendBufferBytes` plus one event: the pump reads no further event until the transport has
 *   flushed below the bound (a flush callback per event). So a client that does not read
 *   stalls its pump, its cache queue fills up, the cache cuts it off, and the pump then tears
 *   the stream down at once (socket destroyed, HTTP/2 stream reset), which frees the
 *   transport's buffers too; the client re-watches from the last resourceVersion it received.
 * Every other end (timeout, cache re-list, the server stopping, a failure) closes the stream
 * normally, and tears it down only when the client does not take the rest within
 * `endFlushTimeoutMs`.
 */
import type { KubeObject } from '../../../lib/api/object';
import type { WatchEndReason, WatchEvent } from '../registry/cache-watcher';
import type { ResourceWatch } from './resource-rest';

/**
 * Bytes of encoded events a watch stream may have handed to its transport without their being
 * flushed to the socket before the pump stops reading events (one event always goes, however
 * large). One TLS record's worth: the kernel's socket buffer (MBs) keeps a reading client's
 * connection busy, so more buys no throughput — but everything written at once passes
 * through the transport's own buffers (TLS keeps buffers as large as its largest write for
 * the connection's life), so it costs memory on every stalled stream.
 */
export const DEFAULT_SEND_BUFFER_BYTES = 16 * 1024;
/** How long a stream that ends normally may take to flush what it still holds before it is torn down. */
export const DEFAULT_END_FLUSH_TIMEOUT_MS = 5_000;

/** One front door's stream of one watch. */
export interface WatchSink<C> {
  /**
   * Hands one encoded event to the transport; `flushed` runs once it has left this process
   * (written to the socket), or not at all when the stream closes first.
   */
  write(chunk: C, flushed: () => void): void;
  /** Ends the stream normally, after what it holds has been flushed. */
  end(): void;
  /** Tears the stream down at once, dropping whatever the transport still holds. */
  abort(): void;
  /**
   * Resolves once the stream is closed: finished after end(), torn down, or left by the
   * client — at once when the client had left before the pump started.
   */
  readonly closed: Promise<void>;
}

/** An event in the form its transport carries, with its size in bytes. */
export interface EncodedEvent<C> {
  readonly chunk: C;
  readonly bytes: number;
}

/** An event encoded as one buffer, sized by its length. */
export function encodedBuffer(chunk: Buffer): EncodedEvent<Buffer> {
  return { chunk, bytes: chunk.byteLength };
}

/** How a pump encodes and bounds one watch stream. */
export interface WatchPumpOptions<C> {
  /** Encodes one event (may throw: the stream then ends with encodeError's event). */
  readonly encode: (event: WatchEvent<KubeObject>) => EncodedEvent<C>;
  /** The ERROR event a stream ends with when reading or encoding an event failed. */
  readonly encodeError: (err: unknown) => EncodedEvent<C>;
  /** The stream ends normally after this long, in milliseconds (absent: never). */
  readonly timeoutMs?: number;
  readonly sendBufferBytes?: number;
  readonly endFlushTimeoutMs?: number;
}

/**
 * How a pumped watch ended: the client left; its timeout passed; reading or encoding failed;
 * or the watch ended for a WatchEndReason ('too-slow': the client was cut off).
 */
export type WatchPumpOutcome = 'client-closed' | 'timeout' | 'failed' | WatchEndReason;

/** Pumps `watch` into `sink` until either ends (see the file comment); always stops the watch. */
export function pumpWatch<C>(watch: ResourceWatch<KubeObject>, sink: WatchSink<C>, options: WatchPumpOptions<C>): Promise<WatchPumpOutcome> {
  return new WatchPump(watch, sink, options).run();
}

/** What makes the pump stop before the watch ends by itself. */
type Interrupt = 'client-closed' | 'timeout' | 'too-slow';

class WatchPump<C> {
  private readonly sendBufferBytes: number;
  /** Bytes written to the sink whose flush has not been reported yet. */
  private unflushed = 0;
  private interrupt: Interrupt | undefined;
  private clientGone = false;
  private wake: (() => void) | undefined;

  constructor(
    private readonly watch: ResourceWatch<KubeObject>,
    private readonly sink: WatchSink<C>,
    private readonly options: WatchPumpOptions<C>,
  ) {
    this.sendBufferBytes = options.sendBufferBytes ?? DEFAULT_SEND_BUFFER_BYTES;
  }

  async run(): Promise<WatchPumpOutcome> {
    void this.sink.closed.then(() => {
      this.clientGone = true;
      this.stopWith('client-closed');
    });
    void this.watch.ended.then((reason) => {
      if (reason === 'too-slow') this.stopWith('too-slow');
    });
    const timeoutMs = this.options.timeoutMs;
    const timer = timeoutMs === undefined ? undefined : setTimeout(() => this.stopWith('timeout'), timeoutMs);
    let failure: { readonly err: unknown } | undefined;
    try {
      await this.pump();
    } catch (err) {
      failure = { err };
    } finally {
      clearTimeout(timer);
      this.watch.stop();
    }
    const outcome: WatchPumpOutcome = failure ? 'failed' : (this.interrupt ?? (await this.watch.ended));
    await this.close(outcome, failure?.err);
    return outcome;
  }

  /** Moves events from the watch to the sink until the watch ends or the pump is interrupted. */
  private async pump(): Promise<void> {
    for (;;) {
      while (this.unflushed >= this.sendBufferBytes && this.interrupt === undefined) {
        await new Promise<void>((resolve) => (this.wake = resolve));
      }
      if (this.interrupt !== undefined) return;
      const event = await this.watch.next();
      if (event === undefined || this.interrupt !== undefined) return;
      this.send(this.options.encode(event));
    }
  }

  private send(encoded: EncodedEvent<C>): void {
    this.unflushed += encoded.bytes;
    this.sink.write(encoded.chunk, () => {
      this.unflushed -= encoded.bytes;
      this.notify();
    });
  }

  private stopWith(interrupt: Interrupt): void {
    if (this.interrupt !== undefined) return;
    this.interrupt = interrupt;
    this.watch.stop(); // a pending next() returns at once
    this.notify();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  /** Ends the stream after the pump stopped: torn down when the client stalled, else normally. */
  private async close(outcome: WatchPumpOutcome, err: unknown): Promise<void> {
    if (this.clientGone) return;
    if (outcome === 'too-slow' && this.unflushed >= this.sendBufferBytes) {
      this.sink.abort();
      return;
    }
    if (outcome === 'failed') {
      try {
        this.send(this.options.encodeError(err));
      } catch {
        // nothing better to send: the stream just ends
      }
    }
    this.sink.end();
    let timer: NodeJS.Timeout | undefined;
    const flushed = await Promise.race([
      this.sink.closed.then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), this.options.endFlushTimeoutMs ?? DEFAULT_END_FLUSH_TIMEOUT_MS))),
    ]);
    clearTimeout(timer);
    if (!flushed) this.sink.abort();
  }
}
