import { expect } from 'chai';
import { RESOURCES } from '../../../lib/api/resources';
import type { DaemonSet } from '../../../lib/api/types/apps';
import type { Node, Pod, Taint } from '../../../lib/api/types/core';
import { FakeClock } from '../../../lib/client/fake-clock';
import { FakeApiClient } from '../../../lib/client/testing/fake-api-client';
import { ControllerRegistry } from '../../../lib/controller/controller-registry';
import { fakeControllerContext, type FakeControllerContext } from '../../../lib/controller/testing';
import { CONTROLLER_REVISION_HASH_LABEL, DAEMON_TOLERATIONS, daemonTemplateHash, targetNodeName } from './daemon-pod';
import { DAEMONSET_CONTROLLER_COMPONENT, daemonSetControllerDescriptor } from './daemonset-controller';
import type { DaemonSetStatus } from './daemonset-status';

const NS = 'ns';
const LABELS = { app: 'agent' };

describe('daemonset controller (fake API, fake clock)', () => {
  let clock: FakeClock;
  let api: FakeApiClient;
  let ctx: FakeControllerContext;
  let stop: () => Promise<void>;

  beforeEach(async () => {
    clock = new FakeClock();
    api = new FakeApiClient(undefined, () => new Date(clock.now()));
    ctx = fakeControllerContext(api, clock);
    const running = await new ControllerRegistry([daemonSetControllerDescriptor]).start(['daemonset'], ctx);
    stop = () => running.stop();
    await clock.advance(0);
  });
  afterEach(() => stop());

  const settle = async () => {
    for (let i = 0; i < 5; i++) await clock.advance(0);
  };
  const node = (name: string, labels: Record<string, string> = {}, taints: Taint[] = []): Node =>
    api.seed<Node>({ apiVersion: 'v1', kind: 'Node', metadata: { name, labels }, spec: { taints } });
  const daemonSet = (spec: Partial<NonNullable<DaemonSet['spec']>> & { podSpec?: Record<string, unknown> } = {}): DaemonSet => {
    const { podSpec, ...rest } = spec;
    return api.seed<DaemonSet>({
      apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'agent', namespace: NS },
      spec: { selector: { matchLabels: LABELS }, template: { metadata: { labels: LABELS }, spec: { containers: [{ name: 'c', image: 'agent:1' }], ...podSpec } }, ...rest },
    });
  };
  const pods = async (): Promise<Pod[]> => (await api.resource<Pod>(RESOURCES.pods).list(NS)).items.filter((p) => !p.metadata.deletionTimestamp);
  const nodesOfPods = async () => (await pods()).map((p) => targetNodeName(p)).sort();
  const ds = () => api.peek<DaemonSet>('DaemonSet', NS, 'agent')!;
  const status = () => ds().status as DaemonSetStatus;
  /** What the scheduler and kubelet would do: bind every pod to its pinned node, Running and Ready. */
  const runPods = async () => {
    const client = api.resource<Pod>(RESOURCES.pods);
    for (const p of await pods()) {
      if (p.status?.phase === 'Running') continue;
      const bound = await client.update(NS, { ...p, spec: { ...p.spec, nodeName: targetNodeName(p) } });
      await client.updateStatus(NS, { ...bound, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: new Date(clock.now()).toISOString() }] } });
    }
    await settle();
  };
  /** Deleted pods disappear (graceful deletion completes). */
  const reap = async () => {
    const client = api.resource<Pod>(RESOURCES.pods);
    for (const p of (await client.list(NS)).items) if (p.metadata.deletionTimestamp) await client.delete(NS, p.metadata.name!, { gracePeriodSeconds: 0 }).catch(() => undefined);
    await settle();
  };

  it('places one pod per node matching nodeSelector, through the scheduler with a matchFields affinity', async () => {
    node('n1', { role: 'edge' });
    node('n2', { role: 'core' });
    node('n3', { role: 'edge' });
    daemonSet({ podSpec: { nodeSelector: { role: 'edge' } } });
    await settle();
    expect(await nodesOfPods()).to.deep.equal(['n1', 'n3']);
    const pod = (await pods())[0]!;
    expect(pod.spec?.nodeName, 'the scheduler binds it').to.equal(undefined);
    expect(pod.spec?.affinity).to.deep.include({ nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [targetNodeName(pod)] }] }] } } });
    expect(pod.spec?.tolerations).to.deep.include.members(DAEMON_TOLERATIONS as unknown[]);
    expect(pod.metadata.labels?.[CONTROLLER_REVISION_HASH_LABEL]).to.equal(daemonTemplateHash(ds()));
    expect(pod.metadata.ownerReferences?.[0]).to.include({ kind: 'DaemonSet', name: 'agent', controller: true });
    expect(ctx.events.filter((e) => e.reason === 'SuccessfulCreate').map((e) => e.component)).to.deep.equal([DAEMONSET_CONTROLLER_COMPONENT, DAEMONSET_CONTROLLER_COMPONENT]);
  });

  it('honours required node affinity, taints and tolerations (daemon tolerations included)', async () => {
    node('a', { zone: 'z1' });
    node('b', { zone: 'z2' });
    node('c', { zone: 'z1' }, [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }]);
    node('d', { zone: 'z1' }, [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }]);
    node('e', { zone: 'z1' }, [{ key: 'node.kubernetes.io/network-unavailable', effect: 'NoSchedule' }]);
    daemonSet({
      podSpec: {
        affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['z1'] }] }] } } },
      },
    });
    await settle();
    expect(await nodesOfPods(), 'c is tainted, e lacks a network (not hostNetwork); a cordoned d is tolerated').to.deep.equal(['a', 'd']);
  });

  it('tolerates taints the template tolerates', async () => {
    node('c', {}, [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }]);
    node('e', {}, [{ key: 'node.kubernetes.io/network-unavailable', effect: 'NoSchedule' }]);
    daemonSet({ podSpec: { hostNetwork: true, tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }] } });
    await settle();
    expect(await nodesOfPods()).to.deep.equal(['c', 'e']);
  });

  it('gives a node added later a pod; a relabelled or removed node loses it; a failed pod is replaced', async () => {
    node('n1', { pool: 'x' });
    daemonSet({ podSpec: { nodeSelector: { pool: 'x' } } });
    await settle();
    await runPods();
    expect(await nodesOfPods()).to.deep.equal(['n1']);
    const n2 = node('n2', { pool: 'x' });
    node('n3', { pool: 'x' });
    await settle();
    expect(await nodesOfPods()).to.deep.equal(['n1', 'n2', 'n3']);
    await runPods();
    await api.resource<Node>(RESOURCES.nodes).update(undefined, { ...api.peek<Node>('Node', undefined, 'n2')!, metadata: { ...n2.metadata, labels: { pool: 'y' }, resourceVersion: undefined } });
    await settle();
    await api.resource<Node>(RESOURCES.nodes).delete(undefined, 'n3');
    await settle();
    await reap();
    expect(await nodesOfPods()).to.deep.equal(['n1']);
    const [p1] = await pods();
    await api.resource<Pod>(RESOURCES.pods).updateStatus(NS, { ...p1!, status: { phase: 'Failed' } });
    await settle();
    await reap();
    const [replacement] = await pods();
    expect(replacement?.metadata.uid).to.not.equal(p1!.metadata.uid);
    expect(targetNodeName(replacement!)).to.equal('n1');
  });

  it('keeps the oldest of extra pods on one node', async () => {
    node('n1');
    daemonSet();
    await settle();
    const [first] = await pods();
    await stop();
    await clock.advance(1000);
    const extra = api.seed<Pod>({ ...first!, metadata: { ...first!.metadata, name: 'agent-extra', uid: undefined, resourceVersion: undefined, creationTimestamp: undefined } });
    const running = await new ControllerRegistry([daemonSetControllerDescriptor]).start(['daemonset'], fakeControllerContext(api, clock));
    stop = () => running.stop();
    await settle();
    await reap();
    expect((await pods()).map((p) => p.metadata.name)).to.deep.equal([first!.metadata.name]);
    expect(extra.metadata.name).to.equal('agent-extra');
  });

  it('reports status counts and rolls an update out within maxUnavailable', async () => {
    for (const n of ['n1', 'n2', 'n3', 'n4']) node(n);
    node('other', {}, [{ key: 'x', effect: 'NoSchedule' }]);
    daemonSet({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 2 } } });
    await settle();
    expect(status()).to.include({ desiredNumberScheduled: 4, currentNumberScheduled: 4, numberReady: 0, numberAvailable: 0, numberUnavailable: 4, updatedNumberScheduled: 4, numberMisscheduled: 0 });
    await runPods();
    expect(status()).to.include({ desiredNumberScheduled: 4, numberReady: 4, numberAvailable: 4, numberUnavailable: 0 });
    const old = await pods();
    const current = ds();
    await api.resource<DaemonSet>(RESOURCES.daemonsets).update(NS, { ...current, spec: { ...current.spec, template: { ...current.spec!.template, spec: { containers: [{ name: 'c', image: 'agent:2' }] } } } });
    await settle();
    const hash = daemonTemplateHash(ds());
    const liveUids = async () => new Set((await pods()).map((p) => p.metadata.uid));
    const alive = await liveUids();
    expect(old.filter((p) => !alive.has(p.metadata.uid)), 'two old pods go at a time').to.have.length(2);
    for (let round = 0; round < 6 && (status().updatedNumberScheduled < 4 || status().numberAvailable < 4); round++) {
      await reap();
      const notRunning = (await pods()).filter((p) => p.status?.phase !== 'Running').length;
      const missing = 4 - (await pods()).length;
      expect(notRunning + missing, 'unavailable nodes').to.be.at.most(2);
      await runPods();
    }
    expect(status()).to.include({ desiredNumberScheduled: 4, updatedNumberScheduled: 4, numberAvailable: 4, observedGeneration: ds().metadata.generation });
    expect((await pods()).every((p) => p.metadata.labels?.[CONTROLLER_REVISION_HASH_LABEL] === hash)).to.equal(true);
  });

  it('OnDelete leaves old pods until they are deleted', async () => {
    node('n1');
    daemonSet({ updateStrategy: { type: 'OnDelete' } });
    await settle();
    await runPods();
    const [old] = await pods();
    const current = ds();
    await api.resource<DaemonSet>(RESOURCES.daemonsets).update(NS, { ...current, spec: { ...current.spec, template: { ...current.spec!.template, spec: { containers: [{ name: 'c', image: 'agent:2' }] } } } });
    await settle();
    expect((await pods()).map((p) => p.metadata.uid)).to.deep.equal([old!.metadata.uid]);
    expect(status()).to.include({ updatedNumberScheduled: 0 });
    await api.resource<Pod>(RESOURCES.pods).delete(NS, old!.metadata.name!, { gracePeriodSeconds: 0 });
    await settle();
    expect((await pods())[0]?.metadata.labels?.[CONTROLLER_REVISION_HASH_LABEL]).to.equal(daemonTemplateHash(ds()));
  });
});
