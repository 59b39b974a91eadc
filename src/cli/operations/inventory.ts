// The operations of `cronline devices`, `pools` and `services`, also used by export and apply.
import { graphql } from "../../generated/graphql/index.js";

export const CliDeviceFields = graphql(`
  fragment CliDeviceFields on Device { id name address description properties tags createdAt updatedAt }
`);

export const CliPoolFields = graphql(`
  fragment CliPoolFields on Pool {
    id name description tags
    rule { tags tagMatch properties }
    members { id name }
    devices { id name }
    createdAt updatedAt
  }
`);

export const CliServiceFields = graphql(`
  fragment CliServiceFields on Service {
    id name description kind config defaultPayload tags requiresConfirmation concurrency
    targetDevices { id name }
    targetPools { id name }
    notify { service { name } on everyTime }
    createdAt createdBy updatedAt updatedBy
  }
`);

export const CliDevicesPage = graphql(`
  query CliDevicesPage($first: Int!, $after: String, $filter: NameTagFilter) {
    devices(first: $first, after: $after, filter: $filter, orderBy: { field: NAME }) {
      pageInfo { hasNextPage endCursor }
      edges { node { ...CliDeviceFields } }
    }
  }
`);

export const CliPoolsPage = graphql(`
  query CliPoolsPage($first: Int!, $after: String, $filter: NameTagFilter) {
    pools(first: $first, after: $after, filter: $filter, orderBy: { field: NAME }) {
      pageInfo { hasNextPage endCursor }
      edges { node { ...CliPoolFields } }
    }
  }
`);

export const CliServicesPage = graphql(`
  query CliServicesPage($first: Int!, $after: String, $filter: ServiceFilter) {
    services(first: $first, after: $after, filter: $filter, orderBy: { field: NAME }) {
      pageInfo { hasNextPage endCursor }
      edges { node { ...CliServiceFields } }
    }
  }
`);

export const CliNodeById = graphql(`
  query CliNodeById($id: ID!) {
    node(id: $id) {
      __typename
      ... on Device { ...CliDeviceFields }
      ... on Pool { ...CliPoolFields }
      ... on Service { ...CliServiceFields }
    }
  }
`);

export const CliCreateDevice = graphql(`
  mutation CliCreateDevice($input: CreateDeviceInput!) {
    createDevice(input: $input) { __typename ... on CreateDeviceSuccess { device { ...CliDeviceFields } } ...CliErrorFields }
  }
`);

export const CliUpdateDevice = graphql(`
  mutation CliUpdateDevice($input: UpdateDeviceInput!) {
    updateDevice(input: $input) { __typename ... on UpdateDeviceSuccess { device { ...CliDeviceFields } } ...CliErrorFields }
  }
`);

export const CliDeleteDevice = graphql(`
  mutation CliDeleteDevice($input: DeleteDeviceInput!) {
    deleteDevice(input: $input) { __typename ... on DeleteDeviceSuccess { deletedId } ...CliErrorFields }
  }
`);

export const CliCreatePool = graphql(`
  mutation CliCreatePool($input: CreatePoolInput!) {
    createPool(input: $input) { __typename ... on CreatePoolSuccess { pool { ...CliPoolFields } } ...CliErrorFields }
  }
`);

export const CliUpdatePool = graphql(`
  mutation CliUpdatePool($input: UpdatePoolInput!) {
    updatePool(input: $input) { __typename ... on UpdatePoolSuccess { pool { ...CliPoolFields } } ...CliErrorFields }
  }
`);

export const CliDeletePool = graphql(`
  mutation CliDeletePool($input: DeletePoolInput!) {
    deletePool(input: $input) { __typename ... on DeletePoolSuccess { deletedId } ...CliErrorFields }
  }
`);

export const CliCreateService = graphql(`
  mutation CliCreateService($input: CreateServiceInput!) {
    createService(input: $input) { __typename ... on CreateServiceSuccess { service { ...CliServiceFields } } ...CliErrorFields }
  }
`);

export const CliUpdateService = graphql(`
  mutation CliUpdateService($input: UpdateServiceInput!) {
    updateService(input: $input) { __typename ... on UpdateServiceSuccess { service { ...CliServiceFields } } ...CliErrorFields }
  }
`);

export const CliDeleteService = graphql(`
  mutation CliDeleteService($input: DeleteServiceInput!) {
    deleteService(input: $input) { __typename ... on DeleteServiceSuccess { deletedId } ...CliErrorFields }
  }
`);
