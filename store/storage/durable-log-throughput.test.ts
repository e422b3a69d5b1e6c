import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { Entry, EntryType } from '../raft/types';
import { DurableLog } from './durable-log';

/** Entries written per measurement. */
const THROUGHPUT_ENTRIES = 2000;
/** Bytes of data per entry. */
const THROUGHPUT_ENTRY_BYTES = 256;
/** Entries per synced batch in the group-commit measurement. */
const GROUP_COMMIT_ENTRIES = 10;

async function measure(entriesPerSave: number): Promise<{ ms: number; saves: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'bosun-durable-log-bench-'));
  const log = await DurableLog.open(dir);
  try {
    await log.load();
    const data = new Uint8Array(THROUGHPUT_ENTRY_BYTES).fill(0x61);
    const start = process.hrtime.bigint();
    let saves = 0;
    for (let first = 1; first <= THROUGHPUT_ENTRIES; first += entriesPerSave) {
      const entries: Entry[] = [];
      for (let i = first; i < first + entriesPerSave && i <= THROUGHPUT_ENTRIES; i++) {
        entries.push({ index: i, term: 1, type: EntryType.Normal, data });
      }
      await log.save({ entries, hardState: { term: 1, vote: 1, commit: first - 1 } }, true);
      saves++;
    }
    return { ms: Number(process.hrtime.bigint() - start) / 1e6, saves };
  } finally {
    await log.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('DurableLog synced write throughput (measured, not asserted)', function () {
  this.timeout(120_000);

  it(`writes ${THROUGHPUT_ENTRIES} entries of ${THROUGHPUT_ENTRY_BYTES} B batched and one per save`, async () => {
    for (const perSave of [GROUP_COMMIT_ENTRIES, 1]) {
      const { ms, saves } = await measure(perSave);
      console.log(
        `      ${saves} synced saves × ${perSave} entries: ${ms.toFixed(0)} ms, ` +
          `${((saves / ms) * 1000).toFixed(0)} fsyncs/s, ${((THROUGHPUT_ENTRIES / ms) * 1000).toFixed(0)} entries/s, ` +
          `${(ms / saves).toFixed(2)} ms/save`,
      );
    }
  });
});
