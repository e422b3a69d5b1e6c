import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { BOSUN_BIN, LocalStoreCluster, memberStatus } from '../../lib/launcher/store-cluster';
import { ensureClusterCa } from '../../lib/pki/cluster-ca';
import { ensureComponentCert } from '../../lib/pki/component-certs';
import { makeCertificate } from '../../lib/pki/x509';
import { StoreClient } from '../../store/client';
import { runEtcdctl, type EtcdctlResult } from './etcdctl-runner';

/**
 * Issue 17, the store's part: a real 3-member store serving mutual TLS with certificates from
 * the cluster CA (made by the launcher, as `bosun up` does). The real etcdctl works with
 * --cacert --cert --key; without a client certificate, or with one another CA signed, it is
 * refused; the members talk TLS to each other (a killed member rejoins over it).
 */

/** Starting three members on a loaded machine. */
const CLUSTER_START_MS = 60_000;
/** A restarted member catching up with the others. */
const REJOIN_MS = 30_000;
const POLL_MS = 100;
/** How long a TLS client waits for the peer port to accept or refuse it. */
const HANDSHAKE_WAIT_MS = 5_000;

describe('store: mutual TLS on the client and peer ports (real etcdctl)', function () {
  this.timeout(120_000);
  let dir: string;
  let cluster: LocalStoreCluster;
  /** etcdctl's TLS flags with the cluster's client certificate. */
  let withCert: string[];
  /** A client certificate (and key) signed by a CA the store does not trust. */
  let foreign: { ca: string; cert: string; key: string };

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'store-tls-'));
    cluster = await LocalStoreCluster.create({ members: 3, dir, logLevel: 'warn' });
    cluster.startAll();
    const files = cluster.clientTlsFiles!;
    withCert = [`--cacert=${files.ca}`, `--cert=${files.cert}`, `--key=${files.key}`];
    const otherCa = makeCertificate({ subject: { commonName: 'some-other-ca' }, usage: 'ca', validityDays: 1 });
    const otherClient = makeCertificate({ subject: { commonName: 'bosun-apiserver-etcd-client' }, usage: 'client', validityDays: 1, issuer: otherCa });
    foreign = { ca: path.join(dir, 'other-ca.crt'), cert: path.join(dir, 'other.crt'), key: path.join(dir, 'other.key') };
    fs.writeFileSync(foreign.ca, otherCa.cert);
    fs.writeFileSync(foreign.cert, otherClient.cert);
    fs.writeFileSync(foreign.key, otherClient.key);
    await cluster.waitReady(undefined, CLUSTER_START_MS);
  });

  after(async () => {
    await cluster?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const urls = () => cluster.members.map((m) => m.clientUrl);
  const etcdctl = (args: string[]) => runEtcdctl(urls(), args);
  const refused = (r: EtcdctlResult) => {
    expect(r.code, `etcdctl should fail: ${r.stdout}`).to.not.equal(0);
    expect(r.stdout).to.not.contain('OK');
  };

  it('serves https:// member URLs, and etcdctl with --cacert --cert --key puts and gets', async () => {
    expect(urls().every((u) => u.startsWith('https://127.0.0.1:'))).to.equal(true);
    const put = await etcdctl([...withCert, 'put', 'greeting', 'over-tls']);
    expect(put.code, put.stderr).to.equal(0);
    expect(put.stdout.trim()).to.equal('OK');
    const get = await etcdctl([...withCert, 'get', 'greeting', '--print-value-only']);
    expect(get.stdout.trim(), get.stderr).to.equal('over-tls');
    const members = await etcdctl([...withCert, 'member', 'list']);
    expect(members.stdout.match(/https:\/\/127\.0\.0\.1:\d+/g)?.length, members.stdout).to.equal(6);
  });

  it('refuses etcdctl without a client certificate, with one from another CA (the cluster CA too), and in plain text', async () => {
    // A node's or a component's certificate comes from the cluster CA: the store trusts only its own.
    const clusterCaDir = path.join(dir, 'pki');
    ensureClusterCa(clusterCaDir);
    const node = ensureComponentCert(clusterCaDir, { name: 'client-node-x', commonName: 'system:node:x', organization: 'system:nodes', usage: 'client' });
    fs.writeFileSync(path.join(dir, 'node.crt'), node.cert);
    fs.writeFileSync(path.join(dir, 'node.key'), node.key);
    expect(cluster.clientTlsFiles!.ca).to.equal(path.join(clusterCaDir, 'store', 'ca.crt'));
    // In parallel: each refused etcdctl waits out its dial timeout.
    const attempts = await Promise.all([
      etcdctl([`--cacert=${cluster.clientTlsFiles!.ca}`, 'put', 'intruder', 'no-cert']),
      etcdctl([`--cacert=${cluster.clientTlsFiles!.ca}`, `--cert=${foreign.cert}`, `--key=${foreign.key}`, 'put', 'intruder', 'other-ca']),
      etcdctl([`--cacert=${cluster.clientTlsFiles!.ca}`, `--cert=${path.join(dir, 'node.crt')}`, `--key=${path.join(dir, 'node.key')}`, 'put', 'intruder', 'cluster-ca']),
      runEtcdctl(urls().map((u) => u.replace('https://', 'http://')), ['put', 'intruder', 'plain']),
    ]);
    for (const r of attempts) refused(r);
    // Like etcd, the members log the connections they rejected.
    expect(cluster.members.map((m) => fs.readFileSync(m.logFile, 'utf8')).join('')).to.contain('rejected TLS connection');
    const get = await etcdctl([...withCert, 'get', 'intruder', '--print-value-only']);
    expect(get.code, get.stderr).to.equal(0);
    expect(get.stdout.trim()).to.equal('');
  });

  it('refuses a peer-port handshake with a certificate from another CA, accepts the cluster CA\'s', async () => {
    const files = cluster.clientTlsFiles!;
    const handshake = (cert: string, key: string) =>
      new Promise<string>((resolve) => {
        const socket = tls.connect({
          host: '127.0.0.1',
          servername: 'localhost',
          port: cluster.members[0]!.peerPort,
          ca: fs.readFileSync(files.ca),
          cert: fs.readFileSync(cert),
          key: fs.readFileSync(key),
          ALPNProtocols: ['h2'],
        });
        const timer = setTimeout(() => done('no answer'), HANDSHAKE_WAIT_MS);
        const done = (outcome: string) => {
          clearTimeout(timer);
          socket.destroy();
          resolve(outcome);
        };
        socket.once('close', () => done('closed'));
        socket.once('end', () => done('ended'));
        socket.once('error', (e) => done(e.message));
        // TLS 1.3: the server judges the client's certificate after the client's side of the
        // handshake is done; an acceptance shows as the server's HTTP/2 SETTINGS arriving.
        socket.once('data', () => done('accepted'));
      });
    const [ours, theirs] = [await handshake(files.cert, files.key), await handshake(foreign.cert, foreign.key)];
    expect(ours).to.equal('accepted');
    // Refused: an alert, or the connection closed before a single HTTP/2 byte.
    expect(theirs).to.match(/certificate|ended|closed/);
  });

  it('a killed member restarts and rejoins over peer TLS', async () => {
    // A follower: the two left keep their leader, so the writes below need no election.
    const leader = await cluster.leader();
    const victim = cluster.members.find((m) => m !== leader)!;
    await victim.kill('SIGKILL');
    const client = new StoreClient({ endpoints: cluster.members.filter((m) => m !== victim).map((m) => m.clientUrl), tls: cluster.clientTls });
    try {
      for (let i = 0; i < 5; i++) await client.put(`while-down-${i}`, String(i));
      const { revision } = await client.put('last', 'x');
      victim.start();
      const deadline = Date.now() + REJOIN_MS;
      for (;;) {
        const s = await memberStatus(victim.endpoint, 500, cluster.clientTls).catch(() => undefined);
        if (s && s.leader !== 0 && Number(s.header!.revision) >= revision) break;
        if (Date.now() > deadline) throw new Error(`${victim.name} did not rejoin:\n${victim.tailLog(20)}`);
        await new Promise((r) => setTimeout(r, POLL_MS));
      }
      const get = await runEtcdctl([victim.clientUrl], [...withCert, 'get', 'last', '--print-value-only', '--consistency=s']);
      expect(get.stdout.trim(), get.stderr).to.equal('x');
    } finally {
      client.close();
    }
  });

  it('a new member joins over peer TLS (etcdctl member add --learner, then --initial-cluster-state existing)', async () => {
    const m = await cluster.joiningMember('store-4');
    const deadline = Date.now() + REJOIN_MS;
    // Any member answers (the one restarted just before may still be catching up, on a busy machine).
    let revision: number | undefined;
    while (revision === undefined) {
      for (const member of cluster.members) {
        revision ??= await memberStatus(member.endpoint, 1000, cluster.clientTls).then((s) => Number(s.header!.revision), () => undefined);
      }
      if (revision === undefined && Date.now() > deadline) throw new Error('no member answered its status');
    }
    // The cluster may refuse a change while a member it just restarted is not yet connected long enough: retry.
    for (let added = false; !added; ) {
      const r = await etcdctl([...withCert, 'member', 'add', m.name, `--peer-urls=${m.peerUrl}`, '--learner']);
      added = r.code === 0;
      if (!added && Date.now() > deadline) throw new Error(`member add: ${r.stderr}`);
      if (!added) await new Promise((res) => setTimeout(res, 5 * POLL_MS));
    }
    m.start();
    // It learned its id from the others' peer ports and caught up from the leader, both over TLS.
    for (;;) {
      const s = await memberStatus(m.endpoint, 500, cluster.clientTls).catch(() => undefined);
      if (s && s.leader !== 0 && Number(s.header!.revision) >= revision) break;
      if (Date.now() > deadline) throw new Error(`${m.name} did not join:\n${m.tailLog(20)}`);
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  });

  it('does not start with a missing certificate file, naming the flag and the path', () => {
    const missing = path.join(dir, 'missing.crt');
    const files = cluster.clientTlsFiles!;
    const r = spawnSync(process.execPath, [BOSUN_BIN, 'store', '--name', 'x', '--data-dir', path.join(dir, 'x'),
      '--cert-file', missing, '--key-file', files.key, '--trusted-ca-file', files.ca,
      '--peer-cert-file', files.cert, '--peer-key-file', files.key, '--peer-trusted-ca-file', files.ca], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status).to.not.equal(0);
    expect(r.stderr).to.contain(`--cert-file: cannot read "${missing}"`);
    expect(fs.existsSync(path.join(dir, 'x'))).to.equal(false);
  });
});
