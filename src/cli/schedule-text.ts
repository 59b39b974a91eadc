// A task's schedule in a few words, for tables: "every 1m", "cron 0 2 * * *", "once at ...",
// "weekly MONDAY,FRIDAY at 02:30", with its time zone when not UTC.
import type { CliScheduleFieldsFragment } from "../generated/graphql/graphql.js";
import { formatDuration, formatInstant } from "./output.js";

const ordinals: Record<number, string> = { 1: "1st", 2: "2nd", 3: "3rd", 4: "4th", 5: "5th", [-1]: "last" };

function calendarText(calendar: NonNullable<CliScheduleFieldsFragment["calendar"]>): string {
  const at = `at ${calendar.timeOfDay}`;
  switch (calendar.frequency) {
    case "DAILY":
      return `daily ${at}`;
    case "WEEKLY":
      return `weekly ${calendar.weekdays?.join(",")} ${at}`;
    case "MONTHLY_DAY":
      return `monthly on day ${calendar.day} ${at}`;
    case "MONTHLY_WEEKDAY":
      return `monthly on the ${ordinals[calendar.ordinal ?? 0] ?? calendar.ordinal} ${calendar.weekday} ${at}`;
  }
}

export function describeSchedule(schedule: CliScheduleFieldsFragment, timezone: string): string {
  const zone = timezone === "UTC" ? "" : ` (${timezone})`;
  switch (schedule.kind) {
    case "STANDARD": {
      const { frequencySeconds, startAt } = schedule.standard!;
      return frequencySeconds ? `every ${formatDuration(frequencySeconds)}` : `once at ${formatInstant(startAt) || "start"}`;
    }
    case "CRON":
      return `cron ${schedule.cron!.expression}${zone}`;
    case "ONCE":
      return `once at ${formatInstant(schedule.once!.at)}`;
    case "CALENDAR":
      return `${calendarText(schedule.calendar!)}${zone}`;
    case "WINDOW":
      return `window ${(schedule.asInput.window as { definitions: string[] }).definitions.join("; ")}${zone}`;
    case "ANY_OF":
      return `any of ${(schedule.asInput.anyOf as { schedules: unknown[] }).schedules.length} schedules${zone}`;
    case "ALL_OF":
      return `all of ${(schedule.asInput.allOf as { schedules: unknown[] }).schedules.length} schedules${zone}`;
  }
}
