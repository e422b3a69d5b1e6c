import { Prng, mixSeed } from '../../store/raft/simulation/prng';
import { History, KvOp, OpHandle, kvOp } from './history';
import { checkLinearizable } from './linearizability';
function newHistory(): History { let t = 0n; return new History(() => (t += 1_000_000n)); }
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

export function simulate(rng: Prng, opts: SimOptions): History {
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


const [pu, pf, clients, keys, ops, runs] = process.argv.slice(2).map(Number);
let worst = 0, total = 0;
for (let run = 0; run < runs; run++) {
  const rng = new Prng(mixSeed(0xb05, run));
  const h = simulate(rng, { ops, clients, keys, pUnknown: pu, pFail: pf });
  const t0 = performance.now();
  const r = checkLinearizable(h, { timeoutMs: 120000 });
  const ms = performance.now() - t0;
  total += ms; if (ms > worst) worst = ms;
  if (r.ok !== true) console.log('run', run, r);
  if (process.env.EACH) console.log(run, ms.toFixed(0));
}
console.log(`total ${total.toFixed(0)}ms worst ${worst.toFixed(0)}ms`);
