// API token and audit operations the auth tests send, typed by the generated client.
import { graphql } from "../generated/graphql/index.js";

export const CreateApiToken = graphql(`
  mutation CreateApiToken($input: CreateApiTokenInput!) {
    createApiToken(input: $input) {
      __typename
      ... on CreateApiTokenSuccess { apiToken { id name role expiresAt secret } }
      ... on Error { message }
    }
  }
`);

export const RevokeApiToken = graphql(`
  mutation RevokeApiToken($input: RevokeApiTokenInput!) {
    revokeApiToken(input: $input) {
      __typename
      ... on RevokeApiTokenSuccess { apiToken { id name revokedAt } }
      ... on Error { message }
    }
  }
`);

export const ListApiTokens = graphql(`
  query ListApiTokens {
    apiTokens { id name role createdAt createdBy expiresAt revokedAt lastUsedAt }
  }
`);

export const AuditedTask = graphql(`
  query AuditedTask($id: ID!) {
    node(id: $id) { ... on Task { createdBy updatedBy pausedBy pauseNote } }
  }
`);

export const AuditedService = graphql(`
  query AuditedService($id: ID!) {
    node(id: $id) { ... on Service { createdBy updatedBy } }
  }
`);

export const UpdateAuditedService = graphql(`
  mutation UpdateAuditedService($input: UpdateServiceInput!) {
    updateService(input: $input) {
      __typename
      ... on UpdateServiceSuccess { service { id } }
    }
  }
`);
