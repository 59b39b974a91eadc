// Every GraphQL operation the page sends. `npm run generate` types them (into
// src/generated/web-graphql/) from schema.graphql, as plain strings: the page needs no parser.
import { graphql } from "../../generated/web-graphql/gql.js";

export const ViewerQuery = graphql(`
  query Viewer {
    viewer {
      name
      role
    }
  }
`);

export const ScheduleFields = graphql(`
  fragment ScheduleFields on Schedule {
    kind
    asInput
    standard {
      startAt
      frequencySeconds
      endAt
    }
    cron {
      expression
      startAt
      endAt
    }
    once {
      at
    }
    calendar {
      frequency
      timeOfDay
      weekdays
      day
      ordinal
      weekday
      excludedDates
      startAt
      endAt
    }
  }
`);

export const TaskRowFields = graphql(`
  fragment TaskRowFields on TaskSummary {
    id
    name
    state
    tags
    serviceId
    serviceName
    pauseNote
    nextRunAt
    lastRunAt
    lastRunStatus
    timezone
    schedule {
      ...ScheduleFields
    }
  }
`);

export const RunSummaryFields = graphql(`
  fragment RunSummaryFields on RunSummary {
    id
    taskId
    trigger
    status
    scheduledFor
    startedAt
    finishedAt
    reason
    targetCount
    succeededCount
    failedCount
  }
`);

// CHANGES: the page counts down itself; a tick carries only what changed.
export const ScheduleViewSubscription = graphql(`
  subscription ScheduleView {
    scheduleView(mode: CHANGES, tickSeconds: 1) {
      kind
      at
      change
      removedTaskIds
      tasks {
        ...TaskRowFields
      }
      runs {
        ...RunSummaryFields
      }
    }
  }
`);

export const TargetResultFields = graphql(`
  fragment TargetResultFields on TargetResult {
    deviceName
    attempt
    status
    exitCode
    httpStatus
    durationMs
    startedAt
    finishedAt
    output
    outputTruncated
    errorOutput
    errorOutputTruncated
    error
  }
`);

export const TaskRunEventsSubscription = graphql(`
  subscription TaskRunEvents($taskId: ID!) {
    runEvents(taskId: $taskId) {
      type
      run {
        ...RunSummaryFields
      }
      result {
        ...TargetResultFields
      }
    }
  }
`);

export const RunFields = graphql(`
  fragment RunFields on Run {
    id
    trigger
    status
    scheduledFor
    startedAt
    finishedAt
    reason
    targetCount
    succeededCount
    failedCount
  }
`);

export const TaskDetailsQuery = graphql(`
  query TaskDetails($id: ID!) {
    node(id: $id) {
      __typename
      ... on Task {
        id
        name
        description
        state
        pauseNote
        pausedAt
        pausedBy
        nextRunAt
        lastRunAt
        lastRunStatus
        timezone
        tags
        requiresConfirmation
        misfirePolicy
        misfireGraceSeconds
        overlapPolicy
        jitterSeconds
        maxRuns
        runCount
        maxAttempts
        retryBackoffSeconds
        deadlineSeconds
        payload
        createdAt
        createdBy
        updatedAt
        updatedBy
        schedule {
          ...ScheduleFields
        }
        service {
          id
          name
          kind
          requiresConfirmation
        }
        targetDevices {
          id
          name
        }
        targetPools {
          id
          name
        }
        runs(first: 20) {
          edges {
            node {
              ...RunFields
            }
          }
        }
      }
    }
  }
`);

export const RunResultsQuery = graphql(`
  query RunResults($id: ID!) {
    run(id: $id) {
      id
      results(first: 100) {
        totalCount
        edges {
          node {
            deviceName
            attempt
            status
            exitCode
            httpStatus
            durationMs
            startedAt
            finishedAt
            output
            outputTruncated
            errorOutput
            errorOutputTruncated
            error
          }
        }
      }
    }
  }
`);

export const UpcomingRunsQuery = graphql(`
  query UpcomingRuns($schedule: ScheduleInput!, $timezone: String!, $from: DateTime, $count: Int!) {
    previewSchedule(schedule: $schedule, timezone: $timezone, from: $from, count: $count) {
      __typename
      ... on PreviewScheduleSuccess {
        instants
      }
      ... on Error {
        message
      }
    }
  }
`);

export const RunTaskMutation = graphql(`
  mutation RunTask($id: ID!, $confirm: Boolean!) {
    runTask(input: { id: $id, confirm: $confirm }) {
      __typename
      ... on RunTaskSuccess {
        run {
          ...RunFields
        }
      }
      ... on Error {
        message
      }
    }
  }
`);

export const PauseTaskMutation = graphql(`
  mutation PauseTask($id: ID!, $note: String) {
    pauseTask(input: { id: $id, note: $note }) {
      __typename
      ... on Error {
        message
      }
    }
  }
`);

export const ResumeTaskMutation = graphql(`
  mutation ResumeTask($id: ID!) {
    resumeTask(input: { id: $id }) {
      __typename
      ... on Error {
        message
      }
    }
  }
`);

export const CancelRunMutation = graphql(`
  mutation CancelRun($id: ID!) {
    cancelRun(input: { id: $id }) {
      __typename
      ... on Error {
        message
      }
    }
  }
`);

export const DuplicateTaskMutation = graphql(`
  mutation DuplicateTask($id: ID!) {
    duplicateTask(input: { id: $id }) {
      __typename
      ... on DuplicateTaskSuccess {
        task {
          id
        }
      }
      ... on Error {
        message
      }
    }
  }
`);

export const DeleteTaskMutation = graphql(`
  mutation DeleteTask($id: ID!) {
    deleteTask(input: { id: $id }) {
      __typename
      ... on Error {
        message
      }
    }
  }
`);
