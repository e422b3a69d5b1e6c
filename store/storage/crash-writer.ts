/**
 * Child process for the crash test (durable-log-crash.test.ts); not used in production.
 *
 *   node crash-writer.js <dir> <generation> [batch|steps]
 *
 * Opens the log in <dir>, loads it, prints "ready", then saves synced batches forever: mostly
 * appends, sometimes an overwrite of the last entries at a higher term (a new leader), and
 * sometimes a snapshot followed by a background compact(). Before each save it prints the
 * intent ("intent e <first> <last> <term>" or "intent s <index> <term>"), and "ack" once the
 * save() promise resolved, so the parent knows exactly which writes were acknowledged when it
 * SIGKILLs this process. Entry data is entryData(generation, index, term), see below.
 *
 * In "steps" mode snapshots are larger and written with saveSnapshotInSteps() while the
 * appends go on: the writer prints "snapshot <index>" when it starts one and "snapshot-ack
 * <index>" when it is stored, and appends never wait for it.
 */
import { Entry, EntryType } from '../raft/types';
import { DurableLog } from './durable-log';

/** Bytes of entry data written per entry. */
export const CRASH_ENTRY_BYTES = 256;
/** How the writer saves snapshots: in the Ready's batch, or in steps alongside the appends. */
export type SnapshotMode = 'batch' | 'steps';
/** Bytes of snapshot data: two 1 MiB chunks in a batch, eight in steps (so kills land mid-write). */
export function crashSnapshotBytes(mode: SnapshotMode): number {
  return mode === 'batch' ? 1536 * 1024 : 7680 * 1024;
}
/** Every this many batches, save a snapshot. */
const SNAPSHOT_EVERY_BATCHES = 25;
/** Every this many batches, overwrite the log's tail at a higher term. */
const OVERWRITE_EVERY_BATCHES = 7;
/** Entries overwritten or kept uncommitted at the tail. */
const UNCOMMITTED_TAIL_ENTRIES = 3;
/** Largest append batch, in entries. */
const MAX_APPEND_ENTRIES = 20;

/** The data of entry `index` at `term` written by writer `generation`: a tag, then padding. */
export function entryData(generation: number, index: number, term: number): Uint8Array {
  const data = new Uint8Array(CRASH_ENTRY_BYTES).fill(0x2e);
  data.set(Buffer.from(`${generation}:${index}:${term};`));
  return data;
}

/** The tag entryData() put in front of the padding. */
export function entryTag(data: Uint8Array): string {
  const text = Buffer.from(data).toString('latin1');
  return text.slice(0, text.indexOf(';'));
}

/** The snapshot data for a snapshot at `index`. */
export function snapshotData(index: number, mode: SnapshotMode): Uint8Array {
  return new Uint8Array(crashSnapshotBytes(mode)).fill(index % 251);
}

async function main(dir: string, generation: number, mode: SnapshotMode): Promise<void> {
  const log = await DurableLog.open(dir);
  const state = await log.load();
  const terms = new Map<number, number>(state.entries.map((e) => [e.index, e.term]));
  let term = Math.max(state.hardState.term, 1);
  let commit = state.hardState.commit;
  let snap = log.snapshotIndex;
  const println = (line: string) => process.stdout.write(`${line}\n`);
  let snapshotting = false;
  println('ready');
  for (let n = 1; ; n++) {
    const last = log.lastIndex;
    if (mode === 'steps' && !snapshotting && n % SNAPSHOT_EVERY_BATCHES === 0 && last - UNCOMMITTED_TAIL_ENTRIES > snap) {
      // The index is committed: appends never overwrite at or below it from here on.
      const index = last - UNCOMMITTED_TAIL_ENTRIES;
      const snapTerm = terms.get(index) ?? term;
      commit = Math.max(commit, index);
      snap = index;
      snapshotting = true;
      println(`snapshot ${index}`);
      const metadata = { index, term: snapTerm, confState: { voters: [1, 2, 3], learners: [] } };
      void log.saveSnapshotInSteps({ metadata, data: snapshotData(index, mode) }).then((stored) => {
        if (!stored) throw new Error(`snapshot ${index} was not stored`);
        println(`snapshot-ack ${index}`);
        snapshotting = false;
        return log.compact(index);
      });
    } else if (mode === 'batch' && n % SNAPSHOT_EVERY_BATCHES === 0 && last - UNCOMMITTED_TAIL_ENTRIES > snap) {
      const index = last - UNCOMMITTED_TAIL_ENTRIES;
      const snapTerm = terms.get(index) ?? term;
      commit = Math.max(commit, index);
      println(`intent s ${index} ${snapTerm}`);
      await log.save(
        {
          snapshot: { metadata: { index, term: snapTerm, confState: { voters: [1, 2, 3], learners: [] } }, data: snapshotData(index, mode) },
          entries: [],
          hardState: { term, vote: 1, commit },
        },
        true,
      );
      println('ack');
      snap = index;
      for (const i of terms.keys()) if (i <= index) terms.delete(i);
      void log.compact(index);
      continue;
    }
    const overwrite = n % OVERWRITE_EVERY_BATCHES === 0 && last - UNCOMMITTED_TAIL_ENTRIES + 1 > snap;
    const first = overwrite ? last - UNCOMMITTED_TAIL_ENTRIES + 1 : last + 1;
    const count = 1 + Math.floor(Math.random() * MAX_APPEND_ENTRIES);
    if (overwrite) term++;
    const entries: Entry[] = [];
    for (let i = first; i < first + count; i++) {
      entries.push({ index: i, term, type: EntryType.Normal, data: entryData(generation, i, term) });
      terms.set(i, term);
    }
    for (const i of terms.keys()) if (i >= first + count) terms.delete(i);
    commit = Math.max(commit, snap, first - 1 - UNCOMMITTED_TAIL_ENTRIES);
    println(`intent e ${first} ${first + count - 1} ${term}`);
    await log.save({ entries, hardState: { term, vote: 1, commit } }, true);
    println('ack');
  }
}

if (require.main === module) {
  main(process.argv[2], Number(process.argv[3]), process.argv[4] === 'steps' ? 'steps' : 'batch').catch((err: unknown) => {
    process.stderr.write(`crash-writer failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
}
