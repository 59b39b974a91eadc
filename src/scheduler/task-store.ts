// The scheduler's database access. A claim advances a task from the version the scheduler
// read and inserts the runs it planned, in one transaction: if another process (or an API
// write) changed the task meanwhile, the update matches nothing and no run is created; the
// unique (taskId, occurrence) of Run backs this up, so an occurrence is never run twice.
import { Prisma, type DbClient } from "../db/database.js";
import type { DatabaseProvider } from "../db/prisma-schema.js";
import { jsonRowsTable, sqlDialects, type SqlColumn } from "../db/sql-dialect.js";
import { activeRunStatuses, type NewRun } from "../domain/runs.js";
import type { MisfirePolicyName, OverlapPolicy } from "../domain/task-policies.js";
import { scheduleFromJson } from "../domain/task-schedule.js";
import { mergedPayload } from "../domain/tasks.js";
import type { ActiveRuns, FirePlan, SchedulableTask } from "./fire-plan.js";

export interface CachedTask extends SchedulableTask {
  jitterSeconds: number;
  payload: Record<string, unknown>;
}

export interface Claim {
  task: CachedTask;
  plan: FirePlan;
  runs: NewRun[];
}

const taskColumns = {
  id: true,
  version: true,
  state: true,
  schedule: true,
  timezone: true,
  nextRunAt: true,
  scheduledRunCount: true,
  maxRuns: true,
  misfirePolicy: true,
  misfireGraceSeconds: true,
  overlapPolicy: true,
  jitterSeconds: true,
  payload: true,
  serviceId: true,
} as const;

type TaskRow = Prisma.TaskGetPayload<{ select: typeof taskColumns }>;

/** The columns of a task that are not its own position in its series. */
const sharedTaskColumns = [
  "schedule",
  "timezone",
  "maxRuns",
  "misfirePolicy",
  "misfireGraceSeconds",
  "overlapPolicy",
  "jitterSeconds",
  "payload",
  "serviceId",
] as const satisfies readonly (keyof TaskRow)[];

/** Tasks with the same shared settings, `tasks` a JSON array of their PerTaskColumns. */
type SharedTaskSettings = Pick<TaskRow, (typeof sharedTaskColumns)[number]> & { tasks: string };
/** id, version, nextRunAt (ISO text), scheduledRunCount. */
type PerTaskColumns = [string, number, string, number];

/** The task as the scheduler keeps it, or null when it is not to be scheduled. */
function toCachedTask(row: TaskRow, servicePayloads: Map<string, unknown>): CachedTask | null {
  if (row.state !== "ACTIVE" || row.nextRunAt === null) return null;
  return {
    id: row.id,
    version: row.version,
    schedule: scheduleFromJson(row.schedule),
    timezone: row.timezone,
    nextRunAt: row.nextRunAt,
    scheduledRunCount: row.scheduledRunCount,
    maxRuns: row.maxRuns,
    misfirePolicy: row.misfirePolicy as MisfirePolicyName,
    misfireGraceSeconds: row.misfireGraceSeconds,
    overlapPolicy: row.overlapPolicy as OverlapPolicy,
    jitterSeconds: row.jitterSeconds,
    payload: mergedPayload(servicePayloads.get(row.serviceId) ?? {}, row.payload),
  };
}

/** Rows per statement: big batches are cheap (one JSON parameter), but memory stays bounded. */
const chunkSize = 5_000;

function chunks<T>(items: T[], size = chunkSize): T[][] {
  const result: T[][] = [];
  for (let i = 0; i < items.length; i += size) result.push(items.slice(i, i + size));
  return result;
}

/** Prefixed, so that no name is also a column of Task. */
const claimColumns: SqlColumn<"claim_task_id" | "claim_version" | "claim_next_run_at" | "claim_last_run_at" | "claim_queued" | "claim_state">[] = [
  { name: "claim_task_id", type: "text" },
  { name: "claim_version", type: "integer" },
  { name: "claim_next_run_at", type: "timestamp" },
  { name: "claim_last_run_at", type: "timestamp" },
  { name: "claim_queued", type: "integer" },
  { name: "claim_state", type: "text" },
];

/** Every column of a NewRun, as the Run table names them. */
const runColumns: SqlColumn<keyof NewRun>[] = [
  { name: "id", type: "text" },
  { name: "taskId", type: "text" },
  { name: "trigger", type: "text" },
  { name: "status", type: "text" },
  { name: "scheduledFor", type: "timestamp" },
  { name: "occurrence", type: "timestamp" },
  { name: "jitterMs", type: "integer" },
  { name: "reason", type: "text" },
  { name: "payload", type: "json" },
  { name: "claimedAt", type: "timestamp" },
];

export class TaskStore {
  readonly #db: DbClient;
  readonly #provider: DatabaseProvider;

  constructor(db: DbClient, provider: DatabaseProvider) {
    this.#db = db;
    this.#provider = provider;
  }

  /**
   * Every task to schedule. One row per distinct combination of the settings tasks share
   * (tasks made from one template have the same schedule, policies and payload), with the
   * few per-task columns folded into one JSON text: at 100,000 tasks a row per task costs
   * seconds in the driver adapter's per-cell conversion, and each schedule and payload is
   * parsed and merged once per group, its objects shared (nothing mutates them).
   */
  async loadActiveTasks(): Promise<CachedTask[]> {
    const dialect = sqlDialects[this.#provider];
    const shared = sharedTaskColumns.map((name) => `"${name}"`).join(", ");
    const perTask = dialect.jsonArrayOfRows(['"id"', '"version"', dialect.isoInstant('"nextRunAt"'), '"scheduledRunCount"']);
    const groups = await this.#db.$queryRawUnsafe<SharedTaskSettings[]>(
      `SELECT ${shared}, ${perTask} AS "tasks" FROM "Task" WHERE "state" = 'ACTIVE' AND "nextRunAt" IS NOT NULL GROUP BY ${shared}`,
    );
    const payloads = await this.#servicePayloads(groups.map((group) => group.serviceId));
    const tasks: CachedTask[] = [];
    for (const group of groups) {
      const schedule = scheduleFromJson(group.schedule);
      const payload = mergedPayload(payloads.get(group.serviceId) ?? {}, group.payload);
      for (const [id, version, nextRunAt, scheduledRunCount] of JSON.parse(group.tasks) as PerTaskColumns[]) {
        tasks.push({
          id,
          version,
          schedule,
          timezone: group.timezone,
          nextRunAt: new Date(nextRunAt),
          scheduledRunCount,
          maxRuns: group.maxRuns,
          misfirePolicy: group.misfirePolicy as MisfirePolicyName,
          misfireGraceSeconds: group.misfireGraceSeconds,
          overlapPolicy: group.overlapPolicy as OverlapPolicy,
          jitterSeconds: group.jitterSeconds,
          payload,
        });
      }
    }
    return tasks;
  }

  /** The current state of these tasks: a cached task when active, null when not (or gone). */
  async loadTasks(ids: string[]): Promise<Map<string, CachedTask | null>> {
    const result = new Map<string, CachedTask | null>(ids.map((id) => [id, null]));
    for (const chunk of chunks(ids)) {
      const rows = await this.#db.task.findMany({ where: { id: { in: chunk } }, select: taskColumns });
      (await this.#toCachedTasks(rows)).forEach((task, i) => result.set(rows[i]!.id, task));
    }
    return result;
  }

  async #toCachedTasks(rows: TaskRow[]): Promise<(CachedTask | null)[]> {
    const payloads = await this.#servicePayloads(rows.map((row) => row.serviceId));
    return rows.map((row) => toCachedTask(row, payloads));
  }

  /** Reads the default payloads of the few services involved once, not once per task. */
  async #servicePayloads(serviceIds: string[]): Promise<Map<string, unknown>> {
    const services = await this.#db.service.findMany({ where: { id: { in: [...new Set(serviceIds)] } }, select: { id: true, defaultPayload: true } });
    return new Map(services.map((service) => [service.id, service.defaultPayload]));
  }

  /** Ids of the tasks written by the API since `since` (scheduler claims do not touch updatedAt). */
  async changedSince(since: Date): Promise<string[]> {
    const rows = await this.#db.task.findMany({ where: { updatedAt: { gte: since } }, select: { id: true } });
    return rows.map((row) => row.id);
  }

  /** Queued and running runs per task, for the overlap policy. */
  async activeRuns(taskIds: string[]): Promise<Map<string, ActiveRuns>> {
    const result = new Map<string, ActiveRuns>();
    for (const chunk of chunks(taskIds)) {
      const rows = await this.#db.run.groupBy({
        by: ["taskId", "status"],
        where: { taskId: { in: chunk }, status: { in: [...activeRunStatuses] } },
        _count: { _all: true },
      });
      for (const row of rows) {
        const counts = result.get(row.taskId) ?? { queued: 0, running: 0 };
        if (row.status === "QUEUED") counts.queued += row._count._all;
        else counts.running += row._count._all;
        result.set(row.taskId, counts);
      }
    }
    return result;
  }

  /**
   * Applies the claims whose task is still at the version they were planned from; returns
   * the ids of the tasks claimed and the runs created (an occurrence already recorded by
   * someone else is left out).
   */
  async applyClaims(claims: Claim[]): Promise<{ claimed: Set<string>; created: NewRun[] }> {
    return this.#db.$transaction(async (tx) => {
      const claimed = new Set<string>();
      for (const chunk of chunks(claims)) {
        for (const id of await this.#advanceTasks(tx, chunk)) claimed.add(id);
      }
      const runs = claims.filter((c) => claimed.has(c.task.id)).flatMap((c) => c.runs);
      const created: NewRun[] = [];
      for (const chunk of chunks(runs)) created.push(...(await this.#insertRuns(tx, chunk)));
      return { claimed, created };
    });
  }

  async #advanceTasks(tx: Prisma.TransactionClient, claims: Claim[]): Promise<string[]> {
    const claimRows = jsonRowsTable(
      this.#provider,
      "claim",
      claimColumns,
      claims.map(({ task, plan, runs }) => ({
        claim_task_id: task.id,
        claim_version: task.version,
        claim_next_run_at: plan.nextRunAt,
        claim_last_run_at: runs.filter((r) => r.status === "QUEUED").at(-1)?.scheduledFor ?? null,
        claim_queued: plan.queued,
        claim_state: plan.state,
      })),
    );
    const rows = await tx.$queryRawUnsafe<{ id: string }[]>(
      `WITH ${claimRows.cte}
       UPDATE "Task" SET
         "version" = "version" + 1,
         "nextRunAt" = claim.claim_next_run_at,
         "lastRunAt" = COALESCE(claim.claim_last_run_at, "lastRunAt"),
         "lastRunStatus" = CASE WHEN claim.claim_last_run_at IS NULL THEN "lastRunStatus" ELSE 'QUEUED' END,
         "scheduledRunCount" = "scheduledRunCount" + claim.claim_queued,
         "state" = claim.claim_state
       FROM claim
       WHERE "Task"."id" = claim.claim_task_id AND "Task"."version" = claim.claim_version AND "Task"."state" = 'ACTIVE'
       RETURNING "Task"."id"`,
      claimRows.parameter,
    );
    return rows.map((row) => row.id);
  }

  async #insertRuns(tx: Prisma.TransactionClient, runs: NewRun[]): Promise<NewRun[]> {
    if (runs.length === 0) return [];
    const newRuns = jsonRowsTable(this.#provider, "new_run", runColumns, runs);
    const names = runColumns.map((c) => `"${c.name}"`).join(", ");
    // `WHERE true` lets SQLite tell the ON CONFLICT clause from a join constraint.
    const inserted = await tx.$queryRawUnsafe<{ id: string }[]>(
      `WITH ${newRuns.cte}
       INSERT INTO "Run" (${names}) SELECT ${names} FROM new_run WHERE true
       ON CONFLICT ("taskId", "occurrence") DO NOTHING RETURNING "id"`,
      newRuns.parameter,
    );
    const insertedIds = new Set(inserted.map((row) => row.id));
    return runs.filter((run) => insertedIds.has(run.id));
  }
}
