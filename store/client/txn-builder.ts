import type { KeyValue } from '../../gen/etcd/kv';
import {
  Compare_CompareResult,
  Compare_CompareTarget,
  RangeRequest_SortOrder,
  RangeRequest_SortTarget,
  type Compare,
  type RangeRequest,
  type RequestOp,
  type TxnRequest,
  type TxnResponse,
} from '../../gen/etcd/rpc';

/**
 * Building blocks for KV requests and transactions: byte conversion, prefix ranges, compares,
 * request ops, and the compare-and-swap transactions the apiserver's registry needs.
 */

/** Keys and values are bytes; strings are taken as UTF-8. */
export type Bytes = string | Buffer;

/** Comparison operators of a txn compare, written as etcdctl writes them. */
export type CompareOp = '=' | '!=' | '<' | '>';

const EMPTY = Buffer.alloc(0);

/** `b` as a Buffer (UTF-8 for strings). */
export function toBuffer(b: Bytes): Buffer {
  return typeof b === 'string' ? Buffer.from(b, 'utf8') : b;
}

/**
 * The range end that selects every key starting with `prefix`: the prefix with its last
 * byte below 0xff incremented and the rest dropped; "\0" (all keys) when there is none.
 */
export function prefixRangeEnd(prefix: Bytes): Buffer {
  const end = Buffer.from(toBuffer(prefix));
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i] = end[i]! + 1;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]);
}

const RESULTS: Readonly<Record<CompareOp, Compare_CompareResult>> = {
  '=': Compare_CompareResult.EQUAL,
  '!=': Compare_CompareResult.NOT_EQUAL,
  '<': Compare_CompareResult.LESS,
  '>': Compare_CompareResult.GREATER,
};

function compare(key: Bytes, op: CompareOp, target: Compare_CompareTarget, field: Partial<Compare>): Compare {
  return { key: toBuffer(key), rangeEnd: EMPTY, result: RESULTS[op], target, ...field };
}

/** Compares the key's mod revision (0 when the key does not exist). */
export function compareModRevision(key: Bytes, op: CompareOp, modRevision: number): Compare {
  return compare(key, op, Compare_CompareTarget.MOD, { modRevision });
}

/** Compares the key's create revision (0 when the key does not exist). */
export function compareCreateRevision(key: Bytes, op: CompareOp, createRevision: number): Compare {
  return compare(key, op, Compare_CompareTarget.CREATE, { createRevision });
}

/** Compares the key's version (number of puts since creation; 0 when absent). */
export function compareVersion(key: Bytes, op: CompareOp, version: number): Compare {
  return compare(key, op, Compare_CompareTarget.VERSION, { version });
}

/** Compares the key's value. */
export function compareValue(key: Bytes, op: CompareOp, value: Bytes): Compare {
  return compare(key, op, Compare_CompareTarget.VALUE, { value: toBuffer(value) });
}

/** Compares the key's lease ID (0 when none). */
export function compareLease(key: Bytes, op: CompareOp, lease: number): Compare {
  return compare(key, op, Compare_CompareTarget.LEASE, { lease });
}

/** Sort settings of a range read. */
export interface SortOptions {
  readonly target: 'key' | 'version' | 'create' | 'mod' | 'value';
  readonly order: 'ascend' | 'descend';
}

/** Options of a range read (see StoreClient.get). */
export interface RangeOptions {
  /** Read every key with this key as prefix. */
  readonly prefix?: boolean;
  /** Read [key, rangeEnd); "\0" means every key >= key. Exclusive with `prefix`. */
  readonly rangeEnd?: Bytes;
  /** Read at this revision (0 or absent: the newest). */
  readonly revision?: number;
  /** At most this many keys (0 or absent: no limit). */
  readonly limit?: number;
  readonly keysOnly?: boolean;
  readonly countOnly?: boolean;
  /** Answer from the contacted member's local state, without a linearizable read. */
  readonly serializable?: boolean;
  readonly sort?: SortOptions;
}

const SORT_TARGETS: Readonly<Record<SortOptions['target'], RangeRequest_SortTarget>> = {
  key: RangeRequest_SortTarget.KEY,
  version: RangeRequest_SortTarget.VERSION,
  create: RangeRequest_SortTarget.CREATE,
  mod: RangeRequest_SortTarget.MOD,
  value: RangeRequest_SortTarget.VALUE,
};

/** The range end for `key` under `opts` (empty: the single key). */
export function rangeEndFor(key: Bytes, opts: { readonly prefix?: boolean; readonly rangeEnd?: Bytes }): Buffer {
  if (opts.prefix === true && opts.rangeEnd !== undefined) throw new Error('prefix and rangeEnd are exclusive');
  if (opts.prefix === true) return prefixRangeEnd(key);
  return opts.rangeEnd === undefined ? EMPTY : toBuffer(opts.rangeEnd);
}

/** A complete RangeRequest for `key` under `opts`. */
export function rangeRequest(key: Bytes, opts: RangeOptions = {}): RangeRequest {
  return {
    key: toBuffer(key),
    rangeEnd: rangeEndFor(key, opts),
    limit: opts.limit ?? 0,
    revision: opts.revision ?? 0,
    sortOrder: opts.sort === undefined ? RangeRequest_SortOrder.NONE : opts.sort.order === 'ascend' ? RangeRequest_SortOrder.ASCEND : RangeRequest_SortOrder.DESCEND,
    sortTarget: opts.sort === undefined ? RangeRequest_SortTarget.KEY : SORT_TARGETS[opts.sort.target],
    serializable: opts.serializable ?? false,
    keysOnly: opts.keysOnly ?? false,
    countOnly: opts.countOnly ?? false,
    minModRevision: 0,
    maxModRevision: 0,
    minCreateRevision: 0,
    maxCreateRevision: 0,
  };
}

/** A txn op that reads `key` (see rangeRequest). */
export function opGet(key: Bytes, opts: RangeOptions = {}): RequestOp {
  return { requestRange: rangeRequest(key, opts) };
}

/** A txn op that writes `value` at `key`, optionally attached to `lease`. */
export function opPut(key: Bytes, value: Bytes, opts: { readonly lease?: number; readonly prevKv?: boolean } = {}): RequestOp {
  return { requestPut: { key: toBuffer(key), value: toBuffer(value), lease: opts.lease ?? 0, prevKv: opts.prevKv ?? false, ignoreValue: false, ignoreLease: false } };
}

/** A txn op that deletes `key` (or every key under it with `prefix`). */
export function opDelete(key: Bytes, opts: { readonly prefix?: boolean; readonly rangeEnd?: Bytes; readonly prevKv?: boolean } = {}): RequestOp {
  return { requestDeleteRange: { key: toBuffer(key), rangeEnd: rangeEndFor(key, opts), prevKv: opts.prevKv ?? false } };
}

/** True when the txn can change state in either branch (decides the retry rule). */
export function txnWrites(req: TxnRequest): boolean {
  const writes = (op: RequestOp): boolean =>
    op.requestPut !== undefined || op.requestDeleteRange !== undefined || (op.requestTxn !== undefined && txnWrites(op.requestTxn));
  return req.success.some(writes) || req.failure.some(writes);
}

/** The outcome of a compare-and-swap transaction. */
export interface CasResult {
  /** True when the compare held and the write was applied. */
  readonly succeeded: boolean;
  /** The store revision after the txn (the write's revision when it succeeded). */
  readonly revision: number;
  /** On failure: the key as it is now (undefined when it does not exist). */
  readonly current?: KeyValue;
  /** On a successful delete: the deleted key. */
  readonly prevKv?: KeyValue;
}

/** Put `value` if the key's mod revision is `modRevision`; otherwise read the current key. */
export function putIfModRevisionTxn(key: Bytes, value: Bytes, modRevision: number, opts: { readonly lease?: number } = {}): TxnRequest {
  return { compare: [compareModRevision(key, '=', modRevision)], success: [opPut(key, value, opts)], failure: [opGet(key)] };
}

/** Create the key only if it does not exist; otherwise read the current key. */
export function createIfAbsentTxn(key: Bytes, value: Bytes, opts: { readonly lease?: number } = {}): TxnRequest {
  return putIfModRevisionTxn(key, value, 0, opts);
}

/** Delete the key if its mod revision is `modRevision`; otherwise read the current key. */
export function deleteIfModRevisionTxn(key: Bytes, modRevision: number): TxnRequest {
  return { compare: [compareModRevision(key, '=', modRevision)], success: [opDelete(key, { prevKv: true })], failure: [opGet(key)] };
}

/** Reads a CasResult from the response to one of the *Txn requests above. */
export function casResult(res: TxnResponse): CasResult {
  const revision = res.header?.revision ?? 0;
  const first = res.responses[0];
  if (res.succeeded) return { succeeded: true, revision, prevKv: first?.responseDeleteRange?.prevKvs[0] };
  return { succeeded: false, revision, current: first?.responseRange?.kvs[0] };
}
