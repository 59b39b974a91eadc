// `cronline apply`: makes the server match a file. Everything is checked before the first
// change: the file's fields (document.ts), the names it refers to, secrets it would create
// from a mask, and each new or changed schedule through previewSchedule, which computes it
// with the scheduler's own code and writes nothing. Then the plan's changes are made in order.
import type { CreatePoolInput, CreateServiceInput, CreateTaskInput } from "../../generated/graphql/graphql.js";
import { unwrapResult, type ApiClient } from "../client.js";
import { CliError, exitCodes, type FieldProblem } from "../exit-codes.js";
import {
  CliCreateDevice,
  CliCreatePool,
  CliCreateService,
  CliDeleteDevice,
  CliDeletePool,
  CliDeleteService,
  CliUpdateDevice,
  CliUpdatePool,
  CliUpdateService,
} from "../operations/inventory.js";
import { CliCreateTask, CliDeleteTask, CliPauseTask, CliPreviewSchedule, CliResumeTask, CliUpdateTask } from "../operations/tasks.js";
import type { ConfigurationDocument, TaskSpec } from "./document.js";
import { deviceInput, pick, poolInput, serviceInput, taskInput, type ResolveNames } from "./inputs.js";
import { missingReferences, planChanges, secretMask, type PlannedChange } from "./plan.js";
import { readServerState, type ServerState } from "./server-objects.js";

/** Paths inside `value` where the API's mask stands in for a secret. */
function maskedPaths(value: unknown, path: string): string[] {
  if (value === secretMask) return [path];
  if (typeof value !== "object" || value === null) return [];
  return Object.entries(value).flatMap(([key, inner]) => maskedPaths(inner, `${path}.${key}`));
}

/** Schedules the plan creates or changes that the scheduler refuses, or that leave a new active task nothing to run. */
async function scheduleProblems(client: ApiClient, document: ConfigurationDocument, changes: PlannedChange[]): Promise<FieldProblem[]> {
  const checked = document.tasks.flatMap((task, index) => {
    const change = changes.find((candidate) => candidate.kind === "task" && candidate.name === task.name)!;
    const scheduleChanged = change.action === "create" || change.fields.includes("schedule") || change.fields.includes("timezone");
    return scheduleChanged ? [{ task, index, isNew: change.action === "create" }] : [];
  });
  const problems = await Promise.all(
    checked.map(async ({ task, index, isNew }: { task: TaskSpec; index: number; isNew: boolean }): Promise<FieldProblem[]> => {
      const { previewSchedule } = await client.request(CliPreviewSchedule, { schedule: task.schedule, timezone: task.timezone, count: 1 });
      if (previewSchedule.__typename === "ValidationError") {
        // previewSchedule names its own arguments: schedule.cron.expression, timezone.
        return previewSchedule.fieldErrors.map((problem) => ({ field: `tasks.${index}.${problem.field}`, message: problem.message }));
      }
      const instants = previewSchedule.__typename === "PreviewScheduleSuccess" ? previewSchedule.instants : [];
      return isNew && task.state === "ACTIVE" && instants.length === 0
        ? [{ field: `tasks.${index}.schedule`, message: "has no occurrence after now, so the task could never run" }]
        : [];
    }),
  );
  return problems.flat();
}

/** Everything wrong with applying `document`, found before anything is written. */
async function problemsOf(client: ApiClient, document: ConfigurationDocument, state: ServerState, changes: PlannedChange[], prune: boolean): Promise<FieldProblem[]> {
  const masked = document.services.flatMap((service, index) =>
    changes.some((change) => change.kind === "service" && change.name === service.name && change.action === "create")
      ? maskedPaths(service.config, `services.${index}.config`).map((field) => ({
          field,
          message: `is "${secretMask}", the mask the API shows for a secret: a new service needs the value itself`,
        }))
      : [],
  );
  return [...missingReferences(document, state, { prune }), ...masked, ...(await scheduleProblems(client, document, changes))];
}

/** A service's notify rules set after the change that created or updated it: they name a service created after it. */
type NotifyLater = () => Promise<void>;

/**
 * Makes one planned change; `ids` holds every object's id by kind and name, new ones included.
 * A whole spec (a creation) gives every field its create input requires. Returns what is left
 * to do once every service exists.
 */
async function makeChange(
  client: ApiClient,
  change: PlannedChange,
  document: ConfigurationDocument,
  ids: Record<PlannedChange["kind"], Map<string, string>>,
): Promise<NotifyLater | null> {
  const resolve: ResolveNames = async (kind, names) => names.map((name) => ids[kind].get(name)!);
  const id = ids[change.kind].get(change.name)!;
  const named = <T extends { name: string }>(specs: T[]) => specs.find((spec) => spec.name === change.name)!;
  const remember = (newId: string) => ids[change.kind].set(change.name, newId);
  switch (change.kind) {
    case "device": {
      if (change.action === "delete") {
        unwrapResult((await client.request(CliDeleteDevice, { input: { id } })).deleteDevice);
        return null;
      }
      const spec = named(document.devices);
      if (change.action === "create") {
        remember(unwrapResult((await client.request(CliCreateDevice, { input: spec })).createDevice).device.id);
      } else unwrapResult((await client.request(CliUpdateDevice, { input: { id, ...deviceInput(pick(spec, change.fields)) } })).updateDevice);
      return null;
    }
    case "pool": {
      if (change.action === "delete") {
        unwrapResult((await client.request(CliDeletePool, { input: { id } })).deletePool);
        return null;
      }
      const spec = named(document.pools);
      if (change.action === "create") {
        remember(unwrapResult((await client.request(CliCreatePool, { input: (await poolInput(spec, resolve)) as CreatePoolInput })).createPool).pool.id);
      } else unwrapResult((await client.request(CliUpdatePool, { input: { id, ...(await poolInput(pick(spec, change.fields), resolve)) } })).updatePool);
      return null;
    }
    case "service": {
      if (change.action === "delete") {
        unwrapResult((await client.request(CliDeleteService, { input: { id } })).deleteService);
        return null;
      }
      const full = named(document.services);
      // Rules naming a service the file creates later are set once it exists.
      const notifyLater = (full.notify ?? []).some((rule) => !ids.service.has(rule.service));
      const spec = notifyLater ? { ...full, notify: null } : full;
      const later = notifyLater
        ? async () => void unwrapResult((await client.request(CliUpdateService, { input: { id: ids.service.get(change.name)!, ...(await serviceInput(pick(full, ["notify"]), resolve)) } })).updateService)
        : null;
      if (change.action === "create") {
        const input = (await serviceInput(spec, resolve)) as CreateServiceInput;
        remember(unwrapResult((await client.request(CliCreateService, { input })).createService).service.id);
        return later;
      }
      // A new kind needs its config in the same update.
      const fields = (change.fields.includes("kind") ? [...new Set([...change.fields, "config"])] : change.fields).filter((field) => !(notifyLater && field === "notify"));
      if (fields.length > 0) unwrapResult((await client.request(CliUpdateService, { input: { id, ...(await serviceInput(pick(spec, fields), resolve)) } })).updateService);
      return later;
    }
    case "task": {
      if (change.action === "delete") {
        unwrapResult((await client.request(CliDeleteTask, { input: { id } })).deleteTask);
        return null;
      }
      const spec = named(document.tasks);
      if (change.action === "create") {
        const input = (await taskInput(spec, resolve)) as CreateTaskInput;
        remember(unwrapResult((await client.request(CliCreateTask, { input, schedule: spec.state === "ACTIVE" })).createTask).task.id);
        return null;
      }
      const fields = change.fields.filter((field) => field !== "state");
      if (fields.length > 0) unwrapResult((await client.request(CliUpdateTask, { input: { id, ...(await taskInput(pick(spec, fields), resolve)) } })).updateTask);
      if (change.fields.includes("state")) {
        if (spec.state === "PAUSED") unwrapResult((await client.request(CliPauseTask, { input: { id } })).pauseTask);
        else unwrapResult((await client.request(CliResumeTask, { input: { id } })).resumeTask);
      }
      return null;
    }
  }
}

export interface ApplyOutcome {
  changes: PlannedChange[];
  applied: boolean;
}

/**
 * Plans and, unless `dryRun`, makes the changes. A file with any problem changes nothing
 * (a usage error naming each field); a change the server still refuses (a rule of its own
 * settings, or a change made meanwhile by someone else) stops apply there, naming it and what
 * was already done.
 */
export async function applyDocument(client: ApiClient, document: ConfigurationDocument, options: { dryRun: boolean; prune: boolean }): Promise<ApplyOutcome> {
  const state = await readServerState(client);
  const changes = planChanges(document, state, options);
  const problems = await problemsOf(client, document, state, changes, options.prune);
  if (problems.length > 0) {
    throw new CliError(`the file cannot be applied; nothing was changed: ${problems.map((problem) => `${problem.field}: ${problem.message}`).join("; ")}`, exitCodes.usage, {
      code: "INVALID_FILE",
      fieldErrors: problems,
      summary: "the file cannot be applied; nothing was changed",
    });
  }
  if (options.dryRun) return { changes, applied: false };
  const ids = {
    device: new Map([...state.devices].map(([name, entry]) => [name, entry.id])),
    pool: new Map([...state.pools].map(([name, entry]) => [name, entry.id])),
    service: new Map([...state.services].map(([name, entry]) => [name, entry.id])),
    task: new Map([...state.tasks].map(([name, entry]) => [name, entry.id])),
  };
  const done: PlannedChange[] = [];
  const attempt = async <T>(change: PlannedChange, work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      if (!(error instanceof CliError)) throw error;
      const before = done.length === 0 ? "nothing was changed before it" : `done before it: ${done.map((step) => `${step.action} ${step.kind} ${step.name}`).join(", ")}`;
      const summary = `${change.action} ${change.kind} "${change.name}" failed (${before})`;
      throw new CliError(`${change.action} ${change.kind} "${change.name}" failed: ${error.message} (${before})`, error.exitCode, { ...error.details, summary, change, done });
    }
  };
  // Services' notify rules that had to wait for services created after them, set before any task or deletion.
  let waiting: { change: PlannedChange; later: NotifyLater }[] = [];
  const setWaitingRules = async () => {
    for (const { change, later } of waiting) await attempt(change, later);
    waiting = [];
  };
  for (const change of changes.filter((candidate) => candidate.action !== "unchanged")) {
    if (change.kind !== "service" || change.action === "delete") await setWaitingRules();
    const later = await attempt(change, () => makeChange(client, change, document, ids));
    if (later) waiting.push({ change, later });
    done.push(change);
  }
  await setWaitingRules();
  return { changes, applied: true };
}
