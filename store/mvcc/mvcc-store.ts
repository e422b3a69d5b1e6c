import { KeyValue } from '../../gen/etcd/kv';
import {
  Compare,
  Compare_CompareTarget,
  DeleteRangeRequest,
  DeleteRangeResponse,
  PutRequest,
  PutResponse,
  RangeRequest,
  RangeRequest_SortOrder,
  RangeResponse,
  RequestOp,
  ResponseHeader,
  ResponseOp,
  TxnRequest,
  TxnResponse,
} from '../../gen/etcd/rpc';
import { ErrCompacted, ErrFutureRev, ErrKeyNotFound, ErrLeaseNotFound } from '../errors';
import { KeyHistory, KeyIndex, KeyRecord, toKey } from './key-index';
import {
  checkDeleteRangeRequest,
  checkPutRequest,
  checkRangeRequest,
  checkTxnRequest,
  keySpan,
  KeySpan,
} from './request-checks';
import { RevisionLog } from './revision-log';
import { sortKvs } from './range-sort';
import { compareKv } from './txn-compare';

/** Revision of an empty store (etcd's too): the first write gets revision 2. */
export const INITIAL_REVISION = 1;
/** Keys pruned per compaction step (one event-loop turn) when the store drives compaction. */
export const COMPACTION_BATCH_KEYS = 1000;

const EMPTY = Buffer.alloc(0);

/** One key changed by a committed revision, with the value it replaced (undefined if none). */
export interface MvccChange {
  readonly record: KeyRecord;
  readonly prev: KeyValue | undefined;
}

/** Told about every committed write revision and every wholesale state replacement. */
export interface MvccObserver {
  /** After revision `revision` committed; `changes` in sub-revision order. Must not throw. */
  committed(revision: number, changes: readonly MvccChange[]): void;
  /** After the state was replaced by a snapshot restore. Must not throw. */
  restored(): void;
}

/** What the store needs from the lessor: lease existence and the key → lease attachment. */
export interface LeaseRegistry {
  exists(id: number): boolean;
  attach(id: number, key: string): void;
  detach(id: number, key: string): void;
}

const NO_LEASES: LeaseRegistry = { exists: () => false, attach: () => {}, detach: () => {} };

/** Construction options of {@link MvccStore}. */
export interface MvccStoreOptions {
  /**
   * Runs the next compaction step later (default `setImmediate`). Pass `null` to drive
   * compaction yourself with {@link MvccStore.compactStep}.
   */
  schedule?: ((fn: () => void) => void) | null;
  /** Keys pruned per scheduled step (default {@link COMPACTION_BATCH_KEYS}). */
  compactionBatchKeys?: number;
}

/** A key's retained records, as a snapshot stores them. */
export interface KeyHistoryState {
  keyBytes: Buffer;
  records: KeyRecord[];
}

/** The whole replicated KV state, as serialized by a snapshot. */
export interface MvccState {
  currentRevision: number;
  compactRevision: number;
  /** In key order; each history's records ascending and already pruned at compactRevision. */
  histories: KeyHistoryState[];
}

/** Compare results of a txn and of its nested txns, in etcd's compareToPath order. */
type TxnPath = boolean[];

/**
 * The multi-version key-value state machine (etcd's mvcc kvstore), held fully in memory.
 *
 * Every write request is one write transaction: if it changes at least one key, the store's main
 * revision goes up by one and each changed key gets a sub-revision (0, 1, …) in the order of the
 * changes; a write that changes nothing does not bump the revision. Given the same sequence of
 * calls, every instance ends in the same state — no clock, no randomness. Errors are thrown as
 * StoreError subclasses before anything is written, so a failing request changes nothing.
 *
 * KeyValue objects returned by reads are shared with the store and must not be mutated.
 */
export class MvccStore {
  private readonly index = new KeyIndex();
  private readonly log = new RevisionLog();
  private rev = INITIAL_REVISION;
  // Like etcd: -1 until the first compaction, so compacting to revision 0 once is allowed.
  private compactRev = -1;
  /** Changes of the open write transaction; undefined when none is open. */
  private changes: MvccChange[] | undefined;
  private leases: LeaseRegistry = NO_LEASES;
  private readonly observers: MvccObserver[] = [];
  private readonly schedule: ((fn: () => void) => void) | null;
  private readonly batchKeys: number;
  /** Next key to prune from, while a physical compaction is under way. */
  private pruneCursor: string | undefined;
  private stepScheduled = false;
  private compactedWaiters: (() => void)[] = [];

  constructor(options: MvccStoreOptions = {}) {
    this.schedule = options.schedule === undefined ? (fn) => setImmediate(fn) : options.schedule;
    this.batchKeys = options.compactionBatchKeys ?? COMPACTION_BATCH_KEYS;
  }

  /** Revision of the last committed write (INITIAL_REVISION for an empty store). */
  get currentRevision(): number {
    return this.rev;
  }

  /** Revision of the last compaction (-1 if never, as etcd reports it): reads below it fail with ErrCompacted. */
  get compactRevision(): number {
    return this.compactRev;
  }

  /** Number of keys with retained history, tombstoned ones included until compacted. */
  get indexedKeys(): number {
    return this.index.size;
  }

  /** Binds the lessor (done by the Lessor constructor). */
  bindLeases(leases: LeaseRegistry): void {
    this.leases = leases;
  }

  /** Registers an observer of commits and restores. */
  addObserver(observer: MvccObserver): void {
    this.observers.push(observer);
  }

  // ---- reads ----

  /**
   * etcd Range: key / prefix / interval / from-key, at `revision` (<= 0 = latest; below the
   * compact revision → ErrCompacted; above the current one → ErrFutureRev), with limit + more,
   * count (all matching keys, regardless of limit and revision filters), keys_only, count_only,
   * sort and min/max mod/create revision filters. Header carries only the current revision.
   */
  range(r: RangeRequest): RangeResponse {
    checkRangeRequest(r);
    return this.doRange(r, this.rev);
  }

  /** The live value of `key` at `rev` (default latest), or undefined. No compaction check. */
  get(key: Uint8Array | string, rev = this.rev): KeyValue | undefined {
    const h = this.index.get(typeof key === 'string' ? key : toKey(key));
    return h === undefined ? undefined : h.liveAt(rev);
  }

  /** Changes of retained revision `main` (empty if none or compacted), in sub-revision order. */
  changesAt(main: number): readonly KeyRecord[] {
    return this.log.get(main);
  }

  /** The value a record replaced, if still retained (a watch event's prev_kv). */
  prevOf(record: KeyRecord): KeyValue | undefined {
    const h = this.index.get(record.key);
    return h === undefined ? undefined : h.liveBefore(record.main, record.sub);
  }

  // ---- writes ----

  /** etcd Put (prev_kv, ignore_value, ignore_lease, lease attach). Always bumps the revision. */
  put(r: PutRequest): PutResponse {
    checkPutRequest(r);
    this.checkPut(r);
    this.beginWrite();
    const resp = this.doPut(r);
    const rev = this.endWrite();
    resp.header = header(rev);
    return resp;
  }

  /** etcd DeleteRange; bumps the revision only if some key was deleted. */
  deleteRange(r: DeleteRangeRequest): DeleteRangeResponse {
    checkDeleteRangeRequest(r);
    this.beginWrite();
    const resp = this.doDelete(r);
    const rev = this.endWrite();
    resp.header = header(rev);
    return resp;
  }

  /**
   * etcd Txn: all compares (nested ones included) are evaluated against the state before the
   * txn, the chosen branches are checked (lease existence, ignore_* targets, range revisions),
   * then executed as one write revision (none if nothing changed).
   */
  txn(r: TxnRequest): TxnResponse {
    checkTxnRequest(r);
    const path: TxnPath = [];
    this.compareToPath(r, path);
    this.checkTxnOps(r, path, { i: 0 });
    this.beginWrite();
    const resp = this.execTxn(r, path, { i: 0 });
    resp.header = header(this.endWrite());
    return resp;
  }

  /**
   * Deletes the given keys (index form) in one write revision, in the given order, skipping
   * absent ones. Returns the number deleted. Used for lease revocation.
   */
  deleteKeys(keys: readonly string[]): number {
    this.beginWrite();
    let n = 0;
    for (const k of keys) {
      const h = this.index.get(k);
      if (h !== undefined && this.deleteKey(h)) n++;
    }
    this.endWrite();
    return n;
  }

  // ---- compaction ----

  /**
   * Compacts at `rev`: reads below it fail from now on; the newest version <= rev of each live
   * key survives, older versions and deleted keys are pruned. ErrCompacted if rev <= the compact
   * revision, ErrFutureRev if rev > current. Pruning happens in bounded steps (scheduled, or via
   * {@link compactStep}); reads are correct at every point in between.
   */
  compact(rev: number): void {
    if (rev <= this.compactRev) throw new ErrCompacted();
    if (rev > this.rev) throw new ErrFutureRev();
    this.compactRev = rev;
    this.pruneCursor = '';
    this.scheduleStep();
  }

  /** True while pruning for the last compaction is still under way. */
  get compacting(): boolean {
    return this.pruneCursor !== undefined;
  }

  /** Resolves once pruning for the last compaction has finished (a `physical` compaction). */
  whenCompacted(): Promise<void> {
    if (this.pruneCursor === undefined) return Promise.resolve();
    return new Promise((resolve) => this.compactedWaiters.push(resolve));
  }

  /** Prunes up to `maxKeys` keys (and log revisions). Returns true if more work remains. */
  compactStep(maxKeys = this.batchKeys): boolean {
    if (this.pruneCursor === undefined) return false;
    if (this.log.dropBefore(this.compactRev, maxKeys)) return true;
    const batch: KeyHistory[] = [];
    for (const h of this.index.range(this.pruneCursor)) {
      if (batch.length >= maxKeys) break;
      batch.push(h);
    }
    for (const h of batch) if (h.prune(this.compactRev)) this.index.delete(h.key);
    if (batch.length >= maxKeys) {
      this.pruneCursor = batch[batch.length - 1].key + '\0';
      return true;
    }
    this.pruneCursor = undefined;
    const waiters = this.compactedWaiters;
    this.compactedWaiters = [];
    for (const w of waiters) w();
    return false;
  }

  private scheduleStep(): void {
    if (this.schedule === null || this.stepScheduled) return;
    this.stepScheduled = true;
    this.schedule(() => {
      this.stepScheduled = false;
      if (this.compactStep()) this.scheduleStep();
    });
  }

  // ---- snapshot support ----

  /** The state to serialize: retained records only (as if pruning had finished). */
  *exportHistories(): Generator<KeyHistoryState> {
    const c = this.compactRev;
    for (const h of this.index.range('')) {
      const from = h.retainedFrom(c);
      if (from >= h.records.length) continue;
      yield { keyBytes: h.keyBytes, records: from === 0 ? h.records : h.records.slice(from) };
    }
  }

  /** Live keys with a lease, in key order (for the lessor to rebuild its attachments). */
  *leasedKeys(): Generator<{ key: string; lease: number }> {
    for (const h of this.index.range('')) {
      const kv = h.live();
      if (kv !== undefined && kv.lease !== 0) yield { key: h.key, lease: kv.lease };
    }
  }

  /** Replaces the whole state (snapshot restore) and tells the observers. */
  loadState(state: MvccState): void {
    if (this.changes !== undefined) throw new Error('mvcc: loadState inside a write transaction');
    this.index.clear();
    this.log.clear();
    this.rev = state.currentRevision;
    this.compactRev = state.compactRevision;
    this.pruneCursor = undefined;
    const byRev: KeyRecord[] = [];
    for (const hs of state.histories) {
      if (hs.records.length === 0) continue;
      const h = this.index.getOrCreate(hs.records[0].key, hs.keyBytes);
      for (const rec of hs.records) {
        h.append(rec);
        if (rec.main >= state.compactRevision) byRev.push(rec);
      }
    }
    this.index.recount();
    byRev.sort((a, b) => a.main - b.main || a.sub - b.sub);
    let i = 0;
    while (i < byRev.length) {
      let j = i;
      while (j < byRev.length && byRev[j].main === byRev[i].main) j++;
      this.log.append(byRev[i].main, byRev.slice(i, j));
      i = j;
    }
    const waiters = this.compactedWaiters;
    this.compactedWaiters = [];
    for (const w of waiters) w();
    for (const o of this.observers) o.restored();
  }

  // ---- internals: write transaction ----

  private beginWrite(): void {
    if (this.changes !== undefined) throw new Error('mvcc: nested write transaction');
    this.changes = [];
  }

  /** Commits the open write transaction; returns the revision after it. */
  private endWrite(): number {
    const changes = this.changes!;
    this.changes = undefined;
    if (changes.length === 0) return this.rev;
    this.rev++;
    this.log.append(
      this.rev,
      changes.map((c) => c.record),
    );
    for (const o of this.observers) o.committed(this.rev, changes);
    return this.rev;
  }

  /** Revision reads see: inside a write txn that changed something, the pending one. */
  private readRevision(): number {
    return this.changes !== undefined && this.changes.length > 0 ? this.rev + 1 : this.rev;
  }

  private putKey(h: KeyHistory, value: Buffer, lease: number): void {
    const changes = this.changes!;
    const prev = h.live();
    const main = this.rev + 1;
    const kv: KeyValue = {
      key: h.keyBytes,
      createRevision: prev === undefined ? main : prev.createRevision,
      modRevision: main,
      version: prev === undefined ? 1 : prev.version + 1,
      value,
      lease,
    };
    const record: KeyRecord = { key: h.key, main, sub: changes.length, tombstone: false, kv };
    h.append(record);
    changes.push({ record, prev });
    if (prev === undefined) this.index.liveChanged(h.key, 1);
    const oldLease = prev === undefined ? 0 : prev.lease;
    if (oldLease !== lease) {
      if (oldLease !== 0) this.leases.detach(oldLease, h.key);
      if (lease !== 0) this.leases.attach(lease, h.key);
    }
  }

  private deleteKey(h: KeyHistory): boolean {
    const changes = this.changes!;
    const prev = h.live();
    if (prev === undefined) return false;
    const main = this.rev + 1;
    const kv: KeyValue = { key: h.keyBytes, createRevision: 0, modRevision: main, version: 0, value: EMPTY, lease: 0 };
    const record: KeyRecord = { key: h.key, main, sub: changes.length, tombstone: true, kv };
    h.append(record);
    changes.push({ record, prev });
    this.index.liveChanged(h.key, -1);
    if (prev.lease !== 0) this.leases.detach(prev.lease, h.key);
    return true;
  }

  /** Lease existence and ignore_* targets, checked against the current (pre-write) state. */
  private checkPut(r: PutRequest): void {
    if (r.ignoreValue || r.ignoreLease) {
      if (this.get(r.key) === undefined) throw new ErrKeyNotFound();
    }
    if (!r.ignoreLease && r.lease !== 0 && !this.leases.exists(r.lease)) throw new ErrLeaseNotFound();
  }

  private doPut(r: PutRequest): PutResponse {
    const key = toKey(r.key);
    const h = this.index.getOrCreate(key);
    const prev = h.live();
    if ((r.ignoreValue || r.ignoreLease) && prev === undefined) throw new ErrKeyNotFound();
    const value = r.ignoreValue ? prev!.value : r.value;
    const lease = r.ignoreLease ? prev!.lease : r.lease;
    this.putKey(h, value, lease);
    return { header: undefined, prevKv: r.prevKv ? prev : undefined };
  }

  private doDelete(r: DeleteRangeRequest): DeleteRangeResponse {
    const span = keySpan(r.key, r.rangeEnd);
    const targets = this.liveIn(span, this.readRevision());
    const prevKvs: KeyValue[] = [];
    for (const h of targets) {
      const prev = h.live()!;
      this.deleteKey(h);
      if (r.prevKv) prevKvs.push(prev);
    }
    return { header: undefined, deleted: targets.length, prevKvs };
  }

  /** Histories of keys in `span` that are live at `rev`. */
  private liveIn(span: KeySpan, rev: number): KeyHistory[] {
    if (span.single) {
      const h = this.index.get(span.start);
      return h !== undefined && h.liveAt(rev) !== undefined ? [h] : [];
    }
    const out: KeyHistory[] = [];
    if (span.end !== undefined && span.end <= span.start) return out;
    this.index.forEach(span.start, span.end, (h) => {
      if (h.liveAt(rev) !== undefined) out.push(h);
    });
    return out;
  }

  // ---- internals: range ----

  private doRange(r: RangeRequest, curRev: number): RangeResponse {
    let rev = r.revision;
    if (rev > curRev) throw new ErrFutureRev();
    if (rev <= 0) rev = curRev;
    if (rev < this.compactRev) throw new ErrCompacted();

    const filtered =
      r.minModRevision !== 0 || r.maxModRevision !== 0 || r.minCreateRevision !== 0 || r.maxCreateRevision !== 0;
    // Like etcd: with sorting or filters, fetch everything; otherwise one beyond limit for `more`.
    const fetch = r.sortOrder !== RangeRequest_SortOrder.NONE || filtered || r.limit <= 0 ? Infinity : r.limit + 1;
    let kvs: KeyValue[] = [];
    let count = 0;
    const span = keySpan(r.key, r.rangeEnd);
    if (span.single) {
      const h = this.index.get(span.start);
      const kv = h === undefined ? undefined : h.liveAt(rev);
      if (kv !== undefined) {
        count = 1;
        if (!r.countOnly) kvs.push(kv);
      }
    } else if (span.end === undefined || span.end > span.start) {
      if (rev === this.readRevision() && (r.countOnly || fetch !== Infinity)) {
        // Latest revision: the index counts live keys per chunk, so stop scanning at `fetch`.
        count = this.index.countLive(span.start, span.end);
        if (!r.countOnly) {
          this.index.forEach(span.start, span.end, (h) => {
            const kv = h.live();
            if (kv !== undefined) kvs.push(kv);
            return kvs.length < fetch;
          });
        }
      } else {
        this.index.forEach(span.start, span.end, (h) => {
          const kv = h.liveAt(rev);
          if (kv === undefined) return;
          count++;
          if (!r.countOnly && kvs.length < fetch) kvs.push(kv);
        });
      }
    }
    if (r.countOnly) return { header: header(curRev), kvs: [], more: false, count };

    if (filtered) {
      kvs = kvs.filter(
        (kv) =>
          (r.maxModRevision === 0 || kv.modRevision <= r.maxModRevision) &&
          (r.minModRevision === 0 || kv.modRevision >= r.minModRevision) &&
          (r.maxCreateRevision === 0 || kv.createRevision <= r.maxCreateRevision) &&
          (r.minCreateRevision === 0 || kv.createRevision >= r.minCreateRevision),
      );
    }
    sortKvs(kvs, r.sortOrder, r.sortTarget);
    let more = false;
    if (r.limit > 0 && kvs.length > r.limit) {
      kvs = kvs.slice(0, r.limit);
      more = true;
    }
    if (r.keysOnly) kvs = kvs.map((kv) => ({ ...kv, value: EMPTY }));
    return { header: header(curRev), kvs, more, count };
  }

  // ---- internals: txn ----

  private compareToPath(r: TxnRequest, path: TxnPath): void {
    const ok = r.compare.every((c) => this.applyCompare(c));
    path.push(ok);
    for (const op of ok ? r.success : r.failure) if (op.requestTxn !== undefined) this.compareToPath(op.requestTxn, path);
  }

  /** etcd applyCompare: every key in the compare's range must satisfy it. */
  private applyCompare(c: Compare): boolean {
    const rev = this.rev;
    const kvs = this.liveIn(keySpan(c.key, c.rangeEnd), rev).map((h) => h.liveAt(rev)!);
    if (kvs.length === 0) {
      // A missing key has no value to compare; other targets compare against zero.
      if (c.target === Compare_CompareTarget.VALUE) return false;
      return compareKv(c, undefined);
    }
    return kvs.every((kv) => compareKv(c, kv));
  }

  private checkTxnOps(r: TxnRequest, path: TxnPath, pos: { i: number }): void {
    const ok = path[pos.i++];
    for (const op of ok ? r.success : r.failure) {
      if (op.requestRange !== undefined) {
        const rev = op.requestRange.revision;
        if (rev > this.rev) throw new ErrFutureRev();
        if (rev > 0 && rev < this.compactRev) throw new ErrCompacted();
      } else if (op.requestPut !== undefined) {
        this.checkPut(op.requestPut);
      } else if (op.requestTxn !== undefined) {
        this.checkTxnOps(op.requestTxn, path, pos);
      }
    }
  }

  private execTxn(r: TxnRequest, path: TxnPath, pos: { i: number }): TxnResponse {
    const succeeded = path[pos.i++];
    const responses: ResponseOp[] = [];
    for (const op of succeeded ? r.success : r.failure) responses.push(this.execOp(op, path, pos));
    return { header: header(this.readRevision()), succeeded, responses };
  }

  private execOp(op: RequestOp, path: TxnPath, pos: { i: number }): ResponseOp {
    if (op.requestRange !== undefined) {
      return { responseRange: this.doRange(op.requestRange, this.readRevision()) };
    }
    if (op.requestPut !== undefined) {
      const resp = this.doPut(op.requestPut);
      resp.header = header(this.readRevision());
      return { responsePut: resp };
    }
    if (op.requestDeleteRange !== undefined) {
      const resp = this.doDelete(op.requestDeleteRange);
      resp.header = header(this.readRevision());
      return { responseDeleteRange: resp };
    }
    if (op.requestTxn !== undefined) {
      // etcd 3.4 answers a nested txn with an empty header (only the outermost one is filled).
      const resp = this.execTxn(op.requestTxn, path, pos);
      resp.header = EMPTY_HEADER;
      return { responseTxn: resp };
    }
    return {};
  }
}

/** The all-zero header etcd 3.4 puts in a nested txn's response (present, but empty). */
const EMPTY_HEADER: ResponseHeader = Object.freeze({ clusterId: 0, memberId: 0, revision: 0, raftTerm: 0 });

/** A response header carrying only the revision; the server fills in cluster/member/term. */
export function header(revision: number): ResponseHeader {
  return { clusterId: 0, memberId: 0, revision, raftTerm: 0 };
}
