import { z } from "zod";
import { Prisma, type DbClient } from "../db/database.js";
import { isForeignKeyViolation, isRecordMissing } from "../db/prisma-errors.js";
import { InUseError, NotFoundError } from "./errors.js";
import { addressRule, descriptionRule, jsonObjectRule, nameRule, parseInput, tagsRule } from "./input-rules.js";
import { withUniqueName } from "./names.js";
import { createTags, replaceTags } from "./tags.js";

const deviceFields = {
  name: nameRule,
  address: addressRule,
  description: descriptionRule,
  properties: jsonObjectRule,
  tags: tagsRule,
};

const createDeviceSchema = z.object({
  ...deviceFields,
  description: deviceFields.description.default(""),
  properties: deviceFields.properties.default({}),
  tags: deviceFields.tags.default([]),
});

const updateDeviceSchema = z.object(deviceFields).partial();

export async function createDevice(db: DbClient, input: unknown): Promise<string> {
  const data = parseInput(createDeviceSchema, input);
  const device = await withUniqueName("device", data.name, () =>
    db.device.create({
      data: { ...data, properties: data.properties as Prisma.InputJsonObject, tags: createTags(data.tags) },
      select: { id: true },
    }),
  );
  return device.id;
}

export async function updateDevice(db: DbClient, id: string, input: unknown): Promise<void> {
  const { tags, properties, ...fields } = parseInput(updateDeviceSchema, input);
  try {
    await withUniqueName("device", fields.name, () =>
      db.device.update({
        where: { id },
        data: {
          ...fields,
          ...(properties && { properties: properties as Prisma.InputJsonObject }),
          ...(tags && { tags: replaceTags(tags) }),
        },
        select: { id: true },
      }),
    );
  } catch (error) {
    if (isRecordMissing(error)) throw new NotFoundError("input.id", id, "Device");
    throw error;
  }
}

/** Deletes a device that no pool, service or task refers to; otherwise says who still does. */
export async function deleteDevice(db: DbClient, id: string): Promise<void> {
  const device = await db.device.findUnique({
    where: { id },
    select: {
      name: true,
      poolMemberships: { select: { pool: { select: { name: true } } } },
      serviceTargets: { select: { service: { select: { name: true } } } },
      taskTargets: { select: { task: { select: { name: true } } } },
    },
  });
  if (!device) throw new NotFoundError("input.id", id, "Device");
  const usedBy = [
    ...device.poolMemberships.map((m) => `pool ${JSON.stringify(m.pool.name)}`),
    ...device.serviceTargets.map((t) => `service ${JSON.stringify(t.service.name)}`),
    ...device.taskTargets.map((t) => `task ${JSON.stringify(t.task.name)}`),
  ];
  const inUse = () => new InUseError("input.id", usedBy, `device ${JSON.stringify(device.name)}`);
  if (usedBy.length > 0) throw inUse();
  try {
    await db.device.delete({ where: { id } });
  } catch (error) {
    // A reference added between the check and the delete: the foreign key still holds.
    if (isForeignKeyViolation(error)) throw new InUseError("input.id", ["a pool, service or task"], `device ${JSON.stringify(device.name)}`);
    if (isRecordMissing(error)) throw new NotFoundError("input.id", id, "Device");
    throw error;
  }
}

/** Throws NotFoundError naming `field.N` for the first id in `ids` that is not a device. */
export async function assertDevicesExist(db: DbClient, ids: string[], field: string): Promise<void> {
  const found = new Set((await db.device.findMany({ where: { id: { in: ids } }, select: { id: true } })).map((d) => d.id));
  const missing = ids.findIndex((id) => !found.has(id));
  if (missing >= 0) throw new NotFoundError(`${field}.${missing}`, ids[missing]!, "Device");
}
