import { expect } from 'chai';
import { RESOURCES } from '../../../lib/api/resources';
import type { CronJob, Job } from '../../../lib/api/types';
import { ControllerRegistry } from '../../../lib/controller/controller-registry';
import { newControllerRef } from '../../../lib/controller/controller-ref';
import { fakeControllerContext, type FakeControllerContext } from '../../../lib/controller/testing';
import { CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION, cronJobControllerDescriptor, jobNameFor } from './cronjob-controller';

const NS = 'cron';
const MIN = 60_000;

/** The CronJob controller over the in-memory API and a fake clock (2026-01-01T00:00Z at start). */
describe('cronjob controller (fake API, fake clock)', () => {
  let ctx: FakeControllerContext;
  let stop: () => Promise<void>;
  let t0: number;

  beforeEach(async () => {
    ctx = fakeControllerContext();
    t0 = ctx.clock.now();
    const running = await new ControllerRegistry([cronJobControllerDescriptor]).start(['cronjob'], ctx);
    stop = () => running.stop();
  });
  afterEach(() => stop());

  const cronJobs = () => ctx.client.resource<CronJob>(RESOURCES.cronjobs);
  const jobClient = () => ctx.client.resource<Job>(RESOURCES.jobs);
  const ownedJobs = async (cj: CronJob) =>
    (await jobClient().list(NS)).items.filter((j) => j.metadata.ownerReferences?.some((r) => r.uid === cj.metadata.uid)).map((j) => j.metadata.name).sort();
  const cjStatus = (name: string) => (ctx.client.peek<CronJob>('CronJob', NS, name)?.status ?? {}) as { active?: { name: string }[]; lastScheduleTime?: string; lastSuccessfulTime?: string };
  const reasons = () => ctx.events.map((e) => e.reason);

  function createCronJob(name: string, spec: CronJob['spec'], status?: Record<string, unknown>): Promise<CronJob> {
    return cronJobs().create(NS, {
      metadata: { name, namespace: NS },
      spec: {
        concurrencyPolicy: 'Allow',
        successfulJobsHistoryLimit: 3,
        failedJobsHistoryLimit: 1,
        jobTemplate: { metadata: { labels: { app: name } }, spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } } },
        ...spec,
      },
      ...(status ? { status } : {}),
    });
  }

  /** Marks a Job Complete (or Failed) as the Job controller would. */
  async function finishJob(name: string, type: 'Complete' | 'Failed'): Promise<void> {
    const job = await jobClient().get(NS, name);
    const now = new Date(ctx.clock.now()).toISOString().replace('.000', '');
    await jobClient().updateStatus(NS, { ...job, status: { startTime: now, ...(type === 'Complete' ? { completionTime: now } : {}), conditions: [{ type, status: 'True', lastTransitionTime: now }] } });
  }

  it('creates <name>-<minutes> at each scheduled time with the scheduled-timestamp annotation, and requeues with the clock', async () => {
    const cj = await createCronJob('tick', { schedule: '*/5 * * * *' });
    await ctx.clock.advance(0);
    expect(await ownedJobs(cj)).to.deep.equal([]);
    await ctx.clock.advance(5 * MIN - 1);
    expect(await ownedJobs(cj)).to.deep.equal([]);
    await ctx.clock.advance(1 + 1000);
    const first = jobNameFor(cj, t0 + 5 * MIN);
    expect(first).to.equal(`tick-${(t0 + 5 * MIN) / MIN}`);
    expect(await ownedJobs(cj)).to.deep.equal([first]);
    const job = await jobClient().get(NS, first);
    expect(job.metadata.annotations?.[CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION]).to.equal('2026-01-01T00:05:00Z');
    expect(job.metadata.labels).to.deep.equal({ app: 'tick' });
    expect(job.metadata.ownerReferences?.[0]).to.include({ kind: 'CronJob', name: 'tick', controller: true });
    expect(cjStatus('tick')).to.deep.include({ lastScheduleTime: '2026-01-01T00:05:00Z' });
    expect(cjStatus('tick').active?.map((r) => r.name)).to.deep.equal([first]);
    expect(reasons()).to.include('SuccessfulCreate');

    await finishJob(first, 'Complete');
    await ctx.clock.advance(5 * MIN);
    expect(await ownedJobs(cj)).to.have.length(2);
    expect(cjStatus('tick').lastSuccessfulTime).to.be.a('string');
    expect(cjStatus('tick').active?.map((r) => r.name)).to.deep.equal([jobNameFor(cj, t0 + 10 * MIN)]);
    expect(reasons()).to.include('SawCompletedJob');
  });

  const policies: { policy: string; jobs: number; active: number; deleted: boolean }[] = [
    { policy: 'Allow', jobs: 2, active: 2, deleted: false },
    { policy: 'Forbid', jobs: 1, active: 1, deleted: false },
    { policy: 'Replace', jobs: 1, active: 1, deleted: true },
  ];
  for (const c of policies) {
    it(`concurrencyPolicy ${c.policy} with the previous run still active`, async () => {
      const cj = await createCronJob('conc', { schedule: '* * * * *', concurrencyPolicy: c.policy });
      await ctx.clock.advance(MIN + 500);
      const first = jobNameFor(cj, t0 + MIN);
      expect(await ownedJobs(cj)).to.deep.equal([first]);
      await ctx.clock.advance(MIN);
      const names = await ownedJobs(cj);
      expect(names).to.have.length(c.jobs);
      expect(names.includes(first)).to.equal(!c.deleted);
      expect(cjStatus('conc').active ?? []).to.have.length(c.active);
      if (c.policy === 'Forbid') expect(reasons()).to.include('JobAlreadyActive');
    });
  }

  it('keeps successfulJobsHistoryLimit / failedJobsHistoryLimit finished Jobs, deleting the oldest', async () => {
    const cj = await createCronJob('hist', { schedule: '0 0 1 1 *', successfulJobsHistoryLimit: 2, failedJobsHistoryLimit: 1 });
    for (let i = 0; i < 6; i++) {
      const name = `hist-old-${i}`;
      await jobClient().create(NS, { metadata: { name, namespace: NS, ownerReferences: [newControllerRef(cj, RESOURCES.cronjobs)] }, spec: {} });
      await ctx.clock.advance(1000);
      await finishJob(name, i < 4 ? 'Complete' : 'Failed');
    }
    await ctx.clock.advance(1000);
    expect(await ownedJobs(cj)).to.deep.equal(['hist-old-2', 'hist-old-3', 'hist-old-5']);
    expect(reasons().filter((r) => r === 'SuccessfulDelete')).to.have.length(3);
  });

  it('startingDeadlineSeconds: a run missed by more than the deadline is skipped; one inside it starts late', async () => {
    // Both were suspended over 00:05; at 00:06:30 that run is 90 s old.
    const late = await createCronJob('late', { schedule: '*/5 * * * *', startingDeadlineSeconds: 60, suspend: true });
    const ok = await createCronJob('ok', { schedule: '*/5 * * * *', startingDeadlineSeconds: 120, suspend: true });
    await ctx.clock.advance(6 * MIN + 30_000);
    for (const name of ['late', 'ok']) await cronJobs().patch(NS, name, 'application/merge-patch+json', JSON.stringify({ spec: { suspend: false } }));
    await ctx.clock.advance(0);
    expect(await ownedJobs(late)).to.deep.equal([]);
    expect(await ownedJobs(ok)).to.deep.equal([jobNameFor(ok, t0 + 5 * MIN)]);
  });

  it('more than 100 missed start times: TooManyMissedTimes, and only the latest runs', async () => {
    const cj = await createCronJob('behind', { schedule: '* * * * *' }, { lastScheduleTime: new Date(t0 - 1440 * MIN).toISOString().replace('.000', '') });
    await ctx.clock.advance(0);
    expect(reasons()).to.include('TooManyMissedTimes');
    expect(await ownedJobs(cj)).to.deep.equal([jobNameFor(cj, t0)]);
  });

  it('@every 20s: a second run in the same minute finds its Job name active and starts nothing', async () => {
    const cj = await createCronJob('often', { schedule: '@every 20s' });
    await ctx.clock.advance(20_000 + 500);
    expect(await ownedJobs(cj)).to.deep.equal([jobNameFor(cj, t0)]);
    await ctx.clock.advance(20_000);
    expect(await ownedJobs(cj)).to.deep.equal([jobNameFor(cj, t0)]);
    expect(cjStatus('often').active?.map((r) => r.name)).to.deep.equal([jobNameFor(cj, t0)]);
    expect(cjStatus('often').lastScheduleTime).to.equal('2026-01-01T00:00:20Z');
    await ctx.clock.advance(20_000);
    expect(await ownedJobs(cj)).to.deep.equal([jobNameFor(cj, t0), jobNameFor(cj, t0 + MIN)]);
  });

  it('suspend: nothing is created', async () => {
    const cj = await createCronJob('sleepy', { schedule: '* * * * *', suspend: true });
    await ctx.clock.advance(5 * MIN);
    expect(await ownedJobs(cj)).to.deep.equal([]);
  });

  it('timeZone: the schedule is read in the zone and the annotation written in it', async () => {
    // 09:00 in Tokyo is 00:00 UTC; the clock starts at 2026-01-01T00:00Z, so the next run is a day later.
    const cj = await createCronJob('tokyo', { schedule: '0 9 * * *', timeZone: 'Asia/Tokyo' });
    await ctx.clock.advance(24 * 60 * MIN - 1);
    expect(await ownedJobs(cj)).to.deep.equal([]);
    await ctx.clock.advance(1000);
    const [name] = await ownedJobs(cj);
    expect((await jobClient().get(NS, name ?? '')).metadata.annotations?.[CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION]).to.equal('2026-01-02T09:00:00+09:00');
  });

  it('an unknown time zone is reported (UnknownTimeZone) and nothing runs', async () => {
    const cj = await createCronJob('nowhere', { schedule: '* * * * *', timeZone: 'Nowhere/Land' });
    await ctx.clock.advance(2 * MIN);
    expect(await ownedJobs(cj)).to.deep.equal([]);
    expect(reasons()).to.include('UnknownTimeZone');
  });

  it('a Job that went missing leaves status.active (MissingJob)', async () => {
    const cj = await createCronJob('lost', { schedule: '* * * * *', concurrencyPolicy: 'Forbid' });
    await ctx.clock.advance(MIN + 500);
    const [name] = await ownedJobs(cj);
    await jobClient().delete(NS, name ?? '');
    await ctx.clock.advance(0);
    expect(cjStatus('lost').active ?? []).to.deep.equal([]);
    expect(reasons()).to.include('MissingJob');
  });
});
