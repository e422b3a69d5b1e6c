/**
 * End-to-end journeys (issue 16) on one `bosun up` cluster (what `npm start` runs: 3 store
 * members, 2 apiservers behind the balancer, schedulers, controller-managers, two nodes on the
 * process runtime, proxy, dns, ingress), every step through the real `kubectl`. The steps run in
 * order and build on each other (one namespace, `journey`, deleted by the last step). Only the
 * whole file is skipped, when not root (real pods and nftables need it).
 */
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { LocalNodeAgent } from '../../lib/launcher/node-agent-process';
import { removeNodeContainers } from '../../lib/launcher/local-nodes';
import { hostAddress } from '../../lib/network/host-address';
import { sandboxNetNames, netnsPath } from '../../services/node-agent/runtime/process/pod-network';
import { eventually, KubectlCluster } from '../kubectl/support/kubectl-cluster';
import { kubectlPortForward, httpGetBody } from '../support/port-forward';
import { addNode, getOnce, JOURNEY_FIXTURES, nodeAgentStatus, nodeStatusEndpoints, processesMentioning, requestLoop } from './journey-support';

const NS = 'journey';
/** How long `bosun up` may take with two nodes (the busybox image is built once, cached after). */
const UP_TIMEOUT_MS = 180_000;
/** How long a step may wait for pods, endpoints or the proxy to settle, ms. */
const SETTLE_MS = 60_000;
/** --node-monitor-grace-period for this cluster, s: twice the node agents' 10 s lease renewal (a busy machine renews late), half the default 40 s. */
const NODE_GRACE_S = 20;
/** Bounds of the request loop during the rolling update: requests and ms. */
const LOOP_MAX_REQUESTS = 3_000;
const LOOP_MAX_MS = 120_000;
/** How long a CronJob may take to start and finish its first Job (made ≥ 20 s before), ms. */
const CRONJOB_MS = 90_000;

describe('journeys on `bosun up` (npm start), through kubectl', function () {
  this.timeout(240_000);
  let c: KubectlCluster;
  let node3: LocalNodeAgent | undefined;
  let ingressPort: number;
  const fixture = (name: string) => path.join(JOURNEY_FIXTURES, name);
  const k = (...args: string[]) => c.ok('-n', NS, ...args);
  const jsonpath = (what: string, expr: string) => k('get', ...what.split(' '), '-o', `jsonpath=${expr}`);
  const clusterDir = () => path.join(c.dir, 'cluster');
  /** Phase and node of every pod matching `selector`, "name phase node" per line. */
  const pods = async (selector: string) =>
    (await k('get', 'pods', '-l', selector, '-o', 'jsonpath={range .items[*]}{.metadata.name} {.status.phase} {.spec.nodeName} {.metadata.deletionTimestamp}{"\\n"}{end}'))
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split(' '));
  const runningOn = async (selector: string) => (await pods(selector)).filter(([, phase, , deleting]) => phase === 'Running' && !deleting).map(([name, , node]) => ({ name: name!, node: node! }));
  const inPod = async (pod: string, ...cmd: string[]) => (await c.kubectl(['-n', NS, 'exec', pod, '--', ...cmd])).stdout.trim();

  before(async function () {
    this.timeout(UP_TIMEOUT_MS + 30_000);
    if (process.getuid?.() !== 0) {
      console.log('      skipped: pods on the process runtime and the proxy\'s nftables need root');
      this.skip();
    }
    c = await KubectlCluster.start('journeys', {
      nodes: 2,
      upTimeoutMs: UP_TIMEOUT_MS,
      env: { BOSUN_CONTROLLER_MANAGER_NODE_MONITOR_GRACE_PERIOD: String(NODE_GRACE_S), BOSUN_CONTROLLER_MANAGER_NODE_MONITOR_PERIOD: '1' },
    });
    ingressPort = Number(/ingress: started \(.*HTTP 127\.0\.0\.1:(\d+)/.exec(c.up.output())?.[1]);
    await c.ok('create', 'namespace', NS);
  });

  let failed = false;
  afterEach(function () {
    if (this.currentTest?.state === 'failed') failed = true;
  });

  after(async function () {
    this.timeout(60_000);
    if (failed && c) {
      // The components' logs outlive the cluster's folder when a step failed.
      const keep = fs.mkdtempSync(path.join(os.tmpdir(), 'bosun-journeys-logs-'));
      fs.cpSync(path.join(clusterDir(), 'logs'), keep, { recursive: true });
      console.log(`      the cluster's logs are kept in ${keep}`);
    }
    if (node3) {
      process.kill(node3.pid!, 'SIGCONT');
      await node3.kill('SIGTERM');
      await removeNodeContainers([node3]);
    }
    await c?.stop();
  });

  it('Deployment + Service: reachable through the ClusterIP, the NodePort, the DNS name from a pod and the Ingress', async () => {
    // Made now, checked by a later step. `@every 20s` (Kubernetes' parser takes it) runs 20 s
    // after creation instead of at an unknown minute boundary.
    await k('create', 'cronjob', 'tick', '--image=busybox', '--schedule=@every 20s', '--', 'sh', '-c', 'echo tick');
    await k('apply', '-f', fixture('web.yaml'));
    await k('rollout', 'status', 'deployment/web', '--timeout=60s');
    await k('run', 'client', '--image=busybox', '--', 'sleep', '3600');
    const webPods = new Set((await runningOn('app=web')).map((p) => p.name));
    expect(webPods.size).to.equal(2);
    const answersFromWeb = (body: string) => webPods.has(body.trim());
    const clusterIp = await jsonpath('service web', '{.spec.clusterIP}');
    const nodePort = Number(await jsonpath('service web', '{.spec.ports[0].nodePort}'));
    await eventually(`web through its ClusterIP ${clusterIp}`, SETTLE_MS, async () => answersFromWeb((await getOnce(clusterIp, 80, '/hostname')).body));
    await eventually(`web through its NodePort ${hostAddress()}:${nodePort}`, SETTLE_MS, async () => answersFromWeb((await getOnce(hostAddress(), nodePort, '/hostname')).body));
    await eventually('web by its DNS name from a pod', SETTLE_MS, async () => answersFromWeb(await inPod('client', 'wget', '-qO-', `http://web.${NS}.svc.cluster.local/hostname`)));
    expect(answersFromWeb(await inPod('client', 'wget', '-qO-', 'http://web/hostname')), 'web by its short name (resolv.conf search path)').to.equal(true);
    await eventually(`web through the ingress on ${ingressPort}`, SETTLE_MS, async () => answersFromWeb((await getOnce('127.0.0.1', ingressPort, '/hostname', { Host: 'web.journey.local' })).body));
  });

  it("a pod's projected ServiceAccount token authenticates as its ServiceAccount, bound to the pod", async () => {
    const dir = '/var/run/secrets/kubernetes.io/serviceaccount';
    const token = await inPod('client', 'cat', `${dir}/token`);
    expect(await inPod('client', 'cat', `${dir}/namespace`)).to.equal(NS);
    expect(`${await inPod('client', 'cat', `${dir}/ca.crt`)}\n`).to.equal(fs.readFileSync(path.join(clusterDir(), 'pki', 'ca.crt'), 'utf8'));
    const who = JSON.parse(await c.ok('--token', token, 'auth', 'whoami', '-o', 'json')).status.userInfo as { username: string; extra?: Record<string, string[]> };
    expect(who.username).to.equal(`system:serviceaccount:${NS}:default`);
    expect(who.extra?.['authentication.kubernetes.io/pod-name']).to.deep.equal(['client']);
    // RBAC is on (bosun up runs Node,RBAC): the account may do nothing until it is bound to a role.
    const refused = await c.kubectl(['--token', token, '-n', NS, 'get', 'pod', 'client', '-o', 'name']);
    expect(refused.stderr).to.include(`User "system:serviceaccount:${NS}:default" cannot get resource "pods"`);
    await k('create', 'rolebinding', 'default-view', '--clusterrole=view', `--serviceaccount=${NS}:default`);
    await eventually('the bound account to read its pod', SETTLE_MS, async () => (await c.kubectl(['--token', token, '-n', NS, 'get', 'pod', 'client', '-o', 'name'])).stdout === 'pod/client\n');
  });

  it('scales up and down: the Service follows the ready pods', async () => {
    const endpointsCount = async () => (await jsonpath('endpoints web', '{.subsets[*].addresses[*].ip}')).split(' ').filter(Boolean).length;
    await k('scale', 'deployment/web', '--replicas=4');
    await k('rollout', 'status', 'deployment/web', '--timeout=60s');
    await eventually('4 endpoints', SETTLE_MS, async () => (await endpointsCount()) === 4);
    await k('scale', 'deployment/web', '--replicas=2');
    await eventually('2 web pods and 2 endpoints', SETTLE_MS, async () => (await pods('app=web')).length === 2 && (await endpointsCount()) === 2);
  });

  it('rolling update with readiness probes: zero failed requests through the Service, then rollout undo', async () => {
    const clusterIp = await jsonpath('service web', '{.spec.clusterIP}');
    const before = new Set((await runningOn('app=web')).map((p) => p.name));
    let rolledOut = false;
    const loop = requestLoop(clusterIp, 80, '/hostname', () => rolledOut, LOOP_MAX_REQUESTS, LOOP_MAX_MS);
    try {
      await k('set', 'image', 'deployment/web', 'web=busybox:1.36');
      await k('rollout', 'status', 'deployment/web', '--timeout=90s');
    } finally {
      rolledOut = true;
    }
    const seen = await loop;
    expect(seen.failures, `${seen.failures.length} of ${seen.requests} requests failed`).to.deep.equal([]);
    expect(seen.requests).to.be.greaterThan(10);
    const after = (await runningOn('app=web')).map((p) => p.name);
    expect(after.filter((p) => before.has(p)), 'every pod replaced').to.deep.equal([]);
    expect(await jsonpath('deployment web', '{.spec.template.spec.containers[0].image}')).to.equal('busybox:1.36');
    await k('rollout', 'undo', 'deployment/web');
    await k('rollout', 'status', 'deployment/web', '--timeout=90s');
    expect(await jsonpath('deployment web', '{.spec.template.spec.containers[0].image}')).to.equal('busybox:latest');
    expect(await k('rollout', 'history', 'deployment/web')).to.match(/\n3\s/);
  });

  it('kubectl logs, exec and port-forward reach the pods', async () => {
    await k('create', 'job', 'hello', '--image=busybox', '--', 'sh', '-c', 'echo hello from the job');
    await eventually('job hello to complete', SETTLE_MS, async () => (await jsonpath('job hello', '{.status.succeeded}')) === '1');
    expect(await k('logs', 'job/hello')).to.equal('hello from the job\n');
    const pod = (await runningOn('app=web'))[0]!.name;
    expect((await k('exec', 'deploy/web', '--', 'cat', '/etc/hostname')).trim()).to.be.oneOf((await runningOn('app=web')).map((p) => p.name));
    expect((await k('exec', pod, '--', 'cat', '/etc/hostname')).trim()).to.equal(pod);
    const fwd = await kubectlPortForward(c.kubeconfig, `pod/${pod}`, 8080, NS);
    try {
      expect((await httpGetBody(fwd.port, '/hostname')).trim()).to.equal(pod);
    } finally {
      fwd.stop();
    }
  });

  it('kubectl top shows the pods and nodes', async () => {
    expect((await c.ok('api-versions')).split('\n')).to.include('metrics.k8s.io/v1beta1');
    await eventually('kubectl top pod to list web', SETTLE_MS, async () => /web-/.test((await c.kubectl(['-n', NS, 'top', 'pod'])).stdout));
    await eventually('kubectl top node to list node-1', SETTLE_MS, async () => /node-1/.test((await c.kubectl(['top', 'node'])).stdout));
  });

  it('a Job and a CronJob complete', async () => {
    // The Job ran in the step before; the CronJob, made in the first step, runs at the next minute.
    expect(await jsonpath('job hello', '{.status.conditions[?(@.type=="Complete")].status}')).to.equal('True');
    // A scheduled run is named <cronjob>-<minutes since the epoch> and carries its scheduled time.
    let run = '';
    await eventually('a Job of cronjob tick to complete', CRONJOB_MS, async () => {
      const jobs = await k('get', 'jobs', '-o', 'jsonpath={range .items[*]}{.metadata.name} {.metadata.ownerReferences[0].kind}/{.metadata.ownerReferences[0].name} {.status.succeeded} {.metadata.annotations.batch\\.kubernetes\\.io/cronjob-scheduled-timestamp}{"\\n"}{end}');
      run = jobs.split('\n').find((l) => /^tick-\d+ CronJob\/tick 1 \S+$/.test(l)) ?? '';
      return run !== '';
    });
    const [name, , , scheduled] = run.split(' ');
    expect(name).to.equal(`tick-${Math.floor(Date.parse(scheduled!) / 60_000)}`);
    expect(await jsonpath('cronjob tick', '{.status.lastScheduleTime}')).to.match(/^\d{4}-\d\d-\d\dT/);
    await k('delete', 'cronjob', 'tick');
  });

  it('a DaemonSet runs on every node, including a node added later', async () => {
    await k('apply', '-f', fixture('daemonset.yaml'));
    await eventually('agent pods on node-1 and node-2', SETTLE_MS, async () => (await runningOn('app=agent')).map((p) => p.node).sort().join() === 'node-1,node-2');
    expect(await k('rollout', 'status', 'daemonset/agent', '--timeout=60s')).to.contain('daemon set "agent" successfully rolled out');
    node3 = await addNode(clusterDir(), 'node-3');
    await eventually('node-3 Ready', SETTLE_MS, async () => (await c.ok('get', 'node', 'node-3', '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}').catch(() => '')) === 'True');
    await eventually('an agent pod on node-3', SETTLE_MS, async () => (await runningOn('app=agent')).map((p) => p.node).sort().join() === 'node-1,node-2,node-3');
    await eventually('3 agent pods available', SETTLE_MS, async () => (await jsonpath('daemonset agent', '{.status.numberAvailable}')) === '3');
    const table = (await k('get', 'daemonset', 'agent')).trim().split('\n');
    expect(table[0]!.split(/\s+/)).to.deep.equal(['NAME', 'DESIRED', 'CURRENT', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'NODE', 'SELECTOR', 'AGE']);
    expect(table[1]!.split(/\s+/).slice(0, 7)).to.deep.equal(['agent', '3', '3', '3', '3', '3', '<none>']);
    expect(await k('get', 'events', '-o', 'jsonpath={range .items[*]}{.reason}:{.source.component}{"\\n"}{end}')).to.contain('SuccessfulCreate:daemonset-controller');
  });

  it('StatefulSet: pods start in order, with stable DNS names that survive a pod deletion', async () => {
    await k('apply', '-f', fixture('statefulset.yaml'));
    await k('rollout', 'status', 'statefulset/db', '--timeout=90s');
    const created = async (pod: string) => Date.parse(await jsonpath(`pod ${pod}`, '{.metadata.creationTimestamp}'));
    const readySince = async (pod: string) => Date.parse(await jsonpath(`pod ${pod}`, '{.status.conditions[?(@.type=="Ready")].lastTransitionTime}'));
    // OrderedReady: db-1 is made only once db-0 is Ready, db-2 once db-1 is.
    expect(await created('db-1')).to.be.at.least(await readySince('db-0'));
    expect(await created('db-2')).to.be.at.least(await readySince('db-1'));
    const byName = (pod: string) => async () => (await inPod('client', 'wget', '-qO-', `http://${pod}.db.${NS}.svc.cluster.local:8080/hostname`)) === pod;
    for (const pod of ['db-0', 'db-1', 'db-2']) await eventually(`${pod} by its stable DNS name`, SETTLE_MS, byName(pod));
    const uid = await jsonpath('pod db-0', '{.metadata.uid}');
    await k('delete', 'pod', 'db-0', '--wait=false');
    // One read per poll: between two reads the old pod may be gone and the new one not made yet.
    await eventually('a new db-0 Running', SETTLE_MS, async () => {
      const [podUid, phase] = (await jsonpath('pod db-0', '{.metadata.uid} {.status.phase}').catch(() => '')).split(' ');
      return phase === 'Running' && podUid !== uid;
    });
    await eventually('the new db-0 by the same DNS name', SETTLE_MS, byName('db-0'));
  });

  it('StatefulSet: the data on a local-path PVC survives pod deletion', async () => {
    expect(await c.ok('get', 'storageclass', 'local-path', '--no-headers')).to.match(/^local-path \(default\)\s/);
    await k('apply', '-f', fixture('local-path-data.yaml'));
    await k('rollout', 'status', 'statefulset/data', '--timeout=90s');
    expect(await jsonpath('pvc data-data-0', '{.status.phase}')).to.equal('Bound');
    await k('exec', 'data-0', '--', 'sh', '-c', 'echo kept > /data/file');
    const uid = await jsonpath('pod data-0', '{.metadata.uid}');
    await k('delete', 'pod', 'data-0');
    await eventually('a new data-0 Running', SETTLE_MS, async () => (await jsonpath('pod data-0', '{.metadata.uid} {.status.phase}').catch(() => '')) !== `${uid} Running` && (await jsonpath('pod data-0', '{.status.phase}')) === 'Running');
    expect((await k('exec', 'data-0', '--', 'cat', '/data/file')).trim()).to.equal('kept');
  });

  it('a liveness probe restarts a container that stopped answering it', async () => {
    await k('apply', '-f', fixture('liveness.yaml'));
    await eventually('pod hang Running', SETTLE_MS, async () => (await jsonpath('pod hang', '{.status.phase}')) === 'Running');
    expect(await jsonpath('pod hang', '{.status.containerStatuses[0].restartCount}')).to.equal('0');
    await k('exec', 'hang', '--', 'rm', '/tmp/alive');
    await eventually('restartCount 1', SETTLE_MS, async () => (await jsonpath('pod hang', '{.status.containerStatuses[0].restartCount}')) === '1');
    await eventually('hang Ready again', SETTLE_MS, async () => (await jsonpath('pod hang', '{.status.containerStatuses[0].ready}')) === 'true');
  });

  it('a ResourceQuota refuses a pod over it', async () => {
    const ns = 'journey-quota';
    await c.ok('create', 'namespace', ns);
    try {
      await c.ok('-n', ns, 'create', 'quota', 'one-pod', '--hard=pods=1');
      await c.ok('-n', ns, 'run', 'first', '--image=busybox', '--', 'sleep', '3600');
      const second = await c.kubectl(['-n', ns, 'run', 'second', '--image=busybox', '--', 'sleep', '3600']);
      expect(second.code).to.not.equal(0);
      expect(second.stderr).to.match(/forbidden: exceeded quota: one-pod/);
    } finally {
      await c.kubectl(['delete', 'namespace', ns, '--wait=false']);
    }
  });

  it('a node stopped past the grace period: its pods are rescheduled on the other nodes', async () => {
    // Only node-3 may take the pod; then node-3's agent is paused (SIGSTOP) past the grace period.
    await c.ok('cordon', 'node-1', 'node-2');
    try {
      await k('apply', '-f', fixture('mover.yaml'));
      await eventually('mover Running on node-3', SETTLE_MS, async () => (await runningOn('app=mover')).some((p) => p.node === 'node-3'));
    } finally {
      await c.ok('uncordon', 'node-1', 'node-2');
    }
    process.kill(node3!.pid!, 'SIGSTOP');
    try {
      await eventually('node-3 not Ready', (NODE_GRACE_S + 10) * 1000, async () => (await c.ok('get', 'node', 'node-3', '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}')) === 'Unknown');
      await eventually('mover Running on node-1 or node-2', SETTLE_MS, async () => (await runningOn('app=mover')).some((p) => p.node !== 'node-3')).catch(async (err: Error) => {
        const seen = await c.kubectl(['get', 'pods,nodes', '-A', '-o', 'wide']);
        const taints = await c.kubectl(['get', 'nodes', '-o', 'jsonpath={range .items[*]}{.metadata.name} {.spec.taints}{"\\n"}{end}']);
        const mover = await c.kubectl(['-n', NS, 'describe', 'pods', '-l', 'app=mover']);
        throw new Error(`${err.message}\n${seen.stdout}\n${taints.stdout}\n${mover.stdout}`);
      });
    } finally {
      process.kill(node3!.pid!, 'SIGCONT');
    }
    await eventually('node-3 Ready again', SETTLE_MS, async () => (await c.ok('get', 'node', 'node-3', '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}')) === 'True');
  });

  it('deleting the namespace removes every object and every pod from the nodes (no processes, no netns)', async () => {
    const endpoints = [...nodeStatusEndpoints(c.up.output()), node3!.grpcEndpoint];
    expect(endpoints).to.have.length(3);
    const sandboxesOf = async () => (await Promise.all(endpoints.map((e) => nodeAgentStatus(clusterDir(), e)))).flatMap((s) => s.nodes.flatMap((n) => n.pods)).filter((p) => p.pod.startsWith(`${NS}/`));
    // Finished pods (the Jobs') gave their network back already; the running ones have a netns.
    const sandboxes = (await sandboxesOf()).filter((p) => p.phase === 'Running' && p.sandboxId).map((p) => p.sandboxId);
    expect(sandboxes.length, 'running journey pods on the nodes').to.be.at.least(3);
    for (const id of sandboxes) expect(fs.existsSync(netnsPath(sandboxNetNames(id).netns)), `netns of ${id}`).to.equal(true);
    await c.ok('delete', 'namespace', NS, '--timeout=90s');
    expect((await c.kubectl(['get', 'namespace', NS])).code).to.equal(1);
    for (const kind of ['pods', 'deployments', 'replicasets', 'services', 'statefulsets', 'daemonsets', 'jobs', 'ingresses', 'configmaps']) {
      expect((await c.ok('get', kind, '-n', NS, '-o', 'name')).trim(), kind).to.equal('');
    }
    await eventually('no journey pods on any node', SETTLE_MS, async () => (await sandboxesOf()).length === 0);
    for (const id of sandboxes) {
      await eventually(`netns and processes of sandbox ${id} gone`, SETTLE_MS, async () => !fs.existsSync(netnsPath(sandboxNetNames(id).netns)) && processesMentioning(id).length === 0);
    }
  });
});
