// Queues the notification runs that runs' ends call for, inside the transaction that records
// those ends: a run's end and its notifications are stored together or not at all, by
// whichever process ends the run, so a notification is neither lost nor sent twice.
import { encodeGlobalID } from "@pothos/plugin-relay";
import { v7 as uuidv7 } from "uuid";
import type { Prisma } from "../db/database.js";
import { maxFailedTargetsInSummary, notifyRulesFromJson, outcomeOf, ruleNotifies, type NotificationSummary } from "../domain/notifications.js";
import { deadlineSkipPrefix, type NewRun, type RunStatus } from "../domain/runs.js";

/** Ends a later run is compared with to judge a change of outcome. */
const comparableStatuses = ["SUCCEEDED", "FAILED", "TIMED_OUT"];

/** Runs skipped because they could not start within their task's deadline. */
const deadlineSkips = { status: "SKIPPED", reason: { startsWith: deadlineSkipPrefix } };

const isDeadlineSkip = (run: { status: string; reason: string | null }) => run.status === "SKIPPED" && (run.reason?.startsWith(deadlineSkipPrefix) ?? false);

/**
 * How the task's run ended before `run` (by when they were queued), among the comparable
 * ends and, with `withDeadlineSkips`, the deadline skips too (reported as DEADLINE_MISSED).
 */
async function previousEnd(tx: Prisma.TransactionClient, run: { id: string; taskId: string; claimedAt: Date }, withDeadlineSkips: boolean): Promise<RunStatus | "DEADLINE_MISSED" | null> {
  const before = await tx.run.findFirst({
    where: {
      taskId: run.taskId,
      trigger: { not: "NOTIFICATION" },
      AND: [
        { OR: [{ status: { in: comparableStatuses } }, ...(withDeadlineSkips ? [deadlineSkips] : [])] },
        { OR: [{ claimedAt: { lt: run.claimedAt } }, { claimedAt: run.claimedAt, id: { lt: run.id } }] },
      ],
    },
    orderBy: [{ claimedAt: "desc" }, { id: "desc" }],
    select: { status: true, reason: true },
  });
  if (!before) return null;
  return isDeadlineSkip(before) ? "DEADLINE_MISSED" : (before.status as RunStatus);
}

/**
 * Queues, for each of the runs among `runIds` that ended (notification runs excepted), a
 * notification run per rule of its task (else of its task's service) that notifies about how
 * it ended. `missedIds`: SKIPPED runs among them that record occurrences missed beyond the
 * misfire grace. Returns the runs queued.
 */
export async function queueNotifications(tx: Prisma.TransactionClient, runIds: readonly string[], now: Date, missedIds: ReadonlySet<string> = new Set()): Promise<NewRun[]> {
  if (runIds.length === 0) return [];
  const ended: Awaited<ReturnType<typeof endedRuns>> = [];
  // In pieces: a downtime records up to a thousand missed occurrences, past SQLite's 999 parameters.
  for (let from = 0; from < runIds.length; from += idsPerQuery) {
    ended.push(...(await endedRuns(tx, runIds.slice(from, from + idsPerQuery))));
  }
  const queued: NewRun[] = [];
  // One downtime records its missed occurrences as several SKIPPED runs: they notify once.
  const missedNotified = new Set<string>();
  ended.sort((x, y) => x.claimedAt.getTime() - y.claimedAt.getTime() || (x.id < y.id ? -1 : 1));
  for (const run of ended) {
    const rules = notifyRulesFromJson(run.task.notify) ?? notifyRulesFromJson(run.task.service.notify) ?? [];
    if (rules.length === 0) continue;
    const previous = (await previousEnd(tx, run, false)) as RunStatus | null;
    const outcome = outcomeOf({ status: run.status as RunStatus, missed: missedIds.has(run.id), deadlineMissed: isDeadlineSkip(run) }, previous);
    if (!outcome || (outcome === "SKIPPED" && missedNotified.has(run.taskId))) continue;
    if (outcome === "SKIPPED") missedNotified.add(run.taskId);
    // Deadline skips in a row are one change of outcome: the first notifies, unless everyTime.
    const since = outcome === "DEADLINE_MISSED" ? await previousEnd(tx, run, true) : previous;
    const notifying = rules.filter((rule) => ruleNotifies(rule, outcome, since));
    if (notifying.length === 0) continue;
    // A service deleted since the rule was saved notifies nobody (deleting one that rules name is refused).
    const services = await tx.service.findMany({ where: { id: { in: notifying.map((rule) => rule.serviceId) } }, select: { id: true, defaultPayload: true } });
    const defaults = new Map(services.map((service) => [service.id, service.defaultPayload as Record<string, unknown>]));
    const summary: NotificationSummary = {
      outcome,
      taskId: encodeGlobalID("Task", run.taskId),
      taskName: run.task.name,
      runId: encodeGlobalID("Run", run.id),
      status: run.status as RunStatus,
      trigger: run.trigger,
      scheduledFor: run.scheduledFor.toISOString(),
      startedAt: run.startedAt?.toISOString() ?? null,
      finishedAt: run.finishedAt?.toISOString() ?? null,
      reason: run.reason,
      targetCount: run.targetCount,
      succeededCount: run.succeededCount,
      failedCount: run.failedCount,
      failedTargets: run.failedCount > 0 ? await failedTargets(tx, run.id) : [],
    };
    for (const rule of notifying) {
      const defaultPayload = defaults.get(rule.serviceId);
      if (!defaultPayload) continue;
      queued.push({
        id: uuidv7(),
        taskId: run.taskId,
        trigger: "NOTIFICATION",
        status: "QUEUED",
        scheduledFor: now,
        occurrence: null,
        jitterMs: 0,
        reason: `notifies ${outcome} of run ${summary.runId}`,
        payload: { ...defaultPayload, ...summary },
        claimedAt: now,
        overlapPolicy: null,
        serviceId: rule.serviceId,
      });
    }
  }
  if (queued.length > 0) await tx.run.createMany({ data: queued.map((run) => ({ ...run, payload: run.payload as Prisma.InputJsonObject })) });
  return queued;
}

/** The last attempt of each target of a run that did not succeed, in the order they started. */
async function failedTargets(tx: Prisma.TransactionClient, runId: string): Promise<NotificationSummary["failedTargets"]> {
  const rows = await tx.runResult.findMany({
    where: { runId },
    select: { deviceName: true, stepName: true, attempt: true, status: true, error: true },
    orderBy: [{ startedAt: "asc" }, { id: "asc" }],
  });
  const last = new Map<string, (typeof rows)[number]>();
  for (const row of rows) {
    const key = JSON.stringify([row.stepName, row.deviceName]);
    const known = last.get(key);
    if (!known || known.attempt <= row.attempt) last.set(key, row);
  }
  return [...last.values()]
    .filter((row) => row.status !== "SUCCEEDED")
    .slice(0, maxFailedTargetsInSummary)
    .map((row) => ({ device: row.deviceName, step: row.stepName, status: row.status, error: row.error }));
}

const idsPerQuery = 500;

function endedRuns(tx: Prisma.TransactionClient, ids: readonly string[]) {
  return tx.run.findMany({
    where: { id: { in: [...ids] }, trigger: { not: "NOTIFICATION" }, status: { in: [...comparableStatuses, "SKIPPED"] } },
    select: {
      id: true,
      taskId: true,
      trigger: true,
      status: true,
      reason: true,
      scheduledFor: true,
      startedAt: true,
      finishedAt: true,
      claimedAt: true,
      targetCount: true,
      succeededCount: true,
      failedCount: true,
      task: { select: { name: true, notify: true, service: { select: { notify: true } } } },
    },
  });
}
