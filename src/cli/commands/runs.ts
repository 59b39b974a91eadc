// `cronline runs ...`: list runs, view one with its results, print what each target's command
// or request gave (logs), cancel one.
import type { Command } from "commander";
import type { CliResultFieldsFragment, CliRunFieldsFragment, RunFilter } from "../../generated/graphql/graphql.js";
import { unwrapResult, type ApiClient } from "../client.js";
import { clientAction, clientCommand, collect, integer } from "../command-context.js";
import { CliError, exitCodes } from "../exit-codes.js";
import { CliCancelRun, CliRerunFailedTargets, CliRunById, CliRunResults, CliRunsPage } from "../operations/runs.js";
import { formatInstant, formatJsonValue, printFields, printJson, printLine, printTable } from "../output.js";
import { readAll } from "../paging.js";
import { findTask } from "../references.js";

const upper = (values: string[] | undefined) => values?.map((value) => value.toUpperCase());

async function findRun(client: ApiClient, id: string): Promise<CliRunFieldsFragment> {
  const { run } = await client.request(CliRunById, { id });
  if (!run) throw new CliError(`no run with id "${id}"`, exitCodes.notFound, { code: "NOT_FOUND", reference: id });
  return run;
}

async function resultsOf(client: ApiClient, id: string, statuses: string[] | undefined): Promise<CliResultFieldsFragment[]> {
  return readAll((first, after) =>
    client
      .request(CliRunResults, { id, first, after, statuses: statuses as never })
      .then((data) => data.run?.results ?? { pageInfo: { hasNextPage: false }, edges: [] }),
  );
}

const counts = (run: CliRunFieldsFragment) => `${run.succeededCount} ok, ${run.failedCount} failed of ${run.targetCount}`;

export function registerRunCommands(program: Command): void {
  const runs = program.command("runs").description("list, view, read the output of and cancel runs");

  clientCommand(runs, "list", "list runs, newest first")
    .option("--task <task>", "only the task's (name or id)")
    .option("--status <status>", "only those of the status: QUEUED, RUNNING, SUCCEEDED, FAILED, TIMED_OUT, CANCELLED, SKIPPED (repeat, or comma-separated)", collect)
    .option("--trigger <trigger>", "only those of the trigger: SCHEDULE, MANUAL, CATCHUP, RETRY (repeat, or comma-separated)", collect)
    .option("--limit <count>", "at most so many", integer, 20)
    .action(
      clientAction(async ({ client, json }, options: { task?: string; status?: string[]; trigger?: string[]; limit: number }) => {
        const filter: RunFilter = {
          ...(options.task !== undefined && { taskId: (await findTask(client, options.task)).id }),
          ...(options.status && { statuses: upper(options.status) as RunFilter["statuses"] }),
          ...(options.trigger && { triggers: upper(options.trigger) as RunFilter["triggers"] }),
        };
        const list = await readAll((first, after) => client.request(CliRunsPage, { first, after, filter }).then((data) => data.runs), options.limit);
        if (json) return printJson(list);
        printTable(
          ["RUN", "TASK", "TRIGGER", "STATUS", "SCHEDULED FOR", "STARTED", "FINISHED", "TARGETS", "REASON"],
          list.map((run) => [
            run.id,
            run.task.name,
            run.trigger,
            run.status,
            formatInstant(run.scheduledFor),
            formatInstant(run.startedAt),
            formatInstant(run.finishedAt),
            counts(run),
            run.reason ?? "",
          ]),
        );
      }),
    );

  clientCommand(runs, "view <run>", "a run and the outcome of each attempt on each target").action(
    clientAction(async ({ client, json }, id: string) => {
      const run = await findRun(client, id);
      const results = await resultsOf(client, id, undefined);
      if (json) return printJson({ run, results });
      printFields([
        ["run", run.id],
        ["task", run.task.name],
        ["trigger", run.trigger],
        ["status", run.status + (run.reason ? ` (${run.reason})` : "")],
        ["scheduled for", formatInstant(run.scheduledFor) + (run.jitterMs > 0 ? ` + ${run.jitterMs}ms jitter` : "")],
        ["claimed", formatInstant(run.claimedAt)],
        ["started", formatInstant(run.startedAt)],
        ["finished", formatInstant(run.finishedAt)],
        ["targets", counts(run)],
        ["payload", formatJsonValue(run.payload)],
      ]);
      printLine();
      printTable(
        ["DEVICE", "ATTEMPT", "STATUS", "EXIT/HTTP", "DURATION", "ERROR"],
        results.map((result) => [
          result.deviceName ?? "(no device)",
          String(result.attempt),
          result.status,
          result.exitCode !== null ? `exit ${result.exitCode}` : result.httpStatus !== null ? `HTTP ${result.httpStatus}` : "",
          `${result.durationMs}ms`,
          result.error ?? "",
        ]),
      );
    }),
  );

  clientCommand(runs, "logs <run>", "what each target's command printed (stdout, stderr) or its request answered")
    .option("--device <name>", "only this device's attempts")
    .option("--failed", "only attempts that did not succeed")
    .action(
      clientAction(async ({ client, json }, id: string, options: { device?: string; failed?: boolean }) => {
        await findRun(client, id);
        const results = (await resultsOf(client, id, options.failed ? ["FAILED", "TIMED_OUT", "CANCELLED"] : undefined)).filter(
          (result) => options.device === undefined || result.deviceName === options.device,
        );
        if (json) return printJson(results);
        for (const result of results) {
          const code = result.exitCode !== null ? `, exit ${result.exitCode}` : result.httpStatus !== null ? `, HTTP ${result.httpStatus}` : "";
          printLine(`=== ${result.deviceName ?? "(no device)"}, attempt ${result.attempt}: ${result.status}${code}${result.error ? `: ${result.error}` : ""}`);
          if (result.output) process.stdout.write(result.output.endsWith("\n") ? result.output : `${result.output}\n`);
          if (result.outputTruncated) printLine("[output truncated]");
          if (result.errorOutput) {
            printLine("--- stderr");
            process.stdout.write(result.errorOutput.endsWith("\n") ? result.errorOutput : `${result.errorOutput}\n`);
          }
          if (result.errorOutputTruncated) printLine("[stderr truncated]");
        }
        if (results.length === 0) printLine("(no attempts)");
      }),
    );

  clientCommand(runs, "cancel <run>", "stop a queued or running run now").action(
    clientAction(async ({ client, json }, id: string) => {
      const { run } = unwrapResult((await client.request(CliCancelRun, { input: { id } })).cancelRun);
      if (json) printJson(run);
      else printLine(`cancelled run ${run.id} of ${run.task.name}: ${run.status}`);
    }),
  );

  clientCommand(runs, "rerun-failed <run>", "run a finished run's task again on the devices that failed in it, with its payload")
    .option("--confirm", "run also what requires confirmation")
    .action(
      clientAction(async ({ client, json }, id: string, options: { confirm?: boolean }) => {
        const { run } = unwrapResult((await client.request(CliRerunFailedTargets, { input: { id, confirm: options.confirm === true } })).rerunFailedTargets);
        if (json) printJson(run);
        else printLine(`queued run ${run.id} of ${run.task.name} on the failed targets of run ${id}`);
      }),
    );
}
