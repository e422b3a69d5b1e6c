import { expect } from 'chai';
import { execFile, execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BOSUN_BIN } from '../../lib/launcher/local-process';
import { busyboxTarball } from '../../services/node-agent/runtime/process/testing';
import { ControlPlaneCluster } from '../support/control-plane-cluster';

/** How long objects may take to show up in DNS through the controllers and informers, ms. */
const SETTLE_MS = 30_000;
/** Longest a single dig may take (it retries itself on UDP), ms. */
const DIG_TIMEOUT_MS = 10_000;
const NS = 'dns-e2e';
const ZONE = 'cluster.local';

/** Runs the real dig against `port` on 127.0.0.1 (`args` after the server); resolves with stdout. */
function dig(port: number, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('dig', [`@127.0.0.1`, '-p', String(port), '+time=2', '+tries=2', ...args], { timeout: DIG_TIMEOUT_MS }, (err, stdout, stderr) => (err ? reject(new Error(`dig ${args.join(' ')}: ${err.message} ${stderr}`)) : resolve(stdout)));
  });
}

/** The `status:` of dig's header (NOERROR, NXDOMAIN, REFUSED, ...). */
async function digStatus(port: number, args: string[]): Promise<string> {
  const out = await dig(port, args);
  return /status: ([A-Z]+)/.exec(out)?.[1] ?? `no status in: ${out}`;
}

/** `dig +short` lines, sorted. */
async function short(port: number, args: string[]): Promise<string[]> {
  return (await dig(port, ['+short', ...args])).trim().split('\n').filter((l) => l !== '').sort();
}

const HEADLESS = `
apiVersion: v1
kind: Service
metadata: { name: nginx, namespace: ${NS} }
spec:
  clusterIP: None
  selector: { app: nginx }
  ports: [{ name: web, port: 80 }]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: { name: web, namespace: ${NS} }
spec:
  replicas: 2
  serviceName: nginx
  selector: { matchLabels: { app: nginx } }
  template:
    metadata: { labels: { app: nginx } }
    spec:
      containers: [{ name: c, image: busybox, resources: { requests: { cpu: 10m } } }]
`;

/**
 * The cluster DNS through real processes: a store, an apiserver, a controller-manager (the
 * EndpointSlice and mirroring controllers), simulated nodes and `bosun dns`; objects made with
 * the real kubectl; queries with the real dig over UDP and TCP.
 */
describe('cluster DNS through real processes, kubectl and dig', function () {
  this.timeout(180_000);
  let cluster: ControlPlaneCluster;
  let port: number;
  const kubectl = (args: string[], input?: string) => cluster.kubectlOk(args, input);
  const waitShort = (args: string[], want: (lines: string[]) => boolean, what: string) =>
    cluster.waitFor(async () => {
      const lines = await short(port, args);
      return want(lines) ? lines : undefined;
    }, SETTLE_MS, what);

  before(async () => {
    cluster = await ControlPlaneCluster.start('dns', { dns: true });
    port = cluster.dns!.ports.dns;
    await kubectl(['create', 'namespace', NS]);
  });
  after(async () => {
    await cluster?.stop();
  });

  it('keeps the kube-dns Service at 10.43.0.10 (no selector) with its own address in Endpoints, mirrored into an EndpointSlice', async () => {
    const svc = JSON.parse(await kubectl(['get', 'service', 'kube-dns', '-n', 'kube-system', '-o', 'json']));
    expect(svc.spec.clusterIP).to.equal('10.43.0.10');
    expect(svc.spec.selector).to.equal(undefined);
    expect(svc.metadata.labels['k8s-app']).to.equal('kube-dns');
    expect(svc.spec.ports.map((p: { name: string; port: number; protocol: string }) => `${p.name}/${p.port}/${p.protocol}`)).to.deep.equal(['dns/53/UDP', 'dns-tcp/53/TCP']);
    const eps = JSON.parse(await kubectl(['get', 'endpoints', 'kube-dns', '-n', 'kube-system', '-o', 'json']));
    expect(eps.subsets[0].addresses.map((a: { ip: string }) => a.ip)).to.deep.equal(['127.0.0.1']);
    expect(eps.subsets[0].ports.map((p: { name: string; port: number }) => `${p.name}=${p.port}`).sort()).to.deep.equal([`dns-tcp=${port}`, `dns=${port}`]);
    const slicePorts = await cluster.waitFor(async () => {
      const list = JSON.parse(await kubectl(['get', 'endpointslices', '-n', 'kube-system', '-l', 'kubernetes.io/service-name=kube-dns', '-o', 'json']));
      const ports = (list.items as { ports?: { name: string; port: number }[] }[]).flatMap((s) => s.ports ?? []);
      return ports.length > 0 ? ports.map((p) => `${p.name}=${p.port}`).sort() : undefined;
    }, SETTLE_MS, 'the mirrored kube-dns EndpointSlice');
    expect(slicePorts).to.deep.equal([`dns-tcp=${port}`, `dns=${port}`]);
    // The DNS answers for its own Service, and for the apiserver's.
    expect(await short(port, [`kube-dns.kube-system.svc.${ZONE}`])).to.deep.equal(['10.43.0.10']);
    const kubernetesIp = (await kubectl(['get', 'service', 'kubernetes', '-o', 'jsonpath={.spec.clusterIP}'])).trim();
    expect(await short(port, [`kubernetes.default.svc.${ZONE}`])).to.deep.equal([kubernetesIp]);
  });

  it('a Service made with kubectl resolves to its ClusterIP over UDP and TCP; AAAA is NODATA; a missing name NXDOMAIN', async () => {
    await kubectl(['create', 'deployment', 'web', '-n', NS, '--image=busybox', '--replicas=2']);
    await kubectl(['expose', 'deployment', 'web', '-n', NS, '--port=80', '--target-port=8080']);
    const ip = (await kubectl(['get', 'service', 'web', '-n', NS, '-o', 'jsonpath={.spec.clusterIP}'])).trim();
    expect(ip).to.match(/^10\.43\./);
    expect(ip).to.not.equal('10.43.0.10');
    await waitShort([`web.${NS}.svc.${ZONE}`], (l) => l.length === 1, 'web in DNS');
    expect(await short(port, [`web.${NS}.svc.${ZONE}`])).to.deep.equal([ip]);
    expect(await short(port, ['+tcp', `web.${NS}.svc.${ZONE}`])).to.deep.equal([ip]);
    const aaaa = await dig(port, ['AAAA', `web.${NS}.svc.${ZONE}`]);
    expect(/status: NOERROR/.test(aaaa) && /ANSWER: 0/.test(aaaa) && /AUTHORITY: 1/.test(aaaa)).to.equal(true);
    expect(await digStatus(port, [`nope.${NS}.svc.${ZONE}`])).to.equal('NXDOMAIN');
    expect(await digStatus(port, ['+tcp', `nope.${NS}.svc.${ZONE}`])).to.equal('NXDOMAIN');
    // TTL 5 s, authoritative.
    const full = await dig(port, ['+noall', '+answer', `web.${NS}.svc.${ZONE}`]);
    expect(full).to.match(new RegExp(`web\\.${NS}\\.svc\\.cluster\\.local\\.\\s+5\\s+IN\\s+A\\s+${ip.replace(/\./g, '\\.')}`));
    expect(await dig(port, [`web.${NS}.svc.${ZONE}`])).to.match(/flags: qr aa/);
  });

  it('SRV for a named port targets the Service name', async () => {
    await kubectl(['create', 'service', 'clusterip', 'named', '-n', NS, '--tcp=8080:80']);
    const lines = await waitShort(['SRV', `_8080-80._tcp.named.${NS}.svc.${ZONE}`], (l) => l.length === 1, 'the SRV record');
    expect(lines).to.deep.equal([`0 100 8080 named.${NS}.svc.${ZONE}.`]);
    expect(await digStatus(port, ['SRV', `_nope._tcp.named.${NS}.svc.${ZONE}`])).to.equal('NXDOMAIN');
  });

  it('a headless Service resolves to its ready pods; StatefulSet pods by name; SRV one per pod', async () => {
    await kubectl(['apply', '-f', '-'], HEADLESS);
    const podIp = async (name: string) => (await kubectl(['get', 'pod', name, '-n', NS, '-o', 'jsonpath={.status.podIP}'])).trim();
    const ips = await cluster.waitFor(async () => {
      const a = await podIp('web-0').catch(() => '');
      const b = await podIp('web-1').catch(() => '');
      return a && b ? [a, b].sort() : undefined;
    }, SETTLE_MS, 'both StatefulSet pods with IPs');
    await waitShort([`nginx.${NS}.svc.${ZONE}`], (l) => l.length === 2, 'both pods behind the headless Service');
    expect(await short(port, [`nginx.${NS}.svc.${ZONE}`])).to.deep.equal(ips);
    expect(await short(port, [`web-0.nginx.${NS}.svc.${ZONE}`])).to.deep.equal([await podIp('web-0')]);
    expect(await short(port, ['+tcp', `web-1.nginx.${NS}.svc.${ZONE}`])).to.deep.equal([await podIp('web-1')]);
    expect(await short(port, ['SRV', `_web._tcp.nginx.${NS}.svc.${ZONE}`])).to.deep.equal([`0 50 80 web-0.nginx.${NS}.svc.${ZONE}.`, `0 50 80 web-1.nginx.${NS}.svc.${ZONE}.`]);
  });

  it('ExternalName is a CNAME; pod names carry their IP; SOA at the apex; names outside the zone are refused', async () => {
    await kubectl(['create', 'service', 'externalname', 'ext', '-n', NS, '--external-name', 'db.example.com']);
    await waitShort([`ext.${NS}.svc.${ZONE}`], (l) => l.length === 1, 'the ExternalName CNAME');
    expect(await short(port, ['CNAME', `ext.${NS}.svc.${ZONE}`])).to.deep.equal(['db.example.com.']);
    expect(await short(port, [`10-42-7-9.${NS}.pod.${ZONE}`])).to.deep.equal(['10.42.7.9']);
    expect((await short(port, ['SOA', ZONE]))[0]).to.match(/^ns\.dns\.cluster\.local\. hostmaster\.cluster\.local\. /);
    expect(await digStatus(port, ['example.com'])).to.equal('REFUSED');
  });

  it('a deleted Service leaves DNS (NXDOMAIN once the informer sees it)', async () => {
    await kubectl(['delete', 'service', 'named', '-n', NS]);
    await cluster.waitFor(async () => ((await digStatus(port, [`named.${NS}.svc.${ZONE}`])) === 'NXDOMAIN' ? true : undefined), SETTLE_MS, 'named gone from DNS');
  });

  it('exposes CoreDNS metrics and its status API', async () => {
    const status = await cluster.dns!.status();
    expect(status.synced).to.equal(true);
    expect(status.clusterDomain).to.equal(ZONE);
    expect(Number(status.responses.NXDOMAIN ?? 0)).to.be.greaterThan(0);
    const text = await fetch(cluster.dns!.metricsUrl!).then((r) => r.text());
    expect(text).to.match(/^coredns_dns_requests_total\{[^}]*proto="tcp"[^}]*\} [1-9]/m);
    expect(text).to.match(/^coredns_dns_responses_total\{[^}]*rcode="NXDOMAIN"[^}]*\} [1-9]/m);
    expect(text).to.contain('coredns_dns_request_duration_seconds_bucket');
  });
});

/** Where the proxy's entry point lands once it is built (the proxy is built in parallel). */
/** A pod range of this test's own, apart from the other process-runtime tests'. */
const POD_CLUSTER_CIDR = '10.42.208.0/20';

/**
 * From inside a pod: its resolv.conf names 10.43.0.10 and searches `<ns>.svc.cluster.local`, so
 * `nslookup web` (a short name) reaches this DNS through the proxy's 10.43.0.10:53. Needs root
 * (process runtime) and the proxy (`bosun proxy`), so it runs only when both are there.
 */
describe('cluster DNS from inside a pod (through the proxy at 10.43.0.10)', function () {
  this.timeout(240_000);
  let cluster: ControlPlaneCluster;
  let imageStore: string | undefined;

  before(async function () {
    if (process.getuid?.() !== 0) {
      console.log('      (skipped: pods on the process runtime need root)');
      this.skip();
    }
    imageStore = path.join(os.tmpdir(), `bosun-e2e-dns-images-${process.pid}`);
    process.env.BOSUN_IMAGE_STORE = imageStore;
    execFileSync(process.execPath, [BOSUN_BIN, 'image', 'import', 'busybox:latest', busyboxTarball()], { stdio: 'ignore' });
    // The proxy in userspace mode: it forwards 10.43.0.10:53 to the DNS's loopback address from
    // the host's namespace (a kernel DNAT to 127.0.0.1 from a pod's namespace never arrives;
    // `bosun up` runs the DNS on the host's address instead).
    cluster = await ControlPlaneCluster.start('dns-pod', {
      dns: true,
      nodes: [],
      controllerManagerArgs: ['--cluster-cidr', POD_CLUSTER_CIDR],
      nodeAgents: [{ nodeName: 'dns-node', runtime: 'process' }],
      proxy: { mode: 'userspace' },
    });
  });

  after(async () => {
    if (!cluster) return;
    await cluster.kubectl(['delete', 'pods', '--all', '--grace-period=0', '--force', '--wait=false']);
    await cluster.stop();
    if (imageStore) fs.rmSync(imageStore, { recursive: true, force: true });
    delete process.env.BOSUN_IMAGE_STORE;
  });

  it('a pod resolves a Service by its short name via its resolv.conf search path', async () => {
    const kubectl = (args: string[]) => cluster.kubectlOk(args);
    await kubectl(['create', 'service', 'clusterip', 'web', '--tcp=80:8080']);
    await kubectl(['run', 'client', '--image=busybox', '--restart=Never', '--command', '--', 'sleep', '3600']);
    await cluster.waitFor(async () => ((await kubectl(['get', 'pod', 'client', '-o', 'jsonpath={.status.phase}'])) === 'Running' ? true : undefined), 90_000, 'the client pod Running');
    const resolvConf = await kubectl(['exec', 'client', '--', 'cat', '/etc/resolv.conf']);
    expect(resolvConf).to.match(/^nameserver 10\.43\.0\.10$/m);
    expect(resolvConf).to.match(/^search default\.svc\.cluster\.local svc\.cluster\.local cluster\.local/m);
    const ip = (await kubectl(['get', 'service', 'web', '-o', 'jsonpath={.spec.clusterIP}'])).trim();
    const answer = await cluster.waitFor(async () => {
      // busybox's nslookup asks every search domain and exits 1 when any of them is NXDOMAIN,
      // even after the first one answered: the answer is what counts.
      const r = await cluster.kubectl(['exec', 'client', '--', 'nslookup', 'web']);
      return r.stdout.includes(ip) ? r.stdout : undefined;
    }, 60_000, 'nslookup web inside the pod');
    expect(answer).to.contain(`web.default.svc.cluster.local`);
  });
});
