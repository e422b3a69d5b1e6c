import { expect } from 'chai';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type { KubeObject } from '../../lib/api/object';
import { grpcClientFor, serviceConnection } from '../../lib/client/kubeconfig-client';
import { freePort, memberStatus } from '../../lib/launcher/store-cluster';
import { sampleValue } from '../../lib/metrics';
import { configMapStrategy, serviceStrategy } from '../../services/apiserver/kinds/core';
import { ClusterControl, KILL_LEADER_THEN_FOLLOWER, runChaosWorkload } from '../support/chaos-workload';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '..', '..', '..');
const SERVICES = ['store-1', 'store-2', 'store-3'];

/** The host ports a run publishes, by compose.yaml's variable (each a free port of this run). */
const PORT_VARIABLES = [
  'BOSUN_STORE_PORT_1', 'BOSUN_STORE_PORT_2', 'BOSUN_STORE_PORT_3', 'BOSUN_APISERVER_PORT_1', 'BOSUN_APISERVER_PORT_2',
  'BOSUN_CONTROLLER_MANAGER_METRICS_PORT_1', 'BOSUN_CONTROLLER_MANAGER_METRICS_PORT_2',
  'BOSUN_APISERVER_HTTPS_PORT', 'BOSUN_NODEPORT_PORT', 'BOSUN_SCHEDULER_PORT_1', 'BOSUN_SCHEDULER_PORT_2',
  'BOSUN_SCHEDULER_METRICS_PORT_1', 'BOSUN_SCHEDULER_METRICS_PORT_2', 'BOSUN_INGRESS_HTTP_PORT', 'BOSUN_INGRESS_HTTPS_PORT', 'BOSUN_INGRESS_GRPC_PORT',
] as const;
/** The NodePort the sample app's Service asks for (compose publishes it from node-1). */
const SAMPLE_NODE_PORT = 30080;

/** docker-compose with this run's own project name and ports, so runs never collide. */
class ComposeProject {
  readonly name = `bosun-chaos-${process.pid}`;
  /** The bind-mounted folder the `identities` one-shot writes the host's admin kubeconfig to. */
  readonly hostDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bosun-compose-'));
  constructor(readonly ports: number[]) {}

  port(variable: (typeof PORT_VARIABLES)[number]): number {
    return this.ports[PORT_VARIABLES.indexOf(variable)]!;
  }

  get kubeconfig(): string {
    return path.join(this.hostDir, 'kubeconfig');
  }

  /** Real kubectl with the host's admin kubeconfig (server: the balancer on 127.0.0.1). */
  async kubectl(...args: string[]): Promise<string> {
    const { stdout } = await run('kubectl', ['--kubeconfig', this.kubeconfig, '--request-timeout', '20s', ...args], { timeout: 60_000, maxBuffer: 16 * 1024 * 1024 });
    return stdout;
  }

  async compose(...args: string[]): Promise<string> {
    const env: NodeJS.ProcessEnv = { ...process.env, BOSUN_COMPOSE_DIR: this.hostDir, BOSUN_NODEPORT: String(SAMPLE_NODE_PORT) };
    for (const [i, variable] of PORT_VARIABLES.entries()) env[variable] = String(this.ports[i]);
    const { stdout } = await run('docker-compose', ['-p', this.name, '--project-directory', ROOT, '-f', path.join(ROOT, 'compose.yaml'), ...args], {
      env,
      timeout: 120_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    return stdout;
  }

  get endpoints(): string[] {
    return this.ports.slice(0, 3).map((p) => `127.0.0.1:${p}`);
  }

  get apiserverEndpoints(): string[] {
    return this.ports.slice(3, 5).map((p) => `127.0.0.1:${p}`);
  }

  /** The controller-managers' /metrics URLs. */
  get controllerManagerMetrics(): string[] {
    return this.ports.slice(5, 7).map((p) => `http://127.0.0.1:${p}/metrics`);
  }

  /** Resolves when every member answers Status and agrees on a leader. */
  async waitReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      try {
        const s = await Promise.all(this.endpoints.map((e) => memberStatus(e, 1000)));
        const leaders = new Set(s.map((x) => x.leader));
        if (leaders.size === 1 && !leaders.has(0)) return;
        last = `leaders: ${[...leaders].join(',')}`;
      } catch (err) {
        last = String(err);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`compose cluster not ready: ${last}\n${await this.compose('logs', '--no-color', '--tail', '20').catch(() => '')}`);
  }
}

describe('store chaos under Docker Compose: docker kill / docker start of store containers', function () {
  this.timeout(600_000);
  let project: ComposeProject;
  let up = false;

  before(async () => {
    await run('bash', [path.join(ROOT, 'scripts', 'docker', 'build-image.sh'), '--no-build'], { timeout: 300_000, maxBuffer: 64 * 1024 * 1024 });
    await run('bash', [path.join(ROOT, 'scripts', 'docker', 'make-node-image.sh')], { timeout: 300_000, maxBuffer: 64 * 1024 * 1024 });
    const ports: number[] = [];
    for (let i = 0; i < PORT_VARIABLES.length; i++) ports.push(await freePort());
    project = new ComposeProject(ports);
    up = true;
    await project.compose('up', '-d', '--no-build');
    await project.waitReady(60_000);
  });

  after(async () => {
    if (up) await project.compose('down', '-v', '--timeout', '10').catch((err) => console.error(String(err)));
    if (project) fs.rmSync(project.hostDir, { recursive: true, force: true });
  });

  it('serves the API from both apiserver containers: a write through one is read through the other', async () => {
    // One client per apiserver, as the admin (its kubeconfig's token and CA; anonymous calls are refused).
    const [a, b] = project.apiserverEndpoints.map((e) => grpcClientFor(serviceConnection(project.kubeconfig, [e])));
    try {
      const deadline = Date.now() + 60_000;
      for (;;) {
        try {
          await Promise.all([a!.discover(), b!.discover()]);
          break;
        } catch (err) {
          if (Date.now() > deadline) throw err;
          await new Promise((r) => setTimeout(r, 500));
        }
      }
      await a!.resource(configMapStrategy.info).create('default', { metadata: { name: 'from-compose' }, data: { via: 'apiserver-1' } } as KubeObject);
      const read = (await b!.resource(configMapStrategy.info).get('default', 'from-compose')) as KubeObject & { data: Record<string, string> };
      expect(read.data.via).to.equal('apiserver-1');
      const svc = await b!.resource(serviceStrategy.info).get('default', 'kubernetes');
      expect((svc.spec as { clusterIP: string }).clusterIP).to.equal('10.43.0.1');
    } finally {
      a?.close();
      b?.close();
    }
  });

  it('runs two controller-manager containers as their own identity, exactly one of them leading', async () => {
    const leaders = async () => {
      let n = 0;
      for (const url of project.controllerManagerMetrics) n += sampleValue(await (await fetch(url)).text(), 'leader_election_master_status{name="kube-controller-manager"}') ?? 0;
      return n;
    };
    const deadline = Date.now() + 60_000;
    while ((await leaders().catch(() => 0)) !== 1) {
      if (Date.now() > deadline) throw new Error(`no single controller-manager leader:\n${await project.compose('logs', '--no-color', '--tail', '20', 'controller-manager-1', 'controller-manager-2').catch(() => '')}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  });

  it('kubectl on the host, through the balancer\'s HTTPS, sees both node containers Ready', async () => {
    await waitFor(90_000, 'both nodes Ready', async () => {
      const nodes = JSON.parse(await project.kubectl('get', 'nodes', '-o', 'json')) as { items: NodeJson[] };
      const ready = nodes.items.filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).map((n) => n.metadata.name);
      return ready.sort().join(',') === 'node-1,node-2' ? true : `ready: ${ready.join(',') || 'none'}`;
    }, () => project.compose('logs', '--no-color', '--tail', '20', 'node-1', 'node-2', 'identities', 'balancer'));
  });

  it('runs a busybox httpd Deployment on both nodes: answers from both pods through the published NodePort, pod to pod across nodes, DNS in a pod', async () => {
    await applyManifest(project, sampleApp());
    await project.kubectl('rollout', 'status', 'deployment/web', '--timeout', '120s');
    const pods = (JSON.parse(await project.kubectl('get', 'pods', '-l', 'app=web', '-o', 'json')) as { items: PodJson[] }).items;
    expect(pods.map((p) => p.spec.nodeName).sort()).to.deep.equal(['node-1', 'node-2']);
    const names = new Set(pods.map((p) => p.metadata.name));
    // From the host: node-1's NodePort, published on 127.0.0.1, balances over both nodes' pods.
    const seen = new Set<string>();
    await waitFor(60_000, 'answers from both pods through the NodePort', async () => {
      const res = await fetch(`http://127.0.0.1:${project.port('BOSUN_NODEPORT_PORT')}/`, { signal: AbortSignal.timeout(3000) }).catch(() => undefined);
      if (res?.ok) seen.add((await res.text()).trim());
      return [...names].every((n) => seen.has(n)) ? true : `seen: ${[...seen].join(',') || 'none'}`;
    });
    // Pod to pod across the node containers (the agents' peer routes), by IP: HTTP over busybox nc.
    const [a, b] = [pods.find((p) => p.spec.nodeName === 'node-1')!, pods.find((p) => p.spec.nodeName === 'node-2')!];
    const across = await project.kubectl('exec', a.metadata.name, '--', 'sh', '-c', `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 5 ${b.status.podIP} 8080`);
    expect(across).to.contain(b.metadata.name);
    // The cluster DNS (one container) through the node's proxy at 10.43.0.10.
    const service = JSON.parse(await project.kubectl('get', 'service', 'web', '-o', 'json')) as { spec: { clusterIP: string } };
    const lookup = await project.kubectl('exec', a.metadata.name, '--', 'nslookup', 'web.default.svc.cluster.local');
    expect(lookup).to.contain(service.spec.clusterIP);
  });

  it('loses no acknowledged write and stays linearizable while containers are killed and started', async () => {
    const control: ClusterControl = {
      endpoints: project.endpoints,
      kill: async (i) => void (await project.compose('kill', SERVICES[i])),
      start: async (i) => void (await project.compose('start', SERVICES[i])),
      leaderIndex: async () => {
        for (const [i, e] of project.endpoints.entries()) {
          try {
            const s = await memberStatus(e, 1000);
            if (s.leader !== 0 && s.leader === s.header?.memberId) return i;
          } catch {
            // member down
          }
        }
        return undefined;
      },
    };
    const report = await runChaosWorkload(control, {
      clients: 4,
      keys: 4,
      maxOpsPerClient: 1500,
      maxDurationMs: 40_000,
      requestTimeoutMs: 4000,
      faults: KILL_LEADER_THEN_FOLLOWER,
      prefix: 'compose-chaos/',
    });
    const summary = `faults: ${report.faultsRun.join('; ')}; ops ok=${report.counts.ok} failed=${report.counts.failed} unknown=${report.counts.unknown}; unique writes acknowledged=${report.acknowledged.length}`;
    console.log(`      ${summary}`);
    expect(report.faultsRun.filter((f) => /^kill-\w+ #\d$/.test(f)).length, summary).to.be.greaterThanOrEqual(3);
    expect(report.counts.ok).to.be.greaterThan(100);
    expect(report.lost, `acknowledged writes lost (${summary})`).to.deep.equal([]);
    if (report.linearizability.ok !== true) {
      const detail = report.linearizability.ok === false ? `${report.linearizability.reason}\n${report.linearizability.window}` : report.linearizability.reason;
      expect.fail(`history is not linearizable: ${detail}`);
    }
    await project.waitReady(60_000);
  });
});

interface NodeJson {
  metadata: { name: string };
  status?: { conditions?: { type: string; status: string }[] };
}

interface PodJson {
  metadata: { name: string };
  spec: { nodeName?: string };
  status: { podIP?: string };
}

/** Polls `check` (true, or why not yet) every half second until it holds; fails with the last reason and `logs`. */
async function waitFor(timeoutMs: number, what: string, check: () => Promise<true | string>, logs?: () => Promise<string>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    try {
      const r = await check();
      if (r === true) return;
      last = r;
    } catch (err) {
      last = String(err);
    }
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms (${last})${logs ? `\n${await logs().catch(() => '')}` : ''}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** The README's sample app: a busybox httpd on each node (spread by hostname) answering with its pod name, and a NodePort Service. */
function sampleApp(): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata: { name: web }
spec:
  replicas: 2
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      topologySpreadConstraints:
      - { maxSkew: 1, topologyKey: kubernetes.io/hostname, whenUnsatisfiable: DoNotSchedule, labelSelector: { matchLabels: { app: web } } }
      containers:
      - name: httpd
        image: busybox:latest
        command: ["sh", "-c", "echo $HOSTNAME > /tmp/index.html; exec httpd -f -p 8080 -h /tmp"]
        ports: [{ containerPort: 8080 }]
---
apiVersion: v1
kind: Service
metadata: { name: web }
spec:
  type: NodePort
  selector: { app: web }
  ports: [{ port: 80, targetPort: 8080, nodePort: ${SAMPLE_NODE_PORT} }]
`;
}

/** `kubectl apply -f -` with the manifest on stdin. */
function applyManifest(project: ComposeProject, manifest: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = execFile('kubectl', ['--kubeconfig', project.kubeconfig, 'apply', '-f', '-'], { timeout: 60_000 }, (err, _out, stderr) => (err ? reject(new Error(`kubectl apply: ${stderr || err.message}`)) : resolve()));
    child.stdin?.end(manifest);
  });
}
