import { expect } from 'chai';
import { spawn } from 'child_process';
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { crashSnapshotBytes, entryTag, snapshotData, SnapshotMode } from './crash-writer';
import { DurableLog, PersistedState } from './durable-log';

/** Kill/restart rounds per test run. */
const CRASH_ROUNDS = 5;
/** The writer is SIGKILLed this long after it reports "ready" (uniform in [min, max]). */
const KILL_AFTER_MIN_MS = 50;
const KILL_AFTER_MAX_MS = 300;

/** What the log must look like: snapshot index plus the visible entries' tags by index. */
interface LogModel {
  snap: number;
  tags: Map<number, string>;
}

type Write = { kind: 'e'; first: number; last: number; term: number } | { kind: 's'; index: number };

function apply(model: LogModel, w: Write, generation: number): LogModel {
  const tags = new Map(model.tags);
  if (w.kind === 's') {
    for (const i of tags.keys()) if (i <= w.index) tags.delete(i);
    return { snap: w.index, tags };
  }
  for (const i of tags.keys()) if (i >= w.first) tags.delete(i);
  for (let i = w.first; i <= w.last; i++) tags.set(i, `${generation}:${i}:${w.term}`);
  return { snap: model.snap, tags };
}

function modelOf(state: PersistedState): LogModel {
  return { snap: state.snapshot?.metadata.index ?? 0, tags: new Map(state.entries.map((e) => [e.index, entryTag(e.data)])) };
}

function describeModel(m: LogModel): string {
  const idx = [...m.tags.keys()];
  return `snap=${m.snap} entries=${idx.length ? `${idx[0]}..${idx[idx.length - 1]}` : 'none'}`;
}

function sameModel(a: LogModel, b: LogModel): boolean {
  if (a.snap !== b.snap || a.tags.size !== b.tags.size) return false;
  for (const [i, tag] of a.tags) if (b.tags.get(i) !== tag) return false;
  return true;
}

/** What the writer reported before it was SIGKILLed. */
interface WriterRun {
  /** Acknowledged writes, in order (a snapshot written in steps is in here once stored). */
  acked: Write[];
  /** The save() in flight at the kill. */
  inFlight?: Write;
  /** A snapshot being written in steps at the kill (steps mode). */
  snapshotInFlight?: Write;
}

/** Runs the writer until it is SIGKILLed. */
function runWriter(dir: string, generation: number, killAfterMs: number, mode: SnapshotMode): Promise<WriterRun> {
  const script = join(__dirname, 'crash-writer.js');
  const child = spawn(process.execPath, [script, dir, String(generation), mode], { stdio: ['ignore', 'pipe', 'pipe'] });
  const acked: Write[] = [];
  let inFlight: Write | undefined;
  let snapshotInFlight: Write | undefined;
  let pending = '';
  let stderr = '';
  const onLine = (line: string) => {
    const [verb, kind, a, b, c] = line.split(' ');
    if (verb === 'ready') {
      setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    } else if (verb === 'intent') {
      inFlight = kind === 's' ? { kind: 's', index: Number(a) } : { kind: 'e', first: Number(a), last: Number(b), term: Number(c) };
    } else if (verb === 'ack') {
      acked.push(inFlight!);
      inFlight = undefined;
    } else if (verb === 'snapshot') {
      snapshotInFlight = { kind: 's', index: Number(kind) };
    } else if (verb === 'snapshot-ack') {
      // Its entries' removal commutes with the appends since (they are all above its index).
      acked.push(snapshotInFlight!);
      snapshotInFlight = undefined;
    }
  };
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop()!; // an unterminated line was not fully acknowledged
    lines.forEach(onLine);
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (signal === 'SIGKILL') resolve({ acked, inFlight, snapshotInFlight });
      else reject(new Error(`crash-writer exited with ${code ?? signal} before the kill: ${stderr}`));
    });
  });
}

/**
 * Kills the writer CRASH_ROUNDS times at random moments and checks after each kill that the log
 * loads, verified, with every acknowledged write and at most the writes in flight besides.
 */
async function crashRounds(dir: string, mode: SnapshotMode): Promise<void> {
  let model: LogModel = { snap: 0, tags: new Map() };
  let totalAcked = 0;
  let snapshotsCut = 0;
  for (let round = 1; round <= CRASH_ROUNDS; round++) {
    const killAfterMs = KILL_AFTER_MIN_MS + Math.floor(Math.random() * (KILL_AFTER_MAX_MS - KILL_AFTER_MIN_MS + 1));
    const { acked, inFlight, snapshotInFlight } = await runWriter(dir, round, killAfterMs, mode);
    totalAcked += acked.length;
    if (snapshotInFlight) snapshotsCut++;
    const ackedModel = acked.reduce((m, w) => apply(m, w, round), model);
    // Either may have reached the disk, in either order.
    const candidates = [ackedModel];
    if (inFlight) candidates.push(apply(ackedModel, inFlight, round));
    if (snapshotInFlight) candidates.push(...candidates.map((m) => apply(m, snapshotInFlight, round)));

    const log = await DurableLog.open(dir);
    try {
      const state = await log.load(); // throws CorruptStorageError on any inconsistency
      const recovered = modelOf(state);
      const context = `round ${round} (killed ${killAfterMs} ms after ready, ${acked.length} acks): recovered ${describeModel(recovered)}, acknowledged ${describeModel(ackedModel)}`;
      expect(candidates.some((m) => sameModel(recovered, m)), context).to.equal(true);
      if (state.snapshot) {
        expect(state.snapshot.data).to.have.length(crashSnapshotBytes(mode));
        expect(state.snapshot.data[crashSnapshotBytes(mode) - 1]).to.equal(snapshotData(recovered.snap, mode)[0]);
      }
      expect(state.hardState.commit).to.be.at.most(log.lastIndex);
      expect(log.lastIndex).to.equal(Math.max(recovered.snap, ...recovered.tags.keys()));
      model = recovered;
    } finally {
      await log.close();
    }
  }
  console.log(`      crash test (${mode}): ${CRASH_ROUNDS} kills (${snapshotsCut} during a snapshot write), ${totalAcked} acknowledged writes verified, final ${describeModel(model)}`);
  expect(totalAcked).to.be.greaterThan(0);
}

describe('DurableLog crash safety (SIGKILLed writer process)', function () {
  this.timeout(60_000);
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'bosun-durable-log-crash-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps every acknowledged write and a contiguous, valid log after each kill', async () => {
    await crashRounds(dir, 'batch');
  });

  it('keeps the previous snapshot loadable when a kill cuts a snapshot written in steps', async () => {
    await crashRounds(dir, 'steps');
  });
});
