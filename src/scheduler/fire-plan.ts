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
  /** With overlap policy ALLOW: an occurrence that comes while this many runs are active is skipped. */
  maxConcurrentRuns: number | null;
}

export interface ActiveRuns {
  queued: number;
  running: number;
}

/** What became of the occurrences a planned run stands for (the metrics count them). */
export type OccurrenceOutcome = "queued" | "caught_up" | "skipped_misfire" | "skipped_overlap";

export interface PlannedRun {
  occurrence: Date;
  trigger: "SCHEDULE" | "CATCHUP";
  status: "QUEUED" | "SKIPPED";
  reason: string | null;
  outcome: OccurrenceOutcome;
  /** Occurrences it stands for: 1, or more for the record of those beyond the ones recorded one by one. */
  occurrences: number;
  /** Replaces the task's overlap policy for this run: catch-up runs of one misfire go one after the other. */
  overlapPolicy: OverlapPolicy | null;
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
function overlapAllows(task: SchedulableTask, ahead: ActiveRuns): boolean {
  switch (task.overlapPolicy) {
    case "SKIP":
      return ahead.queued + ahead.running === 0;
    case "BUFFER_ONE":
      return ahead.queued === 0;
    case "ALLOW":
      return task.maxConcurrentRuns === null || ahead.queued + ahead.running < task.maxConcurrentRuns;
    case "BUFFER_ALL":
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
  // A misfire: what the misfire policy runs is queued as a chain, one after the other, whatever
  // the overlap policy. The policy judges the first of them against the runs active before.
  const chained = plan.run.some((d) => judgedAt.getTime() - d.getTime() > task.misfireGraceSeconds * 1000);
  const chainPolicy: OverlapPolicy | null = chained && task.overlapPolicy === "ALLOW" ? "BUFFER_ALL" : null;
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
    runs.push({
      occurrence: summaryAt,
      trigger: "CATCHUP",
      status: "SKIPPED",
      reason: unrecordedReason(task, unrecorded, firstUnlisted, now),
      outcome: "skipped_misfire",
      // Those never listed count as one: how many there were is not known.
      occurrences: unrecorded.length + (firstUnlisted ? 1 : 0),
      overlapPolicy: null,
    });
  }

  for (const occurrence of due) {
    const late = judgedAt.getTime() - occurrence.getTime() > graceMs;
    const trigger = late ? "CATCHUP" : "SCHEDULE";
    if (!toRun.has(occurrence.getTime())) {
      if (recordedSkips.has(occurrence.getTime())) {
        runs.push({ occurrence, trigger, status: "SKIPPED", reason: missedReason(task, judgedAt, occurrence), outcome: "skipped_misfire", occurrences: 1, overlapPolicy: null });
      }
      continue;
    }
    if (queued >= remainingRuns) {
      seriesEnded = true;
      break;
    }
    if (!chained && task.overlapPolicy === "CANCEL_PREVIOUS" && occurrence.getTime() !== newestToRun) {
      runs.push({ occurrence, trigger, status: "SKIPPED", reason: "superseded by a later occurrence (overlap policy CANCEL_PREVIOUS)", outcome: "skipped_overlap", occurrences: 1, overlapPolicy: null });
    } else if ((chained && queued > 0) || overlapAllows(task, ahead)) {
      runs.push({ occurrence, trigger, status: "QUEUED", reason: null, outcome: late ? "caught_up" : "queued", occurrences: 1, overlapPolicy: chainPolicy });
      ahead.queued += 1;
      queued += 1;
    } else {
      runs.push({ occurrence, trigger, status: "SKIPPED", reason: overlapReason(task, ahead), outcome: "skipped_overlap", occurrences: 1, overlapPolicy: null });
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

function overlapReason(task: SchedulableTask, ahead: ActiveRuns): string {
  if (task.overlapPolicy === "ALLOW") return `${ahead.queued + ahead.running} runs are already active (maxConcurrentRuns ${task.maxConcurrentRuns})`;
  return `the previous run is still active (overlap policy ${task.overlapPolicy})`;
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
