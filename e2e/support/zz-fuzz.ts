import { Prng, mixSeed } from '../../store/raft/simulation/prng';
import { HistoryEntry, KvOp, OpStatus, kvOp } from './history';
import { checkLinearizable } from './linearizability';
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

/** A tiny random history with random (often wrong) results and random timing. */
function randomTinyHistory(rng: Prng): HistoryEntry[] {
  const n = rng.range(1, Number(process.env.MAXN ?? 8));
  const vals = ['a', 'b', 'c', 'd', 'e'].slice(0, Number(process.env.NVALS ?? 3));
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
    const pok = Number(process.env.POK ?? 0.7);
    const status: OpStatus = r < pok ? 'ok' : r < pok + (1 - pok) * 0.6 ? 'unknown' : r < pok + (1 - pok) * 0.8 ? 'failed' : 'pending';
    const call = BigInt(rng.int(Number(process.env.SPAN ?? 20)));
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


const runs = Number(process.argv[2]);
const counts = { ok: 0, bad: 0 };
for (let run = 0; run < runs; run++) {
  const rng = new Prng(mixSeed(0xf022, run));
  const entries = randomTinyHistory(rng);
  const expected = bruteForceLinearizable(entries);
  const got = checkLinearizable(entries).ok;
  if (got !== expected) { console.log('MISMATCH run', run, got, expected, JSON.stringify(entries, (_, v) => (typeof v === 'bigint' ? Number(v) : v))); process.exit(1); }
  counts[expected ? 'ok' : 'bad']++;
}
console.log(counts);
