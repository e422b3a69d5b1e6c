import { expect } from 'chai';
import { RESOURCES } from '../../../lib/api/resources';
import type { Job, Pod } from '../../../lib/api/types';
import type { Indexer } from '../../../lib/client/informer';
import { ControllerRegistry } from '../../../lib/controller/controller-registry';
import { fakeControllerContext, type FakeControllerContext } from '../../../lib/controller/testing';
import { ttlAfterFinishedControllerDescriptor } from '../ttlafterfinished/ttl-after-finished-controller';
import { JOB_COMPLETION_INDEX_ANNOTATION, JOB_COMPLETION_INDEX_ENV } from './completion-index';
import { jobControllerDescriptor } from './job-controller';
import { JOB_TRACKING_FINALIZER } from './job-pods';
import type { JobCondition, JobStatus } from './job-status';
import { POD_FAILURE_BACKOFF_BASE_MS } from './pod-backoff';

const NS = 'batch';
const SELECTOR_LABEL = 'batch.kubernetes.io/job-name';

/**
 * The Job controller (and the TTL-after-finished controller) over the in-memory API and a fake
 * clock. Nothing runs pods here: the tests play the kubelet by writing pod phases.
 */
describe('job controller (fake API, fake clock)', () => {
  let ctx: FakeControllerContext;
  let stop: () => Promise<void>;

  beforeEach(async () => {
    ctx = fakeControllerContext();
    const running = await new ControllerRegistry([jobControllerDescriptor, ttlAfterFinishedControllerDescriptor]).start(['job', 'ttl-after-finished'], ctx);
    stop = () => running.stop();
  });
  afterEach(() => stop());

  const jobs = () => ctx.client.resource<Job>(RESOURCES.jobs);
  const podClient = () => ctx.client.resource<Pod>(RESOURCES.pods);
  const settle = () => ctx.clock.advance(0);

  async function createJob(name: string, spec: Job['spec'], annotations: Record<string, string> = {}): Promise<Job> {
    const labels = { [SELECTOR_LABEL]: name };
    return jobs().create(NS, {
      metadata: { name, namespace: NS },
      spec: {
        parallelism: 1,
        backoffLimit: 6,
        completionMode: 'NonIndexed',
        ...spec,
        selector: { matchLabels: labels },
        template: { metadata: { labels, annotations }, spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox' }] } },
      },
    });
  }
  const job = (name: string) => ctx.client.peek<Job>('Job', NS, name)!;
  const status = (name: string) => (job(name).status ?? {}) as JobStatus;
  const condition = (name: string, type: string): JobCondition | undefined => status(name).conditions?.find((c) => c.type === type);
  const podsOf = async (name: string) => (await podClient().list(NS)).items.filter((p) => p.metadata.labels?.[SELECTOR_LABEL] === name);
  const activePods = async (name: string) => (await podsOf(name)).filter((p) => !p.metadata.deletionTimestamp && !['Succeeded', 'Failed'].includes(p.status?.phase ?? ''));

  /** Plays the kubelet: the pod ends with `exitCode` (0 Succeeded, else Failed). */
  async function finish(pod: Pod, exitCode: number, conditions: { type: string; status: string }[] = []): Promise<void> {
    const fresh = await podClient().get(NS, pod.metadata.name ?? '');
    await podClient().updateStatus(NS, {
      ...fresh,
      status: { phase: exitCode === 0 ? 'Succeeded' : 'Failed', conditions, containerStatuses: [{ name: 'main', state: { terminated: { exitCode } } }] },
    });
  }

  it('runs completions with parallelism, counts every success once through the tracking finalizer, then Complete', async () => {
    await createJob('sum', { completions: 3, parallelism: 2 });
    await settle();
    let active = await activePods('sum');
    expect(active).to.have.length(2);
    expect(active[0].metadata.finalizers).to.deep.equal([JOB_TRACKING_FINALIZER]);
    expect(active[0].metadata.ownerReferences?.[0]).to.include({ kind: 'Job', name: 'sum', controller: true });
    expect(status('sum')).to.include({ active: 2, ready: 0 });
    expect(status('sum').succeeded ?? 0).to.equal(0); // zero counts are omitted, as Kubernetes' omitempty does
    expect(status('sum').startTime).to.be.a('string');

    await finish(active[0], 0);
    await settle();
    expect(status('sum')).to.include({ active: 2, succeeded: 1 });
    expect((await podsOf('sum')).find((p) => p.metadata.name === active[0].metadata.name)?.metadata.finalizers ?? []).to.deep.equal([]);

    active = await activePods('sum');
    for (const p of active) await finish(p, 0);
    await settle();
    const s = status('sum');
    expect(s).to.include({ active: 0, succeeded: 3 });
    expect(s.failed ?? 0).to.equal(0);
    expect(s.uncountedTerminatedPods).to.deep.equal({});
    expect(condition('sum', 'SuccessCriteriaMet')).to.include({ status: 'True', reason: 'CompletionsReached' });
    expect(condition('sum', 'Complete')).to.include({ status: 'True' });
    expect(s.completionTime).to.be.a('string');
    expect((await podsOf('sum')).every((p) => (p.metadata.finalizers ?? []).length === 0)).to.equal(true);
    const reasons = ctx.events.map((e) => e.reason);
    expect(reasons.filter((r) => r === 'SuccessfulCreate')).to.have.length(3);
    expect(reasons).to.include('Completed');
    expect(ctx.events[0].component).to.equal('job-controller');
  });

  it('Indexed: index annotation, label, env and hostname on each pod; completedIndexes as ranges', async () => {
    await createJob('idx', { completions: 4, parallelism: 3, completionMode: 'Indexed' });
    await settle();
    const pods = await activePods('idx');
    expect(pods.map((p) => p.metadata.annotations?.[JOB_COMPLETION_INDEX_ANNOTATION]).sort()).to.deep.equal(['0', '1', '2']);
    const byIndex = (i: number) => pods.find((p) => p.metadata.annotations?.[JOB_COMPLETION_INDEX_ANNOTATION] === String(i))!;
    const p1 = byIndex(1);
    expect(p1.metadata.labels?.[JOB_COMPLETION_INDEX_ANNOTATION]).to.equal('1');
    expect(p1.metadata.name).to.match(/^idx-1-/);
    expect(p1.spec?.hostname).to.equal('idx-1');
    expect(p1.spec?.containers?.[0].env).to.deep.include({
      name: JOB_COMPLETION_INDEX_ENV,
      valueFrom: { fieldRef: { fieldPath: `metadata.annotations['${JOB_COMPLETION_INDEX_ANNOTATION}']` } },
    });

    await finish(byIndex(0), 0);
    await finish(byIndex(2), 0);
    await settle();
    expect(status('idx')).to.include({ completedIndexes: '0,2', succeeded: 2 });
    const next = (await activePods('idx')).map((p) => p.metadata.annotations?.[JOB_COMPLETION_INDEX_ANNOTATION]).sort();
    expect(next).to.deep.equal(['1', '3']);

    for (const p of await activePods('idx')) await finish(p, 0);
    await settle();
    expect(status('idx')).to.include({ completedIndexes: '0-3', succeeded: 4 });
    expect(condition('idx', 'Complete')?.status).to.equal('True');
  });

  it('replaces failed pods after an exponential backoff (10 s, 20 s) and fails past backoffLimit', async () => {
    await createJob('flaky', { completions: 1, backoffLimit: 2 });
    await settle();
    await finish((await activePods('flaky'))[0], 1);
    await settle();
    expect(status('flaky')).to.include({ failed: 1, active: 0 });
    await ctx.clock.advance(POD_FAILURE_BACKOFF_BASE_MS - 1);
    expect(await activePods('flaky')).to.have.length(0);
    await ctx.clock.advance(1);
    expect(await activePods('flaky')).to.have.length(1);

    await finish((await activePods('flaky'))[0], 1);
    await settle();
    await ctx.clock.advance(2 * POD_FAILURE_BACKOFF_BASE_MS - 1);
    expect(await activePods('flaky')).to.have.length(0);
    await ctx.clock.advance(1);
    expect(await activePods('flaky')).to.have.length(1);

    await finish((await activePods('flaky'))[0], 1);
    await settle();
    expect(status('flaky').failed).to.equal(3);
    expect(condition('flaky', 'FailureTarget')).to.include({ status: 'True', reason: 'BackoffLimitExceeded' });
    expect(condition('flaky', 'Failed')).to.include({ status: 'True', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' });
    expect(status('flaky').completionTime).to.equal(undefined);
    expect(ctx.events.find((e) => e.reason === 'BackoffLimitExceeded')?.type).to.equal('Warning');
    await ctx.clock.advance(10 * 60_000);
    expect(await activePods('flaky')).to.have.length(0);
  });

  it('activeDeadlineSeconds: deletes the running pods and fails with DeadlineExceeded', async () => {
    await createJob('slow', { completions: 2, parallelism: 2, activeDeadlineSeconds: 30 });
    await settle();
    expect(await activePods('slow')).to.have.length(2);
    await ctx.clock.advance(29_999);
    expect(condition('slow', 'FailureTarget')).to.equal(undefined);
    await ctx.clock.advance(1);
    expect(condition('slow', 'Failed')).to.include({ status: 'True', reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' });
    expect(await podsOf('slow')).to.have.length(0); // deleted; the finalizer released them
    expect(status('slow')).to.include({ active: 0, failed: 2 });
    expect(ctx.events.map((e) => e.reason)).to.include('DeadlineExceeded');
  });

  it('suspend deletes the active pods (Suspended True); resume recreates them (Suspended False)', async () => {
    await createJob('pause', { completions: 4, parallelism: 2 });
    await settle();
    expect(await activePods('pause')).to.have.length(2);
    await jobs().patch(NS, 'pause', 'application/merge-patch+json', JSON.stringify({ spec: { suspend: true } }));
    await settle();
    expect(await podsOf('pause')).to.have.length(0);
    expect(condition('pause', 'Suspended')).to.include({ status: 'True', reason: 'JobSuspended' });
    expect(status('pause').active).to.equal(0);
    expect(status('pause').failed ?? 0).to.equal(0); // deleted for the suspension, not failed
    expect(condition('pause', 'Failed')).to.equal(undefined);

    await ctx.clock.advance(60_000);
    await jobs().patch(NS, 'pause', 'application/merge-patch+json', JSON.stringify({ spec: { suspend: false } }));
    await settle();
    expect(await activePods('pause')).to.have.length(2);
    expect(condition('pause', 'Suspended')).to.include({ status: 'False', reason: 'JobResumed' });
    expect(Date.parse(status('pause').startTime ?? '')).to.equal(ctx.clock.now() - (ctx.clock.now() % 1000));
  });

  describe('podFailurePolicy', () => {
    const policy = {
      rules: [
        { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] },
        { action: 'FailJob', onExitCodes: { containerName: 'main', operator: 'In', values: [42] } },
      ],
    };
    it('FailJob on a matching exit code fails the Job at once (PodFailurePolicy)', async () => {
      await createJob('pfp', { completions: 3, parallelism: 2, backoffLimit: 6, podFailurePolicy: policy });
      await settle();
      await finish((await activePods('pfp'))[0], 42);
      await settle();
      const failed = condition('pfp', 'Failed');
      expect(failed).to.include({ status: 'True', reason: 'PodFailurePolicy' });
      expect(failed?.message).to.match(/^Container main for pod batch\/pfp-\w+ failed with exit code 42 matching FailJob rule at index 1$/);
      expect(await activePods('pfp')).to.have.length(0);
    });
    it('Ignore: the failure is not counted and the pod is replaced without backoff', async () => {
      await createJob('pfi', { completions: 1, backoffLimit: 0, podFailurePolicy: policy });
      await settle();
      const first = (await activePods('pfi'))[0];
      await finish(first, 137, [{ type: 'DisruptionTarget', status: 'True' }]);
      await settle();
      expect(status('pfi').failed ?? 0).to.equal(0);
      expect(condition('pfi', 'Failed')).to.equal(undefined);
      const replaced = await activePods('pfi');
      expect(replaced).to.have.length(1);
      expect(replaced[0].metadata.name).to.not.equal(first.metadata.name);
      expect((await podClient().get(NS, first.metadata.name ?? '')).metadata.finalizers ?? []).to.deep.equal([]);
    });
    it('Count (no rule matches): counted against backoffLimit 0', async () => {
      await createJob('pfc', { completions: 1, backoffLimit: 0, podFailurePolicy: policy });
      await settle();
      await finish((await activePods('pfc'))[0], 3);
      await settle();
      expect(condition('pfc', 'Failed')).to.include({ reason: 'BackoffLimitExceeded' });
    });
    it('FailIndex: the index is not retried, the Job fails with FailedIndexes once the rest are done', async () => {
      const failIndex = { rules: [{ action: 'FailIndex', onExitCodes: { operator: 'In', values: [3] } }] };
      await createJob('pfx', { completions: 2, parallelism: 2, completionMode: 'Indexed', podFailurePolicy: failIndex });
      await settle();
      const pods = await activePods('pfx');
      const at = (i: number) => pods.find((p) => p.metadata.annotations?.[JOB_COMPLETION_INDEX_ANNOTATION] === String(i))!;
      await finish(at(0), 3);
      await settle();
      expect(status('pfx').failedIndexes).to.equal('0');
      expect(await activePods('pfx')).to.have.length(1);
      await finish(at(1), 0);
      await settle();
      expect(status('pfx')).to.include({ completedIndexes: '1', failedIndexes: '0' });
      expect(condition('pfx', 'Failed')).to.include({ reason: 'FailedIndexes' });
    });
  });

  it('a stale cache still showing a counted pod with its finalizer does not count it twice', async () => {
    await createJob('stale', { completions: 2, parallelism: 1 });
    await settle();
    const [first] = await activePods('stale');
    await finish(first, 0);
    await settle();
    expect(status('stale').succeeded).to.equal(1);
    // Put the pod back into the controller's cache as it was before its finalizer was removed.
    const stalePod = { ...(await podClient().get(NS, first.metadata.name ?? '')), metadata: { ...first.metadata, finalizers: [JOB_TRACKING_FINALIZER] }, status: { phase: 'Succeeded' } };
    const cache = (ctx.informers.informer<Pod>(RESOURCES.pods) as unknown as { store: Indexer<Pod> }).store;
    cache.upsert(stalePod as Pod);
    await jobs().patch(NS, 'stale', 'application/merge-patch+json', JSON.stringify({ metadata: { annotations: { poke: '1' } } }));
    await settle();
    expect(status('stale').succeeded).to.equal(1);
    expect(status('stale').uncountedTerminatedPods).to.deep.equal({});
  });

  it('a finished pod recorded in uncountedTerminatedPods before a restart is counted once, then its finalizer removed', async () => {
    const j = await createJob('resume', { completions: 1, parallelism: 0 });
    const pod = await podClient().create(NS, {
      metadata: {
        name: 'resume-x', namespace: NS, labels: { [SELECTOR_LABEL]: 'resume' }, finalizers: [JOB_TRACKING_FINALIZER],
        ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: 'resume', uid: j.metadata.uid ?? '', controller: true }],
      },
      status: { phase: 'Succeeded' },
    });
    await jobs().updateStatus(NS, { ...(await jobs().get(NS, 'resume')), status: { succeeded: 0, uncountedTerminatedPods: { succeeded: [pod.metadata.uid ?? ''] } } });
    await settle();
    expect(status('resume')).to.include({ succeeded: 1 });
    expect(status('resume').uncountedTerminatedPods).to.deep.equal({});
    expect((await podClient().get(NS, 'resume-x')).metadata.finalizers ?? []).to.deep.equal([]);
    expect(condition('resume', 'Complete')?.status).to.equal('True');
  });

  it('an orphaned pod (its Job gone) loses the tracking finalizer', async () => {
    await podClient().create(NS, {
      metadata: {
        name: 'orphan', namespace: NS, finalizers: [JOB_TRACKING_FINALIZER],
        ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: 'gone', uid: 'no-such-uid', controller: true }],
      },
    });
    await settle();
    expect((await podClient().get(NS, 'orphan')).metadata.finalizers ?? []).to.deep.equal([]);
  });

  it('ttl-after-finished deletes a finished Job ttlSecondsAfterFinished after it finished (Background)', async () => {
    await createJob('short', { completions: 1, ttlSecondsAfterFinished: 60 });
    await settle();
    await finish((await activePods('short'))[0], 0);
    await settle();
    expect(condition('short', 'Complete')?.status).to.equal('True');
    await ctx.clock.advance(59_000);
    expect(ctx.client.peek('Job', NS, 'short')).to.not.equal(undefined);
    await ctx.clock.advance(1_000);
    expect(ctx.client.peek('Job', NS, 'short')).to.equal(undefined);
    expect(ctx.client.callsOf('delete jobs')).to.have.length(1);
  });
});
