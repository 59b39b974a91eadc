import { builder, operatorMutation } from "../builder.js";
import { ConfirmationRequiredError, StateError } from "../domain/errors.js";
import { taskStates, type MisfirePolicyName, type OverlapPolicy as OverlapPolicyName, type TaskState as TaskStateName } from "../domain/task-policies.js";
import type { RunStatus as RunStatusName } from "../domain/runs.js";
import { scheduleFromJson } from "../domain/task-schedule.js";
import { secondsUntil, type DstPolicy as DstPolicyName } from "../scheduler/time/index.js";
import { upcomingRuns } from "../domain/task-upcoming.js";
import { parseInput } from "../domain/input-rules.js";
import { takeInSlices } from "../event-loop-slices.js";
import { previewInstantCost } from "./query-cost.js";
import {
  createTask,
  deleteTask,
  duplicateTask,
  pauseTask,
  pauseTasksByTag,
  resumeTask,
  resumeTasksByTag,
  runTask,
  runTasksByTag,
  updateTask,
  type TaskDeps,
} from "../domain/tasks.js";
import { tagNames } from "../domain/tags.js";
import type { Context } from "../context.js";
import { Device } from "./device.js";
import { deleteErrors, writeErrors } from "./errors.js";
import { localId, localIds } from "./global-id.js";
import { listMaxima, maxItems } from "./list-limits.js";
import { nameContainsWhere, OrderDirection } from "./listing.js";
import { Pool } from "./pool.js";
import { Run, RunStatus } from "./run.js";
import { localNotifyRules, notifyListLimit, NotifyRule, NotifyRuleInput, notifyRulesOf } from "./notify-rule.js";
import { backfillOverlapPolicies, backfillTask, cancelBackfill, maxBackfillRuns, skipNextRun } from "../domain/run-requests.js";
import type { RunReport } from "../domain/runs.js";
import { DstPolicy, maxPreviewCount, previewCount, ScheduleInput, ScheduleRef } from "./schedule.js";
import { withSelection } from "./prisma-query.js";
import { prismaConnectionHelpers } from "@pothos/plugin-prisma";
import type { ChildRelation } from "./child-pages.js";

export const TaskState = builder.enumType("TaskState", {
  values: {
    // Keys match taskStates in src/domain/task-policies.ts.
    ACTIVE: { description: "Scheduled: fires at nextRunAt." },
    PAUSED: { description: "Not firing until resumed; can still be run by hand." },
    COMPLETED: { description: "The schedule has no occurrence left (endAt passed, maxRuns reached, one-shot done)." },
  },
});
const MisfirePolicy = builder.enumType("MisfirePolicy", {
  description: "What to do with occurrences missed (server down, loop late) beyond the grace period.",
  values: {
    SKIP: { description: "Record each as a SKIPPED run; run none." },
    RUN_ONCE: { description: "Run the latest once; record the others as skipped." },
    RUN_ALL: { description: "Run each, up to the latest 100; record the rest as skipped." },
  },
});
const OverlapPolicy = builder.enumType("OverlapPolicy", {
  description: "What an occurrence does while a previous run of the task is still queued or running.",
  values: {
    SKIP: { description: "Record it as skipped." },
    BUFFER_ONE: { description: "Queue it unless one is already waiting." },
    BUFFER_ALL: { description: "Queue it; runs go one after the other." },
    CANCEL_PREVIOUS: { description: "Cancel the active run and queue this one." },
    ALLOW: { description: "Queue it to run alongside." },
  },
});

/** A task's runs, newest first, paged per task (see child-pages.ts). */
const taskRuns: ChildRelation = { model: "Run", parentColumn: "taskId", order: [{ column: "claimedAt", descending: true }, { column: "id", descending: true }] };
const runPages = prismaConnectionHelpers(builder, "Run", { cursor: "id" });
type RunRow = Parameters<typeof runPages.resolve>[0][number];

export const Task = builder.prismaNode("Task", {
  id: { field: "id" },
  // Rows are read with the columns the query selects, not every column.
  select: { id: true },
  // node(id:) of a deleted task answers null, not an internal error.
  nullable: true,
  description: "A service to run against targets on a schedule.",
  fields: (t) => ({
    name: t.exposeString("name"),
    description: t.exposeString("description"),
    service: t.relation("service"),
    schedule: t.field({ type: ScheduleRef, select: { schedule: true }, resolve: (task) => scheduleFromJson(task.schedule) }),
    timezone: t.exposeString("timezone", { description: "IANA time zone the schedule's wall-clock times are in." }),
    dstPolicy: t.field({ type: DstPolicy, select: { dstPolicy: true }, resolve: (task) => task.dstPolicy as DstPolicyName }),
    upcomingRuns: t.field({
      type: ["DateTime"],
      description: `The next \`count\` instants this task fires (before jitter), from nextRunAt on: its schedule, exclusions, endAt, maxRuns and DST policy, computed by the scheduler's own code. Empty unless ACTIVE.`,
      args: {
        count: t.arg.int({
          defaultValue: 10,
          required: true,
          description: `How many instants, 1 to ${maxPreviewCount}; each costs ${previewInstantCost} toward the operation's cost limit (GRAPHQL_MAX_COST).`,
        }),
      },
      complexity: ({ count }) => 1 + previewInstantCost * Math.min(Math.max(count, 0), maxPreviewCount),
      select: { state: true, schedule: true, timezone: true, dstPolicy: true, nextRunAt: true, maxRuns: true, scheduledRunCount: true },
      resolve: (task, args) => {
        const count = parseInput(previewCount, args.count, "count");
        const upcoming = upcomingRuns({ ...task, schedule: scheduleFromJson(task.schedule), dstPolicy: task.dstPolicy as DstPolicyName });
        return takeInSlices(upcoming, count);
      },
    }),
    payload: t.expose("payload", { type: "JSONObject", description: "Merged over the service's default payload (top-level keys)." }),
    tags: t.stringList({ select: { tags: { select: { name: true } } }, resolve: (task) => tagNames(task.tags) }),
    targetDevices: t.field({
      type: [Device],
      description: "With targetPools, replaces the service's default targets when not empty.",
      select: (_args, _ctx, nestedSelection) => ({ targetDevices: { select: { device: nestedSelection(true) }, orderBy: { device: { name: "asc" } } } }),
      resolve: (task) => task.targetDevices.map((target) => target.device),
    }),
    targetPools: t.field({
      type: [Pool],
      select: (_args, _ctx, nestedSelection) => ({ targetPools: { select: { pool: nestedSelection(true) }, orderBy: { pool: { name: "asc" } } } }),
      resolve: (task) => task.targetPools.map((target) => target.pool),
    }),
    requiresConfirmation: t.exposeBoolean("requiresConfirmation"),
    state: t.field({ type: TaskState, select: { state: true }, resolve: (task) => task.state as TaskStateName }),
    pauseNote: t.exposeString("pauseNote", { nullable: true }),
    pausedAt: t.expose("pausedAt", { type: "DateTime", nullable: true }),
    pausedBy: t.exposeString("pausedBy", { nullable: true, description: "Name of the API token that paused it." }),
    misfirePolicy: t.field({ type: MisfirePolicy, select: { misfirePolicy: true }, resolve: (task) => task.misfirePolicy as MisfirePolicyName }),
    misfireGraceSeconds: t.exposeInt("misfireGraceSeconds"),
    overlapPolicy: t.field({ type: OverlapPolicy, select: { overlapPolicy: true }, resolve: (task) => task.overlapPolicy as OverlapPolicyName }),
    jitterSeconds: t.exposeInt("jitterSeconds"),
    maxRuns: t.exposeInt("maxRuns", {
      nullable: true,
      description: "The task is COMPLETED once runCount reaches it: runs of its occurrences count (the scheduler's, catch-ups, backfills), manual runs and skips do not.",
    }),
    maxAttempts: t.exposeInt("maxAttempts", { description: "Attempts per target; 1 means no retry." }),
    retryBackoffSeconds: t.exposeInt("retryBackoffSeconds", { description: "Wait before the first retry; doubled for each next one, jittered." }),
    deadlineSeconds: t.exposeInt("deadlineSeconds", { nullable: true, description: "A run not started this long after its fire time (a backfill's: after it was asked for) is SKIPPED." }),
    maxConcurrentRuns: t.exposeInt("maxConcurrentRuns", {
      nullable: true,
      description: "Under overlap policy ALLOW: at most this many runs of the task execute at once, across instances, and an occurrence that comes while this many are queued or running is SKIPPED.",
    }),
    runCount: t.exposeInt("scheduledRunCount", {
      description: "Runs of the schedule's occurrences queued so far, by the scheduler (catch-ups included) or a backfill; what maxRuns counts. Manual runs and skips do not count.",
    }),
    nextRunAt: t.expose("nextRunAt", { type: "DateTime", nullable: true, description: "The next occurrence, before jitter; null unless ACTIVE." }),
    secondsUntilNextRun: t.int({ nullable: true, select: { nextRunAt: true }, resolve: (task, _args, ctx) => secondsUntil(task.nextRunAt, ctx.now) }),
    lastRunAt: t.expose("lastRunAt", { type: "DateTime", nullable: true, description: "When the latest run (not skipped) started, or was due while it waits in the queue." }),
    notify: t.field({
      type: [NotifyRule],
      nullable: true,
      description: "Its notification rules; null: its service's (Service.notify) apply. Notification runs are runs of the task with trigger NOTIFICATION (see README \"Notifications\").",
      select: { notify: true },
      resolve: (row) => notifyRulesOf(row.notify),
    }),
    effectiveNotify: t.field({
      type: [NotifyRule],
      description: "The rules that apply: its own, else its service's, else none.",
      select: { notify: true, service: { select: { notify: true } } },
      resolve: (row) => notifyRulesOf(row.notify) ?? notifyRulesOf(row.service.notify) ?? [],
    }),
    lastRunStatus: t.field({
      type: RunStatus,
      nullable: true,
      description: "The status of that run.",
      select: { lastRunStatus: true },
      resolve: (task) => task.lastRunStatus as RunStatusName | null,
    }),
    runs: t.connection({
      type: Run,
      description: "This task's runs, newest first.",
      resolve: async (task, args, ctx, info) => runPages.resolve(await ctx.loaders.childPages.load<RunRow>(taskRuns, task.id, args, info, ctx), args, ctx, task),
    }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    createdBy: t.exposeString("createdBy", { nullable: true, description: "Name of the API token that created it." }),
    updatedBy: t.exposeString("updatedBy", { nullable: true, description: "Name of the API token that last edited it." }),
    updatedAt: t.expose("updatedAt", { type: "DateTime" }),
  }),
});

const TaskOrderField = builder.enumType("TaskOrderField", { values: ["NAME", "NEXT_RUN_AT", "CREATED_AT", "UPDATED_AT"] as const });

const TaskOrderInput = builder.inputType("TaskOrderInput", {
  description: "Sort order; tasks without a next run come last; ties are broken by id.",
  fields: (t) => ({
    field: t.field({ type: TaskOrderField, required: true }),
    direction: t.field({ type: OrderDirection, defaultValue: "ASC", required: true }),
  }),
});

const TaskFilter = builder.inputType("TaskFilter", {
  fields: (t) => ({
    states: t.field({ type: [TaskState], ...maxItems(taskStates.length) }),
    tag: t.string(),
    serviceId: t.id(),
    nameContains: t.string({ description: "Case-insensitive substring of the name." }),
  }),
});

type TaskFilterValue = typeof TaskFilter.$inferInput | null | undefined;

async function taskWhere(ctx: Context, filter: TaskFilterValue) {
  return {
    ...(filter?.states && { state: { in: filter.states } }),
    ...(filter?.tag && { tags: { some: { name: filter.tag } } }),
    ...(filter?.serviceId && { serviceId: localId(String(filter.serviceId), "Service", "filter.serviceId") }),
    ...(filter?.nameContains && (await nameContainsWhere(ctx, "Task", filter.nameContains))),
  };
}

function taskOrder(order: typeof TaskOrderInput.$inferInput | null | undefined) {
  const sort = order?.direction === "DESC" ? ("desc" as const) : ("asc" as const);
  const first = {
    NAME: { name: sort },
    NEXT_RUN_AT: { nextRunAt: { sort, nulls: "last" as const } },
    CREATED_AT: { createdAt: sort },
    UPDATED_AT: { updatedAt: sort },
  }[order?.field ?? "NAME"];
  return [first, { id: sort }];
}

builder.queryField("tasks", (t) =>
  t.prismaConnection({
    type: "Task",
    cursor: "id",
    args: { filter: t.arg({ type: TaskFilter }), orderBy: t.arg({ type: TaskOrderInput }) },
    totalCount: async (_parent, args, ctx) => ctx.db.task.count({ where: await taskWhere(ctx, args.filter) }),
    resolve: async (query, _parent, args, ctx) =>
      ctx.db.task.findMany({ ...withSelection(query), where: await taskWhere(ctx, args.filter), orderBy: taskOrder(args.orderBy) }),
  }),
);

const CreateTaskInput = builder.inputType("CreateTaskInput", {
  fields: (t) => ({
    name: t.string({ required: true }),
    description: t.string(),
    serviceId: t.id({ required: true }),
    schedule: t.field({ type: ScheduleInput, required: true }),
    timezone: t.string({ description: "IANA time zone, default UTC." }),
    dstPolicy: t.field({ type: DstPolicy, description: "Default VIXIE." }),
    targetDeviceIds: t.idList(maxItems(listMaxima.ids)),
    targetPoolIds: t.idList(maxItems(listMaxima.ids)),
    payload: t.field({ type: "JSONObject" }),
    tags: t.stringList(maxItems(listMaxima.tags)),
    requiresConfirmation: t.boolean(),
    misfirePolicy: t.field({ type: MisfirePolicy }),
    misfireGraceSeconds: t.int({ description: "Lateness tolerated before an occurrence counts as missed; default 60." }),
    overlapPolicy: t.field({ type: OverlapPolicy }),
    jitterSeconds: t.int({ description: "Random delay of 0..N seconds added to each occurrence." }),
    maxRuns: t.int({ description: "Complete the task after this many runs of its occurrences (scheduled, caught up or backfilled; not manual runs)." }),
    maxAttempts: t.int({ description: "Attempts per target, 1..20; default 1 (no retry)." }),
    retryBackoffSeconds: t.int({ description: "Wait before the first retry, 0..3600; doubled for each next one, jittered; default 10." }),
    deadlineSeconds: t.int({ description: "Skip a run that cannot start within this many seconds of its fire time." }),
    maxConcurrentRuns: t.int({ description: "1..1000, only with overlapPolicy ALLOW: runs of the task executing at once at most (APScheduler's max_instances)." }),
    notify: t.field({ type: [NotifyRuleInput], ...notifyListLimit, description: `Notification rules; left out or null: its service's apply. ${notifyListLimit.description}` }),
  }),
});

const UpdateTaskInput = builder.inputType("UpdateTaskInput", {
  description: "Fields left out keep their value; lists replace the set. Takes effect at once.",
  fields: (t) => ({
    id: t.id({ required: true }),
    name: t.string(),
    description: t.string(),
    serviceId: t.id(),
    schedule: t.field({ type: ScheduleInput }),
    timezone: t.string(),
    dstPolicy: t.field({ type: DstPolicy, description: "A new policy reschedules an active task from now, as a new timezone does." }),
    targetDeviceIds: t.idList(maxItems(listMaxima.ids)),
    targetPoolIds: t.idList(maxItems(listMaxima.ids)),
    payload: t.field({ type: "JSONObject" }),
    tags: t.stringList(maxItems(listMaxima.tags)),
    requiresConfirmation: t.boolean(),
    misfirePolicy: t.field({ type: MisfirePolicy }),
    misfireGraceSeconds: t.int(),
    overlapPolicy: t.field({ type: OverlapPolicy }),
    jitterSeconds: t.int(),
    maxRuns: t.int({ description: "Complete the task after this many runs of its occurrences (scheduled, caught up or backfilled; not manual runs)." }),
    maxAttempts: t.int(),
    retryBackoffSeconds: t.int(),
    deadlineSeconds: t.int(),
    maxConcurrentRuns: t.int({ description: "null removes the limit; set it with overlapPolicy ALLOW only." }),
    notify: t.field({ type: [NotifyRuleInput], ...notifyListLimit, description: `Replaces its notification rules; null: its service's apply. ${notifyListLimit.description}` }),
  }),
});

const TaskIdInput = builder.inputType("TaskIdInput", { fields: (t) => ({ id: t.id({ required: true }) }) });
const DuplicateTaskInput = builder.inputType("DuplicateTaskInput", {
  fields: (t) => ({ id: t.id({ required: true }), name: t.string({ description: 'Default: "<name> (copy)".' }) }),
});
const PauseTaskInput = builder.inputType("PauseTaskInput", {
  fields: (t) => ({
    id: t.id({ required: true }),
    note: t.string(),
    cancelQueued: t.boolean({
      defaultValue: false,
      required: true,
      description: "Also cancel the task's queued runs, in the same transaction. Without it, queued runs still start.",
    }),
  }),
});
const RunTaskInput = builder.inputType("RunTaskInput", {
  fields: (t) => ({
    id: t.id({ required: true }),
    confirm: t.boolean({ defaultValue: false, required: true }),
    payload: t.field({ type: "JSONObject", description: "For this run only: merged over the task's payload (top-level keys)." }),
    targetDeviceIds: t.idList(maxItems(listMaxima.ids, "For this run only: with targetPoolIds, replaces the task's targets when not empty.")),
    targetPoolIds: t.idList(maxItems(listMaxima.ids)),
  }),
});
const SkipNextRunInput = builder.inputType("SkipNextRunInput", {
  fields: (t) => ({ id: t.id({ required: true }), note: t.string({ description: "Why; recorded as the skipped run's reason." }) }),
});
const BackfillOverlapPolicy = builder.enumType("BackfillOverlapPolicy", {
  description: "How a backfill's runs go, whatever the task's overlap policy.",
  values: {
    BUFFER_ALL: { description: "One after the other, oldest first (the default)." },
    ALLOW: { description: "Side by side, within the task's maxConcurrentRuns." },
  } satisfies Record<(typeof backfillOverlapPolicies)[number], unknown>,
});
const BackfillTaskInput = builder.inputType("BackfillTaskInput", {
  fields: (t) => ({
    id: t.id({ required: true }),
    from: t.field({ type: "DateTime", required: true, description: "The first instant of the range, included." }),
    to: t.field({ type: "DateTime", required: true, description: "The last instant of the range, included; not after now." }),
    overlapPolicy: t.field({ type: BackfillOverlapPolicy, defaultValue: "BUFFER_ALL", required: true }),
    confirm: t.boolean({ defaultValue: false, required: true, description: "Needed when the task or its service requires confirmation." }),
  }),
});
const PauseTasksInput = builder.inputType("PauseTasksInput", {
  fields: (t) => ({
    tag: t.string({ required: true }),
    note: t.string(),
    cancelQueued: t.boolean({
      defaultValue: false,
      required: true,
      description:
        "Also cancel the queued runs of the tag's paused tasks (those this pauses and those paused already), in the same transaction. Without it, queued runs still start.",
    }),
  }),
});
const ResumeTasksInput = builder.inputType("ResumeTasksInput", { fields: (t) => ({ tag: t.string({ required: true }) }) });
const RunTasksInput = builder.inputType("RunTasksInput", {
  fields: (t) => ({ tag: t.string({ required: true }), confirm: t.boolean({ defaultValue: false, required: true }) }),
});

const deps = (ctx: Context): TaskDeps => ({ db: ctx.db, now: ctx.now, actor: ctx.principal?.name ?? null });

function withLocalReferences<
  T extends {
    serviceId?: string | number | null;
    targetDeviceIds?: readonly (string | number)[] | null;
    targetPoolIds?: readonly (string | number)[] | null;
    notify?: Parameters<typeof localNotifyRules>[0];
  },
>(
  input: T,
) {
  return {
    ...input,
    ...(input.serviceId != null && { serviceId: localId(String(input.serviceId), "Service", "input.serviceId") }),
    ...(input.targetDeviceIds && { targetDeviceIds: localIds(input.targetDeviceIds.map(String), "Device", "input.targetDeviceIds") }),
    ...(input.targetPoolIds && { targetPoolIds: localIds(input.targetPoolIds.map(String), "Pool", "input.targetPoolIds") }),
    ...(input.notify !== undefined && { notify: localNotifyRules(input.notify) }),
  };
}

const taskId = (id: string | number) => localId(String(id), "Task", "input.id");

/** Queued runs cancelled by a request end there: the live views hear of their end. */
function announceCancelled(ctx: Context, runs: RunReport[]): void {
  if (runs.length === 0) return;
  ctx.events.emit("runsCancelled", { runIds: runs.map((run) => run.id) });
  for (const run of runs) ctx.events.emit("runProgress", { type: "RUN_FINISHED", run, result: null });
}
const taskErrors = [...writeErrors, StateError];

builder.mutationFields((t) => ({
  createTask: t.prismaField({
    type: "Task",
    description: "Creates a task, PAUSED unless `schedule: true`.",
    args: {
      input: t.arg({ type: CreateTaskInput, required: true }),
      schedule: t.arg.boolean({ defaultValue: false, required: true, description: "Start scheduling it at once." }),
    },
    errors: { types: writeErrors, dataField: { name: "task" } },
    resolve: async (query, _parent, { input, schedule }, ctx) => {
      const id = await createTask(deps(ctx), withLocalReferences(input), schedule);
      ctx.events.emit("taskChanged", { taskId: id, change: "CREATED" });
      return ctx.db.task.findUniqueOrThrow({ ...withSelection(query), where: { id } });
    },
  }),
  updateTask: t.prismaField({
    type: "Task",
    args: { input: t.arg({ type: UpdateTaskInput, required: true }) },
    errors: { types: writeErrors, dataField: { name: "task" } },
    resolve: async (query, _parent, { input: { id: globalId, ...changes } }, ctx) => {
      const id = taskId(globalId);
      await updateTask(deps(ctx), id, withLocalReferences(changes));
      ctx.events.emit("taskChanged", { taskId: id, change: "UPDATED" });
      return ctx.db.task.findUniqueOrThrow({ ...withSelection(query), where: { id } });
    },
  }),
  duplicateTask: t.prismaField({
    type: "Task",
    description: "Copies a task with its settings, targets and tags; the copy is PAUSED.",
    args: { input: t.arg({ type: DuplicateTaskInput, required: true }) },
    errors: { types: writeErrors, dataField: { name: "task" } },
    resolve: async (query, _parent, { input }, ctx) => {
      const id = await duplicateTask(deps(ctx), taskId(input.id), input.name);
      ctx.events.emit("taskChanged", { taskId: id, change: "CREATED" });
      return ctx.db.task.findUniqueOrThrow({ ...withSelection(query), where: { id } });
    },
  }),
  deleteTask: t.id({
    args: { input: t.arg({ type: TaskIdInput, required: true }) },
    errors: { types: deleteErrors, dataField: { name: "deletedId" } },
    resolve: async (_parent, { input }, ctx) => {
      const id = taskId(input.id);
      await deleteTask(deps(ctx), id);
      ctx.events.emit("taskChanged", { taskId: id, change: "DELETED" });
      return input.id;
    },
  }),
  pauseTask: t.prismaField({
    ...operatorMutation,
    type: "Task",
    args: { input: t.arg({ type: PauseTaskInput, required: true }) },
    errors: { types: taskErrors, dataField: { name: "task" } },
    resolve: async (query, _parent, { input }, ctx) => {
      const id = taskId(input.id);
      const cancelled = await pauseTask(deps(ctx), id, input.note, input.cancelQueued);
      ctx.events.emit("taskChanged", { taskId: id, change: "PAUSED" });
      announceCancelled(ctx, cancelled);
      return ctx.db.task.findUniqueOrThrow({ ...withSelection(query), where: { id } });
    },
  }),
  resumeTask: t.prismaField({
    ...operatorMutation,
    type: "Task",
    description: "Schedules the task again from now; it is COMPLETED instead when nothing is left to run.",
    args: { input: t.arg({ type: TaskIdInput, required: true }) },
    errors: { types: taskErrors, dataField: { name: "task" } },
    resolve: async (query, _parent, { input }, ctx) => {
      const id = taskId(input.id);
      const state = await resumeTask(deps(ctx), id);
      ctx.events.emit("taskChanged", { taskId: id, change: state === "ACTIVE" ? "RESUMED" : "COMPLETED" });
      return ctx.db.task.findUniqueOrThrow({ ...withSelection(query), where: { id } });
    },
  }),
  runTask: t.prismaField({
    ...operatorMutation,
    type: "Run",
    description:
      "Queues a run now, also while paused, optionally with a payload and targets of its own (checked as the task's are). Needs confirm: true when the task or its service requires confirmation.",
    args: { input: t.arg({ type: RunTaskInput, required: true }) },
    errors: { types: [...writeErrors, ConfirmationRequiredError], dataField: { name: "run" } },
    resolve: async (query, _parent, { input }, ctx) => {
      const overrides = {
        payload: input.payload,
        targetDeviceIds: input.targetDeviceIds && localIds(input.targetDeviceIds.map(String), "Device", "input.targetDeviceIds"),
        targetPoolIds: input.targetPoolIds && localIds(input.targetPoolIds.map(String), "Pool", "input.targetPoolIds"),
      };
      const run = await runTask(deps(ctx), taskId(input.id), input.confirm, overrides);
      ctx.events.emit("runsCreated", { runs: [run] });
      return ctx.db.run.findUniqueOrThrow({ ...withSelection(query), where: { id: run.id } });
    },
  }),
  skipNextRun: t.prismaField({
    ...operatorMutation,
    type: "Run",
    description:
      "Skips the task's next occurrence: it is recorded as a SKIPPED run with the note as its reason and requestedBy, and the task's nextRunAt moves to the occurrence after. A StateError unless the task is ACTIVE.",
    args: { input: t.arg({ type: SkipNextRunInput, required: true }) },
    errors: { types: taskErrors, dataField: { name: "run" } },
    resolve: async (query, _parent, { input }, ctx) => {
      const id = taskId(input.id);
      const run = await skipNextRun(deps(ctx), id, input.note);
      ctx.events.emit("taskChanged", { taskId: id, change: "UPDATED" });
      ctx.events.emit("runsCreated", { runs: [run] });
      return ctx.db.run.findUniqueOrThrow({ ...withSelection(query), where: { id: run.id } });
    },
  }),
  backfillTask: t.prismaField({
    ...operatorMutation,
    type: ["Run"],
    description: `Queues a run (trigger BACKFILL) for each occurrence of the task's schedule in the range that has no run yet, oldest first; returns them. More than ${maxBackfillRuns} occurrences, or more runs than the task's maxRuns leaves, are refused whole (ValidationError on input.to); the runs count towards maxRuns, and reaching it completes the task. cancelBackfill cancels those still queued.`,
    args: { input: t.arg({ type: BackfillTaskInput, required: true }) },
    errors: { types: [...writeErrors, ConfirmationRequiredError], dataField: { name: "runs" } },
    resolve: async (query, _parent, { input }, ctx) => {
      const id = taskId(input.id);
      const { runs, completed } = await backfillTask({ ...deps(ctx), provider: ctx.provider }, id, input);
      if (runs.length > 0) {
        ctx.events.emit("runsCreated", { runs });
        // They counted towards maxRuns: the task's row (and the schedulers' copy of it) moved on.
        ctx.events.emit("taskChanged", { taskId: id, change: completed ? "COMPLETED" : "UPDATED" });
      }
      return ctx.db.run.findMany({ ...withSelection(query), where: { id: { in: runs.map((r) => r.id) } }, orderBy: [{ scheduledFor: "asc" }] });
    },
  }),
  cancelBackfill: t.prismaField({
    ...operatorMutation,
    type: ["Run"],
    description: "Cancels the task's backfill runs that are still queued; returns them. Those already running go on (cancelRun stops one).",
    args: { input: t.arg({ type: TaskIdInput, required: true }) },
    errors: { types: writeErrors, dataField: { name: "runs" } },
    resolve: async (query, _parent, { input }, ctx) => {
      const cancelled = await cancelBackfill(deps(ctx), taskId(input.id));
      announceCancelled(ctx, cancelled);
      return ctx.db.run.findMany({ ...withSelection(query), where: { id: { in: cancelled.map((r) => r.id) } }, orderBy: [{ scheduledFor: "asc" }] });
    },
  }),
  pauseTasks: t.prismaField({
    ...operatorMutation,
    type: ["Task"],
    description: "Pauses every active task carrying the tag, in one transaction; returns them.",
    args: { input: t.arg({ type: PauseTasksInput, required: true }) },
    errors: { types: [...writeErrors], dataField: { name: "tasks" } },
    resolve: async (query, _parent, { input }, ctx) => {
      const { ids, cancelled } = await pauseTasksByTag(deps(ctx), input.tag, input.note, input.cancelQueued);
      for (const id of ids) ctx.events.emit("taskChanged", { taskId: id, change: "PAUSED" });
      announceCancelled(ctx, cancelled);
      return ctx.db.task.findMany({ ...withSelection(query), where: { id: { in: ids } }, orderBy: { name: "asc" } });
    },
  }),
  resumeTasks: t.prismaField({
    ...operatorMutation,
    type: ["Task"],
    description: "Resumes every paused task carrying the tag; returns them.",
    args: { input: t.arg({ type: ResumeTasksInput, required: true }) },
    errors: { types: [...writeErrors], dataField: { name: "tasks" } },
    resolve: async (query, _parent, { input }, ctx) => {
      const resumed = await resumeTasksByTag(deps(ctx), input.tag);
      for (const { id, state } of resumed) ctx.events.emit("taskChanged", { taskId: id, change: state === "ACTIVE" ? "RESUMED" : "COMPLETED" });
      return ctx.db.task.findMany({ ...withSelection(query), where: { id: { in: resumed.map((t) => t.id) } }, orderBy: { name: "asc" } });
    },
  }),
  runTasks: t.prismaField({
    ...operatorMutation,
    type: ["Run"],
    description: "Queues a run of every task carrying the tag; with any needing confirmation and no confirm: true, none.",
    args: { input: t.arg({ type: RunTasksInput, required: true }) },
    errors: { types: [...writeErrors, ConfirmationRequiredError], dataField: { name: "runs" } },
    resolve: async (query, _parent, { input }, ctx) => {
      const runs = await runTasksByTag(deps(ctx), input.tag, input.confirm);
      if (runs.length > 0) ctx.events.emit("runsCreated", { runs });
      return ctx.db.run.findMany({ ...withSelection(query), where: { id: { in: runs.map((r) => r.id) } }, orderBy: { id: "asc" } });
    },
  }),
}));
