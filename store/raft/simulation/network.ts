/**
 * The simulated network between members: a bag of in-flight messages plus a set of cut
 * directed links. It never delivers on its own; the simulation decides which message arrives
 * next (oldest first, or any one of them to model reordering and delay), and whether a
 * message is dropped or duplicated.
 */

import { Entry, Message } from '../types';

/** A message on the wire. */
export interface InFlight {
  /** Unique per run, in send order. */
  seq: number;
  msg: Message;
  /**
   * The member whose Ready produced the message. Usually `msg.from`, but a relayed Prop,
   * ReadIndex or TransferLeader keeps the original requester in `from`.
   */
  sender: number;
  /** Incarnation of the sender when it sent the message (for snapshot/unreachable reports). */
  senderIncarnation: number;
}

/** In-flight messages and link cuts. Deterministic: no clock, no randomness of its own. */
export class SimNetwork {
  private readonly queue: InFlight[] = [];
  private readonly cut = new Set<string>();
  private nextSeq = 1;

  /** Number of messages in flight. */
  get size(): number {
    return this.queue.length;
  }

  /** Puts a message on the wire (a private copy, so later mutation cannot leak). */
  send(msg: Message, sender: number, senderIncarnation: number): InFlight {
    const f: InFlight = { seq: this.nextSeq++, msg: copyMessage(msg), sender, senderIncarnation };
    this.queue.push(f);
    return f;
  }

  /** Removes and returns the in-flight message at position `i` (0 = oldest). */
  take(i: number): InFlight {
    const [f] = this.queue.splice(i, 1);
    if (!f) throw new RangeError(`no in-flight message at position ${i}`);
    return f;
  }

  /** The in-flight message at position `i` without removing it. */
  peek(i: number): InFlight {
    return this.queue[i];
  }

  /** Puts a copy of `f` back on the wire at position `i` (a duplicate delivery later). */
  duplicate(f: InFlight, i: number): InFlight {
    const d: InFlight = { seq: this.nextSeq++, msg: copyMessage(f.msg), sender: f.sender, senderIncarnation: f.senderIncarnation };
    this.queue.splice(Math.min(i, this.queue.length), 0, d);
    return d;
  }

  /** Cuts the directed link from → to (messages on it are lost at delivery time). */
  cutLink(from: number, to: number): void {
    this.cut.add(linkKey(from, to));
  }

  /** True when from → to is cut. */
  isCut(from: number, to: number): boolean {
    return this.cut.size > 0 && this.cut.has(linkKey(from, to));
  }

  /** Number of cut directed links. */
  get cutCount(): number {
    return this.cut.size;
  }

  /** Cut links as `a>b` strings, sorted (for traces). */
  cutLinks(): string[] {
    return [...this.cut].sort();
  }

  /** Restores every link. */
  heal(): void {
    this.cut.clear();
  }
}

function linkKey(from: number, to: number): string {
  return `${from}>${to}`;
}

/** A copy of a message deep enough that the receiver cannot alter the sender's copy. */
export function copyMessage(m: Message): Message {
  return {
    ...m,
    entries: m.entries.map(copyEntry),
    snapshot: m.snapshot
      ? {
          metadata: {
            ...m.snapshot.metadata,
            confState: {
              voters: m.snapshot.metadata.confState.voters.slice(),
              learners: m.snapshot.metadata.confState.learners.slice(),
            },
          },
          data: m.snapshot.data.slice(),
        }
      : undefined,
    context: m.context.slice(),
  };
}

function copyEntry(e: Entry): Entry {
  return { term: e.term, index: e.index, type: e.type, data: e.data.slice() };
}
