import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { WatchCreateRequest, WatchRequest, WatchResponse, WatchServer } from '../../gen/etcd/rpc';
import { StoreMember } from './member';
import { ResponseHeaders } from './response-headers';
import { WatchHandle } from './state-machine';

/** etcd's watch id for stream-level answers (progress of the whole stream, failed creates). */
const STREAM_WATCH_ID = -1;

/**
 * One client's Watch stream: many watchers multiplexed on one bidi stream, each with a
 * stream-local id. Backpressure: when gRPC's send buffer is full the watchers are told to hold
 * back (they catch up from the MVCC history later), so one slow client never stalls writers.
 */
class WatchStream {
  private readonly watchers = new Map<number, WatchHandle>();
  private nextId = 0;
  private closed = false;

  constructor(
    private readonly call: grpc.ServerDuplexStream<WatchRequest, WatchResponse>,
    private readonly member: StoreMember,
    private readonly headers: ResponseHeaders,
    private readonly log: Logger,
  ) {
    call.on('data', (req: WatchRequest) => this.onRequest(req));
    call.on('end', () => this.close(true));
    call.on('error', () => this.close(false));
    call.on('cancelled', () => this.close(false));
    call.on('drain', () => {
      for (const w of this.watchers.values()) w.resume();
    });
  }

  /** Sends a response; `revision` null sends a header without one (etcd's compacted cancel). */
  private send(res: Omit<WatchResponse, 'header'>, revision?: number | null): boolean {
    if (this.closed) return false;
    const header = revision === null ? this.headers.headerWithoutRevision() : this.headers.header(revision);
    return this.call.write({ ...res, header });
  }

  private onRequest(req: WatchRequest): void {
    try {
      if (req.createRequest) this.create(req.createRequest);
      else if (req.cancelRequest) this.cancel(req.cancelRequest.watchId);
      else if (req.progressRequest) this.send(emptyResponse(STREAM_WATCH_ID));
    } catch (err) {
      this.log.error({ err: err instanceof Error ? err.stack : String(err) }, 'watch request failed');
    }
  }

  private create(cr: WatchCreateRequest): void {
    let id = cr.watchId;
    // etcd 3.4 refuses these with its mvcc errors' texts, as a created-and-cancelled answer for watch id -1.
    if (isEmptyRange(cr.key, cr.rangeEnd)) {
      this.refuse('mvcc: watcher range is empty');
      return;
    }
    if (id !== 0 && this.watchers.has(id)) {
      this.refuse('mvcc: duplicate watch ID provided on the WatchStream');
      return;
    }
    if (id === 0) {
      while (this.watchers.has(this.nextId)) this.nextId++;
      id = this.nextId++;
    }
    // Tell the client the watcher exists before any event can reach it.
    this.send({ ...emptyResponse(id), created: true });
    let cancelled = false;
    const handle = this.member.sm.watch(
      { key: cr.key, rangeEnd: cr.rangeEnd, startRevision: cr.startRevision, prevKv: cr.prevKv, filters: cr.filters, progressNotify: cr.progressNotify },
      {
        deliver: (batch) => this.send({ ...emptyResponse(id), events: batch.events }, batch.revision),
        // As etcd 3.4: no cancel reason (clients read the compact revision), no header revision.
        compacted: (compactRevision) => {
          cancelled = true;
          this.watchers.delete(id);
          this.send({ ...emptyResponse(id), canceled: true, compactRevision }, null);
        },
      },
    );
    if (!cancelled) this.watchers.set(id, handle);
  }

  /** Answers a create request that made no watcher. */
  private refuse(reason: string): void {
    this.send({ ...emptyResponse(STREAM_WATCH_ID), created: true, canceled: true, cancelReason: reason });
  }

  private cancel(id: number): void {
    const w = this.watchers.get(id);
    if (!w) return;
    w.cancel();
    this.watchers.delete(id);
    this.send({ ...emptyResponse(id), canceled: true });
  }

  private close(endCall: boolean): void {
    if (this.closed) return;
    this.closed = true;
    for (const w of this.watchers.values()) w.cancel();
    this.watchers.clear();
    if (endCall) this.call.end();
  }
}

/**
 * A range that holds no key: range_end at or before key. An empty range_end watches one key,
 * and "\0" every key from key on (etcd's conventions).
 */
function isEmptyRange(key: Buffer, rangeEnd: Buffer): boolean {
  if (rangeEnd.length === 0 || (rangeEnd.length === 1 && rangeEnd[0] === 0)) return false;
  return Buffer.compare(key, rangeEnd) >= 0;
}

function emptyResponse(watchId: number): Omit<WatchResponse, 'header'> {
  return { watchId, created: false, canceled: false, compactRevision: 0, cancelReason: '', fragment: false, events: [] };
}

/** etcd's Watch service, served from this member's own MVCC state. */
export function watchService(member: StoreMember, headers: ResponseHeaders, log: Logger): WatchServer {
  return {
    watch: (call) => {
      new WatchStream(call, member, headers, log);
    },
  };
}
