// The file's objects (or some of their fields) as the API's create and update inputs: names
// of other objects become their ids, and a task's state is left to pauseTask and resumeTask.
import type { CreatePoolInput, CreateServiceInput, CreateTaskInput, ScheduleInput } from "../../generated/graphql/graphql.js";
import type { PartialSpec } from "./document.js";

/** The ids of the objects of `kind` named `names`, in order. */
export type ResolveNames = (kind: "device" | "pool" | "service", names: readonly string[]) => Promise<string[]>;

/** The defined fields of `fields`: left out of an update, a field keeps its value. */
const defined = <T extends Record<string, unknown>>(fields: T): Partial<T> =>
  Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as Partial<T>;

const idsOf = async (resolve: ResolveNames, kind: "device" | "pool", names: readonly string[] | undefined) =>
  names === undefined ? undefined : resolve(kind, names);

export const deviceInput = (spec: PartialSpec<"device">) => defined({ ...spec });

export async function poolInput(spec: PartialSpec<"pool">, resolve: ResolveNames): Promise<Partial<CreatePoolInput>> {
  const { members, ...fields } = spec;
  return defined({ ...fields, deviceIds: await idsOf(resolve, "device", members) });
}

/** Notification rules with their services' ids; null and undefined as they are. */
async function notifyInput(rules: PartialSpec<"task">["notify"], resolve: ResolveNames) {
  if (rules === undefined || rules === null) return rules;
  const serviceIds = await resolve("service", rules.map((rule) => rule.service));
  return rules.map((rule, index) => ({ serviceId: serviceIds[index]!, on: rule.on, everyTime: rule.everyTime }));
}

export async function serviceInput(spec: PartialSpec<"service">, resolve: ResolveNames): Promise<Partial<CreateServiceInput>> {
  const { targetDevices, targetPools, notify, ...fields } = spec;
  return defined({
    ...fields,
    notify: await notifyInput(notify, resolve),
    targetDeviceIds: await idsOf(resolve, "device", targetDevices),
    targetPoolIds: await idsOf(resolve, "pool", targetPools),
  });
}

export async function taskInput(spec: PartialSpec<"task">, resolve: ResolveNames): Promise<Partial<CreateTaskInput>> {
  const { service, targetDevices, targetPools, schedule, state: _state, notify, ...fields } = spec;
  return defined({
    ...fields,
    notify: await notifyInput(notify, resolve),
    schedule: schedule as ScheduleInput | undefined,
    serviceId: service === undefined ? undefined : (await resolve("service", [service]))[0],
    targetDeviceIds: await idsOf(resolve, "device", targetDevices),
    targetPoolIds: await idsOf(resolve, "pool", targetPools),
  });
}

/** The named fields of a spec, for an update that changes them alone. */
export const pick = <T extends Record<string, unknown>>(spec: T, fields: readonly string[]): Partial<T> =>
  Object.fromEntries(fields.map((field) => [field, spec[field]])) as Partial<T>;
