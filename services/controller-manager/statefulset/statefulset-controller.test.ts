import { expect } from 'chai';
import { RESOURCES } from '../../../lib/api/resources';
import type { StatefulSet, StatefulSetSpec } from '../../../lib/api/types/apps';
import type { PersistentVolumeClaim, Pod } from '../../../lib/api/types/core';
import { FakeClock } from '../../../lib/client/fake-clock';
import { FakeApiClient } from '../../../lib/client/testing/fake-api-client';
import { ControllerRegistry } from '../../../lib/controller/controller-registry';
import { CONTROLLER_REVISION_HASH_LABEL, sortRevisions, type ControllerRevision } from '../../../lib/controller/history';
import { fakeControllerContext } from '../../../lib/controller/testing';
import { POD_INDEX_LABEL, POD_NAME_LABEL } from './stateful-pod';
import { STATEFULSET_CONTROLLER_COMPONENT, statefulSetControllerDescriptor } from './statefulset-controller';
import type { StatefulSetStatus } from './statefulset-status';

const NS = 'ns';
const LABELS = { app: 'web' };
const PODS = RESOURCES.pods;
const GRACE_FINALIZER = 'test.bosun.dev/graceful-termination';

describe('statefulset controller (fake API, fake clock)', () => {
  let clock: FakeClock;
  let api: FakeApiClient;
  let events: { reason: string; message: string; component: string }[];
  let stop: () => Promise<void>;

  beforeEach(async () => {
    clock = new FakeClock();
    api = new FakeApiClient(undefined, () => new Date(clock.now()));
    const ctx = fakeControllerContext(api, clock);
    events = ctx.events;
    const running = await new ControllerRegistry([statefulSetControllerDescriptor]).start(['statefulset'], ctx);
    stop = () => running.stop();
    await clock.advance(0);
  });
  afterEach(() => stop());

  const settle = async () => {
    for (let i = 0; i < 8; i++) await clock.advance(0);
  };
  const statefulSet = (spec: Partial<StatefulSetSpec> = {}, image = 'web:1'): StatefulSet =>
    api.seed<StatefulSet>({
      apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'web', namespace: NS, generation: 1 },
      spec: {
        replicas: 3, serviceName: 'web', podManagementPolicy: 'OrderedReady', revisionHistoryLimit: 10,
        updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
        selector: { matchLabels: LABELS },
        // The finalizer stands in for a kubelet's graceful termination: a deleted pod stays, terminating, until reap().
        template: { metadata: { labels: LABELS, finalizers: [GRACE_FINALIZER] }, spec: { containers: [{ name: 'c', image, volumeMounts: [{ name: 'data', mountPath: '/data' }] }] } },
        volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
        ...spec,
      },
    });
  const sts = () => api.peek<StatefulSet>('StatefulSet', NS, 'web')!;
  const status = () => sts().status as StatefulSetStatus;
  const allPods = async (): Promise<Pod[]> => (await api.resource<Pod>(PODS).list(NS)).items;
  const pods = async (): Promise<Pod[]> => (await allPods()).filter((p) => !p.metadata.deletionTimestamp);
  const podNames = async () => (await pods()).map((p) => p.metadata.name).sort();
  const claims = async () => (await api.resource<PersistentVolumeClaim>(RESOURCES.persistentvolumeclaims).list(NS)).items;
  const revisions = async () => sortRevisions((await api.resource<ControllerRevision>(RESOURCES.controllerrevisions).list(NS)).items);
  const updateSpec = async (spec: Partial<StatefulSetSpec>) => {
    const cur = sts();
    await api.resource<StatefulSet>(RESOURCES.statefulsets).update(NS, { ...cur, metadata: { ...cur.metadata, generation: (cur.metadata.generation ?? 1) + 1 }, spec: { ...cur.spec, ...spec } });
    await settle();
  };
  const withImage = (image: string) => {
    const t = sts().spec!.template!;
    return { ...t, spec: { ...t.spec, containers: t.spec!.containers!.map((c) => ({ ...c, image })) } };
  };
  const setImage = (image: string) => updateSpec({ template: withImage(image) });
  /** What the scheduler and kubelet would do: every pending pod Running and Ready. */
  const runPods = async () => {
    for (const p of await pods()) {
      if (p.status?.phase === 'Running') continue;
      await api.resource<Pod>(PODS).updateStatus(NS, { ...p, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: new Date(clock.now()).toISOString() }] } });
    }
    await settle();
  };
  /** Graceful deletions complete. */
  const reap = async () => {
    for (const p of await allPods()) if (p.metadata.deletionTimestamp) await api.resource<Pod>(PODS).update(NS, { ...p, metadata: { ...p.metadata, finalizers: [] } });
    await settle();
  };
  /** Runs and reaps until nothing changes (a rollout or scale finishing), at most `rounds` times. */
  const converge = async (rounds = 10) => {
    for (let i = 0; i < rounds; i++) {
      await reap();
      await runPods();
    }
  };

  it('creates pods in order, each after the one below is Ready, with identity, labels and PVCs', async () => {
    statefulSet();
    await settle();
    expect(await podNames()).to.deep.equal(['web-0']);
    await settle();
    expect(await podNames(), 'waits for web-0 to be Ready').to.deep.equal(['web-0']);
    await runPods();
    expect(await podNames()).to.deep.equal(['web-0', 'web-1']);
    await runPods();
    await runPods();
    expect(await podNames()).to.deep.equal(['web-0', 'web-1', 'web-2']);
    const pod = (await pods()).find((p) => p.metadata.name === 'web-1')!;
    expect(pod.metadata.labels).to.deep.include({ app: 'web', [POD_NAME_LABEL]: 'web-1', [POD_INDEX_LABEL]: '1', [CONTROLLER_REVISION_HASH_LABEL]: status().updateRevision });
    expect(pod.spec).to.deep.include({ hostname: 'web-1', subdomain: 'web' });
    expect(pod.spec?.volumes).to.deep.equal([{ name: 'data', persistentVolumeClaim: { claimName: 'data-web-1' } }]);
    expect(pod.metadata.ownerReferences?.[0]).to.include({ kind: 'StatefulSet', name: 'web', controller: true });
    expect((await claims()).map((c) => c.metadata.name).sort()).to.deep.equal(['data-web-0', 'data-web-1', 'data-web-2']);
    const order = events.filter((e) => e.reason === 'SuccessfulCreate').map((e) => e.message);
    expect(order.indexOf('create Claim data-web-0 Pod web-0 in StatefulSet web success')).to.be.lessThan(order.indexOf('create Pod web-0 in StatefulSet web successful'));
    expect(events.every((e) => e.component === STATEFULSET_CONTROLLER_COMPONENT)).to.equal(true);
    expect(status()).to.include({ replicas: 3, readyReplicas: 3, availableReplicas: 3, currentReplicas: 3, updatedReplicas: 3, observedGeneration: 1, collisionCount: 0 });
    expect(status().currentRevision).to.equal(status().updateRevision);
    const revs = await revisions();
    expect(revs.map((r) => [r.metadata.name, r.revision])).to.deep.equal([[status().updateRevision, 1]]);
    expect(revs[0]!.metadata.labels).to.include(LABELS);
  });

  it('Parallel creates every pod at once', async () => {
    statefulSet({ podManagementPolicy: 'Parallel' });
    await settle();
    expect(await podNames()).to.deep.equal(['web-0', 'web-1', 'web-2']);
  });

  it('recreates a deleted pod with the same name and PVC only once the old one is gone; replaces a failed pod', async () => {
    statefulSet();
    await converge(4);
    const old = (await pods()).find((p) => p.metadata.name === 'web-1')!;
    await api.resource<Pod>(PODS).delete(NS, 'web-1');
    await settle();
    expect((await allPods()).filter((p) => p.metadata.name === 'web-1').map((p) => p.metadata.uid), 'one pod per ordinal').to.deep.equal([old.metadata.uid]);
    await reap();
    const fresh = (await pods()).find((p) => p.metadata.name === 'web-1')!;
    expect(fresh.metadata.uid).to.not.equal(old.metadata.uid);
    expect(fresh.spec?.volumes).to.deep.equal(old.spec?.volumes);
    expect((await claims()).length).to.equal(3);
    await runPods();
    const running = (await pods()).find((p) => p.metadata.name === 'web-1')!;
    await api.resource<Pod>(PODS).updateStatus(NS, { ...running, status: { phase: 'Failed' } });
    await settle();
    await reap();
    const replacement = (await pods()).find((p) => p.metadata.name === 'web-1')!;
    expect(replacement.metadata.uid).to.not.equal(fresh.metadata.uid);
  });

  it('scales down from the highest ordinal, one at a time, keeping the PVCs by default', async () => {
    statefulSet();
    await converge(4);
    await updateSpec({ replicas: 1 });
    expect((await allPods()).filter((p) => p.metadata.deletionTimestamp).map((p) => p.metadata.name)).to.deep.equal(['web-2']);
    await settle();
    expect(await podNames(), 'web-1 waits for web-2 to be gone').to.deep.equal(['web-0', 'web-1']);
    await reap();
    expect((await allPods()).filter((p) => p.metadata.deletionTimestamp).map((p) => p.metadata.name)).to.deep.equal(['web-1']);
    await reap();
    expect(await podNames()).to.deep.equal(['web-0']);
    expect((await claims()).length, 'claims outlive their pods').to.equal(3);
    expect(status()).to.include({ replicas: 1, readyReplicas: 1 });
  });

  it('persistentVolumeClaimRetentionPolicy: Delete owns claims by the set, and by the pod once it is scaled away', async () => {
    statefulSet({ replicas: 2, persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Delete', whenScaled: 'Delete' } });
    await converge(3);
    const owners = async (name: string) => ((await claims()).find((c) => c.metadata.name === name)?.metadata.ownerReferences ?? []).map((r) => `${r.kind}/${r.name}`);
    expect(await owners('data-web-1')).to.deep.equal(['StatefulSet/web']);
    await updateSpec({ replicas: 1 });
    expect(await owners('data-web-1')).to.deep.equal(['Pod/web-1']);
    expect(await owners('data-web-0')).to.deep.equal(['StatefulSet/web']);
  });

  it('recreates a claim deleted under a live pod', async () => {
    statefulSet({ replicas: 1 });
    await converge(2);
    await api.resource<PersistentVolumeClaim>(RESOURCES.persistentvolumeclaims).delete(NS, 'data-web-0');
    await settle();
    expect((await claims()).map((c) => c.metadata.name)).to.deep.equal(['data-web-0']);
  });

  it('Retain (the default) leaves claims without owners', async () => {
    statefulSet({ replicas: 1 });
    await converge(2);
    expect((await claims()).map((c) => c.metadata.ownerReferences ?? [])).to.deep.equal([[]]);
  });

  it('rolls an update from the highest ordinal down, one Ready pod at a time, then makes it current', async () => {
    statefulSet();
    await converge(4);
    const first = status().currentRevision;
    await setImage('web:2');
    const second = status().updateRevision;
    expect(second).to.not.equal(first);
    const deletedOrder: string[] = [];
    for (let i = 0; i < 6; i++) {
      const terminating = (await allPods()).filter((p) => p.metadata.deletionTimestamp).map((p) => p.metadata.name!);
      expect(terminating.length, 'one pod at a time').to.be.at.most(1);
      deletedOrder.push(...terminating);
      await reap();
      await runPods();
    }
    expect(deletedOrder).to.deep.equal(['web-2', 'web-1', 'web-0']);
    expect((await pods()).map((p) => p.spec?.containers?.[0]?.image)).to.deep.equal(['web:2', 'web:2', 'web:2']);
    expect(status()).to.include({ currentRevision: second, updateRevision: second, updatedReplicas: 3, currentReplicas: 3, observedGeneration: 2 });
    expect((await revisions()).map((r) => [r.metadata.name, r.revision])).to.deep.equal([[first, 1], [second, 2]]);
  });

  it('a partition keeps the pods below it at the current revision', async () => {
    statefulSet();
    await converge(4);
    await updateSpec({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 2 } }, template: withImage('web:2') });
    await converge(4);
    expect((await pods()).map((p) => `${p.metadata.name}=${p.spec?.containers?.[0]?.image}`).sort()).to.deep.equal(['web-0=web:1', 'web-1=web:1', 'web-2=web:2']);
    expect(status()).to.include({ updatedReplicas: 1, currentReplicas: 2 });
    expect(status().currentRevision).to.not.equal(status().updateRevision);
  });

  it('OnDelete changes a pod only when it is deleted', async () => {
    statefulSet({ updateStrategy: { type: 'OnDelete' } });
    await converge(4);
    await setImage('web:2');
    await converge(2);
    expect((await pods()).map((p) => p.spec?.containers?.[0]?.image)).to.deep.equal(['web:1', 'web:1', 'web:1']);
    await api.resource<Pod>(PODS).delete(NS, 'web-0');
    await converge(2);
    expect((await pods()).map((p) => `${p.metadata.name}=${p.spec?.containers?.[0]?.image}`).sort()).to.deep.equal(['web-0=web:2', 'web-1=web:1', 'web-2=web:1']);
  });

  it('a rollback re-uses the old revision (renumbered to the head) and history is truncated to revisionHistoryLimit', async () => {
    statefulSet({ replicas: 1, revisionHistoryLimit: 1 });
    await converge(2);
    const first = status().updateRevision;
    await setImage('web:2');
    await converge(3);
    const second = status().updateRevision;
    await setImage('web:1');
    await converge(3);
    expect(status().updateRevision, 'the first revision again').to.equal(first);
    expect((await revisions()).map((r) => [r.metadata.name, r.revision])).to.deep.equal([[second, 2], [first, 3]]);
    await setImage('web:3');
    await converge(3);
    const third = status().updateRevision;
    expect((await revisions()).map((r) => r.metadata.name), 'one historic revision kept').to.deep.equal([first, third]);
  });

  it('reports availableReplicas only after minReadySeconds, and looks again then', async () => {
    statefulSet({ replicas: 1, minReadySeconds: 30 });
    await settle();
    await runPods();
    expect(status()).to.include({ readyReplicas: 1, availableReplicas: 0 });
    await clock.advance(30_000);
    await settle();
    expect(status()).to.include({ readyReplicas: 1, availableReplicas: 1 });
  });
});
