// What the live views show of a task: enough to draw a row of a schedule table without
// another query. Loaded from the database once, then kept current from events.
import type { DbClient } from "../db/database.js";
import type { RunStatus } from "../domain/runs.js";
import type { TaskState } from "../domain/task-policies.js";
import { secondsUntil } from "../scheduler/time/index.js";

export interface TaskSummary {
  id: string;
  name: string;
  state: TaskState;
  tags: string[];
  serviceId: string;
  serviceName: string;
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
  pauseNote: true,
  nextRunAt: true,
  lastRunAt: true,
  lastRunStatus: true,
} as const;

/** Summaries of the given tasks, or of every task; a task that is gone is simply absent. */
export async function loadTaskSummaries(db: DbClient, ids?: string[]): Promise<TaskSummary[]> {
  const rows = await db.task.findMany({ where: ids ? { id: { in: ids } } : {}, select: summaryColumns });
  return rows.map((row) => ({
    id: row.id,
    name: row.name,
    state: row.state as TaskState,
    tags: row.tags.map((tag) => tag.name).sort(),
    serviceId: row.serviceId,
    serviceName: row.service.name,
    pauseNote: row.pauseNote,
    nextRunAt: row.nextRunAt,
    lastRunAt: row.lastRunAt,
    lastRunStatus: row.lastRunStatus as RunStatus | null,
  }));
}
