// When a schedule fires: the one function the scheduler, the API's nextRunAt and
// previewSchedule all use.
import { calendarPattern, cronJob } from "./cron-patterns.js";
import { isEveryExpression, parseEvery } from "./durations.js";
import type { Schedule } from "./schedule.js";
import { localDate } from "./time-zones.js";

interface Window {
  startAt: Date | null;
  endAt: Date | null;
}

/** The first instant anchor + k·interval (k ≥ 0) strictly after `after`. */
function nextInterval(anchorMs: number, intervalMs: number, after: Date): Date {
  const steps = Math.max(0, Math.floor((after.getTime() - anchorMs) / intervalMs) + 1);
  return new Date(anchorMs + steps * intervalMs);
}

/** The instant a window allows after `after`: the search starts no earlier than startAt. */
const searchFrom = (window: Window, after: Date): Date =>
  window.startAt && window.startAt.getTime() > after.getTime() ? new Date(window.startAt.getTime() - 1) : after;

const withinEnd = (window: Window, instant: Date | null): Date | null =>
  instant && (!window.endAt || instant.getTime() <= window.endAt.getTime()) ? instant : null;

/** Candidates of a croner pattern, filtered; croner already skips what the pattern rules out. */
function nextPatternMatch(
  pattern: string,
  timezone: string,
  after: Date,
  accepts: (instant: Date) => boolean,
  endAt: Date | null,
): Date | null {
  const job = cronJob(pattern, timezone);
  for (let candidate = job.nextRun(after); candidate; candidate = job.nextRun(candidate)) {
    if (endAt && candidate.getTime() > endAt.getTime()) return null;
    if (accepts(candidate)) return candidate;
  }
  return null;
}

/** The first fire instant strictly after `after`, or null when the series is over. */
export function nextOccurrence(schedule: Schedule, timezone: string, after: Date): Date | null {
  switch (schedule.kind) {
    case "ONCE":
      return schedule.at.getTime() > after.getTime() ? schedule.at : null;
    case "STANDARD": {
      const { frequencySeconds } = schedule;
      // Unanchored, it is asked as if scheduled right after `after` (see anchorSchedule).
      const startAt = schedule.startAt ?? new Date(after.getTime() + 1);
      if (frequencySeconds === null) return withinEnd(schedule, startAt.getTime() > after.getTime() ? startAt : null);
      return withinEnd(schedule, nextInterval(startAt.getTime(), frequencySeconds * 1000, after));
    }
    case "CRON": {
      const from = searchFrom(schedule, after);
      if (isEveryExpression(schedule.expression)) {
        const every = parseEvery(schedule.expression);
        if ("error" in every) throw new Error(every.error);
        return withinEnd(schedule, nextInterval(schedule.startAt?.getTime() ?? 0, every.intervalMs, from));
      }
      return nextPatternMatch(schedule.expression, timezone, from, () => true, schedule.endAt);
    }
    case "CALENDAR": {
      const { pattern, accepts } = calendarPattern(schedule.rule, schedule.timeOfDay);
      const excluded = new Set(schedule.excludedDates);
      const allowed = (instant: Date) =>
        (excluded.size === 0 || !excluded.has(localDate(instant, timezone))) && (!accepts || accepts(instant, timezone));
      return nextPatternMatch(pattern, timezone, searchFrom(schedule, after), allowed, schedule.endAt);
    }
  }
}

/** Fire instants in (afterExclusive, untilInclusive], ascending, at most `limit`. */
export function occurrencesBetween(schedule: Schedule, timezone: string, afterExclusive: Date, untilInclusive: Date, limit: number): Date[] {
  const result: Date[] = [];
  const interval = intervalOf(schedule);
  for (let next = nextOccurrence(schedule, timezone, afterExclusive); next && next.getTime() <= untilInclusive.getTime() && result.length < limit; ) {
    result.push(next);
    // Interval schedules step by addition: no search per instant.
    next = interval ? withinEnd(intervalWindow(schedule), new Date(next.getTime() + interval)) : nextOccurrence(schedule, timezone, next);
  }
  return result;
}

function intervalOf(schedule: Schedule): number | null {
  if (schedule.kind === "STANDARD") return schedule.frequencySeconds ? schedule.frequencySeconds * 1000 : null;
  if (schedule.kind === "CRON" && isEveryExpression(schedule.expression)) {
    const every = parseEvery(schedule.expression);
    return "error" in every ? null : every.intervalMs;
  }
  return null;
}

const intervalWindow = (schedule: Schedule): Window =>
  schedule.kind === "STANDARD" || schedule.kind === "CRON" ? schedule : { startAt: null, endAt: null };

/**
 * A STANDARD schedule without startAt starts when its task is scheduled: anchored at `at`,
 * its series is fixed from then on.
 */
function anchorSchedule(schedule: Schedule, at: Date): Schedule {
  return schedule.kind === "STANDARD" && schedule.startAt === null ? { ...schedule, startAt: at } : schedule;
}

/**
 * The schedule as a task scheduled at `from` keeps it, and its first fire instant at or
 * after `from` (null when the series is already over). Scheduling a task and previewing a
 * schedule both start here, so a preview lists exactly what would fire.
 */
export function scheduleFrom(schedule: Schedule, timezone: string, from: Date): { schedule: Schedule; first: Date | null } {
  const anchored = anchorSchedule(schedule, from);
  return { schedule: anchored, first: nextOccurrence(anchored, timezone, new Date(from.getTime() - 1)) };
}

/** The fire instants at or after `from`, in order, for a task scheduled at `from`. */
export function* scheduleOccurrences(schedule: Schedule, timezone: string, from: Date): Generator<Date> {
  const { schedule: anchored, first } = scheduleFrom(schedule, timezone, from);
  for (let next = first; next; next = nextOccurrence(anchored, timezone, next)) yield next;
}

/** The first `count` fire instants at or after `from`, for a task scheduled at `from`. */
export function previewSchedule(schedule: Schedule, timezone: string, from: Date, count: number): Date[] {
  const result: Date[] = [];
  if (count <= 0) return result;
  for (const instant of scheduleOccurrences(schedule, timezone, from)) {
    if (result.push(instant) >= count) break;
  }
  return result;
}
