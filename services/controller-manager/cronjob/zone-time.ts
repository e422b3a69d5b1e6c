/** Instants written as RFC 3339 in an IANA time zone (Go's `t.In(loc).Format(time.RFC3339)`). */

/** `ms` as `2026-01-01T09:00:00+09:00` in `timeZone` (`Z` for a zero offset, as Go writes it). */
export function formatRfc3339InZone(ms: number, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    timeZoneName: 'longOffset',
  }).formatToParts(new Date(ms));
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  const offset = get('timeZoneName').replace(/^GMT/, '');
  return `${get('year')}-${get('month')}-${get('day')}T${get('hour')}:${get('minute')}:${get('second')}${offset === '' || offset === '+00:00' ? 'Z' : offset}`;
}
