// Run and result operations the integration tests send, typed by the generated client.
import { graphql } from "../generated/graphql/index.js";

export const RunWithResults = graphql(`
  query RunWithResults($id: ID!) {
    run(id: $id) {
      id status reason trigger startedAt finishedAt targetCount succeededCount failedCount
      task { lastRunStatus lastRunAt }
      results(first: 1000) {
        totalCount
        edges {
          node {
            deviceName device { name } attempt status exitCode httpStatus output outputTruncated
            errorOutput errorOutputTruncated error startedAt finishedAt durationMs
          }
        }
      }
      failures: results(statuses: [FAILED, TIMED_OUT]) { totalCount }
    }
  }
`);

export const CancelRun = graphql(`
  mutation CancelRun($input: CancelRunInput!) {
    cancelRun(input: $input) {
      __typename
      ... on CancelRunSuccess { run { id status reason } }
      ... on Error { message }
      ... on StateError { field }
      ... on NotFoundError { field }
    }
  }
`);

export const RunsByFilter = graphql(`
  query RunsByFilter($filter: RunFilter, $first: Int) {
    runs(filter: $filter, first: $first) { edges { node { id status trigger reason } } }
  }
`);
