// Objects the integration tests build on, created through the API. A typed error fails the
// calling test at once, with its message, rather than later as a missing field.
import type { CreateDeviceInput, CreatePoolInput, CreateServiceInput } from "../generated/graphql/graphql.js";
import type { GraphQLClient } from "./graphql-client.js";
import { CreateDevice, CreatePool, CreateService } from "./operations.js";

export async function createDevice(client: GraphQLClient, input: Omit<CreateDeviceInput, "address"> & { address?: string }) {
  const { createDevice: result } = await client.data(CreateDevice, { input: { address: "10.0.0.1", ...input } });
  if (result.__typename !== "CreateDeviceSuccess") throw new Error(`unexpected ${result.__typename}: ${result.message}`);
  return result.device;
}

export async function createPool(client: GraphQLClient, input: CreatePoolInput) {
  const { createPool: result } = await client.data(CreatePool, { input });
  if (result.__typename !== "CreatePoolSuccess") throw new Error(`unexpected ${result.__typename}: ${result.message}`);
  return result.pool;
}

/** A COMMAND service running `true` unless the input says otherwise. */
export async function createService(client: GraphQLClient, input: Omit<CreateServiceInput, "kind" | "config"> & Partial<CreateServiceInput>) {
  const { createService: result } = await client.data(CreateService, { input: { kind: "COMMAND", config: { command: "true" }, ...input } });
  if (result.__typename !== "CreateServiceSuccess") throw new Error(`unexpected ${result.__typename}: ${result.message}`);
  return result.service;
}
