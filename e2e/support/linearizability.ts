/**
 * A linearizability checker for key-value histories recorded by `History`.
 *
 * Method (after Wing & Gong, Lowe's just-in-time linearization, and Porcupine's memoisation):
 * 1. Partition by key. Each key is an independent register, and a history is linearizable
 *    iff every per-key sub-history is (linearizability is local / P-compositional).
 * 2. Per key, put the operations' call and return events on time-ordered doubly linked
 *    lists. Walk from the front: at a call, try to linearize that operation now (apply it to
 *    the register model); at a return, the operation must already be linearized, so undo the
 *    most recent choice and try the next candidate. Removing and re-inserting linearized
 *    operations is O(1), so the walk only sees operations still open.
 * 3. Memoise every configuration (set of linearized operations, register value) reached.
 *    Reaching one again cannot lead anywhere new, which cuts the search from factorial to,
 *    in practice, about linear (see linearization-memo.ts).
 *
 * Indeterminate operations (`unknown`, or still pending) have no return: they may be
 * linearized anywhere after their invocation, with any result, or never, and the search
 * succeeds once every other operation is linearized. Left alone they multiply the search
 * space, so register-model.ts first pins those whose written value was read (they must
 * precede the read's return), drops those nothing could observe, merges values nothing
 * compares against, and the search tries only the earliest of interchangeable ones and
 * tries leaving them out before putting them in. Each of these keeps the answer unchanged;
 * the tests compare against a brute-force checker.
 *
 * The search is exponential in the worst case; a wall-clock budget and a memo-size cap turn a
 * runaway search into `{ ok: 'unknown' }` rather than a hung test.
 */
import { History, HistoryEntry, describeEntry } from './history';
import { LinearizedSets, Memo } from './linearization-memo';
import {
  ABSENT,
  KeyOp,
  Kind,
  REJECT,
  ValueTable,
  hasOpenTwin,
  isPureObserver,
  optionalTwins,
  reduceKeyOps,
  step,
  toKeyOp,
  written,
} from './register-model';

/** Default wall-clock budget for one whole check, in milliseconds. */
export const DEFAULT_CHECK_TIMEOUT_MS = 10_000;

/** Cap on the memo's size per key, in bytes; reaching it answers 'unknown'. */
export const MAX_MEMO_BYTES = 512 * 1024 * 1024;

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
// The search.

type KeyVerdict = CheckOk | CheckViolation | CheckUnknown;

/** The deepest dead end the search met, for the failure report. */
interface DeadEnd {
  depth: number;
  state: number;
  blocked: number;
  /** The last few ops linearized, the register value after each, and the op that wrote it (-1: initial). */
  lastLinearized: { op: number; after: number; writer: number }[];
  /** The op that wrote `state`, or -1 for the initial value. */
  writer: number;
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
        reason: `op #${op.entry.id} read ${values.label(op.out)} from key ${JSON.stringify(key)}, which no operation ever wrote`,
        window: `key ${JSON.stringify(key)}:\n  ${describeEntry(op.entry, origin)}`,
      };
    }
  }

  const ops = reduceKeyOps(all, initialState, values);
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

  // The candidates in a configuration are the open calls before the first return, tried in
  // three passes. Pass 0 looks for a pure observer consistent with the register: linearizing
  // it now is as good as later (it was callable, changes nothing, and every op that had to
  // precede it already did), so it is taken without alternatives ("forced"). Pass 1 tries the
  // other mandatory ops on the main list. Pass 2 walks the side list up to the first return
  // and tries optional ops, so configurations that leave an optional op out are visited first
  // and dominate those that include it.
  const observer = new Uint8Array(n);
  for (let i = 0; i < n; i++) observer[i] = isPureObserver(ops[i]) ? 1 : 0;
  const forced = new Uint8Array(n);
  memo.add(sets.hash, sets.low, -1, state);
  let node = next[HEAD];
  let boundary = TAIL; // in pass 2: the first return on the main list
  let pass = 0;
  for (;;) {
    if (++steps % STEPS_PER_CLOCK_CHECK === 0) {
      if (performance.now() > deadline) {
        return { ok: 'unknown', reason: `time budget ran out on key ${JSON.stringify(key)} (${n} ops, ${steps} steps, ${depth} linearized)` };
      }
      if (memo.bytes() > MAX_MEMO_BYTES) {
        return { ok: 'unknown', reason: `memo limit reached on key ${JSON.stringify(key)} (${n} ops, ${steps} steps)` };
      }
    }
    if (pass !== 2) {
      if (node === TAIL) return { ok: true }; // no return left: every mandatory op is linearized
      if (nodeIsCall[node] === 0) {
        if (pass === 0) {
          pass = 1;
          node = next[HEAD];
        } else {
          pass = 2;
          boundary = node;
          node = next[SIDE_HEAD];
        }
        continue;
      }
      if (observer[nodeOp[node]] !== (pass === 0 ? 1 : 0)) {
        node = next[node];
        continue;
      }
    } else if (node === SIDE_TAIL || node > boundary) {
      // Every candidate failed: the op returning at `boundary` cannot be linearized in time.
      // Undo the last choice; a forced choice had no alternatives, so undo past it too.
      best = deadEnd(best, boundary, depth, state, stackOp, stackState, next, nodeOp, ops);
      let j: number;
      do {
        if (depth === 0) return violation(key, ops, values, best, origin);
        depth--;
        j = stackOp[depth];
        linearized[j] = 0;
        state = stackState[depth];
        sets.flip(j);
        if (retNode[j] >= 0) relink(next, prev, retNode[j]);
        relink(next, prev, callNode[j]);
      } while (forced[depth] === 1);
      node = next[callNode[j]];
      pass = ops[j].mandatory ? 1 : 2;
      if (pass === 2) boundary = firstReturn(next, nodeIsCall);
      continue;
    } else if (hasOpenTwin(twin, linearized, nodeOp[node])) {
      node = next[node];
      continue;
    }

    const i = nodeOp[node];
    const after = step(ops[i], state);
    if (after !== REJECT) {
      sets.flip(i);
      const high = ops[i].mandatory ? Math.max(highAt[depth], sets.slot[i]) : highAt[depth];
      if (memo.add(sets.hash, sets.low, high >> 5, after)) {
        highAt[depth + 1] = high;
        stackOp[depth] = i;
        stackState[depth] = state;
        forced[depth] = pass === 0 ? 1 : 0;
        linearized[i] = 1;
        depth++;
        state = after;
        unlink(next, prev, node);
        if (retNode[i] >= 0) unlink(next, prev, retNode[i]);
        node = next[HEAD];
        pass = 0;
        continue;
      }
      sets.flip(i);
      if (pass === 0) {
        // The forced successor was explored already and failed, so this configuration fails.
        pass = 2;
        boundary = firstReturn(next, nodeIsCall);
        node = SIDE_TAIL;
        continue;
      }
    }
    node = next[node];
  }
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
  ops: readonly KeyOp[],
): DeadEnd {
  if (prior !== undefined && prior.depth >= depth) return prior;
  const found: DeadEnd = { depth, state, blocked: nodeOp[ret], lastLinearized: [], writer: -1, open: [] };
  const first = Math.max(0, depth - WINDOW_LINEARIZED_OPS);
  const after = (d: number): number => (d + 1 < depth ? stackState[d + 1] : state);
  const wrote = (d: number): boolean => {
    const op = ops[stackOp[d]];
    return (op.kind === Kind.Put || (op.kind === Kind.Cas && stackState[d] === op.expected)) && after(d) === op.arg;
  };
  let writer = -1;
  for (let d = first - 1; d >= 0; d--) {
    if (wrote(d)) {
      writer = stackOp[d];
      break;
    }
  }
  for (let d = first; d < depth; d++) {
    if (wrote(d)) writer = stackOp[d];
    found.lastLinearized.push({ op: stackOp[d], after: after(d), writer });
  }
  found.writer = writer;
  const sideHead = nodeOp.length - 2;
  const sideTail = nodeOp.length - 1;
  const open: number[] = [];
  for (let c = next[0]; c !== ret; c = next[c]) if (nodeOp[c] !== nodeOp[ret]) open.push(c);
  for (let c = next[sideHead]; c !== sideTail && c < ret; c = next[c]) open.push(c);
  open.sort((x, y) => x - y);
  found.open = open.slice(0, WINDOW_OPEN_OPS).map((c) => nodeOp[c]);
  return found;
}

/** Builds the report for a key with no linearization, from the deepest dead end. */
function violation(key: string, ops: KeyOp[], values: ValueTable, dead: DeadEnd, origin: bigint): CheckViolation {
  const blocked = ops[dead.blocked];
  // Merged unobserved values are shown as the value their writer actually wrote.
  const label = (v: number, writer: number): string => {
    const w = writer >= 0 ? ops[writer].entry.op : undefined;
    return values.isMerged(v) && w !== undefined && (w.kind === 'put' || w.kind === 'cas') ? JSON.stringify(w.value) : values.label(v);
  };
  const held = label(dead.state, dead.writer);
  const k = JSON.stringify(key);
  const which = `op #${blocked.entry.id} (client ${String(blocked.entry.clientId)})`;
  let reason = `indeterminate ${which} on key ${k} wrote a value a later op read, but cannot be placed before that read returned`;
  if (blocked.entry.status === 'ok') {
    switch (blocked.kind) {
      case Kind.Get:
        reason = `${which} read ${values.label(blocked.out)} from key ${k}, but no order of the operations before its return allows that`;
        break;
      case Kind.Cas:
        reason = `${which} ${blocked.out === 1 ? 'swapped' : 'failed to swap'} key ${k} expecting ${values.label(blocked.expected)}, but no order of the operations before its return allows that`;
        break;
      case Kind.Put:
      case Kind.Delete:
        reason = `${which} on key ${k} cannot be placed consistently with the operations around it`;
        break;
    }
  }
  reason += ` (best partial linearization: ${dead.depth} of ${ops.length} ops, register then ${held})`;

  const lines = [`key ${k}: longest linearizable prefix found has ${dead.depth} of ${ops.length} ops.`];
  if (dead.lastLinearized.length > 0) {
    lines.push(`last ops of that prefix, in linearization order (register value after each):`);
    for (const { op, after, writer } of dead.lastLinearized) {
      lines.push(`  ${describeEntry(ops[op].entry, origin)}  => ${label(after, writer)}`);
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
