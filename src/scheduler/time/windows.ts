// WINDOW schedules: OpenSVC definitions as local series. Each inclusion fires at the start
// of each allowed window (or at a seeded point in it, `~`), then every interval while
// within it (end included); exclusions (`!`) veto any instant inside them.
import { createHash } from "node:crypto";
import type { LocalSeries } from "./dst.js";
import { floatingDate, startOfDay } from "./wall-clock.js";
import type { DaySpec, NumberFilter, TimeRange, WindowDefinition } from "./window-grammar.js";

const day = 86_400_000;
/** How far a search looks for an allowed day: definitions allowing none within it are refused. */
export const windowSearchDays = 366 * 11;

const isoWeekday = (date: Date) => ((date.getUTCDay() + 6) % 7) + 1;

function isoWeek(date: Date): number {
  // The week's Thursday decides its year; week 1 holds the year's first Thursday.
  const thursday = new Date(date.getTime() + (4 - isoWeekday(date)) * day);
  const yearStart = Date.UTC(thursday.getUTCFullYear(), 0, 1);
  return Math.floor((thursday.getTime() - yearStart) / day / 7) + 1;
}

const daysInMonth = (date: Date) => new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 0)).getUTCDate();

const passes = (filter: NumberFilter | null, value: number) =>
  filter === null || (filter.kind === "values" ? filter.values.includes(value) : (value + filter.filter.shift) % filter.filter.modulo === 0);

function dayMatches(spec: DaySpec, date: Date): boolean {
  if (spec.weekdays && !spec.weekdays.includes(isoWeekday(date))) return false;
  const nth = spec.dayOfMonth;
  if (nth === null) return true;
  const dayOfMonth = date.getUTCDate();
  if (nth.kind === "modulo") return (dayOfMonth + nth.filter.shift) % nth.filter.modulo === 0;
  const length = daysInMonth(date);
  if (spec.weekdays) {
    // The nth such weekday from the start, or from the end when negative.
    return nth.n > 0 ? Math.ceil(dayOfMonth / 7) === nth.n : Math.floor((length - dayOfMonth) / 7) + 1 === -nth.n;
  }
  return dayOfMonth === (nth.n > 0 ? nth.n : length + 1 + nth.n);
}

/** Whether a definition's days, weeks and months allow the local day starting at `midnight` (floating). */
export function dayAllowed(definition: WindowDefinition, midnight: number): boolean {
  const date = new Date(midnight);
  return (
    passes(definition.months, date.getUTCMonth() + 1) &&
    passes(definition.weeks, isoWeek(date)) &&
    (definition.days === null || definition.days.some((spec) => dayMatches(spec, date)))
  );
}

/** A point in [0, span] seconds chosen from the seed and the window: the same for a preview and the scheduler. */
function spreadSeconds(seed: string, midnight: number, rangeIndex: number, span: number): number {
  const digest = createHash("sha256").update(`${seed}\u0000${floatingDate(midnight)}\u0000${rangeIndex}`).digest();
  return digest.readUInt32BE(0) % (span + 1);
}

/** The range's first fire strictly after `after` on the day starting at `midnight`, or null. */
function fireInRange(range: TimeRange, rangeIndex: number, midnight: number, after: number, seed: string): number | null {
  const begin = midnight + range.begin * 1000;
  const end = midnight + range.end * 1000;
  if (range.intervalSeconds === null) {
    const at = begin + (range.spread ? spreadSeconds(seed, midnight, rangeIndex, range.end - range.begin) * 1000 : 0);
    return at > after ? at : null;
  }
  const step = range.intervalSeconds * 1000;
  const k = after < begin ? 0 : Math.floor((after - begin) / step) + 1;
  const at = begin + k * step;
  return at <= end ? at : null;
}

/** An inclusion definition's local fire times. */
export function windowSeries(definition: WindowDefinition, seed: string): LocalSeries {
  const firstOnDay = (midnight: number, after: number): number | null => {
    if (!dayAllowed(definition, midnight)) return null;
    let best: number | null = null;
    definition.ranges.forEach((range, index) => {
      const at = fireInRange(range, index, midnight, after, seed);
      if (at !== null && (best === null || at < best)) best = at;
    });
    return best;
  };
  return {
    fixedTime: true,
    next(after) {
      if (definition.ranges.length === 0) return null;
      // The day before too: its windows may run past midnight.
      const first = startOfDay(after) - day;
      for (let midnight = first; midnight <= first + windowSearchDays * day; midnight += day) {
        const found = firstOnDay(midnight, after);
        if (found !== null) {
          // A window of the next day may start before this one's late fire.
          const next = firstOnDay(midnight + day, after);
          return next !== null && next < found ? next : found;
        }
      }
      return null;
    },
  };
}

/** The local time (floating) an exclusion definition covering a local time ends at (inclusive), or null when it does not cover it. */
export function exclusionEnd(definition: WindowDefinition, local: number): number | null {
  const today = startOfDay(local);
  let end: number | null = null;
  for (const midnight of [today - day, today]) {
    if (!dayAllowed(definition, midnight)) continue;
    const seconds = (local - midnight) / 1000;
    for (const range of definition.ranges) {
      const rangeEnd = midnight + range.end * 1000;
      if (seconds >= range.begin && seconds < range.end + 1 && (end === null || rangeEnd > end)) end = rangeEnd;
    }
  }
  return end;
}
