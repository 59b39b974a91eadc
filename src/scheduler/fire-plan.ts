// What firing a task at a given instant means, decided without side effects: which
// occurrences are due, which of them run and which are recorded as skipped (misfire and
// overlap policies), whether the series is over, and when it fires next.
import { runAllCap, skippedRecordCap, type MisfirePolicyName, type OverlapPolicy } from "../domain/task-policies.js";
import { nextOccurrence, occurrencesBetween, planMissedOccurrences, type DstPolicy } from "./time/index.js";
import type { Schedule } from "./time/schedule.js";

export interface SchedulableTask {
  id: string;
  version: number;
  schedule: Schedule;
  timezone: string;
  dstPolicy: DstPolicy;
  /** The first occurrence not yet dealt with; due when it is at or before now. */
  nextRunAt: Date;
  scheduledRunCount: number;
  maxRuns: number | null;
  misfirePolicy: MisfirePolicyName;
  misfireGraceSeconds: number;
  overlapPolicy: OverlapPolicy;
}

export interface ActiveRuns {
  queued: number;
  running: number;
}

export interface PlannedRun {
  occurrence: Date;
  trigger: "SCHEDULE" | "CATCHUP";
  status: "QUEUED" | "SKIPPED";
  reason: string | null;
}

export interface FirePlan {
  runs: PlannedRun[];
  nextRunAt: Date | null;
  state: "ACTIVE" | "COMPLETED";
  /** How many runs were queued (they count towards maxRuns). */
  queued: number;
  /** Active runs of the task must be cancelled (CANCEL_PREVIOUS). */
  supersedeActiveRuns: boolean;
}

/** Enough to find every due occurrence of a schedule that fires each second for a day. */
const maxDueOccurrences = 100_000;
const page = 1_000;

/** The due occurrences (nextRunAt first); `more` when there were too many to list. */
function dueOccurrences(task: SchedulableTask, now: Date): { due: Date[]; more: boolean } {
  const due = [task.nextRunAt];
  while (due.length < maxDueOccurrences) {
    const batch = occurrencesBetween(task.schedule, task.timezone, due.at(-1)!, now, page, task.dstPolicy);
    due.push(...batch);
    if (batch.length < page) return { due, more: false };
  }
  return { due, more: true };
}

/** Whether an occurrence may be queued given the runs ahead of it. */
function overlapAllows(policy: OverlapPolicy, ahead: ActiveRuns): boolean {
  switch (policy) {
    case "SKIP":
      return ahead.queued + ahead.running === 0;
    case "BUFFER_ONE":
      return ahead.queued === 0;
    case "BUFFER_ALL":
    case "ALLOW":
    case "CANCEL_PREVIOUS":
      return true;
  }
}

/**
 * `jitterMs` is the random delay the scheduler added to this fire: lateness is measured from
 * the occurrence plus its jitter, so a jitter longer than the grace is not a misfire.
 */
export function planFire(task: SchedulableTask, now: Date, active: ActiveRuns, jitterMs = 0): FirePlan {
  const { due, more } = dueOccurrences(task, now);
  const judgedAt = new Date(now.getTime() - jitterMs);
  const plan = planMissedOccurrences({
    missed: due,
    now: judgedAt,
    policy: task.misfirePolicy,
    graceSeconds: task.misfireGraceSeconds,
    runAllCap,
  });
  const graceMs = task.misfireGraceSeconds * 1000;
  const toRun = new Set(plan.run.map((d) => d.getTime()));
  // Under CANCEL_PREVIOUS only the newest of several due occurrences survives.
  const newestToRun = plan.run.at(-1)?.getTime();
  const remainingRuns = task.maxRuns === null ? Infinity : task.maxRuns - task.scheduledRunCount;
  const ahead = { ...active };
  const runs: PlannedRun[] = [];
  let queued = 0;
  let seriesEnded = false;
  const skipped = due.filter((d) => !toRun.has(d.getTime()));
  const recordedSkips = new Set(skipped.slice(-skippedRecordCap).map((d) => d.getTime()));
  // Beyond the cap, the oldest skipped occurrences (and, after a gap too long to list, those
  // never listed) are recorded together: one SKIPPED run at the first of them, an occurrence
  // no other run of the task has.
  const unrecorded = skipped.slice(0, Math.max(0, skipped.length - skippedRecordCap));
  const firstUnlisted = more ? nextOccurrence(task.schedule, task.timezone, due.at(-1)!, task.dstPolicy) : null;
  const summaryAt = unrecorded[0] ?? firstUnlisted;
  if (summaryAt) {
    runs.push({ occurrence: summaryAt, trigger: "CATCHUP", status: "SKIPPED", reason: unrecordedReason(task, unrecorded, firstUnlisted, now) });
  }

  for (const occurrence of due) {
    const late = judgedAt.getTime() - occurrence.getTime() > graceMs;
    const trigger = late ? "CATCHUP" : "SCHEDULE";
    if (!toRun.has(occurrence.getTime())) {
      if (recordedSkips.has(occurrence.getTime())) {
        runs.push({ occurrence, trigger, status: "SKIPPED", reason: missedReason(task, judgedAt, occurrence) });
      }
      continue;
    }
    if (queued >= remainingRuns) {
      seriesEnded = true;
      break;
    }
    if (task.overlapPolicy === "CANCEL_PREVIOUS" && occurrence.getTime() !== newestToRun) {
      runs.push({ occurrence, trigger, status: "SKIPPED", reason: "superseded by a later occurrence (overlap policy CANCEL_PREVIOUS)" });
    } else if (overlapAllows(task.overlapPolicy, ahead)) {
      runs.push({ occurrence, trigger, status: "QUEUED", reason: null });
      ahead.queued += 1;
      queued += 1;
    } else {
      runs.push({ occurrence, trigger, status: "SKIPPED", reason: `the previous run is still active (overlap policy ${task.overlapPolicy})` });
    }
  }

  if (queued >= remainingRuns) seriesEnded = true;
  const nextRunAt = seriesEnded ? null : nextOccurrence(task.schedule, task.timezone, more ? now : due.at(-1)!, task.dstPolicy);
  return {
    runs,
    nextRunAt,
    state: nextRunAt ? "ACTIVE" : "COMPLETED",
    queued,
    supersedeActiveRuns: task.overlapPolicy === "CANCEL_PREVIOUS" && queued > 0 && active.queued + active.running > 0,
  };
}

function unrecordedReason(task: SchedulableTask, unrecorded: Date[], firstUnlisted: Date | null, now: Date): string {
  const parts = [
    ...(unrecorded.length > 0 ? [`${unrecorded.length} missed occurrences from ${unrecorded[0]!.toISOString()} to ${unrecorded.at(-1)!.toISOString()}`] : []),
    ...(firstUnlisted ? [`every occurrence from ${firstUnlisted.toISOString()} until ${now.toISOString()}`] : []),
  ];
  return `${parts.join(" and ")} skipped (misfire policy ${task.misfirePolicy}), beyond the ${skippedRecordCap} recorded one by one`;
}

function missedReason(task: SchedulableTask, now: Date, occurrence: Date): string {
  const lateSeconds = Math.round((now.getTime() - occurrence.getTime()) / 1000);
  return `missed by ${lateSeconds}s, beyond the ${task.misfireGraceSeconds}s grace (misfire policy ${task.misfirePolicy})`;
}
