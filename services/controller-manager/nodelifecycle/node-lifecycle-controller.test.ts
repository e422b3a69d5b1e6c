import { expect } from 'chai';
import type { KubeObject } from '../../../lib/api/object';
import { RESOURCES } from '../../../lib/api/resources';
import type { Node, Pod } from '../../../lib/api/types/core';
import { ControllerRegistry } from '../../../lib/controller/controller-registry';
import { fakeControllerContext, type FakeControllerContext } from '../../../lib/controller/testing';
import { NODE_LIFECYCLE_CONTROLLER_NAME, nodeLifecycleControllerDescriptor, REASON_TAINT_MANAGER_EVICTION } from './node-lifecycle-controller';
import { REASON_NODE_STATUS_UNKNOWN } from './node-health';
import { TAINT_NODE_NOT_READY, TAINT_NODE_UNREACHABLE, TAINT_NODE_UNSCHEDULABLE } from './node-taints';
import { evictionTime } from './taint-eviction';

const GRACE_MS = 40_000;
const PERIOD_MS = 5_000;

describe('node lifecycle controller (fake API, fake clock)', () => {
  let ctx: FakeControllerContext;
  let stop: () => Promise<void>;

  const node = (name: string, ready = 'True'): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name },
    spec: {},
    status: { conditions: [{ type: 'Ready', status: ready, reason: 'KubeletReady', lastHeartbeatTime: '2026-01-01T00:00:00Z', lastTransitionTime: '2026-01-01T00:00:00Z' }] },
  });
  const pod = (name: string, nodeName: string, tolerationSeconds?: number): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: {
      nodeName,
      containers: [{ name: 'c' }],
      tolerations: tolerationSeconds === undefined ? [] : [{ key: TAINT_NODE_UNREACHABLE, operator: 'Exists', effect: 'NoExecute', tolerationSeconds }],
    },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
  });
  const lease = (name: string, renewTime: string): KubeObject => ({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name, namespace: 'kube-node-lease' }, spec: { holderIdentity: name, renewTime } });
  const peekNode = (name: string) => ctx.client.peek('Node', undefined, name) as Node | undefined;
  const taintKeys = (name: string) => (peekNode(name)?.spec?.taints ?? []).map((t) => `${t.key}:${t.effect}`).sort();
  const renew = async (name: string) => {
    const leases = ctx.client.resource(RESOURCES.leases);
    const current = ctx.client.peek('Lease', 'kube-node-lease', name)!;
    await leases.update('kube-node-lease', { ...current, spec: { ...(current.spec as object), renewTime: new Date(ctx.clock.now()).toISOString() } });
  };

  beforeEach(async () => {
    ctx = fakeControllerContext();
    ctx.client.seed(node('alive'));
    ctx.client.seed(node('dead'));
    ctx.client.seed(lease('alive', '2026-01-01T00:00:00Z'));
    ctx.client.seed(lease('dead', '2026-01-01T00:00:00Z'));
    ctx.client.seed(pod('intolerant', 'dead'));
    ctx.client.seed(pod('patient', 'dead', 300));
    ctx.client.seed(pod('elsewhere', 'alive'));
    const descriptor = nodeLifecycleControllerDescriptor({ gracePeriodMs: GRACE_MS, monitorPeriodMs: PERIOD_MS, evictionRatePerSecond: 0.1 });
    const running = await new ControllerRegistry([descriptor]).start([NODE_LIFECYCLE_CONTROLLER_NAME], ctx);
    stop = () => running.stop();
    await ctx.clock.advance(0);
  });
  afterEach(() => stop());

  /** Advances time in monitor-period steps, renewing the live node's lease as its agent would. */
  async function run(ms: number): Promise<void> {
    for (let t = 0; t < ms; t += PERIOD_MS) {
      await renew('alive');
      await ctx.clock.advance(PERIOD_MS);
    }
  }

  it('marks a node whose lease stopped Unknown after the grace period, taints it unreachable and its pods not Ready', async () => {
    await run(GRACE_MS - PERIOD_MS);
    expect(taintKeys('dead')).to.deep.equal([]);
    await run(2 * PERIOD_MS);
    const ready = (peekNode('dead')!.status as { conditions: Array<Record<string, string>> }).conditions.find((c) => c.type === 'Ready')!;
    expect(ready).to.include({ status: 'Unknown', reason: REASON_NODE_STATUS_UNKNOWN, message: 'Kubelet stopped posting node status.' });
    expect(taintKeys('dead')).to.deep.equal([`${TAINT_NODE_UNREACHABLE}:NoExecute`, `${TAINT_NODE_UNREACHABLE}:NoSchedule`]);
    expect(taintKeys('alive')).to.deep.equal([]);
    const patient = ctx.client.peek('Pod', 'default', 'patient') as Pod;
    expect((patient.status as { conditions: Array<Record<string, string>> }).conditions.find((c) => c.type === 'Ready')?.status).to.equal('False');
  });

  it('evicts pods that do not tolerate the taint at once, and tolerating ones when their tolerationSeconds run out', async () => {
    await run(GRACE_MS + 2 * PERIOD_MS);
    expect(ctx.client.peek('Pod', 'default', 'intolerant')).to.equal(undefined);
    expect(ctx.client.peek('Pod', 'default', 'patient')).to.not.equal(undefined);
    expect(ctx.events.some((e) => e.reason === REASON_TAINT_MANAGER_EVICTION)).to.equal(true);
    await run(300_000);
    expect(ctx.client.peek('Pod', 'default', 'patient')).to.equal(undefined);
    expect(ctx.client.peek('Pod', 'default', 'elsewhere')).to.not.equal(undefined);
  });

  it('a Ready=False node is tainted not-ready, a cordoned one unschedulable; the taints go when the causes do, other taints stay', async () => {
    const nodes = ctx.client.resource(RESOURCES.nodes);
    const alive = peekNode('alive')!;
    await nodes.update(undefined, { ...alive, spec: { unschedulable: true, taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] } });
    await nodes.updateStatus(undefined, { ...peekNode('alive')!, status: node('alive', 'False').status });
    await renew('alive');
    await ctx.clock.advance(0);
    expect(taintKeys('alive')).to.deep.equal(['dedicated:NoSchedule', `${TAINT_NODE_NOT_READY}:NoExecute`, `${TAINT_NODE_NOT_READY}:NoSchedule`, `${TAINT_NODE_UNSCHEDULABLE}:NoSchedule`]);
    expect(peekNode('alive')!.spec!.taints!.find((t) => t.effect === 'NoExecute')!.timeAdded).to.be.a('string');
    await nodes.updateStatus(undefined, { ...peekNode('alive')!, status: node('alive', 'True').status });
    await nodes.update(undefined, { ...peekNode('alive')!, spec: { ...peekNode('alive')!.spec, unschedulable: false } });
    await ctx.clock.advance(0);
    expect(taintKeys('alive')).to.deep.equal(['dedicated:NoSchedule']);
  });
});

describe('taint eviction times', () => {
  const taint = { key: TAINT_NODE_UNREACHABLE, effect: 'NoExecute', timeAdded: '2026-01-01T00:00:00.000Z' };
  const t0 = Date.parse(taint.timeAdded);
  const pod = (tolerations: Pod['spec'] extends infer S ? (S extends { tolerations?: infer T } ? T : never) : never): Pod => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { tolerations } });

  it('at once without a matching toleration, never with an unlimited one, after the shortest limit otherwise', () => {
    expect(evictionTime(pod([]), [taint])).to.equal(0);
    expect(evictionTime(pod([{ key: TAINT_NODE_UNREACHABLE, operator: 'Exists', effect: 'NoExecute' }]), [taint])).to.equal('never');
    expect(evictionTime(pod([{ operator: 'Exists', tolerationSeconds: 60 }, { key: TAINT_NODE_UNREACHABLE, operator: 'Exists', tolerationSeconds: 30 }]), [taint])).to.equal(t0 + 30_000);
    expect(evictionTime(pod([{ operator: 'Exists', tolerationSeconds: 0 }]), [taint])).to.equal(0);
    expect(evictionTime(pod([]), [{ key: 'x', effect: 'NoSchedule' }])).to.equal('never');
  });
});
