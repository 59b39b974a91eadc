// Wall-clock schedules go through croner: CRON expressions as written, CALENDAR rules
// translated to a cron pattern. Both therefore share croner's handling of time zones and
// DST (see README "Scheduling"), and previews match what fires.
import { Cron } from "croner";
import type { CalendarRule, Weekday } from "./schedule.js";
import { daysInMonth, localDate } from "./time-zones.js";

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
const parsed = new Map<string, Cron>();
const parsedCap = 10_000;

/** A paused croner job used only to compute instants; throws croner's error for a bad pattern. */
export function cronJob(pattern: string, timezone: string): Cron {
  const key = `${timezone}\u0000${pattern}`;
  let job = parsed.get(key);
  if (!job) {
    // Vixie cron semantics: a restricted day-of-month and day-of-week match on either, and a
    // list or range of fixed times (`0 0,2 * * *`) is a fixed-time job, run once on both DST
    // transition days like `0 2 * * *`; only wildcards and steps make an interval job.
    job = new Cron(pattern, { timezone, paused: true, domAndDow: false, fixedTimeRule: "no-wildcard" });
    if (parsed.size >= parsedCap) parsed.clear();
    parsed.set(key, job);
  }
  return job;
}

export interface CalendarPattern {
  pattern: string;
  /** Further test on a candidate the pattern alone cannot express. */
  accepts?: (instant: Date, timezone: string) => boolean;
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
    accepts: (instant, timezone) => {
      const date = localDate(instant, timezone);
      return Number(date.slice(8)) === daysInMonth(date) + 1 - n;
    },
  };
}
