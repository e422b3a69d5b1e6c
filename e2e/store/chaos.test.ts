import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LocalStoreCluster, memberHashKv, memberStatus } from '../../lib/launcher/store-cluster';
import { ClusterControl, KILL_LEADER_THEN_FOLLOWER, runChaosWorkload } from '../support/chaos-workload';

/** ClusterControl over real `bosun store` processes on loopback. */
function processControl(cluster: LocalStoreCluster): ClusterControl {
  return {
    endpoints: cluster.endpoints,
    kill: (i) => cluster.members[i].kill('SIGKILL'),
    start: async (i) => cluster.members[i].start(),
    leaderIndex: async () => {
      const leader = await cluster.leader();
      return leader ? cluster.members.indexOf(leader) : undefined;
    },
  };
}

/** Waits until every member reports the same applied revision and the same HashKV. */
async function waitConverged(cluster: LocalStoreCluster, timeoutMs: number): Promise<{ revision: number; hash: number }> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    try {
      const statuses = await Promise.all(cluster.endpoints.map((e) => memberStatus(e, 2000)));
      const revisions = statuses.map((s) => s.header?.revision ?? 0);
      const applied = statuses.map((s) => s.raftAppliedIndex);
      if (new Set(revisions).size === 1 && new Set(applied).size === 1) {
        const hashes = await Promise.all(cluster.endpoints.map((e) => memberHashKv(e, revisions[0])));
        if (new Set(hashes.map((h) => h.hash)).size === 1) return { revision: revisions[0], hash: hashes[0].hash };
        last = `hashes differ at revision ${revisions[0]}: ${hashes.map((h) => h.hash).join(', ')}`;
      } else {
        last = `revisions ${revisions.join(', ')}, applied ${applied.join(', ')}`;
      }
    } catch (err) {
      last = String(err);
    }
    if (Date.now() > deadline) throw new Error(`members did not converge: ${last}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('store chaos: 3 real members, kill -9 and restart under load', function () {
  this.timeout(180_000);
  let dir: string;
  let cluster: LocalStoreCluster;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bosun-chaos-'));
    // A small snapshot count so restarts also exercise snapshots and log compaction.
    cluster = await LocalStoreCluster.create({ members: 3, dir, insecure: true, extraArgs: ['--snapshot-count', '300'] });
    cluster.startAll();
    await cluster.waitReady();
  });

  after(async () => {
    await cluster?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('loses no acknowledged write and stays linearizable while the leader and a follower are killed and restarted', async () => {
    const lines: string[] = [];
    const report = await runChaosWorkload(processControl(cluster), {
      clients: 6,
      keys: 4,
      maxOpsPerClient: 2000,
      maxDurationMs: 30_000,
      requestTimeoutMs: 3000,
      faults: KILL_LEADER_THEN_FOLLOWER,
      prefix: 'chaos/',
      log: (l) => lines.push(l),
    });
    const summary = `faults: ${report.faultsRun.join('; ')}; ops ok=${report.counts.ok} failed=${report.counts.failed} unknown=${report.counts.unknown}; unique writes acknowledged=${report.acknowledged.length}`;
    console.log(`      ${summary}`);
    expect(report.faultsRun.filter((f) => /^kill-\w+ #\d$/.test(f)).length, summary).to.be.greaterThanOrEqual(3);
    expect(report.counts.ok, 'the cluster served requests').to.be.greaterThan(200);
    expect(report.lost, `acknowledged writes lost (${summary})`).to.deep.equal([]);
    if (report.linearizability.ok !== true) {
      const detail = report.linearizability.ok === false ? `${report.linearizability.reason}\n${report.linearizability.window}` : report.linearizability.reason;
      expect.fail(`history is not linearizable: ${detail}`);
    }
    const converged = await waitConverged(cluster, 30_000);
    expect(converged.revision).to.be.greaterThan(1);
  });
});
