// What an operator can do to a run: cancel it while it is queued or running.
import type { DbClient } from "../db/database.js";
import { NotFoundError, StateError } from "./errors.js";
import { recordEndOfLatestRun } from "./task-last-run.js";

export const cancelledByOperator = "cancelled by an operator";

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
