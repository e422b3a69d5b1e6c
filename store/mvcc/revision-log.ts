import { KeyRecord } from './key-index';

const NO_RECORDS: readonly KeyRecord[] = Object.freeze([]) as readonly KeyRecord[];

/**
 * The changes of every retained main revision, in revision order: the in-memory counterpart of
 * etcd's revision-keyed backend bucket, which watchers catch up from. Revisions are consecutive;
 * dropping from the front (compaction) is amortised O(1) per revision.
 */
export class RevisionLog {
  /**
   * One slot per revision: most revisions change one key, so a lone record is held as itself
   * rather than in a one-element array (about 56 bytes less per revision).
   */
  private entries: (KeyRecord | readonly KeyRecord[])[] = [];
  /** entries[head] holds revision `first`. Slots before head are released garbage. */
  private head = 0;
  private first = 0;

  /** Oldest revision held, or 0 when empty. */
  get firstRevision(): number {
    return this.entries.length > this.head ? this.first : 0;
  }

  /** Newest revision held, or 0 when empty. */
  get lastRevision(): number {
    return this.entries.length > this.head ? this.first + (this.entries.length - this.head) - 1 : 0;
  }

  /** Records revision `main`'s changes; revisions must increase (gaps are held as empty). */
  append(main: number, records: readonly KeyRecord[]): void {
    const slot = records.length === 1 ? records[0] : records;
    if (this.entries.length === this.head) {
      this.entries = [slot];
      this.head = 0;
      this.first = main;
      return;
    }
    const last = this.lastRevision;
    if (main <= last) throw new Error(`revision-log: append of revision ${main} after ${last}`);
    for (let r = last + 1; r < main; r++) this.entries.push(NO_RECORDS);
    this.entries.push(slot);
  }

  /** The changes of revision `main`, in sub-revision order (empty if not held). */
  get(main: number): readonly KeyRecord[] {
    const i = main - this.first + this.head;
    if (main < this.first || i >= this.entries.length) return NO_RECORDS;
    const slot = this.entries[i];
    return Array.isArray(slot) ? slot : [slot as KeyRecord];
  }

  /** Drops up to `max` revisions older than `main`; returns true if older ones remain. */
  dropBefore(main: number, max = Number.POSITIVE_INFINITY): boolean {
    let n = 0;
    while (this.entries.length > this.head && this.first < main) {
      if (n++ >= max) return true;
      this.entries[this.head] = NO_RECORDS;
      this.head++;
      this.first++;
    }
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
    return false;
  }

  /** Removes everything. */
  clear(): void {
    this.entries = [];
    this.head = 0;
    this.first = 0;
  }
}
