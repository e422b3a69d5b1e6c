import { expect } from 'chai';
import { freePort } from '../../lib/launcher/store-cluster';
import {
  Backend,
  CompatSession,
  compareTranscripts,
  dumpTranscript,
  startCompatCluster,
} from './compat-harness';
import { etcdctlAvailable, ETCDCTL_BINARY } from './etcdctl-runner';
import { probeNestedTxn, probeWatchRefusals } from './raw-grpc-probes';

/**
 * Differential end-to-end test: the same etcdctl 3.4 commands run against a fresh real etcd 3.4
 * cluster and a fresh Bosun store cluster (3 members each); the normalized transcripts (see
 * etcdctl-normalize.ts for the complete list of what is normalized) must be identical. etcd is
 * the reference: where Bosun differs, the test fails and prints each differing step with both
 * outcomes.
 *
 * Set ETCDCTL_COMPAT_BACKENDS=etcd to run the scenarios against etcd only (no comparison), and
 * ETCDCTL_COMPAT_DUMP=<folder> to write every transcript there.
 */

/** The clusters each scenario runs against, etcd (the reference) first. */
const BACKENDS: readonly Backend[] = (process.env.ETCDCTL_COMPAT_BACKENDS ?? 'etcd,bosun').split(',').map((b) => {
  const backend = b.trim();
  if (backend !== 'etcd' && backend !== 'bosun') throw new Error(`ETCDCTL_COMPAT_BACKENDS: unknown backend "${backend}" (etcd, bosun)`);
  return backend;
});
/** How long the test waits for a live watch to be registered before the writes it must see. */
const WATCH_SETTLE_MS = 1500;
/** Bound on waiting for a background command's expected output. */
const BACKGROUND_OUTPUT_TIMEOUT_MS = 8000;
/** Bound on waiting for a short lease to expire. */
const LEASE_EXPIRY_TIMEOUT_MS = 10_000;
/** etcd's default --max-request-bytes is 1.5 MiB; this value is over it. */
const OVERSIZED_VALUE_BYTES = 2_000_000;
/** A value under the limit, which must be accepted. */
const LARGE_VALUE_BYTES = 1_500_000;
/** Cluster age after which etcd (strict reconfig check: peers connected for 5 s) accepts member changes. */
const RECONFIG_READY_MS = 6000;
/** etcd's default --max-txn-ops. */
const MAX_TXN_OPS = 128;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Parses etcdctl JSON keeping 64-bit ids exact (as strings). */
function parseExact(text: string): unknown {
  return JSON.parse(text.replace(/(?<=[:[,])(\d{16,})(?=[,}\]])/g, '"$1"'));
}

/** Runs etcdctl's `txn` reading compares, success ops and failure ops from stdin. */
function txnInput(compares: string[], success: string[], failure: string[]): string {
  return [...compares, '', ...success, '', ...failure, '', ''].join('\n');
}

/**
 * Checks an `endpoint status -w json` answer: every endpoint answers with its own member id,
 * all name the same leader, which is a member; all report the same revision; and every member
 * reports a non-zero backend size (the size itself is not compared).
 */
function noteStatusConsistency(s: CompatSession, label: string, stdout: string): void {
  let verdict = 'consistent';
  let dbSize = 'unknown';
  try {
    const entries = parseExact(stdout) as { Endpoint: string; Status: { header: { member_id: unknown; revision?: number }; leader: unknown; dbSize?: number } }[];
    const problems: string[] = [];
    const leaders = new Set(entries.map((e) => String(e.Status.leader)));
    if (leaders.size !== 1) problems.push(`members name ${leaders.size} different leaders`);
    const leaderToken = s.normalizer.tokenOfId(BigInt(String(entries[0]?.Status.leader ?? 0)));
    if (!leaderToken?.startsWith('<member-')) problems.push('the leader is no member');
    for (const e of entries) {
      const index = s.cluster.endpoints.indexOf(e.Endpoint.replace(/^https?:\/\//, ''));
      if (s.normalizer.tokenOfId(BigInt(String(e.Status.header.member_id))) !== `<member-${index}>`) problems.push(`${e.Endpoint} answers with another member's id`);
    }
    if (new Set(entries.map((e) => e.Status.header.revision)).size !== 1) problems.push('members report different revisions');
    if (entries.length !== s.cluster.endpoints.length) problems.push(`${entries.length} of ${s.cluster.endpoints.length} endpoints answered`);
    if (problems.length > 0) verdict = problems.join('; ');
    const zeroSize = entries.filter((e) => !((e.Status.dbSize ?? 0) > 0)).map((e) => e.Endpoint);
    if (entries.length === 0) dbSize = 'no member answered';
    else dbSize = zeroSize.length === 0 ? 'every member reports a non-zero dbSize' : `dbSize 0 (omitted) on ${zeroSize.length} of ${entries.length} members`;
  } catch (err) {
    verdict = `unparseable: ${(err as Error).message}`;
  }
  s.note(`${label}: own member ids, one leader, same revision`, verdict, 'consistent');
  s.note(`${label}: backend size`, dbSize, 'every member reports a non-zero dbSize');
}

/** Checks an `endpoint hashkv -w json` answer: all members report the same hash and compact revision. */
function noteHashConsistency(s: CompatSession, label: string, stdout: string): void {
  let verdict: string;
  try {
    const entries = parseExact(stdout) as { HashKV: { hash: number; compact_revision?: number } }[];
    const distinct = new Set(entries.map((e) => `${e.HashKV.hash}/${e.HashKV.compact_revision ?? 0}`));
    verdict = entries.length === s.cluster.endpoints.length && distinct.size === 1 ? 'all members agree' : `members disagree: ${[...distinct].join(', ')}`;
  } catch (err) {
    verdict = `unparseable: ${(err as Error).message}`;
  }
  s.note(`${label}: members agree on hash and compact revision`, verdict, 'all members agree');
}

/**
 * One differential test: `scenario` runs against a fresh etcd cluster, then against a fresh
 * Bosun cluster (one at a time, each started right before its run, so both are as young when
 * the scenario starts and neither shares the CPU with the other); etcd must meet the scenario's
 * assumptions, and Bosun's transcript must equal etcd's.
 */
function differential(title: string, scenario: (s: CompatSession) => Promise<void>): void {
  it(title, async function () {
    this.timeout(90_000);
    const sessions = new Map<Backend, CompatSession>();
    for (const backend of BACKENDS) {
      const cluster = await startCompatCluster(backend);
      try {
        const session = await CompatSession.open(cluster);
        sessions.set(backend, session);
        try {
          await scenario(session);
        } catch (err) {
          session.note('scenario aborted', (err as Error).message);
        }
        dumpTranscript(title, backend, session.transcript);
      } finally {
        await cluster.stop();
      }
    }
    const etcd = sessions.get('etcd');
    const bosun = sessions.get('bosun');
    if (etcd) {
      const broken = etcd.expectations.map((e) => `${e.label}: expected ${e.expected}, got ${e.actual}`);
      expect(broken, `etcd itself did not behave as the scenario assumes:\n${broken.join('\n')}`).to.deep.equal([]);
    }
    if (etcd && bosun) {
      const diffs = compareTranscripts(etcd.transcript, bosun.transcript);
      if (diffs.length > 0) expect.fail(`Bosun differs from etcd 3.4 in ${diffs.length} of ${etcd.transcript.length} steps:\n\n${diffs.join('\n\n')}`);
    }
  });
}

describe('etcdctl 3.4 against real etcd 3.4 and Bosun: identical normalized output', function () {
  before(function () {
    if (!etcdctlAvailable()) throw new Error(`${ETCDCTL_BINARY} is missing: apt-get install -y etcd-client etcd-server`);
  });

  differential('1. put / get (ranges, limits, revisions, sorting, output formats) / del, writes through a follower', async (s) => {
    await s.run(['put', 'foo', 'bar'], { expectExit: 0 }); // rev 2
    await s.run(['put', 'foo2', 'bar2']); // rev 3
    for (let i = 1; i <= 5; i++) await s.run(['put', `k/${i}`, `v${i}`]); // revs 4..8
    await s.run(['put', 'k/3', 'v3b']); // rev 9, version 2
    await s.run(['put', 'foo', 'bar-again', '--prev-kv']); // rev 10
    await s.run(['put', 'foo', 'bar-again', '--prev-kv', '-w', 'json']); // rev 11
    await s.run(['get', 'foo']);
    await s.run(['get', 'foo', '-w', 'json']);
    await s.run(['get', 'foo', '-w', 'fields']);
    await s.run(['get', 'missing']);
    await s.run(['get', 'missing', '-w', 'json']);
    await s.run(['get', 'k/', '--prefix']);
    await s.run(['get', 'k/', '--prefix', '--limit', '2']);
    await s.run(['get', 'k/', '--prefix', '--limit', '2', '-w', 'json']);
    await s.run(['get', 'k/', '--prefix', '--rev', '6']);
    await s.run(['get', 'k/3', '--rev', '8', '-w', 'json']);
    await s.run(['get', 'k/', '--prefix', '--keys-only']);
    await s.run(['get', 'k/', '--prefix', '--print-value-only']);
    // etcdctl 3.4 has no --count-only (it came in 3.5): the flag is refused on the client.
    await s.run(['get', 'k/', '--prefix', '--count-only'], { expectExit: 1 });
    await s.run(['get', 'k/', '--prefix', '--sort-by=MODIFY', '--order=DESCEND']);
    await s.run(['get', 'k/', '--prefix', '--sort-by=VERSION', '--order=DESCEND', '--limit', '1', '-w', 'json']);
    await s.run(['get', 'k/', '--prefix', '--sort-by=VALUE', '--order=DESCEND', '--keys-only']);
    await s.run(['get', 'k/', '--prefix', '--sort-by=CREATE', '--order=ASCEND', '-w', 'fields']);
    await s.run(['get', 'k/', '--prefix', '--order=DESCEND', '--keys-only']);
    await s.run(['get', 'k/3', '--from-key', '--keys-only']);
    await s.run(['get', 'k/3', '--from-key', '--limit', '2', '-w', 'json']);
    await s.run(['get', 'k/2', 'k/4']); // [k/2, k/4)
    await s.run(['get', 'k/4', 'k/2']); // empty range
    await s.run(['get', 'foo', '--consistency=l', '-w', 'json']);

    // A member that does not lead must forward writes (and serve linearizable reads).
    await s.run(['put', 'fwd/a', '1'], { target: 'follower', expectExit: 0 }); // rev 12
    await s.run(['get', 'fwd/a', '-w', 'json'], { target: 'follower' });
    await s.run(['put', 'fwd/a', '2', '--prev-kv'], { target: 'follower' }); // rev 13
    await s.run(['del', 'fwd/a', '--prev-kv', '-w', 'json'], { target: 'follower' }); // rev 14
    await s.run(['get', 'fwd/', '--prefix', '-w', 'json'], { target: 'leader' });

    await s.run(['del', 'k/1'], { expectExit: 0 }); // rev 15
    await s.run(['del', 'k/1']); // nothing deleted, no new revision
    await s.run(['del', 'k/', '--prefix', '--prev-kv']); // rev 16
    await s.run(['del', 'foo', '--prev-kv', '-w', 'json']); // rev 17
    await s.run(['del', 'foo2', 'foo3']); // range delete, rev 18
    await s.run(['del', 'nothing/', '--prefix', '-w', 'json']);
    await s.run(['get', '', '--from-key', '-w', 'json']);
    await s.run(['get', 'foo', '--rev', '10']);
    await s.run(['get', 'k/', '--prefix', '--rev', '15', '--keys-only']);
  });

  differential('2. txn from stdin: compares on value / version / create / mod, both branches', async (s) => {
    await s.run(['put', 't/a', '1']); // rev 2
    await s.run(['put', 't/b', 'x']); // rev 3
    await s.run(['txn'], {
      stdin: txnInput(['value("t/a") = "1"', 'version("t/b") = "1"', 'create("t/a") = "2"', 'mod("t/b") > "2"'], ['put t/a 2', 'get t/b'], ['put t/c failed']),
      expectExit: 0,
    }); // success, rev 4
    await s.run(['txn', '-w', 'json'], {
      stdin: txnInput(['value("t/a") = "1"'], ['put t/x never'], ['put t/c f', 'get t/c', 'del t/b']),
    }); // failure branch, rev 5
    await s.run(['txn'], { stdin: txnInput(['value("t/a") != "2"'], ['put t/y never'], ['get t/ --prefix --keys-only']) });
    await s.run(['txn', '-w', 'json'], { stdin: txnInput([], ['put t/d 1 --prev-kv', 'put t/e 2'], []) }); // rev 6
    await s.run(['txn'], { stdin: txnInput(['version("t/none") = "0"', 'create("t/d") < "7"', 'mod("t/e") = "6"'], ['del t/d --prev-kv', 'get t/e'], []) }); // rev 7
    await s.run(['txn', '-w', 'json'], { stdin: txnInput(['version("t/a") > "5"'], [], ['get t/a']) }); // read-only failure branch
    await s.run(['txn', '-w', 'fields'], { stdin: txnInput(['value("t/a") < "3"'], ['put t/a 3'], []) }); // rev 8
    await s.run(['txn'], { stdin: txnInput(['mod("t/a") > "8"'], [], ['del t/ --prefix']) }); // rev 9
    await s.run(['get', 't/', '--prefix', '-w', 'json']);
  });

  differential('3. watch: single key from a revision with --prev-kv, live --prefix, historical JSON', async (s) => {
    await s.run(['put', 'w/a', '0'], { expectExit: 0 }); // rev 2
    const single = await s.background(['watch', 'w/a', '--rev=2', '--prev-kv'], { target: 'follower' });
    const prefix = await s.background(['watch', '--prefix', 'w/', '--prev-kv']);
    const range = await s.background(['watch', 'w/a', 'w/c', '--rev=2']);
    await sleep(WATCH_SETTLE_MS);
    await s.run(['put', 'w/a', '1']); // rev 3
    await s.run(['put', 'w/b', 'x']); // rev 4
    await s.run(['txn'], { stdin: txnInput([], ['put w/a 2', 'put w/c y'], []) }); // rev 5, two events
    await s.run(['del', 'w/a']); // rev 6
    await s.run(['del', 'w/', '--prefix']); // rev 7, two events
    await s.run(['put', 'w/end', 'done']); // rev 8
    await single.waitFor((out) => out.includes('DELETE'), BACKGROUND_OUTPUT_TIMEOUT_MS);
    await prefix.waitFor((out) => out.includes('w/end'), BACKGROUND_OUTPUT_TIMEOUT_MS);
    await range.waitFor((out) => (out.match(/DELETE/g) ?? []).length >= 2, BACKGROUND_OUTPUT_TIMEOUT_MS);
    await sleep(200); // anything after the awaited event would be a stray event
    await single.finish();
    await prefix.finish();
    await range.finish();
    const history = await s.background(['watch', '--prefix', 'w/', '--rev=2', '-w', 'json']);
    await history.waitFor((out) => out.includes(Buffer.from('w/end').toString('base64')), BACKGROUND_OUTPUT_TIMEOUT_MS);
    await sleep(200);
    await history.finish();
    const fields = await s.background(['watch', 'w/b', '--rev=4', '--prev-kv', '-w', 'fields']);
    await fields.waitFor((out) => out.includes('DELETE'), BACKGROUND_OUTPUT_TIMEOUT_MS);
    await sleep(200);
    await fields.finish();
  });

  differential('4. leases: grant, attach, timetolive, keep-alive, list, expiry, revoke', async (s) => {
    await s.run(['lease', 'grant', '60'], { grantsLease: true, expectExit: 0 });
    const l1 = s.lastLease;
    await s.run(['put', `--lease=${l1}`, 'l/a', '1'], { expectExit: 0 }); // rev 2
    await s.run(['put', `--lease=${l1}`, 'l/b', '2'], { target: 'follower' }); // rev 3
    await s.run(['get', 'l/', '--prefix', '-w', 'json']);
    await s.run(['lease', 'timetolive', l1]);
    const ttl = await s.run(['lease', 'timetolive', l1, '--keys']);
    const remaining = Number(/remaining\((\d+)s\)/.exec(ttl.stdout)?.[1] ?? -1);
    s.note('remaining TTL of a fresh 60 s lease', remaining >= 50 && remaining <= 60 ? 'within 50..60 s' : `${remaining} s`, 'within 50..60 s');
    await s.run(['lease', 'timetolive', l1, '--keys', '-w', 'json']);
    await s.run(['lease', 'keep-alive', '--once', l1]);
    await s.run(['lease', 'keep-alive', '--once', l1, '-w', 'json'], { target: 'follower' });

    // A short lease (1 s asked, raised to the 2 s minimum) expires on its own: its key is
    // deleted in one new revision (5).
    await s.run(['lease', 'grant', '1'], { grantsLease: true, expectExit: 0 });
    const l2 = s.lastLease;
    await s.run(['put', `--lease=${l2}`, 'l/short', 'x'], { target: 'follower', expectExit: 0 }); // rev 4
    await s.run(['lease', 'list'], { sortLines: true });
    await s.run(['lease', 'list', '-w', 'json']);
    const deadline = Date.now() + LEASE_EXPIRY_TIMEOUT_MS;
    let expired = false;
    while (!expired && Date.now() < deadline) {
      await sleep(250);
      const probe = await s.probe(['get', 'l/short', '--keys-only']);
      expired = probe.code === 0 && probe.stdout.trim() === '';
    }
    s.note('key attached to a 2 s lease is gone within 10 s', expired ? 'yes' : 'no', 'yes');
    await s.run(['get', 'l/', '--prefix', '--keys-only', '-w', 'json']);
    await s.run(['lease', 'timetolive', l2]);
    await s.run(['lease', 'list'], { sortLines: true });

    const keeper = await s.background(['lease', 'keep-alive', l1]);
    await keeper.waitFor((out) => out.includes('keepalived'), BACKGROUND_OUTPUT_TIMEOUT_MS);
    await keeper.finish();

    await s.run(['lease', 'revoke', l1], { expectExit: 0 }); // rev 6: both keys in one revision
    await s.run(['get', 'l/', '--prefix', '-w', 'json']);
    await s.run(['lease', 'timetolive', l1, '--keys']);
    await s.run(['lease', 'timetolive', l1, '-w', 'json']);
    await s.run(['lease', 'keep-alive', '--once', l1]);
    await s.run(['lease', 'revoke', l1]);
    await s.run(['lease', 'list']);
    // A lease-backed recipe: lock takes a session lease, a key, runs the command, releases.
    await s.run(['lock', 'mylock', 'echo', 'held'], { expectExit: 0 }); // revs 7 (lock key), 8 (release)
    await s.run(['get', 'mylock', '--prefix', '-w', 'json']);
  });

  differential('5. cluster: member list / add --learner / promote / update / remove, endpoint status / health / hashkv, move-leader', async (s) => {
    // Not compared: a reconfiguration within 5 s of start, which both refuse with "unhealthy
    // cluster" (strict reconfig check) — whether a step lands inside that window depends on
    // machine load, so it would make this comparison flaky.
    const list = await s.run(['member', 'list'], { sortLines: true, expectExit: 0 });
    const ids = list.stdout.trim().split('\n').map((l) => BigInt(`0x${l.split(',')[0]}`));
    s.note('member list is ordered by member id', ids.every((id, i) => i === 0 || ids[i - 1] < id) ? 'yes' : 'no', 'yes');
    await s.run(['member', 'list', '-w', 'json']);
    await s.run(['member', 'list', '-w', 'table'], { sortLines: true });
    const status = await s.run(['endpoint', 'status', '-w', 'json'], { expectExit: 0 });
    noteStatusConsistency(s, 'endpoint status', status.stdout);
    // Endpoints given as URLs, as `--cluster` takes them from the members' advertised client
    // URLs: etcdctl then sends "http://host:port" as the HTTP/2 :authority of its status, hashkv
    // and defrag calls (which Node's HTTP/2 server alone would refuse; see client-listener.ts).
    await s.run(['get', 'missing'], { urlEndpoints: true, expectExit: 0 });
    await s.run(['endpoint', 'status', '-w', 'json'], { target: 'leader', urlEndpoints: true, anonymizeMembers: true, expectExit: 0 });
    // Probed, not recorded: --cluster lists members in member id order, which is random.
    const clusterStatus = await s.probe(['endpoint', 'status', '--cluster', '-w', 'json']);
    s.note('endpoint status --cluster exit status', String(clusterStatus.code), '0');
    noteStatusConsistency(s, 'endpoint status --cluster', clusterStatus.stdout);
    const urls = [...clusterStatus.stdout.matchAll(/"Endpoint":"([^"]+)"/g)].map((m) => s.normalizer.normalize(m[1])).sort();
    s.note('endpoint status --cluster reaches every member at its advertised client URL', urls.join(' '), 'http://<client-0> http://<client-1> http://<client-2>');
    const clusterHash = await s.probe(['endpoint', 'hashkv', '--cluster', '-w', 'json']);
    s.note('endpoint hashkv --cluster exit status', String(clusterHash.code), '0');
    noteHashConsistency(s, 'endpoint hashkv --cluster', clusterHash.stdout);
    await s.run(['defrag'], { target: 'follower', urlEndpoints: true, anonymizeMembers: true, expectExit: 0 });
    await s.run(['endpoint', 'health'], { sortLines: true, expectExit: 0 });
    await s.run(['endpoint', 'health', '--cluster'], { sortLines: true });
    await s.run(['endpoint', 'health', '-w', 'json'], { target: 'follower', anonymizeMembers: true });
    await s.run(['put', 'h/a', '1']); // rev 2
    const hash = await s.run(['endpoint', 'hashkv', '-w', 'json']);
    noteHashConsistency(s, 'endpoint hashkv', hash.stdout);

    // Leadership moves to the follower we name.
    const roles = await s.endpointRoles();
    const followerIndex = s.cluster.endpoints.indexOf(roles.follower);
    const followerId = ids.find((id) => s.normalizer.tokenOfId(id) === `<member-${followerIndex}>`) ?? 0n;
    const moved = await s.run(['move-leader', followerId.toString(16)], { anonymizeMembers: true, expectExit: 0 });
    const transferred = /Leadership transferred from ([0-9a-f]+) to ([0-9a-f]+)/.exec(moved.stdout);
    s.note('move-leader names the new leader we asked for', transferred?.[2] === followerId.toString(16) ? 'yes' : `no: ${moved.stdout.trim()}`, 'yes');
    const after = await s.run(['endpoint', 'status', '-w', 'json']);
    noteStatusConsistency(s, 'endpoint status after move-leader', after.stdout);
    const leaderNow = /"leader":(\d+)/.exec(after.stdout)?.[1];
    s.note('the named member leads afterwards', leaderNow !== undefined && BigInt(leaderNow) === followerId ? 'yes' : 'no', 'yes');
    await s.run(['put', 'h/b', '2'], { expectExit: 0 }); // rev 3, under the new leader

    // A learner that never starts: added, listed, not promotable, updated, removed. etcd refuses
    // reconfiguration until its leader has been connected to every member for 5 s.
    await s.waitClusterAge(RECONFIG_READY_MS);
    const learnerPort = await freePort();
    s.normalizer.aliasAddress(`127.0.0.1:${learnerPort}`, '<learner-peer>');
    let learnerHex = '1';
    await s.run(['member', 'add', 'learner-1', `--peer-urls=http://127.0.0.1:${learnerPort}`, '--learner'], {
      expectExit: 0,
      learn: (res) => {
        learnerHex = /Member\s+([0-9a-f]+) added/.exec(res.stdout)?.[1] ?? learnerHex;
        s.normalizer.aliasId(BigInt(`0x${learnerHex}`), '<learner>');
      },
    });
    await s.run(['member', 'list'], { sortLines: true });
    await s.run(['member', 'list', '-w', 'json']);
    await s.run(['member', 'add', 'dup', `--peer-urls=http://127.0.0.1:${s.cluster.members[0].peerPort}`], { expectExit: 1 });
    await s.run(['member', 'promote', learnerHex], { expectExit: 1 });
    const movedPort = await freePort();
    s.normalizer.aliasAddress(`127.0.0.1:${movedPort}`, '<learner-peer-2>');
    await s.run(['member', 'update', learnerHex, `--peer-urls=http://127.0.0.1:${movedPort}`], { expectExit: 0 });
    // Only the new peer URL is compared: etcd 3.4 also drops the member's learner flag from its
    // member list here, a bug fixed in 3.5/3.6 (etcd-io/etcd#21694) that Bosun need not copy.
    const listed = await s.probe(['member', 'list', '-w', 'json']);
    s.note('member list shows the updated peer URL', listed.stdout.includes(`"peerURLs":["http://127.0.0.1:${movedPort}"]`) ? 'yes' : 'no', 'yes');
    await s.run(['member', 'remove', learnerHex], { expectExit: 0 });
    await s.run(['member', 'remove', learnerHex], { expectExit: 1 });
    await s.run(['member', 'list'], { sortLines: true });
    await s.run(['put', 'h/c', '3'], { expectExit: 0 }); // rev 4: still a working 3-member cluster
    await s.run(['get', 'h/', '--prefix', '-w', 'json']);
  });

  differential('6. compaction: compacted reads and watches, repeated and future compactions', async (s) => {
    for (let i = 1; i <= 6; i++) await s.run(['put', 'c/k', `v${i}`]); // revs 2..7
    await s.run(['put', 'c/other', 'x']); // rev 8
    await s.run(['compaction', '4'], { expectExit: 0 });
    await s.run(['get', 'c/k', '--rev=3'], { expectExit: 1 });
    await s.run(['get', 'c/k', '--rev=4', '-w', 'json']);
    await s.run(['get', 'c/k', '--rev=7']);
    await s.run(['compaction', '3']);
    await s.run(['compaction', '4']);
    await s.run(['compaction', '100']);
    await s.run(['compaction', '6', '--physical'], { expectExit: 0 });
    await s.run(['get', 'c/', '--prefix', '--rev=5']);
    await s.run(['watch', 'c/k', '--rev=2'], { expectExit: 5 }); // canceled by the server, exits on its own
    await s.run(['watch', 'c/k', '--rev=5', '-w', 'json']);
    const fromCompacted = await s.background(['watch', 'c/k', '--rev=6']); // the compact revision itself is still there
    await fromCompacted.waitFor((out) => out.includes('v6'), BACKGROUND_OUTPUT_TIMEOUT_MS);
    await sleep(200);
    await fromCompacted.finish();
    await s.run(['get', 'c/', '--prefix', '-w', 'json']);
    const hash = await s.run(['endpoint', 'hashkv', '--rev=8', '-w', 'json']);
    noteHashConsistency(s, 'endpoint hashkv --rev=8', hash.stdout);
    await s.run(['put', 'c/k', 'v7'], { expectExit: 0 }); // rev 9
    await s.run(['get', 'c/k', '-w', 'json']);
    // Answers etcdctl cannot show, over raw gRPC: a nested txn's headers, and the watch
    // creations etcd refuses (compacted start, duplicate id, empty range) with their reasons.
    s.note('nested txn answer', await probeNestedTxn(s.cluster.endpoints[0], 'c/nested')); // rev 10
    s.note('watch refusals', await probeWatchRefusals(s.cluster.endpoints[0], 'c/k', 2));
  });

  differential('7. bad input: exact errors and exit statuses, and the cluster keeps working', async (s) => {
    await s.run(['put', 'ok/1', 'a'], { expectExit: 0 }); // rev 2
    await s.run(['lease', 'revoke', '1234abcd'], { expectExit: 1 });
    await s.run(['lease', 'timetolive', '1234abcd']);
    await s.run(['lease', 'timetolive', '1234abcd', '-w', 'json']);
    await s.run(['lease', 'keep-alive', '--once', '1234abcd']);
    await s.run(['put', '--lease=1234abcd', 'ok/2', 'b'], { expectExit: 1 });
    await s.run(['lease', 'grant', '99999999999'], { expectExit: 1 });
    await s.run(['put', 'big'], { stdin: Buffer.alloc(OVERSIZED_VALUE_BYTES, 'x'), expectExit: 1 });
    await s.run(['put', 'large'], { stdin: Buffer.alloc(LARGE_VALUE_BYTES, 'y'), expectExit: 0 }); // rev 3
    await s.run(['get', 'large', '--keys-only', '-w', 'json']);
    await s.run(['get', 'ok/1', '--rev=1000'], { expectExit: 1 });
    await s.run(['compaction', '0']);
    await s.run(['txn'], { stdin: txnInput(['this is not a compare'], ['put ok/x 1'], []), expectExit: 3 });
    await s.run(['txn'], { stdin: txnInput(['version("ok/1") = "abc"'], [], []) });
    await s.run(['txn'], { stdin: txnInput([], ['frobnicate ok/x'], []) });
    await s.run(['txn'], { stdin: txnInput([], ['put ok/d 1', 'put ok/d 2'], []), expectExit: 1 });
    await s.run(['txn'], { stdin: txnInput([], ['put ok/p/a 1', 'del ok/p/ --prefix'], []) });
    const tooMany = Array.from({ length: MAX_TXN_OPS + 1 }, (_, i) => `put ok/many/${i} v`);
    await s.run(['txn'], { stdin: txnInput([], tooMany, []), stdinLabel: `(${tooMany.length} puts)`, expectExit: 1 });
    await s.run(['del', ''], { expectExit: 1 });
    await s.run(['get', '']);
    await s.run(['put', '', 'v']);
    await s.run(['put', 'ok/missing', '--ignore-value']);
    await s.run(['put', 'ok/1', 'v', '--ignore-lease', '--lease=1234abcd']);
    await s.run(['put', 'ok/1', '--ignore-value']); // rev 4: keeps the value
    await s.run(['move-leader', '1234abcd']);
    await s.run(['member', 'remove', '1234abcd']);
    // The cluster still works, through all endpoints and through a follower.
    await s.run(['put', 'ok/after', 'fine'], { expectExit: 0 }); // rev 5
    await s.run(['put', 'ok/after', 'fine2'], { target: 'follower', expectExit: 0 }); // rev 6
    await s.run(['get', 'ok/', '--prefix', '-w', 'json'], { expectExit: 0 });
    await s.run(['endpoint', 'health'], { sortLines: true, expectExit: 0 });
  });
});
