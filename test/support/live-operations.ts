// The subscriptions the live-view tests open, typed by the generated client.
import { graphql } from "../generated/graphql/index.js";

export const ScheduleView = graphql(`
  subscription ScheduleView($filter: LiveTaskFilter, $tickSeconds: Int! = 1, $mode: ScheduleViewMode! = FULL) {
    scheduleView(filter: $filter, tickSeconds: $tickSeconds, mode: $mode) {
      kind
      at
      change
      removedTaskIds
      tasks { id name state tags serviceName nextRunAt secondsUntilNextRun lastRunAt lastRunStatus }
      runs { id taskId trigger status startedAt finishedAt targetCount succeededCount failedCount }
    }
  }
`);

export const ScheduleViewSchedules = graphql(`
  subscription ScheduleViewSchedules($filter: LiveTaskFilter) {
    scheduleView(filter: $filter, tickSeconds: 3600) {
      kind
      tasks { id name timezone schedule { kind cron { expression } standard { frequencySeconds } } }
    }
  }
`);

export const TaskEvents = graphql(`
  subscription TaskEvents($filter: LiveTaskFilter) {
    taskEvents(filter: $filter) {
      change
      taskId
      task { id name state tags }
    }
  }
`);

export const RunEvents = graphql(`
  subscription RunEvents($taskId: ID, $runId: ID, $statuses: [RunStatus!]) {
    runEvents(taskId: $taskId, runId: $runId, statuses: $statuses) {
      type
      run { id taskId trigger status targetCount succeededCount failedCount }
      result { deviceName attempt status exitCode output }
    }
  }
`);
