// The operations the service-secrets tests send, typed by the generated client.
import { graphql } from "../generated/graphql/index.js";

export const ServiceSecrets = graphql(`
  query ServiceSecrets($id: ID!) {
    node(id: $id) {
      ... on Service {
        id name kind
        config
        secrets { field name isSet value }
      }
    }
  }
`);

export const RunOutputs = graphql(`
  query RunOutputs($id: ID!) {
    run(id: $id) {
      status
      results(first: 10) { edges { node { status exitCode output errorOutput error } } }
    }
  }
`);

export const RunEventOutputs = graphql(`
  subscription RunEventOutputs($taskId: ID) {
    runEvents(taskId: $taskId) {
      type
      result { status output errorOutput error }
    }
  }
`);
