import { z } from "zod";
import { Prisma, type DbClient } from "../db/database.js";
import { isForeignKeyViolation, isRecordMissing } from "../db/prisma-errors.js";
import { assertDevicesExist } from "./devices.js";
import { InUseError, NotFoundError } from "./errors.js";
import { descriptionRule, idListRule, nameRule, parseInput, tagsRule } from "./input-rules.js";
import { withUniqueName } from "./names.js";
import { createTags, replaceTags } from "./tags.js";
import { deviceMatchesRule, poolRuleSchema, ruleDeviceFilter, storedPoolRule } from "./pool-rules.js";

const poolFields = {
  name: nameRule,
  description: descriptionRule,
  tags: tagsRule,
  deviceIds: idListRule.transform((ids) => [...new Set(ids)]),
  rule: poolRuleSchema.nullable(),
};

const createPoolSchema = z.object({
  ...poolFields,
  description: poolFields.description.default(""),
  tags: poolFields.tags.default([]),
  deviceIds: poolFields.deviceIds.default([]),
  rule: poolFields.rule.default(null),
});

const updatePoolSchema = z.object(poolFields).partial();

const ruleColumn = (rule: z.output<typeof poolRuleSchema> | null) =>
  (rule ?? undefined) as Prisma.InputJsonObject | undefined;

/**
 * A device deleted between assertDevicesExist and the write breaks a foreign key: the check
 * run again names it (`input.deviceIds.2`), as it would have a moment earlier.
 */
async function nameVanishedMember(db: DbClient, error: unknown, deviceIds: string[] | undefined) {
  if (isForeignKeyViolation(error) && deviceIds) await assertDevicesExist(db, deviceIds, "input.deviceIds");
}

export async function createPool(db: DbClient, input: unknown): Promise<string> {
  const { deviceIds, rule, tags, ...fields } = parseInput(createPoolSchema, input);
  await assertDevicesExist(db, deviceIds, "input.deviceIds");
  const pool = await withUniqueName("pool", fields.name, () =>
    db.pool.create({
      data: { ...fields, rule: ruleColumn(rule), tags: createTags(tags), members: { create: deviceIds.map((deviceId) => ({ deviceId })) } },
      select: { id: true },
    }),
  ).catch(async (error: unknown) => {
    await nameVanishedMember(db, error, deviceIds);
    throw error;
  });
  return pool.id;
}

export async function updatePool(db: DbClient, id: string, input: unknown): Promise<void> {
  const { deviceIds, rule, tags, ...fields } = parseInput(updatePoolSchema, input);
  if (deviceIds) await assertDevicesExist(db, deviceIds, "input.deviceIds");
  try {
    await withUniqueName("pool", fields.name, () =>
      db.pool.update({
        where: { id },
        data: {
          ...fields,
          ...(tags && { tags: replaceTags(tags) }),
          ...(rule !== undefined && { rule: rule === null ? Prisma.DbNull : ruleColumn(rule) }),
          ...(deviceIds && { members: { deleteMany: {}, create: deviceIds.map((deviceId) => ({ deviceId })) } }),
        },
        select: { id: true },
      }),
    );
  } catch (error) {
    if (isRecordMissing(error)) throw new NotFoundError("input.id", id, "Pool");
    await nameVanishedMember(db, error, deviceIds);
    throw error;
  }
}

export async function deletePool(db: DbClient, id: string): Promise<void> {
  const pool = await db.pool.findUnique({
    where: { id },
    select: {
      name: true,
      serviceTargets: { select: { service: { select: { name: true } } } },
      taskTargets: { select: { task: { select: { name: true } } } },
    },
  });
  if (!pool) throw new NotFoundError("input.id", id, "Pool");
  const usedBy = [
    ...pool.serviceTargets.map((t) => `service ${JSON.stringify(t.service.name)}`),
    ...pool.taskTargets.map((t) => `task ${JSON.stringify(t.task.name)}`),
  ];
  if (usedBy.length > 0) throw new InUseError("input.id", usedBy, `pool ${JSON.stringify(pool.name)}`);
  try {
    await db.pool.delete({ where: { id } });
  } catch (error) {
    if (isForeignKeyViolation(error)) throw new InUseError("input.id", ["a service or task"], `pool ${JSON.stringify(pool.name)}`);
    if (isRecordMissing(error)) throw new NotFoundError("input.id", id, "Pool");
    throw error;
  }
}

export async function assertPoolsExist(db: DbClient, ids: string[], field: string): Promise<void> {
  const found = new Set((await db.pool.findMany({ where: { id: { in: ids } }, select: { id: true } })).map((p) => p.id));
  const missing = ids.findIndex((id) => !found.has(id));
  if (missing >= 0) throw new NotFoundError(`${field}.${missing}`, ids[missing]!, "Pool");
}

/**
 * The devices of several pools (static members ∪ rule matches), loaded with one query for
 * all of them. Devices are returned in name order, each with its tags.
 */
export async function resolvePoolDevices(
  db: DbClient,
  poolIds: readonly string[],
): Promise<Map<string, Prisma.DeviceGetPayload<{ include: { tags: true } }>[]>> {
  const pools = await db.pool.findMany({
    where: { id: { in: [...poolIds] } },
    select: { id: true, rule: true, members: { select: { deviceId: true } } },
  });
  const withRules = pools.map((pool) => ({ ...pool, rule: storedPoolRule(pool.rule) }));
  const memberIds = [...new Set(pools.flatMap((p) => p.members.map((m) => m.deviceId)))];
  const ruleFilters = withRules.flatMap((p) => (p.rule ? [ruleDeviceFilter(p.rule)] : []));
  const narrowed = ruleFilters.filter((filter) => filter !== null);
  const candidates = await db.device.findMany({
    // A rule that SQL cannot narrow (properties only) makes every device a candidate.
    where: narrowed.length < ruleFilters.length ? {} : { OR: [{ id: { in: memberIds } }, ...narrowed] },
    include: { tags: true },
    orderBy: { name: "asc" },
  });
  const result = new Map(poolIds.map((id) => [id, [] as typeof candidates]));
  for (const pool of withRules) {
    const members = new Set(pool.members.map((m) => m.deviceId));
    const rule = pool.rule;
    result.set(
      pool.id,
      candidates.filter((device) => members.has(device.id) || (rule !== null && deviceMatchesRule(device, rule))),
    );
  }
  return result;
}
