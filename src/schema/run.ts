import { builder } from "../builder.js";
import { runStatuses, runTriggers } from "../domain/runs.js";
import { localId } from "./global-id.js";

export const RunStatus = builder.enumType("RunStatus", { values: runStatuses });
export const RunTrigger = builder.enumType("RunTrigger", {
  values: {
    SCHEDULE: { description: "An occurrence of the schedule, on time." },
    MANUAL: { description: "Run by hand (runTask, runTasks)." },
    CATCHUP: { description: "An occurrence missed beyond the grace period, run by the misfire policy." },
    RETRY: { description: "Another attempt after a failure." },
  },
});

export const Run = builder.prismaNode("Run", {
  id: { field: "id" },
  // node(id:) of a deleted run answers null, not an internal error.
  nullable: true,
  description: "One execution of a task, or one occurrence skipped by policy (status SKIPPED, with the reason).",
  fields: (t) => ({
    task: t.relation("task"),
    trigger: t.field({ type: RunTrigger, select: { trigger: true }, resolve: (run) => run.trigger as (typeof runTriggers)[number] }),
    status: t.field({ type: RunStatus, select: { status: true }, resolve: (run) => run.status as (typeof runStatuses)[number] }),
    scheduledFor: t.expose("scheduledFor", { type: "DateTime", description: "The occurrence, or when it was asked for (manual runs)." }),
    jitterMs: t.exposeInt("jitterMs", { description: "Random delay added to this occurrence." }),
    reason: t.exposeString("reason", { nullable: true }),
    payload: t.expose("payload", { type: "JSONObject", description: "The task's payload over its service's default payload." }),
    claimedAt: t.expose("claimedAt", { type: "DateTime", description: "When it was claimed; claimedAt - scheduledFor is the fire lag." }),
    startedAt: t.expose("startedAt", { type: "DateTime", nullable: true }),
    finishedAt: t.expose("finishedAt", { type: "DateTime", nullable: true }),
  }),
});

export const RunFilter = builder.inputType("RunFilter", {
  fields: (t) => ({
    taskId: t.id(),
    statuses: t.field({ type: [RunStatus] }),
    triggers: t.field({ type: [RunTrigger] }),
    scheduledAfter: t.field({ type: "DateTime" }),
    scheduledBefore: t.field({ type: "DateTime" }),
  }),
});

builder.queryField("runs", (t) =>
  t.prismaConnection({
    type: "Run",
    cursor: "id",
    description: "Runs, newest first.",
    args: { filter: t.arg({ type: RunFilter }) },
    resolve: (query, _parent, { filter }, ctx) =>
      ctx.db.run.findMany({
        ...query,
        where: {
          ...(filter?.taskId && { taskId: localId(String(filter.taskId), "Task", "filter.taskId") }),
          ...(filter?.statuses && { status: { in: filter.statuses } }),
          ...(filter?.triggers && { trigger: { in: filter.triggers } }),
          ...((filter?.scheduledAfter || filter?.scheduledBefore) && {
            scheduledFor: { ...(filter.scheduledAfter && { gte: filter.scheduledAfter }), ...(filter.scheduledBefore && { lt: filter.scheduledBefore }) },
          }),
        },
        orderBy: [{ claimedAt: "desc" }, { id: "desc" }],
      }),
  }),
);
