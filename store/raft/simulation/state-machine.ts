/**
 * The state machine each simulated member applies committed entries to: an append-only list
 * of every applied entry (index, term, type, payload). It is deliberately the whole history,
 * so State Machine Safety can compare members entry by entry, and so a snapshot of it carries
 * enough to rebuild the list on a member that installs it.
 */

import { Entry, EntryType } from '../types';

/** One applied log entry as the state machine recorded it. */
export interface AppliedRecord {
  index: number;
  term: number;
  type: EntryType;
  /** The entry's payload as a latin1 string (bytes preserved one char per byte). */
  data: string;
}

/** Payload bytes as a latin1 string: lossless, cheap to compare, JSON-safe. */
export function bytesToLatin1(data: Uint8Array): string {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('latin1');
}

/** The inverse of {@link bytesToLatin1}. */
export function latin1ToBytes(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'latin1'));
}

/**
 * The identity of an entry's content independent of its position: type and payload. Two
 * entries are the same entry iff index, term and fingerprint are all equal.
 */
export function entryFingerprint(type: EntryType, data: string): string {
  return `${type}:${data}`;
}

/** Append-only list of applied entries; `appliedIndex` is the index of the last one. */
export class ListStateMachine {
  private constructor(
    private readonly records: AppliedRecord[],
    private applied: number,
  ) {}

  /** An empty state machine (nothing applied, appliedIndex 0). */
  static empty(): ListStateMachine {
    return new ListStateMachine([], 0);
  }

  /**
   * Rebuilds a state machine from snapshot data produced by {@link serialize}. `index` is the
   * snapshot index; the data must describe exactly the entries 1..index.
   */
  static fromSnapshot(data: Uint8Array, index: number): ListStateMachine {
    if (data.byteLength === 0) {
      if (index !== 0) throw new Error(`snapshot at index ${index} carries no state machine data`);
      return ListStateMachine.empty();
    }
    const records = JSON.parse(Buffer.from(data).toString('utf8')) as AppliedRecord[];
    for (let i = 0; i < records.length; i++) {
      if (records[i].index !== i + 1) {
        throw new Error(`snapshot data is not contiguous at position ${i} (index ${records[i].index})`);
      }
    }
    if (records.length !== index) {
      throw new Error(`snapshot at index ${index} carries ${records.length} applied entries`);
    }
    return new ListStateMachine(records, index);
  }

  /** Index of the last applied entry. */
  get appliedIndex(): number {
    return this.applied;
  }

  /** The record applied at `index`, if any. */
  at(index: number): AppliedRecord | undefined {
    return index >= 1 && index <= this.records.length ? this.records[index - 1] : undefined;
  }

  /** All applied records, oldest first (read-only view). */
  all(): readonly AppliedRecord[] {
    return this.records;
  }

  /**
   * Applies one committed entry. Throws if it does not directly follow the last applied entry
   * (the member loop must apply committed entries in order, with no gaps or repeats).
   */
  apply(e: Entry): AppliedRecord {
    if (e.index !== this.applied + 1) {
      throw new Error(`apply out of order: entry ${e.index} after applied index ${this.applied}`);
    }
    const rec: AppliedRecord = { index: e.index, term: e.term, type: e.type, data: bytesToLatin1(e.data) };
    this.records.push(rec);
    this.applied = e.index;
    return rec;
  }

  /** The whole applied history as snapshot data. */
  serialize(): Uint8Array {
    return new Uint8Array(Buffer.from(JSON.stringify(this.records), 'utf8'));
  }

  /** Count of applied entries that are application commands (non-empty Normal entries). */
  commandCount(): number {
    let n = 0;
    for (const r of this.records) if (r.type === EntryType.Normal && r.data.length > 0) n++;
    return n;
  }
}
