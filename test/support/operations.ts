// The operations the integration tests send, typed by the generated client.
import { graphql } from "../generated/graphql/index.js";

export const ErrorFields = graphql(`
  fragment ErrorFields on Error {
    __typename
    message
    ... on ValidationError { fieldErrors { field message } }
    ... on NotFoundError { field id }
    ... on ConflictError { field }
    ... on InUseError { field usedBy }
  }
`);

/** The field paths of a ValidationError result, sorted; undefined for any other result. */
export const fieldErrorPaths = (result: { __typename: string; fieldErrors?: { field: string }[] }) => result.fieldErrors?.map((e) => e.field).sort();

export const CreateDevice = graphql(`
  mutation CreateDevice($input: CreateDeviceInput!) {
    createDevice(input: $input) {
      __typename
      ... on CreateDeviceSuccess { device { id name address description properties tags createdAt updatedAt } }
      ...ErrorFields
    }
  }
`);

export const UpdateDevice = graphql(`
  mutation UpdateDevice($input: UpdateDeviceInput!) {
    updateDevice(input: $input) {
      __typename
      ... on UpdateDeviceSuccess { device { id name address description properties tags updatedAt } }
      ...ErrorFields
    }
  }
`);

export const DeleteDevice = graphql(`
  mutation DeleteDevice($input: DeleteDeviceInput!) {
    deleteDevice(input: $input) {
      __typename
      ... on DeleteDeviceSuccess { deletedId }
      ...ErrorFields
    }
  }
`);

export const DevicesPage = graphql(`
  query DevicesPage($first: Int, $after: String, $filter: NameTagFilter, $orderBy: OrderInput) {
    devices(first: $first, after: $after, filter: $filter, orderBy: $orderBy) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { cursor node { id name tags } }
    }
  }
`);

export const NodeById = graphql(`
  query NodeById($id: ID!) {
    node(id: $id) {
      __typename
      id
      ... on Device { name }
      ... on Pool { name }
      ... on Service { name }
    }
  }
`);

export const CreatePool = graphql(`
  mutation CreatePool($input: CreatePoolInput!) {
    createPool(input: $input) {
      __typename
      ... on CreatePoolSuccess {
        pool {
          id name description tags
          rule { tags tagMatch properties }
          members { id name }
          devices { id name }
        }
      }
      ...ErrorFields
    }
  }
`);

export const UpdatePool = graphql(`
  mutation UpdatePool($input: UpdatePoolInput!) {
    updatePool(input: $input) {
      __typename
      ... on UpdatePoolSuccess {
        pool { id name description tags rule { tags tagMatch properties } members { name } devices { name } }
      }
      ...ErrorFields
    }
  }
`);

export const DeletePool = graphql(`
  mutation DeletePool($input: DeletePoolInput!) {
    deletePool(input: $input) {
      __typename
      ... on DeletePoolSuccess { deletedId }
      ...ErrorFields
    }
  }
`);

export const PoolsPage = graphql(`
  query PoolsPage($first: Int, $after: String, $filter: NameTagFilter, $orderBy: OrderInput) {
    pools(first: $first, after: $after, filter: $filter, orderBy: $orderBy) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node { id name description tags members { id name tags } devices { id name tags } } }
    }
  }
`);

export const CreateService = graphql(`
  mutation CreateService($input: CreateServiceInput!) {
    createService(input: $input) {
      __typename
      ... on CreateServiceSuccess {
        service {
          id name description kind config defaultPayload tags
          targetDevices { id name }
          targetPools { id name }
        }
      }
      ...ErrorFields
    }
  }
`);

export const UpdateService = graphql(`
  mutation UpdateService($input: UpdateServiceInput!) {
    updateService(input: $input) {
      __typename
      ... on UpdateServiceSuccess { service { id name description kind config defaultPayload tags targetDevices { name } targetPools { name } } }
      ...ErrorFields
    }
  }
`);

export const DeleteService = graphql(`
  mutation DeleteService($input: DeleteServiceInput!) {
    deleteService(input: $input) {
      __typename
      ... on DeleteServiceSuccess { deletedId }
      ...ErrorFields
    }
  }
`);

export const ServicesPage = graphql(`
  query ServicesPage($first: Int, $after: String, $filter: ServiceFilter, $orderBy: OrderInput) {
    services(first: $first, after: $after, filter: $filter, orderBy: $orderBy) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges {
        node {
          id name description kind config defaultPayload tags
          targetDevices { id name tags }
          targetPools { id name members { id name } devices { id name } }
        }
      }
    }
  }
`);
