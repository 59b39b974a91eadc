// WINDOW schedules (every example of OpenSVC's scheduler reference), anyOf/allOf,
// exclusions on every wall-clock kind and the DST policies, at exact instants.
import { describe, expect, it } from "vitest";
import { nextOccurrence, previewSchedule, validateSchedule, type DstPolicy, type Schedule } from "../../src/scheduler/time/index.js";
import { parseWindowDefinition } from "../../src/scheduler/time/window-grammar.js";

const at = (iso: string) => new Date(iso);
const none = { excludedDates: [] as string[], excludedTimeRanges: [] as string[] };
const cron = (expression: string, exclusions = none): Schedule => ({ kind: "CRON", expression, startAt: null, endAt: null, ...exclusions });
const window = (definitions: string[], extra: Partial<Extract<Schedule, { kind: "WINDOW" }>> = {}): Schedule => ({
  kind: "WINDOW",
  definitions,
  seed: null,
  startAt: null,
  endAt: null,
  ...none,
  ...extra,
});
const preview = (schedule: Schedule, from: string, count: number, timezone = "UTC", dstPolicy: DstPolicy = "VIXIE") =>
  previewSchedule(schedule, timezone, at(from), count, dstPolicy).map((d) => d.toISOString());
const utc = (...isos: string[]) => isos.map((iso) => `${iso}.000Z`);

describe("WINDOW schedules: OpenSVC's examples", () => {
  it("never: an empty definition and @0 allow nothing, so validation refuses them", () => {
    for (const never of [" ", "@0"]) {
      expect(nextOccurrence(window([never]), "UTC", at("2026-01-01T00:00:00Z"), "VIXIE")).toBeNull();
      expect(validateSchedule(window([never]), "UTC", at("2026-01-01T00:00:00Z"))).toEqual([
        { field: "window.definitions", message: "never fires after 2026-01-01T00:00:00.000Z" },
      ]);
    }
  });

  it("always (*): once a day, at the start of the whole-day window", () => {
    expect(preview(window(["*"]), "2026-01-01T00:00:00Z", 3)).toEqual(utc("2026-01-01T00:00:00", "2026-01-02T00:00:00", "2026-01-03T00:00:00"));
  });

  it("every 60 minutes (@60)", () => {
    expect(preview(window(["@60"]), "2026-01-01T22:30:00Z", 3)).toEqual(utc("2026-01-01T23:00:00", "2026-01-02T00:00:00", "2026-01-02T01:00:00"));
  });

  it("at the first occasion after 9am (09:00)", () => {
    expect(preview(window(["09:00"]), "2026-01-01T09:00:01Z", 2)).toEqual(utc("2026-01-02T09:00:00", "2026-01-03T09:00:00"));
  });

  it("every hour between midnight and 6am, the end included (00:00-06:00@60)", () => {
    expect(preview(window(["00:00-06:00@60"]), "2026-01-01T00:00:00Z", 8)).toEqual(
      utc("2026-01-01T00:00:00", "2026-01-01T01:00:00", "2026-01-01T02:00:00", "2026-01-01T03:00:00", "2026-01-01T04:00:00", "2026-01-01T05:00:00", "2026-01-01T06:00:00", "2026-01-02T00:00:00"),
    );
  });

  it("once between midnight and 2am (00:00-02:00, and 00:00-06:00@361 mon-sun from the issue)", () => {
    expect(preview(window(["00:00-02:00"]), "2026-01-01T00:00:00Z", 2)).toEqual(utc("2026-01-01T00:00:00", "2026-01-02T00:00:00"));
    expect(preview(window(["00:00-06:00@361 mon-sun"]), "2026-01-01T00:00:01Z", 2)).toEqual(utc("2026-01-02T00:00:00", "2026-01-03T00:00:00"));
  });

  it("on the last day of the month (*:last, *:-1)", () => {
    for (const last of ["00:00-02:00@121 *:last", "00:00-02:00@121 *:-1"]) {
      expect(preview(window([last]), "2026-01-01T00:00:00Z", 3)).toEqual(utc("2026-01-31T00:00:00", "2026-02-28T00:00:00", "2026-03-31T00:00:00"));
    }
  });

  it("on the last Friday of the month (fri:last, fri:-1)", () => {
    for (const last of ["00:00-02:00@121 fri:last", "00:00-02:00@121 fri:-1"]) {
      expect(preview(window([last]), "2026-01-01T00:00:00Z", 3)).toEqual(utc("2026-01-30T00:00:00", "2026-02-27T00:00:00", "2026-03-27T00:00:00"));
    }
  });

  it("on week days (mon-fri), and only in January and February (mon-fri * jan-feb)", () => {
    // 1 January 2026 is a Thursday.
    expect(preview(window(["00:00-02:00@121 mon-fri"]), "2026-01-01T00:00:00Z", 4)).toEqual(
      utc("2026-01-01T00:00:00", "2026-01-02T00:00:00", "2026-01-05T00:00:00", "2026-01-06T00:00:00"),
    );
    expect(preview(window(["00:00-02:00@121 mon-fri * jan-feb"]), "2026-02-26T00:00:00Z", 4)).toEqual(
      utc("2026-02-26T00:00:00", "2026-02-27T00:00:00", "2027-01-01T00:00:00", "2027-01-04T00:00:00"),
    );
  });

  it("on odd days of the month (*:%2+1)", () => {
    expect(preview(window(["00:00-02:00@121 *:%2+1"]), "2026-01-29T00:00:00Z", 4)).toEqual(
      utc("2026-01-29T00:00:00", "2026-01-31T00:00:00", "2026-02-01T00:00:00", "2026-02-03T00:00:00"),
    );
  });

  it("on Mondays of even ISO weeks (mon %2)", () => {
    // ISO week 1 of 2026 starts on Monday 29 December 2025.
    expect(preview(window(["00:00-02:00@121 mon %2"]), "2026-01-01T00:00:00Z", 3)).toEqual(utc("2026-01-05T00:00:00", "2026-01-19T00:00:00", "2026-02-02T00:00:00"));
  });

  it("in any of several windows, as a list (00:00-02:00@121, 12:00-14:00@121)", () => {
    expect(preview(window(["00:00-02:00@121", "12:00-14:00@121"]), "2026-01-01T00:00:00Z", 4)).toEqual(
      utc("2026-01-01T00:00:00", "2026-01-01T12:00:00", "2026-01-02T00:00:00", "2026-01-02T12:00:00"),
    );
  });

  it("never in an excluded window: every 30 minutes from 16:00 to 21:00 on the last day, not on Wednesdays (the issue's example)", () => {
    const schedule = window(["16:00-21:00@30 *:last", "! * wed"]);
    const instants = preview(schedule, "2026-08-31T20:00:00Z", 4);
    // 30 September 2026 is a Wednesday: the next last day is Saturday 31 October.
    expect(instants).toEqual(utc("2026-08-31T20:00:00", "2026-08-31T20:30:00", "2026-08-31T21:00:00", "2026-10-31T16:00:00"));
    expect(preview(schedule, "2026-01-31T00:00:00Z", 11)).toHaveLength(11);
    // An exclusion is stepped over whole: a minutely window leaves Wednesday 7 January at once.
    expect(preview(window(["@1", "! * wed"]), "2026-01-06T23:59:00Z", 2)).toEqual(utc("2026-01-06T23:59:00", "2026-01-08T00:00:00"));
  });

  it("windows running past midnight fire on both days (22:00-02:00@120)", () => {
    expect(preview(window(["22:00-02:00@120"]), "2026-01-01T00:00:00Z", 5)).toEqual(
      utc("2026-01-01T00:00:00", "2026-01-01T02:00:00", "2026-01-01T22:00:00", "2026-01-02T00:00:00", "2026-01-02T02:00:00"),
    );
  });

  it("follow the task's time zone", () => {
    expect(preview(window(["09:00-10:00 mon"]), "2026-01-01T00:00:00Z", 2, "America/New_York")).toEqual(utc("2026-01-05T14:00:00", "2026-01-12T14:00:00"));
  });

  it("spread (~) fires at one seeded point of each window: the same instants for the same seed, others for another", () => {
    const seeded = (seed: string) => preview(window(["~00:00-06:00"], { seed }), "2026-01-01T00:00:00Z", 5);
    const a = seeded("task-a");
    expect(seeded("task-a")).toEqual(a);
    expect(seeded("task-b")).not.toEqual(a);
    for (const instant of a) expect(new Date(instant).getUTCHours()).toBeLessThanOrEqual(6);
    expect(new Set(a.map((instant) => instant.slice(11))).size).toBeGreaterThan(1);
  });
});

describe("WINDOW definitions refused", () => {
  const problem = (definition: string) => validateSchedule(window([definition]), "UTC", at("2026-01-01T00:00:00Z"));

  it("name the column and the token as written", () => {
    expect(problem("00:00-02:00@121 fri:lst")).toEqual([
      { field: "window.definitions.0", message: '"00:00-02:00@121 fri:lst" at column 21, "lst": is not first .. fifth, 1st .. 5th, last or a number' },
    ]);
    expect(problem("25:00-02:00")).toEqual([{ field: "window.definitions.0", message: '"25:00-02:00" at column 1, "25:00": is not a time of day (00:00 to 23:59)' }]);
    expect(problem("00:00-02:00 mon-fri * jan-fep")[0]!.message).toBe('"00:00-02:00 mon-fri * jan-fep" at column 27, "fep": is not a month (jan .. dec, or 1 .. 12)');
    expect(problem("00:00-02:00@2000")[0]!.message).toMatch(/^"00:00-02:00@2000" at column 13, "2000": an interval must be at most 1440 minutes/);
    expect(problem("00:00 mon wk3")[0]!.message).toBe('"00:00 mon wk3" at column 11, "wk3": expected an ISO week number');
    expect(problem("00:00 * * * extra")[0]!.message).toBe('"00:00 * * * extra" at column 13, "extra": a definition has at most 4 fields: timeranges days weeks months');
  });

  it("need a definition that includes", () => {
    expect(validateSchedule(window(["! * wed"]), "UTC", at("2026-01-01T00:00:00Z"))).toEqual([
      { field: "window.definitions", message: "must have a definition without ! (exclusions alone allow nothing)" },
    ]);
  });

  it("parse into days, weeks and months as OpenSVC reads them", () => {
    expect(parseWindowDefinition("~08:00-09:00@30 sat-mon:2nd 1-3,10 %3+1")).toEqual({
      exclude: false,
      ranges: [{ begin: 28_800, end: 32_400, intervalSeconds: 1_800, spread: true }],
      days: [{ weekdays: [6, 7, 1], dayOfMonth: { kind: "nth", n: 2 } }],
      weeks: { kind: "values", values: [1, 2, 3, 10] },
      months: { kind: "modulo", filter: { modulo: 3, shift: 1 } },
    });
  });
});

describe("anyOf and allOf", () => {
  const anyOf = (...schedules: Schedule[]): Schedule => ({ kind: "ANY_OF", schedules, ...none });
  const allOf = (...schedules: Schedule[]): Schedule => ({ kind: "ALL_OF", schedules, ...none });

  it("anyOf fires at the union, an instant shared by several once", () => {
    expect(preview(anyOf(cron("0 */6 * * *"), cron("0 9 * * *"), window(["12:00"])), "2026-01-01T00:00:00Z", 6)).toEqual(
      utc("2026-01-01T00:00:00", "2026-01-01T06:00:00", "2026-01-01T09:00:00", "2026-01-01T12:00:00", "2026-01-01T18:00:00", "2026-01-02T00:00:00"),
    );
  });

  it("allOf keeps the first schedule's instants that every other one has too", () => {
    // Every 15 minutes and every 6 minutes meet every 30 minutes; and only on Mondays.
    expect(preview(allOf(cron("*/15 * * * *"), cron("*/6 * * * *"), cron("* * * * MON")), "2026-01-01T00:00:00Z", 3)).toEqual(
      utc("2026-01-05T00:00:00", "2026-01-05T00:30:00", "2026-01-05T01:00:00"),
    );
  });

  it("nest, up to three levels", () => {
    const nested = anyOf(allOf(cron("0 * * * *"), cron("0 */5 * * *")), { kind: "ONCE", at: at("2026-01-01T01:30:00Z") });
    expect(preview(nested, "2026-01-01T00:00:00Z", 3)).toEqual(utc("2026-01-01T00:00:00", "2026-01-01T01:30:00", "2026-01-01T05:00:00"));
    expect(validateSchedule(anyOf(anyOf(anyOf(cron("0 * * * *")))), "UTC", at("2026-01-01T00:00:00Z"))).toEqual([
      { field: "anyOf.schedules.0.anyOf.schedules.0.anyOf", message: "nests anyOf and allOf more than 3 deep" },
    ]);
  });

  it("name a nested schedule's problem by its path", () => {
    expect(validateSchedule(allOf(cron("0 * * * *"), cron("0 0 0 * *")), "UTC", at("2026-01-01T00:00:00Z"))).toEqual([
      { field: "allOf.schedules.1.cron.expression", message: "day of month 0 is out of range (1-31)" },
    ]);
    expect(validateSchedule(allOf(cron("0 0 * * MON"), cron("0 0 * * TUE")), "UTC", at("2026-01-01T00:00:00Z"))).toEqual([
      { field: "allOf", message: "never fires after 2026-01-01T00:00:00.000Z" },
    ]);
  });
});

describe("exclusions on every wall-clock kind", () => {
  const exclusions = { excludedDates: ["2026-01-02"], excludedTimeRanges: ["12:00-13:00"] };

  it("skip excluded local dates and time ranges on cron, window, calendar and combined schedules", () => {
    const expected = utc("2026-01-01T11:00:00", "2026-01-01T13:00:00", "2026-01-03T11:00:00", "2026-01-03T13:00:00");
    const hours = "0 11-13 * * *";
    expect(preview(cron(hours, exclusions), "2026-01-01T00:00:00Z", 4)).toEqual(expected);
    expect(preview(window(["11:00-13:00@60"], exclusions), "2026-01-01T00:00:00Z", 4)).toEqual(expected);
    expect(preview({ kind: "ANY_OF", schedules: [cron("0 11 * * *"), cron("0 12,13 * * *")], ...exclusions }, "2026-01-01T00:00:00Z", 4)).toEqual(expected);
    const calendar: Schedule = { kind: "CALENDAR", rule: { kind: "DAILY" }, timeOfDay: "12:30", startAt: null, endAt: null, ...exclusions, excludedTimeRanges: ["12:00-12:31"] };
    expect(preview(calendar, "2026-01-01T00:00:00Z", 1)).toEqual([]);
    expect(validateSchedule(calendar, "UTC", at("2026-01-01T00:00:00Z"))).toEqual([{ field: "calendar", message: "never fires after 2026-01-01T00:00:00.000Z" }]);
  });

  it("read them in the task's time zone, and skip a whole excluded day of an every-second schedule at once", () => {
    const everySecond = cron("* * * * * *", { excludedDates: ["2026-01-02"], excludedTimeRanges: [] });
    expect(preview(everySecond, "2026-01-01T22:59:59Z", 2, "Europe/Berlin")).toEqual(utc("2026-01-01T22:59:59", "2026-01-02T23:00:00"));
  });

  it("refuse malformed ones by their index", () => {
    expect(validateSchedule(cron("0 * * * *", { excludedDates: ["2026-02-30"], excludedTimeRanges: ["13:00-12:00", "24:00-24:30"] }), "UTC", at("2026-01-01T00:00:00Z"))).toEqual([
      { field: "cron.excludedDates.0", message: "must be a date written YYYY-MM-DD" },
      { field: "cron.excludedTimeRanges.0", message: '"13:00-12:00" is not a time range HH:MM-HH:MM with its start before its end (24:00 for midnight)' },
      { field: "cron.excludedTimeRanges.1", message: '"24:00-24:30" is not a time range HH:MM-HH:MM with its start before its end (24:00 for midnight)' },
    ]);
  });
});

describe("cron errors name values as written", () => {
  it("a day of month 0 is 0, not -1", () => {
    expect(validateSchedule(cron("* * 0 * *"), "UTC", at("2026-01-01T00:00:00Z"))).toEqual([{ field: "cron.expression", message: "day of month 0 is out of range (1-31)" }]);
    expect(validateSchedule(cron("* * * 13 *"), "UTC", at("2026-01-01T00:00:00Z"))).toEqual([{ field: "cron.expression", message: "month 13 is out of range (1-12)" }]);
  });

  it("past year 2999 nothing fires: croner's calendar ends there", () => {
    expect(preview(cron("0 0 1 1 *"), "2999-06-01T00:00:00Z", 2)).toEqual([]);
  });
});

describe("DST policies", () => {
  const policies = ["VIXIE", "END_OF_GAP", "SKIP", "BOTH_PASSES"] as const;
  const each = (schedule: Schedule, timezone: string, from: string, count: number) =>
    Object.fromEntries(policies.map((policy) => [policy, preview(schedule, from, count, timezone, policy)]));

  describe("Europe/Berlin (02:00 → 03:00 on 29 March 2026, 03:00 → 02:00 on 25 October 2026)", () => {
    it("a fixed 02:30 in the gap: 03:00 CEST, except SKIP", () => {
      const vixie = utc("2026-03-29T01:00:00", "2026-03-30T00:30:00");
      expect(each(cron("30 2 * * *"), "Europe/Berlin", "2026-03-28T12:00:00Z", 2)).toEqual({
        VIXIE: vixie,
        END_OF_GAP: vixie,
        SKIP: utc("2026-03-30T00:30:00", "2026-03-31T00:30:00"),
        BOTH_PASSES: vixie,
      });
    });

    it("a fixed 02:30 in the repeated hour: the first pass, both with BOTH_PASSES", () => {
      const once = utc("2026-10-25T00:30:00", "2026-10-26T01:30:00", "2026-10-27T01:30:00");
      expect(each(cron("30 2 * * *"), "Europe/Berlin", "2026-10-24T12:00:00Z", 3)).toEqual({
        VIXIE: once,
        END_OF_GAP: once,
        SKIP: once,
        BOTH_PASSES: utc("2026-10-25T00:30:00", "2026-10-25T01:30:00", "2026-10-26T01:30:00"),
      });
    });

    it("interval-style */20 2 * * * skips the day, except END_OF_GAP: once at 03:00 CEST", () => {
      const skipped = utc("2026-03-30T00:00:00", "2026-03-30T00:20:00");
      expect(each(cron("*/20 2 * * *"), "Europe/Berlin", "2026-03-28T12:00:00Z", 2)).toEqual({
        VIXIE: skipped,
        END_OF_GAP: utc("2026-03-29T01:00:00", "2026-03-30T00:00:00"),
        SKIP: skipped,
        BOTH_PASSES: skipped,
      });
    });

    it("a window 02:00-03:00@30 is fixed-time: its missing times move to 03:00 once; BOTH_PASSES runs the repeated hour twice", () => {
      const spring = utc("2026-03-29T01:00:00", "2026-03-30T00:00:00");
      expect(each(window(["02:00-03:00@30"]), "Europe/Berlin", "2026-03-28T12:00:00Z", 2)).toEqual({ VIXIE: spring, END_OF_GAP: spring, SKIP: spring, BOTH_PASSES: spring });
      const autumn = utc("2026-10-25T00:00:00", "2026-10-25T00:30:00", "2026-10-25T02:00:00");
      expect(each(window(["02:00-03:00@30"]), "Europe/Berlin", "2026-10-24T12:00:00Z", 3)).toEqual({
        VIXIE: autumn,
        END_OF_GAP: autumn,
        SKIP: autumn,
        BOTH_PASSES: utc("2026-10-25T00:00:00", "2026-10-25T00:30:00", "2026-10-25T01:00:00"),
      });
    });
  });

  describe("America/New_York (02:00 → 03:00 on 8 March 2026, 02:00 → 01:00 on 1 November 2026)", () => {
    it("interval-style */20 2 * * *: END_OF_GAP runs at 03:00 EDT, the others skip the day", () => {
      const skipped = utc("2026-03-09T06:00:00", "2026-03-09T06:20:00");
      expect(each(cron("*/20 2 * * *"), "America/New_York", "2026-03-07T12:00:00Z", 2)).toEqual({
        VIXIE: skipped,
        END_OF_GAP: utc("2026-03-08T07:00:00", "2026-03-09T06:00:00"),
        SKIP: skipped,
        BOTH_PASSES: skipped,
      });
    });

    it("a fixed 01:30 in the repeated hour: 01:30 EDT, and 01:30 EST too with BOTH_PASSES", () => {
      const once = utc("2026-11-01T05:30:00", "2026-11-02T06:30:00", "2026-11-03T06:30:00");
      expect(each(cron("30 1 * * *"), "America/New_York", "2026-10-31T12:00:00Z", 3)).toEqual({
        VIXIE: once,
        END_OF_GAP: once,
        SKIP: once,
        BOTH_PASSES: utc("2026-11-01T05:30:00", "2026-11-01T06:30:00", "2026-11-02T06:30:00"),
      });
    });
  });

  describe("Australia/Lord_Howe (30-minute shift: 02:00 → 02:30 on 4 October 2026, 02:00 → 01:30 on 5 April 2026)", () => {
    it("a fixed 02:15 in the half-hour gap: 02:30 LHDT, except SKIP", () => {
      const vixie = utc("2026-10-02T15:45:00", "2026-10-03T15:30:00");
      expect(each(cron("15 2 * * *"), "Australia/Lord_Howe", "2026-10-02T12:00:00Z", 2)).toEqual({
        VIXIE: vixie,
        END_OF_GAP: vixie,
        SKIP: utc("2026-10-02T15:45:00", "2026-10-04T15:15:00"),
        BOTH_PASSES: vixie,
      });
    });

    it("interval-style 0-20/10 2 * * * entirely in the gap: END_OF_GAP runs once at 02:30 LHDT", () => {
      const skipped = utc("2026-10-04T15:00:00", "2026-10-04T15:10:00");
      expect(each(cron("0-20/10 2 * * *"), "Australia/Lord_Howe", "2026-10-03T12:00:00Z", 2)).toEqual({
        VIXIE: skipped,
        END_OF_GAP: utc("2026-10-03T15:30:00", "2026-10-04T15:00:00"),
        SKIP: skipped,
        BOTH_PASSES: skipped,
      });
    });

    it("a fixed 01:45 in the repeated half hour: 01:45 LHDT, and 01:45 LHST too with BOTH_PASSES", () => {
      const once = utc("2026-04-04T14:45:00", "2026-04-05T15:15:00");
      expect(each(cron("45 1 * * *"), "Australia/Lord_Howe", "2026-04-04T12:00:00Z", 2)).toEqual({
        VIXIE: once,
        END_OF_GAP: once,
        SKIP: once,
        BOTH_PASSES: utc("2026-04-04T14:45:00", "2026-04-04T15:15:00"),
      });
    });
  });
});
