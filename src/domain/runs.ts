// The shape of a Run, shared by the scheduler that claims runs and the executor that
// carries them out: every status and trigger is named here and nowhere else.
import { v7 as uuidv7 } from "uuid";
import type { SqlColumn } from "../db/sql-dialect.js";
import type { OverlapPolicy } from "./task-policies.js";

export const runTriggers = ["SCHEDULE", "MANUAL", "CATCHUP", "RETRY", "BACKFILL", "NOTIFICATION"] as const;
export type RunTrigger = (typeof runTriggers)[number];

export const runStatuses = ["QUEUED", "RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "CANCELLED", "SKIPPED"] as const;
export type RunStatus = (typeof runStatuses)[number];

/** Statuses of a run that has not finished: it blocks the next one under most overlap policies. */
export const activeRunStatuses = ["QUEUED", "RUNNING"] as const satisfies readonly RunStatus[];

/** A run as the scheduler creates it. */
export interface NewRun {
  id: string;
  taskId: string;
  trigger: RunTrigger;
  status: Extract<RunStatus, "QUEUED" | "SKIPPED">;
  scheduledFor: Date;
  /** scheduledFor for occurrences of the schedule, null for manual runs and retries. */
  occurrence: Date | null;
  jitterMs: number;
  reason: string | null;
  payload: Record<string, unknown>;
  claimedAt: Date;
  /** Replaces the task's overlap policy for this run (backfills, catch-up runs); null: the task's. */
  overlapPolicy: OverlapPolicy | null;
  /** A notification run's service (it runs instead of the task's); absent for every other run. */
  serviceId?: string | null;
}

/** A run queued now outside the schedule: by hand (MANUAL) or to redo an interrupted one (RETRY). */
export function unscheduledRun(
  taskId: string,
  trigger: Extract<RunTrigger, "MANUAL" | "RETRY">,
  payload: Record<string, unknown>,
  now: Date,
  reason: string | null = null,
): NewRun {
  return { id: uuidv7(), taskId, trigger, status: "QUEUED", scheduledFor: now, occurrence: null, jitterMs: 0, reason, payload, claimedAt: now, overlapPolicy: null };
}

/** A run as events report it: enough to update a row of a table without another query. */
export interface RunReport {
  id: string;
  taskId: string;
  trigger: RunTrigger;
  status: RunStatus;
  scheduledFor: Date;
  reason: string | null;
  startedAt: Date | null;
  finishedAt: Date | null;
  targetCount: number;
  succeededCount: number;
  failedCount: number;
  /** A WORKFLOW run's steps as they stand, in the order they started (absent: not told, or not a workflow). */
  steps?: StepReport[];
}

/** Statuses of a workflow step: running, ended as a target does, or SKIPPED (its conditions did not hold, or the run was stopped first). */
export const stepStatuses = ["RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "CANCELLED", "SKIPPED"] as const satisfies readonly RunStatus[];
export type StepStatus = (typeof stepStatuses)[number];

/** One step of a WORKFLOW run, as stored in RunStep and told by events. */
export interface StepReport {
  /** The step's name; "outer/inner" inside a nested workflow. */
  name: string;
  serviceName: string;
  status: StepStatus;
  reason: string | null;
  startedAt: Date | null;
  finishedAt: Date | null;
  targetCount: number;
  succeededCount: number;
  failedCount: number;
}

/** The columns of Run a RunReport is read from. */
export const runReportColumns = {
  id: true,
  taskId: true,
  trigger: true,
  status: true,
  scheduledFor: true,
  reason: true,
  startedAt: true,
  finishedAt: true,
  targetCount: true,
  succeededCount: true,
  failedCount: true,
} as const satisfies Record<Exclude<keyof RunReport, "steps">, true>;

export const reportOfNewRun = (run: NewRun): RunReport => ({
  id: run.id,
  taskId: run.taskId,
  trigger: run.trigger,
  status: run.status,
  scheduledFor: run.scheduledFor,
  reason: run.reason,
  startedAt: null,
  // A skipped occurrence is finished as it is recorded.
  finishedAt: run.status === "SKIPPED" ? run.claimedAt : null,
  targetCount: 0,
  succeededCount: 0,
  failedCount: 0,
});

/** Statuses of a finished run. */
export const finishedRunStatuses = ["SUCCEEDED", "FAILED", "TIMED_OUT", "CANCELLED", "SKIPPED"] as const satisfies readonly RunStatus[];

/** The outcome of one attempt against one target. */
export const runResultStatuses = ["SUCCEEDED", "FAILED", "TIMED_OUT", "CANCELLED"] as const satisfies readonly RunStatus[];
export type RunResultStatus = (typeof runResultStatuses)[number];

/** What one attempt against one target produced, whatever the service kind. */
export interface AttemptOutcome {
  status: RunResultStatus;
  exitCode: number | null;
  httpStatus: number | null;
  output: string;
  outputTruncated: boolean;
  errorOutput: string;
  errorOutputTruncated: boolean;
  /** What went wrong, in words an operator can act on; null on success. */
  error: string | null;
  /** Set on a failure that another attempt would meet again (a bad template, a refused runAs): it is not retried. */
  permanent?: true;
}

/** One attempt against one target, as the executor records it. */
export interface NewRunResult extends AttemptOutcome {
  id: string;
  runId: string;
  /** Null when the run has no targets and the service ran once without a device. */
  deviceId: string | null;
  deviceName: string | null;
  /** The workflow step it belongs to ("outer/inner" when nested); null outside workflows. */
  stepName: string | null;
  attempt: number;
  startedAt: Date;
  finishedAt: Date;
  durationMs: number;
}

/** Why a run was cancelled by a newer occurrence of its task. */
export const supersededReason = "superseded by a newer occurrence (overlap policy CANCEL_PREVIOUS)";

/** How the reason of a run skipped because it could not start within its task's deadline begins: notifications tell such skips by it. */
export const deadlineSkipPrefix = "could not start within its ";

/** Why a run was skipped, `lateMs` past when it was due, under a deadline of `deadlineSeconds`. */
export function deadlineSkipReason(deadlineSeconds: number, lateMs: number): string {
  return `${deadlineSkipPrefix}${deadlineSeconds}s deadline (${Math.round(lateMs / 1000)}s late)`;
}

/** Why a run found RUNNING without a live owner was closed. */
export const interruptedReason = "interrupted";

/**
 * How the reason of a re-run of an interrupted run begins. An interrupted run whose reason
 * begins so records "interrupted (<that reason>)", so that the chain of re-runs is never lost.
 */
export const rerunPrefix = "re-run of interrupted run ";

/**
 * The reason of the re-run of the interrupted run `runId`, which was closed with
 * `closedReason`: when that run was itself a re-run, the chain back to the first run
 * interrupted ("re-run of interrupted run C, itself a re-run of interrupted run B, itself a
 * re-run of interrupted run A").
 */
export function rerunReason(runId: string, closedReason: string | null): string {
  const own = `${rerunPrefix}${runId}`;
  const chained = closedReason?.startsWith(`${interruptedReason} (${rerunPrefix}`) ? closedReason.slice(interruptedReason.length + 2, -1) : null;
  return chained ? `${own}, itself a ${chained}` : own;
}

/** Every column of a NewRun, as the Run table names them. */
export const newRunColumns: SqlColumn<keyof NewRun>[] = [
  { name: "id", type: "text" },
  { name: "taskId", type: "text" },
  { name: "trigger", type: "text" },
  { name: "status", type: "text" },
  { name: "scheduledFor", type: "timestamp" },
  { name: "occurrence", type: "timestamp" },
  { name: "jitterMs", type: "integer" },
  { name: "reason", type: "text" },
  { name: "payload", type: "json" },
  { name: "claimedAt", type: "timestamp" },
  { name: "overlapPolicy", type: "text" },
];
