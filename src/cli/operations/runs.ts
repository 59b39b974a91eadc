// The operations of `cronline runs`, `tasks run --wait` and `watch`.
import { graphql } from "../../generated/graphql/index.js";

export const CliRunFields = graphql(`
  fragment CliRunFields on Run {
    id
    task { id name }
    trigger status reason scheduledFor jitterMs claimedAt startedAt finishedAt
    targetCount succeededCount failedCount payload
  }
`);

export const CliResultFields = graphql(`
  fragment CliResultFields on RunResult {
    id deviceName attempt status exitCode httpStatus error
    output outputTruncated errorOutput errorOutputTruncated
    startedAt finishedAt durationMs
  }
`);

export const CliRunsPage = graphql(`
  query CliRunsPage($first: Int!, $after: String, $filter: RunFilter) {
    runs(first: $first, after: $after, filter: $filter) {
      pageInfo { hasNextPage endCursor }
      edges { node { ...CliRunFields } }
    }
  }
`);

export const CliRunById = graphql(`
  query CliRunById($id: ID!) {
    run(id: $id) { ...CliRunFields }
  }
`);

export const CliRunResults = graphql(`
  query CliRunResults($id: ID!, $first: Int!, $after: String, $statuses: [RunResultStatus!]) {
    run(id: $id) {
      id
      results(first: $first, after: $after, statuses: $statuses) {
        totalCount
        pageInfo { hasNextPage endCursor }
        edges { node { ...CliResultFields } }
      }
    }
  }
`);

export const CliCancelRun = graphql(`
  mutation CliCancelRun($input: CancelRunInput!) {
    cancelRun(input: $input) {
      __typename
      ... on CancelRunSuccess { run { ...CliRunFields } }
      ...CliErrorFields
    }
  }
`);

export const CliRunEvents = graphql(`
  subscription CliRunEvents($runId: ID, $taskId: ID) {
    runEvents(runId: $runId, taskId: $taskId) {
      type
      run { id status reason targetCount succeededCount failedCount }
      result { deviceId deviceName attempt status exitCode httpStatus error durationMs }
    }
  }
`);

export const CliScheduleView = graphql(`
  subscription CliScheduleView($filter: LiveTaskFilter) {
    scheduleView(filter: $filter, mode: CHANGES, tickSeconds: 1) {
      kind at removedTaskIds
      tasks { id name state tags serviceName pauseNote nextRunAt lastRunAt lastRunStatus }
      runs { id taskId status }
    }
  }
`);

export const CliRerunFailedTargets = graphql(`
  mutation CliRerunFailedTargets($input: RerunFailedTargetsInput!) {
    rerunFailedTargets(input: $input) {
      __typename
      ... on RerunFailedTargetsSuccess { run { ...CliRunFields } }
      ...CliErrorFields
    }
  }
`);

export const CliSkipNextRun = graphql(`
  mutation CliSkipNextRun($input: SkipNextRunInput!) {
    skipNextRun(input: $input) {
      __typename
      ... on SkipNextRunSuccess { run { ...CliRunFields task { nextRunAt } } }
      ...CliErrorFields
    }
  }
`);

export const CliBackfillTask = graphql(`
  mutation CliBackfillTask($input: BackfillTaskInput!) {
    backfillTask(input: $input) {
      __typename
      ... on BackfillTaskSuccess { runs { ...CliRunFields } }
      ...CliErrorFields
    }
  }
`);

export const CliCancelBackfill = graphql(`
  mutation CliCancelBackfill($input: TaskIdInput!) {
    cancelBackfill(input: $input) {
      __typename
      ... on CancelBackfillSuccess { runs { ...CliRunFields } }
      ...CliErrorFields
    }
  }
`);
