// Notification rules: which outcomes of a task's runs run which service, and the summary a
// notification run gets as its payload. The decision is pure: it takes the run that ended and
// the outcome of the task's run before it, so flapping is judged without a clock or a database.
import { z } from "zod";
import type { RunStatus } from "./runs.js";

export const notifyOutcomes = ["FAILED", "TIMED_OUT", "SKIPPED", "DEADLINE_MISSED", "RECOVERED"] as const;
export type NotifyOutcome = (typeof notifyOutcomes)[number];

/** Rules a task or service may list. */
export const maxNotifyRules = 10;

export interface NotifyRule {
  /** The service run to notify (typically an HTTP webhook). */
  serviceId: string;
  on: NotifyOutcome[];
  /** Notify on every such run, not only when the outcome changes. */
  everyTime: boolean;
}

export const notifyRuleSchema = z
  .object({
    serviceId: z.string(),
    on: z
      .array(z.enum(notifyOutcomes))
      .min(1, "must list at least one outcome")
      .max(notifyOutcomes.length)
      .transform((outcomes) => [...new Set(outcomes)]),
    everyTime: z.boolean().default(false),
  })
  .strict();

export const notifyRulesSchema = z.array(notifyRuleSchema).max(maxNotifyRules, `must have at most ${maxNotifyRules} rules`);

/** The rules stored in a Task.notify or Service.notify column; null: none set there. */
export function notifyRulesFromJson(json: unknown): NotifyRule[] | null {
  if (json === null || json === undefined) return null;
  return notifyRulesSchema.parse(json);
}

/** A run's end as notification decisions see it. */
export interface EndedRun {
  status: RunStatus;
  /** A SKIPPED run that was an occurrence missed beyond the misfire grace (not one skipped by overlap or deadline). */
  missed: boolean;
  /** A SKIPPED run that was queued but could not start within its task's deadlineSeconds. */
  deadlineMissed: boolean;
}

/** The outcome a run's end is, if any notification may be about it; `previous`: the status of the task's run that ended before it. */
export function outcomeOf(run: EndedRun, previous: RunStatus | null): NotifyOutcome | null {
  switch (run.status) {
    case "FAILED":
    case "TIMED_OUT":
      return run.status;
    case "SKIPPED":
      // Two outcomes: a scheduler that was down (missed) and an executor that could not keep up (deadline) call for different remedies.
      if (run.missed) return "SKIPPED";
      return run.deadlineMissed ? "DEADLINE_MISSED" : null;
    case "SUCCEEDED":
      return previous === "FAILED" || previous === "TIMED_OUT" ? "RECOVERED" : null;
    default:
      return null;
  }
}

/**
 * Whether `rule` notifies about a run with `outcome`: it lists the outcome and, unless it asks
 * for every time, the task's previous run ended otherwise (a flapping task notifies once per
 * change of outcome; RECOVERED is a change by definition). For DEADLINE_MISSED, `previous` is
 * DEADLINE_MISSED when the task's previous run was skipped for its deadline too.
 */
export function ruleNotifies(rule: NotifyRule, outcome: NotifyOutcome, previous: RunStatus | "DEADLINE_MISSED" | null): boolean {
  if (!rule.on.includes(outcome)) return false;
  return rule.everyTime || outcome === "RECOVERED" || previous !== outcome;
}

/** Failed targets a summary lists at most. */
export const maxFailedTargetsInSummary = 20;

/**
 * A notification run's payload: flat, so a template reaches each field as {{payload.<key>}};
 * an HTTP service without a body sends it all as JSON.
 */
export interface NotificationSummary {
  outcome: NotifyOutcome;
  taskId: string;
  taskName: string;
  /** The run's global ID, as run(id:) and cancelRun take it. */
  runId: string;
  status: RunStatus;
  trigger: string;
  scheduledFor: string;
  startedAt: string | null;
  finishedAt: string | null;
  reason: string | null;
  targetCount: number;
  succeededCount: number;
  failedCount: number;
  /** The last attempt of each target that did not succeed, up to maxFailedTargetsInSummary. */
  failedTargets: { device: string | null; step: string | null; status: string; error: string | null }[];
}
