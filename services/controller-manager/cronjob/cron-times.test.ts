import { expect } from 'chai';
import { type CronSchedule, isScheduleError, MAX_MISSED_START_TIMES, mostRecentScheduleTime, parseCronSchedule } from './cron-times';
import { formatRfc3339InZone } from './zone-time';

const T0 = Date.UTC(2026, 0, 1, 0, 0, 0);
const MIN = 60_000;
const at = (iso: string) => Date.parse(iso);

function schedule(expr: string, tz?: string): CronSchedule {
  const s = parseCronSchedule(expr, tz);
  if (isScheduleError(s)) throw new Error(s.error);
  return s;
}

describe('cronjob: schedule times', () => {
  const nextCases: { expr: string; tz?: string; after: string; next: string }[] = [
    { expr: '*/5 * * * *', after: '2026-01-01T00:00:00Z', next: '2026-01-01T00:05:00Z' },
    { expr: '*/5 * * * *', after: '2026-01-01T00:04:59Z', next: '2026-01-01T00:05:00Z' },
    { expr: '0 9 * * *', tz: 'Asia/Tokyo', after: '2026-01-01T00:00:00Z', next: '2026-01-02T00:00:00Z' },
    { expr: '0 9 * * *', tz: 'America/New_York', after: '2026-01-01T00:00:00Z', next: '2026-01-01T14:00:00Z' },
    { expr: 'TZ=Europe/Berlin 30 1 * * *', after: '2026-07-01T00:00:00Z', next: '2026-07-01T23:30:00Z' },
    { expr: '@hourly', after: '2026-01-01T00:30:00Z', next: '2026-01-01T01:00:00Z' },
    { expr: '0 0 1 * 1', after: '2026-01-01T00:00:00Z', next: '2026-01-05T00:00:00Z' }, // day-of-month OR day-of-week, as cron does
    { expr: '@every 90s', after: '2026-01-01T00:00:00Z', next: '2026-01-01T00:01:30Z' },
  ];
  for (const c of nextCases) {
    it(`${c.expr}${c.tz ? ` in ${c.tz}` : ''}: after ${c.after} comes ${c.next}`, () => {
      expect(new Date(schedule(c.expr, c.tz).next(at(c.after))).toISOString().replace('.000', '')).to.equal(c.next);
    });
  }

  const errorCases: { expr: string; tz?: string; error: RegExp }[] = [
    { expr: '* * * * *', tz: 'Mars/Olympus', error: /^unknown time zone Mars\/Olympus$/ },
    { expr: 'CRON_TZ=UTC * * * * *', tz: 'UTC', error: /cannot use both timeZone field and TZ or CRON_TZ in schedule/ },
    { expr: 'TZ=Nowhere/Land * * * * *', error: /unknown time zone/ },
    { expr: '61 * * * *', error: /./ },
    { expr: '@every soon', error: /failed to parse duration/ },
  ];
  for (const c of errorCases) {
    it(`refuses ${c.expr}${c.tz ? ` with timeZone ${c.tz}` : ''}`, () => {
      const s = parseCronSchedule(c.expr, c.tz);
      expect(isScheduleError(s) ? s.error : 'parsed').to.match(c.error);
    });
  }

  const missedCases: { name: string; expr: string; earliest: number; now: number; mostRecent?: number; missed: number }[] = [
    { name: 'nothing due yet', expr: '*/5 * * * *', earliest: T0, now: T0 + 4 * MIN, missed: 0 },
    { name: 'exactly at a fire time', expr: '*/5 * * * *', earliest: T0, now: T0 + 5 * MIN, mostRecent: T0 + 5 * MIN, missed: 1 },
    { name: 'three missed, the latest wins', expr: '*/5 * * * *', earliest: T0, now: T0 + 17 * MIN, mostRecent: T0 + 15 * MIN, missed: 3 },
    { name: 'exactly 100 missed is not too many', expr: '* * * * *', earliest: T0, now: T0 + 100 * MIN, mostRecent: T0 + 100 * MIN, missed: 100 },
    { name: 'a day of minutes: too many, still the latest', expr: '* * * * *', earliest: T0, now: T0 + 1440 * MIN + 30_000, mostRecent: T0 + 1440 * MIN, missed: MAX_MISSED_START_TIMES + 1 },
    { name: 'a year of minutes stays cheap', expr: '* * * * *', earliest: T0, now: T0 + 365 * 1440 * MIN + 1, mostRecent: T0 + 365 * 1440 * MIN, missed: MAX_MISSED_START_TIMES + 1 },
  ];
  for (const c of missedCases) {
    it(`missed schedules: ${c.name}`, () => {
      const r = mostRecentScheduleTime(schedule(c.expr), c.earliest, c.now);
      expect(r).to.deep.equal(c.mostRecent === undefined ? { missed: 0 } : { mostRecentMs: c.mostRecent, missed: c.missed });
    });
  }

  it('writes scheduled times as RFC 3339 in the zone', () => {
    expect(formatRfc3339InZone(T0, 'UTC')).to.equal('2026-01-01T00:00:00Z');
    expect(formatRfc3339InZone(T0, 'Asia/Tokyo')).to.equal('2026-01-01T09:00:00+09:00');
    expect(formatRfc3339InZone(T0, 'America/New_York')).to.equal('2025-12-31T19:00:00-05:00');
  });
});
