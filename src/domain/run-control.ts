// What an operator can do to a run: cancel it while it is queued or running.
import type { DbClient } from "../db/database.js";
import { NotFoundError, StateError } from "./errors.js";
import { activeRunStatuses } from "./runs.js";

export const cancelledByOperator = "cancelled by an operator";

/**
 * QUEUED or RUNNING → CANCELLED. The process executing it is told through the runsCancelled
 * event (this process) or notices at its next lease renewal (another process), and then
 * kills its commands and aborts its requests.
 */
export async function cancelRun(db: DbClient, id: string, now: Date): Promise<void> {
  const { count } = await db.run.updateMany({
    where: { id, status: { in: [...activeRunStatuses] } },
    data: { status: "CANCELLED", reason: cancelledByOperator, finishedAt: now },
  });
  if (count === 1) return;
  const run = await db.run.findUnique({ where: { id }, select: { status: true } });
  if (!run) throw new NotFoundError("input.id", id, "Run");
  throw new StateError("input.id", `the run has already finished (${run.status})`);
}
