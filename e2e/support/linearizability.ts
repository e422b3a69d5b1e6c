/**
 * A linearizability checker for key-value histories recorded by `History`.
 *
 * Method (after Wing & Gong, Lowe's just-in-time linearization, and Porcupine's memoisation):
 * 1. Partition by key. Each key is an independent register, and a history is linearizable
 *    iff every per-key sub-history is (linearizability is local / P-compositional).
 * 2. Per key, put every operation's call and return event on one time-ordered doubly linked
 *    list. Walk it from the front: at a call, try to linearize that operation now (apply it to
 *    the register model); at a return, the operation must already be linearized, so undo the
 *    most recent choice and try the next candidate. Removing and re-inserting linearized
 *    operations from the list is O(1), so the walk only sees operations still open.
 * 3. Memoise every (set of linearized operations, register value) reached. Reaching one again
 *    cannot lead anywhere new, which cuts the search from factorial to, in practice, linear.
 *    The set is a bitset with an incrementally maintained Zobrist hash.
 *
 * Indeterminate operations (`unknown` or still pending) have no return event: they may be
 * linearized anywhere after their invocation, with any result, or never. The search succeeds
 * once every determinate operation is linearized. Before searching, indeterminate writes whose
 * written value nothing could observe are dropped, since placing them can only remove options.
 *
 * The search is exponential in the worst case; a wall-clock budget and a memo-size cap turn a
 * runaway search into `{ ok: 'unknown' }` rather than a hung test.
 */
import { History, HistoryEntry, describeEntry, showValue } from './history';

/** Default wall-clock budget for one whole check, in milliseconds. */
export const DEFAULT_CHECK_TIMEOUT_MS = 10_000;

/** Cap on memoised bitset words (4 bytes each) per key, about 256 MiB. */
export const MAX_MEMO_WORDS = 64 * 1024 * 1024;

/** How many linearized operations before the conflict a failure window shows. */
export const WINDOW_LINEARIZED_OPS = 6;

/** How many still-open operations at the conflict a failure window shows. */
export const WINDOW_OPEN_OPS = 12;

/** Search steps between two looks at the clock. */
const STEPS_PER_CLOCK_CHECK = 1024;

/** Options for `checkLinearizable`. */
export interface CheckOptions {
  /** Wall-clock budget for the whole check; on expiry the answer is 'unknown'. */
  readonly timeoutMs?: number;
  /** Values keys held before the history began; keys not listed start absent. */
  readonly initial?: ReadonlyMap<string, string>;
}

/** Linearizable. */
export interface CheckOk {
  readonly ok: true;
}

/** Not linearizable: `key`'s sub-history admits no linearization. */
export interface CheckViolation {
  readonly ok: false;
  readonly key: string;
  /** One sentence naming the operation the search could not place. */
  readonly reason: string;
  /** Multi-line excerpt: the last operations linearized and the open operations at the conflict. */
  readonly window: string;
}

/** The search ran out of budget before reaching a verdict. */
export interface CheckUnknown {
  readonly ok: 'unknown';
  readonly reason: string;
}

/** The verdict of `checkLinearizable`. */
export type CheckResult = CheckOk | CheckViolation | CheckUnknown;

/**
 * Decides whether `history` is linearizable with respect to a map of independent registers
 * supporting put, get, delete and compare-and-swap. Keys are checked smallest first; the first
 * violation found is returned. 'unknown' means the budget ran out and no violation was found
 * in the keys checked before that.
 */
export function checkLinearizable(history: History | readonly HistoryEntry[], options: CheckOptions = {}): CheckResult {
  const entries = history instanceof History ? history.entries() : history;
  const deadline = performance.now() + (options.timeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS);
  const origin = entries.length > 0 ? entries.reduce((m, e) => (e.call < m ? e.call : m), entries[0].call) : 0n;

  const byKey = new Map<string, HistoryEntry[]>();
  for (const e of entries) {
    if (e.status === 'failed') continue;
    const indeterminate = e.status === 'unknown' || e.status === 'pending';
    if (indeterminate && e.op.kind === 'get') continue;
    let list = byKey.get(e.op.key);
    if (list === undefined) byKey.set(e.op.key, (list = []));
    list.push(e);
  }

  const keys = [...byKey.keys()].sort((a, b) => byKey.get(a)!.length - byKey.get(b)!.length);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    const verdict = checkKey(key, byKey.get(key)!, options.initial?.get(key) ?? null, deadline, origin);
    if (verdict.ok === true) continue;
    if (verdict.ok === 'unknown') {
      return { ok: 'unknown', reason: `${verdict.reason}; ${i} of ${keys.length} keys were verified before it` };
    }
    return verdict;
  }
  return { ok: true };
}

// ---------------------------------------------------------------------------------------
// Per-key model: a register over interned values. Value id 0 is "absent".

const ABSENT = 0;
const REJECT = -1;
/** `out` of an operation whose result is not checked (indeterminate, or delete without result). */
const ANY = -1;

const enum Kind {
  Put,
  Get,
  Delete,
  Cas,
}

interface KeyOp {
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
function step(op: KeyOp, state: number): number {
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
class ValueTable {
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

  private merged = -1;
}

function toKeyOp(e: HistoryEntry, values: ValueTable): KeyOp {
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

/** The value an operation writes when it takes effect, or REJECT for reads. */
function written(op: KeyOp): number {
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

// ---------------------------------------------------------------------------------------
// Memo of configurations: (determinate ops linearized, indeterminate ops linearized, value).
//
// A configuration is dominated by a visited one with the same determinate set and value whose
// indeterminate set is a subset of its own: indeterminate ops may be left out forever, so every
// completion of the former is a completion of the latter. Visited means explored without
// success, or being explored on the current path, so a dominated configuration is skipped.

/**
 * Visited configurations in flat typed arrays (no per-entry objects, so no GC churn): a
 * chained hash table over entries; each entry's bitset words live in one shared pool.
 */
class Memo {
  private table = new Int32Array(1 << 12).fill(-1);
  private chain = new Int32Array(1 << 12);
  private hashes = new Uint32Array(1 << 12);
  private states = new Int32Array(1 << 12);
  private lows = new Int32Array(1 << 12);
  private lens = new Int32Array(1 << 12);
  private starts = new Int32Array(1 << 12);
  private pool = new Uint32Array(1 << 14);
  private count = 0;
  /** Bitset words held, to bound memory. */
  words = 0;

  constructor(private readonly det: Uint32Array, private readonly unk: Uint32Array) {}

  /**
   * Records the current configuration: the `det` and `unk` bitsets given to the constructor,
   * as they are now, and register value `state`. Of `det` only words `low` (the first word
   * not full) to `highWord` are stored: the words below are full, the words above empty.
   * `hash` identifies the det set. Returns false if a visited configuration dominates it.
   */
  add(hash: number, low: number, highWord: number, state: number): boolean {
    const det = this.det;
    const unk = this.unk;
    const len = Math.max(0, highWord + 1 - low);
    const h = (hash ^ Math.imul(state + 0x27d4eb2f, 0x9e3779b1)) >>> 0;
    const slot = h & (this.table.length - 1);
    for (let e = this.table[slot]; e >= 0; e = this.chain[e]) {
      if (this.hashes[e] !== h || this.states[e] !== state || this.lows[e] !== low || this.lens[e] !== len) continue;
      let at = this.starts[e];
      let same = true;
      for (let w = 0; w < len && same; w++) same = this.pool[at++] === det[low + w];
      for (let w = 0; w < unk.length && same; w++) same = (this.pool[at++] & ~unk[w]) === 0;
      if (same) return false;
    }

    const e = this.count++;
    if (e === this.chain.length) this.growEntries();
    const need = this.words + len + unk.length;
    if (need > this.pool.length) this.pool = grow(this.pool, need);
    let at = this.words;
    this.starts[e] = at;
    for (let w = 0; w < len; w++) this.pool[at++] = det[low + w];
    for (let w = 0; w < unk.length; w++) this.pool[at++] = unk[w];
    this.words = at;
    this.hashes[e] = h;
    this.states[e] = state;
    this.lows[e] = low;
    this.lens[e] = len;
    this.chain[e] = this.table[slot];
    this.table[slot] = e;
    if (this.count > this.table.length) this.rehash();
    return true;
  }

  private growEntries(): void {
    const size = this.chain.length * 2;
    this.chain = grow(this.chain, size);
    this.hashes = grow(this.hashes, size);
    this.states = grow(this.states, size);
    this.lows = grow(this.lows, size);
    this.lens = grow(this.lens, size);
    this.starts = grow(this.starts, size);
  }

  private rehash(): void {
    this.table = new Int32Array(this.table.length * 4).fill(-1);
    const mask = this.table.length - 1;
    for (let e = 0; e < this.count; e++) {
      const slot = this.hashes[e] & mask;
      this.chain[e] = this.table[slot];
      this.table[slot] = e;
    }
  }
}

/** A copy of `a` with room for at least `size` elements (doubling). */
function grow<T extends Int32Array | Uint32Array>(a: T, size: number): T {
  let cap = a.length;
  while (cap < size) cap *= 2;
  const b = new (a.constructor as new (n: number) => T)(cap);
  b.set(a);
  return b;
}

/** 32-bit pseudo-random per-operation hash seeds (splitmix-style), deterministic per index. */
function zobrist(i: number): number {
  let z = Math.imul(i + 1, 0x9e3779b9) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}

// ---------------------------------------------------------------------------------------
// The search.

type KeyVerdict = CheckOk | CheckViolation | CheckUnknown;

/** The deepest dead end the search met, for the failure report. */
interface DeadEnd {
  depth: number;
  state: number;
  blocked: number;
  lastLinearized: { op: number; after: number }[];
  open: number[];
}

function checkKey(key: string, entries: HistoryEntry[], initial: string | null, deadline: number, origin: bigint): KeyVerdict {
  const values = new ValueTable();
  const initialState = values.id(initial);
  const all = entries.map((e) => toKeyOp(e, values));

  const writable = new Set<number>([initialState, ABSENT]);
  for (const op of all) if (written(op) !== REJECT) writable.add(written(op));
  for (const op of all) {
    if (op.kind === Kind.Get && op.mandatory && !writable.has(op.out)) {
      return {
        ok: false,
        key,
        reason: `op #${op.entry.id} read ${values.label((op.out))} from key ${JSON.stringify(key)}, which no operation ever wrote`,
        window: `key ${JSON.stringify(key)}:\n  ${describeEntry(op.entry, origin)}`,
      };
    }
  }

  const ops = mergeUnobservedValues(dropUnobservableWrites(pinObservedWrites(all, initialState)), initialState, values);
  const n = ops.length;
  if (n === 0) return { ok: true };

  // Events: a call for every op, a return for mandatory ones; sorted by time, calls before
  // returns at equal times (so touching intervals count as concurrent).
  const events: { time: bigint; isCall: boolean; op: number }[] = [];
  for (let i = 0; i < n; i++) {
    events.push({ time: ops[i].entry.call, isCall: true, op: i });
    if (ops[i].mandatory) events.push({ time: ops[i].deadline, isCall: false, op: i });
  }
  events.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : a.isCall !== b.isCall ? (a.isCall ? -1 : 1) : a.op - b.op));

  // Each op has a bit in the mandatory (det) or the optional (unk) bitset. Mandatory ops are
  // numbered in return order: every op returning before the first open return is linearized,
  // so the det bitset is a run of full words, then a short tail the memo stores.
  const sets = new LinearizedSets(ops, events);
  /** Highest det slot linearized at each depth (before the op at that depth), -1 if none. */
  const highAt = new Int32Array(n + 1).fill(-1);
  const linearized = new Uint8Array(n);
  const twin = optionalTwins(ops);

  // Two doubly linked lists over the events. Node j+1 is events[j], so node numbers follow
  // time. The main list (HEAD..TAIL) holds the calls and returns of mandatory ops; the side
  // list (SIDE_HEAD..SIDE_TAIL) the calls of optional ops, which never force a backtrack.
  const m = events.length;
  const HEAD = 0;
  const TAIL = m + 1;
  const SIDE_HEAD = m + 2;
  const SIDE_TAIL = m + 3;
  const next = new Int32Array(m + 4);
  const prev = new Int32Array(m + 4);
  const nodeOp = new Int32Array(m + 4);
  const nodeIsCall = new Uint8Array(m + 4);
  const callNode = new Int32Array(n);
  const retNode = new Int32Array(n).fill(-1);
  let mainLast = HEAD;
  let sideLast = SIDE_HEAD;
  for (let j = 0; j < m; j++) {
    const node = j + 1;
    const op = events[j].op;
    nodeOp[node] = op;
    nodeIsCall[node] = events[j].isCall ? 1 : 0;
    if (events[j].isCall) callNode[op] = node;
    else retNode[op] = node;
    if (ops[op].mandatory) {
      next[mainLast] = node;
      prev[node] = mainLast;
      mainLast = node;
    } else {
      next[sideLast] = node;
      prev[node] = sideLast;
      sideLast = node;
    }
  }
  next[mainLast] = TAIL;
  prev[TAIL] = mainLast;
  next[sideLast] = SIDE_TAIL;
  prev[SIDE_TAIL] = sideLast;
  const memo = new Memo(sets.det, sets.unk);
  const stackOp = new Int32Array(n);
  const stackState = new Int32Array(n);
  let depth = 0;
  let state = initialState;
  let best: DeadEnd | undefined;
  let steps = 0;

  // The candidates in a configuration are the open calls before the first return. Pass 1
  // walks the main list and tries mandatory ops; on reaching the first return, pass 2 walks
  // the side list up to that return and tries optional ops. So configurations that leave an
  // optional op out are visited first and dominate those that include it.
  let node = next[HEAD];
  let boundary = TAIL; // in pass 2: the first return on the main list
  let mainPass = true;
  for (;;) {
    if (++steps % STEPS_PER_CLOCK_CHECK === 0) {
      if (performance.now() > deadline) {
        return { ok: 'unknown', reason: `time budget ran out on key ${JSON.stringify(key)} (${n} ops, ${steps} steps, ${depth} linearized)` };
      }
      if (memo.words > MAX_MEMO_WORDS) {
        return { ok: 'unknown', reason: `memo limit reached on key ${JSON.stringify(key)} (${n} ops, ${steps} steps)` };
      }
    }
    if (mainPass) {
      if (node === TAIL) return { ok: true }; // no return left: every mandatory op is linearized
      if (nodeIsCall[node] === 0) {
        boundary = node;
        node = next[SIDE_HEAD];
        mainPass = false;
        continue;
      }
    } else if (node === SIDE_TAIL || node > boundary) {
      // Every candidate failed: the op returning at `boundary` cannot be linearized in time.
      best = deadEnd(best, boundary, depth, state, stackOp, stackState, next, nodeOp);
      if (depth === 0) return violation(key, ops, values, best, origin);
      depth--;
      const j = stackOp[depth];
      linearized[j] = 0;
      state = stackState[depth];
      sets.flip(j);
      if (retNode[j] >= 0) relink(next, prev, retNode[j]);
      relink(next, prev, callNode[j]);
      node = next[callNode[j]];
      mainPass = ops[j].mandatory;
      if (!mainPass) boundary = firstReturn(next, nodeIsCall);
      continue;
    }

    const i = nodeOp[node];
    if (!mainPass && hasOpenTwin(twin, linearized, i)) {
      node = next[node];
      continue;
    }
    const after = step(ops[i], state);
    if (after !== REJECT) {
      sets.flip(i);
      const high = mainPass ? Math.max(highAt[depth], sets.slot[i]) : highAt[depth];
      if (memo.add(sets.hash, sets.low, high >> 5, after)) {
        highAt[depth + 1] = high;
        stackOp[depth] = i;
        linearized[i] = 1;
        stackState[depth] = state;
        depth++;
        state = after;
        unlink(next, prev, node);
        if (retNode[i] >= 0) unlink(next, prev, retNode[i]);
        node = next[HEAD];
        mainPass = true;
        continue;
      }
      sets.flip(i);
    }
    node = next[node];
  }
}

/**
 * The set of linearized ops as two bitsets: mandatory ops (det), numbered in return order, and
 * optional ops (unk). Every mandatory op returning before the first open return is linearized,
 * so det is a run of full words (below `low`), then a short tail the memo stores. `hash` is a
 * Zobrist hash of det.
 */
class LinearizedSets {
  readonly slot: Int32Array;
  readonly det: Uint32Array;
  readonly unk: Uint32Array;
  private readonly mandatory: Uint8Array;
  private readonly hashes: Uint32Array;
  /** First det word that is not full. */
  low = 0;
  hash = 0;

  constructor(ops: readonly KeyOp[], events: readonly { isCall: boolean; op: number }[]) {
    const n = ops.length;
    this.slot = new Int32Array(n);
    this.mandatory = new Uint8Array(n);
    this.hashes = new Uint32Array(n);
    let detCount = 0;
    let unkCount = 0;
    for (const ev of events) if (!ev.isCall) this.slot[ev.op] = detCount++;
    for (let i = 0; i < n; i++) {
      if (ops[i].mandatory) {
        this.mandatory[i] = 1;
        this.hashes[i] = zobrist(this.slot[i]);
      } else {
        this.slot[i] = unkCount++;
      }
    }
    this.det = new Uint32Array((detCount + 31) >>> 5);
    this.unk = new Uint32Array((unkCount + 31) >>> 5);
  }

  /** Adds op i to the set, or removes it. */
  flip(i: number): void {
    const k = this.slot[i];
    if (this.mandatory[i] === 0) {
      this.unk[k >>> 5] ^= 1 << (k & 31);
      return;
    }
    const det = this.det;
    det[k >>> 5] ^= 1 << (k & 31);
    this.hash ^= this.hashes[i];
    let low = this.low;
    if (k >>> 5 < low) low = k >>> 5;
    while (low < det.length && det[low] === 0xffffffff) low++;
    this.low = low;
  }
}

/**
 * For each optional op, the previous optional op (in call order) with the same effect (kind,
 * written value, expected value), or -1. Optional ops have no checked result, so two such
 * twins are interchangeable except that the earlier one may go anywhere the later one may:
 * only the earliest open twin need ever be tried.
 */
function optionalTwins(ops: readonly KeyOp[]): Int32Array {
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
function hasOpenTwin(twin: Int32Array, linearized: Uint8Array, i: number): boolean {
  for (let t = twin[i]; t >= 0; t = twin[t]) if (linearized[t] === 0) return true;
  return false;
}

function unlink(next: Int32Array, prev: Int32Array, node: number): void {
  next[prev[node]] = next[node];
  prev[next[node]] = prev[node];
}

function relink(next: Int32Array, prev: Int32Array, node: number): void {
  next[prev[node]] = node;
  prev[next[node]] = node;
}

/** The first return on the main list (head is node 0): ops called after it cannot go next. */
function firstReturn(next: Int32Array, nodeIsCall: Uint8Array): number {
  let r = next[0];
  while (nodeIsCall[r] === 1) r = next[r];
  return r;
}

/**
 * Keeps the deepest dead end seen, which the failure report describes: the current
 * configuration (`depth` ops linearized, register `state`) could not linearize the op
 * returning at node `ret` in time.
 */
function deadEnd(
  prior: DeadEnd | undefined,
  ret: number,
  depth: number,
  state: number,
  stackOp: Int32Array,
  stackState: Int32Array,
  next: Int32Array,
  nodeOp: Int32Array,
): DeadEnd {
  if (prior !== undefined && prior.depth >= depth) return prior;
  const found: DeadEnd = { depth, state, blocked: nodeOp[ret], lastLinearized: [], open: [] };
  for (let d = Math.max(0, depth - WINDOW_LINEARIZED_OPS); d < depth; d++) {
    found.lastLinearized.push({ op: stackOp[d], after: d + 1 < depth ? stackState[d + 1] : state });
  }
  const sideHead = nodeOp.length - 2;
  const sideTail = nodeOp.length - 1;
  const open: number[] = [];
  for (let c = next[0]; c !== ret; c = next[c]) open.push(c);
  for (let c = next[sideHead]; c !== sideTail && c < ret; c = next[c]) open.push(c);
  open.sort((x, y) => x - y);
  found.open = open.slice(0, WINDOW_OPEN_OPS).map((c) => nodeOp[c]);
  return found;
}

/** Builds the report for a key with no linearization, from the deepest dead end. */
function violation(key: string, ops: KeyOp[], values: ValueTable, dead: DeadEnd, origin: bigint): CheckViolation {
  const blocked = ops[dead.blocked];
  const held = values.label((dead.state));
  const k = JSON.stringify(key);
  const which = `op #${blocked.entry.id} (client ${String(blocked.entry.clientId)})`;
  let reason: string;
  switch (blocked.kind) {
    case Kind.Get:
      reason = `${which} read ${values.label((blocked.out))} from key ${k}, but no order of the operations before its return allows that`;
      break;
    case Kind.Cas:
      reason = `${which} ${blocked.out === 1 ? 'swapped' : 'failed to swap'} key ${k} expecting ${values.label((blocked.expected))}, but no order of the operations before its return allows that`;
      break;
    case Kind.Put:
    case Kind.Delete:
      reason = `${which} on key ${k} cannot be placed consistently with the operations around it`;
      break;
  }
  reason += ` (best partial linearization: ${dead.depth} of ${ops.length} ops, register then ${held})`;

  const lines = [`key ${k}: longest linearizable prefix found has ${dead.depth} of ${ops.length} ops.`];
  if (dead.lastLinearized.length > 0) {
    lines.push(`last ops of that prefix, in linearization order (register value after each):`);
    for (const { op, after } of dead.lastLinearized) {
      lines.push(`  ${describeEntry(ops[op].entry, origin)}  => ${values.label((after))}`);
    }
  } else {
    lines.push(`no op could be linearized first; initial register value ${held}.`);
  }
  lines.push(`then the register holds ${held}, and this op must take effect before it returns but cannot:`);
  lines.push(`  ${describeEntry(blocked.entry, origin)}`);
  if (dead.open.length > 0) {
    lines.push(`other ops still open at that point (invoked, not yet linearized):`);
    for (const op of dead.open) lines.push(`  ${describeEntry(ops[op].entry, origin)}`);
  }
  return { ok: false, key, reason, window: lines.join('\n') };
}
