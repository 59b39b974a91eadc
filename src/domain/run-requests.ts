// What an operator asks of a task's runs besides running it now: skip its next occurrence,
// backfill past occurrences (and cancel that backfill), re-run the targets a run failed on.
import { v7 as uuidv7 } from "uuid";
import { Prisma, type DbClient } from "../db/database.js";
import type { DatabaseProvider } from "../db/prisma-schema.js";
import { jsonRowsTable, type SqlColumn } from "../db/sql-dialect.js";
import { nextOccurrence, occurrencesBetween, type DstPolicy } from "../scheduler/time/index.js";
import { ConflictError, NotFoundError, StateError, ValidationError } from "./errors.js";
import { descriptionRule, parseInput } from "./input-rules.js";
import { cancelledBy, cancelQueuedRuns } from "./run-control.js";
import { finishedRunStatuses, newRunColumns, type NewRun, type RunReport } from "./runs.js";
import type { OverlapPolicy } from "./task-policies.js";
import { scheduleFromJson } from "./task-schedule.js";
import { assertConfirmed, changeTask, maxWriteAttempts, mergedPayload, runTaskWith, type TaskDeps } from "./tasks.js";

/** A backfill queues at most this many occurrences; a larger range is refused whole. */
export const maxBackfillRuns = 1_000;

/** The overlap policies a backfill's runs may go by: one after the other, or side by side. */
export const backfillOverlapPolicies = ["BUFFER_ALL", "ALLOW"] as const satisfies readonly OverlapPolicy[];

const noteRule = descriptionRule.nullish();

/**
 * Skips the task's next occurrence: it is recorded as a SKIPPED run (who asked, and the note
 * as its reason) and the task moves on to the one after, in one transaction from the version
 * read, so a scheduler's claim of that occurrence, in this process or another, loses to it
 * (or it to the claim, and then the occurrence after is the next one). Returns the record.
 */
export async function skipNextRun({ db, now, actor = null }: TaskDeps, id: string, note: string | null | undefined): Promise<NewRun> {
  const validNote = parseInput(noteRule, note, "input.note");
  const owner = await db.task.findUnique({ where: { id }, select: { service: { select: { defaultPayload: true } } } });
  if (!owner) throw new NotFoundError("input.id", id, "Task");
  let skipped: NewRun | undefined;
  await changeTask(db, id, (task) => {
    if (task.state !== "ACTIVE" || task.nextRunAt === null) {
      throw new StateError("input.id", task.state === "PAUSED" ? "the task is paused: it has no next run to skip" : "the task has completed: no run is left to skip");
    }
    const occurrence = task.nextRunAt;
    const following = nextOccurrence(scheduleFromJson(task.schedule), task.timezone, occurrence, task.dstPolicy as DstPolicy);
    const run: NewRun = {
      id: uuidv7(),
      taskId: id,
      trigger: "SCHEDULE",
      status: "SKIPPED",
      scheduledFor: occurrence,
      occurrence,
      jitterMs: 0,
      reason: validNote ? `skipped by skipNextRun: ${validNote}` : "skipped by skipNextRun",
      payload: mergedPayload(owner.service.defaultPayload, task.payload),
      claimedAt: now,
      overlapPolicy: null,
    };
    skipped = run;
    return {
      data: { nextRunAt: following, state: following ? "ACTIVE" : "COMPLETED" },
      result: undefined,
      also: async (tx) => {
        await tx.run.create({ data: { ...run, payload: run.payload as Prisma.InputJsonObject, finishedAt: now, requestedBy: actor } });
      },
    };
  });
  return skipped!;
}

export interface BackfillRequest {
  from: Date;
  to: Date;
  overlapPolicy?: OverlapPolicy | null;
  confirm: boolean;
}

/** The columns a backfill writes, as the Run table names them. */
const backfillColumns: SqlColumn<keyof NewRun | "requestedBy">[] = [...newRunColumns, { name: "requestedBy", type: "text" }];

/** What a backfill did: the runs it queued, and whether they completed the task by reaching its maxRuns. */
export interface Backfill {
  runs: NewRun[];
  completed: boolean;
}

/** The task was written (a scheduler's claim, another request) between its read and the backfill's write. */
class TaskChangedMeanwhile extends Error {}
/** Every occurrence of the range has a run already: the backfill's transaction leaves the task as it was. */
class NothingToQueue extends Error {}

/**
 * Queues a run (trigger BACKFILL) for each occurrence of the task's schedule from `from` to
 * `to` (both included, neither after now) that has no run yet: the insert skips an occurrence
 * recorded meanwhile by the same unique (task, occurrence) the scheduler's claims rely on.
 * More than maxBackfillRuns occurrences are refused before anything is written. The runs go
 * by `overlapPolicy` (BUFFER_ALL, the default: one after the other; or ALLOW) whatever the
 * task's. They are occurrences of the schedule, so they count towards maxRuns as the
 * scheduler's runs do: more than maxRuns leaves are refused whole, and reaching it completes
 * the task. Returns the runs queued.
 */
export async function backfillTask(deps: TaskDeps & { provider: DatabaseProvider }, id: string, request: BackfillRequest): Promise<Backfill> {
  const { db, now } = deps;
  const overlapPolicy = request.overlapPolicy ?? "BUFFER_ALL";
  if (!(backfillOverlapPolicies as readonly string[]).includes(overlapPolicy)) {
    throw ValidationError.of("input.overlapPolicy", `must be BUFFER_ALL (one after the other) or ALLOW (side by side) for a backfill, not ${overlapPolicy}`);
  }
  if (request.from.getTime() > request.to.getTime()) throw ValidationError.of("input.to", "must not be before input.from");
  if (request.to.getTime() > now.getTime()) throw ValidationError.of("input.to", `must not be after now (${now.toISOString()}): a backfill runs past occurrences`);
  for (let attempt = 1; attempt <= maxWriteAttempts; attempt++) {
    try {
      return await backfillFromTaskAsRead(deps, id, request, overlapPolicy);
    } catch (error) {
      if (error instanceof NothingToQueue) return { runs: [], completed: false };
      if (!(error instanceof TaskChangedMeanwhile)) throw error;
    }
  }
  throw new ConflictError("input.id", "the task kept changing while the backfill was being written; try again");
}

const backfilledTask = {
  id: true,
  name: true,
  version: true,
  state: true,
  maxRuns: true,
  scheduledRunCount: true,
  schedule: true,
  timezone: true,
  dstPolicy: true,
  payload: true,
  requiresConfirmation: true,
  service: { select: { requiresConfirmation: true, defaultPayload: true } },
} as const;

/** One try of backfillTask, from the task as it reads now; TaskChangedMeanwhile when the task was written since, NothingToQueue when every occurrence has a run. */
async function backfillFromTaskAsRead(
  { db, now, actor = null, provider }: TaskDeps & { provider: DatabaseProvider },
  id: string,
  request: BackfillRequest,
  overlapPolicy: OverlapPolicy,
): Promise<Backfill> {
  const task = await db.task.findUnique({ where: { id }, select: backfilledTask });
  if (!task) throw new NotFoundError("input.id", id, "Task");
  assertConfirmed([task], request.confirm);
  const schedule = scheduleFromJson(task.schedule);
  const occurrences = occurrencesBetween(schedule, task.timezone, new Date(request.from.getTime() - 1), request.to, maxBackfillRuns + 1, task.dstPolicy as DstPolicy);
  if (occurrences.length > maxBackfillRuns) {
    throw ValidationError.of("input.to", `the range holds more than ${maxBackfillRuns} occurrences; backfill at most ${maxBackfillRuns} at once`);
  }
  if (occurrences.length === 0) return { runs: [], completed: false };
  const payload = mergedPayload(task.service.defaultPayload, task.payload);
  const runs: NewRun[] = occurrences.map((occurrence) => ({
    id: uuidv7(),
    taskId: id,
    trigger: "BACKFILL",
    status: "QUEUED",
    scheduledFor: occurrence,
    occurrence,
    jitterMs: 0,
    reason: null,
    payload,
    claimedAt: now,
    overlapPolicy,
  }));
  const table = jsonRowsTable(provider, "backfill", backfillColumns, runs.map((run) => ({ ...run, requestedBy: actor })));
  const names = backfillColumns.map((c) => `"${c.name}"`).join(", ");
  return db.$transaction(async (tx) => {
    // The task's row first, from the version read, as a scheduler's claim takes it: a claim
    // (or another backfill) in between, which may have recorded some of these occurrences or
    // counted towards maxRuns, makes this try again; one after it waits for this to commit.
    // Written by hand so that updatedAt stays: the task's settings do not change.
    const held = await tx.$executeRaw`UPDATE "Task" SET "version" = "version" + 1 WHERE "id" = ${id} AND "version" = ${task.version}`;
    if (held !== 1) throw new TaskChangedMeanwhile();
    // `WHERE true` lets SQLite tell the ON CONFLICT clause from a join constraint.
    const inserted = await tx.$queryRawUnsafe<{ id: string }[]>(
      `WITH ${table.cte} INSERT INTO "Run" (${names}) SELECT ${names} FROM backfill WHERE true ON CONFLICT ("taskId", "occurrence") DO NOTHING RETURNING "id"`,
      table.parameter,
    );
    const ids = new Set(inserted.map((row) => row.id));
    const queued = runs.filter((run) => ids.has(run.id));
    if (queued.length === 0) throw new NothingToQueue();
    const count = task.scheduledRunCount + queued.length;
    // Thrown inside the transaction, so that the runs just inserted go with it.
    if (task.maxRuns !== null && count > task.maxRuns) throw beyondMaxRuns(task.maxRuns, task.scheduledRunCount, queued);
    const completes = task.maxRuns !== null && count === task.maxRuns;
    if (completes) {
      await tx.$executeRaw`UPDATE "Task" SET "scheduledRunCount" = ${count}, "state" = 'COMPLETED', "nextRunAt" = NULL, "pauseNote" = NULL, "pausedAt" = NULL, "pausedBy" = NULL WHERE "id" = ${id}`;
    } else {
      await tx.$executeRaw`UPDATE "Task" SET "scheduledRunCount" = ${count} WHERE "id" = ${id}`;
    }
    return { runs: queued, completed: completes && task.state !== "COMPLETED" };
  });
}

/** The refusal of a backfill that would queue more runs than maxRuns leaves, naming how many it allows and up to when. */
function beyondMaxRuns(maxRuns: number, counted: number, queued: NewRun[]): ValidationError {
  const left = Math.max(maxRuns - counted, 0);
  const held = `the range holds ${queued.length} occurrence${queued.length === 1 ? "" : "s"} without a run, but maxRuns (${maxRuns}) leaves ${left} (${counted} counted so far)`;
  const allowed = left === 0 ? "raise maxRuns to backfill" : `backfill at most ${left}: to ${queued[left - 1]!.scheduledFor.toISOString()} at the latest, or raise maxRuns`;
  return ValidationError.of("input.to", `${held}; ${allowed}`);
}

/** Cancels the task's queued backfill runs; returns them. Those already started go on. */
export async function cancelBackfill({ db, now, actor = null }: TaskDeps, id: string): Promise<RunReport[]> {
  if (!(await db.task.findUnique({ where: { id }, select: { id: true } }))) throw new NotFoundError("input.id", id, "Task");
  return db.$transaction((tx) => cancelQueuedRuns(tx, { taskId: id, trigger: "BACKFILL" }, cancelledBy("cancelBackfill", actor), now));
}

/**
 * Queues a run of the run's task against the devices whose last attempt in that run did not
 * succeed, with the run's payload. A run without devices that failed is run again without
 * one. Devices deleted since are left out.
 */
export async function rerunFailedTargets(deps: TaskDeps, runId: string, confirm: boolean): Promise<NewRun> {
  const run = await deps.db.run.findUnique({ where: { id: runId }, select: { id: true, taskId: true, trigger: true, status: true, payload: true } });
  if (!run) throw new NotFoundError("input.id", runId, "Run");
  // Its targets are its notifying service's, not the task's: a re-run would run the task's service.
  if (run.trigger === "NOTIFICATION") throw new StateError("input.id", "a notification run is not re-run; its retries were its attempts");
  if (!(finishedRunStatuses as readonly string[]).includes(run.status)) throw new StateError("input.id", `the run has not finished (${run.status})`);
  const results = await deps.db.runResult.findMany({
    where: { runId },
    select: { deviceId: true, deviceName: true, attempt: true, status: true },
    orderBy: [{ attempt: "asc" }, { startedAt: "asc" }],
  });
  // The last attempt of each target decides, as in the run's own counts.
  const last = new Map<string, (typeof results)[number]>();
  for (const result of results) last.set(result.deviceId ?? `name:${result.deviceName ?? ""}`, result);
  const failed = [...last.values()].filter((result) => result.status !== "SUCCEEDED");
  if (failed.length === 0) throw new StateError("input.id", "no target of the run failed");
  const deviceIds = failed.flatMap((result) => (result.deviceId ? [result.deviceId] : []));
  const ranWithoutDevice = failed.some((result) => result.deviceId === null && result.deviceName === null);
  if (deviceIds.length === 0 && !ranWithoutDevice) throw new StateError("input.id", "the devices that failed have been deleted since");
  return runTaskWith(deps, run.taskId, confirm, {
    payload: run.payload as Record<string, unknown>,
    targets: { deviceIds, poolIds: [] },
    reason: `re-run of the failed targets of run ${run.id}`,
  });
}
