import { randomBytes } from 'node:crypto';
import { ErrNoLeader, ErrTimeout } from '../errors';
import { ReadState } from '../raft/types';

/** How long one ReadIndex round may take before it is retried (the leader may have changed). */
const READ_INDEX_ROUND_TIMEOUT_MS = 1_000;

/** What the batcher needs from the member. */
export interface ReadIndexHost {
  /** Asks raft for a read index with this request context. */
  requestReadIndex(ctx: Uint8Array): void;
  /** Resolves once the member has applied at least `index`. */
  waitApplied(index: number): Promise<void>;
  /** The leader this member believes in, or 0. */
  leaderId(): number;
}

interface Round {
  ctx: string;
  waiters: { resolve(): void; reject(e: Error): void; deadline: number }[];
  timer?: NodeJS.Timeout;
}

/**
 * Linearizable reads through raft's ReadIndex, batched: every read that arrives while a round
 * is in flight joins the next round, so a burst of reads costs one heartbeat quorum, not one
 * each. A read is released only when the member has applied up to the confirmed index.
 */
export class ReadIndexBatcher {
  private inFlight: Round | undefined;
  private next: Round | undefined;

  constructor(
    private readonly host: ReadIndexHost,
    private readonly timeoutMs: number,
  ) {}

  /** Resolves when a linearizable read may be served from the local state machine. */
  read(): Promise<void> {
    return new Promise((resolve, reject) => {
      if (!this.next) this.next = { ctx: randomBytes(8).toString('hex'), waiters: [] };
      this.next.waiters.push({ resolve, reject, deadline: Date.now() + this.timeoutMs });
      if (!this.inFlight) this.startNext();
    });
  }

  /** Feeds a ReadState from a raft Ready. */
  onReadState(rs: ReadState): void {
    const round = this.inFlight;
    if (!round || Buffer.from(rs.requestCtx).toString('hex') !== round.ctx) return;
    clearTimeout(round.timer);
    this.inFlight = undefined;
    this.host.waitApplied(rs.index).then(() => {
      for (const w of round.waiters) w.resolve();
    });
    this.startNext();
  }

  /** Fails every waiting read (member stopping). */
  failAll(err: Error): void {
    for (const round of [this.inFlight, this.next]) {
      if (!round) continue;
      clearTimeout(round.timer);
      for (const w of round.waiters) w.reject(err);
    }
    this.inFlight = undefined;
    this.next = undefined;
  }

  private startNext(): void {
    const round = this.next;
    if (!round) return;
    this.next = undefined;
    this.inFlight = round;
    round.timer = setTimeout(() => this.roundTimedOut(round), READ_INDEX_ROUND_TIMEOUT_MS);
    this.host.requestReadIndex(Buffer.from(round.ctx, 'hex'));
  }

  /** A round got no answer (no leader, or it changed): retry its reads or fail the expired ones. */
  private roundTimedOut(round: Round): void {
    if (this.inFlight !== round) return;
    this.inFlight = undefined;
    const now = Date.now();
    const survivors = round.waiters.filter((w) => {
      if (w.deadline > now) return true;
      w.reject(this.host.leaderId() === 0 ? new ErrNoLeader() : new ErrTimeout());
      return false;
    });
    if (survivors.length > 0) {
      if (!this.next) this.next = { ctx: randomBytes(8).toString('hex'), waiters: [] };
      this.next.waiters.unshift(...survivors);
    }
    this.startNext();
  }
}
