import { builder } from "../builder.js";
import { createDevice, deleteDevice, updateDevice } from "../domain/devices.js";
import { tagNames } from "../domain/tags.js";
import { deleteErrors, writeErrors } from "./errors.js";
import { localId } from "./global-id.js";
import { listMaxima, maxItems } from "./list-limits.js";
import { NameTagFilter, nameTagWhere, OrderInput, orderBy } from "./listing.js";
import { withSelection } from "./prisma-query.js";

export const Device = builder.prismaNode("Device", {
  id: { field: "id" },
  // Every column (no `select`): Pool.devices hands over devices it read itself, whole.
  // node(id:) of a deleted device answers null, not an internal error.
  nullable: true,
  description: "A machine that services run against.",
  fields: (t) => ({
    name: t.exposeString("name"),
    address: t.exposeString("address", { description: "Hostname or IP address." }),
    description: t.exposeString("description"),
    properties: t.expose("properties", { type: "JSONObject" }),
    tags: t.stringList({ select: { tags: { select: { name: true } } }, resolve: (device) => tagNames(device.tags) }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    updatedAt: t.expose("updatedAt", { type: "DateTime" }),
  }),
});

builder.queryField("devices", (t) =>
  t.prismaConnection({
    type: "Device",
    cursor: "id",
    args: { filter: t.arg({ type: NameTagFilter }), orderBy: t.arg({ type: OrderInput }) },
    totalCount: async (_parent, args, ctx) => ctx.db.device.count({ where: await nameTagWhere(ctx, "Device", args.filter) }),
    resolve: async (query, _parent, args, ctx) =>
      ctx.db.device.findMany({ ...withSelection(query), where: await nameTagWhere(ctx, "Device", args.filter), orderBy: orderBy(args.orderBy) }),
  }),
);

const CreateDeviceInput = builder.inputType("CreateDeviceInput", {
  fields: (t) => ({
    name: t.string({ required: true }),
    address: t.string({ required: true }),
    description: t.string(),
    properties: t.field({ type: "JSONObject" }),
    tags: t.stringList(maxItems(listMaxima.tags)),
  }),
});

const UpdateDeviceInput = builder.inputType("UpdateDeviceInput", {
  description: "Fields left out keep their value; tags, when given, replace the set.",
  fields: (t) => ({
    id: t.id({ required: true }),
    name: t.string(),
    address: t.string(),
    description: t.string(),
    properties: t.field({ type: "JSONObject" }),
    tags: t.stringList(maxItems(listMaxima.tags)),
  }),
});

const DeleteDeviceInput = builder.inputType("DeleteDeviceInput", { fields: (t) => ({ id: t.id({ required: true }) }) });

builder.mutationFields((t) => ({
  createDevice: t.prismaField({
    type: "Device",
    args: { input: t.arg({ type: CreateDeviceInput, required: true }) },
    errors: { types: writeErrors, dataField: { name: "device" } },
    resolve: async (query, _parent, { input }, ctx) => {
      const id = await createDevice(ctx.db, input);
      return ctx.db.device.findUniqueOrThrow({ ...withSelection(query), where: { id } });
    },
  }),
  updateDevice: t.prismaField({
    type: "Device",
    args: { input: t.arg({ type: UpdateDeviceInput, required: true }) },
    errors: { types: writeErrors, dataField: { name: "device" } },
    resolve: async (query, _parent, { input: { id: globalId, ...changes } }, ctx) => {
      const id = localId(String(globalId), "Device", "input.id");
      await updateDevice(ctx.db, id, changes);
      return ctx.db.device.findUniqueOrThrow({ ...withSelection(query), where: { id } });
    },
  }),
  deleteDevice: t.id({
    args: { input: t.arg({ type: DeleteDeviceInput, required: true }) },
    errors: { types: deleteErrors, dataField: { name: "deletedId" } },
    resolve: async (_parent, { input }, ctx) => {
      await deleteDevice(ctx.db, localId(String(input.id), "Device", "input.id"));
      return input.id;
    },
  }),
}));
