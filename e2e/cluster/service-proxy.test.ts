import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import pino from 'pino';
import { RESOURCES } from '../../lib/api/resources';
import type { EndpointSlice } from '../../lib/api/types/discovery';
import { BOSUN_BIN } from '../../lib/launcher/local-process';
import { busyboxTarball } from '../../services/node-agent/runtime/process/testing';
import { repoRoot } from '../../services/node-agent/runtime/process/monitor-binary';
import type { ProxyMode } from '../../services/proxy/data-path';
import { createDataPath } from '../../services/proxy/data-paths';
import { udpAsk } from '../../services/proxy/testing/proxy-fixtures';
import { ControlPlaneCluster } from '../support/control-plane-cluster';

/** A pod range of this test's own, apart from the other process-runtime suites' (10.42.176.0/20, 10.42.200+). */
const CLUSTER_CIDR = '10.42.160.0/20';
const NODES = ['svc-a', 'svc-b'];
const SETTLE_MS = 60_000;
/** How long an endpoint turning unready may stay in the proxy's rotation after its EndpointSlice says so. */
const ROTATION_BUDGET_MS = 2_000;
/** A refused connection must fail at once, not after a timeout. */
const REFUSE_BUDGET_MS = 500;

const MANIFESTS = `
apiVersion: apps/v1
kind: Deployment
metadata: { name: web }
spec:
  replicas: 2
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: web
        image: busybox
        env: [{ name: POD_NAME, valueFrom: { fieldRef: { fieldPath: metadata.name } } }]
        command: [sh, -c, 'mkdir -p /www && echo -n "$POD_NAME" > /www/index.html && touch /tmp/ready && exec httpd -f -p 8080 -h /www']
        readinessProbe: { exec: { command: [test, -f, /tmp/ready] }, periodSeconds: 1, failureThreshold: 1 }
---
apiVersion: v1
kind: Service
metadata: { name: web }
spec:
  type: NodePort
  selector: { app: web }
  ports: [{ port: 80, targetPort: 8080 }]
---
apiVersion: v1
kind: Service
metadata: { name: sticky }
spec:
  selector: { app: web }
  sessionAffinity: ClientIP
  ports: [{ port: 80, targetPort: 8080 }]
---
apiVersion: v1
kind: Service
metadata: { name: nobody }
spec:
  selector: { app: nothing-matches }
  ports: [{ port: 80, targetPort: 8080 }]
---
apiVersion: v1
kind: Pod
metadata: { name: solo, labels: { app: solo } }
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - name: solo
    image: busybox
    command: [sh, -c, 'mkdir -p /www && echo -n solo > /www/index.html && exec httpd -f -p 8080 -h /www']
---
apiVersion: v1
kind: Service
metadata: { name: solo }
spec:
  selector: { app: solo }
  ports: [{ port: 80, targetPort: 8080 }]
---
apiVersion: v1
kind: Pod
metadata: { name: udp-echo, labels: { app: udp-echo } }
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - name: echo
    image: bosun-node:local
    command: [node, -e, 'const s = require("dgram").createSocket("udp4"); s.on("message", (m, r) => s.send(Buffer.concat([Buffer.from("echo:"), m]), r.port, r.address)); s.bind(5353);']
---
apiVersion: v1
kind: Service
metadata: { name: udp-echo }
spec:
  selector: { app: udp-echo }
  ports: [{ port: 53, targetPort: 5353, protocol: UDP }]
`;

/** The proxy modes this build and host can run: userspace, plus nftables when we are root. */
export function proxyModes(): ProxyMode[] {
  const modes: ProxyMode[] = ['userspace'];
  if (process.getuid?.() === 0) {
    try {
      createDataPath('nftables', { localNodes: new Set(), serviceCidr: '10.43.0.0/16', clusterCidr: CLUSTER_CIDR, nodePortAddresses: [], logger: pino({ level: 'silent' }) });
      modes.push('nftables');
    } catch {
      // not available here
    }
  }
  return modes;
}

/** The node.js image tarball (scripts/images/build-images.sh node), built on first use. */
function nodeImageTarball(): string {
  const out = execFileSync('bash', [path.join(repoRoot(), 'scripts', 'images', 'build-images.sh'), 'node'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return out.trim().split('\n').pop()!;
}

/** GET http://host:port/ → body; rejects on any error (refused, reset, timeout). */
function httpGet(host: string, port: number, localAddress?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host, port, path: '/', timeout: 5_000, agent: false, ...(localAddress ? { localAddress } : {}) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (b: Buffer) => chunks.push(b));
      res.on('end', () => (res.statusCode === 200 ? resolve(Buffer.concat(chunks).toString()) : reject(new Error(`HTTP ${res.statusCode}`))));
    });
    req.on('timeout', () => req.destroy(new Error(`GET http://${host}:${port}/ timed out`)));
    req.on('error', reject);
  });
}

/** How long a TCP connect to host:port takes to fail, and with which code (undefined if it connected). */
function connectOutcome(host: string, port: number): Promise<{ code?: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    s.setTimeout(5_000, () => s.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    s.on('connect', () => {
      s.destroy();
      resolve({ ms: Date.now() - started });
    });
    s.on('error', (err: NodeJS.ErrnoException) => resolve({ code: err.code, ms: Date.now() - started }));
  });
}

for (const mode of proxyModes()) {
  /**
   * Services through a real `bosun proxy --mode MODE` serving two process-runtime node agents
   * (root: pod networks on bridges) under a real control plane, driven by kubectl: a Deployment
   * is reached by ClusterIP and NodePort from the host and from a pod, ClientIP affinity sticks,
   * a Service without endpoints refuses at once, an unready pod leaves the rotation within
   * ROTATION_BUDGET_MS of its EndpointSlice while requests keep succeeding, UDP is relayed, and
   * a pod reaches itself through its own Service (hairpin).
   */
  describe(`Services through the ${mode} proxy (real processes, process-runtime nodes)`, function () {
    this.timeout(240_000);
    let cluster: ControlPlaneCluster;
    const ips = new Map<string, string>();
    let nodePort = 0;

    before(async function () {
      if (process.getuid?.() !== 0) {
        console.log('      (skipped: process-runtime pods and the proxy node setup need root)');
        this.skip();
      }
      process.env.BOSUN_IMAGE_STORE = path.join(os.tmpdir(), `bosun-e2e-proxy-images-${process.pid}`);
      execFileSync(process.execPath, [BOSUN_BIN, 'image', 'import', 'busybox:latest', busyboxTarball()], { stdio: 'ignore' });
      execFileSync(process.execPath, [BOSUN_BIN, 'image', 'import', 'bosun-node:local', nodeImageTarball()], { stdio: 'ignore' });
      cluster = await ControlPlaneCluster.start(`proxy-${mode}`, {
        nodes: [],
        controllerManagerArgs: ['--cluster-cidr', CLUSTER_CIDR],
        nodeAgents: NODES.map((nodeName) => ({ nodeName, runtime: 'process' })),
        proxy: { mode, extraArgs: ['--cluster-cidr', CLUSTER_CIDR] },
      });
      await cluster.waitFor(async () => {
        const out = await kubectl(['get', 'nodes', '-o', 'jsonpath={range .items[*]}{.metadata.name}={.status.conditions[?(@.type=="Ready")].status} {end}']);
        return NODES.every((n) => out.includes(`${n}=True`)) ? true : undefined;
      }, SETTLE_MS, 'both nodes Ready');
      await kubectl(['apply', '-f', '-'], MANIFESTS);
      for (const svc of ['web', 'sticky', 'nobody', 'solo', 'udp-echo']) ips.set(svc, await kubectl(['get', 'service', svc, '-o', 'jsonpath={.spec.clusterIP}']));
      nodePort = Number(await kubectl(['get', 'service', 'web', '-o', 'jsonpath={.spec.ports[0].nodePort}']));
      await cluster.waitFor(async () => {
        const st = await cluster.proxy!.status();
        const ready = (name: string, n: number) => st.routes.find((r) => r.name === name)?.endpoints.filter((e) => e.internal).length === n;
        return ready('web', 2) && ready('solo', 1) && ready('udp-echo', 1) ? true : undefined;
      }, SETTLE_MS, 'the proxy routing web (2 endpoints), solo and udp-echo');
    });

    after(async () => {
      if (!cluster) return;
      await cluster.kubectl(['delete', 'deployment', 'web', '--wait=false']);
      await cluster.kubectl(['delete', 'pods', '--all', '--grace-period=0', '--force', '--wait=false']);
      await cluster.stop();
      fs.rmSync(process.env.BOSUN_IMAGE_STORE!, { recursive: true, force: true });
      delete process.env.BOSUN_IMAGE_STORE;
    });

    const kubectl = (args: string[], input?: string) => cluster.kubectlOk(args, input);
    const webPods = async () => (await kubectl(['get', 'pods', '-l', 'app=web', '-o', 'jsonpath={.items[*].metadata.name}'])).split(' ').filter((s) => s);
    /** Runs wget inside `pod`, retrying while the pod network settles (no -T: the image's static busybox 1.35 wget segfaults with it). */
    const wgetIn = (pod: string, url: string) => {
      let last = '';
      return cluster.waitFor(async () => {
        const r = await cluster.kubectl(['exec', pod, '--', 'wget', '-q', '-O', '-', url]);
        last = r.stderr;
        return r.code === 0 ? r.stdout : undefined;
      }, SETTLE_MS, `${pod} → ${url}`).catch((err: Error) => Promise.reject(new Error(`${last.trim()}\n${err.message}`)));
    };

    it('reports its mode, nodes and routing table over gRPC', async () => {
      const st = await cluster.proxy!.status();
      expect(st.mode).to.equal(mode);
      expect(st.nodeNames).to.deep.equal(NODES);
      expect(Number(st.syncsTotal)).to.be.at.least(1);
      expect(st.lastSyncTime).to.match(/^\d{4}-/);
      const web = st.routes.find((r) => r.key === 'default/web:/TCP')!;
      expect(web.clusterIps).to.deep.equal([ips.get('web')]);
      expect(web.nodePort).to.equal(nodePort);
      expect(web.endpoints.map((e) => e.port)).to.deep.equal([8080, 8080]);
    });

    it('balances the ClusterIP and the NodePort over both pods, from the host', async () => {
      const pods = await webPods();
      // The status shows the table; the data path follows at its next sync (at most 1 s later).
      await cluster.waitFor(() => httpGet(ips.get('web')!, 80).catch(() => undefined), SETTLE_MS, 'the ClusterIP answering');
      // Round-robin (userspace) shows both pods in two requests; nftables chooses at random: 20
      // requests miss one of two pods with probability 2^-19.
      const seen = new Set<string>();
      for (let i = 0; i < 20; i++) seen.add(await httpGet(ips.get('web')!, 80));
      expect([...seen].sort()).to.deep.equal([...pods].sort());
      seen.clear();
      // A node address the cluster made (a node bridge's gateway): the kernel path, like
      // kube-proxy's nftables mode, serves NodePorts on the node's addresses but not on 127.0.0.1.
      const podIp = await kubectl(['get', 'pod', pods[0]!, '-o', 'jsonpath={.status.podIP}']);
      const nodeAddress = podIp.replace(/\.\d+$/, '.1');
      for (let i = 0; i < 20; i++) seen.add(await httpGet(nodeAddress, nodePort));
      expect([...seen].sort()).to.deep.equal([...pods].sort());
    });

    it('reaches the ClusterIP and the NodePort from a pod', async () => {
      const pods = await webPods();
      const webIp = await kubectl(['get', 'pod', pods[0]!, '-o', 'jsonpath={.status.podIP}']);
      expect(await wgetIn('solo', `http://${webIp}:8080/`), 'pod → pod baseline').to.equal(pods[0]);
      expect(pods).to.include(await wgetIn('solo', `http://${ips.get('web')}/`));
      const soloIp = await kubectl(['get', 'pod', 'solo', '-o', 'jsonpath={.status.podIP}']);
      const gateway = soloIp.replace(/\.\d+$/, '.1');
      expect(pods).to.include(await wgetIn('solo', `http://${gateway}:${nodePort}/`));
    });

    it('keeps a client on one pod with ClientIP affinity', async () => {
      const first = await httpGet(ips.get('sticky')!, 80);
      for (let i = 0; i < 5; i++) expect(await httpGet(ips.get('sticky')!, 80)).to.equal(first);
    });

    it('refuses a Service without endpoints at once', async () => {
      const outcome = await connectOutcome(ips.get('nobody')!, 80);
      expect(outcome.code).to.equal('ECONNREFUSED');
      expect(outcome.ms).to.be.below(REFUSE_BUDGET_MS);
    });

    it('relays UDP', async () => {
      const reply = await cluster.waitFor(() => udpAsk(ips.get('udp-echo')!, 53, 'ping').catch(() => undefined), SETTLE_MS, 'a UDP echo');
      expect(reply).to.equal('echo:ping');
    });

    it('lets a pod reach itself through its own Service (hairpin)', async () => {
      expect(await wgetIn('solo', `http://${ips.get('solo')}/`)).to.equal('solo');
    });

    it('takes a pod turning unready out of the rotation within the budget while requests keep succeeding', async () => {
      const [victim, other] = await webPods();
      const victimIp = await kubectl(['get', 'pod', victim!, '-o', 'jsonpath={.status.podIP}']);
      const slices = cluster.client.resource<EndpointSlice>(RESOURCES.endpointslices);
      let failures = 0;
      let requests = 0;
      let loadRunning = true;
      const load = (async () => {
        while (loadRunning) {
          requests++;
          await httpGet(ips.get('web')!, 80).catch(() => failures++);
        }
      })();
      await kubectl(['exec', victim!, '--', 'rm', '/tmp/ready']);
      const unreadyInSlice = await cluster.waitFor(async () => {
        const list = await slices.list('default', { labelSelector: 'kubernetes.io/service-name=web' });
        const ep = list.items.flatMap((s) => s.endpoints ?? []).find((e) => e.addresses[0] === victimIp);
        return ep?.conditions?.ready === false ? Date.now() : undefined;
      }, SETTLE_MS, `${victim} unready in the EndpointSlice`);
      const outOfRotation = await cluster.waitFor(async () => {
        const st = await cluster.proxy!.status();
        const ep = st.routes.find((r) => r.name === 'web')?.endpoints.find((e) => e.ip === victimIp);
        return ep && !ep.internal ? Date.now() : undefined;
      }, SETTLE_MS, `${victim} out of the proxy's rotation`);
      loadRunning = false;
      await load;
      console.log(`      (${mode}: out of rotation ${outOfRotation - unreadyInSlice} ms after the EndpointSlice said unready; ${requests} requests, ${failures} failed)`);
      expect(outOfRotation - unreadyInSlice).to.be.at.most(ROTATION_BUDGET_MS);
      expect(failures).to.equal(0);
      for (let i = 0; i < 4; i++) expect(await httpGet(ips.get('web')!, 80)).to.equal(other);
      await kubectl(['exec', victim!, '--', 'touch', '/tmp/ready']);
    });

    // The kernel path outlives its proxy (kube-proxy leaves its rules on exit); the userspace path
    // is the proxy itself, so only the kernel path is held to this.
    if (mode === 'nftables') {
      it('keeps a flow and new connections going through kill -9 of the proxy, and reconverges once it is back', async () => {
        const socket = dgram.createSocket('udp4');
        const ask = (text: string) =>
          new Promise<string>((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error(`no UDP answer to "${text}" within 2 s`)), 2_000);
            socket.once('message', (m) => {
              clearTimeout(timer);
              resolve(m.toString());
            });
            socket.send(text, 53, ips.get('udp-echo')!);
          });
        try {
          expect(await ask('before')).to.equal('echo:before');
          await cluster.proxy!.kill('SIGKILL');
          expect(await ask('during'), 'the same UDP flow with the proxy dead').to.equal('echo:during');
          expect(await webPods(), 'a new connection with the proxy dead').to.include(await httpGet(ips.get('web')!, 80));
        } finally {
          socket.close();
        }
        await kubectl(['expose', 'pod', 'solo', '--name', 'solo-again', '--port', '80', '--target-port', '8080']);
        const ip = await kubectl(['get', 'service', 'solo-again', '-o', 'jsonpath={.spec.clusterIP}']);
        cluster.proxy!.start();
        await cluster.proxy!.waitReady();
        const answer = await cluster.waitFor(() => httpGet(ip, 80).catch(() => undefined), SETTLE_MS, 'a Service made while the proxy was down');
        expect(answer).to.equal('solo');
      });
    }
  });
}
