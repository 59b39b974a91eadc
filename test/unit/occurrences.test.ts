// The scheduler's time logic at exact instants: every schedule kind, windows, exclusions,
// and the DST transitions of 2025 and 2026 in Europe/Berlin and America/New_York.
import { describe, expect, it } from "vitest";
import { nextOccurrence, occurrencesBetween, previewSchedule, secondsUntil, validateSchedule, type CalendarRule, type Schedule } from "../../src/scheduler/time/index.js";

const at = (iso: string) => new Date(iso);
/** The clock for validation, which rejects what never fires after it. */
const validatedAt = at("2026-01-01T00:00:00Z");
const isos = (dates: Date[]) => dates.map((d) => d.toISOString());

const cron = (expression: string, window: { startAt?: string; endAt?: string } = {}): Schedule => ({
  kind: "CRON",
  expression,
  startAt: window.startAt ? at(window.startAt) : null,
  endAt: window.endAt ? at(window.endAt) : null,
  excludedDates: [],
  excludedTimeRanges: [],
});

const calendar = (rule: CalendarRule, timeOfDay: string, extra: { excludedDates?: string[]; startAt?: string; endAt?: string } = {}): Schedule => ({
  kind: "CALENDAR",
  rule,
  timeOfDay,
  excludedDates: extra.excludedDates ?? [],
  excludedTimeRanges: [],
  startAt: extra.startAt ? at(extra.startAt) : null,
  endAt: extra.endAt ? at(extra.endAt) : null,
});

/** The first `count` instants at or after `from`, as a task scheduled at `from` fires them. */
const preview = (schedule: Schedule, from: string, count: number, timezone = "UTC") => isos(previewSchedule(schedule, timezone, at(from), count));

describe("STANDARD schedules", () => {
  const everyTenMinutes: Schedule = { kind: "STANDARD", startAt: at("2026-01-01T00:00:00Z"), frequencySeconds: 600, endAt: at("2026-01-01T00:30:00Z") };

  it("fire every frequencySeconds from startAt, endAt included", () => {
    expect(preview(everyTenMinutes, "2025-12-31T00:00:00Z", 10)).toEqual([
      "2026-01-01T00:00:00.000Z",
      "2026-01-01T00:10:00.000Z",
      "2026-01-01T00:20:00.000Z",
      "2026-01-01T00:30:00.000Z",
    ]);
  });

  it("continue on the grid from any instant, strictly after it", () => {
    expect(nextOccurrence(everyTenMinutes, "UTC", at("2026-01-01T00:10:00Z"), "VIXIE")?.toISOString()).toBe("2026-01-01T00:20:00.000Z");
    expect(nextOccurrence(everyTenMinutes, "UTC", at("2026-01-01T00:09:59.999Z"), "VIXIE")?.toISOString()).toBe("2026-01-01T00:10:00.000Z");
    expect(nextOccurrence(everyTenMinutes, "UTC", at("2026-01-01T00:30:00Z"), "VIXIE")).toBeNull();
  });

  it("fire once at startAt without a frequency", () => {
    const once: Schedule = { kind: "STANDARD", startAt: at("2026-05-01T08:00:00Z"), frequencySeconds: null, endAt: null };
    expect(preview(once, "2026-01-01T00:00:00Z", 3)).toEqual(["2026-05-01T08:00:00.000Z"]);
    expect(nextOccurrence(once, "UTC", at("2026-05-01T08:00:00Z"), "VIXIE")).toBeNull();
  });
});

describe("ONCE schedules", () => {
  it("fire at their instant and never after", () => {
    const once: Schedule = { kind: "ONCE", at: at("2026-07-04T12:00:00Z") };
    expect(preview(once, "2026-07-04T11:59:59.999Z", 2)).toEqual(["2026-07-04T12:00:00.000Z"]);
    expect(preview(once, "2026-07-04T12:00:00Z", 2)).toEqual(["2026-07-04T12:00:00.000Z"]);
    expect(preview(once, "2026-07-04T12:00:00.001Z", 2)).toEqual([]);
  });
});

describe("CRON schedules", () => {
  it("read five fields as minutes, six with seconds first, seven with a year", () => {
    expect(preview(cron("*/20 * * * *"), "2026-01-01T00:00:00Z", 3)).toEqual(["2026-01-01T00:00:00.000Z", "2026-01-01T00:20:00.000Z", "2026-01-01T00:40:00.000Z"]);
    expect(preview(cron("15 */5 * * * *"), "2026-01-01T00:00:00Z", 2)).toEqual(["2026-01-01T00:00:15.000Z", "2026-01-01T00:05:15.000Z"]);
    expect(preview(cron("0 0 12 1 1 * 2028"), "2026-01-01T00:00:00Z", 3)).toEqual(["2028-01-01T12:00:00.000Z"]);
  });

  it("take ranges, lists, steps and month and day names", () => {
    // Mondays to Fridays at 09:30 and 17:30, in January and July only.
    const workdays = cron("30 9,17 * JAN,JUL MON-FRI");
    expect(preview(workdays, "2026-01-30T10:00:00Z", 4)).toEqual([
      "2026-01-30T17:30:00.000Z",
      "2026-07-01T09:30:00.000Z",
      "2026-07-01T17:30:00.000Z",
      "2026-07-02T09:30:00.000Z",
    ]);
    expect(preview(cron("0 8-10/2 * * *"), "2026-01-01T00:00:00Z", 3)).toEqual(["2026-01-01T08:00:00.000Z", "2026-01-01T10:00:00.000Z", "2026-01-02T08:00:00.000Z"]);
  });

  it("take L (last day), W (nearest weekday), # (nth weekday) and ?", () => {
    expect(preview(cron("0 0 L * *"), "2026-01-15T00:00:00Z", 3)).toEqual(["2026-01-31T00:00:00.000Z", "2026-02-28T00:00:00.000Z", "2026-03-31T00:00:00.000Z"]);
    // 15 August 2026 is a Saturday: the nearest weekday is Friday the 14th.
    expect(preview(cron("0 6 15W * *"), "2026-08-01T00:00:00Z", 2)).toEqual(["2026-08-14T06:00:00.000Z", "2026-09-15T06:00:00.000Z"]);
    expect(preview(cron("0 9 * * TUE#2"), "2026-01-01T00:00:00Z", 3)).toEqual(["2026-01-13T09:00:00.000Z", "2026-02-10T09:00:00.000Z", "2026-03-10T09:00:00.000Z"]);
    expect(preview(cron("0 0 12 ? * MON"), "2026-01-01T00:00:00Z", 2)).toEqual(["2026-01-05T12:00:00.000Z", "2026-01-12T12:00:00.000Z"]);
  });

  it("match a restricted day of month or day of week, as Vixie cron does", () => {
    // The 1st of the month or any Friday.
    expect(preview(cron("0 0 1 * FRI"), "2026-04-25T00:00:00Z", 3)).toEqual(["2026-05-01T00:00:00.000Z", "2026-05-08T00:00:00.000Z", "2026-05-15T00:00:00.000Z"]);
  });

  it("know the nicknames", () => {
    const first = (expression: string) => preview(cron(expression), "2026-03-15T10:20:30Z", 1)[0];
    expect(first("@yearly")).toBe("2027-01-01T00:00:00.000Z");
    expect(first("@annually")).toBe("2027-01-01T00:00:00.000Z");
    expect(first("@monthly")).toBe("2026-04-01T00:00:00.000Z");
    expect(first("@weekly")).toBe("2026-03-22T00:00:00.000Z");
    expect(first("@daily")).toBe("2026-03-16T00:00:00.000Z");
    expect(first("@midnight")).toBe("2026-03-16T00:00:00.000Z");
    expect(first("@hourly")).toBe("2026-03-15T11:00:00.000Z");
  });

  it("run @every <duration> as an interval from startAt", () => {
    const everyNinety = cron("@every 1h30m", { startAt: "2026-01-01T00:10:00Z" });
    expect(preview(everyNinety, "2026-01-01T00:00:00Z", 3)).toEqual(["2026-01-01T00:10:00.000Z", "2026-01-01T01:40:00.000Z", "2026-01-01T03:10:00.000Z"]);
    expect(preview(cron("@every 10m", { startAt: "2026-01-01T00:00:00Z" }), "2026-01-01T00:25:00Z", 2)).toEqual(["2026-01-01T00:30:00.000Z", "2026-01-01T00:40:00.000Z"]);
    expect(preview(cron("@every 1d 2s", { startAt: "2026-01-01T00:00:00Z" }), "2026-01-01T00:00:01Z", 1)).toEqual(["2026-01-02T00:00:02.000Z"]);
  });

  it("align @every to the Unix epoch without a startAt", () => {
    expect(preview(cron("@every 10m"), "2026-01-01T00:03:00Z", 2)).toEqual(["2026-01-01T00:10:00.000Z", "2026-01-01T00:20:00.000Z"]);
    // 7 minutes does not divide a day: the grid is counted from 1970-01-01T00:00:00Z, not midnight.
    const sevens = previewSchedule(cron("@every 7m"), "Europe/Berlin", at("2026-01-02T00:00:00Z"), 3);
    expect(sevens.map((d) => d.getTime() % 420_000)).toEqual([0, 0, 0]);
    expect(isos(sevens)).toEqual(["2026-01-02T00:02:00.000Z", "2026-01-02T00:09:00.000Z", "2026-01-02T00:16:00.000Z"]);
  });

  it("keep to the start/end window", () => {
    const windowed = cron("0 12 * * *", { startAt: "2026-02-10T00:00:00Z", endAt: "2026-02-12T12:00:00Z" });
    expect(preview(windowed, "2026-01-01T00:00:00Z", 5)).toEqual(["2026-02-10T12:00:00.000Z", "2026-02-11T12:00:00.000Z", "2026-02-12T12:00:00.000Z"]);
  });

  it("name what is wrong in an expression", () => {
    const problem = (expression: string) => validateSchedule(cron(expression), "UTC", validatedAt);
    expect(problem("0 9 * * MON")).toEqual([]);
    for (const bad of ["61 * * * *", "* * *", "0 0 32 * *", "@every 0s", "@every 10x", "@every 3661d", "@every 100000000d", "@reboot", "  "]) {
      expect(problem(bad), bad).toEqual([{ field: "cron.expression", message: expect.any(String) }]);
    }
    // Fields that are each valid but match no instant to come.
    expect(problem("0 0 30 2 *")).toEqual([{ field: "cron.expression", message: "never fires after 2026-01-01T00:00:00.000Z" }]);
    expect(problem("0 0 0 1 1 * 2025")).toEqual([{ field: "cron.expression", message: "never fires after 2026-01-01T00:00:00.000Z" }]);
    expect(problem("0 0 0 1 1 * 2027")).toEqual([]);
    // Ten years is the longest interval, as for a STANDARD frequency.
    expect(problem("@every 3660d")).toEqual([]);
    expect(problem("@every 3661d")).toEqual([{ field: "cron.expression", message: "the interval must be at most 316224000s (ten years)" }]);
    expect(validateSchedule(cron("* * * * *"), "Mars/Olympus", validatedAt)).toEqual([{ field: "timezone", message: '"Mars/Olympus" is not an IANA time zone' }]);
    expect(validateSchedule(cron("* * * * *", { startAt: "2026-02-01T00:00:00Z", endAt: "2026-01-01T00:00:00Z" }), "UTC", validatedAt)).toEqual([
      { field: "cron.endAt", message: "must be after startAt" },
    ]);
  });
});

describe("CALENDAR schedules", () => {
  it("fire daily at the local time of day", () => {
    expect(preview(calendar({ kind: "DAILY" }, "07:45"), "2026-01-01T12:00:00Z", 2, "Asia/Tokyo")).toEqual(["2026-01-01T22:45:00.000Z", "2026-01-02T22:45:00.000Z"]);
  });

  it("fire on the chosen weekdays", () => {
    expect(preview(calendar({ kind: "WEEKLY", weekdays: ["MONDAY", "FRIDAY"] }, "18:00:30"), "2026-01-01T00:00:00Z", 3)).toEqual([
      "2026-01-02T18:00:30.000Z",
      "2026-01-05T18:00:30.000Z",
      "2026-01-09T18:00:30.000Z",
    ]);
  });

  it("fire on day N of the month, skipping months without it", () => {
    expect(preview(calendar({ kind: "MONTHLY_DAY", day: 31 }, "00:00"), "2026-01-01T00:00:00Z", 3)).toEqual([
      "2026-01-31T00:00:00.000Z",
      "2026-03-31T00:00:00.000Z",
      "2026-05-31T00:00:00.000Z",
    ]);
  });

  it("count negative days from the end of the month", () => {
    expect(preview(calendar({ kind: "MONTHLY_DAY", day: -1 }, "23:00"), "2026-01-01T00:00:00Z", 4)).toEqual([
      "2026-01-31T23:00:00.000Z",
      "2026-02-28T23:00:00.000Z",
      "2026-03-31T23:00:00.000Z",
      "2026-04-30T23:00:00.000Z",
    ]);
    // 2028 is a leap year: the second-to-last day of February is the 28th.
    expect(preview(calendar({ kind: "MONTHLY_DAY", day: -2 }, "06:00"), "2028-01-01T00:00:00Z", 4)).toEqual([
      "2028-01-30T06:00:00.000Z",
      "2028-02-28T06:00:00.000Z",
      "2028-03-30T06:00:00.000Z",
      "2028-04-29T06:00:00.000Z",
    ]);
  });

  it("fire on the nth weekday of the month, and on the last", () => {
    expect(preview(calendar({ kind: "MONTHLY_WEEKDAY", ordinal: 2, weekday: "TUESDAY" }, "09:15"), "2026-01-01T00:00:00Z", 3)).toEqual([
      "2026-01-13T09:15:00.000Z",
      "2026-02-10T09:15:00.000Z",
      "2026-03-10T09:15:00.000Z",
    ]);
    expect(preview(calendar({ kind: "MONTHLY_WEEKDAY", ordinal: -1, weekday: "FRIDAY" }, "16:00"), "2026-01-01T00:00:00Z", 3)).toEqual([
      "2026-01-30T16:00:00.000Z",
      "2026-02-27T16:00:00.000Z",
      "2026-03-27T16:00:00.000Z",
    ]);
    // January and February 2026 have four Mondays; March has five.
    expect(preview(calendar({ kind: "MONTHLY_WEEKDAY", ordinal: 5, weekday: "MONDAY" }, "12:00"), "2026-01-01T00:00:00Z", 1)).toEqual(["2026-03-30T12:00:00.000Z"]);
  });

  it("skip excluded local dates without ending the series", () => {
    // 00:30 in Berlin is the previous day in UTC: exclusions are read in the task's zone.
    const nightly = calendar({ kind: "DAILY" }, "00:30", { excludedDates: ["2026-01-02", "2026-01-03"] });
    expect(preview(nightly, "2026-01-01T00:00:00Z", 2, "Europe/Berlin")).toEqual(["2026-01-03T23:30:00.000Z", "2026-01-04T23:30:00.000Z"]);
  });

  it("keep to the start/end window", () => {
    const windowed = calendar({ kind: "DAILY" }, "12:00", { startAt: "2026-01-05T12:00:00Z", endAt: "2026-01-07T11:59:59Z" });
    expect(preview(windowed, "2026-01-01T00:00:00Z", 5)).toEqual(["2026-01-05T12:00:00.000Z", "2026-01-06T12:00:00.000Z"]);
  });

  it("name what is wrong in a rule", () => {
    const issues = validateSchedule(
      calendar({ kind: "MONTHLY_DAY", day: 0 }, "25:00", { excludedDates: ["2026-02-30"], startAt: "2026-02-01T00:00:00Z", endAt: "2026-01-01T00:00:00Z" }),
      "UTC",
      validatedAt,
    ).map((issue) => issue.field);
    expect(issues).toEqual(["calendar.timeOfDay", "calendar.day", "calendar.excludedDates.0", "calendar.endAt"]);
    expect(validateSchedule(calendar({ kind: "WEEKLY", weekdays: [] }, "10:00"), "UTC", validatedAt).map((i) => i.field)).toEqual(["calendar.weekdays"]);
    expect(validateSchedule(calendar({ kind: "MONTHLY_WEEKDAY", ordinal: 6 as never, weekday: "MONDAY" }, "10:00"), "UTC", validatedAt).map((i) => i.field)).toEqual(["calendar.ordinal"]);
  });
});

// A fixed-time job runs once on both transition days: on the spring day at the first valid
// time after the gap, on the autumn day at the first of the two repeated times. Interval jobs
// follow real time: they skip the times that do not exist and run through the repeated hour.
describe("DST transitions", () => {
  const daily = (timeOfDay: string) => calendar({ kind: "DAILY" }, timeOfDay);
  const around = (schedule: Schedule, timezone: string, fromIso: string, count = 3) => preview(schedule, fromIso, count, timezone);

  describe("Europe/Berlin (clocks go 02:00 → 03:00 in March, 03:00 → 02:00 in October, at 01:00 UTC)", () => {
    it("2025: a daily 02:30 runs once on each transition day", () => {
      expect(around(daily("02:30"), "Europe/Berlin", "2025-03-29T00:00:00Z")).toEqual([
        "2025-03-29T01:30:00.000Z", // 02:30 CET
        "2025-03-30T01:00:00.000Z", // 02:30 does not exist: 03:00 CEST
        "2025-03-31T00:30:00.000Z", // 02:30 CEST
      ]);
      expect(around(daily("02:30"), "Europe/Berlin", "2025-10-25T00:00:00Z")).toEqual([
        "2025-10-25T00:30:00.000Z", // 02:30 CEST
        "2025-10-26T00:30:00.000Z", // the first 02:30 (CEST) only
        "2025-10-27T01:30:00.000Z", // 02:30 CET
      ]);
    });

    it("2026: a daily 02:30 runs once on each transition day, the same through a cron expression", () => {
      const spring = ["2026-03-28T01:30:00.000Z", "2026-03-29T01:00:00.000Z", "2026-03-30T00:30:00.000Z"];
      const autumn = ["2026-10-24T00:30:00.000Z", "2026-10-25T00:30:00.000Z", "2026-10-26T01:30:00.000Z"];
      expect(around(daily("02:30"), "Europe/Berlin", "2026-03-28T00:00:00Z")).toEqual(spring);
      expect(around(cron("30 2 * * *"), "Europe/Berlin", "2026-03-28T00:00:00Z")).toEqual(spring);
      expect(around(daily("02:30"), "Europe/Berlin", "2026-10-24T00:00:00Z")).toEqual(autumn);
      expect(around(cron("0 30 2 * * *"), "Europe/Berlin", "2026-10-24T00:00:00Z")).toEqual(autumn);
    });

    it("2026: an every-30-minutes cron job follows real time through both transitions", () => {
      expect(around(cron("*/30 * * * *"), "Europe/Berlin", "2026-03-29T00:00:01Z", 3)).toEqual([
        "2026-03-29T00:30:00.000Z", // 01:30 CET
        "2026-03-29T01:00:00.000Z", // 03:00 CEST: 02:00 and 02:30 do not exist
        "2026-03-29T01:30:00.000Z",
      ]);
      expect(around(cron("*/30 * * * *"), "Europe/Berlin", "2026-10-24T23:59:59Z", 6)).toEqual([
        "2026-10-25T00:00:00.000Z", // 02:00 CEST
        "2026-10-25T00:30:00.000Z", // 02:30 CEST
        "2026-10-25T01:00:00.000Z", // 02:00 CET, the repeated hour
        "2026-10-25T01:30:00.000Z", // 02:30 CET
        "2026-10-25T02:00:00.000Z", // 03:00 CET
        "2026-10-25T02:30:00.000Z",
      ]);
    });
    it("2025 and 2026: a list of fixed hours (0 0,2) runs each once on both transition days", () => {
      const atMidnightAndTwo = cron("0 0,2 * * *");
      expect(around(atMidnightAndTwo, "Europe/Berlin", "2025-03-29T20:00:00Z")).toEqual([
        "2025-03-29T23:00:00.000Z", // 00:00 CET
        "2025-03-30T01:00:00.000Z", // 02:00 does not exist: 03:00 CEST
        "2025-03-30T22:00:00.000Z", // 00:00 CEST the next day
      ]);
      expect(around(atMidnightAndTwo, "Europe/Berlin", "2025-10-25T20:00:00Z")).toEqual([
        "2025-10-25T22:00:00.000Z", // 00:00 CEST
        "2025-10-26T00:00:00.000Z", // the first 02:00 (CEST) only
        "2025-10-26T23:00:00.000Z", // 00:00 CET the next day
      ]);
      expect(around(atMidnightAndTwo, "Europe/Berlin", "2026-03-28T20:00:00Z")).toEqual([
        "2026-03-28T23:00:00.000Z",
        "2026-03-29T01:00:00.000Z",
        "2026-03-29T22:00:00.000Z",
      ]);
      expect(around(atMidnightAndTwo, "Europe/Berlin", "2026-10-24T20:00:00Z")).toEqual([
        "2026-10-24T22:00:00.000Z",
        "2026-10-25T00:00:00.000Z",
        "2026-10-25T23:00:00.000Z",
      ]);
    });

    it("2025 and 2026: an hour step (0 */2) follows real time: a 3 h gap in March, 02:00 twice in October", () => {
      const everyTwoHours = cron("0 */2 * * *");
      for (const year of ["2025-03-30", "2026-03-29"]) {
        const [y, m, d] = year.split("-");
        const dayBefore = `${y}-${m}-${String(Number(d) - 1).padStart(2, "0")}`;
        expect(around(everyTwoHours, "Europe/Berlin", `${dayBefore}T22:00:00Z`), year).toEqual([
          `${dayBefore}T23:00:00.000Z`, // 00:00 CET
          `${year}T02:00:00.000Z`, // 04:00 CEST: 02:00 does not exist
          `${year}T04:00:00.000Z`, // 06:00 CEST
        ]);
      }
      expect(around(everyTwoHours, "Europe/Berlin", "2025-10-25T21:00:00Z", 4)).toEqual([
        "2025-10-25T22:00:00.000Z", // 00:00 CEST
        "2025-10-26T00:00:00.000Z", // 02:00 CEST
        "2025-10-26T01:00:00.000Z", // 02:00 CET, the repeated hour
        "2025-10-26T03:00:00.000Z", // 04:00 CET
      ]);
      expect(around(everyTwoHours, "Europe/Berlin", "2026-10-24T21:00:00Z", 4)).toEqual([
        "2026-10-24T22:00:00.000Z",
        "2026-10-25T00:00:00.000Z",
        "2026-10-25T01:00:00.000Z",
        "2026-10-25T03:00:00.000Z",
      ]);
    });

    it("2025: an every-30-minutes cron job follows real time through both transitions", () => {
      expect(around(cron("*/30 * * * *"), "Europe/Berlin", "2025-03-30T00:00:01Z")).toEqual([
        "2025-03-30T00:30:00.000Z", // 01:30 CET
        "2025-03-30T01:00:00.000Z", // 03:00 CEST
        "2025-03-30T01:30:00.000Z",
      ]);
      expect(around(cron("*/30 * * * *"), "Europe/Berlin", "2025-10-25T23:59:59Z", 6)).toEqual([
        "2025-10-26T00:00:00.000Z", // 02:00 CEST
        "2025-10-26T00:30:00.000Z",
        "2025-10-26T01:00:00.000Z", // 02:00 CET, the repeated hour
        "2025-10-26T01:30:00.000Z",
        "2025-10-26T02:00:00.000Z", // 03:00 CET
        "2025-10-26T02:30:00.000Z",
      ]);
    });
  });

  describe("America/New_York (clocks go 02:00 → 03:00 in March, 02:00 → 01:00 in November)", () => {
    it("2025: a daily 02:30 runs once on the spring day, a daily 01:30 once on the autumn day", () => {
      expect(around(daily("02:30"), "America/New_York", "2025-03-08T00:00:00Z")).toEqual([
        "2025-03-08T07:30:00.000Z", // 02:30 EST
        "2025-03-09T07:00:00.000Z", // 02:30 does not exist: 03:00 EDT
        "2025-03-10T06:30:00.000Z", // 02:30 EDT
      ]);
      expect(around(daily("01:30"), "America/New_York", "2025-11-01T00:00:00Z")).toEqual([
        "2025-11-01T05:30:00.000Z", // 01:30 EDT
        "2025-11-02T05:30:00.000Z", // the first 01:30 (EDT) only
        "2025-11-03T06:30:00.000Z", // 01:30 EST
      ]);
    });

    it("2026: the same on 8 March and 1 November, and monthly rules keep their local time", () => {
      expect(around(daily("02:30"), "America/New_York", "2026-03-07T00:00:00Z")).toEqual([
        "2026-03-07T07:30:00.000Z",
        "2026-03-08T07:00:00.000Z",
        "2026-03-09T06:30:00.000Z",
      ]);
      expect(around(daily("01:30"), "America/New_York", "2026-10-31T00:00:00Z")).toEqual([
        "2026-10-31T05:30:00.000Z",
        "2026-11-01T05:30:00.000Z",
        "2026-11-02T06:30:00.000Z",
      ]);
      // The 1st Sunday of November 2026 is the autumn transition day itself.
      expect(around(calendar({ kind: "MONTHLY_WEEKDAY", ordinal: 1, weekday: "SUNDAY" }, "01:30"), "America/New_York", "2026-10-01T00:00:00Z", 2)).toEqual([
        "2026-10-04T05:30:00.000Z",
        "2026-11-01T05:30:00.000Z",
      ]);
    });

    it("2025 and 2026: a list of fixed hours (0 0,2) runs each once on both transition days", () => {
      const atMidnightAndTwo = cron("0 0,2 * * *");
      expect(around(atMidnightAndTwo, "America/New_York", "2025-03-08T20:00:00Z")).toEqual([
        "2025-03-09T05:00:00.000Z", // 00:00 EST
        "2025-03-09T07:00:00.000Z", // 02:00 does not exist: 03:00 EDT
        "2025-03-10T04:00:00.000Z", // 00:00 EDT the next day
      ]);
      expect(around(atMidnightAndTwo, "America/New_York", "2025-11-01T20:00:00Z")).toEqual([
        "2025-11-02T04:00:00.000Z", // 00:00 EDT
        "2025-11-02T07:00:00.000Z", // 02:00 EST (01:00-02:00 is the repeated hour)
        "2025-11-03T05:00:00.000Z", // 00:00 EST the next day
      ]);
      expect(around(atMidnightAndTwo, "America/New_York", "2026-03-07T20:00:00Z")).toEqual([
        "2026-03-08T05:00:00.000Z",
        "2026-03-08T07:00:00.000Z",
        "2026-03-09T04:00:00.000Z",
      ]);
      expect(around(atMidnightAndTwo, "America/New_York", "2026-10-31T20:00:00Z")).toEqual([
        "2026-11-01T04:00:00.000Z",
        "2026-11-01T07:00:00.000Z",
        "2026-11-02T05:00:00.000Z",
      ]);
    });

    it("2025 and 2026: an hour step (0 */2) leaves a 3 h gap on both transition days", () => {
      const everyTwoHours = cron("0 */2 * * *");
      for (const [spring, autumn] of [
        ["2025-03-09", "2025-11-02"],
        ["2026-03-08", "2026-11-01"],
      ] as const) {
        expect(around(everyTwoHours, "America/New_York", `${spring}T04:00:00Z`), spring).toEqual([
          `${spring}T05:00:00.000Z`, // 00:00 EST
          `${spring}T08:00:00.000Z`, // 04:00 EDT: 02:00 does not exist
          `${spring}T10:00:00.000Z`, // 06:00 EDT
        ]);
        expect(around(everyTwoHours, "America/New_York", `${autumn}T03:00:00Z`), autumn).toEqual([
          `${autumn}T04:00:00.000Z`, // 00:00 EDT
          `${autumn}T07:00:00.000Z`, // 02:00 EST: three hours later in real time
          `${autumn}T09:00:00.000Z`, // 04:00 EST
        ]);
      }
    });

    it("2025: an every-30-minutes cron job skips the gap and runs through the repeated hour", () => {
      expect(around(cron("*/30 * * * *"), "America/New_York", "2025-03-09T06:00:01Z")).toEqual([
        "2025-03-09T06:30:00.000Z", // 01:30 EST
        "2025-03-09T07:00:00.000Z", // 03:00 EDT
        "2025-03-09T07:30:00.000Z",
      ]);
      expect(around(cron("*/30 * * * *"), "America/New_York", "2025-11-02T05:00:01Z", 5)).toEqual([
        "2025-11-02T05:30:00.000Z", // 01:30 EDT
        "2025-11-02T06:00:00.000Z", // 01:00 EST, the repeated hour
        "2025-11-02T06:30:00.000Z", // 01:30 EST
        "2025-11-02T07:00:00.000Z", // 02:00 EST
        "2025-11-02T07:30:00.000Z",
      ]);
    });

    it("interval schedules neither double nor vanish: STANDARD and @every count absolute time", () => {
      const hourly: Schedule = { kind: "STANDARD", startAt: at("2026-11-01T04:00:00Z"), frequencySeconds: 3600, endAt: null };
      const expected = ["2026-11-01T05:00:00.000Z", "2026-11-01T06:00:00.000Z", "2026-11-01T07:00:00.000Z"];
      expect(around(hourly, "America/New_York", "2026-11-01T04:00:01Z")).toEqual(expected);
      expect(around(cron("@every 1h", { startAt: "2026-11-01T04:00:00Z" }), "America/New_York", "2026-11-01T04:00:01Z")).toEqual(expected);
      const spring: Schedule = { kind: "STANDARD", startAt: at("2026-03-08T05:00:00Z"), frequencySeconds: 3600, endAt: null };
      expect(around(spring, "America/New_York", "2026-03-08T05:00:01Z")).toEqual(["2026-03-08T06:00:00.000Z", "2026-03-08T07:00:00.000Z", "2026-03-08T08:00:00.000Z"]);
    });
  });
});

describe("occurrencesBetween", () => {
  it("lists the instants in (after, until], up to the limit", () => {
    const everyMinute = cron("* * * * *");
    expect(isos(occurrencesBetween(everyMinute, "UTC", at("2026-01-01T00:00:00Z"), at("2026-01-01T00:03:00Z"), 10, "VIXIE"))).toEqual([
      "2026-01-01T00:01:00.000Z",
      "2026-01-01T00:02:00.000Z",
      "2026-01-01T00:03:00.000Z",
    ]);
    expect(occurrencesBetween(everyMinute, "UTC", at("2026-01-01T00:00:00Z"), at("2026-01-01T01:00:00Z"), 2, "VIXIE")).toHaveLength(2);
  });

  it("steps interval schedules by addition and stops at endAt", () => {
    const schedule: Schedule = { kind: "STANDARD", startAt: at("2026-01-01T00:00:00Z"), frequencySeconds: 1, endAt: at("2026-01-01T00:00:05Z") };
    expect(occurrencesBetween(schedule, "UTC", at("2026-01-01T00:00:02Z"), at("2026-01-01T01:00:00Z"), 100, "VIXIE")).toHaveLength(3);
  });
});

describe("secondsUntil", () => {
  it("counts whole seconds up, stops at zero, and stays within GraphQL's Int", () => {
    const now = at("2026-01-01T00:00:00Z");
    expect(secondsUntil(at("2026-01-01T00:00:01.200Z"), now)).toBe(2);
    expect(secondsUntil(at("2025-12-31T23:59:00Z"), now)).toBe(0);
    expect(secondsUntil(null, now)).toBeNull();
    expect(secondsUntil(at("2099-12-31T00:00:00Z"), now)).toBe(2 ** 31 - 1);
  });
});
