import type { Event } from '../../gen/etcd/kv';
import type { WatchRequest, WatchResponse } from '../../gen/etcd/rpc';
import type { StoreError } from '../errors';
import { ClientClosedError, WatchCanceledError, WatchCompactedError } from './client-errors';
import type { ClientLogger } from './logger';
import { ReconnectingStream } from './reconnecting-stream';
import { WATCH } from './rpc-methods';
import { rangeEndFor, toBuffer, type Bytes } from './txn-builder';
import type { Transport } from './transport';

/** Options of a watch (see StoreClient.watch). */
export interface WatchOptions {
  /** Watch every key with the key as prefix. */
  readonly prefix?: boolean;
  /** Watch [key, rangeEnd). Exclusive with `prefix`. */
  readonly rangeEnd?: Bytes;
  /** First revision to deliver (absent or 0: changes after the watch is created). */
  readonly startRevision?: number;
  /** Include each event's previous key-value. */
  readonly prevKv?: boolean;
  /** Ask the server for periodic progress notifications; delivered as `onEvents([], rev)`. */
  readonly progressNotify?: boolean;
  /** Called once if the watch ends with an error (also the value `closed` resolves to). */
  readonly onError?: (error: StoreError) => void;
}

/**
 * Receives events in revision order, each exactly once, with the header revision of the
 * response that carried them. Events of one revision always arrive in one call.
 */
export type WatchListener = (events: Event[], revision: number) => void;

/** A running watch. */
export interface WatchHandle {
  /** Stops the watch; no listener call happens after cancel() returns. */
  cancel(): void;
  /**
   * Resolves when the watch ends: undefined after cancel() or client close, or the error that
   * ended it — WatchCompactedError (start/resume revision compacted; has `compactRevision`)
   * or WatchCanceledError (cancelled by the server for another reason).
   */
  readonly closed: Promise<StoreError | undefined>;
}

/** One watch and where it is in its life. */
interface Subscription {
  readonly key: Buffer;
  readonly rangeEnd: Buffer;
  readonly prevKv: boolean;
  readonly progressNotify: boolean;
  readonly listener: WatchListener;
  readonly onError: ((error: StoreError) => void) | undefined;
  readonly resolveClosed: (e: StoreError | undefined) => void;
  /** The next revision to deliver; 0 until known (a watch "from now" not yet created). */
  nextRevision: number;
  /** The server's watch ID on the current stream, once created. */
  watchId: number | undefined;
  done: boolean;
}

/**
 * All watches of one client, multiplexed on one Watch stream.
 *
 * Creates are sent one at a time, because etcd identifies a new watch only by the order of
 * its `created` response. When the stream fails (member killed, connection lost, "no leader")
 * every live watch is re-created on a fresh stream — on another endpoint if the old one is
 * down — from its next undelivered revision, and events older than that are dropped, so the
 * listener sees no gap and no duplicate.
 */
export class WatchStream {
  private readonly subs = new Set<Subscription>();
  private readonly byId = new Map<number, Subscription>();
  private queue: Subscription[] = [];
  private creating: Subscription | undefined;
  private readonly stream: ReconnectingStream<WatchRequest, WatchResponse>;

  constructor(
    private readonly transport: Transport,
    private readonly logger: ClientLogger,
    random: () => number,
  ) {
    this.stream = new ReconnectingStream('watch', WATCH, transport, logger, random, {
      wanted: () => this.subs.size > 0,
      opened: () => {
        this.queue = [...this.subs].filter((s) => s.watchId === undefined);
        this.pump();
      },
      received: (res) => this.onResponse(res),
      broken: () => this.forgetStream(),
    });
  }

  /** Starts watching `key` (see WatchOptions). */
  watch(key: Bytes, opts: WatchOptions, listener: WatchListener): WatchHandle {
    if (this.transport.isClosed) throw new ClientClosedError();
    let resolveClosed!: (e: StoreError | undefined) => void;
    const closed = new Promise<StoreError | undefined>((resolve) => (resolveClosed = resolve));
    const sub: Subscription = {
      key: toBuffer(key),
      rangeEnd: rangeEndFor(key, opts),
      prevKv: opts.prevKv ?? false,
      progressNotify: opts.progressNotify ?? false,
      listener,
      onError: opts.onError,
      resolveClosed,
      nextRevision: opts.startRevision ?? 0,
      watchId: undefined,
      done: false,
    };
    this.subs.add(sub);
    this.queue.push(sub);
    this.stream.ensure();
    this.pump();
    return { cancel: () => this.finish(sub, undefined), closed };
  }

  /** Ends every watch (their `closed` resolve to undefined) and the stream. */
  close(): void {
    for (const sub of [...this.subs]) this.finish(sub, undefined);
    this.dropStream();
  }

  /** The stream is gone: watch ids and an outstanding create meant something only on it. */
  private forgetStream(): void {
    this.creating = undefined;
    this.byId.clear();
    for (const sub of this.subs) sub.watchId = undefined;
  }

  /** Sends the next create request if none is outstanding. */
  private pump(): void {
    if (!this.stream.isOpen || this.creating !== undefined) return;
    let sub = this.queue.shift();
    while (sub !== undefined && sub.done) sub = this.queue.shift();
    if (sub === undefined) return;
    this.creating = sub;
    this.stream.write({
      createRequest: {
        key: sub.key,
        rangeEnd: sub.rangeEnd,
        startRevision: sub.nextRevision,
        progressNotify: sub.progressNotify,
        filters: [],
        prevKv: sub.prevKv,
        watchId: 0,
        fragment: false,
      },
    });
  }

  private onResponse(res: WatchResponse): void {
    const revision = res.header?.revision ?? 0;
    if (res.created) {
      const sub = this.creating;
      this.creating = undefined;
      if (sub === undefined) {
        this.logger.warn({ watchId: res.watchId }, 'unexpected watch created response');
      } else if (sub.done) {
        if (!res.canceled) this.sendCancel(res.watchId);
      } else if (res.canceled) {
        this.finish(sub, cancelError(res));
      } else {
        sub.watchId = res.watchId;
        this.byId.set(res.watchId, sub);
        if (sub.nextRevision === 0) sub.nextRevision = revision + 1;
      }
      this.pump();
      return;
    }
    const sub = this.byId.get(res.watchId);
    if (sub === undefined || sub.done) return;
    if (res.canceled || res.compactRevision > 0) {
      this.finish(sub, cancelError(res));
      return;
    }
    const fresh = res.events.filter((e) => (e.kv?.modRevision ?? 0) >= sub.nextRevision);
    if (fresh.length > 0) {
      sub.nextRevision = fresh[fresh.length - 1]!.kv!.modRevision + 1;
      this.deliver(sub, fresh, revision);
    } else if (res.events.length === 0) {
      // A progress notification: every change up to `revision` has been sent.
      if (revision + 1 > sub.nextRevision) sub.nextRevision = revision + 1;
      if (sub.progressNotify) this.deliver(sub, [], revision);
    }
  }

  private deliver(sub: Subscription, events: Event[], revision: number): void {
    try {
      sub.listener(events, revision);
    } catch (err) {
      this.logger.error({ err: (err as Error).message }, 'watch listener threw');
    }
  }

  /** Ends `sub` once; `error` undefined means the caller cancelled it. */
  private finish(sub: Subscription, error: StoreError | undefined): void {
    if (sub.done) return;
    sub.done = true;
    this.subs.delete(sub);
    if (sub.watchId !== undefined) {
      this.byId.delete(sub.watchId);
      this.sendCancel(sub.watchId);
    }
    if (error !== undefined) {
      this.logger.info({ key: sub.key.toString(), err: error.message }, 'watch ended by server');
      sub.onError?.(error);
    }
    sub.resolveClosed(error);
    if (this.subs.size === 0) this.dropStream();
  }

  private sendCancel(watchId: number): void {
    this.stream.write({ cancelRequest: { watchId } });
  }

  private dropStream(): void {
    this.stream.drop();
    this.creating = undefined;
    this.byId.clear();
  }
}

/** The error a server-side cancel stands for. */
function cancelError(res: WatchResponse): StoreError {
  return res.compactRevision > 0 ? new WatchCompactedError(res.compactRevision) : new WatchCanceledError(res.cancelReason);
}
