// The schedule page's words and table rules, apart from a browser.
import { describe, expect, it } from "vitest";
import type { ScheduleFieldsFragment, TaskRowFieldsFragment } from "../../src/generated/web-graphql/graphql.js";
import { describeSchedule, scheduleInput } from "../../src/web/format/schedule-words.js";
import { formatCountdown, formatDuration, formatElapsed, formatInstant, secondsUntil } from "../../src/web/format/time.js";
import { selectTasks, tagsOf, type TaskFilter } from "../../src/web/state/task-filter.js";

const none = { standard: null, cron: null, once: null, calendar: null, window: null, anyOf: null, allOf: null, asInput: {} };
const standard = (frequencySeconds: number | null, startAt: string | null = null, endAt: string | null = null): ScheduleFieldsFragment => ({
  ...none,
  kind: "STANDARD",
  standard: { frequencySeconds, startAt, endAt },
});
const cron = (expression: string): ScheduleFieldsFragment => ({ ...none, kind: "CRON", cron: { expression, startAt: null, endAt: null } });
const calendar = (rule: Partial<NonNullable<ScheduleFieldsFragment["calendar"]>> & Pick<NonNullable<ScheduleFieldsFragment["calendar"]>, "frequency">): ScheduleFieldsFragment => ({
  ...none,
  kind: "CALENDAR",
  calendar: { timeOfDay: "02:30", weekdays: null, day: null, ordinal: null, weekday: null, excludedDates: [], startAt: null, endAt: null, ...rule },
});
const now = Date.parse("2026-12-03T12:00:00Z");

describe("durations and countdowns", () => {
  it("shows the largest unit and the next one when it is not 0", () => {
    expect([0, 1, 59, 60, 75, 3_600, 3_660, 3_725, 86_400, 90_061].map(formatDuration)).toEqual([
      "0 s",
      "1 s",
      "59 s",
      "1 min",
      "1 min 15 s",
      "1 h",
      "1 h 1 min",
      "1 h 2 min",
      "1 d",
      "1 d 1 h",
    ]);
  });

  it("counts whole seconds up to the instant, rounded up, as the server does, and says when it is due", () => {
    expect(secondsUntil("2026-12-03T12:00:10Z", now - 500)).toBe(11);
    expect(secondsUntil("2026-12-03T12:00:10Z", now)).toBe(10);
    expect(secondsUntil("2026-12-03T11:59:00Z", now)).toBe(0);
    expect(formatCountdown(75)).toBe("in 1 min 15 s");
    expect(formatCountdown(0)).toBe("due now");
  });

  it("shows short runs in milliseconds and long ones in units", () => {
    expect([35, 2_400, 65_000].map(formatElapsed)).toEqual(["35 ms", "2.4 s", "1 min 5 s"]);
  });
});

describe("schedules in words", () => {
  const words = (schedule: ScheduleFieldsFragment, timezone = "UTC") => describeSchedule(schedule, timezone, now, "en-GB");

  it("says how often a standard schedule fires, and until when", () => {
    expect(words(standard(60))).toBe("Every 1 min");
    expect(words(standard(90_000))).toBe("Every 1 d 1 h");
    expect(words(standard(300, null, "2026-12-31T00:00:00Z"))).toBe(`Every 5 min, until ${formatInstant("2026-12-31T00:00:00Z", now, "en-GB")}`);
    expect(words(standard(null, "2026-12-03T15:00:00Z"))).toBe(`Once at ${formatInstant("2026-12-03T15:00:00Z", now, "en-GB")}`);
    expect(words(standard(null))).toBe("Once, when scheduled");
  });

  it("reads cron expressions, with their time zone", () => {
    expect(words(cron("0 2 * * *"), "Europe/Berlin")).toBe("At 02:00 (Europe/Berlin)");
    expect(words(cron("*/30 * * * *"))).toBe("Every 30 minutes (UTC)");
    expect(words(cron("0 0 12 * * MON-FRI"))).toBe("At 12:00, Monday through Friday (UTC)");
    expect(words(cron("@every 1h30m"))).toBe("Every 1h30m (UTC)");
  });

  it("says what calendar rules select", () => {
    expect(words(calendar({ frequency: "DAILY" }), "Europe/Berlin")).toBe("Daily at 02:30 (Europe/Berlin)");
    expect(words(calendar({ frequency: "WEEKLY", weekdays: ["FRIDAY", "MONDAY"] }))).toBe("Every Monday, Friday at 02:30 (UTC)");
    expect(words(calendar({ frequency: "MONTHLY_DAY", day: 1 }))).toBe("Monthly on the 1st at 02:30 (UTC)");
    expect(words(calendar({ frequency: "MONTHLY_DAY", day: -1 }))).toBe("Monthly on the last day at 02:30 (UTC)");
    expect(words(calendar({ frequency: "MONTHLY_DAY", day: -2 }))).toBe("Monthly on the 2nd-last day at 02:30 (UTC)");
    expect(words(calendar({ frequency: "MONTHLY_WEEKDAY", ordinal: -1, weekday: "FRIDAY" }))).toBe("Monthly on the last Friday at 02:30 (UTC)");
    expect(words(calendar({ frequency: "DAILY", excludedDates: ["2026-12-24", "2026-12-25"] }))).toBe("Daily at 02:30 (UTC), except on 2 dates");
  });

  it("says window and combined schedules", () => {
    const windowed: ScheduleFieldsFragment = { ...none, kind: "WINDOW", asInput: { window: { definitions: ["00:00-06:00@60 mon-fri", "! * * * dec"] } } };
    expect(words(windowed, "Europe/Berlin")).toBe("Window 00:00-06:00@60 mon-fri; ! * * * dec (Europe/Berlin)");
    const combined: ScheduleFieldsFragment = { ...none, kind: "ANY_OF", asInput: { anyOf: { schedules: [{ cron: { expression: "0 * * * *" } }, { once: { at: "2027-01-01T00:00:00Z" } }] } } };
    expect(words(combined)).toBe("Any of 2 schedules (UTC)");
  });

  it("gives previewSchedule back the schedule as the server writes it", () => {
    const asInput = { anyOf: { schedules: [{ cron: { expression: "0 * * * *" } }] } };
    expect(scheduleInput({ ...none, kind: "ANY_OF", asInput })).toBe(asInput);
  });
});

describe("the schedule table's rows", () => {
  const task = (name: string, nextRunAt: string | null, state: TaskRowFieldsFragment["state"] = "ACTIVE", tags: string[] = []): TaskRowFieldsFragment => ({
    id: `id-${name}`,
    name,
    state,
    tags,
    serviceId: "service",
    serviceName: "service",
    pauseNote: null,
    nextRunAt,
    lastRunAt: null,
    lastRunStatus: null,
    timezone: "UTC",
    schedule: standard(60),
  });
  const tasks = [
    task("backup", "2026-12-03T13:00:00Z", "ACTIVE", ["prod", "nightly"]),
    task("report", null, "PAUSED", ["prod"]),
    task("Cleanup", "2026-12-03T12:05:00Z"),
    task("archive", null, "COMPLETED"),
    task("ping", "2026-12-03T12:05:00Z", "ACTIVE", ["monitoring"]),
  ];
  const names = (filter: Partial<TaskFilter>) => selectTasks(tasks, { name: "", tag: "", state: "", order: "next-run", ...filter }).map((t) => t.name);

  it("sorts by next run, soonest or latest first, ties by name, tasks without a next run last", () => {
    expect(names({})).toEqual(["Cleanup", "ping", "backup", "archive", "report"]);
    expect(names({ order: "next-run-last-first" })).toEqual(["backup", "Cleanup", "ping", "archive", "report"]);
    expect(names({ order: "name" })).toEqual(["archive", "backup", "Cleanup", "ping", "report"]);
  });

  it("filters by part of the name in any case, by tag and by state", () => {
    expect(names({ name: "CLEAN" })).toEqual(["Cleanup"]);
    expect(names({ tag: "prod" })).toEqual(["backup", "report"]);
    expect(names({ state: "PAUSED" })).toEqual(["report"]);
    expect(names({ tag: "prod", state: "ACTIVE" })).toEqual(["backup"]);
    expect(tagsOf(tasks)).toEqual(["monitoring", "nightly", "prod"]);
  });
});
