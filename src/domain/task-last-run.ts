// Task.lastRunStatus follows the task's latest run: the one whose time (its start, or when it
// was due while it waits in the queue) is the task's lastRunAt. A run that ends after a newer
// one was queued or started must not overwrite what the task says about the newer one.
// Notification runs (trigger NOTIFICATION) are about the task's runs, not runs of it: they
// leave lastRunAt and lastRunStatus alone.
import { Prisma, type DbClient } from "../db/database.js";
import type { RunStatus } from "./runs.js";

/**
 * Sets the task's lastRunStatus to the status a run ended with, unless the task's lastRunAt
 * already describes a later run. Hand-written so the task's updatedAt and version stay as
 * they are: they tell the scheduler about edits by people.
 */
export async function recordEndOfLatestRun(db: DbClient | Prisma.TransactionClient, runId: string, status: RunStatus): Promise<void> {
  await db.$executeRaw(Prisma.sql`
    UPDATE "Task" SET "lastRunStatus" = ${status}
    WHERE "id" = (SELECT "taskId" FROM "Run" WHERE "id" = ${runId} AND "trigger" <> 'NOTIFICATION')
      AND ("lastRunAt" IS NULL OR "lastRunAt" <= (SELECT COALESCE("startedAt", "scheduledFor") FROM "Run" WHERE "id" = ${runId}))`);
}

/**
 * The same for several finished runs at once, each with the status it has in the database:
 * a task with several of them takes the status of the latest one its lastRunAt allows.
 */
export async function recordEndOfLatestRuns(db: DbClient | Prisma.TransactionClient, runIds: readonly string[]): Promise<void> {
  if (runIds.length === 0) return;
  const ids = () => Prisma.join([...runIds]);
  const describesRun = Prisma.sql`("Task"."lastRunAt" IS NULL OR "Task"."lastRunAt" <= COALESCE("ended"."startedAt", "ended"."scheduledFor"))`;
  await db.$executeRaw(Prisma.sql`
    UPDATE "Task" SET "lastRunStatus" = (
      SELECT "ended"."status" FROM "Run" AS "ended"
      WHERE "ended"."id" IN (${ids()}) AND "ended"."taskId" = "Task"."id" AND "ended"."trigger" <> 'NOTIFICATION' AND ${describesRun}
      ORDER BY COALESCE("ended"."startedAt", "ended"."scheduledFor") DESC, "ended"."id" DESC LIMIT 1)
    WHERE "id" IN (SELECT "taskId" FROM "Run" WHERE "id" IN (${ids()}))
      AND EXISTS (SELECT 1 FROM "Run" AS "ended" WHERE "ended"."id" IN (${ids()}) AND "ended"."taskId" = "Task"."id" AND "ended"."trigger" <> 'NOTIFICATION' AND ${describesRun})`);
}
