import { DeleteRangeRequest, PutRequest, RangeRequest, RequestOp, TxnRequest } from '../../gen/etcd/rpc';
import {
  ErrDuplicateKey,
  ErrEmptyKey,
  ErrLeaseProvided,
  ErrTooManyOps,
  ErrValueProvided,
} from '../errors';
import { toKey } from './key-index';

/**
 * Structural checks of KV requests, as etcd's gRPC layer does them (v3rpc/key.go). They depend
 * only on the request, so running them on every member at apply time is deterministic; the
 * server may also run them before proposing to fail fast.
 */

/** etcd's default --max-txn-ops: most compares, success ops or failure ops in one txn. */
export const MAX_TXN_OPS = 128;

/** A key span in index form: [start, end); `end` undefined = no upper bound; `single` = one key. */
export interface KeySpan {
  start: string;
  end: string | undefined;
  single: boolean;
}

/**
 * Resolves etcd's key/range_end convention: empty range_end = the single key; range_end "\0" =
 * every key >= key; otherwise [key, range_end). (key "\0" with range_end "\0" is thus "all".)
 */
export function keySpan(key: Uint8Array, rangeEnd: Uint8Array | undefined): KeySpan {
  const start = toKey(key);
  if (rangeEnd === undefined || rangeEnd.length === 0) return { start, end: undefined, single: true };
  if (rangeEnd.length === 1 && rangeEnd[0] === 0) return { start, end: undefined, single: false };
  return { start, end: toKey(rangeEnd), single: false };
}

/** True if `key` lies in `span`. */
export function spanContains(span: KeySpan, key: string): boolean {
  if (span.single) return key === span.start;
  return key >= span.start && (span.end === undefined || key < span.end);
}

/** Rejects a range request without a key. */
export function checkRangeRequest(r: RangeRequest): void {
  if (r.key.length === 0) throw new ErrEmptyKey();
}

/** Rejects a put without a key, or with a value/lease it says to ignore. */
export function checkPutRequest(r: PutRequest): void {
  if (r.key.length === 0) throw new ErrEmptyKey();
  if (r.ignoreValue && r.value.length !== 0) throw new ErrValueProvided();
  if (r.ignoreLease && r.lease !== 0) throw new ErrLeaseProvided();
}

/** Rejects a delete without a key. */
export function checkDeleteRangeRequest(r: DeleteRangeRequest): void {
  if (r.key.length === 0) throw new ErrEmptyKey();
}

/**
 * Checks a txn like etcd: op counts (ErrTooManyOps, nested txns share the budget), empty keys,
 * per-op checks, then that no key is written twice (ErrDuplicateKey) in the success branch and,
 * separately, in the failure branch.
 */
export function checkTxnRequest(r: TxnRequest, maxTxnOps = MAX_TXN_OPS): void {
  checkTxnShape(r, maxTxnOps);
  checkIntervals(r.success);
  checkIntervals(r.failure);
}

function checkTxnShape(r: TxnRequest, maxTxnOps: number): void {
  const opc = Math.max(r.compare.length, r.success.length, r.failure.length);
  if (opc > maxTxnOps) throw new ErrTooManyOps();
  for (const c of r.compare) if (c.key.length === 0) throw new ErrEmptyKey();
  for (const op of r.success) checkRequestOp(op, maxTxnOps - opc);
  for (const op of r.failure) checkRequestOp(op, maxTxnOps - opc);
}

function checkRequestOp(op: RequestOp, maxTxnOps: number): void {
  if (op.requestRange !== undefined) checkRangeRequest(op.requestRange);
  else if (op.requestPut !== undefined) checkPutRequest(op.requestPut);
  else if (op.requestDeleteRange !== undefined) checkDeleteRangeRequest(op.requestDeleteRange);
  else if (op.requestTxn !== undefined) checkTxnShape(op.requestTxn, maxTxnOps);
}

/** Delete spans collected from one level (and, merged in, from nested levels). */
class DeleteSpans {
  readonly spans: KeySpan[] = [];
  intersects(key: string): boolean {
    for (const s of this.spans) if (spanContains(s, key)) return true;
    return false;
  }
}

/**
 * etcd's checkIntervals: a put may not repeat a key put elsewhere in the same branch, nor fall in
 * a delete range of the same branch (nested txns included; the then/else of one nested txn may
 * put the same key, as only one of them runs). Overlapping deletes are allowed.
 * Returns the keys put and the delete spans, for the enclosing level.
 */
function checkIntervals(ops: RequestOp[]): { puts: Set<string>; dels: DeleteSpans } {
  const dels = new DeleteSpans();
  for (const op of ops) {
    const d = op.requestDeleteRange;
    if (d !== undefined) dels.spans.push(keySpan(d.key, d.rangeEnd));
  }
  const puts = new Set<string>();
  for (const op of ops) {
    const t = op.requestTxn;
    if (t === undefined) continue;
    const then = checkIntervals(t.success);
    const otherwise = checkIntervals(t.failure);
    for (const k of then.puts) {
      if (puts.has(k) || dels.intersects(k)) throw new ErrDuplicateKey();
      puts.add(k);
    }
    for (const k of otherwise.puts) {
      if (puts.has(k) && !then.puts.has(k)) throw new ErrDuplicateKey();
      if (dels.intersects(k)) throw new ErrDuplicateKey();
      puts.add(k);
    }
    dels.spans.push(...then.dels.spans, ...otherwise.dels.spans);
  }
  for (const op of ops) {
    const p = op.requestPut;
    if (p === undefined) continue;
    const k = toKey(p.key);
    if (puts.has(k) || dels.intersects(k)) throw new ErrDuplicateKey();
    puts.add(k);
  }
  return { puts, dels };
}
