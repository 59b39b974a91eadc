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

interface TargetRefs {
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

export async function resolveRunTargets(db: DbClient, taskId: string): Promise<RunTargets> {
  const task = await db.task.findUniqueOrThrow({
    where: { id: taskId },
    select: {
      targetDevices: { select: { deviceId: true } },
      targetPools: { select: { poolId: true } },
      service: { select: { targetDevices: { select: { deviceId: true } }, targetPools: { select: { poolId: true } } } },
    },
  });
  const refs = chooseTargetRefs(
    { deviceIds: task.targetDevices.map((t) => t.deviceId), poolIds: task.targetPools.map((t) => t.poolId) },
    { deviceIds: task.service.targetDevices.map((t) => t.deviceId), poolIds: task.service.targetPools.map((t) => t.poolId) },
  );
  if (refs.deviceIds.length === 0 && refs.poolIds.length === 0) return { declared: false, devices: [] };
  const direct = await db.device.findMany({ where: { id: { in: refs.deviceIds } }, select: { id: true, name: true, address: true, properties: true } });
  const pools = refs.poolIds.length > 0 ? await resolvePoolDevices(db, refs.poolIds) : new Map();
  return { declared: true, devices: mergeDevices(direct.map(toTarget), ...[...pools.values()].map((devices) => devices.map(toTarget))) };
}
