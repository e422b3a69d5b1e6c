/**
 * A recorder for concurrent key-value histories, the input of the linearizability checker.
 *
 * A chaos test wraps every client call in `invoke` … `ok` / `fail` / `unknown`:
 *
 *   const h = history.invoke(clientId, kvOp.put('k', 'v1'));
 *   try { await client.put('k', 'v1'); history.ok(h); }
 *   catch (err) { if (definitelyRejected(err)) history.fail(h, err); else history.unknown(h); }
 *
 * The three outcomes mean different things to the checker:
 * - `ok`: the operation took effect exactly once, somewhere between its invocation and its
 *   return, and produced the recorded result.
 * - `fail`: the operation definitely had no effect (for example, rejected before it was
 *   proposed). It is dropped. Only use this when the cluster cannot have applied it.
 * - `unknown`: indeterminate (timeout, connection lost, member killed). It may have taken
 *   effect at any point after its invocation, or never; its result is not known. An operation
 *   still pending when the history is checked is treated the same way.
 *
 * Reads that fail or are indeterminate are dropped by the checker: a read has no effect.
 *
 * Timestamps come from a monotonic clock (`process.hrtime.bigint()` unless one is injected),
 * in nanoseconds. Operation A precedes B in real time iff A returned strictly before B was
 * invoked; equal timestamps count as concurrent.
 */

/** A client identifier, as the test names its clients. */
export type ClientId = number | string;

/** Writes `value` under `key`. Result: none. */
export interface PutOp {
  readonly kind: 'put';
  readonly key: string;
  readonly value: string;
}

/** Reads `key`. Result: its value, or null when the key is absent. */
export interface GetOp {
  readonly kind: 'get';
  readonly key: string;
}

/**
 * Deletes `key`. Result: whether a key existed and was deleted (etcd's `deleted > 0`), or
 * `undefined` when the client does not report it (then it is not checked).
 */
export interface DeleteOp {
  readonly kind: 'delete';
  readonly key: string;
}

/**
 * Compare-and-swap: if `key` currently holds `expected` (null: the key is absent), set it to
 * `value`. Result: whether the swap happened. Models an etcd txn comparing one key's value
 * (or `create_revision == 0` for null) with a put in the success branch.
 */
export interface CasOp {
  readonly kind: 'cas';
  readonly key: string;
  readonly expected: string | null;
  readonly value: string;
}

/** Any operation on the per-key register model. */
export type KvOp = PutOp | GetOp | DeleteOp | CasOp;

/**
 * The result arguments `ok` takes for an operation type: a get's value (null: absent), a
 * cas's swapped flag, a delete's optional existed flag, nothing for a put.
 */
export type KvResultArgs<O extends KvOp> = O extends GetOp
  ? [result: string | null]
  : O extends CasOp
    ? [swapped: boolean]
    : O extends DeleteOp
      ? [existed?: boolean]
      : [];

/** Constructors for operations, so call sites read `kvOp.cas('k', null, 'v')`. */
export const kvOp = {
  put: (key: string, value: string): PutOp => ({ kind: 'put', key, value }),
  get: (key: string): GetOp => ({ kind: 'get', key }),
  delete: (key: string): DeleteOp => ({ kind: 'delete', key }),
  cas: (key: string, expected: string | null, value: string): CasOp => ({ kind: 'cas', key, expected, value }),
} as const;

/** How an operation ended: `pending` until `ok`, `fail` or `unknown` is recorded. */
export type OpStatus = 'pending' | 'ok' | 'failed' | 'unknown';

/** One recorded operation. Entries are in invocation order; `id` is the index. */
export interface HistoryEntry {
  readonly id: number;
  readonly clientId: ClientId;
  readonly op: KvOp;
  /** Monotonic invocation time, nanoseconds. */
  readonly call: bigint;
  /** Monotonic return time, nanoseconds; undefined while pending or when indeterminate. */
  readonly ret: bigint | undefined;
  readonly status: OpStatus;
  /** The result given to `ok`; undefined otherwise (and for puts). */
  readonly result: string | null | boolean | undefined;
  /** The error given to `fail`, kept for reports. */
  readonly error: unknown;
}

/** Identifies an invoked operation; pass it to exactly one of `ok`, `fail` or `unknown`. */
export interface OpHandle<O extends KvOp = KvOp> {
  readonly id: number;
  readonly op: O;
}

/** A monotonic clock in nanoseconds. */
export type MonotonicClock = () => bigint;

interface MutableEntry {
  id: number;
  clientId: ClientId;
  op: KvOp;
  call: bigint;
  ret: bigint | undefined;
  status: OpStatus;
  result: string | null | boolean | undefined;
  error: unknown;
}

/**
 * An append-only record of invocations and completions. Not safe to share across worker
 * threads; within one Node process every client's callbacks record into the same instance.
 */
export class History {
  private readonly list: MutableEntry[] = [];
  private last = -1n;

  /** `clock` must never go backwards; it defaults to `process.hrtime.bigint`. */
  constructor(private readonly clock: MonotonicClock = () => process.hrtime.bigint()) {}

  /** Records the invocation of `op` by `clientId` now, and returns its handle. */
  invoke<O extends KvOp>(clientId: ClientId, op: O): OpHandle<O> {
    const id = this.list.length;
    this.list.push({
      id,
      clientId,
      op,
      call: this.now(),
      ret: undefined,
      status: 'pending',
      result: undefined,
      error: undefined,
    });
    return { id, op };
  }

  /** Records that the operation returned successfully now, with `result`. */
  ok<O extends KvOp>(handle: OpHandle<O>, ...result: KvResultArgs<O>): void {
    const e = this.pending(handle, 'ok');
    const r: unknown = result[0];
    switch (e.op.kind) {
      case 'get':
        if (r !== null && typeof r !== 'string') throw new TypeError(`History.ok: get #${e.id} needs a string or null result`);
        break;
      case 'cas':
        if (typeof r !== 'boolean') throw new TypeError(`History.ok: cas #${e.id} needs a boolean result`);
        break;
      case 'delete':
        if (r !== undefined && typeof r !== 'boolean') throw new TypeError(`History.ok: delete #${e.id} needs a boolean or no result`);
        break;
      case 'put':
        break;
    }
    e.ret = this.now();
    e.status = 'ok';
    e.result = e.op.kind === 'put' ? undefined : (r as string | null | boolean | undefined);
  }

  /** Records that the operation definitely had no effect (it is dropped by the checker). */
  fail(handle: OpHandle, error?: unknown): void {
    const e = this.pending(handle, 'fail');
    e.ret = this.now();
    e.status = 'failed';
    e.error = error;
  }

  /** Records that the outcome is indeterminate: it may take effect any time after invocation, or never. */
  unknown(handle: OpHandle, error?: unknown): void {
    const e = this.pending(handle, 'unknown');
    e.status = 'unknown';
    e.error = error;
  }

  /** All entries, in invocation order. The array is live; do not mutate it. */
  entries(): readonly HistoryEntry[] {
    return this.list;
  }

  /** Number of recorded invocations. */
  get size(): number {
    return this.list.length;
  }

  private now(): bigint {
    const t = this.clock();
    if (t < this.last) throw new Error(`History: clock went backwards (${t} < ${this.last})`);
    this.last = t;
    return t;
  }

  private pending(handle: OpHandle, verb: string): MutableEntry {
    const e = this.list[handle.id];
    if (e === undefined || e.op !== handle.op) throw new Error(`History.${verb}: handle #${handle.id} is not from this history`);
    if (e.status !== 'pending') throw new Error(`History.${verb}: op #${e.id} already completed as ${e.status}`);
    return e;
  }
}

/** Quotes a register value for reports: `"v"` or `absent`. */
export function showValue(v: string | null): string {
  return v === null ? 'absent' : JSON.stringify(v);
}

/** The operation and its outcome as one line, e.g. `get("k") -> "v1"` or `put("k", "v") -> ?`. */
export function describeOp(e: HistoryEntry): string {
  const op = e.op;
  const k = JSON.stringify(op.key);
  let call: string;
  switch (op.kind) {
    case 'put':
      call = `put(${k}, ${JSON.stringify(op.value)})`;
      break;
    case 'get':
      call = `get(${k})`;
      break;
    case 'delete':
      call = `delete(${k})`;
      break;
    case 'cas':
      call = `cas(${k}, ${showValue(op.expected)} => ${JSON.stringify(op.value)})`;
      break;
  }
  let out: string;
  switch (e.status) {
    case 'ok':
      if (op.kind === 'get') out = showValue(e.result as string | null);
      else if (op.kind === 'cas') out = e.result ? 'swapped' : 'not swapped';
      else if (op.kind === 'delete' && e.result !== undefined) out = e.result ? 'deleted' : 'not found';
      else out = 'ok';
      break;
    case 'failed':
      out = 'failed';
      break;
    case 'unknown':
    case 'pending':
      out = '? (indeterminate)';
      break;
  }
  return `${call} -> ${out}`;
}

/** Formats a timestamp as milliseconds after `origin`, e.g. `+12.345ms`. */
export function showTime(t: bigint | undefined, origin: bigint): string {
  if (t === undefined) return 'never';
  return `+${(Number(t - origin) / 1e6).toFixed(3)}ms`;
}

/** One report line for an entry: id, client, operation, outcome and its time interval. */
export function describeEntry(e: HistoryEntry, origin: bigint): string {
  return `#${e.id} client ${String(e.clientId)}: ${describeOp(e)}  [${showTime(e.call, origin)} .. ${showTime(e.ret, origin)}]`;
}
