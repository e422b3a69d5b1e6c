import { expect } from 'chai';
import pino from 'pino';
import { FakeClock, flushPromises } from '../../lib/client/fake-clock';
import { newMetricsRegistry, type Registry } from '../../lib/metrics';
import { fixedRandom, makeNode, makePod } from './algorithm/test-fixtures';
import { Scheduler } from './scheduler';
import { SchedulerMetrics } from './scheduler-metrics';
import { FakeSchedulerApi, RecordingEventSink } from './testing/fake-scheduler-api';

/**
 * The value of one series of `name` whose labels include `labels` (0 when absent); for a
 * histogram, `sample` picks `_count`, `_sum` or `_bucket`.
 */
async function value(registry: Registry, name: string, labels: Record<string, string> = {}, sample?: '_count' | '_bucket'): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (!metric) throw new Error(`no metric ${name}`);
  const { values } = await metric.get();
  const match = values.find(
    (v) => (sample === undefined || (v as { metricName?: string }).metricName === `${name}${sample}`) && Object.entries(labels).every(([k, want]) => String((v.labels as Record<string, unknown>)[k]) === want),
  );
  return match?.value ?? 0;
}

describe("scheduler metrics (kube-scheduler's names, fake API)", () => {
  let clock: FakeClock;
  let api: FakeSchedulerApi;
  let registry: Registry;
  let s: Scheduler;

  beforeEach(() => {
    clock = new FakeClock();
    api = new FakeSchedulerApi();
    registry = newMetricsRegistry({ processMetrics: false });
    const metrics = new SchedulerMetrics(registry, 'default-scheduler', () => s.pending());
    s = new Scheduler({ api, events: new RecordingEventSink(), clock, random: fixedRandom(), logger: pino({ level: 'silent' }), metrics });
  });
  afterEach(() => s.stop());

  async function until(done: () => Promise<boolean> | boolean, what: string): Promise<void> {
    for (let i = 0; i < 500; i++) {
      if (await done()) return;
      await flushPromises();
    }
    throw new Error(`timed out waiting for ${what}`);
  }

  it('counts attempts by result with their durations, pending pods by queue, and preemptions with their victims', async () => {
    const attempts = (result: string) => value(registry, 'scheduler_schedule_attempts_total', { result, profile: 'default-scheduler' });
    expect(await attempts('scheduled')).to.equal(0); // every result exposed from the start
    s.onNodeAdd(makeNode('a', { cpu: '2' }));
    api.bindFailures.set('default/flaky', 500);
    s.onPodAdd(makePod('fits', { cpu: '1' }));
    s.onPodAdd(makePod('flaky', { cpu: '100m', createdAt: 1 }));
    s.onPodAdd(makePod('huge', { cpu: '64', createdAt: 2 }));
    const gated = makePod('gated');
    gated.spec!.schedulingGates = [{ name: 'wait' }];
    s.onPodAdd(gated);
    expect(await value(registry, 'scheduler_pending_pods', { queue: 'active' })).to.equal(3);
    expect(await value(registry, 'scheduler_pending_pods', { queue: 'gated' })).to.equal(1);
    void s.run();
    await until(async () => (await attempts('error')) === 1 && (await attempts('unschedulable')) === 1 && (await attempts('scheduled')) === 1, 'three attempts');
    expect(await value(registry, 'scheduler_scheduling_attempt_duration_seconds', { result: 'scheduled', profile: 'default-scheduler' }, '_count')).to.equal(1);
    // "flaky" waits out its backoff; "huge" is unschedulable, or backing off once the failed bind moved it.
    const waiting = (await value(registry, 'scheduler_pending_pods', { queue: 'unschedulable' })) + (await value(registry, 'scheduler_pending_pods', { queue: 'backoff' }));
    expect(waiting).to.equal(2);
    expect(await value(registry, 'scheduler_pending_pods', { queue: 'active' })).to.equal(0);
    // "huge" found no victims: one preemption attempt, no victims observed.
    expect(await value(registry, 'scheduler_preemption_attempts_total')).to.equal(1);
    expect(await value(registry, 'scheduler_preemption_victims', {}, '_count')).to.equal(0);

    s.onNodeAdd(makeNode('b', { cpu: '1', labels: { pool: 'b' } }));
    s.onPodAdd(makePod('low', { cpu: '1', priority: 0, nodeName: 'b' }));
    s.onPodAdd(makePod('vip', { cpu: '1', priority: 1000, nodeSelector: { pool: 'b' } }));
    await until(() => api.evictions.length === 1, 'the eviction');
    expect(await value(registry, 'scheduler_preemption_victims', { le: '1' }, '_bucket')).to.equal(1);
    expect(await value(registry, 'scheduler_preemption_attempts_total')).to.be.at.least(2);
  });
});
