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
import type { StoreClientTls } from '../../store/client/endpoint';
import { apiUnconverged, pollConverged } from '../chaos/convergence';
import { getOnce, JOURNEY_FIXTURES, requestLoop } from '../journeys/journey-support';
import { ClusterControl, KILL_LEADER_THEN_FOLLOWER, runChaosWorkload } from '../support/chaos-workload';
import { COMPOSE_CLUSTER_RANGES, guardClusterRanges } from '../support/host-safety-routes';

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
/** The journey's namespace and its Ingress host (e2e/fixtures/journeys/web.yaml). */
const JOURNEY_NS = 'journey';
const JOURNEY_HOST = 'web.journey.local';
/** How long a journey step may wait for pods, endpoints or the ingress to settle, ms. */
const SETTLE_MS = 60_000;
/** Bounds of the request loop during the rolling update: requests and ms. */
const LOOP_MAX_REQUESTS = 3_000;
const LOOP_MAX_MS = 120_000;
/**
 * How long the paused node-2 may take to be marked Unknown and its pods to run Ready on node-1,
 * ms: a new controller-manager leader first waits out the killed one's 15 s Lease, then compose's
 * 20 s node grace period (BOSUN_NODE_MONITOR_GRACE_PERIOD), then eviction, scheduling and start.
 */
const RESCHEDULE_MS = 90_000;
/** How long after the last heal every Deployment and Service may take to converge, ms. */
const CONVERGE_MS = 60_000;
/** The namespaces whose Deployments and Services the convergence check covers. */
const CHECKED_NAMESPACES = ['default', JOURNEY_NS];

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

  /** TLS towards the store members: the store's CA and client certificate `identities` copied to the host (etcdctl's --cacert, --cert, --key). */
  get storeTls(): StoreClientTls {
    const file = (name: string) => fs.readFileSync(path.join(this.hostDir, 'store', name));
    return { ca: file('ca.crt'), cert: file('apiserver-etcd-client.crt'), key: file('apiserver-etcd-client.key') };
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
        const s = await Promise.all(this.endpoints.map((e) => memberStatus(e, 1000, this.storeTls)));
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

describe('the cluster under Docker Compose: the main journey, and chaos by docker kill / pause of store, apiserver, leader and node containers', function () {
  this.timeout(600_000);
  let project: ComposeProject;
  let up = false;
  /** Containers the chaos step paused: unpaused before `down`, which cannot stop them otherwise. */
  const paused = new Set<string>();

  /** Removes the host's safety routes this file added. */
  let unguard: () => Promise<void> = async () => undefined;

  before(async () => {
    unguard = await guardClusterRanges(COMPOSE_CLUSTER_RANGES);
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
    for (const service of paused) await project.compose('unpause', service).catch((err) => console.error(String(err)));
    if (up) await project.compose('down', '-v', '--timeout', '10').catch((err) => console.error(String(err)));
    if (project) fs.rmSync(project.hostDir, { recursive: true, force: true });
    await unguard();
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

  it('the main journey through kubectl: Deployment + Service + Ingress from the host, scale up and down, a rolling update with zero failed requests, rollout undo', async () => {
    const k = (...args: string[]) => project.kubectl('-n', JOURNEY_NS, ...args);
    const ingressPort = project.port('BOSUN_INGRESS_HTTP_PORT');
    const throughIngress = () => getOnce('127.0.0.1', ingressPort, '/hostname', { Host: JOURNEY_HOST });
    await project.kubectl('create', 'namespace', JOURNEY_NS);
    await k('apply', '-f', path.join(JOURNEY_FIXTURES, 'web.yaml'));
    await k('rollout', 'status', 'deployment/web', '--timeout=120s');
    const webPods = async () => (JSON.parse(await k('get', 'pods', '-l', 'app=web', '-o', 'json')) as { items: PodJson[] }).items;
    const names = new Set((await webPods()).map((p) => p.metadata.name));
    expect(names.size).to.equal(2);
    // The Ingress (the ingress controller in node-1's network namespace, its HTTP port published on 127.0.0.1).
    const seen = new Set<string>();
    await waitFor(SETTLE_MS, `both web pods through the ingress on 127.0.0.1:${ingressPort}`, async () => {
      const r = await throughIngress();
      if (r.status === 200) seen.add(r.body.trim());
      return [...names].every((n) => seen.has(n)) ? true : `seen: ${[...seen].join(',') || 'none'}; last: ${r.status ?? r.error} ${r.body.slice(0, 100)}`;
    }, () => project.compose('logs', '--no-color', '--tail', '20', 'ingress'));
    expect(JSON.parse(await k('get', 'ingress', 'web', '-o', 'json')).status.loadBalancer.ingress).to.deep.equal([{ ip: '127.0.0.1' }]);
    // Scale up and down: the Service's EndpointSlices follow the ready pods.
    const sliceAddresses = async () =>
      (JSON.parse(await k('get', 'endpointslices', '-l', 'kubernetes.io/service-name=web', '-o', 'json')) as { items: { endpoints?: { addresses: string[]; conditions?: { ready?: boolean } }[] }[] }).items
        .flatMap((s) => (s.endpoints ?? []).filter((e) => e.conditions?.ready !== false).flatMap((e) => e.addresses));
    await k('scale', 'deployment/web', '--replicas=4');
    await k('rollout', 'status', 'deployment/web', '--timeout=60s');
    await waitFor(SETTLE_MS, '4 ready addresses in the EndpointSlices', async () => ((await sliceAddresses()).length === 4 ? true : `${(await sliceAddresses()).length}`));
    await k('scale', 'deployment/web', '--replicas=2');
    await waitFor(SETTLE_MS, '2 web pods and 2 ready addresses', async () => {
      const [pods, addresses] = [await webPods(), await sliceAddresses()];
      return pods.length === 2 && addresses.length === 2 ? true : `${pods.length} pods, ${addresses.length} addresses`;
    });
    // A rolling update (image change) while requests flow through the ingress: the readiness
    // probe keeps new pods out until they answer, preStop lets the old ones leave first.
    const before = new Set((await webPods()).map((p) => p.metadata.name));
    let rolledOut = false;
    const loop = requestLoop('127.0.0.1', ingressPort, '/hostname', () => rolledOut, LOOP_MAX_REQUESTS, LOOP_MAX_MS, { Host: JOURNEY_HOST });
    try {
      await k('set', 'image', 'deployment/web', 'web=busybox:1.36');
      await k('rollout', 'status', 'deployment/web', '--timeout=90s');
    } finally {
      rolledOut = true;
    }
    const result = await loop;
    expect(result.failures, `${result.failures.length} of ${result.requests} requests failed`).to.deep.equal([]);
    expect(result.requests).to.be.greaterThan(10);
    const image = () => k('get', 'deployment', 'web', '-o', 'jsonpath={.spec.template.spec.containers[0].image}');
    expect(await image()).to.equal('busybox:1.36');
    await waitFor(SETTLE_MS, 'every web pod replaced', async () => {
      const left = (await webPods()).filter((p) => before.has(p.metadata.name)).map((p) => p.metadata.name);
      return left.length === 0 ? true : `old pods: ${left.join(',')}`;
    });
    await k('rollout', 'undo', 'deployment/web');
    await k('rollout', 'status', 'deployment/web', '--timeout=90s');
    expect(await image()).to.equal('busybox:latest');
    const r = await throughIngress();
    expect(r.status, `through the ingress after the undo: ${r.error ?? r.body}`).to.equal(200);
  });

  it('chaos across components: an apiserver, the scheduler and controller-manager leaders killed, a node paused past its grace period; kubectl keeps answering, pods move, everything converges after the heal', async () => {
    await applyManifest(project, steadyApp());
    await project.kubectl('rollout', 'status', 'deployment/steady', '--timeout=120s');
    const steadyPods = async () => (JSON.parse(await project.kubectl('get', 'pods', '-l', 'app=steady', '-o', 'json')) as { items: PodJson[] }).items;
    expect((await steadyPods()).map((p) => p.spec.nodeName).sort(), 'steady spread over both nodes').to.deep.equal(['node-1', 'node-2']);
    const holder = async (lease: string) => (await project.kubectl('-n', 'kube-system', 'get', 'lease', lease, '-o', 'jsonpath={.spec.holderIdentity}')).trim();
    const [scheduler, controllerManager] = [await holder('kube-scheduler'), await holder('kube-controller-manager')];
    expect(scheduler).to.match(/^scheduler-\d$/);
    expect(controllerManager).to.match(/^controller-manager-\d$/);
    const killed = ['apiserver-1', scheduler, controllerManager];
    const started = Date.now();
    const since = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
    const timeline: string[] = [];
    try {
      await project.compose('kill', ...killed);
      await project.compose('pause', 'node-2');
      paused.add('node-2');
      timeline.push(`killed ${killed.join(', ')}, paused node-2`);
      // kubectl on the host, through the balancer, keeps answering with apiserver-1 gone.
      for (let i = 0; i < 5; i++) expect(await project.kubectl('get', 'nodes', '-o', 'name')).to.contain('node/node-1');
      timeline.push(`kubectl answered 5 times through the balancer at ${since()}`);
      await waitFor(RESCHEDULE_MS, 'node-2 Unknown and steady with 2 Ready pods on node-1, under new scheduler and controller-manager leaders', async () => {
        const nodeReady = await project.kubectl('get', 'node', 'node-2', '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}');
        const running = (await steadyPods()).filter((p) => !p.metadata.deletionTimestamp && p.spec.nodeName === 'node-1' && p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
        const leaders = [await holder('kube-scheduler'), await holder('kube-controller-manager')];
        const moved = nodeReady === 'Unknown' && running.length === 2 && leaders.every((l, i) => l !== '' && l !== [scheduler, controllerManager][i]);
        return moved ? true : `node-2 Ready ${nodeReady}; steady Ready on node-1: ${running.length}; leaders ${leaders.join(', ')}`;
      }, () => project.compose('logs', '--no-color', '--tail', '15', 'controller-manager-1', 'controller-manager-2', 'scheduler-1', 'scheduler-2'));
      timeline.push(`node-2 Unknown and steady's pods Ready on node-1 at ${since()}`);
    } finally {
      await project.compose('start', ...killed);
      if (paused.delete('node-2')) await project.compose('unpause', 'node-2');
    }
    const healed = Date.now();
    timeline.push(`healed at ${since()}`);
    // Within a bounded wait after the last heal: node-2 Ready again, every Deployment's replicas
    // Ready and up to date, every Service's Endpoints and EndpointSlices exactly its ready pods.
    const client = grpcClientFor(serviceConnection(project.kubeconfig, project.apiserverEndpoints));
    try {
      const left = await pollConverged(async () => {
        const nodeReady = await project.kubectl('get', 'node', 'node-2', '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}');
        const problems = (await Promise.all(CHECKED_NAMESPACES.map((ns) => apiUnconverged(client, ns)))).flat();
        return nodeReady === 'True' ? problems : [`node-2 Ready ${nodeReady}`, ...problems];
      }, healed + CONVERGE_MS, 1000);
      timeline.push(`converged ${((Date.now() - healed) / 1000).toFixed(1)} s after the heal`);
      console.log(`      ${timeline.join('; ')}`);
      expect(left, `not converged ${CONVERGE_MS / 1000} s after the heal`).to.deep.equal([]);
    } finally {
      client.close();
    }
  });

  it('loses no acknowledged write and stays linearizable while containers are killed and started', async () => {
    const control: ClusterControl = {
      endpoints: project.endpoints,
      tls: project.storeTls,
      kill: async (i) => void (await project.compose('kill', SERVICES[i])),
      start: async (i) => void (await project.compose('start', SERVICES[i])),
      leaderIndex: async () => {
        for (const [i, e] of project.endpoints.entries()) {
          try {
            const s = await memberStatus(e, 1000, control.tls);
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
  metadata: { name: string; deletionTimestamp?: string };
  spec: { nodeName?: string };
  status: { podIP?: string; conditions?: { type: string; status: string }[] };
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

/**
 * The chaos step's app: two busybox httpd pods spread over the nodes, with a readiness probe and
 * a ClusterIP Service; its pods leave an unreachable node at once (tolerationSeconds 0 instead of
 * the 300 s every pod gets by default), so a paused node's pod moves within the step.
 */
function steadyApp(): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata: { name: steady }
spec:
  replicas: 2
  selector: { matchLabels: { app: steady } }
  template:
    metadata: { labels: { app: steady } }
    spec:
      terminationGracePeriodSeconds: 1
      topologySpreadConstraints:
      - { maxSkew: 1, topologyKey: kubernetes.io/hostname, whenUnsatisfiable: ScheduleAnyway, labelSelector: { matchLabels: { app: steady } } }
      tolerations:
      - { key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute, tolerationSeconds: 0 }
      - { key: node.kubernetes.io/not-ready, operator: Exists, effect: NoExecute, tolerationSeconds: 0 }
      containers:
      - name: httpd
        image: busybox:latest
        command: ["sh", "-c", "echo $HOSTNAME > /tmp/index.html; exec httpd -f -p 8080 -h /tmp"]
        ports: [{ containerPort: 8080 }]
        readinessProbe: { httpGet: { path: /, port: 8080 }, periodSeconds: 1, timeoutSeconds: 3 }
---
apiVersion: v1
kind: Service
metadata: { name: steady }
spec:
  selector: { app: steady }
  ports: [{ port: 80, targetPort: 8080 }]
`;
}

/** `kubectl apply -f -` with the manifest on stdin. */
function applyManifest(project: ComposeProject, manifest: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = execFile('kubectl', ['--kubeconfig', project.kubeconfig, 'apply', '-f', '-'], { timeout: 60_000 }, (err, _out, stderr) => (err ? reject(new Error(`kubectl apply: ${stderr || err.message}`)) : resolve()));
    child.stdin?.end(manifest);
  });
}
