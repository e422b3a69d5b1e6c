import { expect } from 'chai';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { LocalStoreCluster, LocalStoreMember, memberStatus } from '../../lib/launcher/store-cluster';
import { StoreClient } from '../../store/client/store-client';

const run = promisify(execFile);

/** Runs etcdctl against the given endpoints and returns stdout. */
async function etcdctl(endpoints: string[], ...args: string[]): Promise<string> {
  const { stdout } = await run('etcdctl', ['--endpoints', endpoints.join(','), '--command-timeout=10s', ...args], {
    env: { ...process.env, ETCDCTL_API: '3' },
    timeout: 30_000,
  });
  return stdout;
}

async function eventually<T>(what: string, fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (ok(v)) return v;
      last = v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what}: still ${last instanceof Error ? last.message : JSON.stringify(last)}`);
}

describe('store membership through etcdctl: add, join, promote, remove', function () {
  this.timeout(180_000);
  let dir: string;
  let cluster: LocalStoreCluster;
  const original = () => cluster.members.slice(0, 3).map((m) => m.endpoint);

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bosun-members-'));
    cluster = await LocalStoreCluster.create({ members: 3, dir, insecure: true, extraArgs: ['--snapshot-count', '100'] });
    cluster.startAll();
    await cluster.waitReady();
    // Enough entries for a snapshot (--snapshot-count 100), so joining members get one; written
    // through the client library (300 etcdctl processes took half a minute on a loaded machine).
    const client = new StoreClient({ endpoints: original() });
    try {
      for (let i = 0; i < 300; i += 50) {
        await Promise.all(Array.from({ length: 50 }, (_, j) => client.put(`data/${i + j}`, `v${i + j}`)));
      }
    } finally {
      client.close();
    }
  });

  after(async () => {
    await cluster?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Adds a member with etcdctl, starts its process, and waits until it serves the data. */
  async function addAndStart(name: string, learner: boolean): Promise<{ m: LocalStoreMember; id: string }> {
    const m = await cluster.joiningMember(name);
    // Like etcd, the cluster refuses membership changes until every voter has been connected
    // for 5 s ("unhealthy cluster"): retry until it accepts.
    const out = await eventually(
      `member add ${name}`,
      () => etcdctl(original(), 'member', 'add', name, `--peer-urls=${m.peerUrl}`, ...(learner ? ['--learner'] : [])),
      () => true,
    );
    const id = /Member\s+([0-9a-f]+) added to cluster/.exec(out)?.[1];
    expect(id, out).to.be.a('string');
    expect(out).to.contain(`ETCD_INITIAL_CLUSTER_STATE="existing"`);
    m.start();
    // The new member catches up through a snapshot plus the log and serves local reads.
    await eventually(`${name} serves the data`, () => etcdctl([m.endpoint], 'get', 'data/299', '--print-value-only', '--consistency=s'), (v) => v.trim() === 'v299');
    return { m, id: id! };
  }

  it('adds a voting member that joins with --initial-cluster-state existing and receives the data', async () => {
    const { m, id } = await addAndStart('store-4', false);
    const list = await eventually('member list shows store-4 started', () => etcdctl(original(), 'member', 'list'), (v) => v.includes(`${id}, started, store-4, ${m.peerUrl}, http://127.0.0.1:${m.clientPort}, false`));
    expect(list.trim().split('\n')).to.have.length(4);
    // Writes through the new member are committed by the 4-member quorum.
    await etcdctl([m.endpoint], 'put', 'via-store-4', 'yes');
    expect((await etcdctl(original(), 'get', 'via-store-4', '--print-value-only')).trim()).to.equal('yes');
    // With one original member down, 3 of 4 still form a quorum.
    await cluster.members[0].kill('SIGKILL');
    await eventually('writes continue with 3 of 4 members', () => etcdctl([m.endpoint, cluster.members[1].endpoint], 'put', 'three-of-four', 'ok'), (v) => v.trim() === 'OK');
    cluster.members[0].start();
    await eventually('store-1 back', () => memberStatus(cluster.members[0].endpoint), (s) => s.leader !== 0);
  });

  it('removes a member: it leaves the list and its process stops by itself', async () => {
    const m = cluster.members[3];
    const id = (await memberStatus(m.endpoint)).header!.memberId.toString(16);
    // A member that restarted moments ago (store-1, above) refuses reconfiguration until its
    // peers have been connected for 5 s, like etcd: retry until the cluster accepts.
    const out = await eventually(`member remove ${id}`, () => etcdctl(original(), 'member', 'remove', id), () => true);
    expect(out).to.match(new RegExp(`Member\\s+${id} removed from cluster`));
    const list = await etcdctl(original(), 'member', 'list');
    expect(list).not.to.contain('store-4');
    await eventually('removed member process exits', async () => m.isRunning(), (running) => !running);
    cluster.members.splice(3, 1);
    // When the removed member led, the other three elect a new leader first (etcd answers
    // writes with "request timed out" meanwhile too): wait until all three follow one.
    const removed = BigInt(`0x${id}`);
    await eventually(
      'one leader among the remaining members',
      async () => Promise.all(original().map((e) => memberStatus(e))),
      (ss) => ss.every((st) => st.leader !== 0 && BigInt(st.leader) !== removed && st.leader === ss[0]!.leader),
    );
    expect((await etcdctl(original(), 'put', 'after-remove', 'ok')).trim()).to.equal('OK');
  });

  it('adds a learner, which receives the data without voting, then promotes it', async () => {
    const { m, id } = await addAndStart('store-5', true);
    const list = await eventually('learner listed', () => etcdctl(original(), 'member', 'list'), (v) => v.includes(`${id}, started, store-5`));
    expect(list).to.contain(`store-5, ${m.peerUrl}, http://127.0.0.1:${m.clientPort}, true`);
    const promoted = await etcdctl(original(), 'member', 'promote', id);
    expect(promoted).to.match(new RegExp(`Member\\s+${id} promoted in cluster`));
    const after = await etcdctl(original(), 'member', 'list');
    expect(after).to.contain(`store-5, ${m.peerUrl}, http://127.0.0.1:${m.clientPort}, false`);
  });

  it('refuses bad membership requests with etcd errors', async () => {
    const bad = await run('etcdctl', ['--endpoints', original().join(','), 'member', 'remove', 'abcdef'], { env: { ...process.env, ETCDCTL_API: '3' } }).then(
      () => '',
      (err: { stderr: string }) => err.stderr,
    );
    expect(bad).to.contain('etcdserver: member not found');
    const dup = await run('etcdctl', ['--endpoints', original().join(','), 'member', 'add', 'again', `--peer-urls=${cluster.members[1].peerUrl}`], { env: { ...process.env, ETCDCTL_API: '3' } }).then(
      () => '',
      (err: { stderr: string }) => err.stderr,
    );
    expect(dup).to.contain('etcdserver: Peer URLs already exists');
    const notLearner = await run('etcdctl', ['--endpoints', original().join(','), 'member', 'promote', (await memberStatus(original()[0])).header!.memberId.toString(16)], { env: { ...process.env, ETCDCTL_API: '3' } }).then(
      () => '',
      (err: { stderr: string }) => err.stderr,
    );
    expect(notLearner).to.contain('etcdserver: can only promote a learner member');
  });
});
