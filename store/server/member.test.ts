import { expect } from 'chai';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import pino from 'pino';
import { PutResponse, RangeRequest } from '../../gen/etcd/rpc';
import { ErrStopped } from '../errors';
import type { DurableLog } from '../storage/durable-log';
import { MemberConfig } from './member-config';
import { StoreMember } from './member';

const silent = pino({ level: 'silent' });
/** Few entries between snapshots, so a short test sees the loop take one. */
const SNAPSHOT_COUNT = 20;
/** Bound on every wait for a condition below. */
const WAIT_MS = 10_000;

/** A one-member cluster in `dataDir` (no peers: nothing is dialed or served). */
function singleMemberConfig(dataDir: string): MemberConfig {
  const peer = 'http://127.0.0.1:1';
  return {
    name: 'solo',
    dataDir,
    listenClientUrls: ['http://127.0.0.1:2'],
    advertiseClientUrls: ['http://127.0.0.1:2'],
    listenPeerUrls: [peer],
    initialAdvertisePeerUrls: [peer],
    initialCluster: [{ name: 'solo', peerUrls: [peer] }],
    initialClusterState: 'new',
    initialClusterToken: 'member-test',
    snapshotCount: SNAPSHOT_COUNT,
    tickIntervalMs: 10,
    electionTicks: 10,
  };
}

/** Resolves once `cond` holds, checked on every turn of the event loop; fails after WAIT_MS. */
async function until(what: string, cond: () => boolean): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

function put(member: StoreMember, key: string, value: string): Promise<PutResponse> {
  return member
    .propose({ put: { key: Buffer.from(key), value: Buffer.from(value), lease: 0, prevKv: false, ignoreValue: false, ignoreLease: false } })
    .then((r) => {
      if (r.error) throw r.error;
      return r.response as PutResponse;
    });
}

function get(member: StoreMember, key: string): string | undefined {
  return member.sm.range(RangeRequest.fromPartial({ key: Buffer.from(key) })).kvs[0]?.value.toString();
}

describe('StoreMember (one member, real LevelDB)', function () {
  this.timeout(60_000);
  let dir: string;
  let member: StoreMember | undefined;

  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'bosun-member-'));
  });

  afterEach(async () => {
    await member?.stop();
    member = undefined;
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('answers proposals once applied, snapshots its applied state, and restarts from disk', async () => {
    member = await StoreMember.start(singleMemberConfig(dir), silent);
    await member.ready;
    const writes = 3 * SNAPSHOT_COUNT;
    for (let i = 0; i < writes; i++) {
      const res = await put(member, `k${i}`, `v${i}`);
      // The proposer hears back only after the entry is applied: the key is already readable.
      expect(get(member, `k${i}`)).to.equal(`v${i}`);
      expect(res.header?.revision).to.equal(member.sm.currentRevision());
    }
    await member.linearizableRead();
    const m = member;
    await until('a local snapshot', () => m.status().snapshotIndex > 0);
    const before = member.status();
    expect(before.applied).to.be.at.least(writes);
    await member.stop();

    member = await StoreMember.start(singleMemberConfig(dir), silent);
    await member.ready;
    await member.linearizableRead();
    const after = member.status();
    expect(after.snapshotIndex).to.be.at.least(before.snapshotIndex);
    expect(after.applied).to.be.at.least(before.applied);
    for (let i = 0; i < writes; i++) expect(get(member, `k${i}`)).to.equal(`v${i}`);
  });

  it('keeps every answered write when snapshots are taken under concurrent writes and it stops mid-way', async () => {
    member = await StoreMember.start(singleMemberConfig(dir), silent);
    await member.ready;
    const m = member;
    const value = (i: number): string => `v${i}-`.padEnd(256, 'x');
    const answered: number[] = [];
    const snapshots = new Set<number>();
    // Waves of concurrent puts: many Readies, each crossing snapshot points while earlier
    // snapshots are still being serialized and written in steps.
    let next = 0;
    for (let wave = 0; wave < 12; wave++) {
      const puts = Array.from({ length: 40 }, () => {
        const i = next++;
        return put(m, `load/${i}`, value(i)).then(() => answered.push(i));
      });
      await Promise.all(puts);
      snapshots.add(m.status().snapshotIndex);
    }
    // The last wave is still being answered when stop() comes: a snapshot may be under way.
    const last = Array.from({ length: 40 }, () => {
      const i = next++;
      return put(m, `load/${i}`, value(i)).then(
        () => answered.push(i),
        (err: unknown) => {
          if (!(err instanceof ErrStopped)) throw err;
        },
      );
    });
    await until('some of the last wave answered', () => answered.length > 12 * 40);
    await member.stop();
    await Promise.all(last);
    expect(snapshots.size, 'snapshots taken during the load').to.be.at.least(3);

    member = await StoreMember.start(singleMemberConfig(dir), silent);
    await member.ready;
    await member.linearizableRead();
    for (const i of answered) expect(get(member, `load/${i}`), `load/${i}`).to.equal(value(i));
    // It goes on taking snapshots after the restart.
    const restartedAt = member.status().snapshotIndex;
    for (let i = 0; i < 2 * SNAPSHOT_COUNT; i++) await put(member, `after/${i}`, 'x');
    const m2 = member;
    await until('a snapshot after the restart', () => m2.status().snapshotIndex > restartedAt);
  });

  it('stop() fails waiting proposals with ErrStopped, waits for the loop, and refuses new ones', async () => {
    member = await StoreMember.start(singleMemberConfig(dir), silent);
    await member.ready;
    const pending = Array.from({ length: 50 }, (_, i) =>
      put(member!, `p${i}`, 'x').then(
        () => 'applied',
        (err: unknown) => (err instanceof ErrStopped ? 'stopped' : err),
      ),
    );
    await member.stop();
    const outcomes = await Promise.all(pending);
    for (const o of outcomes) expect(o).to.be.oneOf(['applied', 'stopped']);
    let refused: unknown;
    await put(member, 'late', 'x').catch((err: unknown) => (refused = err));
    expect(refused).to.be.instanceOf(ErrStopped);
  });

  it('a failed durable write stops the member and reports through onFailed (the process decides to exit)', async () => {
    member = await StoreMember.start(singleMemberConfig(dir), silent);
    await member.ready;
    const failed = new Promise<unknown>((resolve) => (member!.onFailed = resolve));
    // Close the member's own log under it: the next Ready's write fails like a broken disk.
    await (member as unknown as { durable: DurableLog }).durable.close();
    const write = put(member, 'doomed', 'x').catch((err: unknown) => err);
    const err = await failed;
    expect(String(err)).to.match(/not open|closed/i);
    expect(await write).to.be.instanceOf(ErrStopped);
    let refused: unknown;
    await put(member, 'after', 'x').catch((e: unknown) => (refused = e));
    expect(refused).to.be.instanceOf(ErrStopped);
  });
});
