// Pure decisions of the run lifecycle: how long to wait before a retry, whether an attempt
// deserves one, and what a run's status is given the outcome of each target.
import type { RunResultStatus, RunStatus } from "../domain/runs.js";

/** No retry waits longer than this, however many attempts. */
export const maxBackoffMs = 3_600_000;

/**
 * Wait before attempt `nextAttempt` (2, 3, ...): base × 2^(nextAttempt-2), with "equal
 * jitter" (between half and all of it) so targets that failed together do not retry in step.
 */
export function retryDelayMs(baseSeconds: number, nextAttempt: number, random: () => number = Math.random): number {
  const exponential = Math.min(baseSeconds * 1000 * 2 ** (nextAttempt - 2), maxBackoffMs);
  return Math.round(exponential / 2 + (exponential / 2) * random());
}

/** Failures and timeouts are retried; success and cancellation are final. */
export const deservesRetry = (status: RunResultStatus): boolean => status === "FAILED" || status === "TIMED_OUT";

export interface RunSummary {
  status: Extract<RunStatus, "SUCCEEDED" | "FAILED" | "TIMED_OUT" | "CANCELLED">;
  targetCount: number;
  succeededCount: number;
  /** Targets that did not succeed (failed, timed out or cancelled). */
  failedCount: number;
  reason: string | null;
}

/**
 * The run's status from the final attempt of each target: cancelled if it was cancelled;
 * otherwise all succeeded → SUCCEEDED; any failure → FAILED; only timeouts → TIMED_OUT.
 */
export function summarizeRun(finalStatuses: RunResultStatus[], cancelReason: string | null): RunSummary {
  const count = (status: RunResultStatus) => finalStatuses.filter((s) => s === status).length;
  const targetCount = finalStatuses.length;
  const succeededCount = count("SUCCEEDED");
  const failedCount = targetCount - succeededCount;
  const counts = { targetCount, succeededCount, failedCount };
  if (cancelReason !== null) return { status: "CANCELLED", ...counts, reason: cancelReason };
  if (failedCount === 0) return { status: "SUCCEEDED", ...counts, reason: null };
  const timedOut = count("TIMED_OUT");
  const parts = [count("FAILED") && `${count("FAILED")} failed`, timedOut && `${timedOut} timed out`, count("CANCELLED") && `${count("CANCELLED")} cancelled`].filter(Boolean);
  return {
    status: timedOut === failedCount ? "TIMED_OUT" : "FAILED",
    ...counts,
    reason: `${parts.join(", ")} of ${targetCount} target${targetCount === 1 ? "" : "s"}`,
  };
}
