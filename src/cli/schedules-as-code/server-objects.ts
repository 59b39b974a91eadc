// What the server holds, read whole and written as the file's objects (document.ts): what
// `export` prints and what `apply` compares the file with.
import type {
  CliDeviceFieldsFragment,
  CliPoolFieldsFragment,
  CliScheduleFieldsFragment,
  CliServiceFieldsFragment,
  CliTaskFieldsFragment,
  NotifyOutcome,
} from "../../generated/graphql/graphql.js";
import type { ApiClient } from "../client.js";
import { CliDevicesPage, CliPoolsPage, CliServicesPage } from "../operations/inventory.js";
import { CliTasksPage } from "../operations/tasks.js";
import { readAll } from "../paging.js";
import type { ConfigurationDocument, DeviceSpec, PoolSpec, ScheduleSpec, ServiceSpec, TaskSpec } from "./document.js";

/** Everything the server holds, with the ids apply needs to change it. */
export interface ServerState {
  devices: Map<string, { id: string; spec: DeviceSpec }>;
  pools: Map<string, { id: string; spec: PoolSpec }>;
  /** `configHidden`: the server showed no config (a role below ADMIN). */
  services: Map<string, { id: string; spec: ServiceSpec; configHidden: boolean }>;
  tasks: Map<string, { id: string; spec: TaskSpec }>;
}

const names = (objects: readonly { name: string }[]) => objects.map((object) => object.name);
const byName = <T extends { spec: { name: string } }>(entries: T[]) => new Map(entries.map((entry) => [entry.spec.name, entry]));

export const deviceSpecOf = (device: CliDeviceFieldsFragment): DeviceSpec => ({
  name: device.name,
  address: device.address,
  description: device.description,
  properties: device.properties,
  tags: device.tags,
});

export const poolSpecOf = (pool: CliPoolFieldsFragment): PoolSpec => ({
  name: pool.name,
  description: pool.description,
  tags: pool.tags,
  members: names(pool.members),
  rule: pool.rule && { tags: pool.rule.tags, tagMatch: pool.rule.tagMatch, properties: pool.rule.properties },
});

/** Rules as the file writes them: by service name (a service deleted since shows as such; rules naming one cannot be saved). */
const notifySpecOf = (rules: readonly { service: { name: string } | null; on: NotifyOutcome[]; everyTime: boolean }[] | null): ServiceSpec["notify"] =>
  rules && rules.map((rule) => ({ service: rule.service?.name ?? "(deleted)", on: rule.on, everyTime: rule.everyTime }));

export const serviceSpecOf = (service: CliServiceFieldsFragment): ServiceSpec => ({
  name: service.name,
  kind: service.kind,
  // Below ADMIN the server shows no config (see ServerState.services).
  config: service.config ?? {},
  description: service.description,
  defaultPayload: service.defaultPayload,
  tags: service.tags,
  targetDevices: names(service.targetDevices),
  targetPools: names(service.targetPools),
  requiresConfirmation: service.requiresConfirmation,
  concurrency: service.concurrency,
  notify: notifySpecOf(service.notify),
});

/** The fields that are set, without the nulls the API answers for the others. */
const setFields = <T extends Record<string, unknown>>(fields: T) =>
  Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== null && value !== undefined)) as { [K in keyof T]: NonNullable<T[K]> };

/** A task's schedule as ScheduleInput writes it: the server says (Schedule.asInput). */
export const scheduleSpecOf = (schedule: CliScheduleFieldsFragment): ScheduleSpec => schedule.asInput as ScheduleSpec;

export const taskSpecOf = (task: CliTaskFieldsFragment): TaskSpec => ({
  name: task.name,
  service: task.service.name,
  schedule: scheduleSpecOf(task.schedule),
  // A completed task has nothing left to fire: as the file says, it is not paused.
  state: task.state === "PAUSED" ? "PAUSED" : "ACTIVE",
  timezone: task.timezone,
  dstPolicy: task.dstPolicy,
  description: task.description,
  payload: task.payload,
  tags: task.tags,
  targetDevices: names(task.targetDevices),
  targetPools: names(task.targetPools),
  requiresConfirmation: task.requiresConfirmation,
  misfirePolicy: task.misfirePolicy,
  misfireGraceSeconds: task.misfireGraceSeconds,
  overlapPolicy: task.overlapPolicy,
  jitterSeconds: task.jitterSeconds,
  maxRuns: task.maxRuns,
  maxAttempts: task.maxAttempts,
  retryBackoffSeconds: task.retryBackoffSeconds,
  deadlineSeconds: task.deadlineSeconds,
  notify: notifySpecOf(task.notify),
});

export async function readServerState(client: ApiClient): Promise<ServerState> {
  const [devices, pools, services, tasks] = await Promise.all([
    readAll((first, after) => client.request(CliDevicesPage, { first, after }).then((data) => data.devices)),
    readAll((first, after) => client.request(CliPoolsPage, { first, after }).then((data) => data.pools)),
    readAll((first, after) => client.request(CliServicesPage, { first, after }).then((data) => data.services)),
    readAll((first, after) => client.request(CliTasksPage, { first, after, orderBy: { field: "NAME" } }).then((data) => data.tasks)),
  ]);
  return {
    devices: byName(devices.map((device) => ({ id: device.id, spec: deviceSpecOf(device) }))),
    pools: byName(pools.map((pool) => ({ id: pool.id, spec: poolSpecOf(pool) }))),
    services: byName(services.map((service) => ({ id: service.id, spec: serviceSpecOf(service), configHidden: service.config == null }))),
    tasks: byName(tasks.map((task) => ({ id: task.id, spec: taskSpecOf(task) }))),
  };
}

/** The server's objects as a file: what `export` writes. */
export const documentOf = (state: ServerState): ConfigurationDocument => ({
  devices: [...state.devices.values()].map((entry) => entry.spec),
  pools: [...state.pools.values()].map((entry) => entry.spec),
  services: [...state.services.values()].map((entry) => entry.spec),
  tasks: [...state.tasks.values()].map((entry) => entry.spec),
});
