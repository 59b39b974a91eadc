// What the live views show of a task: enough to draw a row of a schedule table without
// another query. Loaded from the database once, then kept current from events.
import type { DbClient } from "../db/database.js";
import type { DatabaseProvider } from "../db/prisma-schema.js";
import type { PrismaClient as PostgresqlClient } from "../generated/prisma-postgresql/client.js";
import type { RunStatus } from "../domain/runs.js";
import type { TaskState } from "../domain/task-policies.js";
import { scheduleFromJson } from "../domain/task-schedule.js";
import { secondsUntil } from "../scheduler/time/index.js";
import type { Schedule } from "../scheduler/time/schedule.js";

export interface TaskSummary {
  id: string;
  name: string;
  state: TaskState;
  tags: string[];
  serviceId: string;
  serviceName: string;
  /** So that a table can say when the task runs without asking for the task. */
  schedule: Schedule;
  timezone: string;
  pauseNote: string | null;
  nextRunAt: Date | null;
  lastRunAt: Date | null;
  lastRunStatus: RunStatus | null;
}

/** A summary as sent at one instant: with its countdown. */
export interface TaskSummaryAt extends TaskSummary {
  secondsUntilNextRun: number | null;
}

export const summaryAt = (summary: TaskSummary, now: Date): TaskSummaryAt => ({
  ...summary,
  secondsUntilNextRun: secondsUntil(summary.nextRunAt, now),
});

const summaryColumns = {
  id: true,
  name: true,
  state: true,
  serviceId: true,
  service: { select: { name: true } },
  // Sorted here, not by the query: Prisma cannot split an ordered relation query into chunks,
  // so with more tasks than SQLite's 999 bound values the whole load would fail.
  tags: { select: { name: true } },
  schedule: true,
  timezone: true,
  pauseNote: true,
  nextRunAt: true,
  lastRunAt: true,
  lastRunStatus: true,
} as const;

/**
 * What tells whether a task changed since it was loaded: API writes set updatedAt and bump
 * version, scheduler claims bump version only, finished runs set lastRunAt and lastRunStatus only.
 */
const fingerprintColumns = { id: true, updatedAt: true, version: true, lastRunAt: true, lastRunStatus: true } as const;

export interface TaskFingerprint {
  /** When the API last wrote the task (a change of its own, not of its schedule position or last run). */
  writtenAt: number;
  /** Differs whenever anything the summary shows may have changed. */
  key: string;
}

const fingerprintOf = (row: { updatedAt: Date; version: number; lastRunAt: Date | null; lastRunStatus: string | null }): TaskFingerprint => ({
  writtenAt: row.updatedAt.getTime(),
  key: `${row.updatedAt.getTime()}|${row.version}|${row.lastRunAt?.getTime() ?? ""}|${row.lastRunStatus ?? ""}`,
});

/** Every task's fingerprint, by task id: one narrow query, to find what other processes changed. */
export async function loadTaskFingerprints(db: DbClient): Promise<Map<string, TaskFingerprint>> {
  const rows = await db.task.findMany({ select: fingerprintColumns });
  return new Map(rows.map((row) => [row.id, fingerprintOf(row)]));
}

/** Every service's name, by id: a rename changes no task, so it is looked for apart. */
export async function loadServiceNames(db: DbClient): Promise<Map<string, string>> {
  const rows = await db.service.findMany({ select: { id: true, name: true } });
  return new Map(rows.map((row) => [row.id, row.name]));
}

/**
 * Summaries of the given tasks, or of every task, with their fingerprints; a task that is gone
 * is simply absent. Prisma reads the tags with a second statement: on PostgreSQL both run in
 * one snapshot, or a task deleted between them would show up without its tags. (SQLite's one
 * connection already keeps a deletion from landing between them.)
 */
export async function loadTaskSummaries(db: DbClient, provider: DatabaseProvider, ids?: string[]): Promise<{ summary: TaskSummary; fingerprint: TaskFingerprint }[]> {
  const read = (client: Pick<DbClient, "task">) =>
    client.task.findMany({ where: ids ? { id: { in: ids } } : {}, select: { ...summaryColumns, ...fingerprintColumns } });
  // DbClient is typed as the SQLite client (see openDatabase); on PostgreSQL it is PostgreSQL's, which has this isolation level.
  const rows =
    provider === "postgresql"
      ? await (db as unknown as PostgresqlClient).$transaction((tx) => read(tx as unknown as Pick<DbClient, "task">), { isolationLevel: "RepeatableRead" })
      : await read(db);
  return rows.map((row) => ({ fingerprint: fingerprintOf(row), summary: {
    id: row.id,
    name: row.name,
    state: row.state as TaskState,
    tags: row.tags.map((tag) => tag.name).sort(),
    serviceId: row.serviceId,
    serviceName: row.service.name,
    schedule: scheduleFromJson(row.schedule),
    timezone: row.timezone,
    pauseNote: row.pauseNote,
    nextRunAt: row.nextRunAt,
    lastRunAt: row.lastRunAt,
    lastRunStatus: row.lastRunStatus as RunStatus | null,
  } }));
}
