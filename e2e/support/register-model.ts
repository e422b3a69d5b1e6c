/**
 * The per-key model the linearizability search runs on: a register over interned values, the
 * operations on it, and the reductions applied before searching (pinning observed
 * indeterminate writes, dropping unobservable ones, merging values nothing compares against,
 * and grouping interchangeable indeterminate ops). Each reduction preserves the answer; its
 * doc comment says why.
 */
import { HistoryEntry, showValue } from './history';

/** Value id of "key absent". */
export const ABSENT = 0;
/** `step` result for an op whose recorded result contradicts the register. */
export const REJECT = -1;
/** `out` of an operation whose result is not checked (indeterminate, or delete without result). */
export const ANY = -1;

/** Operation kinds of the register model. */
export enum Kind {
  Put,
  Get,
  Delete,
  Cas,
}

/** An operation of one key, with values interned and results encoded. */
export interface KeyOp {
  readonly entry: HistoryEntry;
  readonly kind: Kind;
  /** Value written (put, cas). */
  readonly arg: number;
  /** Value compared (cas). */
  readonly expected: number;
  /** Checked result: value id (get), 1/0 (cas swapped, delete existed), or ANY. */
  readonly out: number;
  /** Must be linearized, by `deadline`: determinate ops, and indeterminate writes pinned by an observer. */
  readonly mandatory: boolean;
  /** Latest time the op can take effect (its return); meaningful only when mandatory. */
  readonly deadline: bigint;
}

/** Applies `op` to register value `state`: the new value, or REJECT if the result disagrees. */
export function step(op: KeyOp, state: number): number {
  switch (op.kind) {
    case Kind.Put:
      return op.arg;
    case Kind.Get:
      return op.out === ANY || op.out === state ? state : REJECT;
    case Kind.Delete:
      if (op.out !== ANY && (op.out === 1) !== (state !== ABSENT)) return REJECT;
      return ABSENT;
    case Kind.Cas: {
      const swaps = state === op.expected;
      if (op.out !== ANY && (op.out === 1) !== swaps) return REJECT;
      return swaps ? op.arg : state;
    }
  }
}

/** Interns register values of one key as small integers. */
export class ValueTable {
  private readonly ids = new Map<string, number>();
  private readonly names: (string | null)[] = [null];

  id(v: string | null): number {
    if (v === null) return ABSENT;
    let id = this.ids.get(v);
    if (id === undefined) {
      id = this.names.length;
      this.ids.set(v, id);
      this.names.push(v);
    }
    return id;
  }

  /** A fresh id standing for every value nothing ever compares against (see mergeUnobservedValues). */
  unobserved(): number {
    this.names.push(null);
    this.merged = this.names.length - 1;
    return this.merged;
  }

  /** The value for reports: `"v"`, `absent`, or a note for the merged unobserved values. */
  label(id: number): string {
    return id === this.merged ? '(a value no read or swap compares with)' : showValue(this.names[id]);
  }

  /** Whether `id` is the merged unobserved value. */
  isMerged(id: number): boolean {
    return id === this.merged;
  }

  private merged = -1;
}

/** Encodes a recorded entry for the model; `fail`ed entries must be filtered out before. */
export function toKeyOp(e: HistoryEntry, values: ValueTable): KeyOp {
  const determinate = e.status === 'ok';
  const mandatory = determinate;
  const deadline = e.ret ?? 0n;
  const op = e.op;
  switch (op.kind) {
    case 'put':
      return { entry: e, kind: Kind.Put, arg: values.id(op.value), expected: ABSENT, out: ANY, mandatory, deadline };
    case 'get':
      return { entry: e, kind: Kind.Get, arg: ABSENT, expected: ABSENT, out: values.id(e.result as string | null), mandatory, deadline };
    case 'delete': {
      const out = determinate && e.result !== undefined ? (e.result ? 1 : 0) : ANY;
      return { entry: e, kind: Kind.Delete, arg: ABSENT, expected: ABSENT, out, mandatory, deadline };
    }
    case 'cas': {
      const out = determinate ? (e.result ? 1 : 0) : ANY;
      return { entry: e, kind: Kind.Cas, arg: values.id(op.value), expected: values.id(op.expected), out, mandatory, deadline };
    }
  }
}

/**
 * Whether `op` is a pure observer: determinate, and never changes the register whenever its
 * result is consistent (a get, a failed swap, a delete that found nothing). Such an op can be
 * linearized as soon as it is callable and consistent, without trying alternatives.
 */
export function isPureObserver(op: KeyOp): boolean {
  if (!op.mandatory) return false;
  return op.kind === Kind.Get || ((op.kind === Kind.Cas || op.kind === Kind.Delete) && op.out === 0);
}

/** The value an operation writes when it takes effect, or REJECT for reads. */
export function written(op: KeyOp): number {
  switch (op.kind) {
    case Kind.Put:
    case Kind.Cas:
      return op.arg;
    case Kind.Delete:
      return ABSENT;
    case Kind.Get:
      return REJECT;
  }
}

/**
 * Pins indeterminate writes whose value someone observed. If an indeterminate op is the only
 * writer of a value (other than the initial one) and a determinate get returned that value
 * or a determinate swap expected it and fired, the write must have taken effect before that
 * observer returned. It becomes mandatory with the earliest such return as its deadline, which
 * admits exactly the same linearizations and spares the search from trying every later
 * placement first.
 */
function pinObservedWrites(ops: KeyOp[], initialState: number): KeyOp[] {
  const writers = new Map<number, number>();
  for (const op of ops) {
    const w = written(op);
    if (w !== REJECT) writers.set(w, (writers.get(w) ?? 0) + 1);
  }
  const firstSeen = new Map<number, bigint>();
  for (const op of ops) {
    if (!op.mandatory) continue;
    const seen = op.kind === Kind.Get ? op.out : op.kind === Kind.Cas && op.out === 1 ? op.expected : REJECT;
    if (seen === REJECT) continue;
    const t = firstSeen.get(seen);
    if (t === undefined || op.deadline < t) firstSeen.set(seen, op.deadline);
  }
  return ops.map((op) => {
    const w = written(op);
    if (op.mandatory || w === REJECT || w === ABSENT || w === initialState || writers.get(w) !== 1) return op;
    const by = firstSeen.get(w);
    return by === undefined ? op : { ...op, mandatory: true, deadline: by };
  });
}

/**
 * Drops indeterminate writes whose written value no operation could observe. If a
 * linearization places such a write W, removing W changes the register only until the next
 * effective write, and nothing in between can depend on it: no read returns W's value, no
 * compare-and-swap expects it, no determinate swap failed and no delete reported a result.
 * (Indeterminate swaps in between that did not fire are omitted too.) So the history is
 * linearizable with W iff it is without it.
 */
function dropUnobservableWrites(ops: KeyOp[]): KeyOp[] {
  const observed = new Set<number>();
  let stateSensitive = false;
  for (const op of ops) {
    if (op.kind === Kind.Get) observed.add(op.out);
    if (op.kind === Kind.Cas) {
      observed.add(op.expected);
      if (op.out === 0) stateSensitive = true;
    }
    if (op.kind === Kind.Delete && op.out !== ANY) stateSensitive = true;
  }
  if (stateSensitive) return ops;
  return ops.filter((op) => op.mandatory || observed.has(written(op)));
}

/**
 * Merges values that no operation ever compares against (no read returns them, no swap
 * expects them, not the initial value) into one. The model only ever tests the register for
 * equality with read results, swap expectations and absence, so such values are
 * indistinguishable, and merging them lets the memo recognise equivalent configurations.
 */
function mergeUnobservedValues(ops: KeyOp[], initialState: number, values: ValueTable): KeyOp[] {
  const compared = new Set<number>([ABSENT, initialState]);
  for (const op of ops) {
    if (op.kind === Kind.Get) compared.add(op.out);
    if (op.kind === Kind.Cas) compared.add(op.expected);
  }
  const needs = ops.some((op) => (op.kind === Kind.Put || op.kind === Kind.Cas) && !compared.has(op.arg));
  if (!needs) return ops;
  const merged = values.unobserved();
  return ops.map((op) => ((op.kind === Kind.Put || op.kind === Kind.Cas) && !compared.has(op.arg) ? { ...op, arg: merged } : op));
}

/**
 * For each optional op, the previous optional op (in call order) with the same effect (kind,
 * written value, expected value), or -1. Optional ops have no checked result, so two such
 * twins are interchangeable except that the earlier one may go anywhere the later one may:
 * only the earliest open twin need ever be tried.
 */
export function optionalTwins(ops: readonly KeyOp[]): Int32Array {
  const twin = new Int32Array(ops.length).fill(-1);
  const last = new Map<string, number>();
  const order = ops.map((_, i) => i).filter((i) => !ops[i].mandatory);
  order.sort((a, b) => (ops[a].entry.call < ops[b].entry.call ? -1 : ops[a].entry.call > ops[b].entry.call ? 1 : a - b));
  for (const i of order) {
    const sig = `${ops[i].kind}:${ops[i].arg}:${ops[i].expected}`;
    twin[i] = last.get(sig) ?? -1;
    last.set(sig, i);
  }
  return twin;
}

/** Whether an earlier twin of optional op i is still open (then i need not be tried). */
export function hasOpenTwin(twin: Int32Array, linearized: Uint8Array, i: number): boolean {
  for (let t = twin[i]; t >= 0; t = twin[t]) if (linearized[t] === 0) return true;
  return false;
}

/**
 * Applies the answer-preserving reductions to one key's ops: pins observed indeterminate
 * writes, drops unobservable ones, then merges values nothing compares against.
 */
export function reduceKeyOps(ops: KeyOp[], initialState: number, values: ValueTable): KeyOp[] {
  return mergeUnobservedValues(dropUnobservableWrites(pinObservedWrites(ops, initialState)), initialState, values);
}
