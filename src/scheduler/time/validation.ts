import { cronSeries } from "./cron-patterns.js";
import { isEveryExpression, maxIntervalSeconds, parseEvery } from "./durations.js";
import { parseTimeRange } from "./exclusions.js";
import { maxCombinationDepth, nextOccurrence } from "./occurrences.js";
import type { CalendarRule, Exclusions, Schedule, ScheduleIssue } from "./schedule.js";
import { isIsoDate, isValidTimeZone } from "./time-zones.js";
import { parseWindowDefinition, WindowSyntaxError } from "./window-grammar.js";

/** The ScheduleInput field of each kind. */
export const inputFieldOfKind: Record<Schedule["kind"], string> = {
  STANDARD: "standard",
  CRON: "cron",
  ONCE: "once",
  CALENDAR: "calendar",
  WINDOW: "window",
  ANY_OF: "anyOf",
  ALL_OF: "allOf",
};

/** croner's field names and how far its numbers are from what the user wrote (it counts days and months from 0). */
const cronFields: Record<string, { name: string; shift: number; range: string }> = {
  second: { name: "second", shift: 0, range: "0-59" },
  minute: { name: "minute", shift: 0, range: "0-59" },
  hour: { name: "hour", shift: 0, range: "0-23" },
  day: { name: "day of month", shift: 1, range: "1-31" },
  nearestWeekdays: { name: "day of month", shift: 1, range: "1-31" },
  month: { name: "month", shift: 1, range: "1-12" },
  dayOfWeek: { name: "day of week", shift: 0, range: "0-7, SUN-SAT" },
};

/** croner's message, with values as the user wrote them ("day of month 0", not "day: -1"). */
function cronMessage(error: Error): string {
  const message = error.message.replace(/^CronPattern: /, "");
  const invalid = /^Invalid value for (\w+): (-?\d+)/.exec(message);
  const field = invalid && cronFields[invalid[1]!];
  if (!field) return message;
  return `${field.name} ${Number(invalid![2]) + field.shift} is out of range (${field.range})`;
}

const timeOfDayPattern = /^([01]\d|2[0-3]):([0-5]\d)(:([0-5]\d))?$/;

function windowIssues(prefix: string, startAt: Date | null, endAt: Date | null): ScheduleIssue[] {
  return startAt && endAt && endAt.getTime() <= startAt.getTime() ? [{ field: `${prefix}.endAt`, message: "must be after startAt" }] : [];
}

function cronIssues(expression: string): ScheduleIssue[] {
  const field = "cron.expression";
  if (expression.trim() === "") return [{ field, message: "must not be empty" }];
  if (isEveryExpression(expression)) {
    const every = parseEvery(expression);
    return "error" in every ? [{ field, message: every.error }] : [];
  }
  try {
    cronSeries(expression);
  } catch (error) {
    return [{ field, message: cronMessage(error as Error) }];
  }
  return [];
}

const maxDefinitions = 20;

function windowIssuesOf(definitions: string[]): ScheduleIssue[] {
  if (definitions.length === 0) return [{ field: "window.definitions", message: "must have at least one definition" }];
  if (definitions.length > maxDefinitions) return [{ field: "window.definitions", message: `must have at most ${maxDefinitions} definitions` }];
  const issues: ScheduleIssue[] = [];
  let including = 0;
  definitions.forEach((definition, i) => {
    if (definition.length > 200) return issues.push({ field: `window.definitions.${i}`, message: "must be at most 200 characters" });
    try {
      if (!parseWindowDefinition(definition).exclude) including++;
    } catch (error) {
      if (!(error instanceof WindowSyntaxError)) throw error;
      issues.push({ field: `window.definitions.${i}`, message: `${JSON.stringify(definition)} ${error.message}` });
    }
  });
  if (issues.length === 0 && including === 0) issues.push({ field: "window.definitions", message: "must have a definition without ! (exclusions alone allow nothing)" });
  return issues;
}

function exclusionIssues(prefix: string, exclusions: Exclusions): ScheduleIssue[] {
  return [
    ...exclusions.excludedDates.flatMap((date, i) => (isIsoDate(date) ? [] : [{ field: `${prefix}.excludedDates.${i}`, message: "must be a date written YYYY-MM-DD" }])),
    ...exclusions.excludedTimeRanges.flatMap((range, i) =>
      parseTimeRange(range) ? [] : [{ field: `${prefix}.excludedTimeRanges.${i}`, message: `${JSON.stringify(range)} is not a time range HH:MM-HH:MM with its start before its end (24:00 for midnight)` }],
    ),
  ];
}

function calendarRuleIssues(rule: CalendarRule): ScheduleIssue[] {
  switch (rule.kind) {
    case "DAILY":
      return [];
    case "WEEKLY":
      if (rule.weekdays.length === 0) return [{ field: "calendar.weekdays", message: "must name at least one day" }];
      return new Set(rule.weekdays).size === rule.weekdays.length ? [] : [{ field: "calendar.weekdays", message: "must not repeat a day" }];
    case "MONTHLY_DAY":
      return Number.isInteger(rule.day) && rule.day !== 0 && Math.abs(rule.day) <= 31
        ? []
        : [{ field: "calendar.day", message: "must be 1..31, or -1..-31 counting from the end of the month" }];
    case "MONTHLY_WEEKDAY":
      return [1, 2, 3, 4, 5, -1].includes(rule.ordinal) ? [] : [{ field: "calendar.ordinal", message: "must be 1..5, or -1 for the last" }];
  }
}

/** What is wrong with the schedule's own fields, its nested schedules included. */
function structureIssues(schedule: Schedule, depth: number): ScheduleIssue[] {
  switch (schedule.kind) {
    case "ONCE":
      return [];
    case "STANDARD": {
      const { frequencySeconds } = schedule;
      const frequency =
        frequencySeconds !== null && (!Number.isInteger(frequencySeconds) || frequencySeconds < 1 || frequencySeconds > maxIntervalSeconds)
          ? [{ field: "standard.frequencySeconds", message: `must be a whole number of seconds from 1 to ${maxIntervalSeconds}` }]
          : [];
      return [...frequency, ...windowIssues("standard", schedule.startAt, schedule.endAt)];
    }
    case "CRON":
      return [...cronIssues(schedule.expression), ...exclusionIssues("cron", schedule), ...windowIssues("cron", schedule.startAt, schedule.endAt)];
    case "CALENDAR":
      return [
        ...(timeOfDayPattern.test(schedule.timeOfDay) ? [] : [{ field: "calendar.timeOfDay", message: "must be HH:MM or HH:MM:SS (24-hour)" }]),
        ...calendarRuleIssues(schedule.rule),
        ...exclusionIssues("calendar", schedule),
        ...windowIssues("calendar", schedule.startAt, schedule.endAt),
      ];
    case "WINDOW":
      return [...windowIssuesOf(schedule.definitions), ...exclusionIssues("window", schedule), ...windowIssues("window", schedule.startAt, schedule.endAt)];
    case "ANY_OF":
    case "ALL_OF": {
      const prefix = inputFieldOfKind[schedule.kind];
      if (depth >= maxCombinationDepth) return [{ field: prefix, message: `nests anyOf and allOf more than ${maxCombinationDepth} deep` }];
      if (schedule.schedules.length === 0) return [{ field: `${prefix}.schedules`, message: "must have at least one schedule" }];
      return [
        ...schedule.schedules.flatMap((child, i) =>
          structureIssues(child, depth + 1).map((issue) => ({ ...issue, field: `${prefix}.schedules.${i}.${issue.field}` })),
        ),
        ...exclusionIssues(prefix, schedule),
      ];
    }
  }
}

/** Where "never fires" is reported for each kind. */
const neverFiresField = (schedule: Schedule): string => (schedule.kind === "CRON" ? "cron.expression" : schedule.kind === "WINDOW" ? "window.definitions" : inputFieldOfKind[schedule.kind]);

/** Everything wrong with a schedule in a time zone, as of `now`; empty when it is valid. */
export function validateSchedule(schedule: Schedule, timezone: string, now: Date): ScheduleIssue[] {
  if (!isValidTimeZone(timezone)) return [{ field: "timezone", message: `${JSON.stringify(timezone)} is not an IANA time zone` }];
  const issues = structureIssues(schedule, 1);
  if (issues.length > 0 || schedule.kind === "ONCE" || schedule.kind === "STANDARD") return issues;
  // Valid fields that no instant to come matches (30 February, a past year, everything excluded).
  // Every DST policy fires on the same days, so the default rule answers for all of them.
  return nextOccurrence(schedule, timezone, now, "VIXIE") ? [] : [{ field: neverFiresField(schedule), message: `never fires after ${now.toISOString()}` }];
}
