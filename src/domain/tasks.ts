// The rules of tasks: what a valid task is, how its state moves, and when it runs next.
// Every write bumps `version`, which the scheduler uses to advance a task only from what
// it read (see src/scheduler/task-store.ts).
import { Prisma, type DbClient } from "../db/database.js";
import { isRecordMissing } from "../db/prisma-errors.js";
import { canonicalTimeZone, scheduleFrom, type DstPolicy } from "../scheduler/time/index.js";
import type { Schedule } from "../scheduler/time/schedule.js";
import { assertDevicesExist } from "./devices.js";
import { ConfirmationRequiredError, ConflictError, NotFoundError, StateError, ValidationError } from "./errors.js";
import { z } from "zod";
import { descriptionRule, idListRule, jsonObjectRule, nameRule, parseInput, tagRule } from "./input-rules.js";
import { withUniqueName } from "./names.js";
import { assertPoolsExist } from "./pools.js";
import { cancelledBy, cancelQueuedRuns } from "./run-control.js";
import { unscheduledRun, type NewRun, type RunReport } from "./runs.js";
import { createTaskSchema, maxConcurrentRunsIssue, updateTaskSchema } from "./task-fields.js";
import type { TaskState } from "./task-policies.js";
import { assertValidSchedule, scheduleFromInput, scheduleFromJson, scheduleToJson, withWindowSeed } from "./task-schedule.js";
import { createTags, replaceTags } from "./tags.js";
import { assertNotifyServicesExist, notifyColumn } from "./notify-rules.js";
import type { NotifyRule } from "./notifications.js";

export interface TaskDeps {
  db: DbClient;
  now: Date;
  /** Name of the API token making the change, recorded as createdBy, updatedBy, pausedBy. */
  actor?: string | null;
}

/**
 * What scheduling a task at `now` writes: its schedule anchored at now (a STANDARD schedule
 * without startAt starts then), the first occurrence at or after now, and the state that
 * follows. With maxRuns already reached, or no occurrence left, the task is COMPLETED.
 */
function scheduledAt(schedule: Schedule, timezone: string, dstPolicy: DstPolicy, now: Date, exhausted = false) {
  const scheduled = scheduleFrom(schedule, timezone, now, dstPolicy);
  const nextRunAt = exhausted ? null : scheduled.first;
  const state: TaskState = nextRunAt ? "ACTIVE" : "COMPLETED";
  return { schedule: scheduled.schedule, nextRunAt, state };
}

const isExhausted = (task: { maxRuns: number | null; scheduledRunCount: number }) => task.maxRuns !== null && task.scheduledRunCount >= task.maxRuns;

async function assertReferencesExist(db: DbClient, refs: { serviceId?: string; targetDeviceIds?: string[]; targetPoolIds?: string[] }) {
  if (refs.serviceId !== undefined && !(await db.service.findUnique({ where: { id: refs.serviceId }, select: { id: true } }))) {
    throw new NotFoundError("input.serviceId", refs.serviceId, "Service");
  }
  if (refs.targetDeviceIds) await assertDevicesExist(db, refs.targetDeviceIds, "input.targetDeviceIds");
  if (refs.targetPoolIds) await assertPoolsExist(db, refs.targetPoolIds, "input.targetPoolIds");
}

/** Creates a task, PAUSED unless `activate`; an active task must have an occurrence to come. */
export async function createTask({ db, now, actor = null }: TaskDeps, input: unknown, activate: boolean): Promise<string> {
  const { schedule: scheduleInput, targetDeviceIds, targetPoolIds, tags, payload, notify, ...fields } = parseInput(createTaskSchema, input);
  const concurrencyIssue = maxConcurrentRunsIssue(fields.overlapPolicy, fields.maxConcurrentRuns, false);
  if (concurrencyIssue) throw new ValidationError([concurrencyIssue]);
  // Spread windows without a seed take the task's name, so that tasks of one template spread apart.
  const parsedSchedule = withWindowSeed(scheduleFromInput(scheduleInput, fields.timezone, now), fields.name);
  const { schedule, nextRunAt } = activate ? scheduledAt(parsedSchedule, fields.timezone, fields.dstPolicy, now) : { schedule: parsedSchedule, nextRunAt: null };
  if (activate && !nextRunAt) throw ValidationError.of("input.schedule", "has no occurrence after now, so the task could never run");
  await assertReferencesExist(db, { serviceId: fields.serviceId, targetDeviceIds, targetPoolIds });
  await assertNotifyServicesExist(db, notify);
  const task = await withUniqueName("task", fields.name, () =>
    db.task.create({
      data: {
        ...fields,
        notify: notifyColumn(notify),
        // Validated with the schedule above; stored as Intl spells it.
        timezone: canonicalTimeZone(fields.timezone),
        schedule: scheduleToJson(schedule),
        payload: payload as Prisma.InputJsonObject,
        state: activate ? "ACTIVE" : "PAUSED",
        nextRunAt,
        createdBy: actor,
        updatedBy: actor,
        tags: createTags(tags),
        targetDevices: { create: targetDeviceIds.map((deviceId) => ({ deviceId })) },
        targetPools: { create: targetPoolIds.map((poolId) => ({ poolId })) },
      },
      select: { id: true },
    }),
  );
  return task.id;
}

async function findTask(db: DbClient, id: string) {
  const task = await db.task.findUnique({ where: { id } });
  if (!task) throw new NotFoundError("input.id", id, "Task");
  return task;
}

type TaskRow = Awaited<ReturnType<typeof findTask>>;

/** A write that keeps losing to the scheduler's claims is given up after this many tries. */
export const maxWriteAttempts = 5;

/** What a task change plans: the columns to write (none: nothing to do), and what it answers. */
export interface TaskChangePlan<T> {
  data?: Prisma.TaskUpdateInput;
  result: T;
  /** More writes that belong to the change, in its transaction (the task is written first). */
  also?: (tx: Prisma.TransactionClient) => Promise<void>;
}

/**
 * Writes a change planned from the task as read, only if nothing (a scheduler claim, another
 * request) wrote the task meanwhile; otherwise reads it again and plans anew. Without this, a
 * change planned before a claim would put back the nextRunAt and state the claim moved on from.
 */
export async function changeTask<T>(db: DbClient, id: string, plan: (task: TaskRow) => TaskChangePlan<T>, name?: string): Promise<T> {
  for (let attempt = 1; attempt <= maxWriteAttempts; attempt++) {
    const task = await findTask(db, id);
    const { data, result, also } = plan(task);
    if (!data) return result;
    const write = async (client: DbClient | Prisma.TransactionClient) => {
      await client.task.update({ where: { id, version: task.version }, data: { ...data, version: { increment: 1 } }, select: { id: true } });
    };
    try {
      await withUniqueName("task", name, () =>
        also
          ? db.$transaction(async (tx) => {
              await write(tx);
              await also(tx);
            })
          : write(db),
      );
      return result;
    } catch (error) {
      // No row at that version: changed or deleted since the read; the next read tells which.
      if (!isRecordMissing(error)) throw error;
    }
  }
  throw new ConflictError("input.id", "the task kept changing while this change was being written; try again");
}

/**
 * Applies any subset of fields at once. A new schedule or timezone reschedules an active (or
 * completed) task from now; other changes leave nextRunAt and state to the scheduler.
 */
export async function updateTask({ db, now, actor = null }: TaskDeps, id: string, input: unknown): Promise<void> {
  const { schedule: scheduleInput, targetDeviceIds, targetPoolIds, tags, payload, notify, ...fields } = parseInput(updateTaskSchema, input);
  await assertReferencesExist(db, { serviceId: fields.serviceId, targetDeviceIds, targetPoolIds });
  await assertNotifyServicesExist(db, notify);
  const timingChanged = scheduleInput !== undefined || fields.timezone !== undefined || fields.dstPolicy !== undefined;
  await changeTask(
    db,
    id,
    (current) => {
      const concurrencyIssue = maxConcurrentRunsIssue(
        fields.overlapPolicy ?? current.overlapPolicy,
        fields.maxConcurrentRuns !== undefined ? fields.maxConcurrentRuns : current.maxConcurrentRuns,
        fields.overlapPolicy !== undefined && fields.maxConcurrentRuns === undefined,
      );
      if (concurrencyIssue) throw new ValidationError([concurrencyIssue]);
      const timezone = fields.timezone ?? current.timezone;
      let timing: { timezone?: string; schedule?: Prisma.InputJsonObject; nextRunAt?: Date | null; state?: TaskState } = {};
      if (timingChanged) {
        const dstPolicy = fields.dstPolicy ?? (current.dstPolicy as DstPolicy);
        const schedule =
          scheduleInput !== undefined ? withWindowSeed(scheduleFromInput(scheduleInput, timezone, now), fields.name ?? current.name) : scheduleFromJson(current.schedule);
        if (scheduleInput === undefined) assertValidSchedule(schedule, timezone, now);
        if (current.state === "PAUSED") {
          timing = { schedule: scheduleToJson(schedule) };
        } else {
          const scheduled = scheduledAt(schedule, timezone, dstPolicy, now, isExhausted({ scheduledRunCount: current.scheduledRunCount, maxRuns: fields.maxRuns !== undefined ? fields.maxRuns : current.maxRuns }));
          timing = { schedule: scheduleToJson(scheduled.schedule), nextRunAt: scheduled.nextRunAt, state: scheduled.state };
        }
        timing.timezone = canonicalTimeZone(timezone);
      }
      return {
        data: {
          ...fields,
          ...timing,
          ...(payload && { payload: payload as Prisma.InputJsonObject }),
          ...(notify !== undefined && { notify: notifyColumn(notify) }),
          ...(tags && { tags: replaceTags(tags) }),
          ...(targetDeviceIds && { targetDevices: { deleteMany: {}, create: targetDeviceIds.map((deviceId) => ({ deviceId })) } }),
          ...(targetPoolIds && { targetPools: { deleteMany: {}, create: targetPoolIds.map((poolId) => ({ poolId })) } }),
          updatedBy: actor,
        },
        result: undefined,
      };
    },
    fields.name,
  );
}

/** A PAUSED copy with the same settings, targets and tags, named "<name> (copy)" unless a name is given. */
export async function duplicateTask({ db, actor = null }: TaskDeps, id: string, name: string | null | undefined): Promise<string> {
  const source = await db.task.findUnique({
    where: { id },
    include: { tags: true, targetDevices: true, targetPools: true },
  });
  if (!source) throw new NotFoundError("input.id", id, "Task");
  // A generated "<name> (copy)" obeys the name rules too: past the length limit, ask for a name.
  const copyName = parseInput(nameRule, name ?? (await freeCopyName(db, source.name)), "input.name");
  const { id: _id, tags, targetDevices, targetPools, createdAt: _c, updatedAt: _u, ...settings } = source;
  const copy = await withUniqueName("task", copyName, () =>
    db.task.create({
      data: {
        ...settings,
        name: copyName,
        schedule: settings.schedule as Prisma.InputJsonObject,
        payload: settings.payload as Prisma.InputJsonObject,
        notify: notifyColumn(settings.notify as unknown as NotifyRule[] | null),
        state: "PAUSED",
        pauseNote: null,
        pausedAt: null,
        pausedBy: null,
        createdBy: actor,
        updatedBy: actor,
        nextRunAt: null,
        lastRunAt: null,
        lastRunStatus: null,
        scheduledRunCount: 0,
        version: 0,
        tags: createTags(tags.map((t) => t.name)),
        targetDevices: { create: targetDevices.map(({ deviceId }) => ({ deviceId })) },
        targetPools: { create: targetPools.map(({ poolId }) => ({ poolId })) },
      },
      select: { id: true },
    }),
  );
  return copy.id;
}

async function freeCopyName(db: DbClient, name: string): Promise<string> {
  const base = `${name} (copy`;
  const taken = new Set((await db.task.findMany({ where: { name: { startsWith: base } }, select: { name: true } })).map((t) => t.name));
  for (let n = 1; ; n++) {
    const candidate = n === 1 ? `${base})` : `${base} ${n})`;
    if (!taken.has(candidate)) return candidate;
  }
}

export async function deleteTask({ db }: TaskDeps, id: string): Promise<void> {
  try {
    await db.task.delete({ where: { id } });
  } catch (error) {
    if (isRecordMissing(error)) throw new NotFoundError("input.id", id, "Task");
    throw error;
  }
}

const pauseData = (note: string | null | undefined, now: Date, actor: string | null) => ({
  state: "PAUSED",
  pauseNote: note ?? null,
  pausedAt: now,
  pausedBy: actor,
  nextRunAt: null,
});

const pauseNoteRule = descriptionRule.nullish();

/** The queued runs a pause cancels when asked: all of the task's but its notifications, which report on runs already ended. */
const cancellableByPause = { trigger: { not: "NOTIFICATION" } } as const;

/**
 * Stops an active task from firing; pausing a paused task only replaces its note. With
 * `cancelQueued`, its queued runs are cancelled in the same transaction (returned); without,
 * they still start.
 */
export async function pauseTask({ db, now, actor = null }: TaskDeps, id: string, note: string | null | undefined, cancelQueued = false): Promise<RunReport[]> {
  const validNote = parseInput(pauseNoteRule, note, "input.note");
  let cancelled: RunReport[] = [];
  await changeTask(db, id, (task) => {
    if (task.state === "COMPLETED") throw new StateError("input.id", "the task has completed; edit its schedule or resume it instead");
    return {
      data: pauseData(validNote, now, actor),
      result: undefined,
      ...(cancelQueued && {
        also: async (tx: Prisma.TransactionClient) => void (cancelled = await cancelQueuedRuns(tx, { taskId: id, ...cancellableByPause }, cancelledBy("pauseTask", actor), now)),
      }),
    };
  });
  return cancelled;
}

/**
 * Schedules a paused or completed task again from now: occurrences that passed meanwhile
 * are not misfires. With nothing left to run (past end, maxRuns reached) it is COMPLETED.
 */
export async function resumeTask({ db, now }: TaskDeps, id: string): Promise<TaskState> {
  return changeTask(db, id, (task) => {
    if (task.state === "ACTIVE") return { result: "ACTIVE" };
    const { schedule, nextRunAt, state } = scheduledAt(scheduleFromJson(task.schedule), task.timezone, task.dstPolicy as DstPolicy, now, isExhausted(task));
    return {
      data: { schedule: scheduleToJson(schedule), state, nextRunAt, pauseNote: null, pausedAt: null, pausedBy: null },
      result: state,
    };
  });
}

const runnableTask = { id: true, name: true, payload: true, requiresConfirmation: true, service: { select: { requiresConfirmation: true, defaultPayload: true } } } as const;
type RunnableTask = Prisma.TaskGetPayload<{ select: typeof runnableTask }>;

/** The payload a run gets: the task's keys over the service's defaults. */
export const mergedPayload = (servicePayload: unknown, taskPayload: unknown): Record<string, unknown> => ({
  ...(servicePayload as Record<string, unknown>),
  ...(taskPayload as Record<string, unknown>),
});


/** Refuses, naming them, tasks that (or whose service) require confirmation when `confirm` is not true. */
export function assertConfirmed(tasks: { name: string; requiresConfirmation: boolean; service: { requiresConfirmation: boolean } }[], confirm: boolean): void {
  const unconfirmed = tasks.filter((t) => t.requiresConfirmation || t.service.requiresConfirmation);
  if (unconfirmed.length > 0 && !confirm) throw new ConfirmationRequiredError(unconfirmed.map((t) => t.name));
}

/** What one manual run does differently from its task: a payload over the task's, and targets of its own. */
export interface RunOverrides {
  payload?: Record<string, unknown> | null;
  /** Replace the task's targets when either list is given and not empty; both empty lists mean no device. */
  targets?: { deviceIds: string[]; poolIds: string[] } | null;
  /** Why it was queued (e.g. which run it re-runs). */
  reason?: string | null;
}

/**
 * Queues runs of the tasks now, whatever their state. If any of them (or its service)
 * requires confirmation and `confirm` is not true, nothing is queued.
 */
async function runNow({ db, now, actor = null }: TaskDeps, tasks: RunnableTask[], confirm: boolean, overrides: RunOverrides = {}): Promise<NewRun[]> {
  assertConfirmed(tasks, confirm);
  if (tasks.length === 0) return [];
  const runs = tasks.map((task) =>
    unscheduledRun(task.id, "MANUAL", { ...mergedPayload(task.service.defaultPayload, task.payload), ...overrides.payload }, now, overrides.reason ?? null),
  );
  const targets = overrides.targets ? (overrides.targets as Prisma.InputJsonObject) : undefined;
  await db.$transaction([
    db.run.createMany({ data: runs.map((run) => ({ ...run, payload: run.payload as Prisma.InputJsonObject, targets, requestedBy: actor })) }),
    // Not a change of the task's settings: written by hand so that updatedAt stays (the live views would announce the
    // task as UPDATED) and the version too (no scheduler claim is undone). lastRunAt is the time the new run is due.
    db.$executeRaw`UPDATE "Task" SET "lastRunStatus" = 'QUEUED',
      "lastRunAt" = (SELECT MAX("scheduledFor") FROM "Run" WHERE "Run"."taskId" = "Task"."id" AND "Run"."trigger" = 'MANUAL')
      WHERE "id" IN (${Prisma.join(tasks.map((t) => t.id))})`,
  ]);
  return runs;
}

const runOverridesSchema = z.object({ payload: jsonObjectRule.nullish(), targetDeviceIds: idListRule.nullish(), targetPoolIds: idListRule.nullish() });

/**
 * Queues a run of the task now. A payload given is merged over the task's (top-level keys);
 * target ids given replace the task's targets, for this run only. Both are checked as the
 * task's own are.
 */
export async function runTask(deps: TaskDeps, id: string, confirm: boolean, input: unknown = {}): Promise<NewRun> {
  const { payload, targetDeviceIds, targetPoolIds } = parseInput(runOverridesSchema, input);
  const deviceIds = [...new Set(targetDeviceIds ?? [])];
  const poolIds = [...new Set(targetPoolIds ?? [])];
  await assertReferencesExist(deps.db, { targetDeviceIds: deviceIds, targetPoolIds: poolIds });
  const task = await deps.db.task.findUnique({ where: { id }, select: runnableTask });
  if (!task) throw new NotFoundError("input.id", id, "Task");
  const targets = deviceIds.length > 0 || poolIds.length > 0 ? { deviceIds, poolIds } : null;
  const [run] = await runNow(deps, [task], confirm, { payload, targets });
  return run!;
}

/** Queues a run of the task with its own targets and payload (rerunFailedTargets). */
export async function runTaskWith(deps: TaskDeps, id: string, confirm: boolean, overrides: RunOverrides): Promise<NewRun> {
  const task = await deps.db.task.findUnique({ where: { id }, select: runnableTask });
  if (!task) throw new NotFoundError("input.id", id, "Task");
  const [run] = await runNow(deps, [task], confirm, overrides);
  return run!;
}

const taggedWith = (tag: string) => ({ tags: { some: { name: tag } } });

export async function runTasksByTag(deps: TaskDeps, tag: string, confirm: boolean): Promise<NewRun[]> {
  const tasks = await deps.db.task.findMany({ where: taggedWith(parseInput(tagRule, tag, "input.tag")), select: runnableTask, orderBy: { name: "asc" } });
  return runNow(deps, tasks, confirm);
}

/**
 * Pauses the active tasks carrying the tag, in one transaction; returns their ids. With
 * `cancelQueued`, the queued runs of the tag's paused tasks (those it paused, and those paused
 * already, as pauseTask would on each) are cancelled in the same transaction and returned;
 * completed tasks are left alone, as pauseTask refuses them.
 */
export async function pauseTasksByTag(
  { db, now, actor = null }: TaskDeps,
  tag: string,
  note: string | null | undefined,
  cancelQueued = false,
): Promise<{ ids: string[]; cancelled: RunReport[] }> {
  const validNote = parseInput(pauseNoteRule, note, "input.note");
  const tagged = taggedWith(parseInput(tagRule, tag, "input.tag"));
  return db.$transaction(async (tx) => {
    const ids = (await tx.task.findMany({ where: { ...tagged, state: "ACTIVE" }, select: { id: true } })).map((t) => t.id);
    await tx.task.updateMany({ where: { id: { in: ids } }, data: { ...pauseData(validNote, now, actor), version: { increment: 1 } } });
    const cancelled = cancelQueued ? await cancelQueuedRuns(tx, { task: { ...tagged, state: "PAUSED" }, ...cancellableByPause }, cancelledBy("pauseTasks", actor), now) : [];
    return { ids, cancelled };
  });
}

/** Resumes the paused tasks carrying the tag; returns their ids and the state each is now in. */
export async function resumeTasksByTag(deps: TaskDeps, tag: string): Promise<{ id: string; state: TaskState }[]> {
  const paused = await deps.db.task.findMany({ where: { ...taggedWith(parseInput(tagRule, tag, "input.tag")), state: "PAUSED" }, select: { id: true } });
  const resumed: { id: string; state: TaskState }[] = [];
  for (const { id } of paused) resumed.push({ id, state: await resumeTask(deps, id) });
  return resumed;
}
