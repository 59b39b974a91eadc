import { builder } from "../builder.js";
import { maxCombinedSchedules, maxExcludedTimeRanges, maxWindowDefinitions, scheduleFromInput, scheduleInputOf, scheduleKinds, weekdays } from "../domain/task-schedule.js";
import { ValidationError } from "../domain/errors.js";
import { dstPolicies, scheduleOccurrences, type Exclusions } from "../scheduler/time/index.js";
import type { CalendarRule, Schedule } from "../scheduler/time/schedule.js";
import { parseInput } from "../domain/input-rules.js";
import { listMaxima, maxItems } from "./list-limits.js";
import { maxAllOfSteps } from "../scheduler/time/occurrences.js";
import { previewInstantCost } from "./query-cost.js";
import { z } from "zod";
import { takeInSlices } from "../event-loop-slices.js";

export const ScheduleKind = builder.enumType("ScheduleKind", { values: scheduleKinds });
export const DstPolicy = builder.enumType("DstPolicy", {
  description:
    "How a wall-clock schedule (cron, calendar, window, and those inside anyOf/allOf) fires at local times that do not exist (clocks go forward) or occur twice (clocks go back). A fixed-time job names times of day (`30 2 * * *`, `0 0,2 * * *`, a calendar rule, a window); an interval-style cron job has a wildcard or step in its seconds, minutes or hours (`*/20 2 * * *`). standard schedules and `@every` count absolute time and are never moved.",
  values: {
    VIXIE: { description: "Vixie cron's rules (the default): a fixed time in the gap runs at the end of the gap, the same day; a repeated fixed time runs once, on its first pass; interval-style jobs skip the gap and run both passes." },
    END_OF_GAP: { description: "As VIXIE, but an interval-style job with any time in the gap also runs once at the end of the gap (`*/20 2 * * *` runs at 03:00 when 02:00-03:00 does not exist, instead of skipping the day)." },
    SKIP: { description: "As VIXIE, but a time in the gap never runs, fixed or not." },
    BOTH_PASSES: { description: "As VIXIE, but a fixed time in the repeated hour runs on both passes (01:30 EDT and 01:30 EST)." },
  } satisfies Record<(typeof dstPolicies)[number], { description: string }>,
});
export const Weekday = builder.enumType("Weekday", { values: weekdays });
export const CalendarFrequency = builder.enumType("CalendarFrequency", {
  values: {
    DAILY: { description: "Every day." },
    WEEKLY: { description: "On the chosen `weekdays`." },
    MONTHLY_DAY: { description: "On `day` of each month; negative counts from the end (-1 is the last day)." },
    MONTHLY_WEEKDAY: { description: "On the `ordinal` (1..5, or -1 for the last) `weekday` of each month." },
  },
});

const StandardScheduleInput = builder.inputType("StandardScheduleInput", {
  description:
    "Every `frequencySeconds` from `startAt` until `endAt`; without a frequency, once at `startAt`. Without `startAt` the series starts when the task is scheduled (created with `schedule: true`, resumed, or its schedule changed while active).",
  fields: (t) => ({
    startAt: t.field({ type: "DateTime" }),
    frequencySeconds: t.int(),
    endAt: t.field({ type: "DateTime" }),
  }),
});

const excludedDatesDescription = "Local dates (YYYY-MM-DD) on which nothing fires, without pausing the series.";
const excludedTimeRangesDescription = "Local times of day HH:MM-HH:MM (start included, end excluded, 24:00 for midnight) in which nothing fires, every day.";

const CronScheduleInput = builder.inputType("CronScheduleInput", {
  description:
    "A cron expression (5 fields, 6 with seconds first, optional 7th year), a nickname like @daily, or @every 10m. A restricted day of month and a restricted day of week match on either (Vixie cron's OR rule: `0 0 1 * FRI` is the 1st and every Friday). Months without the day are skipped (`0 0 31 * *` fires in the seven months that have a 31st). Without a year field nothing fires after 2999-12-31.",
  fields: (t) => ({
    expression: t.string({ required: true }),
    startAt: t.field({ type: "DateTime" }),
    endAt: t.field({ type: "DateTime" }),
    excludedDates: t.stringList(maxItems(listMaxima.excludedDates, excludedDatesDescription)),
    excludedTimeRanges: t.stringList(maxItems(maxExcludedTimeRanges, excludedTimeRangesDescription)),
  }),
});

const WindowScheduleInput = builder.inputType("WindowScheduleInput", {
  description:
    "OpenSVC schedule definitions, `[!] <timeranges> [<days> [<weeks> [<months>]]]`: e.g. `00:00-06:00@60 mon-fri`, `~22:00-02:00`, `16:00-21:00@30 *:last`, `! * wed`. Each allowed window fires at its start and then every interval while within it (its end included), at most once when it has no interval; `!` definitions allow nothing in what they cover; see README \"Scheduling\".",
  fields: (t) => ({
    definitions: t.stringList({ required: true, ...maxItems(maxWindowDefinitions, "Definitions; an instant fires when any definition without ! allows it and no ! definition covers it.") }),
    seed: t.string({ description: "Chooses where spread (`~`) windows fire, so that a preview with the task's seed lists what fires. A task saved without one takes its name." }),
    excludedDates: t.stringList(maxItems(listMaxima.excludedDates, excludedDatesDescription)),
    excludedTimeRanges: t.stringList(maxItems(maxExcludedTimeRanges, excludedTimeRangesDescription)),
    startAt: t.field({ type: "DateTime" }),
    endAt: t.field({ type: "DateTime" }),
  }),
});

const OnceScheduleInput = builder.inputType("OnceScheduleInput", {
  fields: (t) => ({ at: t.field({ type: "DateTime", required: true }) }),
});

const CalendarScheduleInput = builder.inputType("CalendarScheduleInput", {
  description: "At `timeOfDay` (HH:MM or HH:MM:SS, local to the task's timezone) on the days the frequency selects.",
  fields: (t) => ({
    frequency: t.field({ type: CalendarFrequency, required: true }),
    timeOfDay: t.string({ required: true }),
    weekdays: t.field({ type: [Weekday], ...maxItems(weekdays.length) }),
    day: t.int(),
    ordinal: t.int(),
    weekday: t.field({ type: Weekday }),
    excludedDates: t.stringList(maxItems(listMaxima.excludedDates, excludedDatesDescription)),
    excludedTimeRanges: t.stringList(maxItems(maxExcludedTimeRanges, excludedTimeRangesDescription)),
    startAt: t.field({ type: "DateTime" }),
    endAt: t.field({ type: "DateTime" }),
  }),
});

interface CombinedScheduleInputShape {
  schedules: ScheduleInputShape[];
  excludedDates?: string[] | null;
  excludedTimeRanges?: string[] | null;
}
// The fields' own types are checked by the domain's schema (zod); here only the shape matters.
type ScheduleInputShape = Record<string, unknown>;

export const ScheduleInput = builder.inputRef<ScheduleInputShape>("ScheduleInput");
const CombinedScheduleInput = builder.inputRef<CombinedScheduleInputShape>("CombinedScheduleInput");

CombinedScheduleInput.implement({
  description: "Schedules combined; they nest up to 3 levels, counting the outermost anyOf or allOf.",
  fields: (t) => ({
    schedules: t.field({ type: [ScheduleInput], required: true, ...maxItems(maxCombinedSchedules) }),
    excludedDates: t.stringList(maxItems(listMaxima.excludedDates, excludedDatesDescription)),
    excludedTimeRanges: t.stringList(maxItems(maxExcludedTimeRanges, excludedTimeRangesDescription)),
  }),
});

ScheduleInput.implement({
  description: "Exactly one kind of schedule.",
  fields: (t) => ({
    standard: t.field({ type: StandardScheduleInput }),
    cron: t.field({ type: CronScheduleInput }),
    once: t.field({ type: OnceScheduleInput }),
    calendar: t.field({ type: CalendarScheduleInput }),
    window: t.field({ type: WindowScheduleInput }),
    anyOf: t.field({ type: CombinedScheduleInput, description: "Fires at every instant of any of the schedules; an instant several share fires once." }),
    allOf: t.field({
      type: CombinedScheduleInput,
      description: `Fires at the instants of the first schedule that every other one has too (APScheduler's AndTrigger); a search that finds no shared instant within ${maxAllOfSteps} steps ends the series.`,
    }),
  }),
});

const StandardSchedule = builder.objectRef<Extract<Schedule, { kind: "STANDARD" }>>("StandardSchedule").implement({
  fields: (t) => ({
    startAt: t.expose("startAt", { type: "DateTime", nullable: true, description: "Null until the task is first scheduled, when no startAt was given." }),
    frequencySeconds: t.exposeInt("frequencySeconds", { nullable: true }),
    endAt: t.expose("endAt", { type: "DateTime", nullable: true }),
  }),
});

const CronSchedule = builder.objectRef<Extract<Schedule, { kind: "CRON" }>>("CronSchedule").implement({
  fields: (t) => ({
    expression: t.exposeString("expression"),
    startAt: t.expose("startAt", { type: "DateTime", nullable: true }),
    endAt: t.expose("endAt", { type: "DateTime", nullable: true }),
    excludedDates: t.exposeStringList("excludedDates"),
    excludedTimeRanges: t.exposeStringList("excludedTimeRanges"),
  }),
});

const WindowSchedule = builder.objectRef<Extract<Schedule, { kind: "WINDOW" }>>("WindowSchedule").implement({
  fields: (t) => ({
    definitions: t.exposeStringList("definitions"),
    seed: t.exposeString("seed", { nullable: true }),
    excludedDates: t.exposeStringList("excludedDates"),
    excludedTimeRanges: t.exposeStringList("excludedTimeRanges"),
    startAt: t.expose("startAt", { type: "DateTime", nullable: true }),
    endAt: t.expose("endAt", { type: "DateTime", nullable: true }),
  }),
});

const OnceSchedule = builder.objectRef<Extract<Schedule, { kind: "ONCE" }>>("OnceSchedule").implement({
  fields: (t) => ({ at: t.expose("at", { type: "DateTime" }) }),
});

const ruleField = <K extends string>(rule: CalendarRule, key: K) => (key in rule ? (rule as Record<K, unknown>)[key] : null);

const CalendarSchedule = builder.objectRef<Extract<Schedule, { kind: "CALENDAR" }>>("CalendarSchedule").implement({
  fields: (t) => ({
    frequency: t.field({ type: CalendarFrequency, resolve: (s) => s.rule.kind }),
    timeOfDay: t.exposeString("timeOfDay"),
    weekdays: t.field({ type: [Weekday], nullable: true, resolve: (s) => ruleField(s.rule, "weekdays") as (typeof weekdays)[number][] | null }),
    day: t.int({ nullable: true, resolve: (s) => ruleField(s.rule, "day") as number | null }),
    ordinal: t.int({ nullable: true, resolve: (s) => ruleField(s.rule, "ordinal") as number | null }),
    weekday: t.field({ type: Weekday, nullable: true, resolve: (s) => ruleField(s.rule, "weekday") as (typeof weekdays)[number] | null }),
    excludedDates: t.exposeStringList("excludedDates"),
    excludedTimeRanges: t.exposeStringList("excludedTimeRanges"),
    startAt: t.expose("startAt", { type: "DateTime", nullable: true }),
    endAt: t.expose("endAt", { type: "DateTime", nullable: true }),
  }),
});

type Combined = Extract<Schedule, { kind: "ANY_OF" | "ALL_OF" }> & Exclusions;

const only = <K extends Schedule["kind"]>(kind: K) => (s: Schedule) => (s.kind === kind ? (s as Extract<Schedule, { kind: K }>) : null);

export const ScheduleRef = builder.objectRef<Schedule>("Schedule");
const CombinedSchedule = builder.objectRef<Combined>("CombinedSchedule").implement({
  fields: (t) => ({
    schedules: t.field({ type: [ScheduleRef], resolve: (s) => s.schedules }),
    excludedDates: t.exposeStringList("excludedDates"),
    excludedTimeRanges: t.exposeStringList("excludedTimeRanges"),
  }),
});

ScheduleRef.implement({
  description: "When a task runs; exactly the field of its kind is set.",
  fields: (t) => ({
    kind: t.field({ type: ScheduleKind, resolve: (s) => s.kind }),
    asInput: t.field({
      type: "JSONObject",
      description: "The schedule as ScheduleInput writes it, nested schedules included: what previewSchedule, createTask and a schedules-as-code file take back.",
      resolve: (s) => scheduleInputOf(s),
    }),
    standard: t.field({ type: StandardSchedule, nullable: true, resolve: only("STANDARD") }),
    cron: t.field({ type: CronSchedule, nullable: true, resolve: only("CRON") }),
    once: t.field({ type: OnceSchedule, nullable: true, resolve: only("ONCE") }),
    calendar: t.field({ type: CalendarSchedule, nullable: true, resolve: only("CALENDAR") }),
    window: t.field({ type: WindowSchedule, nullable: true, resolve: only("WINDOW") }),
    anyOf: t.field({ type: CombinedSchedule, nullable: true, resolve: only("ANY_OF") }),
    allOf: t.field({ type: CombinedSchedule, nullable: true, resolve: only("ALL_OF") }),
  }),
});

export const maxPreviewCount = 1_000;
export const previewCount = z.number().int().min(1, "must be at least 1").max(maxPreviewCount, `must be at most ${maxPreviewCount}`);

builder.queryField("previewSchedule", (t) =>
  t.field({
    type: ["DateTime"],
    description:
      "The first `count` fire instants at or after `from` (default: now) of a task scheduled at `from`, computed by the scheduler's own code.",
    args: {
      schedule: t.arg({ type: ScheduleInput, required: true }),
      timezone: t.arg.string({ defaultValue: "UTC", required: true }),
      from: t.arg({ type: "DateTime" }),
      dstPolicy: t.arg({ type: DstPolicy, defaultValue: "VIXIE", required: true }),
      count: t.arg.int({
        defaultValue: 10,
        required: true,
        description: `How many instants, 1 to ${maxPreviewCount}; each costs ${previewInstantCost} toward the operation's cost limit (GRAPHQL_MAX_COST).`,
      }),
    },
    // A count out of range is refused by the resolver with a ValidationError, not costed beyond the maximum.
    complexity: ({ count }) => 1 + previewInstantCost * Math.min(Math.max(count, 0), maxPreviewCount),
    errors: { types: [ValidationError], dataField: { name: "instants" } },
    // A preview of many instants takes up to ~150 ms: computed in slices, so the loop turns meanwhile.
    resolve: (_parent, args, ctx) => {
      const count = parseInput(previewCount, args.count, "count");
      const schedule = scheduleFromInput(args.schedule, args.timezone, ctx.now, "schedule", "timezone");
      return takeInSlices(scheduleOccurrences(schedule, args.timezone, args.from ?? ctx.now, args.dstPolicy), count);
    },
  }),
);
