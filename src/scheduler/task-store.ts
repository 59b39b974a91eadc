// The scheduler's database access. A claim advances a task from the version the scheduler
// read and inserts the runs it planned, in one transaction: if another process (or an API
// write) changed the task meanwhile, the update matches nothing and no run is created; the
// unique (taskId, occurrence) of Run backs this up, so an occurrence is never run twice.
import { Prisma, type DbClient } from "../db/database.js";
import type { DatabaseProvider } from "../db/prisma-schema.js";
import { sqlDialects, valuesTable, type SqlDialect } from "../db/sql-dialect.js";
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
  service: { select: { defaultPayload: true } },
} as const;

type TaskRow = Prisma.TaskGetPayload<{ select: typeof taskColumns }>;

function toCachedTask(row: TaskRow): CachedTask | null {
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
    payload: mergedPayload(row.service.defaultPayload, row.payload),
  };
}

/** Rows per statement, well under SQLite's and PostgreSQL's parameter limits. */
const chunkSize = 1_000;

function chunks<T>(items: T[], size = chunkSize): T[][] {
  const result: T[][] = [];
  for (let i = 0; i < items.length; i += size) result.push(items.slice(i, i + size));
  return result;
}

export class TaskStore {
  readonly #db: DbClient;
  readonly #dialect: SqlDialect;

  constructor(db: DbClient, provider: DatabaseProvider) {
    this.#db = db;
    this.#dialect = sqlDialects[provider];
  }

  async loadActiveTasks(): Promise<CachedTask[]> {
    const rows = await this.#db.task.findMany({ where: { state: "ACTIVE", nextRunAt: { not: null } }, select: taskColumns });
    return rows.flatMap((row) => toCachedTask(row) ?? []);
  }

  /** The current state of these tasks: a cached task when active, null when not (or gone). */
  async loadTasks(ids: string[]): Promise<Map<string, CachedTask | null>> {
    const result = new Map<string, CachedTask | null>(ids.map((id) => [id, null]));
    for (const chunk of chunks(ids)) {
      for (const row of await this.#db.task.findMany({ where: { id: { in: chunk } }, select: taskColumns })) {
        result.set(row.id, toCachedTask(row));
      }
    }
    return result;
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
      for (const chunk of chunks(runs, 500)) created.push(...(await this.#insertRuns(tx, chunk)));
      return { claimed, created };
    });
  }

  async #advanceTasks(tx: Prisma.TransactionClient, claims: Claim[]): Promise<string[]> {
    const values = valuesTable(
      this.#dialect,
      [
        { name: "claim_task_id", type: "text" },
        { name: "claim_version", type: "integer" },
        { name: "claim_next_run_at", type: "timestamp" },
        { name: "claim_last_run_at", type: "timestamp" },
        { name: "claim_queued", type: "integer" },
        { name: "claim_state", type: "text" },
      ],
      claims.map(({ task, plan, runs }) => [
        task.id,
        task.version,
        plan.nextRunAt,
        runs.filter((r) => r.status === "QUEUED").at(-1)?.scheduledFor ?? null,
        plan.queued,
        plan.state,
      ]),
    );
    const rows = await tx.$queryRawUnsafe<{ id: string }[]>(
      `UPDATE "Task" SET
         "version" = "version" + 1,
         "nextRunAt" = claim.claim_next_run_at,
         "lastRunAt" = COALESCE(claim.claim_last_run_at, "lastRunAt"),
         "scheduledRunCount" = "scheduledRunCount" + claim.claim_queued,
         "state" = claim.claim_state
       FROM ${values.sql} AS claim
       WHERE "Task"."id" = claim.claim_task_id AND "Task"."version" = claim.claim_version AND "Task"."state" = 'ACTIVE'
       RETURNING "id"`,
      ...values.parameters,
    );
    return rows.map((row) => row.id);
  }

  async #insertRuns(tx: Prisma.TransactionClient, runs: NewRun[]): Promise<NewRun[]> {
    if (runs.length === 0) return [];
    const columns = ["id", "taskId", "trigger", "status", "scheduledFor", "occurrence", "jitterMs", "reason", "payload", "claimedAt"] as const;
    const types = ["text", "text", "text", "text", "timestamp", "timestamp", "integer", "text", "json", "timestamp"] as const;
    let n = 1;
    const tuples = runs.map(() => `(${types.map((type) => this.#dialect.typed(n++, type)).join(", ")})`);
    const parameters = runs.flatMap((run) => [
      run.id,
      run.taskId,
      run.trigger,
      run.status,
      run.scheduledFor,
      run.occurrence,
      run.jitterMs,
      run.reason,
      this.#dialect.jsonParameter(run.payload),
      run.claimedAt,
    ]);
    const inserted = await tx.$queryRawUnsafe<{ id: string }[]>(
      `INSERT INTO "Run" (${columns.map((c) => `"${c}"`).join(", ")}) VALUES ${tuples.join(", ")}
       ON CONFLICT ("taskId", "occurrence") DO NOTHING RETURNING "id"`,
      ...parameters,
    );
    const insertedIds = new Set(inserted.map((row) => row.id));
    return runs.filter((run) => insertedIds.has(run.id));
  }
}
