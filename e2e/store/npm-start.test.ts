import { expect } from 'chai';
import { execFile, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { readKubeconfig } from '../../lib/client/kubeconfig';
import { BOSUN_BIN } from '../../lib/launcher/local-process';
import { commonNameOf } from '../../lib/pki/component-certs';
import { sampleValue } from '../../lib/metrics/exposition';
import { readTokenEntries } from '../../services/apiserver/http/bearer-auth';
import { etcdctlEnvFromUp, startUp } from '../support/bosun-up';

const run = promisify(execFile);

/** How long the components may take to elect their leaders after `bosun up` is ready, ms. */
const LEADERS_TIMEOUT_MS = 30_000;
/** How long `bosun up` may take to be up: the store, apiservers, components, the offline image (built once) and two Ready nodes. */
const UP_TIMEOUT_MS = 180_000;

/** The value of `series` in a /metrics scrape of `url` (undefined when absent or unreachable). */
async function scrapeValue(url: string, series: string): Promise<number | undefined> {
  return sampleValue(await fetch(url).then((r) => r.text(), () => ''), series);
}

describe('bosun up (what `npm start` runs)', function () {
  this.timeout(360_000);
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bosun-up-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('brings up a 3-member store and two apiservers, shows progress and the leader, works with etcdctl, and stops cleanly with bosun down (a second bosun up on its folder refused)', async () => {
    // A token file from a run before component identities: only the admin token.
    fs.writeFileSync(path.join(dir, 'tokens.csv'), 'admintoken,admin\n', { mode: 0o600 });
    const up = startUp(['--dir', dir, '--ports', 'free']);
    try {
      const out = await up.waitFor(/Press Ctrl-C/, UP_TIMEOUT_MS);
      expect(out).to.match(/store-1: starting \(client https:\/\/127\.0\.0\.1:\d+/);
      expect(out).to.match(/store-3 is up on/);
      expect(out).to.match(/leader elected: store-\d/);
      expect(out).to.match(/apiserver-1: serving the API on https:\/\/127\.0\.0\.1:\d+ and 127\.0\.0\.1:\d+ \(gRPC\)/);
      expect(out).to.match(/apiserver-2: serving the API on https:\/\/127\.0\.0\.1:\d+/);
      expect(out).to.match(/export KUBECONFIG=\S+kubeconfig/);
      // The store serves mutual TLS: etcdctl presents the client certificate bosun up printed.
      const env = { ...process.env, ...etcdctlEnvFromUp(out) };
      expect((await run('etcdctl', ['put', 'greeting', 'hello'], { env })).stdout.trim()).to.equal('OK');
      expect((await run('etcdctl', ['get', 'greeting', '--print-value-only'], { env })).stdout.trim()).to.equal('hello');

      // Every component has its own identity: a token added to the earlier token file, a kubeconfig naming it.
      const users = readTokenEntries(path.join(dir, 'tokens.csv'));
      expect(users.map((u) => u.user.name)).to.deep.equal(['admin', 'system:kube-scheduler', 'system:kube-controller-manager', 'system:kube-proxy', 'system:serviceaccount:kube-system:coredns', 'system:bosun-ingress', 'system:node:node-1', 'system:node:node-2']);
      expect(users[0]!.token).to.equal('admintoken');
      expect(readKubeconfig(path.join(dir, 'kubeconfig')).users[0]!.user.token).to.equal('admintoken');
      for (const [component, user] of [['kube-scheduler', users[1]!], ['kube-controller-manager', users[2]!], ['kubelet-node-2', users[7]!]] as const) {
        const config = readKubeconfig(path.join(dir, 'kubeconfigs', `${component}.kubeconfig`));
        expect(config.users.map((u) => [u.name, u.user.token]), component).to.deep.equal([[user.user.name, user.token]]);
        // Its client certificate (what authenticates first) names the same user.
        const cert = Buffer.from(config.users[0]!.user['client-certificate-data'] ?? '', 'base64').toString();
        expect(commonNameOf(cert), component).to.equal(user.user.name);
      }
      // The schedulers and the controller-managers run with them: each set elects one leader through the API.
      const schedulerMetrics = [...out.matchAll(/scheduler-\d: started \(.*metrics (http:\/\/127\.0\.0\.1:\d+\/metrics)/g)].map((m) => m[1]!);
      const cmMetrics = [...out.matchAll(/controller-manager-\d: started \(.*metrics (http:\/\/127\.0\.0\.1:\d+\/metrics)/g)].map((m) => m[1]!);
      expect(schedulerMetrics, out).to.have.length(2);
      expect(cmMetrics, out).to.have.length(2);
      const deadline = Date.now() + LEADERS_TIMEOUT_MS;
      const leading = async (urls: string[], name: string) => (await Promise.all(urls.map((u) => scrapeValue(u, `leader_election_master_status{name="${name}"}`)))).reduce((a: number, v) => a + (v ?? 0), 0);
      while ((await leading(schedulerMetrics, 'kube-scheduler')) !== 1 || (await leading(cmMetrics, 'kube-controller-manager')) !== 1) {
        if (Date.now() > deadline) throw new Error(`no leaders after ${LEADERS_TIMEOUT_MS} ms:\n${up.output()}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      // kubectl goes through the load balancer: it keeps working while apiserver-1 is down.
      const kubeconfig = path.join(dir, 'kubeconfig');
      expect(readKubeconfig(kubeconfig).clusters[0]!.cluster.server).to.match(/^https:\/\/127\.0\.0\.1:\d+$/);
      // A `bosun get -w` started before the kill resumes on the other apiserver and misses nothing.
      const watch = spawn(process.execPath, [BOSUN_BIN, 'get', 'configmaps', '-n', 'default', '-w', '--kubeconfig', kubeconfig], { stdio: ['ignore', 'pipe', 'pipe'] });
      let watched = '';
      watch.stdout.on('data', (d: Buffer) => (watched += d.toString()));
      watch.stderr.on('data', (d: Buffer) => (watched += d.toString()));
      try {
        await run('kubectl', ['--kubeconfig', kubeconfig, 'create', 'configmap', 'before-failover', '-n', 'default']);
        await waitUntil(() => watched.includes('before-failover'), LEADERS_TIMEOUT_MS, () => `the watch to print before-failover:\n${watched}`);
        process.kill(Number(/apiserver-1: starting \(pid (\d+)/.exec(out)?.[1]), 'SIGKILL');
        for (let i = 0; i < 4; i++) {
          const got = await run('kubectl', ['--kubeconfig', kubeconfig, 'get', 'namespace', 'default', '-o', 'name']);
          expect(got.stdout.trim(), got.stderr).to.equal('namespace/default');
        }
        await run('kubectl', ['--kubeconfig', kubeconfig, 'create', 'configmap', 'after-failover', '-n', 'default']);
        await waitUntil(() => watched.includes('after-failover'), LEADERS_TIMEOUT_MS, () => `the watch to print after-failover:\n${watched}`);
        expect(watched).to.not.include('Connection dropped');
      } finally {
        watch.kill('SIGKILL');
      }
      // The two nodes are Ready; what runs on them (pods, Services through the proxy, the DNS,
      // the ingress, kubectl logs/exec/port-forward) is walked by e2e/journeys.
      expect(out).to.match(/node-1: Ready \(pods get addresses from 10\.42\.\d+\.0\/24\)/);
      expect(out).to.match(/node-2: Ready/);
      // A component killed by hand is restarted by bosun up, which says so.
      const pid = Number(/scheduler-1: started \(pid (\d+)/.exec(out)?.[1]);
      process.kill(pid, 'SIGKILL');
      const restartBy = Date.now() + LEADERS_TIMEOUT_MS;
      while (!/scheduler-1: restarted \(pid \d+\)/.test(up.output())) {
        if (Date.now() > restartBy) throw new Error(`scheduler-1 was not restarted:\n${up.output()}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(up.output()).to.include('scheduler-1 exited (SIGKILL); restarting in 1 s (restart 1)');
      // A second cluster on the same folder is refused; `bosun down` stops this one, keeping the data.
      const second = spawnSync(process.execPath, [BOSUN_BIN, 'up', '--dir', dir, '--ports', 'free'], { encoding: 'utf8', timeout: 30_000 });
      expect(second.status, second.stderr).to.equal(1);
      expect(second.stderr).to.include(`a cluster is already running from ${dir} (bosun up, pid ${up.child.pid})`);
      // Asynchronously, so this process keeps reading what bosun up prints while it stops.
      const down = await run(process.execPath, [BOSUN_BIN, 'down', '--dir', dir], { timeout: 90_000 }).catch((err: { stdout?: string; stderr?: string; code?: number }) => ({ stdout: err.stdout ?? '', stderr: `${err.stderr ?? ''} (exit ${err.code})` }));
      expect(down.stdout, `bosun down: ${down.stderr}; bosun up said:\n${up.output().slice(-3000)}`).to.include(`Stopped the cluster of ${dir} (bosun up, pid ${up.child.pid}); its data is kept.`);
      expect(await up.exited).to.equal(0);
      expect(up.output()).to.match(/Stopped\./);
    } finally {
      up.killAll();
    }
  });

  it('fails with a clear message naming the member, its port and its log file when a member cannot start', async () => {
    // store-2's data directory is a plain file: that member cannot open its raft log.
    fs.writeFileSync(path.join(dir, 'store-2'), 'not a directory');
    const up = startUp(['--dir', dir, '--ports', 'free', '--nodes', '0']);
    try {
      const code = await up.exited;
      expect(code).to.equal(1);
      const out = up.output();
      expect(out).to.match(/did not come up: store member store-2 \(client port \d+, peer port \d+\) exited with code 1; see \S+store-2\.log/);
    } finally {
      up.killAll();
    }
  });
});

/** Polls `ready` every 100 ms; throws with `what()` after `ms`. */
async function waitUntil(ready: () => boolean, ms: number, what: () => string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
