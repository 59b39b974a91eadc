// The executor's database access. Every change of a run's status is a conditional update
// from the status it is expected to have, so several Cronline processes sharing a database
// never execute one run twice, and a run closed by one (cancelled, recovered) is not
// reopened by another. Leases are set and compared by the database's clock, so a process
// whose clock is off neither closes the runs of others nor has its own closed. Every change
// of a run's status is told to the other processes from its own transaction.
import { noClusterNotifier, type ClusterNotifier } from "../cluster/notifier.js";
import type { ClusterNote, NoteItems, StepEvent } from "../cluster/notes.js";
import type { DbClient, Prisma } from "../db/database.js";
import type { DatabaseProvider } from "../db/prisma-schema.js";
import { jsonRowsTable, sqlDialects, type SqlColumn, type SqlDialect } from "../db/sql-dialect.js";
import { interruptedReason, rerunPrefix, rerunReason, supersededReason, unscheduledRun, type NewRun, type NewRunResult, type RunReport, type RunStatus, type RunTrigger, type StepReport, type StepStatus } from "../domain/runs.js";
import { recordEndOfLatestRun, recordEndOfLatestRuns } from "../domain/task-last-run.js";
import { queueNotifications } from "./notification-queue.js";
import type { RunSummary } from "./run-outcome.js";
import type { StepTargetResult } from "./templates.js";

const queuedRunColumns = {
  id: true,
  taskId: true,
  trigger: true,
  status: true,
  reason: true,
  scheduledFor: true,
  startedAt: true,
  jitterMs: true,
  claimedAt: true,
  payload: true,
  overlapPolicy: true,
  targets: true,
  serviceId: true,
  // A notification run's own service, which it runs instead of its task's.
  service: { select: { id: true, kind: true, config: true, secrets: true, secretsKeyId: true, concurrency: true } },
  task: {
    select: {
      name: true,
      maxAttempts: true,
      retryBackoffSeconds: true,
      deadlineSeconds: true,
      overlapPolicy: true,
      maxConcurrentRuns: true,
      service: { select: { id: true, kind: true, config: true, secrets: true, secretsKeyId: true, concurrency: true } },
    },
  },
} as const;

const resultColumns: SqlColumn<keyof NewRunResult>[] = [
  { name: "id", type: "text" },
  { name: "runId", type: "text" },
  { name: "deviceId", type: "text" },
  { name: "deviceName", type: "text" },
  { name: "stepName", type: "text" },
  { name: "attempt", type: "integer" },
  { name: "status", type: "text" },
  { name: "exitCode", type: "integer" },
  { name: "httpStatus", type: "integer" },
  { name: "output", type: "text" },
  { name: "outputTruncated", type: "boolean" },
  { name: "errorOutput", type: "text" },
  { name: "errorOutputTruncated", type: "boolean" },
  { name: "error", type: "text" },
  { name: "startedAt", type: "timestamp" },
  { name: "finishedAt", type: "timestamp" },
  { name: "durationMs", type: "integer" },
];

const endColumns: SqlColumn<keyof RunSummary | "id" | "finishedAt">[] = [
  { name: "id", type: "text" },
  { name: "status", type: "text" },
  { name: "reason", type: "text" },
  { name: "targetCount", type: "integer" },
  { name: "succeededCount", type: "integer" },
  { name: "failedCount", type: "integer" },
  { name: "finishedAt", type: "timestamp" },
];

/** The end of a run as its executor saw it. */
export interface RunEnd {
  runId: string;
  summary: RunSummary;
  finishedAt: Date;
}

/** How a run ended in the database: the summary's status, or CANCELLED with the reason stored. */
export interface RecordedEnd {
  status: RunStatus;
  cancelReason: string | null;
}

export class RunStore {
  readonly #db: DbClient;
  readonly #provider: DatabaseProvider;
  readonly #dialect: SqlDialect;
  readonly #notifier: ClusterNotifier;
  readonly #announce: (runs: NewRun[]) => void;

  /** `announce` hears of the notification runs that runs' ends queued, once they are stored. */
  constructor(db: DbClient, provider: DatabaseProvider, notifier = noClusterNotifier, announce: (runs: NewRun[]) => void = () => {}) {
    this.#db = db;
    this.#provider = provider;
    this.#dialect = sqlDialects[provider];
    this.#notifier = notifier;
    this.#announce = announce;
  }

  /** Queues the notifications about runs that ended in `tx`, telling other processes from it. */
  async #notifyEnds(tx: Prisma.TransactionClient, runIds: readonly string[], now: Date): Promise<NewRun[]> {
    const queued = await queueNotifications(tx, runIds, now);
    if (queued.length > 0) await this.#notifier.within(tx, [["runsCreated", queued.map((run): NoteItems["runsCreated"] => [run.id, "QUEUED"])]]);
    return queued;
  }

  #announceAfter<T>(result: { value: T; queued: NewRun[] }): T {
    if (result.queued.length > 0) this.#announce(result.queued);
    return result.value;
  }

  /**
   * The runs among `ids` with what starting them needs, in no particular order; a
   * notification run's task is given its own service, the one it executes.
   */
  async loadRuns(ids: readonly string[]) {
    const rows = await this.#db.run.findMany({ where: { id: { in: [...ids] } }, select: queuedRunColumns });
    return rows.map(({ service, ...run }) => (service ? { ...run, task: { ...run.task, service } } : run));
  }

  /** The tasks of the runs among `ids`. */
  async taskIdsOf(ids: readonly string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const rows = await this.#db.$queryRawUnsafe<{ taskId: string }[]>(`SELECT DISTINCT "taskId" FROM "Run" WHERE "id" IN (${this.#dialect.textList(1)})`, JSON.stringify(ids));
    return new Set(rows.map((row) => row.taskId));
  }

  /** Oldest queued runs first, so the runs of a task start in the order they were queued. */
  async queuedRunIds(limit: number): Promise<string[]> {
    const rows = await this.#db.run.findMany({ where: { status: "QUEUED" }, select: { id: true }, orderBy: [{ claimedAt: "asc" }, { id: "asc" }], take: limit });
    return rows.map((row) => row.id);
  }

  /**
   * QUEUED → RUNNING for this owner, in one statement, for each of `ids` that its run's
   * overlap policy (its own, else its task's) lets start: under ALLOW while fewer than the
   * task's maxConcurrentRuns run (counting the runs of the task started by this statement
   * before it, oldest first), otherwise only while no other run of its task is running
   * (queued runs of a task then go one after the other; the caller passes at most one such
   * run of a task, as the statement does not see the runs it starts itself). On PostgreSQL,
   * the starts of one task are taken one transaction at a time across instances (an advisory
   * lock per task), so two instances never both start the run that fills a task's last slot.
   * Notification runs start whatever the policy, and other runs do not count them. Returns the ids
   * started, whose lease holds `leaseMs` by the database's clock.
   */
  async claimRuns(ids: readonly string[], ownerId: string, now: Date, leaseMs: number): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const d = this.#dialect;
    const running = `(SELECT COUNT(*) FROM "Run" AS "other" WHERE "other"."taskId" = "candidate"."taskId" AND "other"."status" = 'RUNNING' AND "other"."trigger" <> 'NOTIFICATION')`;
    return this.#db.$transaction(async (tx) => {
      if (this.#provider === "postgresql") {
        // Under READ COMMITTED, two processes starting different queued runs of one task at
        // once would each miss the other's uncommitted RUNNING row and both start. A lock per
        // task for the rest of the transaction, taken in a statement of its own (so the UPDATE
        // reads what the previous holder committed), lets one at a time decide; in task order,
        // so that two transactions never wait for each other. SQLite has one writer anyway.
        await tx.$executeRawUnsafe(
          `SELECT pg_advisory_xact_lock(hashtext("taskId")) FROM (
             SELECT DISTINCT "taskId" FROM "Run" WHERE "id" IN (${d.textList(1)}) ORDER BY "taskId"
           ) AS "claimed"`,
          JSON.stringify(ids),
        );
      }
      const rows = await tx.$queryRawUnsafe<{ id: string }[]>(
        `UPDATE "Run" SET "status" = 'RUNNING', "ownerId" = ${d.placeholder(1)}, "leaseExpiresAt" = ${d.now(2)}, "startedAt" = COALESCE("startedAt", ${d.typed(3, "timestamp")})
         WHERE "status" = 'QUEUED' AND "id" IN (
           SELECT "candidate"."id" FROM (
             SELECT "r"."id", "r"."taskId", "r"."trigger", COALESCE("r"."overlapPolicy", "t"."overlapPolicy") AS "policy", "t"."maxConcurrentRuns" AS "most",
               ROW_NUMBER() OVER (PARTITION BY "r"."taskId", "r"."trigger" = 'NOTIFICATION' ORDER BY "r"."claimedAt", "r"."id") AS "position"
             FROM "Run" AS "r" JOIN "Task" AS "t" ON "t"."id" = "r"."taskId"
             WHERE "r"."id" IN (${d.textList(4)}) AND "r"."status" = 'QUEUED'
           ) AS "candidate"
           WHERE "candidate"."trigger" = 'NOTIFICATION'
              OR ("candidate"."policy" = 'ALLOW' AND ("candidate"."most" IS NULL OR "candidate"."position" + ${running} <= "candidate"."most"))
              OR ("candidate"."policy" <> 'ALLOW' AND ${running} = 0))
         RETURNING "id"`,
        ownerId,
        leaseMs,
        now,
        JSON.stringify(ids),
      );
      const started = rows.map((row) => row.id);
      await this.#notifier.within(tx, [["runsStarted", started]]);
      return new Set(started);
    });
  }

  /** The steps a workflow run has recorded so far. */
  async loadSteps(runId: string): Promise<StepReport[]> {
    const rows = await this.#db.runStep.findMany({ where: { runId }, orderBy: [{ startedAt: "asc" }, { name: "asc" }] });
    return rows.map(({ runId: _runId, ...row }) => ({ ...row, status: row.status as StepStatus }));
  }

  /** The final attempt of each target of each step of a run, by step name, in the order they started. */
  async loadStepResults(runId: string): Promise<Map<string, StepTargetResult[]>> {
    const rows = await this.#db.runResult.findMany({
      where: { runId, stepName: { not: null } },
      select: { stepName: true, deviceName: true, attempt: true, status: true, exitCode: true, httpStatus: true, output: true, errorOutput: true },
      orderBy: [{ startedAt: "asc" }, { id: "asc" }],
    });
    const byStep = new Map<string, Map<string | null, StepTargetResult & { attempt: number }>>();
    for (const { stepName, ...row } of rows) {
      let targets = byStep.get(stepName!);
      if (!targets) byStep.set(stepName!, (targets = new Map()));
      const known = targets.get(row.deviceName);
      if (!known || known.attempt <= row.attempt) targets.set(row.deviceName, row);
    }
    return new Map([...byStep].map(([step, targets]) => [step, [...targets.values()].map(({ attempt: _attempt, ...result }) => result)]));
  }

  /**
   * Records a step as it starts or ends (the same row, keyed by run and step name), telling
   * other processes from the same transaction: after the results stored before it, before those stored after.
   */
  async saveStep(runId: string, step: StepReport, event: StepEvent): Promise<void> {
    const row = { ...step, runId };
    await this.#notifier.atomically(this.#db, async (tx) => {
      await tx.runStep.upsert({ where: { runId_name: { runId, name: step.name } }, create: row, update: row });
      return { value: undefined, notes: [["stepsSaved", [[runId, step.name, event]]]] };
    });
  }

  /** QUEUED → SKIPPED, queuing the notifications the skip calls for (a deadline's: DEADLINE_MISSED); false if it was no longer queued. */
  async skipRun(id: string, reason: string, now: Date): Promise<boolean> {
    const written = await this.#db.$transaction(async (tx) => {
      const { count } = await tx.run.updateMany({ where: { id, status: "QUEUED" }, data: { status: "SKIPPED", reason, finishedAt: now } });
      if (count !== 1) return { value: false, queued: [] };
      await this.#notifier.within(tx, [["runsFinished", [id]]]);
      return { value: true, queued: await this.#notifyEnds(tx, [id], now) };
    });
    return this.#announceAfter(written);
  }

  /**
   * Records that each task's latest run is one started now. Hand-written so the tasks'
   * updatedAt and version stay as they are: they tell the scheduler about edits by people.
   */
  async setTasksRunning(taskIds: readonly string[], startedAt: Date): Promise<void> {
    if (taskIds.length === 0) return;
    const d = this.#dialect;
    await this.#db.$executeRawUnsafe(
      `UPDATE "Task" SET "lastRunStatus" = 'RUNNING', "lastRunAt" = ${d.typed(1, "timestamp")} WHERE "id" IN (${d.textList(2)})`,
      startedAt,
      JSON.stringify(taskIds),
    );
  }

  /**
   * Stores results of runs and the ends of runs this owner executed, in one transaction:
   * each run's summary, and its task's last run status, so nobody reads a finished run whose
   * task still says RUNNING. A run's results come before or with its end. A run cancelled
   * meanwhile (by an operator, possibly through another process) stays CANCELLED, with the
   * reason it was cancelled for, and only gets its counts. Returns, for each run end
   * recorded, the status the run ends with and its reason when it is not the summary's;
   * runs no longer this owner's are left out.
   */
  async recordResultsAndEnds(results: readonly NewRunResult[], ends: readonly RunEnd[], ownerId: string): Promise<Map<string, RecordedEnd>> {
    const written = await this.#db.$transaction(async (tx) => {
      await this.#insertResults(tx, results);
      const targetsFinished: ClusterNote = ["targetsFinished", results.map((result) => result.id)];
      const recorded = new Map<string, RecordedEnd>();
      if (ends.length === 0) {
        // Results stored before their run ends (a workflow's steps, a long fan-out) are told too.
        await this.#notifier.within(tx, [targetsFinished]);
        return { value: recorded, queued: [] };
      }
      const finished = await this.#updateEnds(tx, ends, ownerId, "RUNNING");
      for (const end of ends) if (finished.has(end.runId)) recorded.set(end.runId, { status: end.summary.status, cancelReason: null });
      const others = ends.filter((end) => !finished.has(end.runId));
      if (others.length > 0) {
        for (const [runId, reason] of await this.#updateEnds(tx, others, ownerId, "CANCELLED")) recorded.set(runId, { status: "CANCELLED", cancelReason: reason });
      }
      await recordEndOfLatestRuns(tx, [...recorded.keys()]);
      await this.#notifier.within(tx, [targetsFinished, ["runsFinished", [...recorded.keys()]]]);
      const lastEnd = new Date(Math.max(...ends.map((end) => end.finishedAt.getTime())));
      return { value: recorded, queued: await this.#notifyEnds(tx, [...recorded.keys()], lastEnd) };
    });
    return this.#announceAfter(written);
  }

  /**
   * One INSERT per batch, its rows in one JSON parameter: Prisma's createMany costs about
   * half a millisecond per row, which would cap a fan-out to a thousand devices well below
   * what the targets allow.
   */
  async #insertResults(db: DbClient | Prisma.TransactionClient, results: readonly NewRunResult[]): Promise<void> {
    if (results.length === 0) return;
    const rows = jsonRowsTable(this.#provider, "new_result", resultColumns, [...results]);
    const names = resultColumns.map((c) => `"${c.name}"`).join(", ");
    await db.$executeRawUnsafe(`WITH ${rows.cte} INSERT INTO "RunResult" (${names}) SELECT ${names} FROM new_result`, rows.parameter);
  }

  /**
   * Writes the ends of runs of this owner that have status `from`: RUNNING ones get the
   * summary, CANCELLED ones only the counts. Returns the ids written, with the reason each
   * run has now.
   */
  async #updateEnds(tx: Prisma.TransactionClient, ends: readonly RunEnd[], ownerId: string, from: "RUNNING" | "CANCELLED"): Promise<Map<string, string | null>> {
    const rows = jsonRowsTable(
      this.#provider,
      "run_end",
      endColumns,
      ends.map(({ runId, summary, finishedAt }) => ({ ...summary, id: runId, finishedAt })),
    );
    const counts = `"targetCount" = run_end."targetCount", "succeededCount" = run_end."succeededCount", "failedCount" = run_end."failedCount", "leaseExpiresAt" = NULL`;
    // A run without a problem keeps the reason it was queued with (e.g. a re-run's origin).
    const summary = `"status" = run_end."status", "reason" = COALESCE(run_end."reason", "Run"."reason"), "finishedAt" = run_end."finishedAt"`;
    const updated = await tx.$queryRawUnsafe<{ id: string; reason: string | null }[]>(
      `WITH ${rows.cte} UPDATE "Run" SET ${counts}${from === "RUNNING" ? `, ${summary}` : ""} FROM run_end
       WHERE "Run"."id" = run_end."id" AND "Run"."ownerId" = ${this.#dialect.placeholder(2)} AND "Run"."status" = '${from}'
       RETURNING "Run"."id", "Run"."reason"`,
      rows.parameter,
      ownerId,
    );
    return new Map(updated.map((row) => [row.id, row.reason]));
  }

  /** Closes as FAILED a run this owner could not carry out, with its task's last run status; false if it is no longer RUNNING for it. */
  async failRun(run: { id: string; taskId: string }, ownerId: string, reason: string, now: Date): Promise<boolean> {
    const written = await this.#db.$transaction(async (tx) => {
      const { count } = await tx.run.updateMany({
        where: { id: run.id, ownerId, status: "RUNNING" },
        data: { status: "FAILED", reason, finishedAt: now, leaseExpiresAt: null },
      });
      if (count !== 1) return { value: false, queued: [] };
      await recordEndOfLatestRun(tx, run.id, "FAILED");
      await this.#notifier.within(tx, [["runsFinished", [run.id]]]);
      return { value: true, queued: await this.#notifyEnds(tx, [run.id], now) };
    });
    return this.#announceAfter(written);
  }

  /** Extends this owner's leases by `leaseMs` from the database's now; returns the ids among `ids` that are no longer RUNNING for it. */
  async renewLeases(ownerId: string, ids: string[], leaseMs: number): Promise<string[]> {
    if (ids.length === 0) return [];
    const d = this.#dialect;
    await this.#db.$executeRawUnsafe(
      `UPDATE "Run" SET "leaseExpiresAt" = ${d.now(1)} WHERE "id" IN (${d.textList(2)}) AND "ownerId" = ${d.placeholder(3)} AND "status" = 'RUNNING'`,
      leaseMs,
      JSON.stringify(ids),
      ownerId,
    );
    const lost = await this.#db.run.findMany({ where: { id: { in: ids }, NOT: { ownerId, status: "RUNNING" } }, select: { id: true } });
    return lost.map((row) => row.id);
  }

  /**
   * Closes as FAILED "interrupted" the RUNNING runs whose lease has expired by the database's
   * clock, except those this owner is executing (`executingIds`: their leases are renewed,
   * but a renewal can come late), and, at startup (`ownLeftovers`), all those this very owner
   * id holds from a previous life of the process (same host and pid, e.g. pid 1 in a
   * container). The misfire policy of each task decides about a re-run: SKIP none, RUN_ONCE
   * one per task, RUN_ALL one per interrupted run. The runs are closed and their re-runs
   * queued in one transaction, so a process that dies meanwhile loses no re-run. Returns the
   * runs closed and the re-runs queued; `finishedAt` is what the closed runs record. A run
   * closed that was itself such a re-run records "interrupted (re-run of interrupted run …)",
   * and its own re-run names the whole chain back to the first run interrupted.
   */
  async recoverInterruptedRuns(
    ownerId: string,
    executingIds: string[],
    finishedAt: Date,
    ownLeftovers: boolean,
  ): Promise<{ closed: RunReport[]; reruns: NewRun[]; resumed: string[] }> {
    const d = this.#dialect;
    // Others' runs whose lease expired, and this owner's leftovers; its runs going on here are excluded.
    const orphaned = (n: number) =>
      `"status" = 'RUNNING' AND ("leaseExpiresAt" IS NULL OR "leaseExpiresAt" < ${d.now()}${ownLeftovers ? ` OR "ownerId" = ${d.placeholder(n)}` : ""})
       AND "id" NOT IN (${d.textList(n + (ownLeftovers ? 1 : 0))})`;
    const orphanedArgs = [...(ownLeftovers ? [ownerId] : []), JSON.stringify(executingIds)];
    // A plain read first: the write transaction (SQLite's write lock) only when there is something to close.
    const [found] = await this.#db.$queryRawUnsafe<unknown[]>(`SELECT "id" FROM "Run" WHERE ${orphaned(1)} LIMIT 1`, ...orphanedArgs);
    if (!found) return { closed: [], reruns: [], resumed: [] };
    return this.#db.$transaction(async (tx) => {
      // A workflow run goes back to the queue: whoever takes it resumes after the steps it recorded.
      const resumed = await tx.$queryRawUnsafe<{ id: string }[]>(
        `UPDATE "Run" SET "status" = 'QUEUED', "ownerId" = NULL, "leaseExpiresAt" = NULL
         WHERE ${orphaned(1)} AND COALESCE("serviceId", (SELECT "Task"."serviceId" FROM "Task" WHERE "Task"."id" = "Run"."taskId"))
           IN (SELECT "id" FROM "Service" WHERE "kind" = 'WORKFLOW')
         RETURNING "id"`,
        ...orphanedArgs,
      );
      const closedIds = await tx.$queryRawUnsafe<{ id: string }[]>(
        `UPDATE "Run" SET "status" = 'FAILED', "finishedAt" = ${d.typed(1, "timestamp")}, "leaseExpiresAt" = NULL,
           "reason" = CASE WHEN "reason" LIKE ${d.typed(2, "text")} || '%' THEN ${d.typed(3, "text")} || ' (' || "reason" || ')' ELSE ${d.typed(4, "text")} END
         WHERE ${orphaned(5)} RETURNING "id"`,
        finishedAt,
        rerunPrefix,
        interruptedReason,
        interruptedReason,
        ...orphanedArgs,
      );
      const closed = await tx.run.findMany({
        where: { id: { in: closedIds.map((row) => row.id) } },
        select: {
          id: true,
          taskId: true,
          trigger: true,
          scheduledFor: true,
          reason: true,
          startedAt: true,
          targetCount: true,
          succeededCount: true,
          failedCount: true,
          payload: true,
          task: { select: { misfirePolicy: true } },
        },
        orderBy: [{ claimedAt: "asc" }, { id: "asc" }],
      });
      const rerunOf = new Map<string, (typeof closed)[number]>();
      // A notification run is never run again by the misfire policy (its retries were its attempts).
      for (const run of closed.filter((closedRun) => closedRun.trigger !== "NOTIFICATION")) {
        if (run.task.misfirePolicy === "RUN_ALL") rerunOf.set(run.id, run);
        else if (run.task.misfirePolicy === "RUN_ONCE") rerunOf.set(run.taskId, run);
      }
      const reruns = [...rerunOf.values()].map(
        (run) => unscheduledRun(run.taskId, "RETRY", run.payload as Record<string, unknown>, finishedAt, rerunReason(run.id, run.reason)),
      );
      if (reruns.length > 0) await tx.run.createMany({ data: reruns.map((run) => ({ ...run, payload: run.payload as object })) });
      await recordEndOfLatestRuns(tx, closed.map((run) => run.id));
      const notifications = await queueNotifications(tx, closed.map((run) => run.id), finishedAt);
      await this.#notifier.within(tx, [
        ["runsFinished", closed.map((run) => run.id)],
        ["runsCreated", [...[...reruns, ...notifications].map((run): NoteItems["runsCreated"] => [run.id, run.status]), ...resumed.map((row): NoteItems["runsCreated"] => [row.id, "QUEUED"])]],
      ]);
      const reports = closed.map(({ payload: _payload, task: _task, ...run }): RunReport => ({
        ...run,
        trigger: run.trigger as RunTrigger,
        status: "FAILED",
        finishedAt,
      }));
      return { closed: reports, reruns: [...reruns, ...notifications], resumed: resumed.map((row) => row.id) };
    });
  }

  /** When the earliest lease of the RUNNING runs other than `executingIds` ends; null when there are none. */
  async earliestLeaseEnd(executingIds: string[]): Promise<Date | null> {
    const { _min } = await this.#db.run.aggregate({ _min: { leaseExpiresAt: true }, where: { status: "RUNNING", id: { notIn: executingIds } } });
    return _min.leaseExpiresAt;
  }

  /**
   * Cancels the active runs of each task that were queued no later than the run replacing
   * them (overlap policy CANCEL_PREVIOUS). Returns the ids of those that were running, whose
   * executors must stop them, and the reports of those that were still queued, which end here.
   */
  async cancelSupersededRuns(superseding: { taskId: string; runId: string }[], now: Date): Promise<{ running: string[]; queued: RunReport[] }> {
    const running: string[] = [];
    const queued: RunReport[] = [];
    const data = { status: "CANCELLED", reason: supersededReason, finishedAt: now };
    for (const { taskId, runId } of superseding) {
      const replacement = await this.#db.run.findUnique({ where: { id: runId }, select: { claimedAt: true } });
      if (!replacement) continue;
      // Queued before it, in the executor's order: a chain of catch-up runs queued with it stays.
      const older = await this.#db.run.findMany({
        where: {
          taskId,
          // Notifications about the task's runs are not runs it replaces.
          trigger: { not: "NOTIFICATION" },
          status: { in: ["QUEUED", "RUNNING"] },
          OR: [{ claimedAt: { lt: replacement.claimedAt } }, { claimedAt: replacement.claimedAt, id: { lt: runId } }],
        },
        select: { id: true, taskId: true, trigger: true, scheduledFor: true, status: true },
      });
      // One by one from the status each had, as an executor may start a queued one meanwhile;
      // queued ones first, while the running ones still hold them back.
      older.sort((a, b) => Number(b.status === "QUEUED") - Number(a.status === "QUEUED"));
      for (const run of older) {
        const cancelledQueued = await this.#db.$transaction(async (tx) => {
          if ((await tx.run.updateMany({ where: { id: run.id, status: "QUEUED" }, data })).count === 0) return false;
          // Superseded runs are older than the run replacing them, so this changes the task only on a tie.
          await recordEndOfLatestRun(tx, run.id, "CANCELLED");
          await this.#notifier.within(tx, [["runsFinished", [run.id]]]);
          return true;
        });
        if (cancelledQueued) {
          queued.push({ ...run, trigger: run.trigger as RunTrigger, status: "CANCELLED", reason: supersededReason, startedAt: null, finishedAt: now, targetCount: 0, succeededCount: 0, failedCount: 0 });
        } else if (
          await this.#notifier.atomically(this.#db, async (tx) => {
            const cancelled = (await tx.run.updateMany({ where: { id: run.id, status: "RUNNING" }, data })).count === 1;
            // Whichever process executes it stops it at once.
            return { value: cancelled, notes: cancelled ? [["runsCancelled", [run.id]]] : [] };
          })
        ) {
          running.push(run.id);
        }
      }
    }
    return { running, queued };
  }
}
