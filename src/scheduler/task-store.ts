// The scheduler's database access. A claim advances a task from the version the scheduler
// read and inserts the runs it planned, in one transaction: if another process (or an API
// write) changed the task meanwhile, the update matches nothing and no run is created; the
// unique (taskId, occurrence) of Run backs this up, so an occurrence is never run twice.
// The other processes on the database hear of a claim from its own transaction.
import { noClusterNotifier, type ClusterNotifier } from "../cluster/notifier.js";
import type { ClusterNote } from "../cluster/notes.js";
import { Prisma, type DbClient } from "../db/database.js";
import type { DatabaseProvider } from "../db/prisma-schema.js";
import { jsonRowsTable, sqlDialects, type SqlColumn } from "../db/sql-dialect.js";
import { activeRunStatuses, newRunColumns, type NewRun } from "../domain/runs.js";
import { queueNotifications } from "../execution/notification-queue.js";
import type { MisfirePolicyName, OverlapPolicy } from "../domain/task-policies.js";
import { scheduleFromJson } from "../domain/task-schedule.js";
import type { DstPolicy } from "./time/index.js";
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
  /**
   * Where the series goes on if the plan completed the task on reaching maxRuns but some of
   * its queued runs turn out to be recorded already (so they do not count again); null when
   * the plan does not complete the task, or the schedule has no later occurrence.
   */
  resumeAt: Date | null;
}

export interface ClaimOutcome {
  /** Tasks whose claim was applied; the others changed elsewhere since they were read. */
  claimed: Set<string>;
  /** The runs inserted: those of claimed tasks whose occurrence was not recorded already, and the notifications they queued. */
  created: NewRun[];
  /**
   * Claimed tasks that end up other than planned because some of their queued runs were
   * recorded already: what their row now holds.
   */
  recounted: Map<string, { nextRunAt: Date | null; scheduledRunCount: number }>;
}

const taskColumns = {
  id: true,
  version: true,
  state: true,
  schedule: true,
  timezone: true,
  dstPolicy: true,
  nextRunAt: true,
  scheduledRunCount: true,
  maxRuns: true,
  misfirePolicy: true,
  misfireGraceSeconds: true,
  overlapPolicy: true,
  maxConcurrentRuns: true,
  jitterSeconds: true,
  payload: true,
  serviceId: true,
} as const;

type TaskRow = Prisma.TaskGetPayload<{ select: typeof taskColumns }>;

/** The columns of a task that are not its own position in its series. */
const sharedTaskColumns = [
  "schedule",
  "timezone",
  "dstPolicy",
  "maxRuns",
  "misfirePolicy",
  "misfireGraceSeconds",
  "overlapPolicy",
  "maxConcurrentRuns",
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
    dstPolicy: row.dstPolicy as DstPolicy,
    nextRunAt: row.nextRunAt,
    scheduledRunCount: row.scheduledRunCount,
    maxRuns: row.maxRuns,
    misfirePolicy: row.misfirePolicy as MisfirePolicyName,
    misfireGraceSeconds: row.misfireGraceSeconds,
    overlapPolicy: row.overlapPolicy as OverlapPolicy,
    maxConcurrentRuns: row.maxConcurrentRuns,
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

const taskIdColumns: SqlColumn<"task_id">[] = [{ name: "task_id", type: "text" }];
const runIdColumns: SqlColumn<"run_id">[] = [{ name: "run_id", type: "text" }];

const recountColumns: SqlColumn<"recount_task_id" | "recount_left_out" | "recount_state" | "recount_next_run_at">[] = [
  { name: "recount_task_id", type: "text" },
  { name: "recount_left_out", type: "integer" },
  { name: "recount_state", type: "text" },
  { name: "recount_next_run_at", type: "timestamp" },
];


export class TaskStore {
  readonly #db: DbClient;
  readonly #provider: DatabaseProvider;
  readonly #notifier: ClusterNotifier;

  constructor(db: DbClient, provider: DatabaseProvider, notifier = noClusterNotifier) {
    this.#db = db;
    this.#provider = provider;
    this.#notifier = notifier;
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
          dstPolicy: group.dstPolicy as DstPolicy,
          nextRunAt: new Date(nextRunAt),
          scheduledRunCount,
          maxRuns: group.maxRuns,
          misfirePolicy: group.misfirePolicy as MisfirePolicyName,
          misfireGraceSeconds: group.misfireGraceSeconds,
          overlapPolicy: group.overlapPolicy as OverlapPolicy,
          maxConcurrentRuns: group.maxConcurrentRuns,
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

  /**
   * The version of every task to schedule, by id: what the scheduler's resync compares with
   * what it holds. No clock is involved, so a process whose clock is off misses nothing.
   */
  async activeTaskVersions(): Promise<Map<string, number>> {
    const dialect = sqlDialects[this.#provider];
    const [row] = await this.#db.$queryRawUnsafe<{ tasks: string | null }[]>(
      `SELECT ${dialect.jsonArrayOfRows(['"id"', '"version"'])} AS "tasks" FROM "Task" WHERE "state" = 'ACTIVE' AND "nextRunAt" IS NOT NULL`,
    );
    return new Map(row?.tasks ? (JSON.parse(row.tasks) as [string, number][]) : []);
  }

  /** Queued and running runs per task, for the overlap policy. */
  async activeRuns(taskIds: string[]): Promise<Map<string, ActiveRuns>> {
    const result = new Map<string, ActiveRuns>();
    const statuses = activeRunStatuses.map((status) => `'${status}'`).join(", ");
    for (const chunk of chunks(taskIds)) {
      const ids = jsonRowsTable(this.#provider, "due_task", taskIdColumns, chunk.map((id) => ({ task_id: id })));
      // Read through the status index: runs still active are few next to all the runs of
      // these tasks, which the taskId index would walk.
      const rows = await this.#db.$queryRawUnsafe<{ taskId: string; status: string; count: number }[]>(
        `WITH ${ids.cte}
         SELECT "taskId", "status", CAST(COUNT(*) AS integer) AS "count" FROM "Run"
         WHERE "status" IN (${statuses}) AND "trigger" <> 'NOTIFICATION' AND "taskId" IN (SELECT task_id FROM due_task)
         GROUP BY "taskId", "status"`,
        ids.parameter,
      );
      for (const row of rows) {
        const counts = result.get(row.taskId) ?? { queued: 0, running: 0 };
        if (row.status === "QUEUED") counts.queued += Number(row.count);
        else counts.running += Number(row.count);
        result.set(row.taskId, counts);
      }
    }
    return result;
  }

  /**
   * Applies the claims whose task is still at the version they were planned from. Returns
   * the ids of the tasks claimed, the runs created (an occurrence already recorded is left
   * out) and the claimed tasks that ended up other than planned because of that: they count
   * only the runs really queued, so their row must be read again. `notesOf` tells what the
   * other processes hear of the outcome, in the same transaction.
   */
  async applyClaims(claims: Claim[], notesOf: (outcome: ClaimOutcome) => ClusterNote[] = () => []): Promise<ClaimOutcome> {
    const runs = claims.flatMap((claim) => claim.runs);
    // Built before the transaction takes the database's write lock; rebuilt in there only
    // for the rare batch in which some task was changed elsewhere meanwhile.
    const runChunks = chunks(runs).map((chunk) => ({ runs: chunk, table: this.#runsTable(chunk) }));
    return this.#db.$transaction(async (tx) => {
      const claimed = new Set<string>();
      for (const chunk of chunks(claims)) {
        for (const id of await this.#advanceTasks(tx, chunk)) claimed.add(id);
      }
      const toInsert =
        claimed.size === claims.length
          ? runChunks
          : chunks(runs.filter((run) => claimed.has(run.taskId))).map((chunk) => ({ runs: chunk, table: this.#runsTable(chunk) }));
      const created: NewRun[] = [];
      for (const chunk of toInsert) created.push(...(await this.#insertRuns(tx, chunk.runs, chunk.table)));
      const recounted = created.length === runs.length ? new Map() : await this.#recount(tx, claims.filter((c) => claimed.has(c.task.id)), created);
      // Occurrences recorded as missed notify with the record, in this transaction.
      const missed = new Set(claims.flatMap(({ plan, runs: planned }) => planned.filter((_run, i) => plan.runs[i]?.outcome === "skipped_misfire").map((run) => run.id)));
      const recordedMissed = created.filter((run) => missed.has(run.id));
      const notifications = recordedMissed.length === 0 ? [] : await queueNotifications(tx, recordedMissed.map((run) => run.id), recordedMissed[0]!.claimedAt, missed);
      const outcome = { claimed, created: [...created, ...notifications], recounted };
      await this.#notifier.within(tx, notesOf(outcome));
      return outcome;
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
        claim_last_run_at: runs.findLast((r) => r.status === "QUEUED")?.scheduledFor ?? null,
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

  #runsTable(runs: NewRun[]): { cte: string; parameter: string } {
    return jsonRowsTable(this.#provider, "new_run", newRunColumns, runs);
  }

  /**
   * Inserts the runs but those whose occurrence is already recorded. The statement only
   * counts: sending back thousands of ids costs more than it, and only when some run was
   * left out does a second statement find which.
   */
  async #insertRuns(tx: Prisma.TransactionClient, runs: NewRun[], table: { cte: string; parameter: string }): Promise<NewRun[]> {
    if (runs.length === 0) return [];
    const names = newRunColumns.map((c) => `"${c.name}"`).join(", ");
    // `WHERE true` lets SQLite tell the ON CONFLICT clause from a join constraint.
    const inserted = await tx.$executeRawUnsafe(
      `WITH ${table.cte}
       INSERT INTO "Run" (${names}) SELECT ${names} FROM new_run WHERE true
       ON CONFLICT ("taskId", "occurrence") DO NOTHING`,
      table.parameter,
    );
    if (inserted === runs.length) return runs;
    const ids = jsonRowsTable(this.#provider, "new_run_id", runIdColumns, runs.map((run) => ({ run_id: run.id })));
    const stored = await tx.$queryRawUnsafe<{ id: string }[]>(
      `WITH ${ids.cte} SELECT "id" FROM "Run" WHERE "id" IN (SELECT run_id FROM new_run_id)`,
      ids.parameter,
    );
    const storedIds = new Set(stored.map((row) => row.id));
    return runs.filter((run) => storedIds.has(run.id));
  }

  /**
   * The claimed tasks some of whose queued runs were left out (their occurrence was already
   * recorded, by a run that counted when it was queued): their scheduledRunCount takes back
   * what the claim added for them, and a task that the claim completed because it reached
   * maxRuns carries on at `resumeAt` when it has not reached it after all.
   */
  async #recount(tx: Prisma.TransactionClient, claims: Claim[], created: NewRun[]): Promise<ClaimOutcome["recounted"]> {
    const queuedByTask = new Map<string, number>();
    for (const run of created) if (run.status === "QUEUED") queuedByTask.set(run.taskId, (queuedByTask.get(run.taskId) ?? 0) + 1);
    const recounts = claims.flatMap(({ task, plan, resumeAt }) => {
      const queued = queuedByTask.get(task.id) ?? 0;
      if (queued === plan.queued) return [];
      const count = task.scheduledRunCount + queued;
      const resumes = plan.state === "COMPLETED" && resumeAt !== null && task.maxRuns !== null && count < task.maxRuns;
      return [
        {
          recount_task_id: task.id,
          recount_left_out: plan.queued - queued,
          recount_state: resumes ? "ACTIVE" : plan.state,
          recount_next_run_at: resumes ? resumeAt : plan.nextRunAt,
          scheduledRunCount: count,
        },
      ];
    });
    if (recounts.length === 0) return new Map();
    const rows = jsonRowsTable(this.#provider, "recount", recountColumns, recounts);
    await tx.$executeRawUnsafe(
      `WITH ${rows.cte}
       UPDATE "Task" SET
         "scheduledRunCount" = "scheduledRunCount" - recount.recount_left_out,
         "state" = recount.recount_state,
         "nextRunAt" = recount.recount_next_run_at
       FROM recount WHERE "Task"."id" = recount.recount_task_id`,
      rows.parameter,
    );
    return new Map(recounts.map((r) => [r.recount_task_id, { nextRunAt: r.recount_next_run_at, scheduledRunCount: r.scheduledRunCount }]));
  }
}
