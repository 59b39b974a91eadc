// A task's schedule as the API takes it (exactly one kind set), as the scheduler computes
// with it (Schedule), and as it is stored (JSON with ISO instants).
import { z } from "zod";
import type { CalendarRule, Schedule, Weekday } from "../scheduler/time/schedule.js";
import { dstPolicies, validateSchedule } from "../scheduler/time/index.js";
import type { Prisma } from "../db/database.js";
import { ValidationError } from "./errors.js";
import { limits, parseInput } from "./input-rules.js";

export const weekdays = ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"] as const satisfies readonly Weekday[];
export const calendarFrequencies = ["DAILY", "WEEKLY", "MONTHLY_DAY", "MONTHLY_WEEKDAY"] as const;
export const scheduleKinds = ["STANDARD", "CRON", "ONCE", "CALENDAR", "WINDOW", "ANY_OF", "ALL_OF"] as const;
export type ScheduleKind = (typeof scheduleKinds)[number];
export { dstPolicies };

const instant = z.date();
const window = { startAt: instant.nullish(), endAt: instant.nullish() };
/** Most excluded time ranges and nested schedules one schedule may list. */
export const maxExcludedTimeRanges = 50;
export const maxCombinedSchedules = 10;
export const maxWindowDefinitions = 20;
const exclusions = {
  excludedDates: z.array(z.string()).max(limits.excludedDates).nullish(),
  excludedTimeRanges: z.array(z.string()).max(maxExcludedTimeRanges).nullish(),
};

interface ScheduleInputShape {
  standard?: { startAt?: Date | null; endAt?: Date | null; frequencySeconds?: number | null } | null;
  cron?: { startAt?: Date | null; endAt?: Date | null; expression: string; excludedDates?: string[] | null; excludedTimeRanges?: string[] | null } | null;
  once?: { at: Date } | null;
  calendar?: z.output<typeof calendarInputSchema> | null;
  window?: z.output<typeof windowInputSchema> | null;
  anyOf?: CombinedInput | null;
  allOf?: CombinedInput | null;
}
interface CombinedInput {
  schedules: ScheduleInputShape[];
  excludedDates?: string[] | null;
  excludedTimeRanges?: string[] | null;
}

const calendarInputSchema = z.object({
  ...window,
  ...exclusions,
  frequency: z.enum(calendarFrequencies),
  timeOfDay: z.string(),
  weekdays: z.array(z.enum(weekdays)).nullish(),
  day: z.number().int().nullish(),
  ordinal: z.number().int().nullish(),
  weekday: z.enum(weekdays).nullish(),
});

const windowInputSchema = z.object({
  ...window,
  ...exclusions,
  definitions: z.array(z.string().max(200, "must be at most 200 characters")).max(maxWindowDefinitions),
  seed: z.string().max(200, "must be at most 200 characters").nullish(),
});

const scheduleInputSchema: z.ZodType<ScheduleInputShape> = z.lazy(() =>
  z
    .object({
      standard: z.object({ ...window, frequencySeconds: z.number().int().nullish() }).nullish(),
      cron: z.object({ ...window, ...exclusions, expression: z.string().max(200, "must be at most 200 characters") }).nullish(),
      once: z.object({ at: instant }).nullish(),
      calendar: calendarInputSchema.nullish(),
      window: windowInputSchema.nullish(),
      anyOf: combinedInputSchema.nullish(),
      allOf: combinedInputSchema.nullish(),
    })
    .refine((input) => Object.values(input).filter((kind) => kind != null).length === 1, {
      message: "must set exactly one of standard, cron, once, calendar, window, anyOf, allOf",
    }),
);

const combinedInputSchema: z.ZodType<CombinedInput> = z.lazy(() =>
  z.object({ ...exclusions, schedules: z.array(scheduleInputSchema).min(1, "must list at least one schedule").max(maxCombinedSchedules) }),
);

export type ScheduleInput = z.input<typeof scheduleInputSchema>;

/** The frequencies each rule field of a CALENDAR schedule belongs to. */
const ruleFieldsOf = {
  weekdays: ["WEEKLY"],
  day: ["MONTHLY_DAY"],
  ordinal: ["MONTHLY_WEEKDAY"],
  weekday: ["MONTHLY_WEEKDAY"],
} as const satisfies Record<string, readonly (typeof calendarFrequencies)[number][]>;

function calendarRule(input: z.output<typeof calendarInputSchema>, field: string): CalendarRule {
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
  const schedule = scheduleOf(parseInput(scheduleInputSchema, input, field), field);
  assertValidSchedule(schedule, timezone, now, field, timezoneField);
  return schedule;
}

const exclusionsOf = (input: { excludedDates?: string[] | null; excludedTimeRanges?: string[] | null }) => ({
  excludedDates: input.excludedDates ?? [],
  excludedTimeRanges: input.excludedTimeRanges ?? [],
});

function scheduleOf(parsed: ScheduleInputShape, field: string): Schedule {
  if (parsed.standard) {
    const { startAt, endAt, frequencySeconds } = parsed.standard;
    return { kind: "STANDARD", startAt: startAt ?? null, frequencySeconds: frequencySeconds ?? null, endAt: endAt ?? null };
  }
  if (parsed.cron) {
    return { kind: "CRON", expression: parsed.cron.expression.trim(), startAt: parsed.cron.startAt ?? null, endAt: parsed.cron.endAt ?? null, ...exclusionsOf(parsed.cron) };
  }
  if (parsed.once) return { kind: "ONCE", at: parsed.once.at };
  if (parsed.window) {
    const { definitions, seed, startAt, endAt } = parsed.window;
    return { kind: "WINDOW", definitions, seed: seed ?? null, startAt: startAt ?? null, endAt: endAt ?? null, ...exclusionsOf(parsed.window) };
  }
  const combined = parsed.anyOf ?? parsed.allOf;
  if (combined) {
    const key = parsed.anyOf ? "anyOf" : "allOf";
    return {
      kind: parsed.anyOf ? "ANY_OF" : "ALL_OF",
      schedules: combined.schedules.map((child, i) => scheduleOf(child, `${field}.${key}.schedules.${i}`)),
      ...exclusionsOf(combined),
    };
  }
  const calendar = parsed.calendar!;
  return {
    kind: "CALENDAR",
    rule: calendarRule(calendar, `${field}.calendar`),
    timeOfDay: calendar.timeOfDay,
    startAt: calendar.startAt ?? null,
    endAt: calendar.endAt ?? null,
    ...exclusionsOf(calendar),
  };
}

/** Only the fields that are set: what a ScheduleInput needs to write this value again. */
const setFields = (fields: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== null && value !== undefined && !(Array.isArray(value) && value.length === 0)));

const exclusionFields = (schedule: { excludedDates: string[]; excludedTimeRanges: string[] }) => ({
  excludedDates: schedule.excludedDates,
  excludedTimeRanges: schedule.excludedTimeRanges,
});

/** The schedule as ScheduleInput writes it (instants as ISO strings): previewSchedule, createTask and a schedules-as-code file take it back. */
export function scheduleInputOf(schedule: Schedule): Record<string, unknown> {
  switch (schedule.kind) {
    case "STANDARD":
      return { standard: setFields({ startAt: isoOrNull(schedule.startAt), frequencySeconds: schedule.frequencySeconds, endAt: isoOrNull(schedule.endAt) }) };
    case "CRON":
      return { cron: setFields({ expression: schedule.expression, startAt: isoOrNull(schedule.startAt), endAt: isoOrNull(schedule.endAt), ...exclusionFields(schedule) }) };
    case "ONCE":
      return { once: { at: schedule.at.toISOString() } };
    case "CALENDAR": {
      const { kind: frequency, ...rule } = schedule.rule;
      return {
        calendar: setFields({
          frequency,
          timeOfDay: schedule.timeOfDay,
          ...rule,
          ...exclusionFields(schedule),
          startAt: isoOrNull(schedule.startAt),
          endAt: isoOrNull(schedule.endAt),
        }),
      };
    }
    case "WINDOW":
      return {
        window: {
          definitions: schedule.definitions,
          ...setFields({ seed: schedule.seed, ...exclusionFields(schedule), startAt: isoOrNull(schedule.startAt), endAt: isoOrNull(schedule.endAt) }),
        },
      };
    case "ANY_OF":
    case "ALL_OF":
      return { [schedule.kind === "ANY_OF" ? "anyOf" : "allOf"]: { schedules: schedule.schedules.map(scheduleInputOf), ...setFields(exclusionFields(schedule)) } };
  }
}

/** The schedule with a seed for its spread windows that have none (a saved task's, so that they differ from task to task). */
export function withWindowSeed(schedule: Schedule, seed: string): Schedule {
  if (schedule.kind === "WINDOW") return schedule.seed === null ? { ...schedule, seed } : schedule;
  if (schedule.kind === "ANY_OF" || schedule.kind === "ALL_OF") return { ...schedule, schedules: schedule.schedules.map((child) => withWindowSeed(child, seed)) };
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
    case "WINDOW":
      return { ...schedule, startAt: isoOrNull(schedule.startAt), endAt: isoOrNull(schedule.endAt) };
    case "ANY_OF":
    case "ALL_OF":
      return { ...schedule, schedules: schedule.schedules.map(storedSchedule) };
  }
}

/** Rows written before a kind had exclusions have none. */
const storedExclusions = (stored: Record<string, unknown>) => ({
  excludedDates: (stored.excludedDates as string[] | undefined) ?? [],
  excludedTimeRanges: (stored.excludedTimeRanges as string[] | undefined) ?? [],
});

/** Reads a stored schedule; rows written by this code always have the right shape. */
export function scheduleFromJson(json: unknown): Schedule {
  const stored = json as Record<string, unknown> & { kind: ScheduleKind };
  switch (stored.kind) {
    case "STANDARD":
      return { kind: "STANDARD", startAt: dateOrNull(stored.startAt), frequencySeconds: (stored.frequencySeconds as number | null) ?? null, endAt: dateOrNull(stored.endAt) };
    case "ONCE":
      return { kind: "ONCE", at: new Date(stored.at as string) };
    case "CRON":
      return { kind: "CRON", expression: stored.expression as string, startAt: dateOrNull(stored.startAt), endAt: dateOrNull(stored.endAt), ...storedExclusions(stored) };
    case "CALENDAR":
      return {
        kind: "CALENDAR",
        rule: stored.rule as CalendarRule,
        timeOfDay: stored.timeOfDay as string,
        startAt: dateOrNull(stored.startAt),
        endAt: dateOrNull(stored.endAt),
        ...storedExclusions(stored),
      };
    case "WINDOW":
      return {
        kind: "WINDOW",
        definitions: stored.definitions as string[],
        seed: (stored.seed as string | null) ?? null,
        startAt: dateOrNull(stored.startAt),
        endAt: dateOrNull(stored.endAt),
        ...storedExclusions(stored),
      };
    case "ANY_OF":
    case "ALL_OF":
      return { kind: stored.kind, schedules: (stored.schedules as unknown[]).map(scheduleFromJson), ...storedExclusions(stored) };
  }
}
