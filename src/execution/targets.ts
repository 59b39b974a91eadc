// Which devices a run is executed against: the task's devices plus every device of its pools
// (static members and rule matches, resolved now), or the service's defaults when the task
// names none; each device once.
import type { DbClient } from "../db/database.js";
import { resolvePoolDevices } from "../domain/pools.js";

export interface TargetDevice {
  id: string;
  name: string;
  address: string;
  properties: Record<string, unknown>;
}

export interface RunTargets {
  /** False when neither the task nor its service names targets: the service runs once without a device. */
  declared: boolean;
  devices: TargetDevice[];
}

export interface TargetRefs {
  deviceIds: string[];
  poolIds: string[];
}

/** The task's targets when it names any, else the service's. */
export function chooseTargetRefs(task: TargetRefs, service: TargetRefs): TargetRefs {
  return task.deviceIds.length > 0 || task.poolIds.length > 0 ? task : service;
}

/** Devices from several sources, each once, in name order (then id, names being unique). */
export function mergeDevices(...sources: TargetDevice[][]): TargetDevice[] {
  const byId = new Map<string, TargetDevice>();
  for (const device of sources.flat()) if (!byId.has(device.id)) byId.set(device.id, device);
  return [...byId.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.id < b.id ? -1 : 1));
}

const toTarget = (device: { id: string; name: string; address: string; properties: unknown }): TargetDevice => ({
  id: device.id,
  name: device.name,
  address: device.address,
  properties: (device.properties ?? {}) as Record<string, unknown>,
});

const refsOf = (owner: { targetDevices: { deviceId: string }[]; targetPools: { poolId: string }[] }): TargetRefs => ({
  deviceIds: owner.targetDevices.map((t) => t.deviceId),
  poolIds: owner.targetPools.map((t) => t.poolId),
});

/** The targets of each of the tasks, resolved now with a few queries whatever their number; a task that no longer exists is left out. */
export async function resolveTargetsOfTasks(db: DbClient, taskIds: readonly string[]): Promise<Map<string, RunTargets>> {
  const tasks = await db.task.findMany({
    where: { id: { in: [...taskIds] } },
    select: { id: true, ...targetsSelect, service: { select: targetsSelect } },
  });
  return resolveTargetRefs(db, new Map(tasks.map((task) => [task.id, chooseTargetRefs(refsOf(task), refsOf(task.service))])));
}

/** The default targets of each of the services (a workflow step running on its service's own targets); a service that no longer exists is left out. */
export async function resolveTargetsOfServices(db: DbClient, serviceIds: readonly string[]): Promise<Map<string, RunTargets>> {
  const services = await db.service.findMany({ where: { id: { in: [...serviceIds] } }, select: { id: true, ...targetsSelect } });
  return resolveTargetRefs(db, new Map(services.map((service) => [service.id, refsOf(service)])));
}

const targetsSelect = { targetDevices: { select: { deviceId: true } }, targetPools: { select: { poolId: true } } } as const;

/**
 * The devices each set of references names, resolved now with a few queries whatever their
 * number: with none, the service runs once without a device. Keyed as `refs` is (by task,
 * by service, or by run for runs with targets of their own).
 */
export async function resolveTargetRefs<K>(db: DbClient, refs: Map<K, TargetRefs>): Promise<Map<K, RunTargets>> {
  const deviceIds = [...new Set([...refs.values()].flatMap((r) => r.deviceIds))];
  const poolIds = [...new Set([...refs.values()].flatMap((r) => r.poolIds))];
  const devices = new Map(
    deviceIds.length === 0
      ? []
      : (await db.device.findMany({ where: { id: { in: deviceIds } }, select: { id: true, name: true, address: true, properties: true } })).map((d) => [d.id, toTarget(d)]),
  );
  const pools = poolIds.length > 0 ? await resolvePoolDevices(db, poolIds) : new Map();
  const targets = new Map<K, RunTargets>();
  for (const [key, { deviceIds: direct, poolIds: viaPools }] of refs) {
    if (direct.length === 0 && viaPools.length === 0) {
      targets.set(key, { declared: false, devices: [] });
      continue;
    }
    const fromPools = viaPools.map((poolId) => ((pools.get(poolId) ?? []) as Parameters<typeof toTarget>[0][]).map(toTarget));
    targets.set(key, { declared: true, devices: mergeDevices(direct.flatMap((id) => devices.get(id) ?? []), ...fromPools) });
  }
  return targets;
}
