// How a task behaves when time goes wrong; see README "Scheduling".
import type { DstPolicy } from "../scheduler/time/dst.js";

export const taskStates = ["ACTIVE", "PAUSED", "COMPLETED"] as const;
export type TaskState = (typeof taskStates)[number];

/** Occurrences missed while the server was down or the loop was late. */
export const misfirePolicies = ["SKIP", "RUN_ONCE", "RUN_ALL"] as const;
export type MisfirePolicyName = (typeof misfirePolicies)[number];

/** An occurrence that comes while the previous run is still queued or running. */
export const overlapPolicies = ["SKIP", "BUFFER_ONE", "BUFFER_ALL", "CANCEL_PREVIOUS", "ALLOW"] as const;
export type OverlapPolicy = (typeof overlapPolicies)[number];

export const taskDefaults = {
  misfirePolicy: "SKIP",
  misfireGraceSeconds: 60,
  overlapPolicy: "SKIP",
  jitterSeconds: 0,
  timezone: "UTC",
  dstPolicy: "VIXIE",
  maxAttempts: 1,
  retryBackoffSeconds: 10,
} as const satisfies {
  misfirePolicy: MisfirePolicyName;
  misfireGraceSeconds: number;
  overlapPolicy: OverlapPolicy;
  jitterSeconds: number;
  timezone: string;
  dstPolicy: DstPolicy;
  maxAttempts: number;
  retryBackoffSeconds: number;
};

/** At most this many missed occurrences run under RUN_ALL (the latest ones). */
export const runAllCap = 100;
/** At most this many missed occurrences of one catch-up are recorded one by one as SKIPPED runs. */
export const skippedRecordCap = 1_000;
