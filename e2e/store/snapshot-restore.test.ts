import { expect } from 'chai';
import { StoreWriteLoad } from '../support/store-write-load';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { BOSUN_BIN, LocalStoreCluster, memberHashKv } from '../../lib/launcher/store-cluster';
import { StoreClient } from '../../store/client/store-client';
import { etcdctlAvailable, runEtcdctl } from './etcdctl-runner';

const run = promisify(execFile);
/** Concurrent writers while the snapshot is taken. */
const WRITERS = 4;
/** Keys each writer cycles over, so keys get several revisions (and some are deleted). */
const KEYS_PER_WRITER = 40;
/** Acknowledged writes before the snapshot is taken. */
const WRITES_BEFORE_SAVE = 300;
/** Starting three members on a loaded machine. */
const CLUSTER_START_MS = 60_000;
const PREFIX = 'snap/';

/** Puts, overwrites and deletes under PREFIX until stopped; counts the acknowledged puts in `counts` (each made a revision). */
function writeLoad(endpoints: string[], counts: { puts: number }): StoreWriteLoad {
  return new StoreWriteLoad(
    endpoints,
    WRITERS,
    async (client, w, i) => {
      const key = `${PREFIX}${w}/${i % KEYS_PER_WRITER}`;
      if (i % 7 === 6) await client.delete(key);
      else {
        await client.put(key, `value-${w}-${i}`);
        counts.puts++;
      }
    },
    { requestTimeoutMs: 5000 },
  );
}

async function until(what: string, cond: () => boolean, limitMs: number): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Every key-value under PREFIX as comparable plain records. */
async function dump(client: StoreClient, revision?: number): Promise<{ revision: number; kvs: object[] }> {
  const res = await client.get(PREFIX, { prefix: true, revision, serializable: false });
  return {
    revision: res.revision,
    kvs: res.kvs.map((kv) => ({
      key: Buffer.from(kv.key).toString(),
      value: Buffer.from(kv.value).toString(),
      createRevision: kv.createRevision,
      modRevision: kv.modRevision,
      version: kv.version,
      lease: kv.lease,
    })),
  };
}

describe('store backup: etcdctl snapshot save from a live cluster under writes, bosun store restore into a new cluster', function () {
  this.timeout(300_000);
  let dir: string;
  let source: LocalStoreCluster;
  let restored: LocalStoreCluster | undefined;

  before(async function () {
    if (!etcdctlAvailable()) this.skip();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bosun-backup-'));
    source = await LocalStoreCluster.create({ members: 3, dir: path.join(dir, 'source'), insecure: true });
    source.startAll();
    await source.waitReady(undefined, CLUSTER_START_MS);
  });

  after(async () => {
    await source?.stop();
    await restored?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('the new cluster holds every key, value and revision of the snapshot and continues from its revision', async () => {
    const file = path.join(dir, 'backup.db');
    const counts = { puts: 0 };
    const load = writeLoad(source.endpoints, counts);
    let saved;
    let putsBeforeSave = 0;
    try {
      await until(`${WRITES_BEFORE_SAVE} writes`, () => load.acknowledged >= WRITES_BEFORE_SAVE, 60_000);
      putsBeforeSave = counts.puts;
      // etcdctl talks to one member (it refuses several for a snapshot) and writes FILE.part, then renames.
      saved = await runEtcdctl([source.endpoints[1]], ['snapshot', 'save', file], { killAfterMs: 60_000 });
      // More writes after the save: the backup must not see them.
      const after = load.acknowledged;
      await until('writes after the save', () => load.acknowledged > after + 50, 60_000);
    } finally {
      await load.stop();
    }
    expect(saved.code, `etcdctl snapshot save failed: ${saved.stderr}`).to.equal(0);
    expect(saved.stdout).to.contain(`Snapshot saved at ${file}`);
    expect(fs.existsSync(`${file}.part`)).to.equal(false);

    // A fresh cluster: new ports, new token, data directories made by `bosun store restore`.
    restored = await LocalStoreCluster.create({ members: 3, dir: path.join(dir, 'restored'), token: 'bosun-restored', insecure: true });
    const initialCluster = restored.members.map((m) => `${m.name}=${m.peerUrl}`).join(',');
    for (const m of restored.members) {
      const { stdout } = await run(process.execPath, [
        BOSUN_BIN, 'store', 'restore', file,
        '--name', m.name,
        '--data-dir', m.dataDir,
        '--initial-cluster', initialCluster,
        '--initial-cluster-token', 'bosun-restored',
        '--initial-advertise-peer-urls', m.peerUrl,
      ]);
      expect(stdout).to.match(/^restored store-\d \(member [0-9a-f]+\) at revision \d+/);
    }
    restored.startAll();
    await restored.waitReady(undefined, CLUSTER_START_MS);

    const newClient = new StoreClient({ endpoints: restored.endpoints });
    const oldClient = new StoreClient({ endpoints: source.endpoints });
    try {
      const got = await dump(newClient);
      expect(got.revision, 'the backup saw the puts acknowledged before the save').to.be.greaterThan(putsBeforeSave);
      expect(got.kvs.length).to.be.greaterThan(0);
      // The source cluster at the backup's revision is exactly what the new cluster holds.
      const expected = await dump(oldClient, got.revision);
      expect(got.kvs).to.deep.equal(expected.kvs);
      expect((await dump(oldClient)).revision, 'the source moved on after the save').to.be.greaterThan(got.revision);
      // Older revisions retained in the backup read alike too.
      const older = Math.max(2, got.revision - 100);
      expect((await dump(newClient, older)).kvs).to.deep.equal((await dump(oldClient, older)).kvs);
      // Every member of the new cluster holds the same state, and writes continue from the backup's revision.
      const hashes = await Promise.all(restored.endpoints.map((e) => memberHashKv(e, got.revision)));
      expect(new Set(hashes.map((h) => h.hash)).size).to.equal(1);
      const put = await newClient.put(`${PREFIX}after-restore`, 'x');
      expect(put.revision).to.equal(got.revision + 1);
    } finally {
      newClient.close();
      oldClient.close();
    }
  });

  it('refuses a damaged file and an existing data directory with clear errors', async () => {
    const file = path.join(dir, 'backup.db');
    const damaged = path.join(dir, 'damaged.db');
    const bytes = fs.readFileSync(file);
    bytes[Math.floor(bytes.length / 2)] ^= 0xff;
    fs.writeFileSync(damaged, bytes);
    const args = (f: string, dataDir: string) => [BOSUN_BIN, 'store', 'restore', f, '--name', 'x', '--data-dir', dataDir, '--initial-advertise-peer-urls', 'http://127.0.0.1:1'];
    const bad = await run(process.execPath, args(damaged, path.join(dir, 'x1'))).then(
      () => undefined,
      (err: { code: number; stderr: string }) => err,
    );
    expect(bad?.code).to.equal(2);
    expect(bad?.stderr).to.contain('SHA-256 checksum mismatch');
    const existing = source.members[0].dataDir;
    const busy = await run(process.execPath, args(file, existing)).then(
      () => undefined,
      (err: { code: number; stderr: string }) => err,
    );
    expect(busy?.code).to.equal(2);
    expect(busy?.stderr).to.contain('already holds a store');
  });
});
