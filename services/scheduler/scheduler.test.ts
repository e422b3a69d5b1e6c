import { expect } from 'chai';
import pino from 'pino';
import { FakeClock, flushPromises } from '../../lib/client/fake-clock';
import type { Pod } from './algorithm/api-types';
import { fixedRandom, makeNode, makePod, type PodOptions } from './algorithm/test-fixtures';
import { Scheduler } from './scheduler';
import { FakeSchedulerApi, RecordingEventSink } from './testing/fake-scheduler-api';

describe('scheduler service loop (fake API)', () => {
  let clock: FakeClock;
  let api: FakeSchedulerApi;
  let events: RecordingEventSink;
  let s: Scheduler;

  beforeEach(() => {
    clock = new FakeClock();
    api = new FakeSchedulerApi();
    events = new RecordingEventSink();
    s = new Scheduler({ api, events, clock, random: fixedRandom(), logger: pino({ level: 'silent' }) });
  });
  afterEach(() => s.stop());

  /** Lets the loop and the background writes run until `done()` holds. */
  async function until(done: () => boolean, what: string): Promise<void> {
    for (let i = 0; i < 500; i++) {
      if (done()) return;
      await flushPromises();
    }
    throw new Error(`timed out waiting for ${what}; binds ${JSON.stringify(api.binds)}, events ${JSON.stringify(events.events)}`);
  }

  /** The bound version of `pod`, as the informer would deliver it. */
  const bound = (pod: Pod, node: string): Pod => ({ ...pod, spec: { ...pod.spec, nodeName: node } });

  it('binds pending pods to nodes that fit, counting each decision at once', async () => {
    s.onNodeAdd(makeNode('a', { cpu: '4' }));
    s.onNodeAdd(makeNode('b', { cpu: '4' }));
    s.onPodAdd(makePod('p1', { cpu: '3' }));
    s.onPodAdd(makePod('p2', { cpu: '3', createdAt: 1 }));
    void s.run();
    await until(() => api.binds.length === 2, 'two binds');
    expect(new Set(api.binds.map((b) => b.node))).to.deep.equal(new Set(['a', 'b']));
    await until(() => events.of('default/p1', 'Scheduled').length === 1, 'the Scheduled event');
    expect(events.of('default/p1', 'Scheduled')[0]!.message).to.equal(`Successfully assigned default/p1 to ${api.nodeOf('default/p1')}`);
  });

  it('reports an unschedulable pod in Kubernetes\' words and places it once a node fits', async () => {
    s.onNodeAdd(makeNode('small', { cpu: '1' }));
    const pod = makePod('big', { cpu: '2' });
    s.onPodAdd(pod);
    void s.run();
    await until(() => api.patches.length === 1, 'the condition write');
    const message = '0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.';
    expect(api.patches[0]!.condition).to.include({ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message });
    expect(events.of('default/big', 'FailedScheduling').map((e) => e.message)).to.deep.equal([message]);
    expect(s.status().queue.unschedulable).to.equal(1);
    s.onNodeAdd(makeNode('large', { cpu: '4' }));
    await clock.advance(1000); // the first attempt's backoff
    await until(() => api.binds.length === 1, 'the bind');
    expect(api.nodeOf('default/big')).to.equal('large');
  });

  it('does not retry a pod someone else bound (409), retries other binding failures after backoff', async () => {
    s.onNodeAdd(makeNode('a'));
    api.bindFailures.set('default/taken', 409);
    api.bindFailures.set('default/flaky', 500);
    s.onPodAdd(makePod('taken'));
    s.onPodAdd(makePod('flaky', { createdAt: 1 }));
    void s.run();
    await until(() => s.status().totals.bindErrors === 2, 'two failed binds');
    expect(s.status().assumed).to.equal(0);
    expect(s.status().queue).to.include({ backoff: 1, inFlight: 0 });
    await clock.advance(1000);
    await until(() => api.binds.length === 1, 'the retried bind');
    expect(api.binds[0]!.pod).to.equal('default/flaky');
    expect(events.of('default/flaky', 'FailedScheduling')[0]!.message).to.match(/^Binding rejected: /);
  });

  it('confirms an assumed pod when the informer delivers it bound', async () => {
    s.onNodeAdd(makeNode('a', { cpu: '2' }));
    const pod = makePod('p', { cpu: '2' });
    s.onPodAdd(pod);
    void s.run();
    await until(() => api.binds.length === 1, 'the bind');
    s.onPodUpdate(pod, bound(pod, 'a'));
    expect(s.status()).to.include({ pods: 1, assumed: 0 });
    s.onPodAdd(makePod('next', { cpu: '1', createdAt: 1 }));
    await until(() => api.patches.some((p) => p.pod === 'default/next'), 'next found no room');
  });

  it('preempts the lowest-priority pod, nominates the node, and places the pod once the victim is gone', async () => {
    s.onNodeAdd(makeNode('a', { cpu: '2' }));
    const low = makePod('low', { cpu: '1', priority: 1, nodeName: 'a' });
    const lower = makePod('lower', { cpu: '1', priority: 0, nodeName: 'a' });
    s.onPodAdd(low);
    s.onPodAdd(lower);
    s.onPodAdd(makePod('vip', { cpu: '1', priority: 1000 }));
    void s.run();
    await until(() => api.evictions.length === 1, 'the eviction');
    expect(api.evictions).to.deep.equal(['default/lower']);
    await until(() => api.patches.some((p) => p.nominatedNodeName === 'a'), 'the nomination');
    // While the victim terminates, another try waits for it instead of evicting more.
    const terminating = makePod('lower', { cpu: '1', priority: 0, nodeName: 'a', terminating: true });
    s.onPodUpdate(lower, terminating);
    const patchesBefore = api.patches.length;
    s.onNodeAdd(makeNode('tiny', { cpu: '100m' }));
    await clock.advance(1000);
    const waiting = 'preemption: not eligible due to a terminating pod on the nominated node.';
    await until(() => events.of('default/vip', 'FailedScheduling').some((e) => e.message.endsWith(waiting)), 'the second attempt');
    expect(api.evictions).to.deep.equal(['default/lower']);
    expect(api.patches.slice(patchesBefore).some((p) => p.nominatedNodeName === '')).to.equal(false);
    s.onPodDelete(terminating);
    await clock.advance(2000); // the second attempt's backoff
    await until(() => api.binds.length === 1, 'the bind');
    expect(api.binds[0]).to.deep.equal({ pod: 'default/vip', node: 'a' });
  });

  it('skips and reports malformed pods and nodes, and keeps scheduling', async () => {
    const badNode = makeNode('bad');
    badNode.status!.allocatable = { cpu: 'lots' };
    s.onNodeAdd(badNode);
    s.onNodeAdd(makeNode('good'));
    const badPod = makePod('bad', { cpu: '1' });
    badPod.spec!.containers![0]!.resources = { requests: { memory: '1Gi!' } };
    s.onPodAdd(badPod);
    s.onPodAdd(makePod('fine', { createdAt: 1 }));
    void s.run();
    await until(() => api.binds.length === 1, 'the good pod bound');
    expect(api.nodeOf('default/fine')).to.equal('good');
    expect(events.of('default/bad', 'FailedScheduling')[0]!.message).to.match(/^Pod cannot be scheduled: spec\.containers\[0\]\.resources\.requests\.memory/);
    expect(events.of('/bad')[0]!.message).to.match(/^Node cannot be scheduled: status\.allocatable\.cpu/);
    expect(s.status().nodes).to.equal(1);
  });

  it("leaves other schedulers' pods alone and does not count finished pods", async () => {
    s.onNodeAdd(makeNode('a', { cpu: '1' }));
    const other: PodOptions = {};
    const foreign = makePod('foreign', other);
    foreign.spec!.schedulerName = 'my-scheduler';
    s.onPodAdd(foreign);
    const done = makePod('done', { cpu: '1', nodeName: 'a' });
    done.status = { phase: 'Succeeded' };
    s.onPodAdd(done);
    s.onPodAdd(makePod('mine', { cpu: '1' }));
    void s.run();
    await until(() => api.binds.length === 1, 'the bind');
    expect(api.binds).to.deep.equal([{ pod: 'default/mine', node: 'a' }]);
  });

  it('holds back pods with scheduling gates', async () => {
    s.onNodeAdd(makeNode('a'));
    const gated = makePod('gated');
    gated.spec!.schedulingGates = [{ name: 'wait' }];
    s.onPodAdd(gated);
    void s.run();
    await flushPromises();
    expect(s.status().queue.active + s.status().queue.inFlight).to.equal(0);
    s.onPodUpdate(gated, makePod('gated'));
    await until(() => api.binds.length === 1, 'the bind after the gate is removed');
  });
});
