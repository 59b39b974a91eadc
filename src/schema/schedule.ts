import { builder } from "../builder.js";
import { calendarFrequencies, scheduleFromInput, scheduleKinds, weekdays } from "../domain/task-schedule.js";
import { ValidationError } from "../domain/errors.js";
import { scheduleOccurrences } from "../scheduler/time/index.js";
import type { CalendarRule, Schedule } from "../scheduler/time/schedule.js";
import { parseInput } from "../domain/input-rules.js";
import { listMaxima, maxItems } from "./list-limits.js";
import { previewInstantCost } from "./query-cost.js";
import { z } from "zod";
import { takeInSlices } from "../event-loop-slices.js";

export const ScheduleKind = builder.enumType("ScheduleKind", { values: scheduleKinds });
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

const CronScheduleInput = builder.inputType("CronScheduleInput", {
  description: "A cron expression (5 fields, 6 with seconds first, optional 7th year), a nickname like @daily, or @every 10m.",
  fields: (t) => ({
    expression: t.string({ required: true }),
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
    excludedDates: t.stringList(maxItems(listMaxima.excludedDates, "Local dates (YYYY-MM-DD) to skip without pausing the series.")),
    startAt: t.field({ type: "DateTime" }),
    endAt: t.field({ type: "DateTime" }),
  }),
});

export const ScheduleInput = builder.inputType("ScheduleInput", {
  description: "Exactly one kind of schedule.",
  fields: (t) => ({
    standard: t.field({ type: StandardScheduleInput }),
    cron: t.field({ type: CronScheduleInput }),
    once: t.field({ type: OnceScheduleInput }),
    calendar: t.field({ type: CalendarScheduleInput }),
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
    startAt: t.expose("startAt", { type: "DateTime", nullable: true }),
    endAt: t.expose("endAt", { type: "DateTime", nullable: true }),
  }),
});

const only = <K extends Schedule["kind"]>(kind: K) => (s: Schedule) => (s.kind === kind ? (s as Extract<Schedule, { kind: K }>) : null);

export const ScheduleRef = builder.objectRef<Schedule>("Schedule").implement({
  description: "When a task runs; exactly the field of its kind is set.",
  fields: (t) => ({
    kind: t.field({ type: ScheduleKind, resolve: (s) => s.kind }),
    standard: t.field({ type: StandardSchedule, nullable: true, resolve: only("STANDARD") }),
    cron: t.field({ type: CronSchedule, nullable: true, resolve: only("CRON") }),
    once: t.field({ type: OnceSchedule, nullable: true, resolve: only("ONCE") }),
    calendar: t.field({ type: CalendarSchedule, nullable: true, resolve: only("CALENDAR") }),
  }),
});

const maxPreviewCount = 1_000;
const previewCount = z.number().int().min(1, "must be at least 1").max(maxPreviewCount, `must be at most ${maxPreviewCount}`);

builder.queryField("previewSchedule", (t) =>
  t.field({
    type: ["DateTime"],
    description:
      "The first `count` fire instants at or after `from` (default: now) of a task scheduled at `from`, computed by the scheduler's own code.",
    args: {
      schedule: t.arg({ type: ScheduleInput, required: true }),
      timezone: t.arg.string({ defaultValue: "UTC", required: true }),
      from: t.arg({ type: "DateTime" }),
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
      return takeInSlices(scheduleOccurrences(schedule, args.timezone, args.from ?? ctx.now), count);
    },
  }),
);
