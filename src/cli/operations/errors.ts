// The fields of every typed error a mutation answers, read by unwrapResult (client.ts).
import { graphql } from "../../generated/graphql/index.js";

export const CliErrorFields = graphql(`
  fragment CliErrorFields on Error {
    __typename
    message
    ... on ValidationError { fieldErrors { field message } }
    ... on NotFoundError { field id }
    ... on ConflictError { field }
    ... on InUseError { field usedBy }
    ... on StateError { field }
    ... on ConfirmationRequiredError { taskNames }
  }
`);
