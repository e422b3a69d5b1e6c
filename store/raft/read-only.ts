import { Message } from './types';

/** One pending ReadIndex request on the leader. */
export interface ReadIndexStatus {
  /** The ReadIndex message (from = requester, or NONE/self for a local request). */
  req: Message;
  /** The leader's commit index when the request arrived: the read index. */
  index: number;
  /** Members that acknowledged a heartbeat carrying the request context. */
  acks: Set<number>;
}

/** Key of a request context in the pending map (hex of its bytes). */
function ctxKey(ctx: Uint8Array): string {
  return Buffer.from(ctx.buffer, ctx.byteOffset, ctx.byteLength).toString('hex');
}

/**
 * Leader-side bookkeeping for safe linearizable reads (Raft thesis §6.4): a request records the
 * commit index, the leader sends a heartbeat round carrying the request context, and once a
 * quorum acknowledges that round the request (and every one queued before it) is answered.
 *
 * Requests are identified by their context; a duplicate context while pending is ignored.
 */
export class ReadOnly {
  private readonly pending = new Map<string, ReadIndexStatus>();
  private queue: string[] = [];

  /** Queues a request read at `index`. The context is `req.entries[0].data`. */
  addRequest(index: number, req: Message): void {
    const key = ctxKey(req.entries[0].data);
    if (this.pending.has(key)) return;
    this.pending.set(key, { req, index, acks: new Set() });
    this.queue.push(key);
  }

  /** Records that `id` acknowledged the heartbeat carrying `ctx`; returns the acks so far. */
  recvAck(id: number, ctx: Uint8Array): ReadonlySet<number> | undefined {
    const rs = this.pending.get(ctxKey(ctx));
    if (rs === undefined) return undefined;
    rs.acks.add(id);
    return rs.acks;
  }

  /**
   * The request with context `ctx` is confirmed: removes and returns it along with every request
   * queued before it (a quorum acknowledging a later round also confirms earlier ones).
   */
  advance(ctx: Uint8Array): ReadIndexStatus[] {
    const key = ctxKey(ctx);
    const at = this.queue.indexOf(key);
    if (at < 0) return [];
    const done = this.queue.slice(0, at + 1);
    this.queue = this.queue.slice(at + 1);
    const out: ReadIndexStatus[] = [];
    for (const k of done) {
      const rs = this.pending.get(k);
      if (rs !== undefined) out.push(rs);
      this.pending.delete(k);
    }
    return out;
  }

  /** Context of the newest pending request, to piggyback on heartbeats; undefined if none. */
  lastPendingRequestCtx(): Uint8Array | undefined {
    const key = this.queue[this.queue.length - 1];
    return key === undefined ? undefined : this.pending.get(key)?.req.entries[0].data;
  }

  /** Number of pending requests. */
  size(): number {
    return this.queue.length;
  }
}
