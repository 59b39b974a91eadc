// Operations on a task's runs besides running it: skips, backfills, re-runs, overrides.
import { graphql } from "../generated/graphql/index.js";

export const SkipNextRun = graphql(`
  mutation SkipNextRun($input: SkipNextRunInput!) {
    skipNextRun(input: $input) {
      __typename
      ... on SkipNextRunSuccess { run { id status trigger reason requestedBy scheduledFor task { nextRunAt state } } }
      ... on Error { message }
      ... on StateError { field }
    }
  }
`);

export const BackfillTask = graphql(`
  mutation BackfillTask($input: BackfillTaskInput!) {
    backfillTask(input: $input) {
      __typename
      ... on BackfillTaskSuccess { runs { id status trigger scheduledFor requestedBy } }
      ... on Error { message }
      ... on ValidationError { fieldErrors { field message } }
    }
  }
`);

export const CancelBackfill = graphql(`
  mutation CancelBackfill($input: TaskIdInput!) {
    cancelBackfill(input: $input) {
      __typename
      ... on CancelBackfillSuccess { runs { id status reason } }
      ... on Error { message }
    }
  }
`);

export const RunTaskWith = graphql(`
  mutation RunTaskWith($input: RunTaskInput!) {
    runTask(input: $input) {
      __typename
      ... on RunTaskSuccess { run { id payload ownTargets requestedBy } }
      ... on Error { message }
      ... on ValidationError { fieldErrors { field message } }
      ... on NotFoundError { field }
    }
  }
`);

export const RerunFailedTargets = graphql(`
  mutation RerunFailedTargets($input: RerunFailedTargetsInput!) {
    rerunFailedTargets(input: $input) {
      __typename
      ... on RerunFailedTargetsSuccess { run { id trigger reason ownTargets payload } }
      ... on Error { message }
      ... on StateError { field }
    }
  }
`);

export const PauseTaskCancellingQueued = graphql(`
  mutation PauseTaskCancellingQueued($input: PauseTaskInput!) {
    pauseTask(input: $input) {
      __typename
      ... on PauseTaskSuccess { task { state } }
      ... on Error { message }
    }
  }
`);

export const TaskConcurrency = graphql(`
  mutation TaskConcurrency($input: UpdateTaskInput!) {
    updateTask(input: $input) {
      __typename
      ... on UpdateTaskSuccess { task { overlapPolicy maxConcurrentRuns } }
      ... on Error { message }
      ... on ValidationError { fieldErrors { field message } }
    }
  }
`);

export const RunTimes = graphql(`
  query RunTimes($filter: RunFilter) {
    runs(filter: $filter, first: 1000) { edges { node { id status trigger scheduledFor startedAt finishedAt reason requestedBy } } }
  }
`);

export const PauseTasksCancellingQueued = graphql(`
  mutation PauseTasksCancellingQueued($input: PauseTasksInput!) {
    pauseTasks(input: $input) {
      __typename
      ... on PauseTasksSuccess { tasks { id state pausedBy } }
      ... on Error { message }
      ... on ValidationError { fieldErrors { field message } }
    }
  }
`);

export const TaskRunCount = graphql(`
  query TaskRunCount($id: ID!) {
    node(id: $id) { ... on Task { state runCount maxRuns nextRunAt pauseNote upcomingRuns(count: 10) } }
  }
`);
