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
import { REVISION_HASH_LABEL, type ControllerRevision } from '../../../lib/controller/history';

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

  /** Replaces the DaemonSet's template with one running `image` (what `kubectl set image` or `rollout undo` does). */
  const setImage = async (image: string, extra: Partial<NonNullable<DaemonSet['spec']>> = {}) => {
    const current = ds();
    await api.resource<DaemonSet>(RESOURCES.daemonsets).update(NS, { ...current, spec: { ...current.spec, ...extra, template: { ...current.spec!.template, spec: { containers: [{ name: 'c', image }] } } } });
    await settle();
  };
  const revisions = async (): Promise<ControllerRevision[]> =>
    (await api.resource<ControllerRevision>(RESOURCES.controllerrevisions).list(NS)).items.sort((a, b) => (a.revision ?? 0) - (b.revision ?? 0));
  const imageOf = (r: ControllerRevision) => (r.data as { spec: { template: { spec: { containers: { image: string }[] } } } }).spec.template.spec.containers[0]!.image;
  /** Rolls pods until every node runs an available pod of the current template (bounded rounds). */
  const rollOut = async (nodes: number) => {
    for (let round = 0; round < 10 && (status().updatedNumberScheduled < nodes || status().numberAvailable < nodes || (await pods()).length > nodes); round++) {
      await reap();
      await runPods();
    }
  };

  describe('ControllerRevisions', () => {
    it('keeps one revision per template, labels pods with its hash and renumbers a rolled-back one', async () => {
      node('n1');
      daemonSet();
      await settle();
      const [first] = await revisions();
      expect(first).to.deep.include({ revision: 1 });
      expect(first!.metadata.name).to.equal(`agent-${first!.metadata.labels?.[REVISION_HASH_LABEL]}`);
      expect(first!.metadata.ownerReferences?.[0]).to.include({ kind: 'DaemonSet', name: 'agent', controller: true });
      expect(first!.data).to.have.nested.property('spec.template.$patch', 'replace');
      expect((await pods())[0]!.metadata.labels?.[CONTROLLER_REVISION_HASH_LABEL]).to.equal(first!.metadata.labels?.[REVISION_HASH_LABEL]);
      await runPods();
      await setImage('agent:2');
      await rollOut(1);
      expect((await revisions()).map((r) => [r.revision, imageOf(r)])).to.deep.equal([[1, 'agent:1'], [2, 'agent:2']]);
      await setImage('agent:1');
      await rollOut(1);
      const after = await revisions();
      expect(after.map((r) => [r.revision, imageOf(r)]), 'the old revision moves to the head').to.deep.equal([[2, 'agent:2'], [3, 'agent:1']]);
      expect(after[1]!.metadata.name).to.equal(first!.metadata.name);
      expect((await pods()).map((p) => p.metadata.labels?.[CONTROLLER_REVISION_HASH_LABEL])).to.deep.equal([first!.metadata.labels?.[REVISION_HASH_LABEL]]);
      expect(status()).to.include({ updatedNumberScheduled: 1, numberAvailable: 1 });
    });

    const truncation: { limit?: number; rolledOut: boolean; images: string[] }[] = [
      { limit: 1, rolledOut: true, images: ['agent:3', 'agent:4'] },
      { limit: 0, rolledOut: true, images: ['agent:4'] },
      { limit: 0, rolledOut: false, images: ['agent:3', 'agent:4'] },
      { rolledOut: true, images: ['agent:1', 'agent:2', 'agent:3', 'agent:4'] },
    ];
    for (const c of truncation) {
      it(`truncates history to revisionHistoryLimit ${c.limit ?? 'default'} (${c.rolledOut ? 'rolled out' : 'old pods live'}) -> ${c.images.join(', ')}`, async () => {
        node('n1');
        daemonSet({ updateStrategy: { type: c.rolledOut ? 'RollingUpdate' : 'OnDelete' } });
        await settle();
        await runPods();
        for (const image of ['agent:2', 'agent:3']) {
          await setImage(image);
          if (c.rolledOut) await rollOut(1);
        }
        if (!c.rolledOut) {
          // The one pod runs agent:3 from here on: delete the agent:1 pod and let it be replaced.
          await api.resource<Pod>(RESOURCES.pods).delete(NS, (await pods())[0]!.metadata.name!, { gracePeriodSeconds: 0 });
          await settle();
          await runPods();
        }
        await setImage('agent:4', c.limit === undefined ? {} : { revisionHistoryLimit: c.limit });
        if (c.rolledOut) await rollOut(1);
        expect((await revisions()).map(imageOf)).to.deep.equal(c.images);
      });
    }
  });

  describe('RollingUpdate maxSurge', () => {
    const cases: { maxSurge: number | string; nodes: number; surged: number }[] = [
      { maxSurge: 1, nodes: 3, surged: 1 },
      { maxSurge: '50%', nodes: 3, surged: 2 },
      { maxSurge: '100%', nodes: 3, surged: 3 },
      { maxSurge: 5, nodes: 2, surged: 2 },
    ];
    for (const c of cases) {
      it(`maxSurge ${c.maxSurge} on ${c.nodes} nodes creates ${c.surged} new pods before deleting old ones`, async () => {
        for (let i = 1; i <= c.nodes; i++) node(`n${i}`);
        daemonSet({ minReadySeconds: 10, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: c.maxSurge, maxUnavailable: 0 } } });
        await settle();
        await runPods();
        await clock.advance(10_000);
        await settle();
        const old = await pods();
        await setImage('agent:2');
        const hash = daemonTemplateHash(ds());
        const now = await pods();
        expect(now.filter((p) => p.metadata.labels?.[CONTROLLER_REVISION_HASH_LABEL] === hash), 'new pods').to.have.length(c.surged);
        expect(now.filter((p) => old.some((o) => o.metadata.uid === p.metadata.uid)), 'every old pod stays').to.have.length(c.nodes);
        await runPods();
        expect(await pods(), 'new pods Ready but not yet available (minReadySeconds): old ones stay').to.have.length(c.nodes + c.surged);
        await clock.advance(10_000);
        await settle();
        await reap();
        expect(await pods(), 'old pods beside available new ones go; the next nodes surge').to.have.length(c.nodes + Math.min(c.surged, c.nodes - c.surged));
        for (let round = 0; round < 10 && (status().updatedNumberScheduled < c.nodes || (await pods()).length > c.nodes); round++) {
          await reap();
          await runPods();
          await clock.advance(10_000);
          await settle();
        }
        await reap();
        expect((await pods()).every((p) => p.metadata.labels?.[CONTROLLER_REVISION_HASH_LABEL] === hash)).to.equal(true);
        expect(status()).to.include({ desiredNumberScheduled: c.nodes, updatedNumberScheduled: c.nodes, numberAvailable: c.nodes });
      });
    }

    it('reports a malformed maxSurge as an event naming the field and makes no pods', async () => {
      node('n1');
      daemonSet({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 'lots' } } });
      await settle();
      expect(await pods()).to.have.length(0);
      expect(ctx.events.map((e) => e.message)).to.satisfy((m: string[]) => m.some((x) => x.includes('spec.updateStrategy.rollingUpdate.maxSurge')));
    });

    it('replaces an old pod that is not available at once, beyond the surge limit', async () => {
      for (const n of ['n1', 'n2']) node(n);
      daemonSet({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } } });
      await settle();
      await runPods();
      const [notReady] = await pods();
      await api.resource<Pod>(RESOURCES.pods).updateStatus(NS, { ...notReady!, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'False' }] } });
      await setImage('agent:2');
      await reap();
      const hash = daemonTemplateHash(ds());
      const fresh = (await pods()).filter((p) => p.metadata.labels?.[CONTROLLER_REVISION_HASH_LABEL] === hash);
      expect(fresh.map(targetNodeName).sort(), 'one for the unavailable pod, one surge').to.deep.equal(['n1', 'n2']);
      expect((await pods()).map((p) => p.metadata.uid), 'the not-Ready old pod is deleted').to.not.include(notReady!.metadata.uid);
    });
  });
});
