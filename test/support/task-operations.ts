// Task, schedule and run operations the integration tests send, typed by the generated client.
import { graphql } from "../generated/graphql/index.js";

export const TaskFields = graphql(`
  fragment TaskFields on Task {
    id name description state pauseNote timezone tags payload requiresConfirmation
    misfirePolicy misfireGraceSeconds overlapPolicy jitterSeconds maxRuns runCount
    nextRunAt secondsUntilNextRun lastRunAt
    service { id name }
    targetDevices { name }
    targetPools { name }
    schedule {
      kind
      standard { startAt frequencySeconds endAt }
      cron { expression startAt endAt }
      once { at }
      calendar { frequency timeOfDay weekdays day ordinal weekday excludedDates startAt endAt }
    }
  }
`);

export const CreateTask = graphql(`
  mutation CreateTask($input: CreateTaskInput!, $schedule: Boolean) {
    createTask(input: $input, schedule: $schedule) {
      __typename
      ... on CreateTaskSuccess { task { ...TaskFields } }
      ...ErrorFields
    }
  }
`);

export const UpdateTask = graphql(`
  mutation UpdateTask($input: UpdateTaskInput!) {
    updateTask(input: $input) {
      __typename
      ... on UpdateTaskSuccess { task { ...TaskFields } }
      ...ErrorFields
    }
  }
`);

export const DuplicateTask = graphql(`
  mutation DuplicateTask($input: DuplicateTaskInput!) {
    duplicateTask(input: $input) {
      __typename
      ... on DuplicateTaskSuccess { task { ...TaskFields } }
      ...ErrorFields
    }
  }
`);

export const DeleteTask = graphql(`
  mutation DeleteTask($input: TaskIdInput!) {
    deleteTask(input: $input) {
      __typename
      ... on DeleteTaskSuccess { deletedId }
      ...ErrorFields
    }
  }
`);

export const PauseTask = graphql(`
  mutation PauseTask($input: PauseTaskInput!) {
    pauseTask(input: $input) {
      __typename
      ... on PauseTaskSuccess { task { ...TaskFields } }
      ...ErrorFields
      ... on StateError { field }
    }
  }
`);

export const ResumeTask = graphql(`
  mutation ResumeTask($input: TaskIdInput!) {
    resumeTask(input: $input) {
      __typename
      ... on ResumeTaskSuccess { task { ...TaskFields } }
      ...ErrorFields
    }
  }
`);

export const RunTask = graphql(`
  mutation RunTask($input: RunTaskInput!) {
    runTask(input: $input) {
      __typename
      ... on RunTaskSuccess { run { id trigger status scheduledFor payload task { name lastRunAt lastRunStatus } } }
      ...ErrorFields
      ... on ConfirmationRequiredError { taskNames }
    }
  }
`);

export const PauseTasks = graphql(`
  mutation PauseTasks($input: PauseTasksInput!) {
    pauseTasks(input: $input) {
      __typename
      ... on PauseTasksSuccess { tasks { name state pauseNote } }
      ...ErrorFields
    }
  }
`);

export const ResumeTasks = graphql(`
  mutation ResumeTasks($input: ResumeTasksInput!) {
    resumeTasks(input: $input) {
      __typename
      ... on ResumeTasksSuccess { tasks { name state nextRunAt } }
      ...ErrorFields
    }
  }
`);

export const RunTasks = graphql(`
  mutation RunTasks($input: RunTasksInput!) {
    runTasks(input: $input) {
      __typename
      ... on RunTasksSuccess { runs { trigger status task { name } } }
      ...ErrorFields
      ... on ConfirmationRequiredError { taskNames }
    }
  }
`);

export const TasksPage = graphql(`
  query TasksPage($first: Int, $filter: TaskFilter, $orderBy: TaskOrderInput) {
    tasks(first: $first, filter: $filter, orderBy: $orderBy) {
      totalCount
      edges { node { id name state nextRunAt tags } }
    }
  }
`);

export const TaskRuns = graphql(`
  query TaskRuns($id: ID!, $first: Int) {
    node(id: $id) {
      ... on Task {
        name
        runs(first: $first) { edges { node { trigger status scheduledFor claimedAt reason } } }
      }
    }
  }
`);

export const PreviewSchedule = graphql(`
  query PreviewSchedule($schedule: ScheduleInput!, $timezone: String, $from: DateTime, $count: Int) {
    previewSchedule(schedule: $schedule, timezone: $timezone, from: $from, count: $count) {
      __typename
      ... on PreviewScheduleSuccess { instants }
      ... on ValidationError { fieldErrors { field message } }
    }
  }
`);
