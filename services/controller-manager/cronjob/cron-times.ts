/**
 * When a CronJob's schedule fires, through `cron-parser`: the next time after an instant, and
 * the most recent missed time between the last schedule and now (with how many were missed,
 * counted up to just past {@link MAX_MISSED_START_TIMES}).
 *
 * The schedule is evaluated in spec.timeZone (UTC when unset — the controller-manager's zone in
 * Kubernetes; Bosun's controller-manager runs in UTC). A legacy `TZ=`/`CRON_TZ=` prefix, which
 * the apiserver refuses on new objects, still names the zone of older ones; with spec.timeZone
 * as well it is an error, as in Kubernetes. `@every <duration>` is Go's constant-delay schedule.
 */
import { CronExpressionParser } from 'cron-parser';

/** More missed start times than this and the controller warns (Kubernetes' TooManyMissedTimes). */
export const MAX_MISSED_START_TIMES = 100;

/** A parsed schedule. */
export interface CronSchedule {
  /** The first fire time strictly after `afterMs`, ms. */
  next(afterMs: number): number;
}

const GO_DURATION_UNITS_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** The schedule, or the reason it cannot be used (unknown zone, TZ prefix with spec.timeZone, bad expression). */
export function parseCronSchedule(schedule: string, timeZone?: string): CronSchedule | { error: string } {
  let expr = schedule.trim();
  let tz = timeZone ?? undefined;
  const prefix = /^(CRON_TZ|TZ)=(\S+)\s+/.exec(expr);
  if (prefix) {
    if (tz !== undefined) return { error: 'cannot use both timeZone field and TZ or CRON_TZ in schedule' };
    tz = prefix[2];
    expr = expr.slice(prefix[0].length);
  }
  tz ??= 'UTC';
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
  } catch {
    return { error: `unknown time zone ${tz}` };
  }
  if (expr.startsWith('@every ')) return everySchedule(expr.slice('@every '.length).trim());
  try {
    CronExpressionParser.parse(expr, { tz });
  } catch (err) {
    return { error: (err as Error).message };
  }
  return { next: (afterMs) => CronExpressionParser.parse(expr, { currentDate: new Date(afterMs), tz }).next().getTime() };
}

/** Go's ConstantDelaySchedule: every `duration` (at least 1 s, whole seconds) after the instant, on a whole second. */
function everySchedule(text: string): CronSchedule | { error: string } {
  let total = 0;
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  let m: RegExpExecArray | null;
  let consumed = 0;
  while ((m = re.exec(text))) {
    total += Number(m[1]) * GO_DURATION_UNITS_MS[m[2]];
    consumed = re.lastIndex;
  }
  if (consumed !== text.length || text === '') return { error: `failed to parse duration @every ${text}` };
  const delayMs = Math.max(1000, Math.floor(total / 1000) * 1000);
  return { next: (afterMs) => Math.floor((afterMs + delayMs) / 1000) * 1000 };
}

/** Whether parseCronSchedule failed. */
export function isScheduleError(s: CronSchedule | { error: string }): s is { error: string } {
  return 'error' in s;
}

/**
 * The latest fire time in (earliestMs, nowMs] (undefined: none), and how many fire times fell
 * in that span — counted exactly up to MAX_MISSED_START_TIMES + 1, which means "too many".
 */
export function mostRecentScheduleTime(schedule: CronSchedule, earliestMs: number, nowMs: number): { mostRecentMs?: number; missed: number } {
  let t = schedule.next(earliestMs);
  if (t > nowMs) return { missed: 0 };
  let missed = 0;
  let latest = t;
  while (t <= nowMs && missed <= MAX_MISSED_START_TIMES) {
    latest = t;
    missed++;
    t = schedule.next(t);
  }
  if (t <= nowMs) {
    // Too many to walk: jump to the one right before now, walking back from the next after now.
    latest = latestAtOrBefore(schedule, latest, nowMs);
  }
  return { mostRecentMs: latest, missed };
}

/** The last fire time ≤ nowMs, searching forward from a known fire time `fromMs` in widening strides. */
function latestAtOrBefore(schedule: CronSchedule, fromMs: number, nowMs: number): number {
  let lo = fromMs;
  let step = 60_000;
  // Gallop: find a fire time close below now without walking every one.
  for (;;) {
    const probe = nowMs - step;
    if (probe <= lo) break;
    const t = schedule.next(probe);
    if (t <= nowMs) {
      lo = t;
      break;
    }
    step *= 2;
  }
  for (let t = schedule.next(lo); t <= nowMs; t = schedule.next(t)) lo = t;
  return lo;
}
