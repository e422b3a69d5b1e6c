import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'fs';
import { Level } from 'level';
import { tmpdir } from 'os';
import { join } from 'path';
import { Entry, EntryType, HardState, Snapshot } from '../raft/types';
import { CorruptStorageError } from './corrupt-storage-error';
import { COMPACT_BATCH_KEYS, DurableLog, SNAPSHOT_CHUNK_BYTES } from './durable-log';
import { CHUNK_RANGE, ENTRY_RANGE, HARD_STATE_KEY, LEGACY_CHUNK_RANGE, SNAPSHOT_META_KEY, chunkKey, entryIndexOfKey, entryKey, legacyChunkKey, metaKey } from './keys';
import { encodeChunk, encodeHardState, encodeSnapshotMeta } from './records';

function entries(first: number, last: number, term: number): Entry[] {
  const out: Entry[] = [];
  for (let i = first; i <= last; i++) {
    out.push({ index: i, term, type: i % 5 === 0 ? EntryType.ConfChange : EntryType.Normal, data: Buffer.from(`t${term}i${i}`) });
  }
  return out;
}

/** Entries as load() returns them: plain Uint8Array data, so chai compares structurally. */
function plain(es: Entry[]): Entry[] {
  return es.map((e) => ({ ...e, data: new Uint8Array(e.data) }));
}

function snapshot(index: number, term: number, data: Uint8Array): Snapshot {
  return { metadata: { index, term, confState: { voters: [1, 2, 3], learners: [4] } }, data };
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

describe('DurableLog', () => {
  let dir: string;
  let log: DurableLog | undefined;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'bosun-durable-log-'));
  });
  afterEach(async () => {
    await log?.close().catch(() => undefined);
    log = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  async function reopen(): Promise<DurableLog> {
    await log?.close();
    log = await DurableLog.open(dir);
    return log;
  }

  /** Runs fn against a raw LevelDB handle on the (closed) data directory. */
  async function raw(fn: (db: Level<Buffer, Buffer>) => Promise<void>): Promise<void> {
    await log?.close();
    log = undefined;
    const db = new Level<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
    await db.open();
    try {
      await fn(db);
    } finally {
      await db.close();
    }
  }

  async function storedEntryIndexes(): Promise<number[]> {
    const out: number[] = [];
    await raw(async (db) => {
      for (const key of await db.keys(ENTRY_RANGE).all()) out.push(entryIndexOfKey(key)!);
    });
    return out;
  }

  async function loadError(): Promise<CorruptStorageError> {
    const l = await reopen();
    const err = await rejection(l.load());
    expect(err).to.be.instanceOf(CorruptStorageError);
    expect(err.name).to.equal('CorruptStorageError');
    expect(err.message).to.contain(dir);
    return err as CorruptStorageError;
  }

  it('loads an empty state from a new directory', async () => {
    const l = await reopen();
    expect(await l.load()).to.deep.equal({ hardState: { term: 0, vote: 0, commit: 0 }, snapshot: undefined, entries: [], meta: {} });
    expect(l.lastIndex).to.equal(0);
  });

  it('round-trips hard state, entries, snapshot and meta across a reopen', async () => {
    let l = await reopen();
    const hs: HardState = { term: 3, vote: 2, commit: 12 };
    const snap = snapshot(10, 2, Buffer.from('state machine image'));
    await l.save({ snapshot: snap, entries: entries(11, 20, 3), hardState: hs }, true);
    await l.setMeta('cluster-id', Buffer.from('c-1'));
    await l.setMeta('member-id', Buffer.from([0, 0, 7]), false);
    l = await reopen();
    expect(l.lastIndex).to.equal(20);
    expect(l.snapshotIndex).to.equal(10);
    const state = await l.load();
    expect(state.hardState).to.deep.equal(hs);
    expect(state.snapshot).to.deep.equal({ ...snap, data: new Uint8Array(snap.data) });
    expect(state.entries).to.deep.equal(plain(entries(11, 20, 3)));
    expect(state.meta).to.deep.equal({ 'cluster-id': new Uint8Array(Buffer.from('c-1')), 'member-id': new Uint8Array([0, 0, 7]) });
  });

  it('round-trips indexes and terms above 2^32', async () => {
    let l = await reopen();
    const big = 2 ** 40;
    await l.save({ snapshot: snapshot(big, big, new Uint8Array(0)), entries: entries(big + 1, big + 3, big + 1), hardState: { term: big + 1, vote: 0, commit: big + 2 } }, true);
    l = await reopen();
    const state = await l.load();
    expect(state.entries.map((e) => [e.index, e.term])).to.deep.equal([[big + 1, big + 1], [big + 2, big + 1], [big + 3, big + 1]]);
  });

  it('deletes the persisted suffix when an append conflicts (a new leader overwrote it)', async () => {
    let l = await reopen();
    await l.save({ entries: entries(1, 10, 1), hardState: { term: 1, vote: 1, commit: 3 } }, true);
    await l.save({ entries: entries(6, 7, 2), hardState: { term: 2, vote: 2, commit: 3 } }, true);
    expect(l.lastIndex).to.equal(7);
    l = await reopen();
    expect(l.lastIndex).to.equal(7);
    expect((await l.load()).entries).to.deep.equal(plain([...entries(1, 5, 1), ...entries(6, 7, 2)]));
    expect(await storedEntryIndexes()).to.deep.equal([1, 2, 3, 4, 5, 6, 7]);
  });

  it('rejects an append that would leave a gap, and non-contiguous entries', async () => {
    const l = await reopen();
    await l.save({ entries: entries(1, 3, 1) }, true);
    expect(await rejection(l.save({ entries: entries(5, 6, 1) }, true))).to.be.instanceOf(RangeError);
    const holes = [...entries(4, 4, 1), ...entries(6, 6, 1)];
    expect(await rejection(l.save({ entries: holes }, true))).to.be.instanceOf(RangeError);
    expect(l.lastIndex).to.equal(3);
  });

  it('keeps entries after a snapshot whose term matches the stored entry, and compacts only up to it', async () => {
    let l = await reopen();
    await l.save({ entries: entries(1, 10, 1), hardState: { term: 1, vote: 1, commit: 8 } }, true);
    await l.save({ snapshot: snapshot(5, 1, Buffer.from('s5')), entries: [] }, true);
    expect((await l.load()).entries).to.deep.equal(plain(entries(6, 10, 1)));
    await l.compact(100);
    expect(await storedEntryIndexes()).to.deep.equal([6, 7, 8, 9, 10]);
    l = await reopen();
    const state = await l.load();
    expect(state.snapshot?.metadata.index).to.equal(5);
    expect(state.entries).to.deep.equal(plain(entries(6, 10, 1)));
  });

  it('drops the whole log for a snapshot whose term differs, keeping the entries in its batch', async () => {
    let l = await reopen();
    await l.save({ entries: entries(1, 10, 1), hardState: { term: 1, vote: 1, commit: 2 } }, true);
    await l.save({ snapshot: snapshot(8, 2, Buffer.from('s8')), entries: entries(9, 9, 2), hardState: { term: 2, vote: 0, commit: 8 } }, true);
    expect(l.lastIndex).to.equal(9);
    l = await reopen();
    expect((await l.load()).entries).to.deep.equal(plain(entries(9, 9, 2)));
    expect(await storedEntryIndexes()).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8, 9]); // 1..8 dead until compact
    l = await reopen();
    await l.compact(8);
    expect(await storedEntryIndexes()).to.deep.equal([9]);
  });

  it('accepts a snapshot beyond the log, ignores entries it covers, and rejects an older snapshot', async () => {
    const l = await reopen();
    await l.save({ entries: entries(1, 3, 1) }, true);
    await l.save({ snapshot: snapshot(100, 4, new Uint8Array([1])), entries: [] }, true);
    expect(l.lastIndex).to.equal(100);
    await l.save({ entries: [...entries(99, 100, 4), ...entries(101, 102, 4)] }, true);
    expect((await l.load()).entries).to.deep.equal(plain(entries(101, 102, 4)));
    expect(await rejection(l.save({ snapshot: snapshot(50, 4, new Uint8Array(0)), entries: [] }, true))).to.be.instanceOf(RangeError);
  });

  it('compacts in bounded batches while saves continue', async () => {
    let l = await reopen();
    const total = 2 * COMPACT_BATCH_KEYS + 500;
    await l.save({ entries: entries(1, total, 1) }, false);
    await l.save({ snapshot: snapshot(total - 100, 1, new Uint8Array(0)), entries: [] }, true);
    const compacting = l.compact(total);
    await l.save({ entries: entries(total + 1, total + 10, 1) }, true);
    await compacting;
    const stored = await storedEntryIndexes();
    expect(stored[0]).to.equal(total - 99);
    expect(stored).to.have.length(110);
    l = await reopen();
    expect((await l.load()).entries).to.have.length(110);
  });

  it('stores snapshot data in 1 MiB chunks and drops stale chunks of a replaced snapshot', async () => {
    let l = await reopen();
    const data = new Uint8Array(3 * SNAPSHOT_CHUNK_BYTES + 12345);
    for (let i = 0; i < data.length; i++) data[i] = (i * 31 + (i >> 13)) & 0xff;
    await l.save({ snapshot: snapshot(7, 1, data), entries: [] }, true);
    l = await reopen();
    expect((await l.load()).snapshot).to.deep.equal(snapshot(7, 1, data));
    let chunks = 0;
    await raw(async (db) => {
      chunks = (await db.keys(CHUNK_RANGE).all()).length;
    });
    expect(chunks).to.equal(4);
    l = await reopen();
    await l.save({ snapshot: snapshot(9, 1, new Uint8Array([9, 9])), entries: [] }, true);
    await raw(async (db) => {
      chunks = (await db.keys(CHUNK_RANGE).all()).length;
    });
    expect(chunks).to.equal(1);
    l = await reopen();
    expect((await l.load()).snapshot).to.deep.equal(snapshot(9, 1, new Uint8Array([9, 9])));
  });

  /** Snapshot data of `bytes` bytes whose every chunk differs. */
  function patterned(bytes: number, seed: number): Uint8Array {
    const data = new Uint8Array(bytes);
    for (let i = 0; i < data.length; i++) data[i] = (i * 31 + (i >> 13) + seed) & 0xff;
    return data;
  }

  async function chunkKeys(): Promise<Buffer[]> {
    let keys: Buffer[] = [];
    await raw(async (db) => {
      keys = [...(await db.keys(CHUNK_RANGE).all()), ...(await db.keys(LEGACY_CHUNK_RANGE).all())];
    });
    return keys;
  }

  describe('saveSnapshotInSteps', () => {
    it('writes a chunk per step, lets saves in between, and switches to the snapshot at the end', async () => {
      let l = await reopen();
      await l.save({ snapshot: snapshot(3, 1, patterned(2 * SNAPSHOT_CHUNK_BYTES, 1)), entries: entries(4, 20, 1) }, true);
      const data = patterned(4 * SNAPSHOT_CHUNK_BYTES + 7, 2);
      const order: string[] = [];
      const stepped = l.saveSnapshotInSteps(snapshot(15, 1, data)).then((stored) => {
        order.push(`snapshot ${stored}`);
      });
      // Issued after the snapshot started: it must not wait for all of its chunks.
      await l.save({ entries: entries(21, 22, 1) }, false).then(() => order.push('append'));
      expect(l.snapshotIndex, 'switched before the append').to.equal(3);
      await stepped;
      expect(order).to.deep.equal(['append', 'snapshot true']);
      expect(l.snapshotIndex).to.equal(15);
      l = await reopen();
      const state = await l.load();
      expect(state.snapshot).to.deep.equal(snapshot(15, 1, data));
      expect(state.entries.map((e) => e.index)).to.deep.equal([16, 17, 18, 19, 20, 21, 22]);
      expect(await chunkKeys(), 'only the new snapshot\'s chunks').to.have.length(5);
    });

    it('gives up when a snapshot from the leader was saved meanwhile, leaving no chunks of its own', async () => {
      let l = await reopen();
      await l.save({ entries: entries(1, 30, 1), hardState: { term: 1, vote: 1, commit: 30 } }, true);
      const stepped = l.saveSnapshotInSteps(snapshot(10, 1, patterned(3 * SNAPSHOT_CHUNK_BYTES, 3)));
      const leaders = snapshot(25, 1, patterned(10, 4));
      await l.save({ snapshot: leaders, entries: [] }, true);
      expect(await stepped).to.equal(false);
      l = await reopen();
      expect((await l.load()).snapshot).to.deep.equal(leaders);
      expect(await chunkKeys()).to.have.length(1);
    });

    it('gives up when aborted, keeping the previous snapshot', async () => {
      let l = await reopen();
      const before = snapshot(2, 1, patterned(100, 5));
      await l.save({ snapshot: before, entries: entries(3, 9, 1) }, true);
      const stop = new AbortController();
      const stepped = l.saveSnapshotInSteps(snapshot(8, 1, patterned(3 * SNAPSHOT_CHUNK_BYTES, 6)), stop.signal);
      stop.abort();
      expect(await stepped).to.equal(false);
      l = await reopen();
      expect((await l.load()).snapshot).to.deep.equal(before);
    });

    it('ignores the chunks of a snapshot a crash interrupted, and open() deletes them', async () => {
      let l = await reopen();
      const stored = snapshot(2, 1, patterned(SNAPSHOT_CHUNK_BYTES + 1, 7));
      await l.save({ snapshot: stored, entries: entries(3, 9, 1) }, true);
      await raw(async (db) => {
        // What a crash after two chunk steps of a snapshot at 8 leaves.
        for (const c of [0, 1]) await db.put(chunkKey(8, c), encodeChunk(8, c, new Uint8Array(SNAPSHOT_CHUNK_BYTES)));
      });
      l = await reopen();
      expect((await l.load()).snapshot).to.deep.equal(stored);
      expect(await chunkKeys()).to.have.length(2);
    });

    it('reads a data directory with chunk keys of the older layout and replaces them', async () => {
      const old = patterned(SNAPSHOT_CHUNK_BYTES + 99, 8);
      const meta = { index: 4, term: 2, confState: { voters: [1, 2, 3], learners: [4] } };
      let l = await reopen();
      await l.save({ entries: entries(1, 12, 2) }, true);
      await raw(async (db) => {
        await db.put(legacyChunkKey(0), encodeChunk(4, 0, old.subarray(0, SNAPSHOT_CHUNK_BYTES)));
        await db.put(legacyChunkKey(1), encodeChunk(4, 1, old.subarray(SNAPSHOT_CHUNK_BYTES)));
        await db.put(SNAPSHOT_META_KEY, encodeSnapshotMeta({ metadata: meta, dataBytes: old.length, chunks: 2 }));
      });
      l = await reopen();
      expect((await l.load()).snapshot).to.deep.equal({ metadata: meta, data: old });
      const next = snapshot(10, 2, patterned(50, 9));
      expect(await l.saveSnapshotInSteps(next)).to.equal(true);
      l = await reopen();
      expect((await l.load()).snapshot).to.deep.equal(next);
      const keys = await chunkKeys();
      expect(keys).to.have.length(1);
      expect(keys[0].equals(chunkKey(10, 0))).to.equal(true);
    });
  });

  describe('corruption', () => {
    beforeEach(async () => {
      const l = await reopen();
      await l.save({ snapshot: snapshot(2, 1, new Uint8Array(SNAPSHOT_CHUNK_BYTES + 10)), entries: entries(3, 10, 1), hardState: { term: 1, vote: 1, commit: 9 } }, true);
      await l.setMeta('cluster-id', Buffer.from('c-1'));
    });

    it('detects a flipped byte in an entry', async () => {
      await raw(async (db) => {
        const value = (await db.get(entryKey(5)))!;
        value[value.length - 1] ^= 0x01;
        await db.put(entryKey(5), value);
      });
      const err = await loadError();
      expect(err.message).to.contain('entry 5').and.to.contain('checksum mismatch');
      expect(err.record).to.equal('entry 5');
    });

    it('detects a missing middle entry', async () => {
      await raw((db) => db.del(entryKey(6)));
      expect((await loadError()).message).to.contain('entry 7').and.to.contain('gap after 5: next is 7');
    });

    it('detects a missing first entry after the snapshot', async () => {
      await raw((db) => db.del(entryKey(3)));
      expect((await loadError()).message).to.contain('gap after 2: next is 4');
    });

    it('detects a commit index beyond the log', async () => {
      await raw((db) => db.put(HARD_STATE_KEY, encodeHardState({ term: 1, vote: 1, commit: 11 })));
      expect((await loadError()).message).to.contain('hard state').and.to.contain('commit 11 is beyond the last index 10');
    });

    it('detects a truncated entry record', async () => {
      await raw(async (db) => db.put(entryKey(4), (await db.get(entryKey(4)))!.subarray(0, 6)));
      expect((await loadError()).message).to.contain('entry 4').and.to.contain('truncated record');
    });

    it('detects an entry record copied under another index', async () => {
      await raw(async (db) => db.put(entryKey(8), (await db.get(entryKey(7)))!));
      expect((await loadError()).message).to.contain('entry 8').and.to.contain('checksum mismatch');
    });

    it('detects a corrupt or missing snapshot chunk', async () => {
      await raw(async (db) => {
        const value = (await db.get(chunkKey(2, 1)))!;
        value[20] ^= 0xff;
        await db.put(chunkKey(2, 1), value);
      });
      expect((await loadError()).message).to.contain('snapshot chunk 1').and.to.contain('checksum mismatch');
      await raw((db) => db.del(chunkKey(2, 1)));
      expect((await loadError()).message).to.contain('snapshot data').and.to.contain('1 of 2 chunks');
    });

    it('detects a corrupt meta record', async () => {
      await raw(async (db) => db.put(metaKey('cluster-id'), Buffer.from('garbage')));
      expect((await loadError()).message).to.contain('meta cluster-id').and.to.contain('checksum mismatch');
    });
  });
});
