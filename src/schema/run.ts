import { decodeGlobalID } from "@pothos/plugin-relay";
import { builder, operatorMutation } from "../builder.js";
import { ConfirmationRequiredError, NotFoundError, StateError, ValidationError } from "../domain/errors.js";
import { rerunFailedTargets } from "../domain/run-requests.js";
import { cancelRun } from "../domain/run-control.js";
import { runReportColumns, runResultStatuses, runStatuses, runTriggers, type RunReport, type StepReport } from "../domain/runs.js";
import { localId } from "./global-id.js";
import { maxItems } from "./list-limits.js";
import { RunResult, RunResultStatus } from "./run-result.js";
import { RunStep } from "./run-step.js";
import { prismaConnectionHelpers } from "@pothos/plugin-prisma";
import type { ChildFilter, ChildRelation } from "./child-pages.js";
import { withSelection } from "./prisma-query.js";

export const RunStatus = builder.enumType("RunStatus", {
  values: {
    // Keys match runStatuses in src/domain/runs.ts.
    QUEUED: { description: "Waiting for the executor." },
    RUNNING: { description: "Being executed against its targets." },
    SUCCEEDED: { description: "Every target succeeded (a WORKFLOW: every step that failed was followed by a step on FAILURE)." },
    FAILED: { description: "At least one target failed (see the counts and results), a WORKFLOW step failed with no failure branch, or the run was interrupted." },
    TIMED_OUT: { description: "Every target that did not succeed timed out." },
    CANCELLED: { description: "Stopped by cancelRun, by a newer occurrence (CANCEL_PREVIOUS) or by a shutdown." },
    SKIPPED: { description: "Not executed: skipped by a policy or its deadline; see reason." },
  } satisfies Record<(typeof runStatuses)[number], unknown>,
});
export const RunTrigger = builder.enumType("RunTrigger", {
  values: {
    SCHEDULE: { description: "An occurrence of the schedule, on time." },
    MANUAL: { description: "Run by hand (runTask, runTasks)." },
    CATCHUP: { description: "An occurrence missed beyond the grace period, run by the misfire policy." },
    RETRY: { description: "A re-run of a run interrupted by a crash (misfire policy RUN_ONCE or RUN_ALL)." },
    BACKFILL: { description: "A past occurrence queued by backfillTask." },
    NOTIFICATION: {
      description:
        "A notification about another run of the task (see Task.notify): runs the rule's service with the run's summary as payload, outside the task's overlap policy and lastRunStatus.",
    },
  } satisfies Record<(typeof runTriggers)[number], unknown>,
});

/** A run's results in the order they started, paged per run (see child-pages.ts). */
const runResults: ChildRelation = { model: "RunResult", parentColumn: "runId", order: [{ column: "startedAt", descending: false }, { column: "id", descending: false }] };
const resultPages = prismaConnectionHelpers(builder, "RunResult", { cursor: "id" });
type ResultRow = Parameters<typeof resultPages.resolve>[0][number];
const statusFilter = (statuses: readonly string[] | null | undefined): ChildFilter | null => (statuses ? { column: "status", values: statuses } : null);

export const Run = builder.prismaNode("Run", {
  id: { field: "id" },
  // Rows are read with the columns the query selects, not every column.
  select: { id: true },
  // node(id:) of a deleted run answers null, not an internal error.
  nullable: true,
  description: "One execution of a task, or one occurrence skipped by policy (status SKIPPED, with the reason).",
  fields: (t) => ({
    task: t.relation("task"),
    service: t.relation("service", {
      nullable: true,
      description: "A NOTIFICATION run's service, which it ran instead of the task's (against that service's own targets); null for other runs.",
    }),
    trigger: t.field({ type: RunTrigger, select: { trigger: true }, resolve: (run) => run.trigger as (typeof runTriggers)[number] }),
    status: t.field({ type: RunStatus, select: { status: true }, resolve: (run) => run.status as (typeof runStatuses)[number] }),
    scheduledFor: t.expose("scheduledFor", { type: "DateTime", description: "The occurrence, or when it was asked for (manual runs)." }),
    jitterMs: t.exposeInt("jitterMs", { description: "Random delay added to this occurrence." }),
    reason: t.exposeString("reason", { nullable: true, description: "Why it was skipped, cancelled or failed (e.g. \"interrupted\", \"2 failed of 5 targets\")." }),
    payload: t.expose("payload", { type: "JSONObject", description: "The task's payload over its service's default payload." }),
    claimedAt: t.expose("claimedAt", { type: "DateTime", description: "When it was claimed; claimedAt - scheduledFor is the fire lag." }),
    requestedBy: t.exposeString("requestedBy", { nullable: true, description: "Name of the API token that asked for it: manual runs, skips, backfills, re-runs." }),
    ownTargets: t.boolean({
      description: "Whether it runs against targets of its own (runTask with targets, rerunFailedTargets) rather than its task's.",
      select: { targets: true },
      resolve: (run) => run.targets !== null,
    }),
    startedAt: t.expose("startedAt", { type: "DateTime", nullable: true }),
    finishedAt: t.expose("finishedAt", { type: "DateTime", nullable: true }),
    targetCount: t.exposeInt("targetCount", { description: "Targets executed (1 for a run without targets)." }),
    succeededCount: t.exposeInt("succeededCount"),
    failedCount: t.exposeInt("failedCount", { description: "Targets whose last attempt did not succeed." }),
    steps: t.field({
      type: [RunStep],
      select: { id: true },
      description: 'A WORKFLOW run\'s steps, in the order they started (steps of nested workflows named "outer/inner": the step tree); empty for other runs.',
      resolve: async (run, _args, ctx) => {
        const rows = await ctx.db.runStep.findMany({ where: { runId: run.id }, orderBy: [{ startedAt: "asc" }, { name: "asc" }] });
        return rows.map(({ runId: _runId, ...row }) => ({ ...row, status: row.status as StepReport["status"] }));
      },
    }),
    results: t.connection(
      {
        type: RunResult,
        description: "Every attempt against every target, in the order they started; `statuses` keeps only those outcomes.",
        args: { statuses: t.arg({ type: [RunResultStatus], ...maxItems(runResultStatuses.length) }) },
        resolve: async (run, args, ctx, info) => {
          const filter = statusFilter(args.statuses);
          const page = await ctx.loaders.childPages.load<ResultRow>(runResults, run.id, args, info, ctx, filter);
          return { ...resultPages.resolve(page, args, ctx, run), runId: run.id, filter };
        },
      },
      {
        fields: (t) => ({
          totalCount: t.int({
            resolve: (connection, _args, ctx) => {
              const { runId, filter } = connection as unknown as { runId: string; filter: ChildFilter | null };
              return ctx.loaders.childPages.count(runResults, runId, filter);
            },
          }),
        }),
      },
    ),
  }),
});

export const RunFilter = builder.inputType("RunFilter", {
  fields: (t) => ({
    taskId: t.id(),
    statuses: t.field({ type: [RunStatus], ...maxItems(runStatuses.length) }),
    triggers: t.field({ type: [RunTrigger], ...maxItems(runTriggers.length) }),
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
        ...withSelection(query),
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

/** The database id in a Run id, or null when it is not one. */
function runIdOf(globalId: string): string | null {
  try {
    const decoded = decodeGlobalID(globalId);
    return decoded.typename === "Run" ? decoded.id : null;
  } catch {
    return null;
  }
}

builder.queryField("run", (t) =>
  t.prismaField({
    type: "Run",
    nullable: true,
    description: "A run with its results; null when there is none with this id.",
    args: { id: t.arg.id({ required: true }) },
    resolve: (query, _parent, { id }, ctx) => {
      const runId = runIdOf(String(id));
      return runId ? ctx.db.run.findUnique({ ...withSelection(query), where: { id: runId } }) : null;
    },
  }),
);

const CancelRunInput = builder.inputType("CancelRunInput", { fields: (t) => ({ id: t.id({ required: true }) }) });
const RerunFailedTargetsInput = builder.inputType("RerunFailedTargetsInput", {
  fields: (t) => ({
    id: t.id({ required: true }),
    confirm: t.boolean({ defaultValue: false, required: true, description: "Needed when the task or its service requires confirmation." }),
  }),
});

builder.mutationField("rerunFailedTargets", (t) =>
  t.prismaField({
    ...operatorMutation,
    type: "Run",
    description:
      "Queues a manual run of the run's task against the devices whose last attempt in that run did not succeed, with that run's payload. A StateError when the run has not finished or no target failed.",
    args: { input: t.arg({ type: RerunFailedTargetsInput, required: true }) },
    errors: { types: [ValidationError, NotFoundError, StateError, ConfirmationRequiredError], dataField: { name: "run" } },
    resolve: async (query, _parent, { input }, ctx) => {
      const run = await rerunFailedTargets({ db: ctx.db, now: ctx.now, actor: ctx.principal?.name ?? null }, localId(String(input.id), "Run", "input.id"), input.confirm);
      ctx.events.emit("runsCreated", { runs: [run] });
      return ctx.db.run.findUniqueOrThrow({ ...withSelection(query), where: { id: run.id } });
    },
  }),
);

builder.mutationField("cancelRun", (t) =>
  t.prismaField({
    ...operatorMutation,
    type: "Run",
    description:
      "Stops a queued or running run now: its commands are killed (process groups), its requests aborted; it ends CANCELLED. A finished run gives a StateError.",
    args: { input: t.arg({ type: CancelRunInput, required: true }) },
    errors: { types: [ValidationError, NotFoundError, StateError], dataField: { name: "run" } },
    resolve: async (query, _parent, { input }, ctx) => {
      const id = localId(String(input.id), "Run", "input.id");
      await cancelRun(ctx.db, id, ctx.now);
      ctx.events.emit("runsCancelled", { runIds: [id] });
      const report = await ctx.db.run.findUniqueOrThrow({ where: { id }, select: runReportColumns });
      // A run that never started ends here; one that was running ends when its executor stops it.
      if (report.startedAt === null) ctx.events.emit("runProgress", { type: "RUN_FINISHED", run: report as RunReport, result: null });
      return ctx.db.run.findUniqueOrThrow({ ...withSelection(query), where: { id } });
    },
  }),
);
