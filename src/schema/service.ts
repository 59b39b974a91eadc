import { builder } from "../builder.js";
import { serviceKindNames, type ServiceKind as ServiceKindName } from "../domain/service-kinds.js";
import { maskedConfig, secretEntries, secretMask, type SecretEntry } from "../domain/service-secrets.js";
import { createService, deleteService, updateService } from "../domain/services.js";
import { tagNames } from "../domain/tags.js";
import { Device } from "./device.js";
import { deleteErrors, writeErrors } from "./errors.js";
import { InUseError } from "../domain/errors.js";
import { localId, localIds } from "./global-id.js";
import { localNotifyRules, notifyListLimit, NotifyRule, NotifyRuleInput, notifyRulesOf } from "./notify-rule.js";
import { listMaxima, maxItems } from "./list-limits.js";
import { OrderInput, orderBy, nameTagWhere } from "./listing.js";
import { Pool } from "./pool.js";
import { withSelection } from "./prisma-query.js";
import { adminOnly } from "./visibility.js";

const ServiceKind = builder.enumType("ServiceKind", {
  description: "What a service does when it runs; `config` holds the kind's settings.",
  values: serviceKindNames,
});

const ServiceSecret = builder.objectRef<SecretEntry>("ServiceSecret").implement({
  description:
    "A secret place of a service's config: a header (HTTP), an environment variable (COMMAND), or a field listed in config.secretFields. Its value is write-only: stored sealed, never shown, masked in run output.",
  fields: (t) => ({
    field: t.exposeString("field", { description: 'The config key it is in: "headers", "environment", "url" or "body".' }),
    name: t.exposeString("name", { nullable: true, description: "The header's or variable's name; null for a whole field." }),
    isSet: t.exposeBoolean("isSet", { description: "Whether a value is stored (an empty value is not a secret, and is shown as it is)." }),
    value: t.string({ description: `Always masked: "${secretMask}" when set, "" when not.`, resolve: (entry) => (entry.isSet ? secretMask : "") }),
  }),
});

export const Service = builder.prismaNode("Service", {
  id: { field: "id" },
  // Rows are read with the columns the query selects, not every column.
  select: { id: true },
  // node(id:) of a deleted service answers null, not an internal error.
  nullable: true,
  description:
    "Something to run: a COMMAND (config: command, workingDirectory, environment, inheritEnvironment, timeoutSeconds, runAs, allowOptionLikeValues), an HTTP call (config: url, method, headers, body, timeoutSeconds, expectedStatusCodes, maxRedirects, secretFields), or a WORKFLOW of other services (config: steps, each with name, service, after [{ step, on: SUCCESS | FAILURE | ALWAYS }], targets RUN | SERVICE, payload, timeoutSeconds, maxAttempts, retryBackoffSeconds, killGraceSeconds; see README \"Workflows\"). Templates may use {{device.name}}, {{device.address}}, {{device.properties.<key>}}, {{payload.<key>}}, {{task.name}}, {{run.id}}, {{scheduledFor}}, and in a workflow's steps {{steps.<step>.<field>}}, {{steps.<step>.devices.<device>.<field>}}, {{steps.<step>.device.<field>}} (status, stdout, stderr, exitCode, httpStatus, json.<path>).",
  fields: (t) => ({
    name: t.exposeString("name"),
    description: t.exposeString("description"),
    kind: t.field({ type: ServiceKind, select: { kind: true }, resolve: (service) => service.kind as (typeof serviceKindNames)[number] }),
    config: t.field({
      type: "JSONObject",
      nullable: true,
      ...adminOnly,
      description: `ADMIN only: null for other roles. Secret values (every header, every environment variable, the fields listed in secretFields) show as "${secretMask}"; sent back as "${secretMask}" in updateService, a value keeps what is stored.`,
      select: { kind: true, config: true },
      resolve: (service) => maskedConfig(service.kind as ServiceKindName, service.config as Record<string, unknown>),
    }),
    secrets: t.field({
      type: [ServiceSecret],
      nullable: true,
      ...adminOnly,
      description: "ADMIN only: null for other roles. The secret places of config, and whether each holds a value.",
      select: { kind: true, config: true },
      resolve: (service) => secretEntries(service.kind as ServiceKindName, service.config as Record<string, unknown>),
    }),
    defaultPayload: t.expose("defaultPayload", { type: "JSONObject" }),
    notify: t.field({
      type: [NotifyRule],
      nullable: true,
      description: "Default notification rules of the tasks running it that have none of their own (Task.notify null).",
      select: { notify: true },
      resolve: (row) => notifyRulesOf(row.notify),
    }),

    tags: t.stringList({ select: { tags: { select: { name: true } } }, resolve: (service) => tagNames(service.tags) }),
    requiresConfirmation: t.exposeBoolean("requiresConfirmation", { description: "Manual runs of its tasks need confirm: true." }),
    concurrency: t.exposeInt("concurrency", { description: "Targets run at most this many at a time (per Cronline process, over all runs of the service)." }),
    targetDevices: t.field({
      type: [Device],
      description: "Devices the service runs against when a task names no targets.",
      select: (_args, _ctx, nestedSelection) => ({
        targetDevices: { select: { device: nestedSelection(true) }, orderBy: { device: { name: "asc" } } },
      }),
      resolve: (service) => service.targetDevices.map((target) => target.device),
    }),
    targetPools: t.field({
      type: [Pool],
      description: "Pools the service runs against when a task names no targets.",
      select: (_args, _ctx, nestedSelection) => ({
        targetPools: { select: { pool: nestedSelection(true) }, orderBy: { pool: { name: "asc" } } },
      }),
      resolve: (service) => service.targetPools.map((target) => target.pool),
    }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    updatedAt: t.expose("updatedAt", { type: "DateTime" }),
    createdBy: t.exposeString("createdBy", { nullable: true, description: "Name of the API token that created it." }),
    updatedBy: t.exposeString("updatedBy", { nullable: true, description: "Name of the API token that last edited it." }),
  }),
});

const ServiceFilter = builder.inputType("ServiceFilter", {
  fields: (t) => ({
    nameContains: t.string({ description: "Case-insensitive substring of the name." }),
    tag: t.string({ description: "Only those carrying this tag." }),
    kind: t.field({ type: ServiceKind }),
  }),
});

builder.queryField("services", (t) =>
  t.prismaConnection({
    type: "Service",
    cursor: "id",
    args: { filter: t.arg({ type: ServiceFilter }), orderBy: t.arg({ type: OrderInput }) },
    totalCount: async (_parent, { filter }, ctx) =>
      ctx.db.service.count({ where: { ...(await nameTagWhere(ctx, "Service", filter)), ...(filter?.kind && { kind: filter.kind }) } }),
    resolve: async (query, _parent, { filter, orderBy: order }, ctx) =>
      ctx.db.service.findMany({
        ...withSelection(query),
        where: { ...(await nameTagWhere(ctx, "Service", filter)), ...(filter?.kind && { kind: filter.kind }) },
        orderBy: orderBy(order),
      }),
  }),
);

const CreateServiceInput = builder.inputType("CreateServiceInput", {
  fields: (t) => ({
    name: t.string({ required: true }),
    description: t.string(),
    kind: t.field({ type: ServiceKind, required: true }),
    config: t.field({ type: "JSONObject", required: true }),
    defaultPayload: t.field({ type: "JSONObject" }),
    targetDeviceIds: t.idList(maxItems(listMaxima.ids)),
    targetPoolIds: t.idList(maxItems(listMaxima.ids)),
    tags: t.stringList(maxItems(listMaxima.tags)),
    requiresConfirmation: t.boolean(),
    concurrency: t.int({ description: "Targets at a time, 1..1000; default 10." }),
    notify: t.field({ type: [NotifyRuleInput], ...notifyListLimit, description: `Default notification rules of its tasks. ${notifyListLimit.description}` }),
  }),
});

const UpdateServiceInput = builder.inputType("UpdateServiceInput", {
  description: "Fields left out keep their value; lists replace the set. Changing kind requires a config of that kind.",
  fields: (t) => ({
    id: t.id({ required: true }),
    name: t.string(),
    description: t.string(),
    kind: t.field({ type: ServiceKind }),
    config: t.field({
      type: "JSONObject",
      description: `Replaces the whole config. A secret value sent as "${secretMask}" keeps the value stored at its place (the same header or variable name, the same field); a new value replaces it; one left out is removed.`,
    }),
    defaultPayload: t.field({ type: "JSONObject" }),
    targetDeviceIds: t.idList(maxItems(listMaxima.ids)),
    targetPoolIds: t.idList(maxItems(listMaxima.ids)),
    tags: t.stringList(maxItems(listMaxima.tags)),
    requiresConfirmation: t.boolean(),
    concurrency: t.int(),
    notify: t.field({ type: [NotifyRuleInput], ...notifyListLimit, description: `Replaces its default notification rules; null: none. ${notifyListLimit.description}` }),
  }),
});

const DeleteServiceInput = builder.inputType("DeleteServiceInput", { fields: (t) => ({ id: t.id({ required: true }) }) });

function withLocalTargetIds<
  T extends { targetDeviceIds?: readonly (string | number)[] | null; targetPoolIds?: readonly (string | number)[] | null; notify?: Parameters<typeof localNotifyRules>[0] },
>(
  input: T,
) {
  return {
    ...input,
    ...(input.targetDeviceIds && { targetDeviceIds: localIds(input.targetDeviceIds.map(String), "Device", "input.targetDeviceIds") }),
    ...(input.targetPoolIds && { targetPoolIds: localIds(input.targetPoolIds.map(String), "Pool", "input.targetPoolIds") }),
    ...(input.notify !== undefined && { notify: localNotifyRules(input.notify) }),
  };
}

builder.mutationFields((t) => ({
  createService: t.prismaField({
    type: "Service",
    args: { input: t.arg({ type: CreateServiceInput, required: true }) },
    errors: { types: writeErrors, dataField: { name: "service" } },
    resolve: async (query, _parent, { input }, ctx) => {
      const id = await createService(ctx.db, withLocalTargetIds(input), ctx, ctx.principal?.name ?? null);
      return ctx.db.service.findUniqueOrThrow({ ...withSelection(query), where: { id } });
    },
  }),
  updateService: t.prismaField({
    type: "Service",
    description:
      "Changes a service. Renaming a service that workflows run (they name it), or making it a WORKFLOW, gives an InUseError naming them. A new config or kind of a service that workflows run is checked in each of their steps that runs it: a template naming a step that does not run before that step, or no step of that workflow, gives a ValidationError on input.config (input.kind when only the kind changed) naming the workflow and step, and nothing is saved. Deleting a service that workflows run gives an InUseError naming them; a WORKFLOW whose new steps would run it inside itself, through nested workflows, gives a ValidationError.",
    args: { input: t.arg({ type: UpdateServiceInput, required: true }) },
    // InUseError: a rename of a service that workflow steps name.
    errors: { types: [...writeErrors, InUseError], dataField: { name: "service" } },
    resolve: async (query, _parent, { input: { id: globalId, ...changes } }, ctx) => {
      const id = localId(String(globalId), "Service", "input.id");
      await updateService(ctx.db, id, withLocalTargetIds(changes), ctx, ctx.principal?.name ?? null);
      return ctx.db.service.findUniqueOrThrow({ ...withSelection(query), where: { id } });
    },
  }),
  deleteService: t.id({
    args: { input: t.arg({ type: DeleteServiceInput, required: true }) },
    errors: { types: deleteErrors, dataField: { name: "deletedId" } },
    resolve: async (_parent, { input }, ctx) => {
      await deleteService(ctx.db, localId(String(input.id), "Service", "input.id"));
      return input.id;
    },
  }),
}));
