// A task's schedule in words, for the table and the task page. Cron expressions are read by
// cronstrue; the other kinds are simple enough to say here. The fields a kind or calendar
// frequency needs are always set (the API refuses schedules without them). Pure: tested in
// test/unit/web-format.test.ts.
import cronstrue from "cronstrue";
import type { ScheduleFieldsFragment, ScheduleInput, Weekday } from "../../generated/web-graphql/graphql.js";
import { formatDuration, formatInstant } from "./time.js";

const weekdayOrder: Weekday[] = ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"];
const weekdayName = (day: Weekday) => day.charAt(0) + day.slice(1).toLowerCase();
const ordinalWords: Record<number, string> = { 1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth", [-1]: "last" };

/** 1 → "1st", 22 → "22nd". */
function ordinal(n: number): string {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? "th" : ({ 1: "st", 2: "nd", 3: "rd" } as Record<number, string>)[n % 10] ?? "th";
  return `${n}${suffix}`;
}

function cronWords(expression: string): string {
  const every = /^@every\s+(.+)$/i.exec(expression.trim());
  if (every) return `Every ${every[1]}`;
  try {
    return cronstrue.toString(expression, { use24HourTimeFormat: true, verbose: false });
  } catch {
    // An expression croner reads and cronstrue does not: shown as written.
    return `Cron ${expression}`;
  }
}

function calendarWords(calendar: NonNullable<ScheduleFieldsFragment["calendar"]>): string {
  const at = `at ${calendar.timeOfDay}`;
  switch (calendar.frequency) {
    case "DAILY":
      return `Daily ${at}`;
    case "WEEKLY": {
      const days = weekdayOrder.filter((day) => calendar.weekdays?.includes(day)).map(weekdayName);
      return `Every ${days.join(", ")} ${at}`;
    }
    case "MONTHLY_DAY": {
      const day = calendar.day!;
      const which = day === -1 ? "the last day" : day < 0 ? `the ${ordinal(-day)}-last day` : `the ${ordinal(day)}`;
      return `Monthly on ${which} ${at}`;
    }
    case "MONTHLY_WEEKDAY": {
      return `Monthly on the ${ordinalWords[calendar.ordinal!]} ${weekdayName(calendar.weekday!)} ${at}`;
    }
  }
}

/**
 * "Every 5 min", "At 02:00 (Europe/Berlin)", "Once at 3 Dec 2026, 14:05:00"... Wall-clock
 * schedules (cron, calendar) name their time zone; absolute ones are shown in the reader's.
 */
export function describeSchedule(schedule: ScheduleFieldsFragment, timezone: string, nowMs: number, locale?: string): string {
  const instant = (at: string) => formatInstant(at, nowMs, locale);
  const until = (endAt: string | null) => (endAt ? `, until ${instant(endAt)}` : "");
  const zone = ` (${timezone})`;
  switch (schedule.kind) {
    case "STANDARD": {
      const { frequencySeconds, startAt, endAt } = schedule.standard!;
      if (!frequencySeconds) return startAt ? `Once at ${instant(startAt)}` : "Once, when scheduled";
      return `Every ${formatDuration(frequencySeconds)}${until(endAt)}`;
    }
    case "CRON":
      return `${cronWords(schedule.cron!.expression)}${zone}${until(schedule.cron!.endAt)}`;
    case "ONCE":
      return `Once at ${instant(schedule.once!.at)}`;
    case "CALENDAR": {
      const calendar = schedule.calendar!;
      const excluded = calendar.excludedDates.length > 0 ? `, except on ${calendar.excludedDates.length} date${calendar.excludedDates.length === 1 ? "" : "s"}` : "";
      return `${calendarWords(calendar)}${zone}${excluded}${until(calendar.endAt)}`;
    }
    case "WINDOW":
      return `Window ${(schedule.asInput.window as { definitions: string[] }).definitions.join("; ")}${zone}`;
    case "ANY_OF":
      return `Any of ${(schedule.asInput.anyOf as { schedules: unknown[] }).schedules.length} schedules${zone}`;
    case "ALL_OF":
      return `All of ${(schedule.asInput.allOf as { schedules: unknown[] }).schedules.length} schedules${zone}`;
  }
}

/** The schedule as previewSchedule takes it back, as the server writes it. */
export const scheduleInput = (schedule: ScheduleFieldsFragment): ScheduleInput => schedule.asInput as ScheduleInput;
