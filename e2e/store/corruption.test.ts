import { expect } from 'chai';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { Level } from 'level';
import { LocalStoreCluster } from '../../lib/launcher/store-cluster';
import { ENTRY_RANGE } from '../../store/storage/keys';

const run = promisify(execFile);

/** Waits for a member process to exit and returns its exit info. */
async function exitOf(m: LocalStoreCluster['members'][number], timeoutMs: number): Promise<{ code: number | null }> {
  const deadline = Date.now() + timeoutMs;
  while (!m.exitInfo) {
    if (Date.now() > deadline) throw new Error(`${m.name} still running`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return m.exitInfo;
}

describe('store member with corrupt data: detected and reported, never silently accepted', function () {
  this.timeout(120_000);
  let dir: string;
  let cluster: LocalStoreCluster;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bosun-corrupt-'));
    cluster = await LocalStoreCluster.create({ members: 3, dir, insecure: true });
    cluster.startAll();
    await cluster.waitReady();
    const env = { ...process.env, ETCDCTL_API: '3' };
    for (let i = 0; i < 20; i++) await run('etcdctl', ['--endpoints', cluster.endpoints.join(','), 'put', `k${i}`, `v${i}`], { env });
  });

  after(async () => {
    await cluster?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a flipped byte in a log entry stops the member at start with a message naming the directory and the entry', async () => {
    const victim = cluster.members[2];
    await victim.kill('SIGTERM');
    const raftDir = path.join(victim.dataDir, 'raft');
    const db = new Level<Buffer, Buffer>(raftDir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
    let corrupted = '';
    for await (const [key, value] of db.iterator({ ...ENTRY_RANGE, limit: 3 })) {
      const flipped = Buffer.from(value);
      flipped[flipped.length - 1] ^= 0xff;
      await db.put(key, flipped);
      corrupted = key.readUIntBE(3, 6).toString();
    }
    await db.close();
    expect(corrupted).not.to.equal('');
    victim.start();
    const exit = await exitOf(victim, 30_000);
    expect(exit.code).to.equal(1);
    const log = fs.readFileSync(victim.logFile, 'utf8');
    expect(log).to.contain(`raft storage in ${raftDir} is corrupt: entry `);
    expect(log).to.match(/is corrupt: entry \d+: checksum mismatch/);
    // The rest of the cluster carries on.
    const env = { ...process.env, ETCDCTL_API: '3' };
    const out = await run('etcdctl', ['--endpoints', cluster.endpoints.slice(0, 2).join(','), 'get', 'k19', '--print-value-only'], { env });
    expect(out.stdout.trim()).to.equal('v19');
  });
});
