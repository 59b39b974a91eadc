// The cluster view and control the tests use, typed by the generated client.
import { graphql } from "../generated/graphql/index.js";

export const Instances = graphql(`
  query Instances {
    instances {
      id host pid version roles startedAt lastHeartbeatAt leaseExpiresAt
      runsExecuting claimsMade lastClaimAt clockOffsetMs missedChanges draining
    }
  }
`);

export const DrainInstance = graphql(`
  mutation DrainInstance($input: DrainInstanceInput!) {
    drainInstance(input: $input) {
      __typename
      ... on DrainInstanceSuccess { instance { id draining } }
      ...ErrorFields
    }
  }
`);
