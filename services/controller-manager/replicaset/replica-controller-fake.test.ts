import { expect } from 'chai';
import { ForbiddenError, InternalError } from '../../../lib/api/errors';
import type { KubeObject, ResourceInfo } from '../../../lib/api/object';
import { RESOURCES } from '../../../lib/api/resources';
import type { Pod } from '../../../lib/api/types/core';
import type { ClientWatch, ResourceClient } from '../../../lib/client/api-client';
import { FakeClock } from '../../../lib/client/fake-clock';
import { FakeApiClient } from '../../../lib/client/testing/fake-api-client';
import { ControllerRegistry } from '../../../lib/controller/controller-registry';
import { fakeControllerContext, type FakeControllerContext } from '../../../lib/controller/testing';
import {
  REASON_FAILED_CREATE, REASON_FAILED_DELETE, REASON_SUCCESSFUL_CREATE, REASON_SUCCESSFUL_DELETE, REPLICA_FAILURE,
  REPLICA_SET_KIND, ReplicaController, replicaSetControllerDescriptor, replicationControllerDescriptor, type ReplicaOwner,
} from './index';

/** Long enough for the runner's backoff after a failed sync (client-go's 5 ms base, a few doublings). */
const RETRY_MS = 1_000;
const NS = 'ns';
const LABELS = { app: 'web' };

/**
 * A FakeApiClient that can fail chosen calls and hold back pod watch events (a stale cache):
 * `failWhen(verb, resource, n)` sees each call with its per-verb-and-resource ordinal.
 */
class ControlledApi extends FakeApiClient {
  failWhen?: (verb: string, resource: string, n: number) => Error | undefined;
  private readonly counts = new Map<string, number>();
  /** While set, pod watch events wait for it (the informer's cache goes stale). */
  podWatchGate?: Promise<void>;

  override record(verb: string, info: ResourceInfo, namespace: string | undefined, name?: string): void {
    super.record(verb, info, namespace, name);
    const k = `${verb} ${info.resource}`;
    const n = this.counts.get(k) ?? 0;
    this.counts.set(k, n + 1);
    const err = this.failWhen?.(verb, info.resource, n);
    if (err) throw err;
  }

  override resource<T extends KubeObject = KubeObject>(info: ResourceInfo): ResourceClient<T> {
    const inner = super.resource<T>(info);
    if (info.resource !== 'pods') return inner;
    const api = this;
    return Object.assign(Object.create(inner) as ResourceClient<T>, {
      watch(namespace: string | undefined, opts?: Parameters<ResourceClient<T>['watch']>[1]): ClientWatch<T> {
        const w = inner.watch(namespace, opts);
        const it = w[Symbol.asyncIterator]();
        return {
          stop: () => w.stop(),
          [Symbol.asyncIterator]: () => ({
            async next() {
              const r = await it.next();
              while (api.podWatchGate) await api.podWatchGate;
              return r;
            },
            return: () => it.return?.() ?? Promise.resolve({ done: true as const, value: undefined }),
          }),
        };
      },
    });
  }
}

describe('replica controller (fake API, fake clock)', () => {
  let clock: FakeClock;
  let api: ControlledApi;
  let ctx: FakeControllerContext;
  let stop: () => Promise<void>;

  beforeEach(async () => {
    clock = new FakeClock();
    api = new ControlledApi(undefined, () => new Date(clock.now()));
    ctx = fakeControllerContext(api, clock);
    const running = await new ControllerRegistry([replicaSetControllerDescriptor, replicationControllerDescriptor]).start(['replicaset', 'replicationcontroller'], ctx);
    stop = () => running.stop();
  });
  afterEach(() => stop());

  /**
   * Stops the registry's controller and builds one whose syncs the test calls itself (Kubernetes'
   * own unit tests call syncReplicaSet directly): one sync's calls can then be counted alone.
   */
  const directSync = async (): Promise<(name: string) => Promise<unknown>> => {
    await stop();
    ctx = fakeControllerContext(api, clock);
    const controller = new ReplicaController(ctx, REPLICA_SET_KIND);
    ctx.informers.start();
    stop = async () => ctx.informers.stop();
    await clock.advance(0);
    return (name) => controller.sync(`${NS}/${name}`);
  };
  const rsClient = () => api.resource<ReplicaOwner>(RESOURCES.replicasets);
  const podClient = () => api.resource<Pod>(RESOURCES.pods);
  const template = (labels: Record<string, string> = LABELS) => ({ metadata: { labels, annotations: { note: 'x' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
  const createRs = (name: string, replicas: number, extra: Record<string, unknown> = {}) =>
    rsClient().create(NS, { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name, namespace: NS }, spec: { replicas, selector: { matchLabels: LABELS }, template: template(), ...extra } });
  const podsOf = (owner: ReplicaOwner) => api.store.list(RESOURCES.pods, NS, undefined).filter((p) => p.metadata.ownerReferences?.some((r) => r.uid === owner.metadata.uid)) as Pod[];
  const rs = (name: string) => api.peek<ReplicaOwner>('ReplicaSet', NS, name)!;
  const scale = (name: string, replicas: number) => rsClient().patch(NS, name, 'application/merge-patch+json', JSON.stringify({ spec: { replicas } }));
  const markReady = async (pod: Pod, since: number) => {
    const fresh = api.peek<Pod>('Pod', NS, pod.metadata.name!)!;
    await podClient().updateStatus(NS, { ...fresh, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: new Date(since).toISOString() }] } });
  };

  it('creates pods from the template with a controllerRef, generateName and the template metadata', async () => {
    const owner = await createRs('web', 3);
    await clock.advance(0);
    const pods = podsOf(owner);
    expect(pods).to.have.length(3);
    for (const p of pods) {
      expect(p.metadata.name).to.match(/^web-/);
      expect(p.metadata.labels).to.deep.equal(LABELS);
      expect(p.metadata.annotations).to.deep.equal({ note: 'x' });
      expect(p.metadata.ownerReferences).to.deep.equal([{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: owner.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    }
    expect(ctx.events.filter((e) => e.reason === REASON_SUCCESSFUL_CREATE).map((e) => e.message)).to.have.members(pods.map((p) => `Created pod: ${p.metadata.name}`));
    expect(ctx.events[0]!.component).to.equal('replicaset-controller');
    const status = rs('web').status!;
    expect(status).to.include({ replicas: 3, fullyLabeledReplicas: 3, readyReplicas: 0, availableReplicas: 0, observedGeneration: 1 });
  });

  // Scale-up rows: which create calls fail (by ordinal), what the first sync leaves behind.
  const scaleUps = [
    { name: 'a failure in the batch of 2 stops the slow start after 3 calls', replicas: 10, failing: [1], callsFirstSync: 3, podsFirstSync: 2 },
    { name: 'a first create that fails costs one call', replicas: 10, failing: [0], callsFirstSync: 1, podsFirstSync: 0 },
    { name: 'a failure in the batch of 4 stops after 7 calls', replicas: 20, failing: [4], callsFirstSync: 7, podsFirstSync: 6 },
  ];
  for (const c of scaleUps) {
    it(`scale up in slow-start batches: ${c.name}; ReplicaFailure until a later sync succeeds`, async () => {
      const sync = await directSync();
      api.failWhen = (verb, resource, n) => (verb === 'create' && resource === 'pods' && c.failing.includes(n) ? new ForbiddenError('exceeded quota: pods') : undefined);
      const owner = await createRs('web', c.replicas);
      await clock.advance(0);
      const err = await sync('web').then(() => undefined, (e: unknown) => e);
      expect(String(err)).to.contain('exceeded quota');
      expect(api.callsOf('create pods')).to.have.length(c.callsFirstSync);
      expect(podsOf(owner)).to.have.length(c.podsFirstSync);
      const failure = rs('web').status?.conditions?.find((x) => x.type === REPLICA_FAILURE);
      expect(failure).to.include({ status: 'True', reason: REASON_FAILED_CREATE });
      expect(failure?.message).to.contain('exceeded quota');
      expect(ctx.events.filter((e) => e.reason === REASON_FAILED_CREATE).map((e) => [e.type, e.message])).to.deep.equal([['Warning', 'Error creating: exceeded quota: pods']]);
      expect(ctx.events.filter((e) => e.reason === REASON_SUCCESSFUL_CREATE)).to.have.length(c.podsFirstSync);

      await clock.advance(0); // the informer sees the pods that were created
      await sync('web');
      expect(podsOf(owner)).to.have.length(c.replicas);
      expect(api.callsOf('create pods')).to.have.length(c.replicas + c.failing.length);
      await clock.advance(0);
      await sync('web');
      expect(rs('web').status?.conditions ?? []).to.deep.equal([]);
      expect(rs('web').status?.replicas).to.equal(c.replicas);
    });
  }

  it('creates at most BURST_REPLICAS (500) pods per sync', async () => {
    const owner = await createRs('big', 600);
    await clock.advance(0);
    expect(podsOf(owner).length).to.equal(600);
    // two syncs: 500, then the 100 left once the first 500 were observed
    expect(api.callsOf('create pods')).to.have.length(600);
  });

  // Scale-down rows: the pods (by state) and how many remain; the survivors are the most useful.
  const scaleDowns = [
    { name: 'keeps the longest-ready pods', to: 1, survivors: ['ready-old'] },
    { name: 'deletes unassigned, then pending, then not-ready first', to: 2, survivors: ['ready-old', 'ready-new'] },
    { name: 'to zero deletes every pod', to: 0, survivors: [] as string[] },
  ];
  for (const c of scaleDowns) {
    it(`scale down in ActivePods order: ${c.name}`, async () => {
      const states: Record<string, { nodeName?: string; phase: string; readySince?: number }> = {
        unassigned: { phase: 'Pending' },
        pending: { nodeName: 'n1', phase: 'Pending' },
        'not-ready': { nodeName: 'n2', phase: 'Running' },
        'ready-new': { nodeName: 'n3', phase: 'Running', readySince: clock.now() - 1_000 },
        'ready-old': { nodeName: 'n4', phase: 'Running', readySince: clock.now() - 60_000 },
      };
      for (const [name, s] of Object.entries(states)) {
        api.seed<Pod>({
          kind: 'Pod', metadata: { name, namespace: NS, labels: LABELS },
          spec: { containers: [{ name: 'c' }], ...(s.nodeName ? { nodeName: s.nodeName } : {}) },
          status: { phase: s.phase, conditions: [{ type: 'Ready', status: s.readySince ? 'True' : 'False', lastTransitionTime: new Date(s.readySince ?? clock.now()).toISOString() }] },
        });
      }
      await clock.advance(0); // the pod cache has them
      const owner = await createRs('web', 5); // adopts the five
      await clock.advance(0);
      expect(api.callsOf('create pods')).to.have.length(0);
      expect(podsOf(owner)).to.have.length(5);
      await scale('web', c.to);
      await clock.advance(0);
      expect(podsOf(owner).map((p) => p.metadata.name).sort()).to.deep.equal([...c.survivors].sort());
      expect(ctx.events.filter((e) => e.reason === REASON_SUCCESSFUL_DELETE)).to.have.length(5 - c.to);
      expect(ctx.events.find((e) => e.reason === REASON_SUCCESSFUL_DELETE)?.message).to.match(/^Deleted pod: /);
      expect(rs('web').status).to.include({ replicas: c.to });
    });
  }

  it('reports FailedDelete while deletes fail, and clears it once they succeed', async () => {
    const sync = await directSync();
    const owner = await createRs('web', 2);
    await clock.advance(0);
    await sync('web');
    await clock.advance(0);
    api.failWhen = (verb, resource, n) => (verb === 'delete' && resource === 'pods' && n === 0 ? new InternalError('etcd is sad') : undefined);
    await scale('web', 1);
    await clock.advance(0);
    const err = await sync('web').then(() => undefined, (e: unknown) => e);
    expect(String(err)).to.contain('etcd is sad');
    expect(rs('web').status?.conditions?.[0]).to.include({ type: REPLICA_FAILURE, status: 'True', reason: REASON_FAILED_DELETE, message: 'etcd is sad' });
    expect(ctx.events.filter((e) => e.reason === REASON_FAILED_DELETE).map((e) => [e.type, e.message])).to.deep.equal([['Warning', 'Error deleting: etcd is sad']]);
    await clock.advance(0);
    await sync('web');
    await clock.advance(0);
    await sync('web');
    expect(podsOf(owner)).to.have.length(1);
    expect(rs('web').status?.conditions ?? []).to.deep.equal([]);
  });

  it('adopts matching orphans and releases controlled pods whose labels stopped matching', async () => {
    api.seed<Pod>({ kind: 'Pod', metadata: { name: 'orphan', namespace: NS, labels: LABELS }, spec: { containers: [{ name: 'c' }] } });
    api.seed<Pod>({ kind: 'Pod', metadata: { name: 'stranger', namespace: NS, labels: { app: 'other' } }, spec: { containers: [{ name: 'c' }] } });
    await clock.advance(0);
    const owner = await createRs('web', 2);
    await clock.advance(0);
    expect(getRefUid(api.peek<Pod>('Pod', NS, 'orphan')!)).to.equal(owner.metadata.uid);
    expect(getRefUid(api.peek<Pod>('Pod', NS, 'stranger')!)).to.equal(undefined);
    expect(podsOf(owner)).to.have.length(2); // the orphan plus one created
    expect(api.callsOf('create pods')).to.have.length(1);

    await podClient().patch(NS, 'orphan', 'application/merge-patch+json', JSON.stringify({ metadata: { labels: { app: 'moved' } } }));
    await clock.advance(0);
    expect(getRefUid(api.peek<Pod>('Pod', NS, 'orphan')!)).to.equal(undefined);
    expect(podsOf(owner)).to.have.length(2); // released, and replaced
    expect(api.callsOf('create pods')).to.have.length(2);
  });

  it('expectations: a stale pod cache does not make it create twice', async () => {
    let open!: () => void;
    api.podWatchGate = new Promise<void>((r) => (open = r));
    const owner = await createRs('web', 3);
    await clock.advance(0);
    expect(api.callsOf('create pods')).to.have.length(3);
    // The owner changes (more syncs) while the pod cache still shows no pods.
    for (let i = 0; i < 3; i++) {
      await rsClient().patch(NS, 'web', 'application/merge-patch+json', JSON.stringify({ metadata: { annotations: { poke: String(i) } } }));
      await clock.advance(RETRY_MS);
    }
    expect(api.callsOf('create pods')).to.have.length(3);
    api.podWatchGate = undefined;
    open();
    await clock.advance(RETRY_MS);
    expect(api.callsOf('create pods')).to.have.length(3);
    expect(podsOf(owner)).to.have.length(3);
    expect(rs('web').status?.replicas).to.equal(3);
  });

  it('minReadySeconds: available only after Ready that long, re-checked after the remaining time', async () => {
    const MIN_READY_S = 10;
    const owner = await createRs('web', 2, { minReadySeconds: MIN_READY_S });
    await clock.advance(0);
    const [a, b] = podsOf(owner);
    await markReady(a!, clock.now());
    await clock.advance(4_000);
    await markReady(b!, clock.now());
    await clock.advance(0);
    expect(rs('web').status).to.include({ readyReplicas: 2, availableReplicas: 0 });
    await clock.advance(6_000); // a: ready 10 s
    expect(rs('web').status).to.include({ readyReplicas: 2, availableReplicas: 1 });
    await clock.advance(4_000); // b: ready 10 s
    expect(rs('web').status).to.include({ readyReplicas: 2, availableReplicas: 2 });
  });

  it('ignores terminating and Succeeded/Failed pods, counting only the rest; fullyLabeled counts template labels', async () => {
    const owner = await createRs('web', 3, { template: template({ ...LABELS, tier: 'front' }) });
    await clock.advance(0);
    const [done, failed, leaving] = podsOf(owner);
    await podClient().updateStatus(NS, { ...api.peek<Pod>('Pod', NS, done!.metadata.name!)!, status: { phase: 'Succeeded' } });
    await podClient().updateStatus(NS, { ...api.peek<Pod>('Pod', NS, failed!.metadata.name!)!, status: { phase: 'Failed' } });
    await podClient().patch(NS, leaving!.metadata.name!, 'application/merge-patch+json', JSON.stringify({ metadata: { finalizers: ['example.com/hold'] } }));
    await podClient().delete(NS, leaving!.metadata.name!);
    await clock.advance(0);
    const active = podsOf(owner).filter((p) => !p.metadata.deletionTimestamp && !['Succeeded', 'Failed'].includes(String(p.status?.phase)));
    expect(active).to.have.length(3);
    expect(api.callsOf('create pods')).to.have.length(6);
    // An adopted orphan with only the selector's labels is a replica but not fully labeled.
    await scale('web', 4);
    api.seed<Pod>({ kind: 'Pod', metadata: { name: 'partial', namespace: NS, labels: LABELS }, spec: { containers: [{ name: 'c' }] } });
    await clock.advance(0);
    expect(rs('web').status).to.include({ replicas: 4, fullyLabeledReplicas: 3, observedGeneration: 2 });
  });

  it('runs ReplicationControllers (label-map selector) the same way, as replication-controller', async () => {
    const rc = await api.resource<ReplicaOwner>(RESOURCES.replicationcontrollers).create(NS, {
      apiVersion: 'v1', kind: 'ReplicationController', metadata: { name: 'legacy', namespace: NS }, spec: { replicas: 2, selector: LABELS, template: template() },
    });
    await clock.advance(0);
    const pods = podsOf(rc);
    expect(pods).to.have.length(2);
    expect(pods[0]!.metadata.ownerReferences?.[0]).to.include({ apiVersion: 'v1', kind: 'ReplicationController', name: 'legacy' });
    expect(ctx.events.find((e) => e.reason === REASON_SUCCESSFUL_CREATE)?.component).to.equal('replication-controller');
    expect(api.peek<ReplicaOwner>('ReplicationController', NS, 'legacy')?.status).to.include({ replicas: 2 });
  });
});

function getRefUid(pod: Pod): string | undefined {
  return pod.metadata.ownerReferences?.find((r) => r.controller)?.uid;
}
