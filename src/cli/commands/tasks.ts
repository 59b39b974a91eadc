// `cronline tasks ...`: list, view, add, edit, duplicate, delete, pause, resume and run tasks.
import type { Command } from "commander";
import type { BackfillOverlapPolicy, CliTaskFieldsFragment, CreateTaskInput, TaskFilter } from "../../generated/graphql/graphql.js";
import { CliBackfillTask, CliCancelBackfill, CliSkipNextRun } from "../operations/runs.js";
import { unwrapResult, type ApiClient } from "../client.js";
import { clientAction, clientCommand, collect, integer } from "../command-context.js";
import { CliError, exitCodes } from "../exit-codes.js";
import { jsonObjectOption, lookupNames, objectFields } from "../object-input.js";
import {
  CliCreateTask,
  CliDeleteTask,
  CliDuplicateTask,
  CliPauseTask,
  CliPauseTasks,
  CliPreviewSchedule,
  CliResumeTask,
  CliResumeTasks,
  CliRunTask,
  CliRunTasks,
  CliTaskRuns,
  CliTasksPage,
  CliTaskTargets,
  CliUpdateTask,
} from "../operations/tasks.js";
import { formatCountdown, formatInstant, formatJsonValue, formatList, printFields, printJson, printLine, printTable } from "../output.js";
import { readAll } from "../paging.js";
import { findService, findTask } from "../references.js";
import { describeSchedule } from "../schedule-text.js";
import type { ScheduleSpec } from "../schedules-as-code/document.js";
import { taskInput } from "../schedules-as-code/inputs.js";
import { scheduleSpecOf } from "../schedules-as-code/server-objects.js";

interface TaskFlags {
  file?: string;
  name?: string;
  service?: string;
  cron?: string;
  every?: number;
  at?: string;
  timezone?: string;
  description?: string;
  tag?: string[];
  device?: string[];
  pool?: string[];
  payload?: string;
  requiresConfirmation?: boolean;
  misfirePolicy?: string;
  misfireGrace?: number;
  overlapPolicy?: string;
  jitter?: number;
  maxRuns?: number;
  maxAttempts?: number;
  retryBackoff?: number;
  deadline?: number;
  paused?: boolean;
}

/** The flags add and edit share: each sets the task's field of the same meaning (see the file format). */
function withTaskFlags(command: Command): Command {
  return command
    .option("-f, --file <file>", "the task's fields from a YAML or JSON file (as in export); flags override them")
    .option("--service <service>", "the service to run (name or id)")
    .option("--cron <expression>", "schedule: a cron expression (5, 6 or 7 fields, @daily, @every 10m)")
    .option("--every <seconds>", "schedule: every so many seconds", integer)
    .option("--at <instant>", "schedule: once, at this ISO-8601 instant")
    .option("--timezone <zone>", "IANA time zone of the schedule (default UTC)")
    .option("--description <text>", "what the task is for")
    .option("--tag <tag>", "a tag (repeat, or comma-separated); replaces the tags", collect)
    .option("--device <device>", "a target device, name or id (repeat); replaces the service's targets", collect)
    .option("--pool <pool>", "a target pool, name or id (repeat)", collect)
    .option("--payload <json>", "the payload, a JSON object")
    .option("--requires-confirmation", "manual runs need --confirm")
    .option("--no-requires-confirmation", "manual runs need no confirmation")
    .option("--misfire-policy <policy>", "SKIP, RUN_ONCE or RUN_ALL")
    .option("--misfire-grace <seconds>", "lateness tolerated before an occurrence is missed", integer)
    .option("--overlap-policy <policy>", "SKIP, BUFFER_ONE, BUFFER_ALL, CANCEL_PREVIOUS or ALLOW")
    .option("--jitter <seconds>", "random delay of up to so many seconds", integer)
    .option("--max-runs <count>", "complete the task after so many scheduled runs", integer)
    .option("--max-attempts <count>", "attempts per target (1 to 20)", integer)
    .option("--retry-backoff <seconds>", "wait before the first retry", integer)
    .option("--deadline <seconds>", "skip a run that cannot start within so many seconds", integer);
}

function scheduleFlag(flags: TaskFlags): ScheduleSpec | undefined {
  const given = [flags.cron !== undefined, flags.every !== undefined, flags.at !== undefined].filter(Boolean).length;
  if (given > 1) throw new CliError("give one of --cron, --every and --at", exitCodes.usage, { code: "BAD_OPTION" });
  if (flags.cron !== undefined) return { cron: { expression: flags.cron } };
  if (flags.every !== undefined) return { standard: { frequencySeconds: flags.every } };
  if (flags.at !== undefined) return { once: { at: flags.at } };
  return undefined;
}

/** The task's fields from -f and the flags, in the file's terms. */
const taskFieldsOf = (flags: TaskFlags, name: string | undefined) =>
  objectFields(flags.file, {
    name,
    service: flags.service,
    schedule: scheduleFlag(flags),
    timezone: flags.timezone,
    description: flags.description,
    tags: flags.tag,
    targetDevices: flags.device,
    targetPools: flags.pool,
    payload: jsonObjectOption("--payload", flags.payload),
    requiresConfirmation: flags.requiresConfirmation,
    misfirePolicy: flags.misfirePolicy,
    misfireGraceSeconds: flags.misfireGrace,
    overlapPolicy: flags.overlapPolicy,
    jitterSeconds: flags.jitter,
    maxRuns: flags.maxRuns,
    maxAttempts: flags.maxAttempts,
    retryBackoffSeconds: flags.retryBackoff,
    deadlineSeconds: flags.deadline,
    state: flags.paused ? "PAUSED" : undefined,
  });

const taskRow = (task: CliTaskFieldsFragment) => [
  task.name,
  task.state,
  task.service.name,
  describeSchedule(task.schedule, task.timezone),
  [formatInstant(task.nextRunAt), formatCountdown(task.secondsUntilNextRun)].filter(Boolean).join(" "),
  formatInstant(task.lastRunAt),
  task.lastRunStatus ?? "",
  formatList(task.tags),
];

const taskHead = ["NAME", "STATE", "SERVICE", "SCHEDULE", "NEXT RUN", "LAST RUN", "STATUS", "TAGS"];

function printTasks(tasks: CliTaskFieldsFragment[], json: boolean): void {
  if (json) printJson(tasks);
  else printTable(taskHead, tasks.map(taskRow));
}

function printTask(task: CliTaskFieldsFragment): void {
  printFields([
    ["name", task.name],
    ["id", task.id],
    ["state", task.state + (task.pauseNote ? ` (${task.pauseNote})` : "")],
    ["service", task.service.name],
    ["schedule", describeSchedule(task.schedule, task.timezone)],
    ["timezone", task.timezone],
    ["next run", [formatInstant(task.nextRunAt), formatCountdown(task.secondsUntilNextRun)].filter(Boolean).join(" ")],
    ["last run", [formatInstant(task.lastRunAt), task.lastRunStatus ?? ""].filter(Boolean).join(" ")],
    ["description", task.description],
    ["tags", formatList(task.tags)],
    ["targets", formatList([...task.targetDevices.map((d) => `device ${d.name}`), ...task.targetPools.map((p) => `pool ${p.name}`)]) || "(the service's)"],
    ["payload", formatJsonValue(task.payload)],
    ["requires confirmation", String(task.requiresConfirmation)],
    ["misfire", `${task.misfirePolicy}, grace ${task.misfireGraceSeconds}s`],
    ["overlap", task.overlapPolicy],
    ["jitter", `${task.jitterSeconds}s`],
    ["attempts", `${task.maxAttempts}, backoff ${task.retryBackoffSeconds}s`],
    ["deadline", task.deadlineSeconds === null ? "none" : `${task.deadlineSeconds}s`],
    ["runs", `${task.runCount}${task.maxRuns === null ? "" : ` of ${task.maxRuns}`}`],
    ["created", `${formatInstant(task.createdAt)} by ${task.createdBy ?? "-"}`],
    ["updated", `${formatInstant(task.updatedAt)} by ${task.updatedBy ?? "-"}`],
  ]);
}

/** The next `count` occurrences: from the next run of an active task, from now for a paused one (once resumed), none once completed. */
async function nextOccurrences(client: ApiClient, task: CliTaskFieldsFragment, count: number): Promise<string[]> {
  if (task.state === "COMPLETED") return [];
  const left = task.maxRuns === null ? count : Math.min(count, task.maxRuns - task.runCount);
  if (left <= 0) return [];
  const from = task.state === "ACTIVE" ? task.nextRunAt : null;
  const { previewSchedule } = await client.request(CliPreviewSchedule, { schedule: scheduleSpecOf(task.schedule), timezone: task.timezone, from, count: left });
  return unwrapResult(previewSchedule).instants;
}

/** How many targets a run of the task will have, as the executor resolves them when it starts. */
async function expectedTargets(client: ApiClient, taskId: string): Promise<number> {
  const { node } = await client.request(CliTaskTargets, { id: taskId });
  if (node?.__typename !== "Task") return 1;
  const own = [...node.targetDevices, ...node.targetPools.flatMap((pool) => pool.devices)];
  const service = [...node.service.targetDevices, ...node.service.targetPools.flatMap((pool) => pool.devices)];
  const declared = node.targetDevices.length + node.targetPools.length > 0 ? own : service;
  return Math.max(1, new Set(declared.map((device) => device.id)).size);
}

async function runAndWait(client: ApiClient, task: CliTaskFieldsFragment, confirm: boolean, json: boolean): Promise<void> {
  const { run } = unwrapResult((await client.request(CliRunTask, { input: { id: task.id, confirm } })).runTask);
  const { followRun } = await import("../follow-run.js");
  const display = json ? "none" : process.stderr.isTTY ? "bar" : "lines";
  if (display !== "none") printLine(`run ${run.id} of ${task.name} queued`);
  const finished = await followRun(client, run.id, { expectedTargets: await expectedTargets(client, task.id), maxAttempts: task.maxAttempts, display });
  if (json) printJson(finished);
  // A CI job can depend on it: only a run that succeeded exits 0.
  if (finished.run.status !== "SUCCEEDED") process.exitCode = exitCodes.failure;
}

export function registerTaskCommands(program: Command): void {
  const tasks = program.command("tasks").description("list, view, add, edit, duplicate, delete, pause, resume and run tasks");

  clientCommand(tasks, "list", "list tasks")
    .option("--tag <tag>", "only those carrying the tag")
    .option("--state <state>", "only those in the state: ACTIVE, PAUSED, COMPLETED (repeat, or comma-separated)", collect)
    .option("--service <service>", "only those running the service (name or id)")
    .option("--name <text>", "only those whose name contains the text (ignoring case)")
    .option("--limit <count>", "at most so many", integer)
    .action(
      clientAction(async ({ client, json }, options: { tag?: string; state?: string[]; service?: string; name?: string; limit?: number }) => {
        const filter: TaskFilter = {
          ...(options.tag !== undefined && { tag: options.tag }),
          ...(options.state && { states: options.state.map((state) => state.toUpperCase()) as TaskFilter["states"] }),
          ...(options.service !== undefined && { serviceId: (await findService(client, options.service)).id }),
          ...(options.name !== undefined && { nameContains: options.name }),
        };
        const list = await readAll((first, after) => client.request(CliTasksPage, { first, after, filter }).then((data) => data.tasks), options.limit);
        printTasks(list, json);
      }),
    );

  clientCommand(tasks, "view <task>", "a task's settings, its next 10 occurrences and its last runs (name or id)")
    .option("--runs <count>", "how many of its last runs", integer, 10)
    .action(
      clientAction(async ({ client, json }, reference: string, options: { runs: number }) => {
        const task = await findTask(client, reference);
        const [occurrences, runs] = await Promise.all([
          nextOccurrences(client, task, 10),
          client.request(CliTaskRuns, { id: task.id, first: options.runs }).then(({ node }) => (node?.__typename === "Task" ? node.runs.edges.map((edge) => edge.node) : [])),
        ]);
        if (json) return printJson({ task, nextOccurrences: occurrences, runs });
        printTask(task);
        printLine();
        printLine(task.state === "PAUSED" ? "Next occurrences, once resumed now:" : "Next occurrences:");
        printLine(occurrences.length === 0 ? "  (none)" : occurrences.map((instant) => `  ${formatInstant(instant)}`).join("\n"));
        printLine();
        printLine("Last runs:");
        printTable(
          ["RUN", "TRIGGER", "STATUS", "SCHEDULED FOR", "STARTED", "FINISHED", "TARGETS", "REASON"],
          runs.map((run) => [
            run.id,
            run.trigger,
            run.status,
            formatInstant(run.scheduledFor),
            formatInstant(run.startedAt),
            formatInstant(run.finishedAt),
            `${run.succeededCount}/${run.targetCount} ok`,
            run.reason ?? "",
          ]),
        );
      }),
    );

  withTaskFlags(clientCommand(tasks, "add [name]", "add a task: from flags, or a file (-f) as export writes a task; scheduled at once unless --paused"))
    .option("--paused", "create it paused (it waits for tasks resume)")
    .action(
      clientAction(async ({ client, json }, name: string | undefined, flags: TaskFlags) => {
        const { parseSpecFile } = await import("../schedules-as-code/document.js");
        const spec = parseSpecFile("task", await taskFieldsOf(flags, name), "the task");
        const input = await taskInput(spec, lookupNames(client));
        // A whole spec gives every field createTask requires.
        const { task } = unwrapResult((await client.request(CliCreateTask, { input: input as CreateTaskInput, schedule: spec.state === "ACTIVE" })).createTask);
        if (json) printJson(task);
        else printLine(`created task ${task.name} (${task.id}), ${task.state}`);
      }),
    );

  withTaskFlags(clientCommand(tasks, "edit <task>", "change a task's fields (name or id): the flags given, or those of a file (-f)"))
    .option("--name <name>", "rename it")
    .action(
      clientAction(async ({ client, json }, reference: string, flags: TaskFlags) => {
        const current = await findTask(client, reference);
        const { parsePartialSpec } = await import("../schedules-as-code/document.js");
        const changes = parsePartialSpec("task", await taskFieldsOf(flags, flags.name), "the changes");
        let task = current;
        if (Object.keys(changes).some((field) => field !== "state")) {
          task = unwrapResult((await client.request(CliUpdateTask, { input: { id: current.id, ...(await taskInput(changes, lookupNames(client))) } })).updateTask).task;
        }
        if (changes.state === "PAUSED" && task.state !== "PAUSED") task = unwrapResult((await client.request(CliPauseTask, { input: { id: task.id } })).pauseTask).task;
        if (changes.state === "ACTIVE" && task.state === "PAUSED") task = unwrapResult((await client.request(CliResumeTask, { input: { id: task.id } })).resumeTask).task;
        if (json) printJson(task);
        else printLine(`updated task ${task.name} (${task.id})`);
      }),
    );

  clientCommand(tasks, "duplicate <task>", 'copy a task (name or id) with its settings, targets and tags, paused; named "<name> (copy)" unless --name')
    .option("--name <name>", "the copy's name")
    .action(
      clientAction(async ({ client, json }, reference: string, options: { name?: string }) => {
        const source = await findTask(client, reference);
        const { task } = unwrapResult((await client.request(CliDuplicateTask, { input: { id: source.id, name: options.name } })).duplicateTask);
        if (json) printJson(task);
        else printLine(`created task ${task.name} (${task.id}), ${task.state}`);
      }),
    );

  clientCommand(tasks, "delete <task>", "delete a task (name or id) and its runs").action(
    clientAction(async ({ client, json }, reference: string) => {
      const task = await findTask(client, reference);
      const { deletedId } = unwrapResult((await client.request(CliDeleteTask, { input: { id: task.id } })).deleteTask);
      if (json) printJson({ deletedId, name: task.name });
      else printLine(`deleted task ${task.name}`);
    }),
  );

  clientCommand(tasks, "pause [task]", "pause a task (name or id), or with --tag every active task carrying the tag")
    .option("--tag <tag>", "every active task carrying the tag")
    .option("--note <text>", "why, shown with the task")
    .option("--cancel-queued", "also cancel the queued runs (with --tag: of every paused task carrying the tag); without it they still start")
    .action(
      clientAction(async ({ client, json }, reference: string | undefined, options: { tag?: string; note?: string; cancelQueued?: boolean }) => {
        const cancelQueued = options.cancelQueued === true;
        const paused =
          options.tag !== undefined && reference === undefined
            ? unwrapResult((await client.request(CliPauseTasks, { input: { tag: options.tag, note: options.note, cancelQueued } })).pauseTasks).tasks
            : [unwrapResult((await client.request(CliPauseTask, { input: { id: (await findTask(client, oneTask(reference, options.tag))).id, note: options.note, cancelQueued } })).pauseTask).task];
        if (json) printJson(paused);
        else printLine(paused.length === 0 ? "no active task carries the tag" : paused.map((task) => `paused task ${task.name}`).join("\n"));
      }),
    );

  clientCommand(tasks, "resume [task]", "resume a task (name or id), or with --tag every paused task carrying the tag")
    .option("--tag <tag>", "every paused task carrying the tag")
    .action(
      clientAction(async ({ client, json }, reference: string | undefined, options: { tag?: string }) => {
        const resumed =
          options.tag !== undefined && reference === undefined
            ? unwrapResult((await client.request(CliResumeTasks, { input: { tag: options.tag } })).resumeTasks).tasks
            : [unwrapResult((await client.request(CliResumeTask, { input: { id: (await findTask(client, oneTask(reference, options.tag))).id } })).resumeTask).task];
        if (json) printJson(resumed);
        else printLine(resumed.length === 0 ? "no paused task carries the tag" : resumed.map((task) => `resumed task ${task.name}: ${task.state}, next run ${formatInstant(task.nextRunAt) || "none"}`).join("\n"));
      }),
    );

  clientCommand(tasks, "skip-next <task>", "skip a task's next occurrence (recorded as SKIPPED with the note)")
    .option("--note <text>", "why, recorded as the skipped run's reason")
    .action(
      clientAction(async ({ client, json }, reference: string, options: { note?: string }) => {
        const task = await findTask(client, reference);
        const { run } = unwrapResult((await client.request(CliSkipNextRun, { input: { id: task.id, note: options.note } })).skipNextRun);
        if (json) printJson(run);
        else printLine(`skipped the run of ${task.name} at ${formatInstant(run.scheduledFor)}; next run ${formatInstant(run.task.nextRunAt) || "none"}`);
      }),
    );

  clientCommand(tasks, "backfill <task>", "queue runs for the task's past occurrences from --from to --to (at most 1000)")
    .option("--from <instant>", "the first instant of the range (ISO-8601), included")
    .option("--to <instant>", "the last instant of the range (ISO-8601), included; not after now")
    .option("--overlap-policy <policy>", "BUFFER_ALL (one after the other, the default) or ALLOW (side by side)")
    .option("--confirm", "run also what requires confirmation")
    .option("--cancel", "instead, cancel the task's backfill runs still queued")
    .action(
      clientAction(async ({ client, json }, reference: string, options: { from?: string; to?: string; overlapPolicy?: string; confirm?: boolean; cancel?: boolean }) => {
        if (!options.cancel && (options.from === undefined || options.to === undefined)) {
          throw new CliError("give --from and --to (or --cancel)", exitCodes.usage, { code: "BAD_OPTION" });
        }
        const task = await findTask(client, reference);
        if (options.cancel) {
          const { runs } = unwrapResult((await client.request(CliCancelBackfill, { input: { id: task.id } })).cancelBackfill);
          return json ? printJson(runs) : printLine(`cancelled ${runs.length} queued backfill runs of ${task.name}`);
        }
        const overlapPolicy = (options.overlapPolicy?.toUpperCase() ?? "BUFFER_ALL") as BackfillOverlapPolicy;
        const input = { id: task.id, from: options.from!, to: options.to!, overlapPolicy, confirm: options.confirm === true };
        const { runs } = unwrapResult((await client.request(CliBackfillTask, { input })).backfillTask);
        if (json) printJson(runs);
        else printLine(`queued ${runs.length} backfill runs of ${task.name}`);
      }),
    );

  clientCommand(tasks, "run [task]", "run a task (name or id) now, also while paused; or with --tag every task carrying the tag")
    .option("--tag <tag>", "every task carrying the tag")
    .option("--confirm", "run also what requires confirmation")
    .option("--wait", "follow the run to its end; exit 0 only if it succeeded")
    .option("--payload <json>", "for this run only: a JSON object merged over the task's payload")
    .option("--target <device>", "for this run only: a target device, name or id (repeat); replaces the task's targets", collect)
    .action(
      clientAction(async ({ client, json }, reference: string | undefined, options: { tag?: string; confirm?: boolean; wait?: boolean; payload?: string; target?: string[] }) => {
        const confirm = options.confirm === true;
        const overrides = {
          ...(options.payload !== undefined && { payload: jsonObjectOption("--payload", options.payload) }),
          ...(options.target && { targetDeviceIds: await lookupNames(client)("device", options.target) }),
        };
        if (Object.keys(overrides).length > 0 && (options.tag !== undefined || options.wait)) {
          throw new CliError("--payload and --target apply to one run of a named task, without --tag or --wait", exitCodes.usage, { code: "BAD_OPTION" });
        }
        if (options.tag !== undefined && reference === undefined) {
          if (options.wait) throw new CliError("--wait follows one run: name a task instead of --tag", exitCodes.usage, { code: "BAD_OPTION" });
          const { runs } = unwrapResult((await client.request(CliRunTasks, { input: { tag: options.tag, confirm } })).runTasks);
          if (json) return printJson(runs);
          return printLine(runs.length === 0 ? "no task carries the tag" : runs.map((run) => `queued run ${run.id} of ${run.task.name}`).join("\n"));
        }
        const task = await findTask(client, oneTask(reference, options.tag));
        if (options.wait) return runAndWait(client, task, confirm, json);
        const { run } = unwrapResult((await client.request(CliRunTask, { input: { id: task.id, confirm, ...overrides } })).runTask);
        if (json) printJson(run);
        else printLine(`queued run ${run.id} of ${task.name}`);
      }),
    );
}

/** The one task a command names: a task, or --tag, not both and not neither. */
function oneTask(reference: string | undefined, tag: string | undefined): string {
  if (reference !== undefined && tag === undefined) return reference;
  throw new CliError(reference === undefined ? "name a task, or give --tag" : "name a task or give --tag, not both", exitCodes.usage, { code: "BAD_OPTION" });
}
