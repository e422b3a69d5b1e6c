/**
 * Human-readable durations and timestamps as kubectl prints them. No clock is read here: callers
 * pass `now`.
 */

const SECOND_MS = 1000;
const MINUTE_S = 60;
const HOUR_S = 60 * MINUTE_S;
const DAY_H = 24;
const YEAR_D = 365;

/**
 * apimachinery's `duration.HumanDuration`: about 2–3 significant figures. Durations under -1s are
 * `<invalid>` (clock skew up to 2s shows as `0s`); under 2 minutes whole seconds (`119s`); under
 * 10 minutes `m`+`s` (`2m3s`, `5m`); under 3 hours minutes (`179m`); under 8 hours `h`+`m`;
 * under 2 days hours (`47h`); under 8 days `d`+`h`; under 2 years days; under 8 years `y`+`d`;
 * then years.
 */
export function humanDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '<invalid>';
  const seconds = Math.trunc(ms / SECOND_MS);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 2 * MINUTE_S) return `${seconds}s`;
  const minutes = Math.floor(seconds / MINUTE_S);
  if (minutes < 10) {
    const s = seconds % MINUTE_S;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 3 * 60) return `${minutes}m`;
  const hours = Math.floor(seconds / HOUR_S);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  if (hours < DAY_H * 8) {
    const h = hours % DAY_H;
    const d = Math.floor(hours / DAY_H);
    return h === 0 ? `${d}d` : `${d}d${h}h`;
  }
  const days = Math.floor(hours / DAY_H);
  if (hours < DAY_H * YEAR_D * 2) return `${days}d`;
  const years = Math.floor(days / YEAR_D);
  if (hours < DAY_H * YEAR_D * 8) {
    const dy = days % YEAR_D;
    return dy === 0 ? `${years}y` : `${years}y${dy}d`;
  }
  return `${years}y`;
}

/** apimachinery's `duration.ShortHumanDuration`: one unit only (`45s`, `3m`, `5h`, `12d`, `2y`). */
export function shortHumanDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '<invalid>';
  const seconds = Math.trunc(ms / SECOND_MS);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / MINUTE_S);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(seconds / HOUR_S);
  if (hours < 24) return `${hours}h`;
  if (hours < 24 * YEAR_D) return `${Math.floor(hours / 24)}d`;
  return `${Math.floor(hours / 24 / YEAR_D)}y`;
}

/** Parses an RFC 3339 timestamp; undefined when absent or unparsable. */
export function parseTimestamp(ts: unknown): Date | undefined {
  if (typeof ts !== 'string' || ts === '') return undefined;
  const t = Date.parse(ts);
  return Number.isNaN(t) ? undefined : new Date(t);
}

/** Age of `ts` at `now` (`translateTimestampSince`): `<unknown>` when absent or unparsable. */
export function translateTimestampSince(ts: unknown, now: Date): string {
  const d = parseTimestamp(ts);
  if (!d) return '<unknown>';
  return humanDuration(now.getTime() - d.getTime());
}

/** Time until `ts` at `now` (`translateTimestampUntil`). */
export function translateTimestampUntil(ts: unknown, now: Date): string {
  const d = parseTimestamp(ts);
  if (!d) return '<unknown>';
  return humanDuration(d.getTime() - now.getTime());
}

/** `"5m ago"` as in the pod RESTARTS column's `3 (5m ago)`. */
export function formatAgo(ts: unknown, now: Date): string {
  return `${translateTimestampSince(ts, now)} ago`;
}

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/**
 * Go's `time.RFC1123Z` layout, `Mon, 02 Jan 2006 15:04:05 -0700`, at a fixed UTC offset (in
 * minutes east of UTC; 0 by default so output does not depend on the machine's zone).
 * `<unknown>` when `ts` is absent or unparsable.
 */
export function formatRFC1123Z(ts: unknown, utcOffsetMinutes = 0): string {
  const d = ts instanceof Date ? ts : parseTimestamp(ts);
  if (!d || Number.isNaN(d.getTime())) return '<unknown>';
  const t = new Date(d.getTime() + utcOffsetMinutes * 60 * SECOND_MS);
  const sign = utcOffsetMinutes < 0 ? '-' : '+';
  const off = Math.abs(utcOffsetMinutes);
  return (
    `${WEEKDAYS[t.getUTCDay()]}, ${pad2(t.getUTCDate())} ${MONTHS[t.getUTCMonth()]} ${t.getUTCFullYear()} ` +
    `${pad2(t.getUTCHours())}:${pad2(t.getUTCMinutes())}:${pad2(t.getUTCSeconds())} ` +
    `${sign}${pad2(Math.floor(off / 60))}${pad2(off % 60)}`
  );
}

/** RFC 3339 in UTC with whole seconds (`2006-01-02T15:04:05Z`), or undefined. */
export function formatRFC3339(ts: unknown): string | undefined {
  const d = parseTimestamp(ts);
  if (!d) return undefined;
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
