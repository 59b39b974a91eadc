// What an operator can do to runs: cancel one while it is queued or running, or cancel queued ones together.
import type { DbClient, Prisma } from "../db/database.js";
import { NotFoundError, StateError } from "./errors.js";
import { runReportColumns, type RunReport } from "./runs.js";
import { recordEndOfLatestRun, recordEndOfLatestRuns } from "./task-last-run.js";

export const cancelledByOperator = "cancelled by an operator";

/** The reason recorded on queued runs an operation cancels: which operation, and the token that asked. */
export const cancelledBy = (operation: string, actor: string | null): string => `cancelled by ${operation}${actor ? ` (${actor})` : ""}`;

/**
 * QUEUED or RUNNING → CANCELLED. The process executing it is told through the runsCancelled
 * event (this process) or notices at its next lease renewal (another process), and then
 * kills its commands and aborts its requests, and records its end. A queued run ends here:
 * its task says CANCELLED in the same transaction when it was the task's latest run.
 */
export async function cancelRun(db: DbClient, id: string, now: Date): Promise<void> {
  const data = { status: "CANCELLED", reason: cancelledByOperator, finishedAt: now };
  const cancelled = await db.$transaction(async (tx) => {
    if ((await tx.run.updateMany({ where: { id, status: "QUEUED" }, data })).count === 1) {
      await recordEndOfLatestRun(tx, id, "CANCELLED");
      return true;
    }
    return (await tx.run.updateMany({ where: { id, status: "RUNNING" }, data })).count === 1;
  });
  if (cancelled) return;
  const run = await db.run.findUnique({ where: { id }, select: { status: true } });
  if (!run) throw new NotFoundError("input.id", id, "Run");
  throw new StateError("input.id", `the run has already finished (${run.status})`);
}

/**
 * QUEUED → CANCELLED for the runs `where` selects (a paused task's, a backfill's), with their
 * tasks' last run status, inside the caller's transaction. Returns the runs cancelled, which
 * end here: no executor had started them.
 */
export async function cancelQueuedRuns(tx: Prisma.TransactionClient, where: Prisma.RunWhereInput, reason: string, now: Date): Promise<RunReport[]> {
  const queued = await tx.run.findMany({ where: { ...where, status: "QUEUED" }, select: runReportColumns });
  if (queued.length === 0) return [];
  const ids = queued.map((run) => run.id);
  // From QUEUED only: a run an executor started meanwhile goes on.
  await tx.run.updateMany({ where: { id: { in: ids }, status: "QUEUED" }, data: { status: "CANCELLED", reason, finishedAt: now } });
  const cancelled = await tx.run.findMany({ where: { id: { in: ids }, status: "CANCELLED", reason }, select: runReportColumns });
  await recordEndOfLatestRuns(tx, cancelled.map((run) => run.id));
  return cancelled as RunReport[];
}
