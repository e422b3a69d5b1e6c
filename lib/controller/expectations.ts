/**
 * Controller expectations (Kubernetes' ControllerExpectations): a controller that has just
 * created or deleted children must not act on the same owner again until its informer has
 * seen those writes, or a stale cache makes it create (or delete) the same children twice.
 *
 * Protocol, per owner key (usually `namespace/name`):
 * 1. before issuing N creates: `expectCreations(key, N)` (deletes: `expectDeletions`);
 * 2. the child informer's add handler calls `creationObserved(key)` for the child's owner (its
 *    delete handler `deletionObserved`); a create that failed calls `creationObserved` too, as
 *    no event will come for it;
 * 3. the reconcile acts only when `satisfied(key)`: no record, every expected event seen, or the
 *    record older than {@link EXPECTATIONS_TTL_MS} (a lost event must not wedge an owner forever);
 * 4. when the owner is deleted: `delete(key)`.
 * Counts may go negative (more events than expected): that is satisfied too.
 */
import { type Clock, realClock } from '../client/clock';

/** How long expectations are trusted before they count as satisfied, ms (Kubernetes: 5 minutes). */
export const EXPECTATIONS_TTL_MS = 5 * 60 * 1000;

interface Expectation {
  adds: number;
  dels: number;
  /** When the record was last set, ms on the clock. */
  setAtMs: number;
}

/** Outstanding creates and deletes per owner key. See the file comment for the protocol. */
export class ControllerExpectations {
  private readonly records = new Map<string, Expectation>();

  constructor(
    private readonly clock: Clock = realClock,
    private readonly ttlMs: number = EXPECTATIONS_TTL_MS,
  ) {}

  /** Whether the controller may act on `key` (see step 3 of the protocol). */
  satisfied(key: string): boolean {
    const e = this.records.get(key);
    if (!e) return true;
    if (e.adds <= 0 && e.dels <= 0) return true;
    return this.clock.now() - e.setAtMs > this.ttlMs;
  }

  /** Replaces the record of `key`: `adds` creations and `dels` deletions are now expected. */
  setExpectations(key: string, adds: number, dels: number): void {
    this.records.set(key, { adds, dels, setAtMs: this.clock.now() });
  }

  /** Expects `count` creations for `key` (replacing its record). */
  expectCreations(key: string, count: number): void {
    this.setExpectations(key, count, 0);
  }

  /** Expects `count` deletions for `key` (replacing its record). */
  expectDeletions(key: string, count: number): void {
    this.setExpectations(key, 0, count);
  }

  /** Expects `adds`/`dels` more on top of the current record (no-op without a record). */
  raise(key: string, adds: number, dels: number): void {
    const e = this.records.get(key);
    if (!e) return;
    e.adds += adds;
    e.dels += dels;
  }

  /** One expected creation of `key` was observed (or will never happen). */
  creationObserved(key: string): void {
    this.raise(key, -1, 0);
  }

  /** One expected deletion of `key` was observed (or will never happen). */
  deletionObserved(key: string): void {
    this.raise(key, 0, -1);
  }

  /** Forgets `key` (its owner is gone). */
  delete(key: string): void {
    this.records.delete(key);
  }

  /** The outstanding counts of `key`, if it has a record (status pages, tests). */
  get(key: string): { readonly adds: number; readonly dels: number } | undefined {
    const e = this.records.get(key);
    return e ? { adds: e.adds, dels: e.dels } : undefined;
  }
}
