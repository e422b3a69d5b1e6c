import { expect } from 'chai';
import type { Node } from '../../lib/api/types';
import { NODE_LEASE_NAMESPACE } from './node/node-registrar';
import { LABEL_POD_UID } from './runtime/runtime';
import { AgentHarness, TEST_NODE } from './testing/agent-harness';

const SLEEP = ['sleep', '100000'];

describe('NodeAgent on the fake runtime', () => {
  let h: AgentHarness;

  beforeEach(async () => {
    h = new AgentHarness();
    await h.startAgent();
  });

  afterEach(async () => {
    await h.stop();
  });

  const phase = (name: string) => h.pod(name)?.status?.phase;
  const conditionOf = (name: string, type: string) => ((h.pod(name)?.status?.conditions as { type: string; status: string; reason?: string }[]) ?? []).find((c) => c.type === type);

  it('registers its Node with labels, capacity, allocatable, addresses and the kubelet port, and renews its Lease', async () => {
    await h.clock.advance(0);
    const node = h.client.peek<Node>('Node', undefined, TEST_NODE)!;
    expect(node.metadata.labels).to.include({ 'kubernetes.io/hostname': TEST_NODE, 'kubernetes.io/os': 'linux', zone: 'z1' });
    expect(node.status?.capacity).to.deep.equal({ cpu: '4', memory: '8Gi', 'ephemeral-storage': '100Gi', pods: '110' });
    expect(node.status?.allocatable).to.include({ cpu: '3500m', memory: '7Gi', pods: '110' });
    expect(node.status?.addresses).to.deep.equal([{ type: 'InternalIP', address: '127.0.0.1' }, { type: 'Hostname', address: TEST_NODE }]);
    expect(node.status?.daemonEndpoints).to.deep.equal({ kubeletEndpoint: { Port: 10250 } });
    const ready = (node.status?.conditions as { type: string; status: string; reason: string }[]).find((c) => c.type === 'Ready');
    expect(ready).to.include({ status: 'True', reason: 'KubeletReady' });
    const lease1 = h.client.peek('Lease', NODE_LEASE_NAMESPACE, TEST_NODE)!;
    expect((lease1.spec as { holderIdentity: string }).holderIdentity).to.equal(TEST_NODE);
    await h.clock.advance(10_000);
    const lease2 = h.client.peek('Lease', NODE_LEASE_NAMESPACE, TEST_NODE)!;
    expect((lease2.spec as { renewTime: string }).renewTime).to.not.equal((lease1.spec as { renewTime: string }).renewTime);
  });

  it('puts its Ready condition back at the next heartbeat after the node lifecycle controller set it Unknown', async () => {
    await h.clock.advance(0);
    const nodes = h.client.resource<Node>(h.client.infoOf('Node'));
    const readyOf = () => (h.client.peek<Node>('Node', undefined, TEST_NODE)!.status?.conditions as { type: string; status: string }[]).find((c) => c.type === 'Ready')?.status;
    const node = h.client.peek<Node>('Node', undefined, TEST_NODE)!;
    const unknown = (node.status?.conditions as { type: string }[]).map((c) => ({ ...c, status: 'Unknown', reason: 'NodeStatusUnknown' }));
    await nodes.updateStatus(undefined, { ...node, status: { ...node.status, conditions: unknown } });
    await h.clock.advance(100);
    expect(readyOf()).to.equal('Unknown');
    await h.clock.advance(10_000);
    expect(readyOf()).to.equal('True');
  });

  it('gives pods addresses from the podCIDR of its Node', async () => {
    const node = h.client.peek<Node>('Node', undefined, TEST_NODE)!;
    await h.client.resource<Node>(h.client.infoOf('Node')).update(undefined, { ...node, spec: { podCIDR: '10.42.200.0/24' } });
    await h.clock.advance(100);
    h.createPod('web', { containers: [{ name: 'app', image: 'busybox:1.36', command: SLEEP }] });
    await h.advanceUntil(() => phase('web') === 'Running', 5_000);
    expect(h.pod('web')?.status?.podIP).to.match(/^10\.42\.200\.\d+$/);
  });

  it('runs a pod: Running and Ready with its conditions, container status and events', async () => {
    h.createPod('web', { containers: [{ name: 'app', image: 'busybox:1.36', command: SLEEP }] });
    await h.advanceUntil(() => conditionOf('web', 'Ready')?.status === 'True', 5_000);
    const status = h.pod('web')!.status!;
    expect(status.phase).to.equal('Running');
    expect(status.qosClass).to.equal('BestEffort');
    expect(status.hostIP).to.equal('127.0.0.1');
    expect(status.podIP).to.equal('127.0.0.1');
    for (const t of ['PodScheduled', 'Initialized', 'ContainersReady', 'Ready', 'PodReadyToStartContainers']) expect(conditionOf('web', t)?.status, t).to.equal('True');
    const cs = h.containerStatus('web', 'app')!;
    expect(cs).to.include({ ready: true, started: true, restartCount: 0, image: 'busybox:1.36' });
    expect(cs.containerID).to.match(/^fake:\/\//);
    expect(cs.state.running.startedAt).to.be.a('string');
    expect(h.eventReasons()).to.include.members(['Pulled', 'Created', 'Started']);
    // Nothing changes any more: no further status writes (no write loop against the API's stored form).
    const writes = () => h.client.callsOf('updateStatus pods').length + h.client.callsOf('update pods').length;
    const before = writes();
    expect(before).to.be.greaterThan(0);
    await h.clock.advance(60_000);
    expect(writes()).to.equal(before);
  });

  it('runs init containers in order before the app containers', async () => {
    h.createPod('init', {
      initContainers: [
        { name: 'first', image: 'busybox:1.36', command: ['true'] },
        { name: 'second', image: 'busybox:1.36', command: ['echo', 'hi'] },
      ],
      containers: [{ name: 'app', image: 'busybox:1.36', command: SLEEP }],
    });
    await h.advanceUntil(() => phase('init') === 'Running', 10_000);
    const inits = h.pod('init')!.status!.initContainerStatuses as Record<string, any>[];
    expect(inits.map((s) => s.state.terminated?.reason)).to.deep.equal(['Completed', 'Completed']);
    expect(conditionOf('init', 'Initialized')?.status).to.equal('True');
    const started = h.ctx.events.filter((e) => e.reason === 'Started').map((e) => (e.subject as { fieldPath?: string }).fieldPath);
    expect(started).to.deep.equal(['spec.initContainers{first}', 'spec.initContainers{second}', 'spec.containers{app}']);
  });

  it('fails a restartPolicy Never pod whose init container fails', async () => {
    h.createPod('bad-init', { restartPolicy: 'Never', initContainers: [{ name: 'init', image: 'busybox:1.36', command: ['sh', '-c', 'exit 3'] }], containers: [{ name: 'app', image: 'busybox:1.36', command: SLEEP }] });
    await h.advanceUntil(() => phase('bad-init') === 'Failed', 5_000);
    expect(h.eventReasons()).to.not.include.members(['BackOff']);
  });

  it('runs sidecars (init containers with restartPolicy Always) beside the app', async () => {
    h.createPod('side', { initContainers: [{ name: 'proxy', image: 'busybox:1.36', command: SLEEP, restartPolicy: 'Always' }], containers: [{ name: 'app', image: 'busybox:1.36', command: SLEEP }] });
    await h.advanceUntil(() => phase('side') === 'Running' && h.containerStatus('side', 'app')?.state.running !== undefined, 5_000);
    const inits = h.pod('side')!.status!.initContainerStatuses as Record<string, any>[];
    expect(inits[0]!.state.running).to.not.equal(undefined);
  });

  it('restarts a crashing container with back-off 10 s doubling (CrashLoopBackOff, BackOff events) and keeps only the last exited instance', async () => {
    h.createPod('crash', { containers: [{ name: 'app', image: 'busybox:1.36', command: ['false'] }] });
    await h.advanceUntil(() => h.containerStatus('crash', 'app')?.restartCount === 1, 5_000);
    await h.advanceUntil(() => h.containerStatus('crash', 'app')?.state.waiting?.reason === 'CrashLoopBackOff', 5_000);
    expect(h.containerStatus('crash', 'app')!.state.waiting.message).to.include('back-off 10s');
    expect(h.containerStatus('crash', 'app')!.lastState.terminated).to.include({ exitCode: 1, reason: 'Error' });
    const t1 = h.clock.now();
    await h.advanceUntil(() => h.containerStatus('crash', 'app')?.restartCount === 2, 15_000);
    expect(h.clock.now() - t1).to.be.within(9_000, 10_500);
    const t2 = h.clock.now();
    await h.advanceUntil(() => h.containerStatus('crash', 'app')?.restartCount === 3, 30_000);
    expect(h.clock.now() - t2).to.be.within(19_000, 20_500);
    expect(h.eventReasons()).to.include('BackOff');
    const uid = h.pod('crash')!.metadata.uid!;
    const instances = await h.runtime.listContainers({ labelSelector: { [LABEL_POD_UID]: uid } });
    expect(instances.length).to.be.at.most(2);
    expect(phase('crash')).to.equal('Running');
  });

  it('ends restartPolicy OnFailure and Never pods by their exit codes', async () => {
    h.createPod('ok', { restartPolicy: 'OnFailure', containers: [{ name: 'app', image: 'busybox:1.36', command: ['true'] }] });
    h.createPod('fail', { restartPolicy: 'Never', containers: [{ name: 'app', image: 'busybox:1.36', command: ['sh', '-c', 'exit 2'] }] });
    await h.advanceUntil(() => phase('ok') === 'Succeeded' && phase('fail') === 'Failed', 5_000);
    expect(h.containerStatus('fail', 'app')!.state.terminated).to.include({ exitCode: 2, reason: 'Error' });
    expect(conditionOf('ok', 'Ready')).to.include({ status: 'False', reason: 'PodCompleted' });
  });

  it('honours the simulated-kubelet exit annotations', async () => {
    h.createPod('job', { restartPolicy: 'Never', containers: [{ name: 'app', image: 'busybox:1.36' }] }, { annotations: { 'bosun.dev/simulated-exit-code': '0', 'bosun.dev/simulated-run-ms': '3000' } });
    await h.advanceUntil(() => phase('job') === 'Running', 2_000);
    await h.advanceUntil(() => phase('job') === 'Succeeded', 5_000);
  });

  it('kills and restarts a container whose liveness probe fails (Unhealthy, Killing)', async () => {
    h.createPod('live', { containers: [{ name: 'app', image: 'busybox:1.36', command: SLEEP, livenessProbe: { exec: { command: ['false'] }, periodSeconds: 1, failureThreshold: 2 } }] });
    await h.advanceUntil(() => h.containerStatus('live', 'app')?.restartCount === 1, 10_000);
    expect(h.eventReasons()).to.include.members(['Unhealthy', 'Killing']);
    expect(h.ctx.events.find((e) => e.reason === 'Unhealthy')!.message).to.match(/^Liveness probe failed/);
    expect(h.ctx.events.find((e) => e.reason === 'Killing')!.message).to.equal('Container app failed liveness probe, will be restarted');
  });

  it('keeps a container unready while its readiness probe fails, and gates probes on the startup probe', async () => {
    h.createPod('ready', {
      containers: [
        { name: 'app', image: 'busybox:1.36', command: SLEEP, readinessProbe: { exec: { command: ['false'] }, periodSeconds: 1 } },
        { name: 'slow', image: 'busybox:1.36', command: SLEEP, startupProbe: { exec: { command: ['true'] }, periodSeconds: 1 }, readinessProbe: { exec: { command: ['true'] }, periodSeconds: 1 } },
      ],
    });
    await h.advanceUntil(() => h.containerStatus('ready', 'slow')?.ready === true, 10_000);
    expect(h.containerStatus('ready', 'app')).to.include({ ready: false, started: true });
    expect(conditionOf('ready', 'Ready')).to.include({ status: 'False', reason: 'ContainersNotReady' });
    expect(conditionOf('ready', 'ContainersReady')?.status).to.equal('False');
  });

  it('reports ErrImagePull, then ImagePullBackOff while the pull backs off', async () => {
    h.createPod('img', { containers: [{ name: 'app', image: 'registry.local/doesnotexist:1', command: SLEEP }] });
    const reasons = new Set<string>();
    await h.advanceUntil(() => {
      const r = h.containerStatus('img', 'app')?.state.waiting?.reason as string | undefined;
      if (r) reasons.add(r);
      return r === 'ImagePullBackOff';
    }, 5_000, 10);
    // ErrImagePull is what the failed pull writes; the next sync (its own status update) finds the pull backing off.
    expect(h.ctx.events.some((e) => e.reason === 'Failed' && e.message.startsWith('Failed to pull image "registry.local/doesnotexist:1"'))).to.equal(true);
    const pulls = () => h.ctx.events.filter((e) => e.reason === 'Pulling').length;
    const before = pulls();
    await h.clock.advance(9_000);
    expect(pulls()).to.equal(before);
    await h.advanceUntil(() => pulls() > before, 3_000);
    expect(phase('img')).to.equal('Pending');
    expect(h.eventReasons()).to.include.members(['Pulling', 'Failed', 'BackOff']);
  });

  it('restarts a container whose image changed (container hash)', async () => {
    const pod = h.createPod('upd', { containers: [{ name: 'app', image: 'busybox:1.36', command: SLEEP }] });
    await h.advanceUntil(() => phase('upd') === 'Running', 3_000);
    const firstId = h.containerStatus('upd', 'app')!.containerID;
    const stored = h.pod('upd')!;
    await h.client.resource(h.client.infoOf('Pod')).update('default', { ...stored, spec: { ...stored.spec, containers: [{ name: 'app', image: 'busybox:1.37', command: SLEEP }] } });
    await h.advanceUntil(() => h.containerStatus('upd', 'app')?.image === 'busybox:1.37' && h.containerStatus('upd', 'app')?.state.running !== undefined && h.containerStatus('upd', 'app')?.containerID !== firstId, 15_000);
    expect(h.ctx.events.some((e) => e.reason === 'Killing' && e.message.includes('definition changed'))).to.equal(true);
    expect(pod.metadata.uid).to.equal(h.pod('upd')!.metadata.uid);
  });

  it('terminates a deleted pod: preStop hook, containers stopped, then deleted with grace 0 and a uid precondition', async () => {
    h.createPod('bye', { containers: [{ name: 'app', image: 'busybox:1.36', command: SLEEP, lifecycle: { preStop: { exec: { command: ['true'] } } } }] }, { finalizers: ['test/hold'] });
    await h.advanceUntil(() => phase('bye') === 'Running', 3_000);
    const uid = h.pod('bye')!.metadata.uid!;
    await h.client.resource(h.client.infoOf('Pod')).delete('default', 'bye');
    await h.advanceUntil(() => h.client.calls.some((c) => c.startsWith('delete pods/default/bye')) && h.client.calls.filter((c) => c.startsWith('delete pods/default/bye')).length >= 2, 5_000);
    expect(await h.runtime.listPodSandboxes({ labelSelector: { [LABEL_POD_UID]: uid } })).to.deep.equal([]);
    expect(h.eventReasons()).to.include('Killing');
  });

  it('records FailedCreatePodSandBox and retries; a failing postStart hook kills the container (FailedPostStartHook)', async () => {
    h.runtime.failNext('runPodSandbox');
    h.createPod('sb', { containers: [{ name: 'app', image: 'busybox:1.36', command: SLEEP }] });
    await h.advanceUntil(() => phase('sb') === 'Running', 5_000);
    expect(h.eventReasons()).to.include('FailedCreatePodSandBox');
    h.createPod('hook', { containers: [{ name: 'app', image: 'busybox:1.36', command: SLEEP, lifecycle: { postStart: { exec: { command: ['false'] } } } }] });
    await h.advanceUntil(() => (h.containerStatus('hook', 'app')?.restartCount ?? 0) >= 1, 15_000);
    expect(h.eventReasons()).to.include('FailedPostStartHook');
  });

  it('fails a pod past its activeDeadlineSeconds (DeadlineExceeded)', async () => {
    h.createPod('deadline', { activeDeadlineSeconds: 5, containers: [{ name: 'app', image: 'busybox:1.36', command: SLEEP }] });
    await h.advanceUntil(() => phase('deadline') === 'Running', 3_000);
    await h.advanceUntil(() => phase('deadline') === 'Failed', 10_000);
    expect(h.pod('deadline')!.status).to.include({ reason: 'DeadlineExceeded' });
  });

  it('tears down runtime pods that are gone from the API', async () => {
    h.createPod('gone', { containers: [{ name: 'app', image: 'busybox:1.36', command: SLEEP }] });
    await h.advanceUntil(() => phase('gone') === 'Running', 3_000);
    const uid = h.pod('gone')!.metadata.uid!;
    await h.client.resource(h.client.infoOf('Pod')).delete('default', 'gone', { gracePeriodSeconds: 0 });
    await h.advanceUntil(() => h.runtime !== undefined && (h.agent.snapshot.sandboxes.every((s) => s.labels[LABEL_POD_UID] !== uid)), 10_000);
  });

  it('adopts running containers after a restart: same container, same restart count', async () => {
    h.createPod('keep', { containers: [{ name: 'app', image: 'busybox:1.36', command: SLEEP }] });
    await h.advanceUntil(() => conditionOf('keep', 'Ready')?.status === 'True', 3_000);
    const before = h.containerStatus('keep', 'app')!;
    await h.clock.advance(0);
    await new Promise((r) => setImmediate(r));
    await h.restartAgent();
    await h.clock.advance(5_000);
    const after = h.containerStatus('keep', 'app')!;
    expect(after.containerID).to.equal(before.containerID);
    expect(after.restartCount).to.equal(0);
    expect(conditionOf('keep', 'Ready')?.status).to.equal('True');
  });
});
