import { encodeGlobalID } from "@pothos/plugin-relay";
import { z } from "zod";
import { RunStep } from "./run-step.js";
import { builder } from "../builder.js";
import { limits, parseInput, tagRule } from "../domain/input-rules.js";
import { taskChanges } from "../events/event-bus.js";
import type { TaskSummaryAt } from "../live/task-summaries.js";
import type { RunReport } from "../domain/runs.js";
import { taskStates } from "../domain/task-policies.js";
import type { TaskFilter } from "../live/live-schedule.js";
import { localIds } from "./global-id.js";
import { listMaxima, maxItems } from "./list-limits.js";
import { RunStatus, RunTrigger } from "./run.js";
import { ScheduleRef } from "./schedule.js";
import { TaskState } from "./task.js";

export const TaskChange = builder.enumType("TaskChange", { values: taskChanges });

export const TaskSummary = builder.objectRef<TaskSummaryAt>("TaskSummary").implement({
  description: "A task as the live views show it: enough for a row of a schedule table. `id` is the Task's id.",
  fields: (t) => ({
    id: t.id({ resolve: (task) => encodeGlobalID("Task", task.id) }),
    name: t.exposeString("name"),
    state: t.field({ type: TaskState, resolve: (task) => task.state }),
    tags: t.exposeStringList("tags"),
    serviceId: t.id({ resolve: (task) => encodeGlobalID("Service", task.serviceId) }),
    serviceName: t.exposeString("serviceName"),
    schedule: t.field({ type: ScheduleRef, resolve: (task) => task.schedule }),
    timezone: t.exposeString("timezone", { description: "IANA time zone the schedule's wall-clock times are in." }),
    pauseNote: t.exposeString("pauseNote", { nullable: true }),
    nextRunAt: t.expose("nextRunAt", { type: "DateTime", nullable: true }),
    secondsUntilNextRun: t.exposeInt("secondsUntilNextRun", { nullable: true, description: "At the event's `at`." }),
    lastRunAt: t.expose("lastRunAt", { type: "DateTime", nullable: true }),
    lastRunStatus: t.field({ type: RunStatus, nullable: true, resolve: (task) => task.lastRunStatus }),
  }),
});

export const RunSummary = builder.objectRef<RunReport>("RunSummary").implement({
  description: "A run as the live views report it, enough to update a row. `id` is the Run's id.",
  fields: (t) => ({
    id: t.id({ resolve: (run) => encodeGlobalID("Run", run.id) }),
    taskId: t.id({ resolve: (run) => encodeGlobalID("Task", run.taskId) }),
    trigger: t.field({ type: RunTrigger, resolve: (run) => run.trigger }),
    status: t.field({ type: RunStatus, resolve: (run) => run.status }),
    scheduledFor: t.expose("scheduledFor", { type: "DateTime" }),
    reason: t.exposeString("reason", { nullable: true }),
    startedAt: t.expose("startedAt", { type: "DateTime", nullable: true }),
    finishedAt: t.expose("finishedAt", { type: "DateTime", nullable: true }),
    targetCount: t.exposeInt("targetCount"),
    succeededCount: t.exposeInt("succeededCount"),
    failedCount: t.exposeInt("failedCount", { description: "Targets that did not succeed." }),
    steps: t.field({
      type: [RunStep],
      description: "A WORKFLOW run's step tree as it stands, in the order the steps started (steps of nested workflows named \"outer/inner\"); empty for other runs, and in events that do not carry it (RUN_QUEUED). Events relayed from another Cronline process carry it as read when relayed.",
      resolve: (run) => run.steps ?? [],
    }),
  }),
});

export const LiveTaskFilter = builder.inputType("LiveTaskFilter", {
  description: "Which tasks a live view follows; a list left out does not restrict. Tags match when the task has any of them.",
  fields: (t) => ({
    tags: t.stringList(maxItems(listMaxima.filterTags)),
    states: t.field({ type: [TaskState], ...maxItems(taskStates.length) }),
    taskIds: t.idList(maxItems(listMaxima.ids)),
    serviceIds: t.idList(maxItems(listMaxima.ids)),
  }),
});

const filterTags = z.array(tagRule).max(limits.tagsPerFilter, `must name at most ${limits.tagsPerFilter} tags`);

/** The filter with database ids; a ValidationError names what is wrong. */
export function parseLiveTaskFilter(filter: typeof LiveTaskFilter.$inferInput | null | undefined): TaskFilter {
  return {
    tags: parseInput(filterTags, filter?.tags ?? [], "filter.tags"),
    states: filter?.states ?? [],
    taskIds: localIds((filter?.taskIds ?? []).map(String), "Task", "filter.taskIds"),
    serviceIds: localIds((filter?.serviceIds ?? []).map(String), "Service", "filter.serviceIds"),
  };
}
