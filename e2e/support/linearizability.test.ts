import { expect } from 'chai';
import { Prng, mixSeed } from '../../store/raft/simulation/prng';
import { History, HistoryEntry, KvOp, OpHandle, OpStatus, kvOp } from './history';
import { CheckResult, CheckViolation, checkLinearizable } from './linearizability';

/** A fake monotonic clock: every reading is 1 ms after the previous one. */
function tickingClock(): () => bigint {
  let t = 0n;
  return () => (t += 1_000_000n);
}

function newHistory(): History {
  return new History(tickingClock());
}

function expectViolation(r: CheckResult): CheckViolation {
  if (r.ok !== false) expect.fail(`expected a violation, got ${JSON.stringify(r)}`);
  return r;
}

// ---------------------------------------------------------------------------------------
// A simulated cluster: a real sequential key-value map, with clients whose operations take
// effect at a random moment between invocation and return. Indeterminate operations may take
// effect later (after the client gave up) or never. Histories are linearizable by construction.

interface SimOptions {
  readonly ops: number;
  readonly clients: number;
  readonly keys: number;
  /** Probability an operation ends indeterminate. */
  readonly pUnknown: number;
  /** Probability an operation is definitely rejected. */
  readonly pFail: number;
}

type ClientPhase =
  | { phase: 'idle' }
  | { phase: 'invoked'; handle: OpHandle }
  | { phase: 'applied'; handle: OpHandle; result: string | null | boolean | undefined };

function simulate(rng: Prng, opts: SimOptions): History {
  const h = newHistory();
  const store = new Map<string, string>();
  const written: string[] = [];
  const limbo: OpHandle[] = []; // indeterminate ops that may still take effect
  const clients: ClientPhase[] = Array.from({ length: opts.clients }, () => ({ phase: 'idle' }));
  let invoked = 0;
  let nextValue = 0;

  const apply = (op: KvOp): string | null | boolean | undefined => {
    switch (op.kind) {
      case 'put':
        store.set(op.key, op.value);
        return undefined;
      case 'get':
        return store.get(op.key) ?? null;
      case 'delete': {
        const existed = store.has(op.key);
        store.delete(op.key);
        return existed;
      }
      case 'cas': {
        const swaps = (store.get(op.key) ?? null) === op.expected;
        if (swaps) store.set(op.key, op.value);
        return swaps;
      }
    }
  };

  const newOp = (): KvOp => {
    const key = `k${rng.int(opts.keys)}`;
    const value = `v${nextValue++}`;
    const r = rng.next();
    if (r < 0.35) return kvOp.put(key, value);
    if (r < 0.7) return kvOp.get(key);
    if (r < 0.8) return kvOp.delete(key);
    const expected = rng.chance(0.6) ? (store.get(key) ?? null) : rng.chance(0.2) || written.length === 0 ? null : rng.pick(written);
    return kvOp.cas(key, expected, value);
  };

  for (;;) {
    const busy = clients.some((c) => c.phase !== 'idle');
    if (invoked >= opts.ops && !busy) break;
    if (limbo.length > 0 && rng.chance(0.02)) {
      apply(limbo.splice(rng.int(limbo.length), 1)[0].op);
    }
    const ci = rng.int(clients.length);
    const c = clients[ci];
    switch (c.phase) {
      case 'idle':
        if (invoked < opts.ops) {
          const op = newOp();
          if (op.kind === 'put' || op.kind === 'cas') written.push(op.value);
          clients[ci] = { phase: 'invoked', handle: h.invoke(ci, op) };
          invoked++;
        }
        break;
      case 'invoked':
        if (rng.chance(opts.pFail)) {
          h.fail(c.handle, new Error('rejected'));
          clients[ci] = { phase: 'idle' };
        } else if (rng.chance(opts.pUnknown)) {
          h.unknown(c.handle);
          limbo.push(c.handle);
          clients[ci] = { phase: 'idle' };
        } else {
          clients[ci] = { phase: 'applied', handle: c.handle, result: apply(c.handle.op) };
        }
        break;
      case 'applied':
        if (rng.chance(opts.pUnknown)) h.unknown(c.handle);
        else h.ok(c.handle, c.result as never);
        clients[ci] = { phase: 'idle' };
        break;
    }
  }
  return h;
}

/**
 * Makes a read provably stale: finds a determinate get G and a determinate put P on its key
 * such that another determinate effective write W on that key lies strictly between P's
 * return and G's invocation, and rewrites G's result to P's value (values are unique).
 */
function makeStaleRead(entries: readonly HistoryEntry[]): HistoryEntry[] | undefined {
  const effectiveWrite = (e: HistoryEntry): boolean =>
    e.status === 'ok' && (e.op.kind === 'put' || e.op.kind === 'delete' || (e.op.kind === 'cas' && e.result === true));
  for (const g of entries) {
    if (g.op.kind !== 'get' || g.status !== 'ok') continue;
    for (const p of entries) {
      if (p.op.kind !== 'put' || p.status !== 'ok' || p.op.key !== g.op.key || p.ret! >= g.call) continue;
      const w = entries.find((e) => e !== p && e.op.key === g.op.key && effectiveWrite(e) && e.call > p.ret! && e.ret! < g.call);
      if (w === undefined || p.op.value === g.result) continue;
      const stale = p.op.value;
      return entries.map((e) => (e === g ? { ...e, result: stale } : e));
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------
// A brute-force reference checker for tiny histories: tries every order that respects real
// time, with indeterminate ops optionally omitted.

function bruteForceLinearizable(entries: readonly HistoryEntry[]): boolean {
  const ops = entries.filter((e) => e.status !== 'failed' && !(e.op.kind === 'get' && e.status !== 'ok'));
  const placed = new Array<boolean>(ops.length).fill(false);
  const store = new Map<string, string>();
  const search = (): boolean => {
    if (ops.every((o, i) => placed[i] || o.status !== 'ok')) return true;
    for (let i = 0; i < ops.length; i++) {
      if (placed[i]) continue;
      const o = ops[i];
      if (ops.some((p, j) => !placed[j] && p.status === 'ok' && p.ret! < o.call)) continue;
      const op = o.op;
      const before = store.get(op.key);
      const cur = before ?? null;
      const known = o.status === 'ok';
      let okay = true;
      switch (op.kind) {
        case 'put':
          store.set(op.key, op.value);
          break;
        case 'get':
          okay = cur === o.result;
          break;
        case 'delete':
          if (known && o.result !== undefined) okay = o.result === (cur !== null);
          store.delete(op.key);
          break;
        case 'cas':
          if (known) okay = o.result === (cur === op.expected);
          if (cur === op.expected) store.set(op.key, op.value);
          break;
      }
      placed[i] = true;
      if (okay && search()) return true;
      placed[i] = false;
      if (before === undefined) store.delete(op.key);
      else store.set(op.key, before);
    }
    return false;
  };
  return search();
}

/**
 * A tiny random history with random (often wrong) results and random timing; `pOk` of the ops
 * complete, the rest are split between indeterminate, failed and still pending.
 */
function randomTinyHistory(rng: Prng, pOk: number, values: number): HistoryEntry[] {
  const n = rng.range(1, 8);
  const vals = ['a', 'b', 'c', 'd', 'e'].slice(0, values);
  const keys = rng.chance(0.7) ? ['x'] : ['x', 'y'];
  const mix = rng.chance(0.5) ? ['put', 'get'] : ['put', 'get', 'delete', 'cas'];
  const out: HistoryEntry[] = [];
  for (let id = 0; id < n; id++) {
    const key = rng.pick(keys);
    const kind = rng.pick(mix);
    const op: KvOp =
      kind === 'put' ? kvOp.put(key, rng.pick(vals))
      : kind === 'get' ? kvOp.get(key)
      : kind === 'delete' ? kvOp.delete(key)
      : kvOp.cas(key, rng.chance(0.3) ? null : rng.pick(vals), rng.pick(vals));
    const r = rng.next();
    const rest = 1 - pOk;
    const status: OpStatus = r < pOk ? 'ok' : r < pOk + rest * 0.6 ? 'unknown' : r < pOk + rest * 0.8 ? 'failed' : 'pending';
    const call = BigInt(rng.int(20));
    const ret = status === 'ok' || status === 'failed' ? call + BigInt(rng.int(6)) : undefined;
    let result: HistoryEntry['result'] = undefined;
    if (status === 'ok') {
      if (op.kind === 'get') result = rng.chance(0.25) ? null : rng.pick(vals);
      if (op.kind === 'cas') result = rng.chance(0.5);
      if (op.kind === 'delete' && rng.chance(0.5)) result = rng.chance(0.5);
    }
    out.push({ id, clientId: id, op, call, ret, status, result, error: undefined });
  }
  return out.sort((a, b) => (a.call < b.call ? -1 : a.call > b.call ? 1 : 0));
}

// ---------------------------------------------------------------------------------------

describe('History', () => {
  it('records invocation and completion times and outcomes', () => {
    const h = newHistory();
    const a = h.invoke('w', kvOp.put('k', 'v'));
    const b = h.invoke('r', kvOp.get('k'));
    h.ok(a);
    h.ok(b, 'v');
    const c = h.invoke('w', kvOp.cas('k', 'v', 'w'));
    h.unknown(c);
    const d = h.invoke('w', kvOp.delete('k'));
    h.fail(d, new Error('no leader'));
    const [ea, eb, ec, ed] = h.entries();
    expect([ea.status, eb.status, ec.status, ed.status]).to.deep.equal(['ok', 'ok', 'unknown', 'failed']);
    expect(ea.call < eb.call && eb.call < ea.ret! && ea.ret! < eb.ret!).to.equal(true);
    expect(eb.result).to.equal('v');
    expect(ec.ret).to.equal(undefined);
  });

  it('refuses to complete an operation twice', () => {
    const h = newHistory();
    const a = h.invoke(1, kvOp.put('k', 'v'));
    h.ok(a);
    expect(() => h.unknown(a)).to.throw(/already completed/);
  });

  it('refuses a clock that goes backwards', () => {
    const times = [5n, 3n];
    const h = new History(() => times.shift()!);
    h.invoke(1, kvOp.get('k'));
    expect(() => h.invoke(1, kvOp.get('k'))).to.throw(/backwards/);
  });
});

describe('checkLinearizable', () => {
  it('accepts a sequential history', () => {
    const h = newHistory();
    h.ok(h.invoke(1, kvOp.get('k')), null);
    h.ok(h.invoke(1, kvOp.put('k', 'a')));
    h.ok(h.invoke(2, kvOp.get('k')), 'a');
    h.ok(h.invoke(1, kvOp.delete('k')), true);
    h.ok(h.invoke(2, kvOp.get('k')), null);
    h.ok(h.invoke(2, kvOp.delete('k')), false);
    expect(checkLinearizable(h)).to.deep.equal({ ok: true });
  });

  it('accepts an empty history', () => {
    expect(checkLinearizable(newHistory())).to.deep.equal({ ok: true });
  });

  for (const seen of ['a', 'b']) {
    it(`accepts a read concurrent with two overlapping writes seeing ${seen}`, () => {
      const h = newHistory();
      const w1 = h.invoke(1, kvOp.put('k', 'a'));
      const w2 = h.invoke(2, kvOp.put('k', 'b'));
      const r = h.invoke(3, kvOp.get('k'));
      h.ok(w1);
      h.ok(w2);
      h.ok(r, seen);
      h.ok(h.invoke(3, kvOp.get('k')), seen); // later reads agree with the order chosen
      expect(checkLinearizable(h)).to.deep.equal({ ok: true });
    });
  }

  it('rejects two later reads that disagree on the order of overlapping writes', () => {
    const h = newHistory();
    const w1 = h.invoke(1, kvOp.put('k', 'a'));
    const w2 = h.invoke(2, kvOp.put('k', 'b'));
    h.ok(w1);
    h.ok(w2);
    h.ok(h.invoke(3, kvOp.get('k')), 'a');
    h.ok(h.invoke(3, kvOp.get('k')), 'b');
    expectViolation(checkLinearizable(h));
  });

  it('catches a stale read after a completed write, with a readable window', () => {
    const h = newHistory();
    h.ok(h.invoke('writer', kvOp.put('config', 'v1')));
    h.ok(h.invoke('writer', kvOp.put('config', 'v2')));
    h.ok(h.invoke('reader', kvOp.get('other')), null);
    h.ok(h.invoke('reader', kvOp.get('config')), 'v1');
    const v = expectViolation(checkLinearizable(h));
    expect(v.key).to.equal('config');
    expect(v.reason).to.contain('op #3 (client reader) read "v1"');
    expect(v.window).to.contain('#1 client writer: put("config", "v2") -> ok');
    expect(v.window).to.contain('#3 client reader: get("config") -> "v1"');
    expect(v.window).to.contain('register holds "v2"');
    console.log(`      reason: ${v.reason}\n${v.window.replace(/^/gm, '      | ')}`);
  });

  it('catches a read of a value that was never written', () => {
    const h = newHistory();
    const w = h.invoke(1, kvOp.put('k', 'a'));
    h.ok(h.invoke(2, kvOp.get('k')), 'zzz');
    h.ok(w);
    const v = expectViolation(checkLinearizable(h));
    expect(v.reason).to.contain('"zzz"').and.to.contain("no operation ever wrote");
  });

  it('catches a lost acknowledged write', () => {
    const h = newHistory();
    h.ok(h.invoke(1, kvOp.put('k', 'old')));
    h.ok(h.invoke(1, kvOp.put('k', 'new')));
    // a member is killed; after recovery the acknowledged write is gone
    h.ok(h.invoke(2, kvOp.get('k')), 'old');
    const v = expectViolation(checkLinearizable(h));
    expect(v.window).to.contain('put("k", "new")');
  });

  it('catches a value resurrected after an acknowledged delete', () => {
    const h = newHistory();
    h.ok(h.invoke(1, kvOp.put('k', 'a')));
    h.ok(h.invoke(1, kvOp.delete('k')));
    h.ok(h.invoke(2, kvOp.get('k')), 'a');
    expectViolation(checkLinearizable(h));
  });

  it('checks the reported result of a delete', () => {
    const h = newHistory();
    h.ok(h.invoke(1, kvOp.delete('k')), true);
    expectViolation(checkLinearizable(h));
  });

  describe('indeterminate operations', () => {
    it('accepts an indeterminate put that later appears', () => {
      const h = newHistory();
      h.ok(h.invoke(1, kvOp.put('k', 'a')));
      h.unknown(h.invoke(1, kvOp.put('k', 'b')));
      h.ok(h.invoke(2, kvOp.get('k')), 'a');
      h.ok(h.invoke(2, kvOp.get('k')), 'b'); // took effect long after the client gave up
      expect(checkLinearizable(h)).to.deep.equal({ ok: true });
    });

    it('accepts an indeterminate put that never appears', () => {
      const h = newHistory();
      h.ok(h.invoke(1, kvOp.put('k', 'a')));
      h.unknown(h.invoke(1, kvOp.put('k', 'b')));
      h.ok(h.invoke(2, kvOp.get('k')), 'a');
      h.ok(h.invoke(2, kvOp.get('k')), 'a');
      expect(checkLinearizable(h)).to.deep.equal({ ok: true });
    });

    it('treats an operation still pending at check time as indeterminate', () => {
      const h = newHistory();
      h.invoke(1, kvOp.put('k', 'b'));
      h.ok(h.invoke(2, kvOp.get('k')), 'b');
      expect(checkLinearizable(h)).to.deep.equal({ ok: true });
    });

    it('rejects an indeterminate put seen before it was invoked', () => {
      const h = newHistory();
      h.ok(h.invoke(2, kvOp.get('k')), 'b');
      h.unknown(h.invoke(1, kvOp.put('k', 'b')));
      expectViolation(checkLinearizable(h));
    });

    it('rejects an indeterminate put that appears, vanishes and no write explains it', () => {
      const h = newHistory();
      h.ok(h.invoke(1, kvOp.put('k', 'a')));
      h.unknown(h.invoke(1, kvOp.put('k', 'b')));
      h.ok(h.invoke(2, kvOp.get('k')), 'b');
      h.ok(h.invoke(2, kvOp.get('k')), 'a');
      expectViolation(checkLinearizable(h));
    });

    it('lets an indeterminate write explain a failed compare-and-swap', () => {
      const h = newHistory();
      h.ok(h.invoke(1, kvOp.put('k', 'a')));
      h.unknown(h.invoke(1, kvOp.put('k', 'b')));
      h.ok(h.invoke(2, kvOp.cas('k', 'a', 'c')), false);
      expect(checkLinearizable(h)).to.deep.equal({ ok: true });
    });

    it('drops failed operations and failed or indeterminate reads', () => {
      const h = newHistory();
      h.ok(h.invoke(1, kvOp.put('k', 'a')));
      h.fail(h.invoke(1, kvOp.put('k', 'b')), new Error('not leader'));
      h.fail(h.invoke(2, kvOp.get('k')));
      h.unknown(h.invoke(2, kvOp.get('k')));
      h.ok(h.invoke(2, kvOp.get('k')), 'a');
      expect(checkLinearizable(h)).to.deep.equal({ ok: true });

      h.ok(h.invoke(2, kvOp.get('k')), 'b'); // the rejected put must not be visible
      expectViolation(checkLinearizable(h));
    });
  });

  describe('compare-and-swap', () => {
    it('accepts sequential swaps, failed swaps and create-if-absent', () => {
      const h = newHistory();
      h.ok(h.invoke(1, kvOp.cas('k', null, 'a')), true);
      h.ok(h.invoke(2, kvOp.cas('k', null, 'x')), false);
      h.ok(h.invoke(1, kvOp.cas('k', 'a', 'b')), true);
      h.ok(h.invoke(2, kvOp.cas('k', 'a', 'y')), false);
      h.ok(h.invoke(2, kvOp.get('k')), 'b');
      expect(checkLinearizable(h)).to.deep.equal({ ok: true });
    });

    it('rejects a swap that succeeded against the wrong value', () => {
      const h = newHistory();
      h.ok(h.invoke(1, kvOp.put('k', 'a')));
      h.ok(h.invoke(2, kvOp.cas('k', 'z', 'b')), true);
      const v = expectViolation(checkLinearizable(h));
      expect(v.reason).to.contain('swapped').and.to.contain('expecting "z"');
    });

    it('rejects a swap that failed although the value matched', () => {
      const h = newHistory();
      h.ok(h.invoke(1, kvOp.put('k', 'a')));
      h.ok(h.invoke(2, kvOp.cas('k', 'a', 'b')), false);
      expectViolation(checkLinearizable(h));
    });

    it('lets only one of two concurrent swaps from the same value win', () => {
      const race = (secondWins: boolean): History => {
        const h = newHistory();
        h.ok(h.invoke(0, kvOp.put('lock', 'free')));
        const a = h.invoke(1, kvOp.cas('lock', 'free', 'held-by-1'));
        const b = h.invoke(2, kvOp.cas('lock', 'free', 'held-by-2'));
        h.ok(a, true);
        h.ok(b, secondWins);
        return h;
      };
      expect(checkLinearizable(race(false))).to.deep.equal({ ok: true });
      expectViolation(checkLinearizable(race(true)));
    });

    it('reads the effect of an indeterminate swap only if it could have fired', () => {
      const h = newHistory();
      h.ok(h.invoke(1, kvOp.put('k', 'a')));
      h.unknown(h.invoke(1, kvOp.cas('k', 'a', 'b')));
      h.ok(h.invoke(2, kvOp.get('k')), 'b');
      expect(checkLinearizable(h)).to.deep.equal({ ok: true });

      const g = newHistory();
      g.ok(g.invoke(1, kvOp.put('k', 'a')));
      g.unknown(g.invoke(1, kvOp.cas('k', 'zzz', 'b')));
      g.ok(g.invoke(2, kvOp.get('k')), 'b');
      expectViolation(checkLinearizable(g));
    });
  });

  it('checks keys independently and honours initial values', () => {
    const h = newHistory();
    h.ok(h.invoke(1, kvOp.get('a')), 'seed');
    h.ok(h.invoke(1, kvOp.get('b')), null);
    expect(checkLinearizable(h, { initial: new Map([['a', 'seed']]) })).to.deep.equal({ ok: true });
    expectViolation(checkLinearizable(h));
  });

  it('returns unknown instead of hanging when the budget runs out', () => {
    // 24 fully concurrent puts then two reads that no order explains: the search must try
    // every subset of the puts before it can say so.
    const h = newHistory();
    const writes = Array.from({ length: 24 }, (_, i) => h.invoke(i, kvOp.put('k', `v${i}`)));
    for (const w of writes) h.ok(w);
    h.ok(h.invoke(99, kvOp.get('k')), 'v0');
    h.ok(h.invoke(99, kvOp.get('k')), 'v1');
    const started = performance.now();
    const r = checkLinearizable(h, { timeoutMs: 100 });
    expect(r.ok).to.equal('unknown');
    expect(performance.now() - started).to.be.below(5_000);
    if (r.ok === 'unknown') expect(r.reason).to.contain('"k"');
  });

  it('agrees with a brute-force checker on random tiny histories', () => {
    const seed = 0x5eed;
    const verdicts = { ok: 0, violation: 0 };
    for (let run = 0; run < 6000; run++) {
      const rng = new Prng(mixSeed(seed, run));
      const entries = randomTinyHistory(rng, run % 2 === 0 ? 0.7 : 0.4, run % 3 === 0 ? 5 : 3);
      const expected = bruteForceLinearizable(entries);
      const got = checkLinearizable(entries).ok;
      if (got !== expected) {
        expect.fail(`seed ${seed} run ${run}: checker says ${got}, brute force ${expected}\n${JSON.stringify(entries, (_, v) => (typeof v === 'bigint' ? Number(v) : v), 1)}`);
      }
      verdicts[expected ? 'ok' : 'violation']++;
    }
    expect(verdicts.ok).to.be.above(1000);
    expect(verdicts.violation).to.be.above(1000);
  });

  it('accepts random histories from a sequential model and catches a planted stale read', () => {
    const seed = 0xb05;
    let planted = 0;
    for (let run = 0; run < 60; run++) {
      const rng = new Prng(mixSeed(seed, run));
      const h = simulate(rng, { ops: 300, clients: rng.range(2, 8), keys: rng.range(1, 4), pUnknown: 0.05, pFail: 0.03 });
      const r = checkLinearizable(h);
      if (r.ok !== true) expect.fail(`seed ${seed} run ${run}: ${JSON.stringify(r)}`);

      const mutated = makeStaleRead(h.entries());
      if (mutated === undefined) continue;
      planted++;
      const m = checkLinearizable(mutated);
      if (m.ok !== false) expect.fail(`seed ${seed} run ${run}: planted stale read not caught: ${JSON.stringify(m)}`);
    }
    expect(planted).to.be.above(40);
  });

  it('checks 5000 ops over 20 keys and 10 clients quickly', function () {
    this.timeout(60_000);
    const rng = new Prng(0xfeed);
    const h = simulate(rng, { ops: 5000, clients: 10, keys: 20, pUnknown: 0.02, pFail: 0.01 });
    const started = performance.now();
    const r = checkLinearizable(h);
    const ms = performance.now() - started;
    console.log(`      ${h.size} ops over 20 keys checked in ${ms.toFixed(1)} ms`);
    expect(r).to.deep.equal({ ok: true });
  });

  it('checks 5000 ops on a single key with 10 clients', function () {
    this.timeout(60_000);
    const rng = new Prng(0xcafe);
    const h = simulate(rng, { ops: 5000, clients: 10, keys: 1, pUnknown: 0.01, pFail: 0.01 });
    const started = performance.now();
    const r = checkLinearizable(h);
    const ms = performance.now() - started;
    console.log(`      ${h.size} ops on one key checked in ${ms.toFixed(1)} ms`);
    expect(r).to.deep.equal({ ok: true });
  });
});
