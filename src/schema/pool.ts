import { builder } from "../builder.js";
import { createPool, deletePool, updatePool } from "../domain/pools.js";
import { storedPoolRule, type PoolRule } from "../domain/pool-rules.js";
import { tagNames } from "../domain/tags.js";
import { Device } from "./device.js";
import { deleteErrors, writeErrors } from "./errors.js";
import { localId, localIds } from "./global-id.js";
import { listMaxima, maxItems } from "./list-limits.js";
import { NameTagFilter, nameTagWhere, OrderInput, orderBy } from "./listing.js";
import { withSelection } from "./prisma-query.js";

const TagMatch = builder.enumType("TagMatch", {
  values: { ALL: { description: "Devices carrying every tag." }, ANY: { description: "Devices carrying at least one tag." } },
});

const PoolRuleRef = builder.objectRef<PoolRule>("PoolRule").implement({
  description: "Selects devices dynamically; resolved each time the pool's devices are read.",
  fields: (t) => ({
    tags: t.exposeStringList("tags"),
    tagMatch: t.field({ type: TagMatch, resolve: (rule) => rule.tagMatch }),
    properties: t.field({ type: "JSONObject", description: "Property values a device must have, all of them.", resolve: (rule) => rule.properties }),
  }),
});

const PoolRuleInput = builder.inputType("PoolRuleInput", {
  fields: (t) => ({
    tags: t.stringList(maxItems(listMaxima.tags)),
    tagMatch: t.field({ type: TagMatch }),
    properties: t.field({ type: "JSONObject" }),
  }),
});

export const Pool = builder.prismaNode("Pool", {
  id: { field: "id" },
  // Rows are read with the columns the query selects, not every column.
  select: { id: true },
  // node(id:) of a deleted pool answers null, not an internal error.
  nullable: true,
  description: "A group of devices: static members plus those an optional rule selects.",
  fields: (t) => ({
    name: t.exposeString("name"),
    description: t.exposeString("description"),
    tags: t.stringList({ select: { tags: { select: { name: true } } }, resolve: (pool) => tagNames(pool.tags) }),
    rule: t.field({
      type: PoolRuleRef,
      nullable: true,
      select: { rule: true },
      resolve: (pool) => storedPoolRule(pool.rule),
    }),
    members: t.field({
      type: [Device],
      description: "The devices added to the pool by hand.",
      select: (_args, _ctx, nestedSelection) => ({
        members: { select: { device: nestedSelection(true) }, orderBy: { device: { name: "asc" } } },
      }),
      resolve: (pool) => pool.members.map((member) => member.device),
    }),
    devices: t.field({
      type: [Device],
      description: "Members and rule matches together, without duplicates, by name.",
      resolve: (pool, _args, ctx) => ctx.loaders.poolDevices.load(pool.id),
    }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    updatedAt: t.expose("updatedAt", { type: "DateTime" }),
  }),
});

builder.queryField("pools", (t) =>
  t.prismaConnection({
    type: "Pool",
    cursor: "id",
    args: { filter: t.arg({ type: NameTagFilter }), orderBy: t.arg({ type: OrderInput }) },
    totalCount: async (_parent, args, ctx) => ctx.db.pool.count({ where: await nameTagWhere(ctx, "Pool", args.filter) }),
    resolve: async (query, _parent, args, ctx) =>
      ctx.db.pool.findMany({ ...withSelection(query), where: await nameTagWhere(ctx, "Pool", args.filter), orderBy: orderBy(args.orderBy) }),
  }),
);

const CreatePoolInput = builder.inputType("CreatePoolInput", {
  fields: (t) => ({
    name: t.string({ required: true }),
    description: t.string(),
    tags: t.stringList(maxItems(listMaxima.tags)),
    deviceIds: t.idList(maxItems(listMaxima.ids, "Static members.")),
    rule: t.field({ type: PoolRuleInput }),
  }),
});

const UpdatePoolInput = builder.inputType("UpdatePoolInput", {
  description: "Fields left out keep their value; deviceIds and tags replace the set; rule: null removes the rule.",
  fields: (t) => ({
    id: t.id({ required: true }),
    name: t.string(),
    description: t.string(),
    tags: t.stringList(maxItems(listMaxima.tags)),
    deviceIds: t.idList(maxItems(listMaxima.ids)),
    rule: t.field({ type: PoolRuleInput }),
  }),
});

const DeletePoolInput = builder.inputType("DeletePoolInput", { fields: (t) => ({ id: t.id({ required: true }) }) });

function withLocalDeviceIds<T extends { deviceIds?: readonly (string | number)[] | null }>(input: T) {
  return input.deviceIds ? { ...input, deviceIds: localIds(input.deviceIds.map(String), "Device", "input.deviceIds") } : input;
}

builder.mutationFields((t) => ({
  createPool: t.prismaField({
    type: "Pool",
    args: { input: t.arg({ type: CreatePoolInput, required: true }) },
    errors: { types: writeErrors, dataField: { name: "pool" } },
    resolve: async (query, _parent, { input }, ctx) => {
      const id = await createPool(ctx.db, withLocalDeviceIds(input));
      return ctx.db.pool.findUniqueOrThrow({ ...withSelection(query), where: { id } });
    },
  }),
  updatePool: t.prismaField({
    type: "Pool",
    args: { input: t.arg({ type: UpdatePoolInput, required: true }) },
    errors: { types: writeErrors, dataField: { name: "pool" } },
    resolve: async (query, _parent, { input: { id: globalId, ...changes } }, ctx) => {
      const id = localId(String(globalId), "Pool", "input.id");
      await updatePool(ctx.db, id, withLocalDeviceIds(changes));
      return ctx.db.pool.findUniqueOrThrow({ ...withSelection(query), where: { id } });
    },
  }),
  deletePool: t.id({
    args: { input: t.arg({ type: DeletePoolInput, required: true }) },
    errors: { types: deleteErrors, dataField: { name: "deletedId" } },
    resolve: async (_parent, { input }, ctx) => {
      await deletePool(ctx.db, localId(String(input.id), "Pool", "input.id"));
      return input.id;
    },
  }),
}));
