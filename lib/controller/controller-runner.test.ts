import { expect } from 'chai';
import { FakeClock, flushPromises } from '../client/fake-clock';
import { ItemExponentialFailureRateLimiter } from '../client/work-queue';
import { newMetricsRegistry, sampleValue, workQueueMetrics } from '../metrics';
import { ControllerRunner, type ReconcileResult } from './controller-runner';

/** Base backoff of the runners under test, ms. */
const BACKOFF_MS = 100;

describe('ControllerRunner', () => {
  let clock: FakeClock;
  let seen: string[];
  beforeEach(() => {
    clock = new FakeClock();
    seen = [];
  });

  const runner = (reconcile: (key: string) => Promise<ReconcileResult | void>, workers = 1) =>
    new ControllerRunner<string>({ name: 'test', reconcile, workers, clock, rateLimiter: new ItemExponentialFailureRateLimiter<string>(BACKOFF_MS, 10 * BACKOFF_MS) });

  it('reconciles each queued key once and forgets its backoff on success', async () => {
    const r = runner(async (k) => void seen.push(k));
    r.enqueue('a');
    r.enqueue('b');
    r.enqueue('a'); // deduplicated while queued
    r.start();
    await flushPromises();
    expect(seen).to.deep.equal(['a', 'b']);
    expect(r.queue.numRequeues('a')).to.equal(0);
    expect(r.stats()).to.deep.equal({ succeeded: 2, failed: 0, queued: 0 });
    await r.stop();
  });

  it('retries a key that throws with the per-key backoff, on the injected clock', async () => {
    let failures = 2;
    const r = runner(async (k) => {
      seen.push(`${k}@${clock.now()}`);
      if (failures-- > 0) throw new Error('not yet');
    });
    const t0 = clock.now();
    r.start();
    r.enqueue('a');
    await flushPromises();
    expect(seen).to.deep.equal([`a@${t0}`]);
    await clock.advance(BACKOFF_MS - 1);
    expect(seen).to.have.length(1); // not before the backoff
    await clock.advance(1);
    expect(seen).to.deep.equal([`a@${t0}`, `a@${t0 + BACKOFF_MS}`]);
    await clock.advance(2 * BACKOFF_MS); // doubled
    expect(seen).to.deep.equal([`a@${t0}`, `a@${t0 + BACKOFF_MS}`, `a@${t0 + 3 * BACKOFF_MS}`]);
    expect(r.queue.numRequeues('a')).to.equal(0); // the success forgot it
    expect(r.stats()).to.include({ succeeded: 1, failed: 2 });
    await r.stop();
  });

  it('requeueAfterMs looks again after exactly that delay; requeue: true backs off without failing', async () => {
    let n = 0;
    const r = runner(async (k): Promise<ReconcileResult> => {
      seen.push(`${k}@${clock.now()}`);
      n++;
      if (k === 'later') return n < 3 ? { requeueAfterMs: 5_000 } : {};
      return n < 3 ? { requeue: true } : {};
    });
    const t0 = clock.now();
    r.start();
    r.enqueue('later');
    await clock.advance(20_000);
    expect(seen).to.deep.equal([`later@${t0}`, `later@${t0 + 5_000}`, `later@${t0 + 10_000}`]);
    seen = [];
    n = 0;
    r.enqueue('backoff');
    const t1 = clock.now();
    await clock.advance(20_000);
    expect(seen).to.deep.equal([`backoff@${t1}`, `backoff@${t1 + BACKOFF_MS}`, `backoff@${t1 + 3 * BACKOFF_MS}`]);
    expect(r.stats().failed).to.equal(0);
    await r.stop();
  });

  it('never hands one key to two workers at once', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const release: (() => void)[] = [];
    const r = runner(async () => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise<void>((resolve) => release.push(resolve));
      inFlight--;
    }, 4);
    r.start();
    r.enqueue('a');
    await flushPromises();
    r.enqueue('a'); // while processing: dirty, handed out again only after done
    await flushPromises();
    expect(release).to.have.length(1);
    release.shift()!();
    await flushPromises();
    expect(release).to.have.length(1);
    release.shift()!();
    await flushPromises();
    expect(maxInFlight).to.equal(1);
    await r.stop();
  });

  it('stop() waits for the reconcile in progress, then no more keys are processed', async () => {
    let finish!: () => void;
    let finished = false;
    const r = runner(async (k) => {
      seen.push(k);
      if (k === 'slow') {
        await new Promise<void>((resolve) => (finish = resolve));
        finished = true;
      }
    });
    r.start();
    r.enqueue('slow');
    await flushPromises();
    let stopped = false;
    const stopping = r.stop().then(() => (stopped = true));
    r.enqueue('after-stop');
    await flushPromises();
    expect(stopped).to.equal(false);
    finish();
    await stopping;
    expect(finished).to.equal(true);
    expect(seen).to.deep.equal(['slow']);
  });

  it('refuses a worker count that is not a positive integer', () => {
    expect(() => new ControllerRunner({ name: 'bad', reconcile: async () => {}, workers: 0 })).to.throw('controller bad: workers must be a positive integer, got 0');
  });

  it('reports workqueue_* metrics labelled with the queue name: adds, depth, retries, waits and work', async () => {
    const registry = newMetricsRegistry();
    let failures = 1;
    const r = new ControllerRunner<string>({
      name: 'metered',
      reconcile: async () => {
        if (failures-- > 0) throw new Error('once');
      },
      clock,
      rateLimiter: new ItemExponentialFailureRateLimiter<string>(BACKOFF_MS, BACKOFF_MS),
      metrics: workQueueMetrics(registry, 'metered'),
    });
    r.enqueue('a');
    r.enqueue('b');
    const queued = await registry.metrics();
    expect(sampleValue(queued, 'workqueue_depth{name="metered"}')).to.equal(2);
    r.start();
    await flushPromises();
    await clock.advance(BACKOFF_MS);
    await flushPromises();
    const text = await registry.metrics();
    expect(sampleValue(text, 'workqueue_adds_total{name="metered"}')).to.equal(3);
    expect(sampleValue(text, 'workqueue_retries_total{name="metered"}')).to.equal(1);
    expect(sampleValue(text, 'workqueue_depth{name="metered"}')).to.equal(0);
    expect(sampleValue(text, 'workqueue_work_duration_seconds_count{name="metered"}')).to.equal(3);
    expect(sampleValue(text, 'workqueue_queue_duration_seconds_count{name="metered"}')).to.equal(3);
    await r.stop();
  });
});
