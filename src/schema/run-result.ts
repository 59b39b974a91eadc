import { builder } from "../builder.js";
import { runResultStatuses, type RunResultStatus as RunResultStatusName } from "../domain/runs.js";
import { runOutputNote, runOutputVisibility } from "./visibility.js";

export const RunResultStatus = builder.enumType("RunResultStatus", {
  description: "The outcome of one attempt against one target.",
  values: runResultStatuses,
});

export const RunResult = builder.prismaObject("RunResult", {
  // Rows are read with the columns the query selects, not every column.
  select: { id: true },
  description: "One attempt of a run against one target device (or against no device, for a run without targets).",
  fields: (t) => ({
    id: t.exposeID("id"),
    device: t.relation("device", { nullable: true, description: "Null for a run without targets, or when the device was deleted since." }),
    deviceName: t.exposeString("deviceName", { nullable: true, description: "The device's name when the attempt ran." }),
    stepName: t.exposeString("stepName", { nullable: true, description: 'The WORKFLOW step the attempt belongs to ("outer/inner" inside a nested workflow); null outside workflows.' }),
    attempt: t.exposeInt("attempt", { description: "1 for the first attempt, 2 for the first retry, ..." }),
    status: t.field({ type: RunResultStatus, select: { status: true }, resolve: (result) => result.status as RunResultStatusName }),
    exitCode: t.exposeInt("exitCode", { nullable: true, description: "COMMAND: the exit code; null when it did not exit by itself." }),
    httpStatus: t.exposeInt("httpStatus", { nullable: true, description: "HTTP: the response status." }),
    output: t.exposeString("output", {
      nullable: true,
      ...runOutputVisibility,
      description: `COMMAND: standard output; HTTP: the response body (each up to RUN_OUTPUT_LIMIT_BYTES). ${runOutputNote}`,
    }),
    outputTruncated: t.exposeBoolean("outputTruncated"),
    errorOutput: t.exposeString("errorOutput", { nullable: true, ...runOutputVisibility, description: `COMMAND: standard error. ${runOutputNote}` }),
    errorOutputTruncated: t.exposeBoolean("errorOutputTruncated"),
    error: t.exposeString("error", { nullable: true, description: 'What went wrong; null on success. Secret values of the service show as "••••".' }),
    startedAt: t.expose("startedAt", { type: "DateTime" }),
    finishedAt: t.expose("finishedAt", { type: "DateTime" }),
    durationMs: t.exposeInt("durationMs"),
  }),
});
