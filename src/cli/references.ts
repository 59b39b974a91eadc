// Tasks, devices, pools and services named on the command line by name or by id: an id is
// looked up with node(id:), a name among the objects whose name contains it (names are
// unique, so at most one is equal). Nothing found is a CliError with the not-found exit code.
import type { CliDeviceFieldsFragment, CliPoolFieldsFragment, CliServiceFieldsFragment, CliTaskFieldsFragment } from "../generated/graphql/graphql.js";
import type { ApiClient } from "./client.js";
import { CliError, exitCodes } from "./exit-codes.js";
import { CliDevicesPage, CliNodeById, CliPoolsPage, CliServicesPage } from "./operations/inventory.js";
import { CliTaskById, CliTasksPage } from "./operations/tasks.js";
import { findFirst } from "./paging.js";

export type ObjectType = "Task" | "Device" | "Pool" | "Service";

/** `reference` when it is a global id of `type` (base64 of "Type:id", as the API hands them out); null otherwise. */
export function globalIdOf(reference: string, type: ObjectType): string | null {
  const decoded = Buffer.from(reference, "base64").toString("utf8");
  const isId = decoded.startsWith(`${type}:`) && decoded.length > type.length + 1 && Buffer.from(decoded).toString("base64") === reference;
  return isId ? reference : null;
}

/** A node(id:) answer as the object of `type`, without the __typename a page of them does not carry. */
function nodeOf<Fields>(node: { __typename: string } | null, type: ObjectType): Fields | undefined {
  if (node?.__typename !== type) return undefined;
  const { __typename: _type, ...fields } = node;
  return fields as Fields;
}

const notFound = (type: ObjectType, reference: string) =>
  new CliError(`no ${type.toLowerCase()} named or with id "${reference}"`, exitCodes.notFound, { code: "NOT_FOUND", reference });

export async function findTask(client: ApiClient, reference: string): Promise<CliTaskFieldsFragment> {
  const id = globalIdOf(reference, "Task");
  const found = id
    ? await client.request(CliTaskById, { id }).then(({ node }) => nodeOf<CliTaskFieldsFragment>(node, "Task"))
    : await findFirst(
        (first, after) => client.request(CliTasksPage, { first, after, filter: { nameContains: reference } }).then((data) => data.tasks),
        (task) => task.name === reference,
      );
  if (!found) throw notFound("Task", reference);
  return found;
}

export async function findDevice(client: ApiClient, reference: string): Promise<CliDeviceFieldsFragment> {
  const id = globalIdOf(reference, "Device");
  const found = id
    ? await client.request(CliNodeById, { id }).then(({ node }) => nodeOf<CliDeviceFieldsFragment>(node, "Device"))
    : await findFirst(
        (first, after) => client.request(CliDevicesPage, { first, after, filter: { nameContains: reference } }).then((data) => data.devices),
        (device) => device.name === reference,
      );
  if (!found) throw notFound("Device", reference);
  return found;
}

export async function findPool(client: ApiClient, reference: string): Promise<CliPoolFieldsFragment> {
  const id = globalIdOf(reference, "Pool");
  const found = id
    ? await client.request(CliNodeById, { id }).then(({ node }) => nodeOf<CliPoolFieldsFragment>(node, "Pool"))
    : await findFirst(
        (first, after) => client.request(CliPoolsPage, { first, after, filter: { nameContains: reference } }).then((data) => data.pools),
        (pool) => pool.name === reference,
      );
  if (!found) throw notFound("Pool", reference);
  return found;
}

export async function findService(client: ApiClient, reference: string): Promise<CliServiceFieldsFragment> {
  const id = globalIdOf(reference, "Service");
  const found = id
    ? await client.request(CliNodeById, { id }).then(({ node }) => nodeOf<CliServiceFieldsFragment>(node, "Service"))
    : await findFirst(
        (first, after) => client.request(CliServicesPage, { first, after, filter: { nameContains: reference } }).then((data) => data.services),
        (service) => service.name === reference,
      );
  if (!found) throw notFound("Service", reference);
  return found;
}

/** The ids of the objects named by `references` (names or ids), in order. */
export const idsOf = async (references: readonly string[], find: (reference: string) => Promise<{ id: string }>): Promise<string[]> =>
  Promise.all(references.map(async (reference) => (await find(reference)).id));
