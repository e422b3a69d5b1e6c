import { expect } from 'chai';
import { execFile } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { promisify } from 'node:util';
import { readKubeconfig } from '../../lib/client/kubeconfig';
import { etcdctlEnvFromUp, startUp } from '../support/bosun-up';

const run = promisify(execFile);

/** Validity of every certificate the cluster issues in this test (renewed with a third left: after 40 s). */
const CERT_VALIDITY_SECONDS = 60;
/** How long `bosun up` (store, apiservers, components, one fake node) may take to be up. */
const UP_TIMEOUT_MS = 120_000;
/** How long the cluster may take to settle after a kill (restart, failover, a pod scheduled). */
const SETTLE_TIMEOUT_MS = 45_000;

/** A served certificate: its serial number and its notAfter (ms since the epoch). */
interface Served {
  readonly serial: string;
  readonly notAfterMs: number;
}

/** The certificate a TLS server on 127.0.0.1:`port` presents to a new connection (checked against `ca`), with `client` presented. */
function servedCertificate(port: number, ca: string, client?: { cert: string; key: string }): Promise<Served> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, ca, servername: 'localhost', ALPNProtocols: ['h2', 'http/1.1'], ...client, timeout: 5_000 }, () => {
      const peer = socket.getPeerCertificate();
      socket.destroy();
      resolve({ serial: peer.serialNumber, notAfterMs: Date.parse(peer.valid_to) });
    });
    socket.on('error', reject);
    socket.on('timeout', () => socket.destroy(new Error(`TLS connect to port ${port} timed out`)));
  });
}

/** Retries `attempt` (bounded) until it resolves; rethrows its last error with `what` after `ms`. */
async function eventually<T>(what: string, ms: number, attempt: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await attempt();
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`${what}: ${(err as Error).message}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/** A port `bosun up` printed (the first group of `re`). */
function portIn(out: string, re: RegExp): number {
  const port = Number(re.exec(out)?.[1]);
  if (!port) throw new Error(`no ${re} in:\n${out}`);
  return port;
}

/**
 * Issue 17: certificates are renewed before they expire while the cluster runs, and every part
 * picks them up without a restart. With a 60 s validity, once the first certificates' notAfter has
 * passed, the same processes still serve kubectl and etcdctl, with newer certificates; components
 * that fail over, and store members that reconnect to a restarted peer, open new connections
 * with them.
 */
describe('certificate rotation under a running cluster (bosun up --cert-validity)', function () {
  this.timeout(UP_TIMEOUT_MS + 3 * SETTLE_TIMEOUT_MS + CERT_VALIDITY_SECONDS * 1000);
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bosun-cert-rotation-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('renews the serving, peer and client certificates before they expire; kubectl, etcdctl, the store and the controllers keep working past the first ones\' expiry', async () => {
    const up = startUp(['--dir', dir, '--ports', 'free', '--nodes', '1', '--runtime', 'fake', '--cert-validity', String(CERT_VALIDITY_SECONDS)]);
    try {
      const out = await up.waitFor(/Press Ctrl-C/, UP_TIMEOUT_MS);
      const kubeconfig = path.join(dir, 'kubeconfig');
      const kubectl = (...args: string[]) => run('kubectl', ['--kubeconfig', kubeconfig, ...args], { timeout: 20_000 });
      const etcdEnv = { ...process.env, ...etcdctlEnvFromUp(out) };
      const etcdctl = (...args: string[]) => run('etcdctl', args, { env: etcdEnv, timeout: 20_000 });
      /** etcdctl against one member only. */
      const etcdctlAt = (endpoint: string, ...args: string[]) => run('etcdctl', ['--command-timeout', '3s', ...args], { env: { ...etcdEnv, ETCDCTL_ENDPOINTS: endpoint }, timeout: 20_000 });
      const clusterCa = fs.readFileSync(path.join(dir, 'pki', 'ca.crt'), 'utf8');
      const storeCa = fs.readFileSync(etcdEnv.ETCDCTL_CACERT!, 'utf8');
      const storeClient = () => ({ cert: fs.readFileSync(etcdEnv.ETCDCTL_CERT!, 'utf8'), key: fs.readFileSync(etcdEnv.ETCDCTL_KEY!, 'utf8') });
      // apiserver-2 and store-1 run from start to end: what they serve shows live rotation.
      const apiserverPort = portIn(out, /apiserver-2: serving the API on https:\/\/127\.0\.0\.1:(\d+)/);
      const storePort = portIn(out, /store-1 is up on https:\/\/127\.0\.0\.1:(\d+)/);
      const firstApiserver = await servedCertificate(apiserverPort, clusterCa);
      const firstStore = await servedCertificate(storePort, storeCa, storeClient());
      const firstClientCert = new crypto.X509Certificate(storeClient().cert);
      expect(firstApiserver.notAfterMs - Date.now(), 'the apiserver certificate lives about --cert-validity').to.be.at.most(CERT_VALIDITY_SECONDS * 1000);

      // Past the first certificates' expiry (the client certificate etcdctl uses was issued first).
      const expiry = Math.max(firstApiserver.notAfterMs, firstStore.notAfterMs, Date.parse(firstClientCert.validTo));
      await up.waitFor(/certificates renewed in pki\/store: .*store-store-1/, expiry - Date.now() + SETTLE_TIMEOUT_MS);
      while (Date.now() <= expiry + 1000) await new Promise((r) => setTimeout(r, 250));
      // Renewed in checks of their own as they came due: the component client certificates and the apiservers' serving one.
      expect(up.output()).to.match(/certificates renewed in pki: (.*, )?client-kube-scheduler(,|$)/m);
      expect(up.output()).to.match(/certificates renewed in pki: (.*, )?serving(,|$)/m);

      const laterApiserver = await servedCertificate(apiserverPort, clusterCa);
      expect(laterApiserver.serial, 'apiserver-2 serves a renewed certificate').to.not.equal(firstApiserver.serial);
      expect(laterApiserver.notAfterMs).to.be.greaterThan(firstApiserver.notAfterMs);
      const laterStore = await servedCertificate(storePort, storeCa, storeClient());
      expect(laterStore.serial, 'store-1 serves a renewed certificate').to.not.equal(firstStore.serial);
      expect(laterStore.notAfterMs).to.be.greaterThan(firstStore.notAfterMs);
      expect(Date.parse(new crypto.X509Certificate(storeClient().cert).validTo), 'the printed ETCDCTL_CERT is renewed in place').to.be.greaterThan(Date.now());
      // The component kubeconfigs embed their client certificates: they carry the renewed ones.
      const scheduler = readKubeconfig(path.join(dir, 'kubeconfigs', 'kube-scheduler.kubeconfig')).users[0]!.user['client-certificate-data']!;
      expect(Date.parse(new crypto.X509Certificate(Buffer.from(scheduler, 'base64')).validTo), 'kube-scheduler.kubeconfig').to.be.greaterThan(Date.now());

      // New connections: kubectl (through the balancer) and etcdctl with the files bosun up printed.
      expect((await kubectl('get', 'namespace', 'default', '-o', 'name')).stdout.trim()).to.equal('namespace/default');
      await kubectl('create', 'configmap', 'after-rotation', '-n', 'default', '--from-literal=k=v');
      expect((await etcdctl('get', '/registry/configmaps/default/after-rotation', '--keys-only')).stdout.trim()).to.equal('/registry/configmaps/default/after-rotation');

      // apiserver-1 killed: the components fail over to apiserver-2 on new connections (checking its
      // renewed certificate, presenting theirs); the controller-manager makes a Deployment's pod,
      // the scheduler binds it.
      process.kill(Number(fs.readFileSync(path.join(dir, 'pids', 'apiserver-1.pid'), 'utf8')), 'SIGKILL');
      await kubectl('create', 'deployment', 'rotated', '--image=busybox', '--', 'sleep', '3600');
      await eventually('a scheduled pod of the deployment', SETTLE_TIMEOUT_MS, async () => {
        const nodes = (await kubectl('get', 'pods', '-l', 'app=rotated', '-o', 'jsonpath={.items[*].spec.nodeName}')).stdout.trim();
        if (nodes !== 'node-1') throw new Error(`pods on "${nodes}"`);
      });

      // store-2 killed: when it is back, store-1 and store-3 dial its peer port with their renewed
      // peer certificates (client-cert-auth), and a write through store-2 reaches the leader.
      process.kill(Number(fs.readFileSync(path.join(dir, 'pids', 'store-2.pid'), 'utf8')), 'SIGKILL');
      const store2 = /store-2 is up on (https:\/\/127\.0\.0\.1:\d+)/.exec(out)![1]!;
      await eventually('a write and a linearizable read through the restarted store-2', SETTLE_TIMEOUT_MS, async () => {
        await etcdctlAt(store2, 'put', 'through-store-2', 'ok');
        const got = (await etcdctlAt(store2, 'get', 'through-store-2', '--print-value-only')).stdout.trim();
        if (got !== 'ok') throw new Error(`read "${got}"`);
      });
      expect(up.output(), 'no certificate failed to renew').to.not.match(/not renewed|renewal failed/);
    } finally {
      up.killAll();
    }
  });
});
