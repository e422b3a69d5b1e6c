/** Request builders for the mvcc tests (not used by production code). */
import { KeyValue } from '../../gen/etcd/kv';
import {
  Compare,
  Compare_CompareResult,
  Compare_CompareTarget,
  DeleteRangeRequest,
  PutRequest,
  RangeRequest,
  RequestOp,
  TxnRequest,
} from '../../gen/etcd/rpc';

/** UTF-8 bytes of `s`. */
export const b = (s: string): Buffer => Buffer.from(s);

/** A RangeRequest for [key, rangeEnd) with other fields defaulted. */
export function rangeReq(key: string, rangeEnd = '', extra: Partial<RangeRequest> = {}): RangeRequest {
  return { ...RangeRequest.create(), key: b(key), rangeEnd: b(rangeEnd), ...extra };
}

/** A PutRequest. */
export function putReq(key: string, value: string, extra: Partial<PutRequest> = {}): PutRequest {
  return { ...PutRequest.create(), key: b(key), value: b(value), ...extra };
}

/** A DeleteRangeRequest. */
export function delReq(key: string, rangeEnd = '', prevKv = false): DeleteRangeRequest {
  return { key: b(key), rangeEnd: b(rangeEnd), prevKv };
}

/** A TxnRequest. */
export function txnReq(compare: Compare[], success: RequestOp[], failure: RequestOp[] = []): TxnRequest {
  return { compare, success, failure };
}

/** A Compare on one target. */
export function cmp(
  key: string,
  target: Compare_CompareTarget,
  result: Compare_CompareResult,
  operand: number | string,
  rangeEnd = '',
): Compare {
  const c: Compare = { ...Compare.create(), key: b(key), target, result, rangeEnd: b(rangeEnd) };
  switch (target) {
    case Compare_CompareTarget.VALUE:
      c.value = b(String(operand));
      break;
    case Compare_CompareTarget.VERSION:
      c.version = Number(operand);
      break;
    case Compare_CompareTarget.CREATE:
      c.createRevision = Number(operand);
      break;
    case Compare_CompareTarget.MOD:
      c.modRevision = Number(operand);
      break;
    case Compare_CompareTarget.LEASE:
      c.lease = Number(operand);
      break;
    case Compare_CompareTarget.UNRECOGNIZED:
      break;
  }
  return c;
}

export const opPut = (key: string, value: string, extra: Partial<PutRequest> = {}): RequestOp => ({
  requestPut: putReq(key, value, extra),
});
export const opRange = (key: string, rangeEnd = '', extra: Partial<RangeRequest> = {}): RequestOp => ({
  requestRange: rangeReq(key, rangeEnd, extra),
});
export const opDel = (key: string, rangeEnd = '', prevKv = false): RequestOp => ({
  requestDeleteRange: delReq(key, rangeEnd, prevKv),
});
export const opTxn = (t: TxnRequest): RequestOp => ({ requestTxn: t });

/** Keys of kvs as strings. */
export const keys = (kvs: KeyValue[]): string[] => kvs.map((kv) => kv.key.toString());

/** A compact view of a kv for deep equality: key=value@create/mod/version/lease. */
export const show = (kv: KeyValue | undefined): string =>
  kv === undefined
    ? '-'
    : `${kv.key.toString()}=${kv.value.toString()}@${kv.createRevision}/${kv.modRevision}/v${kv.version}/l${kv.lease}`;

/** Deterministic PRNG (mulberry32) for seeded random tests. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A manual scheduler: collects callbacks; run() drains them (including ones they schedule). */
export class ManualScheduler {
  private queue: (() => void)[] = [];
  readonly schedule = (fn: () => void): void => {
    this.queue.push(fn);
  };
  get pending(): number {
    return this.queue.length;
  }
  /** Runs queued callbacks until none are left (at most `max` callbacks). Returns how many ran. */
  run(max = 1_000_000): number {
    let n = 0;
    while (this.queue.length > 0 && n < max) {
      this.queue.shift()!();
      n++;
    }
    return n;
  }
}
