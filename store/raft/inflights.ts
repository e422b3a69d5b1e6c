import { RaftInvariantError } from './errors';

/**
 * The flow-control window of one follower in replicate state: the last index of every App
 * message sent and not yet acknowledged, oldest first. At most `capacity` at a time.
 */
export class Inflights {
  private items: number[] = [];

  constructor(
    /** Maximum number of un-acknowledged App messages (config.maxInflightMsgs). */
    readonly capacity: number,
  ) {}

  /** Records an App message whose last entry is `index`. Throws when full or out of order. */
  add(index: number): void {
    if (this.full()) throw new RaftInvariantError('adding to a full inflights window', { capacity: this.capacity, index });
    const last = this.items[this.items.length - 1];
    if (last !== undefined && index < last) {
      throw new RaftInvariantError('inflights must be added in increasing order', { last, index });
    }
    this.items.push(index);
  }

  /** Acknowledges every message whose last index is <= `to`. */
  freeLE(to: number): void {
    let n = 0;
    while (n < this.items.length && this.items[n] <= to) n++;
    if (n > 0) this.items = this.items.slice(n);
  }

  /** Frees the oldest message (a heartbeat response proves the follower is alive). */
  freeFirstOne(): void {
    this.items.shift();
  }

  /** True when no more App messages may be sent. */
  full(): boolean {
    return this.items.length >= this.capacity;
  }

  /** Number of messages in flight. */
  count(): number {
    return this.items.length;
  }

  /** Forgets every message in flight. */
  reset(): void {
    this.items = [];
  }
}
