// When a schedule fires: the one function the scheduler, the API's nextRunAt and
// previewSchedule all use.
import { calendarPattern, cronSeries } from "./cron-patterns.js";
import { nextInstant, type DstPolicy, type LocalSeries } from "./dst.js";
import { isEveryExpression, parseEvery } from "./durations.js";
import { hasExclusions, nextNotExcluded } from "./exclusions.js";
import type { Exclusions, Schedule } from "./schedule.js";
import { floating, instantAtOrAfterLocal } from "./wall-clock.js";
import { windowDefinition } from "./window-grammar.js";
import { exclusionEnd, windowSeries } from "./windows.js";

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

/** Nesting of anyOf and allOf allowed, counting the outermost. */
export const maxCombinationDepth = 3;
/** Steps an allOf takes to find an instant all its schedules share, as APScheduler's AndTrigger. */
export const maxAllOfSteps = 1_000;

const calendarSeries = (schedule: Extract<Schedule, { kind: "CALENDAR" }>): LocalSeries => {
  const { pattern, accepts } = calendarPattern(schedule.rule, schedule.timeOfDay);
  const series = cronSeries(pattern);
  if (!accepts) return series;
  return {
    fixedTime: series.fixedTime,
    next(after) {
      for (let local = series.next(after); local !== null; local = series.next(local)) if (accepts(local)) return local;
      return null;
    },
  };
};

/** The first instant of a local series after `after`, within the schedule's start/end window. */
function nextWallClock(series: LocalSeries, schedule: Window, timezone: string, dstPolicy: DstPolicy, after: Date): Date | null {
  const from = searchFrom(schedule, after).getTime();
  const next = nextInstant(series, timezone, dstPolicy, from);
  return withinEnd(schedule, next === null ? null : new Date(next));
}

function nextInWindow(schedule: Extract<Schedule, { kind: "WINDOW" }>, timezone: string, dstPolicy: DstPolicy, after: Date): Date | null {
  const definitions = schedule.definitions.map(windowDefinition);
  const excluding = definitions.filter((definition) => definition.exclude);
  const including = definitions.filter((definition) => !definition.exclude).map((definition) => windowSeries(definition, schedule.seed ?? ""));
  const nextIncluded = (from: number): number | null => {
    let best: number | null = null;
    for (const series of including) {
      const next = nextInstant(series, timezone, dstPolicy, from);
      if (next !== null && (best === null || next < best)) best = next;
    }
    return best;
  };
  // `!` definitions veto what they cover; the search goes on after the end of the exclusion.
  let next = nextIncluded(searchFrom(schedule, after).getTime());
  for (let vetoed = 0; next !== null; vetoed++) {
    if (vetoed >= maxVetoes) return null;
    const local = floating(next, timezone);
    const ends = excluding.map((definition) => exclusionEnd(definition, local)).filter((end) => end !== null);
    if (ends.length === 0) break;
    next = nextIncluded(Math.max(next, instantAtOrAfterLocal(Math.max(...ends), timezone)));
  }
  return withinEnd(schedule, next === null ? null : new Date(next));
}

/** Exclusions (`!`) one search may step over before the series counts as over (validation refuses one that never fires). */
const maxVetoes = 1_000;

/** allOf: leapfrogs to an instant every schedule has, from the first one's instants. */
function nextShared(schedules: Schedule[], timezone: string, dstPolicy: DstPolicy, after: number): number | null {
  let from = after;
  for (let step = 0; step < maxAllOfSteps; step++) {
    const candidate = nextOccurrence(schedules[0]!, timezone, new Date(from), dstPolicy)?.getTime() ?? null;
    if (candidate === null) return null;
    let latest = candidate;
    for (const other of schedules.slice(1)) {
      const next = nextOccurrence(other, timezone, new Date(candidate - 1), dstPolicy)?.getTime() ?? null;
      if (next === null) return null;
      latest = Math.max(latest, next);
    }
    if (latest === candidate) return candidate;
    from = latest - 1;
  }
  return null;
}

/** The first fire instant strictly after `after`, or null when the series is over. */
export function nextOccurrence(schedule: Schedule, timezone: string, after: Date, dstPolicy: DstPolicy): Date | null {
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
      if (isEveryExpression(schedule.expression)) {
        const every = parseEvery(schedule.expression);
        if ("error" in every) throw new Error(every.error);
        const anchor = schedule.startAt?.getTime() ?? 0;
        const next = nextNotExcluded((from) => nextInterval(anchor, every.intervalMs, new Date(from)).getTime(), schedule, timezone, searchFrom(schedule, after).getTime());
        return withinEnd(schedule, next === null ? null : new Date(next));
      }
      return excluding(schedule, timezone, after, (from) => nextWallClock(cronSeries(schedule.expression), schedule, timezone, dstPolicy, from));
    }
    case "CALENDAR":
      return excluding(schedule, timezone, after, (from) => nextWallClock(calendarSeries(schedule), schedule, timezone, dstPolicy, from));
    case "WINDOW":
      return excluding(schedule, timezone, after, (from) => nextInWindow(schedule, timezone, dstPolicy, from));
    case "ANY_OF":
      return excluding(schedule, timezone, after, (from) => {
        let best: Date | null = null;
        for (const child of schedule.schedules) {
          const next = nextOccurrence(child, timezone, from, dstPolicy);
          if (next && (!best || next.getTime() < best.getTime())) best = next;
        }
        return best;
      });
    case "ALL_OF":
      return excluding(schedule, timezone, after, (from) => {
        const next = nextShared(schedule.schedules, timezone, dstPolicy, from.getTime());
        return next === null ? null : new Date(next);
      });
  }
}

/** `next` with a schedule's excluded dates and time ranges skipped. */
function excluding(exclusions: Exclusions, timezone: string, after: Date, next: (after: Date) => Date | null): Date | null {
  const found = nextNotExcluded((from) => next(new Date(from))?.getTime() ?? null, exclusions, timezone, after.getTime());
  return found === null ? null : new Date(found);
}

/** Fire instants in (afterExclusive, untilInclusive], ascending, at most `limit`. */
export function occurrencesBetween(
  schedule: Schedule,
  timezone: string,
  afterExclusive: Date,
  untilInclusive: Date,
  limit: number,
  dstPolicy: DstPolicy,
): Date[] {
  const result: Date[] = [];
  const interval = intervalOf(schedule);
  for (let next = nextOccurrence(schedule, timezone, afterExclusive, dstPolicy); next && next.getTime() <= untilInclusive.getTime() && result.length < limit; ) {
    result.push(next);
    // Interval schedules step by addition: no search per instant.
    next = interval ? withinEnd(intervalWindow(schedule), new Date(next.getTime() + interval)) : nextOccurrence(schedule, timezone, next, dstPolicy);
  }
  return result;
}

function intervalOf(schedule: Schedule): number | null {
  if (schedule.kind === "STANDARD") return schedule.frequencySeconds ? schedule.frequencySeconds * 1000 : null;
  if (schedule.kind === "CRON" && isEveryExpression(schedule.expression) && !hasExclusions(schedule)) {
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
  if (schedule.kind === "ANY_OF" || schedule.kind === "ALL_OF") return { ...schedule, schedules: schedule.schedules.map((child) => anchorSchedule(child, at)) };
  return schedule.kind === "STANDARD" && schedule.startAt === null ? { ...schedule, startAt: at } : schedule;
}

/**
 * The schedule as a task scheduled at `from` keeps it, and its first fire instant at or
 * after `from` (null when the series is already over). Scheduling a task and previewing a
 * schedule both start here, so a preview lists exactly what would fire.
 */
export function scheduleFrom(schedule: Schedule, timezone: string, from: Date, dstPolicy: DstPolicy = "VIXIE"): { schedule: Schedule; first: Date | null } {
  const anchored = anchorSchedule(schedule, from);
  return { schedule: anchored, first: nextOccurrence(anchored, timezone, new Date(from.getTime() - 1), dstPolicy) };
}

/** The fire instants at or after `from`, in order, for a task scheduled at `from`. */
export function* scheduleOccurrences(schedule: Schedule, timezone: string, from: Date, dstPolicy: DstPolicy = "VIXIE"): Generator<Date> {
  const { schedule: anchored, first } = scheduleFrom(schedule, timezone, from, dstPolicy);
  for (let next = first; next; next = nextOccurrence(anchored, timezone, next, dstPolicy)) yield next;
}

/** The instants a saved task fires next: from its cursor (nextRunAt) on, without anchoring again. */
export function* savedOccurrences(schedule: Schedule, timezone: string, nextRunAt: Date, dstPolicy: DstPolicy = "VIXIE"): Generator<Date> {
  for (let next: Date | null = nextRunAt; next; next = nextOccurrence(schedule, timezone, next, dstPolicy)) yield next;
}

/** The first `count` fire instants at or after `from`, for a task scheduled at `from`. */
export function previewSchedule(schedule: Schedule, timezone: string, from: Date, count: number, dstPolicy: DstPolicy = "VIXIE"): Date[] {
  const result: Date[] = [];
  if (count <= 0) return result;
  for (const instant of scheduleOccurrences(schedule, timezone, from, dstPolicy)) {
    if (result.push(instant) >= count) break;
  }
  return result;
}
