// The operations of `cronline tasks` and `print schedule`.
import { graphql } from "../../generated/graphql/index.js";

export const CliScheduleFields = graphql(`
  fragment CliScheduleFields on Schedule {
    kind
    asInput
    standard { startAt frequencySeconds endAt }
    cron { expression startAt endAt }
    once { at }
    calendar { frequency timeOfDay weekdays day ordinal weekday excludedDates startAt endAt }
  }
`);

export const CliTaskFields = graphql(`
  fragment CliTaskFields on Task {
    id name description state pauseNote pausedAt pausedBy
    schedule { ...CliScheduleFields }
    timezone dstPolicy payload tags
    service { id name }
    targetDevices { id name }
    targetPools { id name }
    requiresConfirmation misfirePolicy misfireGraceSeconds overlapPolicy jitterSeconds
    maxRuns maxAttempts retryBackoffSeconds deadlineSeconds runCount
    notify { service { name } on everyTime }
    nextRunAt secondsUntilNextRun lastRunAt lastRunStatus
    createdAt createdBy updatedAt updatedBy
  }
`);

export const CliTasksPage = graphql(`
  query CliTasksPage($first: Int!, $after: String, $filter: TaskFilter, $orderBy: TaskOrderInput) {
    tasks(first: $first, after: $after, filter: $filter, orderBy: $orderBy) {
      pageInfo { hasNextPage endCursor }
      edges { node { ...CliTaskFields } }
    }
  }
`);

export const CliTaskById = graphql(`
  query CliTaskById($id: ID!) {
    node(id: $id) { __typename ... on Task { ...CliTaskFields } }
  }
`);

export const CliTaskRuns = graphql(`
  query CliTaskRuns($id: ID!, $first: Int!) {
    node(id: $id) {
      __typename
      ... on Task {
        runs(first: $first) {
          edges { node { id trigger status reason scheduledFor startedAt finishedAt targetCount succeededCount failedCount } }
        }
      }
    }
  }
`);

export const CliPreviewSchedule = graphql(`
  query CliPreviewSchedule($schedule: ScheduleInput!, $timezone: String!, $from: DateTime, $count: Int!) {
    previewSchedule(schedule: $schedule, timezone: $timezone, from: $from, count: $count) {
      __typename
      ... on PreviewScheduleSuccess { instants }
      ...CliErrorFields
    }
  }
`);

export const CliScheduleTable = graphql(`
  query CliScheduleTable($first: Int!, $after: String, $filter: TaskFilter, $recentRuns: Int!) {
    tasks(first: $first, after: $after, filter: $filter, orderBy: { field: NEXT_RUN_AT }) {
      pageInfo { hasNextPage endCursor }
      edges {
        node {
          id name state tags timezone pauseNote
          schedule { ...CliScheduleFields }
          service { name }
          nextRunAt secondsUntilNextRun lastRunAt lastRunStatus
          runs(first: $recentRuns) { edges { node { status reason scheduledFor } } }
        }
      }
    }
  }
`);

export const CliCreateTask = graphql(`
  mutation CliCreateTask($input: CreateTaskInput!, $schedule: Boolean!) {
    createTask(input: $input, schedule: $schedule) {
      __typename
      ... on CreateTaskSuccess { task { ...CliTaskFields } }
      ...CliErrorFields
    }
  }
`);

export const CliUpdateTask = graphql(`
  mutation CliUpdateTask($input: UpdateTaskInput!) {
    updateTask(input: $input) {
      __typename
      ... on UpdateTaskSuccess { task { ...CliTaskFields } }
      ...CliErrorFields
    }
  }
`);

export const CliDuplicateTask = graphql(`
  mutation CliDuplicateTask($input: DuplicateTaskInput!) {
    duplicateTask(input: $input) {
      __typename
      ... on DuplicateTaskSuccess { task { ...CliTaskFields } }
      ...CliErrorFields
    }
  }
`);

export const CliDeleteTask = graphql(`
  mutation CliDeleteTask($input: TaskIdInput!) {
    deleteTask(input: $input) {
      __typename
      ... on DeleteTaskSuccess { deletedId }
      ...CliErrorFields
    }
  }
`);

export const CliPauseTask = graphql(`
  mutation CliPauseTask($input: PauseTaskInput!) {
    pauseTask(input: $input) {
      __typename
      ... on PauseTaskSuccess { task { ...CliTaskFields } }
      ...CliErrorFields
    }
  }
`);

export const CliResumeTask = graphql(`
  mutation CliResumeTask($input: TaskIdInput!) {
    resumeTask(input: $input) {
      __typename
      ... on ResumeTaskSuccess { task { ...CliTaskFields } }
      ...CliErrorFields
    }
  }
`);

export const CliPauseTasks = graphql(`
  mutation CliPauseTasks($input: PauseTasksInput!) {
    pauseTasks(input: $input) {
      __typename
      ... on PauseTasksSuccess { tasks { ...CliTaskFields } }
      ...CliErrorFields
    }
  }
`);

export const CliResumeTasks = graphql(`
  mutation CliResumeTasks($input: ResumeTasksInput!) {
    resumeTasks(input: $input) {
      __typename
      ... on ResumeTasksSuccess { tasks { ...CliTaskFields } }
      ...CliErrorFields
    }
  }
`);

export const CliRunTask = graphql(`
  mutation CliRunTask($input: RunTaskInput!) {
    runTask(input: $input) {
      __typename
      ... on RunTaskSuccess { run { ...CliRunFields } }
      ...CliErrorFields
    }
  }
`);

export const CliRunTasks = graphql(`
  mutation CliRunTasks($input: RunTasksInput!) {
    runTasks(input: $input) {
      __typename
      ... on RunTasksSuccess { runs { ...CliRunFields } }
      ...CliErrorFields
    }
  }
`);

/** What a run of a task will be executed against, as the executor resolves it when the run starts. */
export const CliTaskTargets = graphql(`
  query CliTaskTargets($id: ID!) {
    node(id: $id) {
      __typename
      ... on Task {
        targetDevices { id }
        targetPools { devices { id } }
        service { targetDevices { id } targetPools { devices { id } } }
      }
    }
  }
`);
