import { expect } from 'chai';
import type { Event } from '../../api/core-event';
import { FakeClock } from '../fake-clock';
import { COMBINED_MESSAGE_PREFIX } from './event-aggregator';
import { EventCorrelator, type Correlated } from './event-correlator';
import { LruMap } from './lru-map';

const MINUTE_MS = 60_000;

function ev(message: string, extra: Partial<Event> = {}): Event {
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `web.${message.length}`, namespace: 'default' },
    involvedObject: { kind: 'Pod', namespace: 'default', name: 'web', uid: 'u1', apiVersion: 'v1' },
    reason: 'BackOff',
    message,
    source: { component: 'node-agent', host: 'node-1' },
    type: 'Warning',
    count: 1,
    firstTimestamp: '2026-01-01T00:00:00Z',
    lastTimestamp: '2026-01-01T00:00:00Z',
    ...extra,
  };
}

function written(c: Correlated): Extract<Correlated, { skip: false }> {
  if (c.skip) throw new Error('the event was skipped');
  return c;
}

describe('EventCorrelator', () => {
  it('writes a new event as it is, and counts a repeat onto the first one with a patch', () => {
    const c = new EventCorrelator({ clock: new FakeClock() });
    const first = written(c.correlate(ev('pulling image')));
    expect(first.patch).to.equal(undefined);
    expect(first.event.metadata.name).to.equal('web.13');
    c.updateState({ ...first.event, metadata: { ...first.event.metadata, resourceVersion: '7' } });

    const again = written(c.correlate(ev('pulling image', { metadata: { name: 'web.other', namespace: 'default' }, lastTimestamp: '2026-01-01T00:01:00Z', firstTimestamp: '2026-01-01T00:01:00Z' })));
    expect(again.event.metadata).to.deep.equal({ name: 'web.13', namespace: 'default', resourceVersion: '7' });
    expect(again.event.count).to.equal(2);
    expect(again.event.firstTimestamp).to.equal('2026-01-01T00:00:00Z');
    expect(again.patch).to.deep.equal({ count: 2, lastTimestamp: '2026-01-01T00:01:00Z', message: 'pulling image' });
    expect(written(c.correlate(ev('pulling image'))).patch!.count).to.equal(3);
  });

  it('tells events apart by source, object, type, reason and message', () => {
    const c = new EventCorrelator({ clock: new FakeClock() });
    written(c.correlate(ev('m')));
    expect(written(c.correlate(ev('m', { type: 'Normal' }))).patch).to.equal(undefined);
    expect(written(c.correlate(ev('m', { reason: 'Pulled' }))).patch).to.equal(undefined);
    expect(written(c.correlate(ev('m', { source: { component: 'node-agent', host: 'node-2' } }))).patch).to.equal(undefined);
    expect(written(c.correlate(ev('m', { involvedObject: { kind: 'Pod', namespace: 'default', name: 'db' } }))).patch).to.equal(undefined);
    expect(written(c.correlate(ev('m'))).patch).to.not.equal(undefined);
  });

  it('combines the 10th different message of one reason within 10 minutes into one "(combined from similar events)" event, then counts it', () => {
    const clock = new FakeClock();
    const c = new EventCorrelator({ clock });
    for (let i = 1; i <= 9; i++) expect(written(c.correlate(ev(`attempt ${i}`))).event.message).to.equal(`attempt ${i}`);
    const combined = written(c.correlate(ev('attempt 10')));
    expect(combined.event.message).to.equal(`${COMBINED_MESSAGE_PREFIX}attempt 10`);
    expect(combined.event.metadata.name).to.match(/^web\.[0-9a-f]+$/);
    expect(combined.event).to.deep.include({ count: 1, reason: 'BackOff', type: 'Warning', firstTimestamp: '2026-01-01T00:00:00Z' });
    expect(combined.patch).to.equal(undefined);

    const next = written(c.correlate(ev('attempt 11')));
    expect(next.event.metadata.name).to.equal(combined.event.metadata.name);
    expect(next.event.message).to.equal(`${COMBINED_MESSAGE_PREFIX}attempt 11`);
    expect(next.patch).to.deep.include({ count: 2, message: `${COMBINED_MESSAGE_PREFIX}attempt 11` });
  });

  it('starts counting similar events afresh after 10 quiet minutes', async () => {
    const clock = new FakeClock();
    const c = new EventCorrelator({ clock });
    for (let i = 1; i <= 9; i++) written(c.correlate(ev(`attempt ${i}`)));
    await clock.advance(10 * MINUTE_MS + 1);
    expect(written(c.correlate(ev('attempt 10'))).event.message).to.equal('attempt 10');
  });

  it('lets one source write 25 events about one object, then one more every 5 minutes', async () => {
    const clock = new FakeClock();
    const c = new EventCorrelator({ clock });
    const results = Array.from({ length: 30 }, () => c.correlate(ev('crash loop')));
    expect(results.filter((r) => !r.skip)).to.have.length(25);
    expect(results.slice(25).every((r) => r.skip)).to.equal(true);
    // Another object has its own budget.
    expect(c.correlate(ev('crash loop', { involvedObject: { kind: 'Pod', namespace: 'default', name: 'db' } })).skip).to.equal(false);

    await clock.advance(4 * MINUTE_MS);
    expect(c.correlate(ev('crash loop')).skip).to.equal(true);
    await clock.advance(MINUTE_MS);
    expect(c.correlate(ev('crash loop')).skip).to.equal(false);
    expect(c.correlate(ev('crash loop')).skip).to.equal(true);
  });
});

describe('LruMap', () => {
  it('keeps the most recently used entries', () => {
    const m = new LruMap<string, number>(2);
    m.set('a', 1);
    m.set('b', 2);
    expect(m.get('a')).to.equal(1);
    m.set('c', 3);
    expect([m.get('a'), m.get('b'), m.get('c'), m.size]).to.deep.equal([1, undefined, 3, 2]);
  });
});
