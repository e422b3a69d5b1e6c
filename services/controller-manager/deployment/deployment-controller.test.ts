import { expect } from 'chai';
import { ApiError } from '../../../lib/api/errors';
import { RESOURCES } from '../../../lib/api/resources';
import type { Deployment, DeploymentSpec, ReplicaSet } from '../../../lib/api/types';
import { ControllerRegistry } from '../../../lib/controller/controller-registry';
import { fakeControllerContext, type FakeControllerContext } from '../../../lib/controller/testing';
import { DEPLOYMENT_CONTROLLER_COMPONENT, deploymentControllerDescriptor } from './deployment-controller';
import {
  CONDITION_AVAILABLE, CONDITION_PROGRESSING, DESIRED_REPLICAS_ANNOTATION, MAX_REPLICAS_ANNOTATION, POD_TEMPLATE_HASH_LABEL, REASON, REVISION_ANNOTATION,
  REVISION_HISTORY_ANNOTATION, type DeploymentStatus,
} from './deployment-types';

const NS = 'ns';
const STEP_MS = 1000;
const MAX_STEPS = 40;

/**
 * The Deployment controller over the in-memory API and a fake clock. The ReplicaSet
 * controller's part is played by `markSets`, which writes each set's status as if its pods
 * existed and `available(rs)` of them were available.
 */
describe('deployment controller (fake API, fake clock)', () => {
  let ctx: FakeControllerContext;
  let stop: () => Promise<void>;

  beforeEach(async () => {
    ctx = fakeControllerContext();
    const running = await new ControllerRegistry([deploymentControllerDescriptor]).start(['deployment'], ctx);
    stop = () => running.stop();
  });
  afterEach(() => stop());

  const deployments = () => ctx.client.resource<Deployment>(RESOURCES.deployments);
  const replicaSets = () => ctx.client.resource<ReplicaSet>(RESOURCES.replicasets);

  /** Lets watches, queues and reconciles run, one fake second at a time (distinct creation times). */
  async function settle(steps = 3): Promise<void> {
    for (let i = 0; i < steps; i++) await ctx.clock.advance(STEP_MS);
  }

  function create(name: string, spec: Partial<DeploymentSpec> = {}, image = 'nginx:1'): Deployment {
    return ctx.client.seed<Deployment>({
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: NS },
      spec: {
        replicas: 3, selector: { matchLabels: { app: name } }, progressDeadlineSeconds: 600, revisionHistoryLimit: 10,
        template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image }] } },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
        ...spec,
      },
    });
  }

  async function edit(name: string, change: (d: Deployment) => void): Promise<void> {
    const d = await deployments().get(NS, name);
    change(d);
    await deployments().update(NS, d);
  }

  const setImage = (name: string, image: string) => edit(name, (d) => { d.spec!.template!.spec!.containers![0].image = image; });
  const get = (name: string) => ctx.client.peek<Deployment>('Deployment', NS, name)!;
  const status = (name: string) => (get(name).status ?? {}) as DeploymentStatus;
  const condition = (name: string, type: string) => status(name).conditions?.find((c) => c.type === type);

  /** The sets owned by `name`, oldest first. */
  async function setsOf(name: string): Promise<ReplicaSet[]> {
    const uid = get(name).metadata.uid;
    const all = (await replicaSets().list(NS)).items.filter((rs) => rs.metadata.ownerReferences?.some((r) => r.uid === uid && r.controller));
    return all.sort((a, b) => Number(a.metadata.annotations?.[REVISION_ANNOTATION] ?? 0) - Number(b.metadata.annotations?.[REVISION_ANNOTATION] ?? 0));
  }

  /** Writes every set's status: all its pods exist, `available(rs)` of them available. */
  async function markSets(available: (rs: ReplicaSet) => number = (rs) => rs.spec?.replicas ?? 0): Promise<void> {
    for (const rs of (await replicaSets().list(NS)).items) {
      const n = Math.min(available(rs), rs.spec?.replicas ?? 0);
      rs.status = { replicas: rs.spec?.replicas ?? 0, readyReplicas: n, availableReplicas: n, observedGeneration: rs.metadata.generation };
      await replicaSets().updateStatus(NS, rs);
    }
  }

  const sizes = async (name: string) => (await setsOf(name)).map((rs) => rs.spec?.replicas);

  it('creates <name>-<pod-template-hash> with the hash in its selector and template, revision 1, and reports the rollout complete', async () => {
    create('web');
    await settle();
    const [rs] = await setsOf('web');
    const hash = rs.metadata.labels?.[POD_TEMPLATE_HASH_LABEL];
    expect(hash).to.be.a('string');
    expect(rs.metadata.name).to.equal(`web-${hash}`);
    expect(rs.spec?.selector?.matchLabels).to.deep.equal({ app: 'web', [POD_TEMPLATE_HASH_LABEL]: hash });
    expect(rs.spec?.template?.metadata?.labels).to.deep.equal({ app: 'web', [POD_TEMPLATE_HASH_LABEL]: hash });
    expect(rs.spec?.replicas).to.equal(3);
    expect(rs.metadata.ownerReferences?.[0]).to.include({ kind: 'Deployment', name: 'web', controller: true, uid: get('web').metadata.uid });
    expect(rs.metadata.annotations).to.include({ [REVISION_ANNOTATION]: '1', [DESIRED_REPLICAS_ANNOTATION]: '3', [MAX_REPLICAS_ANNOTATION]: '4' });
    expect(get('web').metadata.annotations?.[REVISION_ANNOTATION]).to.equal('1');
    expect(ctx.events.find((e) => e.reason === 'ScalingReplicaSet')).to.include({ component: DEPLOYMENT_CONTROLLER_COMPONENT, type: 'Normal', message: `Scaled up replica set web-${hash} from 0 to 3` });
    expect(condition('web', CONDITION_PROGRESSING)).to.include({ status: 'True', reason: REASON.newReplicaSetCreated });
    expect(condition('web', CONDITION_AVAILABLE)).to.include({ status: 'False', reason: REASON.minimumReplicasUnavailable });

    await markSets();
    await settle();
    expect(status('web')).to.include({ observedGeneration: 1, replicas: 3, updatedReplicas: 3, readyReplicas: 3, availableReplicas: 3, unavailableReplicas: 0 });
    expect(condition('web', CONDITION_PROGRESSING)).to.include({ status: 'True', reason: REASON.newReplicaSetAvailable, message: `ReplicaSet "web-${hash}" has successfully progressed.` });
    expect(condition('web', CONDITION_AVAILABLE)).to.include({ status: 'True', reason: REASON.minimumReplicasAvailable });
    // The same template after a restart of the controller is the same set: nothing new.
    expect(await setsOf('web')).to.have.length(1);
  });

  const rollingCases = [
    { replicas: 10, maxSurge: '25%', maxUnavailable: '25%', firstStep: [8, 5] },
    { replicas: 4, maxSurge: 1, maxUnavailable: 0, firstStep: [4, 1] },
    { replicas: 5, maxSurge: 0, maxUnavailable: 1, firstStep: [4, 1] },
    { replicas: 3, maxSurge: '50%', maxUnavailable: '50%', firstStep: [2, 3] },
  ];
  for (const c of rollingCases) {
    it(`rolling update of ${c.replicas} (maxSurge ${c.maxSurge}, maxUnavailable ${c.maxUnavailable}): first steps end at ${c.firstStep}, never above replicas + surge or below replicas − unavailable available`, async () => {
      create('roll', { replicas: c.replicas, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: c.maxSurge, maxUnavailable: c.maxUnavailable } } });
      await settle();
      await markSets();
      await settle();
      await setImage('roll', 'nginx:2');
      await settle();
      expect(await sizes('roll')).to.deep.equal(c.firstStep);
      const surge = typeof c.maxSurge === 'number' ? c.maxSurge : Math.ceil((parseInt(c.maxSurge, 10) * c.replicas) / 100);
      const unavailable = typeof c.maxUnavailable === 'number' ? c.maxUnavailable : Math.floor((parseInt(c.maxUnavailable, 10) * c.replicas) / 100);
      let steps = 0;
      for (; steps < MAX_STEPS; steps++) {
        const sets = await setsOf('roll');
        const total = sets.reduce((n, rs) => n + (rs.spec?.replicas ?? 0), 0);
        // A pod of a shrunk set is gone at once; a new one is available only once marked.
        const available = sets.reduce((n, rs) => n + Math.min(rs.spec?.replicas ?? 0, (rs.status as { availableReplicas?: number } | undefined)?.availableReplicas ?? 0), 0);
        expect(total, `total pods at step ${steps}`).to.be.at.most(c.replicas + surge);
        expect(available, `available pods at step ${steps}`).to.be.at.least(c.replicas - unavailable);
        if (condition('roll', CONDITION_PROGRESSING)?.reason === REASON.newReplicaSetAvailable && status('roll').updatedReplicas === c.replicas) break;
        await markSets();
        await settle();
      }
      expect(steps).to.be.lessThan(MAX_STEPS);
      expect(await sizes('roll')).to.deep.equal([0, c.replicas]);
      expect(status('roll')).to.include({ replicas: c.replicas, updatedReplicas: c.replicas, availableReplicas: c.replicas, observedGeneration: 2 });
      expect(get('roll').metadata.annotations?.[REVISION_ANNOTATION]).to.equal('2');
      const messages = ctx.events.filter((e) => e.reason === 'ScalingReplicaSet').map((e) => e.message);
      expect(messages.some((m) => /^Scaled down replica set roll-\w+ from \d+ to \d+$/.test(m))).to.equal(true);
    });
  }

  it('Recreate scales every old set to 0 and creates the new one only after their pods are gone', async () => {
    create('re', { replicas: 3, strategy: { type: 'Recreate' } });
    await settle();
    await markSets();
    await settle();
    await setImage('re', 'nginx:2');
    await settle();
    let sets = await setsOf('re');
    expect(sets.map((rs) => rs.spec?.replicas)).to.deep.equal([0]);
    // The set's pods still exist (status.replicas 3): no new set yet.
    await settle();
    expect(await setsOf('re')).to.have.length(1);
    await markSets();
    await settle();
    sets = await setsOf('re');
    expect(sets.map((rs) => rs.spec?.replicas)).to.deep.equal([0, 3]);
    const scaling = ctx.events.filter((e) => e.reason === 'ScalingReplicaSet').map((e) => e.message);
    const lastUp = scaling.length - 1 - [...scaling].reverse().findIndex((m) => m.startsWith('Scaled up'));
    expect(scaling.findIndex((m) => m.startsWith('Scaled down'))).to.be.lessThan(lastUp);
  });

  it('numbers revisions max + 1, and a rollback reuses the old set with a new revision and a revision-history', async () => {
    create('rev', { replicas: 2, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '100%', maxUnavailable: 0 } } });
    const rollTo = async (image: string) => {
      await setImage('rev', image);
      for (let i = 0; i < 6; i++) {
        await settle();
        await markSets();
      }
      await settle();
    };
    await settle();
    await markSets();
    await rollTo('nginx:2');
    const [v1, v2] = await setsOf('rev');
    expect([v1.metadata.annotations?.[REVISION_ANNOTATION], v2.metadata.annotations?.[REVISION_ANNOTATION]]).to.deep.equal(['1', '2']);
    await rollTo('nginx:1');
    const sets = await setsOf('rev');
    expect(sets).to.have.length(2);
    const reused = sets.find((rs) => rs.metadata.name === v1.metadata.name)!;
    expect(reused.metadata.annotations).to.include({ [REVISION_ANNOTATION]: '3', [REVISION_HISTORY_ANNOTATION]: '1' });
    expect(reused.spec?.replicas).to.equal(2);
    expect(get('rev').metadata.annotations?.[REVISION_ANNOTATION]).to.equal('3');
  });

  it('copies the Deployment annotations (change-cause) to the new set but not its own bookkeeping', async () => {
    ctx.client.seed<Deployment>({ ...create('ann'), metadata: { name: 'ann2', namespace: NS, annotations: { 'kubernetes.io/change-cause': 'first', 'kubectl.kubernetes.io/last-applied-configuration': '{}' } } });
    await settle();
    const [rs] = await setsOf('ann2');
    expect(rs.metadata.annotations?.['kubernetes.io/change-cause']).to.equal('first');
    expect(rs.metadata.annotations).to.not.have.property('kubectl.kubernetes.io/last-applied-configuration');
  });

  it('keeps revisionHistoryLimit old sets with no pods, deleting the oldest', async () => {
    create('hist', { replicas: 1, revisionHistoryLimit: 1, strategy: { type: 'Recreate' } });
    await settle();
    for (const image of ['nginx:2', 'nginx:3', 'nginx:4']) {
      await markSets();
      await setImage('hist', image);
      for (let i = 0; i < 4; i++) {
        await settle();
        await markSets();
      }
    }
    await settle();
    const sets = await setsOf('hist');
    expect(sets.map((rs) => rs.metadata.annotations?.[REVISION_ANNOTATION])).to.deep.equal(['3', '4']);
    expect(sets.map((rs) => rs.spec?.template?.spec?.containers?.[0].image)).to.deep.equal(['nginx:3', 'nginx:4']);
  });

  it('pause: no rollout while paused, scaling still works; resume rolls out (DeploymentPaused → DeploymentResumed)', async () => {
    create('p', { replicas: 2 });
    await settle();
    await markSets();
    await settle();
    await edit('p', (d) => { d.spec!.paused = true; });
    await settle();
    expect(condition('p', CONDITION_PROGRESSING)).to.include({ status: 'Unknown', reason: REASON.paused, message: 'Deployment is paused' });
    await setImage('p', 'nginx:2');
    await edit('p', (d) => { d.spec!.replicas = 4; });
    await settle();
    expect(await sizes('p')).to.deep.equal([4]);
    expect(ctx.events.map((e) => e.message)).to.include(`Scaled up replica set ${(await setsOf('p'))[0].metadata.name} from 2 to 4`);
    await edit('p', (d) => { d.spec!.paused = false; });
    await settle(1);
    expect(condition('p', CONDITION_PROGRESSING)?.reason).to.be.oneOf([REASON.resumed, REASON.newReplicaSetCreated, REASON.replicaSetUpdated]);
    await settle();
    expect(await setsOf('p')).to.have.length(2);
  });

  it('a scale mid-rollout is spread proportionally over the active sets', async () => {
    create('prop', { replicas: 10 });
    await settle();
    await markSets();
    await settle();
    await setImage('prop', 'nginx:2');
    await settle();
    // Old 10 → 8 (2 unavailable allowed), new 0 → 5 (13 pods at most); the new pods are not available yet.
    expect(await sizes('prop')).to.deep.equal([8, 5]);
    await edit('prop', (d) => { d.spec!.replicas = 20; });
    await settle();
    // 25 allowed (20 + 5 surge) over 8:5, both last scaled for 13: 8·25/13 ≈ 15, 5·25/13 ≈ 10.
    expect(await sizes('prop')).to.deep.equal([15, 10]);
    expect((await setsOf('prop')).every((rs) => rs.metadata.annotations?.[DESIRED_REPLICAS_ANNOTATION] === '20')).to.equal(true);
  });

  it('carries minReadySeconds to the new set, also when only minReadySeconds changes (no new set)', async () => {
    create('mrs', { replicas: 1, minReadySeconds: 5 });
    await settle();
    expect((await setsOf('mrs')).map((rs) => rs.spec?.minReadySeconds)).to.deep.equal([5]);
    await edit('mrs', (d) => { d.spec!.minReadySeconds = 7; });
    await settle();
    expect((await setsOf('mrs')).map((rs) => rs.spec?.minReadySeconds)).to.deep.equal([7]);
  });

  it('marks a stalled rollout ProgressDeadlineExceeded once progressDeadlineSeconds pass without progress', async () => {
    create('stuck', { replicas: 2, progressDeadlineSeconds: 30 });
    await settle();
    await markSets(() => 0);
    await settle();
    expect(condition('stuck', CONDITION_PROGRESSING)?.status).to.equal('True');
    await ctx.clock.advance(20_000);
    expect(condition('stuck', CONDITION_PROGRESSING)?.reason).to.not.equal(REASON.progressDeadlineExceeded);
    await ctx.clock.advance(20_000);
    const cond = condition('stuck', CONDITION_PROGRESSING);
    expect(cond).to.include({ status: 'False', reason: REASON.progressDeadlineExceeded });
    expect(cond?.message).to.match(/^ReplicaSet "stuck-\w+" has timed out progressing\.$/);
  });

  it('adopts a matching orphan set with the same template instead of creating one', async () => {
    const d = create('adopt', { replicas: 1 });
    await stop();
    stop = async () => {};
    ctx.client.seed<ReplicaSet>({
      apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'adopt-orphan', namespace: NS, labels: { app: 'adopt', [POD_TEMPLATE_HASH_LABEL]: 'x' } },
      spec: { replicas: 1, selector: { matchLabels: { app: 'adopt', [POD_TEMPLATE_HASH_LABEL]: 'x' } }, template: { ...structuredClone(d.spec!.template!), metadata: { labels: { app: 'adopt', [POD_TEMPLATE_HASH_LABEL]: 'x' } } } },
    });
    const fresh = fakeControllerContext(ctx.client, ctx.clock);
    const running = await new ControllerRegistry([deploymentControllerDescriptor]).start(['deployment'], fresh);
    stop = () => running.stop();
    await settle();
    const sets = await setsOf('adopt');
    expect(sets.map((rs) => rs.metadata.name)).to.deep.equal(['adopt-orphan']);
    expect(sets[0].metadata.annotations?.[REVISION_ANNOTATION]).to.equal('1');
  });

  it('a name taken by a set it does not own is a hash collision: collisionCount goes up and the next name differs', async () => {
    const d = create('col', { replicas: 1 });
    await stop();
    stop = async () => {};
    const { computePodTemplateHash } = await import('./replica-sets');
    const hash = computePodTemplateHash(d.spec?.template);
    ctx.client.seed<ReplicaSet>({
      apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: `col-${hash}`, namespace: NS, labels: { other: 'x' } },
      spec: { replicas: 0, selector: { matchLabels: { other: 'x' } }, template: { metadata: { labels: { other: 'x' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } },
    });
    const fresh = fakeControllerContext(ctx.client, ctx.clock);
    const running = await new ControllerRegistry([deploymentControllerDescriptor]).start(['deployment'], fresh);
    stop = () => running.stop();
    await settle(5);
    expect(status('col').collisionCount).to.equal(1);
    const sets = await setsOf('col');
    expect(sets).to.have.length(1);
    expect(sets[0].metadata.name).to.equal(`col-${computePodTemplateHash(d.spec?.template, 1)}`);
  });

  it('a refused update is retried (conflict-safe writes), and no set is created twice', async () => {
    ctx.client.failNext('create', new ApiError(500, 'InternalError', 'injected'));
    create('retry', { replicas: 2 });
    await settle(5);
    expect(await setsOf('retry')).to.have.length(1);
    expect(ctx.client.callsOf('create replicasets').length).to.be.at.most(3);
  });
});
