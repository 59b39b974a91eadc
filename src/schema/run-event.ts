import { encodeGlobalID } from "@pothos/plugin-relay";
import { builder } from "../builder.js";
import { runStatuses, type NewRunResult } from "../domain/runs.js";
import type { RunEvent as RunEventShape } from "../live/live-schedule.js";
import { localId } from "./global-id.js";
import { maxItems } from "./list-limits.js";
import { RunStatus } from "./run.js";
import { RunResultStatus } from "./run-result.js";
import { RunStep } from "./run-step.js";
import { RunSummary } from "./task-summary.js";
import { runOutputNote, runOutputVisibility } from "./visibility.js";

const RunEventType = builder.enumType("RunEventType", {
  values: {
    RUN_QUEUED: { description: "A run was queued: by the schedule, a catch-up, a retry or by hand." },
    RUN_STARTED: { description: "A process took the run and started on its targets." },
    STEP_STARTED: { description: "A step of a WORKFLOW run started: `step`; `run.steps` is the step tree as it stands." },
    TARGET_FINISHED: { description: "One attempt against one target ended: `result` (in a workflow, its stepName says which step's)." },
    STEP_FINISHED: { description: "A step of a WORKFLOW run ended, or was skipped: `step`, with its status and reason." },
    RUN_FINISHED: { description: "The run ended; `run` has its status and counts (a SKIPPED one ends as it is recorded)." },
  } satisfies Record<RunEventShape["type"], unknown>,
});

const TargetResult = builder.objectRef<NewRunResult>("TargetResult").implement({
  description: "One attempt against one target, as it ended (also stored as the run's RunResult).",
  fields: (t) => ({
    deviceId: t.id({ nullable: true, resolve: (result) => (result.deviceId ? encodeGlobalID("Device", result.deviceId) : null) }),
    deviceName: t.exposeString("deviceName", { nullable: true }),
    stepName: t.exposeString("stepName", { nullable: true, description: "The workflow step the attempt belongs to; null outside workflows." }),
    attempt: t.exposeInt("attempt"),
    status: t.field({ type: RunResultStatus, resolve: (result) => result.status }),
    exitCode: t.exposeInt("exitCode", { nullable: true }),
    httpStatus: t.exposeInt("httpStatus", { nullable: true }),
    error: t.exposeString("error", { nullable: true }),
    output: t.exposeString("output", { nullable: true, ...runOutputVisibility, description: runOutputNote }),
    outputTruncated: t.exposeBoolean("outputTruncated"),
    errorOutput: t.exposeString("errorOutput", { nullable: true, ...runOutputVisibility, description: runOutputNote }),
    errorOutputTruncated: t.exposeBoolean("errorOutputTruncated"),
    startedAt: t.expose("startedAt", { type: "DateTime" }),
    finishedAt: t.expose("finishedAt", { type: "DateTime" }),
    durationMs: t.exposeInt("durationMs"),
  }),
});

const RunEvent = builder.objectRef<RunEventShape>("RunEvent").implement({
  fields: (t) => ({
    type: t.field({ type: RunEventType, resolve: (event) => event.type }),
    run: t.field({ type: RunSummary, resolve: (event) => event.run }),
    result: t.field({ type: TargetResult, nullable: true, description: "For TARGET_FINISHED.", resolve: (event) => event.result }),
    step: t.field({ type: RunStep, nullable: true, description: "For STEP_STARTED and STEP_FINISHED.", resolve: (event) => event.step ?? null }),
  }),
});

builder.subscriptionField("runEvents", (t) =>
  t.field({
    type: RunEvent,
    description: "What happens to runs, as it happens; every argument narrows (statuses: the run's status after the event).",
    args: {
      taskId: t.arg.id(),
      runId: t.arg.id(),
      statuses: t.arg({ type: [RunStatus], ...maxItems(runStatuses.length) }),
    },
    // The filter is applied before events are buffered, so a narrow subscriber is never held up by other runs.
    subscribe: (_root, args, ctx) =>
      ctx.live.runEvents({
        taskId: args.taskId != null ? localId(String(args.taskId), "Task", "taskId") : null,
        runId: args.runId != null ? localId(String(args.runId), "Run", "runId") : null,
        statuses: args.statuses ?? [],
      }),
    resolve: (event) => event,
  }),
);
