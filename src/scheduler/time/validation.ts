import { cronJob } from "./cron-patterns.js";
import { isEveryExpression, maxIntervalSeconds, parseEvery } from "./durations.js";
import type { CalendarRule, Schedule, ScheduleIssue } from "./schedule.js";
import { isIsoDate, isValidTimeZone } from "./time-zones.js";

const timeOfDayPattern = /^([01]\d|2[0-3]):([0-5]\d)(:([0-5]\d))?$/;

function windowIssues(prefix: string, startAt: Date | null, endAt: Date | null): ScheduleIssue[] {
  return startAt && endAt && endAt.getTime() <= startAt.getTime() ? [{ field: `${prefix}.endAt`, message: "must be after startAt" }] : [];
}

function cronIssues(expression: string, timezone: string, now: Date): ScheduleIssue[] {
  const field = "cron.expression";
  if (expression.trim() === "") return [{ field, message: "must not be empty" }];
  if (isEveryExpression(expression)) {
    const every = parseEvery(expression);
    return "error" in every ? [{ field, message: every.error }] : [];
  }
  let job;
  try {
    job = cronJob(expression, timezone);
  } catch (error) {
    return [{ field, message: (error as Error).message.replace(/^CronPattern: /, "") }];
  }
  // Valid fields that no instant to come matches (30 February, a past year).
  return job.nextRun(now) ? [] : [{ field, message: `never fires after ${now.toISOString()}` }];
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

/** Everything wrong with a schedule in a time zone, as of `now`; empty when it is valid. */
export function validateSchedule(schedule: Schedule, timezone: string, now: Date): ScheduleIssue[] {
  if (!isValidTimeZone(timezone)) return [{ field: "timezone", message: `${JSON.stringify(timezone)} is not an IANA time zone` }];
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
      return [...cronIssues(schedule.expression, timezone, now), ...windowIssues("cron", schedule.startAt, schedule.endAt)];
    case "CALENDAR":
      return [
        ...(timeOfDayPattern.test(schedule.timeOfDay) ? [] : [{ field: "calendar.timeOfDay", message: "must be HH:MM or HH:MM:SS (24-hour)" }]),
        ...calendarRuleIssues(schedule.rule),
        ...schedule.excludedDates.flatMap((date, i) =>
          isIsoDate(date) ? [] : [{ field: `calendar.excludedDates.${i}`, message: "must be a date written YYYY-MM-DD" }],
        ),
        ...windowIssues("calendar", schedule.startAt, schedule.endAt),
      ];
  }
}
