import { expect } from 'chai';
import { EVENTS_RESOURCE, type Event } from '../../api/core-event';
import { ApiError, InvalidError } from '../../api/errors';
import type { KubeObject } from '../../api/object';
import type { Logger } from '../../logger';
import { FakeClock, flushPromises } from '../fake-clock';
import { FakeApiClient } from '../testing/fake-api-client';
import { COMBINED_MESSAGE_PREFIX } from './event-aggregator';
import { EventBroadcaster } from './event-broadcaster';
import { apiEventSink, type EventSink } from './event-sink';

const MINUTE_MS = 60_000;

/** A logger that keeps its lines ("level message"). */
function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const at = (level: string) => (_obj: unknown, msg?: string) => void lines.push(`${level} ${msg ?? ''}`);
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } as unknown as Logger & { lines: string[] };
}

const pod: KubeObject = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'shop', uid: 'uid-web', resourceVersion: '42' } };
const namespace: KubeObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', uid: 'uid-ns' } };

describe('EventBroadcaster and its recorders', () => {
  let clock: FakeClock;
  let api: FakeApiClient;
  let logger: ReturnType<typeof recordingLogger>;

  beforeEach(() => {
    clock = new FakeClock(Date.UTC(2026, 0, 1, 12, 0, 0));
    api = new FakeApiClient();
    logger = recordingLogger();
  });

  const stored = () => api.resource<Event>(EVENTS_RESOURCE).list(undefined).then((l) => l.items);
  const broadcaster = (extra: Partial<ConstructorParameters<typeof EventBroadcaster>[0]> = {}) =>
    new EventBroadcaster({ sink: apiEventSink(api), clock, logger, random: () => 0.5, ...extra });

  it('writes a core/v1 Event in the background: named <object>.<hex> in the object\'s namespace, with source, reporting controller, involvedObject, count and timestamps', async () => {
    const b = broadcaster();
    const recorder = b.newRecorder({ component: 'replicaset-controller', host: 'node-1' });
    recorder.event(pod, 'Normal', 'SuccessfulCreate', 'Created pod: web');
    expect(api.calls).to.deep.equal([]); // nothing written while the caller runs
    await b.whenIdle();
    const [ev, ...rest] = await stored();
    expect(rest).to.deep.equal([]);
    expect(ev!.metadata.name).to.match(/^web\.[0-9a-f]+$/);
    expect(ev!.metadata.namespace).to.equal('shop');
    expect(ev).to.deep.include({
      involvedObject: { kind: 'Pod', namespace: 'shop', name: 'web', uid: 'uid-web', apiVersion: 'v1', resourceVersion: '42' },
      reason: 'SuccessfulCreate',
      message: 'Created pod: web',
      type: 'Normal',
      source: { component: 'replicaset-controller', host: 'node-1' },
      reportingComponent: 'replicaset-controller',
      reportingInstance: 'node-1',
      count: 1,
      firstTimestamp: '2026-01-01T12:00:00Z',
      lastTimestamp: '2026-01-01T12:00:00Z',
    });
    expect(b.stats).to.deep.equal({ written: 1, dropped: 0 });
  });

  it('puts events about cluster-scoped objects in "default"; names of events made in one millisecond differ', async () => {
    const b = broadcaster();
    const recorder = b.newRecorder({ component: 'namespace-controller' });
    recorder.event(namespace, 'Warning', 'A', 'one');
    recorder.event(namespace, 'Warning', 'B', 'two');
    await b.whenIdle();
    const events = await stored();
    expect(events.map((e) => e.metadata.namespace)).to.deep.equal(['default', 'default']);
    expect(new Set(events.map((e) => e.metadata.name)).size).to.equal(2);
    expect(events[0]).not.to.have.property('reportingInstance');
  });

  it('counts repeats of one event onto the stored Event (count, lastTimestamp) with patches', async () => {
    const b = broadcaster();
    const recorder = b.newRecorder({ component: 'node-agent', host: 'node-1' });
    recorder.event(pod, 'Warning', 'BackOff', 'Back-off restarting failed container');
    await b.whenIdle();
    await clock.advance(MINUTE_MS);
    recorder.event(pod, 'Warning', 'BackOff', 'Back-off restarting failed container');
    recorder.event(pod, 'Warning', 'BackOff', 'Back-off restarting failed container');
    await b.whenIdle();
    const [ev, ...rest] = await stored();
    expect(rest).to.have.length(0);
    expect(ev).to.deep.include({ count: 3, firstTimestamp: '2026-01-01T12:00:00Z', lastTimestamp: '2026-01-01T12:01:00Z' });
    expect(api.calls.filter((c) => c.startsWith('create') || c.startsWith('patch')).map((c) => c.split(' ')[0])).to.deep.equal(['create', 'patch', 'patch']);
  });

  it('combines similar events: 12 messages of one reason → 9 events and one combined event counted 3 times', async () => {
    const b = broadcaster();
    const recorder = b.newRecorder({ component: 'scheduler' });
    for (let i = 1; i <= 12; i++) recorder.eventf(pod, 'Warning', 'FailedScheduling', '0/%d nodes are available', i);
    await b.whenIdle();
    const events = await stored();
    expect(events).to.have.length(10);
    const combined = events.filter((e) => e.message!.startsWith(COMBINED_MESSAGE_PREFIX));
    expect(combined).to.have.length(1);
    expect(combined[0]).to.deep.include({ count: 3, message: `${COMBINED_MESSAGE_PREFIX}0/12 nodes are available`, reason: 'FailedScheduling' });
  });

  it('rate-limits one source about one object: 25 writes, then one per 5 minutes; drops are counted', async () => {
    const b = broadcaster();
    const recorder = b.newRecorder({ component: 'node-agent' });
    for (let i = 0; i < 30; i++) recorder.event(pod, 'Warning', 'Unhealthy', 'Liveness probe failed');
    await b.whenIdle();
    expect((await stored())[0]!.count).to.equal(25);
    expect(b.stats).to.deep.equal({ written: 25, dropped: 5 });
    await clock.advance(5 * MINUTE_MS);
    recorder.event(pod, 'Warning', 'Unhealthy', 'Liveness probe failed');
    await b.whenIdle();
    // The count tells every occurrence, the 5 held back too (as client-go counts them).
    expect((await stored())[0]!.count).to.equal(31);
  });

  it('creates a repeat again when its Event is gone (expired)', async () => {
    const b = broadcaster();
    const recorder = b.newRecorder({ component: 'node-agent' });
    recorder.event(pod, 'Normal', 'Pulled', 'pulled');
    await b.whenIdle();
    const first = (await stored())[0]!;
    await api.resource(EVENTS_RESOURCE).delete('shop', first.metadata.name!);
    recorder.event(pod, 'Normal', 'Pulled', 'pulled');
    await b.whenIdle();
    const [again] = await stored();
    expect(again).to.deep.include({ count: 2 });
    expect(again!.metadata.name).to.equal(first.metadata.name);
  });

  it('retries a write that did not reach the server (10 s apart, the first pause randomized), and gives up after 12 tries', async () => {
    const b = broadcaster();
    const recorder = b.newRecorder({ component: 'c' });
    api.failNext('create', new ApiError(503, 'ServiceUnavailable', 'apiserver down'));
    api.failNext('create', new ApiError(503, 'ServiceUnavailable', 'apiserver down'));
    recorder.event(pod, 'Normal', 'R', 'm');
    await clock.advance(4_999);
    expect(await stored()).to.have.length(0);
    await clock.advance(1); // 0.5 × 10 s
    expect(await stored()).to.have.length(0);
    await clock.advance(10_000);
    await b.whenIdle();
    expect(await stored()).to.have.length(1);

    for (let i = 0; i < 12; i++) api.failNext('create', new ApiError(504, 'Timeout', 'slow'));
    recorder.event(pod, 'Normal', 'Other', 'm');
    await clock.advance(5_000 + 10 * 10_000);
    await b.whenIdle();
    expect(await stored()).to.have.length(1);
    expect(b.stats.dropped).to.equal(1);
    expect(logger.lines).to.include('error event dropped: could not write it (retry limit exceeded)');
  });

  it('drops an event the server refuses, without retrying', async () => {
    const b = broadcaster();
    api.failNext('create', new InvalidError('Event', '', 'web.1', [{ type: 'FieldValueInvalid', field: 'reason', message: 'Too long' }]));
    b.newRecorder({ component: 'c' }).event(pod, 'Normal', 'R', 'm');
    await b.whenIdle();
    expect(await stored()).to.have.length(0);
    expect(b.stats).to.deep.equal({ written: 0, dropped: 1 });
    expect(logger.lines).to.include('warn server refused an event (will not retry)');
  });

  it('never blocks or throws: a full queue drops with a log line; bad subjects and types are dropped', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const slow: EventSink = {
      async create(ev) {
        await gate;
        return ev;
      },
      patch: async (ev) => ev,
    };
    const b = new EventBroadcaster({ sink: slow, clock, logger, maxQueued: 2 });
    const recorder = b.newRecorder({ component: 'c' });
    recorder.event(pod, 'Normal', 'R0', 'm');
    await flushPromises(); // the writer has taken it and waits on the server
    for (let i = 1; i < 5; i++) recorder.event(pod, 'Normal', `R${i}`, 'm'); // 2 queued, 2 dropped
    expect(b.queued).to.equal(2);
    expect(logger.lines.filter((l) => l === 'warn event dropped: queue full')).to.have.length(2);

    expect(() => recorder.event({ metadata: {} } as KubeObject, 'Normal', 'R', 'no kind, no name')).not.to.throw();
    expect(() => recorder.event(pod, 'Bad' as 'Normal', 'R', 'unknown type')).not.to.throw();
    expect(() => recorder.event(null as unknown as KubeObject, 'Normal', 'R', 'nothing')).not.to.throw();
    expect(b.queued).to.equal(2);
    release();
    await b.whenIdle();
    expect(b.stats).to.deep.equal({ written: 3, dropped: 2 });

    const throwing = new EventBroadcaster({ sink: { create: () => { throw new Error('boom'); }, patch: () => { throw new Error('boom'); } }, clock, logger, maxTries: 1 });
    expect(() => throwing.newRecorder({ component: 'c' }).event(pod, 'Normal', 'R', 'm')).not.to.throw();
    await throwing.whenIdle();
    expect(throwing.stats.dropped).to.equal(1);
  });

  it('eventf formats the message; annotatedEventf sets annotations on the Event', async () => {
    const b = broadcaster();
    const recorder = b.newRecorder({ component: 'c' });
    recorder.eventf(pod, 'Normal', 'Scaled', 'Scaled up replica set %s to %d', 'web-1', 3);
    recorder.annotatedEventf(pod, { 'example.com/trace': 't1' }, 'Normal', 'Noted', 'with %j', { a: 1 });
    await b.whenIdle();
    const events = await stored();
    expect(events.map((e) => e.message).sort()).to.deep.equal(['Scaled up replica set web-1 to 3', 'with {"a":1}']);
    expect(events.find((e) => e.reason === 'Noted')!.metadata.annotations).to.deep.equal({ 'example.com/trace': 't1' });
  });

  it('shutdown drops what is queued, ends a retry pause, and refuses new events', async () => {
    const b = broadcaster();
    const recorder = b.newRecorder({ component: 'c' });
    api.failNext('create', new ApiError(503, 'ServiceUnavailable', 'down'));
    recorder.event(pod, 'Normal', 'A', 'm');
    recorder.event(pod, 'Normal', 'B', 'm');
    await clock.advance(1); // the first write failed; the writer pauses
    await b.shutdown();
    recorder.event(pod, 'Normal', 'C', 'm');
    expect(await stored()).to.have.length(0);
    expect(b.stats.dropped).to.equal(3);
    expect(clock.pendingTimers()).to.equal(0);
  });
});
