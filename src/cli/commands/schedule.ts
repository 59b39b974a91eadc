// `cronline print schedule`: the OpenSVC-style table of every task, its state and schedule,
// its last run and how it went, its next run with a countdown, and why it was last skipped;
// and `cronline watch`: the same live in the terminal, redrawn every second from scheduleView.
import type { Command } from "commander";
import type { TaskFilter, TaskState } from "../../generated/graphql/graphql.js";
import { clientAction, clientCommand, collect } from "../command-context.js";
import { CliScheduleTable } from "../operations/tasks.js";
import { formatCountdown, formatInstant, printJson, printTable } from "../output.js";
import { readAll } from "../paging.js";
import { describeSchedule } from "../schedule-text.js";

/** How far back `print schedule` looks for a task's last skip. */
const recentRuns = 20;

const states = (values: string[] | undefined) => values?.map((value) => value.toUpperCase() as TaskState);

export function registerScheduleCommands(program: Command): void {
  const print = program.command("print").description("print views of the schedule");

  clientCommand(print, "schedule", `every task: state, schedule, last run and its status, next run with countdown, and the reason of its last skip (among its last ${recentRuns} runs)`)
    .option("--tag <tag>", "only the tasks carrying the tag")
    .option("--state <state>", "only the tasks in the state: ACTIVE, PAUSED, COMPLETED (repeat, or comma-separated)", collect)
    .action(
      clientAction(async ({ client, json }, options: { tag?: string; state?: string[] }) => {
        const filter: TaskFilter = { ...(options.tag !== undefined && { tag: options.tag }), ...(options.state && { states: states(options.state) }) };
        const tasks = await readAll((first, after) => client.request(CliScheduleTable, { first, after, filter, recentRuns }).then((data) => data.tasks));
        const rows = tasks.map((task) => {
          const lastSkip = task.runs.edges.map((edge) => edge.node).find((run) => run.status === "SKIPPED");
          return {
            id: task.id,
            name: task.name,
            state: task.state,
            pauseNote: task.pauseNote,
            service: task.service.name,
            tags: task.tags,
            schedule: describeSchedule(task.schedule, task.timezone),
            timezone: task.timezone,
            lastRunAt: task.lastRunAt,
            lastRunStatus: task.lastRunStatus,
            nextRunAt: task.nextRunAt,
            secondsUntilNextRun: task.secondsUntilNextRun,
            lastSkipAt: lastSkip?.scheduledFor ?? null,
            lastSkipReason: lastSkip?.reason ?? null,
          };
        });
        if (json) return printJson(rows);
        printTable(
          ["TASK", "STATE", "SCHEDULE", "LAST RUN", "STATUS", "NEXT RUN", "IN", "LAST SKIP"],
          rows.map((row) => [
            row.name,
            row.state,
            row.schedule,
            formatInstant(row.lastRunAt),
            row.lastRunStatus ?? "",
            formatInstant(row.nextRunAt),
            formatCountdown(row.secondsUntilNextRun),
            row.lastSkipReason ? `${formatInstant(row.lastSkipAt)}: ${row.lastSkipReason}` : "",
          ]),
        );
      }),
    );

  clientCommand(program, "watch", "the live schedule, redrawn every second until Ctrl-C (--json: a line of JSON each second)")
    .option("--tag <tag>", "only the tasks carrying the tag (repeat)", collect)
    .option("--state <state>", "only the tasks in the state (repeat, or comma-separated)", collect)
    .action(
      clientAction(async ({ client, json }, options: { tag?: string[]; state?: string[] }) => {
        const { watchSchedule } = await import("../watch.js");
        await watchSchedule(client, { tags: options.tag, states: states(options.state) }, json ? "json" : process.stdout.isTTY ? "screen" : "blocks");
      }),
    );
}
