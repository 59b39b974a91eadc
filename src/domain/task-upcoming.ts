// The instants a saved task fires next, as the scheduler will fire them: from its cursor
// (nextRunAt) through its schedule, exclusions, endAt and DST policy, up to what maxRuns leaves.
import type { DstPolicy, Schedule } from "../scheduler/time/index.js";
import { savedOccurrences } from "../scheduler/time/index.js";

export interface UpcomingTask {
  state: string;
  schedule: Schedule;
  timezone: string;
  dstPolicy: DstPolicy;
  nextRunAt: Date | null;
  maxRuns: number | null;
  scheduledRunCount: number;
}

/**
 * The task's coming fire instants, in order. `isSkipped` is the seam for occurrences an
 * operator chose to skip: they are left out and, not being queued, do not count towards maxRuns.
 */
export function* upcomingRuns(task: UpcomingTask, isSkipped: (occurrence: Date) => boolean = () => false): Generator<Date> {
  if (task.state !== "ACTIVE" || task.nextRunAt === null) return;
  let left = task.maxRuns === null ? Infinity : task.maxRuns - task.scheduledRunCount;
  for (const occurrence of savedOccurrences(task.schedule, task.timezone, task.nextRunAt, task.dstPolicy)) {
    if (left <= 0) return;
    if (isSkipped(occurrence)) continue;
    left--;
    yield occurrence;
  }
}
