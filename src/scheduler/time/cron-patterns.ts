// CRON expressions as written and CALENDAR rules translated to a cron pattern, matched by
// croner against local wall-clock time (floating, see wall-clock.ts): dst.ts then turns the
// local times into instants, the same way for every wall-clock kind.
import { Cron, CronPattern } from "croner";
import type { LocalSeries } from "./dst.js";
import type { CalendarRule, Weekday } from "./schedule.js";
import { daysInMonth } from "./time-zones.js";
import { floatingDate } from "./wall-clock.js";

const cronDays: Record<Weekday, string> = {
  SUNDAY: "SUN",
  MONDAY: "MON",
  TUESDAY: "TUE",
  WEDNESDAY: "WED",
  THURSDAY: "THU",
  FRIDAY: "FRI",
  SATURDAY: "SAT",
};

/** Parsed patterns are reused: many tasks share a few, and parsing dominates a first run. */
const parsed = new Map<string, LocalSeries>();
const parsedCap = 10_000;

/**
 * A pattern's local times; throws croner's error for a bad pattern. Vixie cron semantics: a
 * restricted day-of-month and day-of-week match on either, and a list or range of fixed
 * times (`0 0,2 * * *`) is a fixed-time job like `0 2 * * *`; only wildcards and steps in
 * the time make an interval-style job.
 */
export function cronSeries(pattern: string): LocalSeries {
  let series = parsed.get(pattern);
  if (!series) {
    // A zero UTC offset: croner matches the floating local time without any zone.
    const job = new Cron(pattern, { utcOffset: 0, paused: true, domAndDow: false, fixedTimeRule: "no-wildcard" });
    const { isFixedTime } = new CronPattern(pattern, undefined, { fixedTimeRule: "no-wildcard" });
    series = { fixedTime: isFixedTime, next: (after) => job.nextRun(new Date(after))?.getTime() ?? null };
    if (parsed.size >= parsedCap) parsed.clear();
    parsed.set(pattern, series);
  }
  return series;
}

export interface CalendarPattern {
  pattern: string;
  /** Further test on a local time (floating) the pattern alone cannot express. */
  accepts?: (local: number) => boolean;
}

/** A CALENDAR rule at a time of day ("HH:MM[:SS]") as a six-field cron pattern. */
export function calendarPattern(rule: CalendarRule, timeOfDay: string): CalendarPattern {
  const [hours, minutes, seconds = "0"] = timeOfDay.split(":");
  const time = `${Number(seconds)} ${Number(minutes)} ${Number(hours)}`;
  switch (rule.kind) {
    case "DAILY":
      return { pattern: `${time} * * *` };
    case "WEEKLY":
      return { pattern: `${time} * * ${rule.weekdays.map((d) => cronDays[d]).join(",")}` };
    case "MONTHLY_DAY":
      if (rule.day > 0) return { pattern: `${time} ${rule.day} * *` };
      if (rule.day === -1) return { pattern: `${time} L * *` };
      return nthLastDay(time, -rule.day);
    case "MONTHLY_WEEKDAY":
      return { pattern: `${time} * * ${cronDays[rule.weekday]}#${rule.ordinal === -1 ? "L" : rule.ordinal}` };
  }
}

/** croner has `L` but not `L-n`: match the days it can fall on, then keep the right one. */
function nthLastDay(time: string, n: number): CalendarPattern {
  const earliest = Math.max(1, 29 - n);
  const latest = 32 - n;
  return {
    pattern: `${time} ${earliest}-${latest} * *`,
    accepts: (local) => {
      const date = floatingDate(local);
      return Number(date.slice(8)) === daysInMonth(date) + 1 - n;
    },
  };
}
