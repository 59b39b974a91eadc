// A task's schedule as the API takes it (exactly one kind set), as the scheduler computes
// with it (Schedule), and as it is stored (JSON with ISO instants).
import { z } from "zod";
import type { CalendarRule, Schedule, Weekday } from "../scheduler/time/schedule.js";
import { validateSchedule } from "../scheduler/time/index.js";
import type { Prisma } from "../db/database.js";
import { ValidationError } from "./errors.js";
import { limits, parseInput } from "./input-rules.js";

export const weekdays = ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"] as const satisfies readonly Weekday[];
export const calendarFrequencies = ["DAILY", "WEEKLY", "MONTHLY_DAY", "MONTHLY_WEEKDAY"] as const;
export const scheduleKinds = ["STANDARD", "CRON", "ONCE", "CALENDAR"] as const;
export type ScheduleKind = (typeof scheduleKinds)[number];

const instant = z.date();
const window = { startAt: instant.nullish(), endAt: instant.nullish() };

const scheduleInputSchema = z
  .object({
    standard: z.object({ ...window, frequencySeconds: z.number().int().nullish() }).nullish(),
    cron: z.object({ ...window, expression: z.string().max(200, "must be at most 200 characters") }).nullish(),
    once: z.object({ at: instant }).nullish(),
    calendar: z
      .object({
        ...window,
        frequency: z.enum(calendarFrequencies),
        timeOfDay: z.string(),
        weekdays: z.array(z.enum(weekdays)).nullish(),
        day: z.number().int().nullish(),
        ordinal: z.number().int().nullish(),
        weekday: z.enum(weekdays).nullish(),
        excludedDates: z.array(z.string()).max(limits.excludedDates).nullish(),
      })
      .nullish(),
  })
  .refine((input) => Object.values(input).filter((kind) => kind != null).length === 1, {
    message: "must set exactly one of standard, cron, once, calendar",
  });

export type ScheduleInput = z.input<typeof scheduleInputSchema>;

/** The frequencies each rule field of a CALENDAR schedule belongs to. */
const ruleFieldsOf = {
  weekdays: ["WEEKLY"],
  day: ["MONTHLY_DAY"],
  ordinal: ["MONTHLY_WEEKDAY"],
  weekday: ["MONTHLY_WEEKDAY"],
} as const satisfies Record<string, readonly (typeof calendarFrequencies)[number][]>;

function calendarRule(input: NonNullable<z.output<typeof scheduleInputSchema>["calendar"]>, field: string): CalendarRule {
  const required = <T>(value: T | null | undefined, name: string): T => {
    if (value == null) throw ValidationError.of(`${field}.${name}`, `is required when frequency is ${input.frequency}`);
    return value;
  };
  // A field of another frequency would be dropped without a word: refuse it instead.
  const stray = (Object.keys(ruleFieldsOf) as (keyof typeof ruleFieldsOf)[]).filter(
    (name) => input[name] != null && !(ruleFieldsOf[name] as readonly string[]).includes(input.frequency),
  );
  if (stray.length > 0) {
    throw new ValidationError(stray.map((name) => ({ field: `${field}.${name}`, message: `does not apply when frequency is ${input.frequency}` })));
  }
  switch (input.frequency) {
    case "DAILY":
      return { kind: "DAILY" };
    case "WEEKLY":
      return { kind: "WEEKLY", weekdays: required(input.weekdays, "weekdays") };
    case "MONTHLY_DAY":
      return { kind: "MONTHLY_DAY", day: required(input.day, "day") };
    case "MONTHLY_WEEKDAY":
      return {
        kind: "MONTHLY_WEEKDAY",
        ordinal: required(input.ordinal, "ordinal") as 1 | 2 | 3 | 4 | 5 | -1,
        weekday: required(input.weekday, "weekday"),
      };
  }
}

/**
 * The schedule an API input describes. A STANDARD schedule without startAt keeps it null:
 * it starts when the task is scheduled (see scheduleFrom).
 */
export function scheduleFromInput(
  input: unknown,
  timezone: string,
  now: Date,
  field = "input.schedule",
  timezoneField = "input.timezone",
): Schedule {
  const parsed = parseInput(scheduleInputSchema, input, field);
  let schedule: Schedule;
  if (parsed.standard) {
    const { startAt, endAt, frequencySeconds } = parsed.standard;
    schedule = { kind: "STANDARD", startAt: startAt ?? null, frequencySeconds: frequencySeconds ?? null, endAt: endAt ?? null };
  } else if (parsed.cron) {
    schedule = { kind: "CRON", expression: parsed.cron.expression.trim(), startAt: parsed.cron.startAt ?? null, endAt: parsed.cron.endAt ?? null };
  } else if (parsed.once) {
    schedule = { kind: "ONCE", at: parsed.once.at };
  } else {
    const calendar = parsed.calendar!;
    schedule = {
      kind: "CALENDAR",
      rule: calendarRule(calendar, `${field}.calendar`),
      timeOfDay: calendar.timeOfDay,
      excludedDates: calendar.excludedDates ?? [],
      startAt: calendar.startAt ?? null,
      endAt: calendar.endAt ?? null,
    };
  }
  assertValidSchedule(schedule, timezone, now, field, timezoneField);
  return schedule;
}

/** Throws a ValidationError for what the scheduler's own checks find wrong. */
export function assertValidSchedule(schedule: Schedule, timezone: string, now: Date, field = "input.schedule", timezoneField = "input.timezone"): void {
  const issues = validateSchedule(schedule, timezone, now);
  if (issues.length > 0) {
    throw new ValidationError(
      issues.map((issue) => ({ field: issue.field === "timezone" ? timezoneField : `${field}.${issue.field}`, message: issue.message })),
    );
  }
}

const isoOrNull = (date: Date | null) => date?.toISOString() ?? null;
const dateOrNull = (iso: unknown) => (typeof iso === "string" ? new Date(iso) : null);

/** The stored form: plain JSON, instants as ISO strings. */
export function scheduleToJson(schedule: Schedule): Prisma.InputJsonObject {
  return storedSchedule(schedule) as Prisma.InputJsonObject;
}

function storedSchedule(schedule: Schedule): Record<string, unknown> {
  switch (schedule.kind) {
    case "ONCE":
      return { ...schedule, at: schedule.at.toISOString() };
    case "STANDARD":
    case "CRON":
    case "CALENDAR":
      return { ...schedule, startAt: isoOrNull(schedule.startAt), endAt: isoOrNull(schedule.endAt) };
  }
}

/** Reads a stored schedule; rows written by this code always have the right shape. */
export function scheduleFromJson(json: unknown): Schedule {
  const stored = json as Record<string, unknown> & { kind: ScheduleKind };
  switch (stored.kind) {
    case "STANDARD":
      return { kind: "STANDARD", startAt: dateOrNull(stored.startAt), frequencySeconds: (stored.frequencySeconds as number | null) ?? null, endAt: dateOrNull(stored.endAt) };
    case "ONCE":
      return { kind: "ONCE", at: new Date(stored.at as string) };
    case "CRON":
      return { kind: "CRON", expression: stored.expression as string, startAt: dateOrNull(stored.startAt), endAt: dateOrNull(stored.endAt) };
    case "CALENDAR":
      return {
        kind: "CALENDAR",
        rule: stored.rule as CalendarRule,
        timeOfDay: stored.timeOfDay as string,
        excludedDates: stored.excludedDates as string[],
        startAt: dateOrNull(stored.startAt),
        endAt: dateOrNull(stored.endAt),
      };
  }
}
