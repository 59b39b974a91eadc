import { v7 as uuidv7 } from "uuid";
import { z } from "zod";
import type { DbClient, Prisma } from "../db/database.js";
import { isForeignKeyViolation, isRecordMissing } from "../db/prisma-errors.js";
import { SecretsUnreadableError, type SecretsCipher } from "../secrets/secrets-cipher.js";
import { assertDevicesExist } from "./devices.js";
import { InUseError, NotFoundError, ValidationError } from "./errors.js";
import { descriptionRule, idListRule, jsonObjectRule, nameRule, parseInput, tagsRule } from "./input-rules.js";
import { withUniqueName } from "./names.js";
import { assertPoolsExist } from "./pools.js";
import type { HttpEgressPolicy } from "./http-egress.js";
import { serviceDefaults, serviceKindNames, serviceKinds, staticUrlHost, type ServiceKind } from "./service-kinds.js";
import { openSecrets, resolveMasks, sealSecrets, secretPaths, splitSecrets, withSecrets, type SealedSecretColumns } from "./service-secrets.js";
import { createTags, replaceTags } from "./tags.js";
import type { WorkflowConfig } from "./workflow-config.js";
import { assertNotInWorkflows, checkWorkflow, checkWorkflowsUsing } from "./workflows.js";
import { notifyRulesSchema } from "./notifications.js";
import { assertNotifyServicesExist, notifyColumn, notifyRulesUsing } from "./notify-rules.js";

const uniqueIds = idListRule.transform((ids) => [...new Set(ids)]);

const serviceFields = {
  name: nameRule,
  description: descriptionRule,
  kind: z.enum(serviceKindNames as [ServiceKind, ...ServiceKind[]]),
  config: jsonObjectRule,
  defaultPayload: jsonObjectRule,
  targetDeviceIds: uniqueIds,
  targetPoolIds: uniqueIds,
  tags: tagsRule,
  requiresConfirmation: z.boolean(),
  concurrency: z.number().int().min(1, "must be at least 1").max(1_000, "must be at most 1000"),
  /** Default notification rules of its tasks; null: none. */
  notify: notifyRulesSchema.nullable(),
};

const createServiceSchema = z.object({
  ...serviceFields,
  description: serviceFields.description.default(""),
  defaultPayload: serviceFields.defaultPayload.default({}),
  targetDeviceIds: serviceFields.targetDeviceIds.default([]),
  targetPoolIds: serviceFields.targetPoolIds.default([]),
  tags: serviceFields.tags.default([]),
  requiresConfirmation: serviceFields.requiresConfirmation.default(false),
  concurrency: serviceFields.concurrency.default(serviceDefaults.concurrency),
  notify: serviceFields.notify.default(null),
});

const updateServiceSchema = z.object(serviceFields).partial();

/** What the server's configuration allows services to do, and the cipher that seals their secrets. */
export interface ServiceRules {
  runAsAllowedUsers: readonly string[];
  httpEgress: HttpEgressPolicy;
  runAsAllowedGroups: readonly string[];
  secrets: SecretsCipher;
}

/**
 * The kind's own rules over its (whole, secrets included) config; errors name
 * `input.config.<key>` and quote nothing of a secret value. Returns the columns to store:
 * the config with its secrets masked, and the secrets sealed for the service `id`.
 */
function sealedKindConfig(id: string, kind: ServiceKind, config: Record<string, unknown>, rules: ServiceRules) {
  const parsed = parseInput(serviceKinds[kind], config, "input.config", secretPaths(kind, config));
  const runAs = "runAs" in parsed ? parsed.runAs : undefined;
  if (runAs && !rules.runAsAllowedUsers.includes(runAs.user)) {
    throw ValidationError.of("input.config.runAs.user", `"${runAs.user}" is not on RUN_AS_ALLOWED_USERS`);
  }
  // What the URL states literally is checked now; what placeholders bring, and DNS, when it runs.
  const host = "url" in parsed ? staticUrlHost(parsed.url) : null;
  const refusal = host && rules.httpEgress.urlHostRefusal(host);
  if (refusal) throw ValidationError.of("input.config.url", `is refused: ${refusal}`);
  if (runAs?.group !== undefined && !rules.runAsAllowedGroups.includes(runAs.group)) {
    throw ValidationError.of("input.config.runAs.group", `"${runAs.group}" is not on RUN_AS_ALLOWED_GROUPS`);
  }
  const split = splitSecrets(kind, parsed);
  return { config: split.config as Prisma.InputJsonObject, ...sealSecrets(rules.secrets, id, split.secrets) };
}

/** The stored config with its secrets in place, to check it against a new kind. */
function wholeConfig(rules: ServiceRules, id: string, stored: { config: unknown } & SealedSecretColumns): Record<string, unknown> {
  try {
    return withSecrets(stored.config as Record<string, unknown>, openSecrets(rules.secrets, id, stored));
  } catch (error) {
    if (!(error instanceof SecretsUnreadableError)) throw error;
    throw ValidationError.of("input.config", `is needed to change the kind: the stored secrets cannot be read (${error.message})`);
  }
}

async function assertTargetsExist(db: DbClient, deviceIds: string[] | undefined, poolIds: string[] | undefined) {
  if (deviceIds) await assertDevicesExist(db, deviceIds, "input.targetDeviceIds");
  if (poolIds) await assertPoolsExist(db, poolIds, "input.targetPoolIds");
}

/**
 * A target deleted between assertTargetsExist and the write breaks a foreign key: the check
 * run again names it (`input.targetPoolIds.1`), as it would have a moment earlier.
 */
async function nameVanishedTarget(db: DbClient, error: unknown, deviceIds: string[] | undefined, poolIds: string[] | undefined) {
  if (isForeignKeyViolation(error)) await assertTargetsExist(db, deviceIds, poolIds);
}

/** `actor`: name of the API token making the change, recorded as createdBy/updatedBy. */
export async function createService(db: DbClient, input: unknown, rules: ServiceRules, actor: string | null = null): Promise<string> {
  const { targetDeviceIds, targetPoolIds, tags, config, defaultPayload, notify, ...fields } = parseInput(createServiceSchema, input);
  // The id is chosen here: the sealed secrets are bound to it.
  const id = uuidv7();
  // Nothing is stored yet, so a "••••" has nothing to keep.
  const sealed = sealedKindConfig(id, fields.kind, resolveMasks(fields.kind, config, () => ({})), rules);
  if (fields.kind === "WORKFLOW") await checkWorkflow(db, { id, name: fields.name }, sealed.config as unknown as WorkflowConfig);
  await assertTargetsExist(db, targetDeviceIds, targetPoolIds);
  await assertNotifyServicesExist(db, notify);
  const service = await withUniqueName("service", fields.name, () =>
    db.service.create({
      data: {
        id,
        ...fields,
        notify: notifyColumn(notify),
        createdBy: actor,
        updatedBy: actor,
        ...sealed,
        defaultPayload: defaultPayload as Prisma.InputJsonObject,
        tags: createTags(tags),
        targetDevices: { create: targetDeviceIds.map((deviceId) => ({ deviceId })) },
        targetPools: { create: targetPoolIds.map((poolId) => ({ poolId })) },
      },
      select: { id: true },
    }),
  ).catch(async (error: unknown) => {
    await nameVanishedTarget(db, error, targetDeviceIds, targetPoolIds);
    throw error;
  });
  return service.id;
}

export async function updateService(db: DbClient, id: string, input: unknown, rules: ServiceRules, actor: string | null = null): Promise<void> {
  const { targetDeviceIds, targetPoolIds, tags, config, defaultPayload, notify, ...fields } = parseInput(updateServiceSchema, input);
  const current = await db.service.findUnique({ where: { id }, select: { name: true, kind: true, config: true, secrets: true, secretsKeyId: true } });
  if (!current) throw new NotFoundError("input.id", id, "Service");
  // Workflows name their steps' services: a rename would leave them pointing nowhere.
  if (fields.name !== undefined && fields.name !== current.name) {
    await assertNotInWorkflows(db, current.name, "input.name", `service ${JSON.stringify(current.name)}`);
  }
  // A new kind needs a config of that kind; a new config is checked against the (new) kind.
  // A "••••" in the new config keeps the value stored at its place.
  const kind = fields.kind ?? (current.kind as ServiceKind);
  const stored = () => openSecrets(rules.secrets, id, current);
  const sealed =
    config !== undefined
      ? sealedKindConfig(id, kind, resolveMasks(kind, config, stored), rules)
      : fields.kind !== undefined
        ? sealedKindConfig(id, kind, wholeConfig(rules, id, current), rules)
        : undefined;
  if (kind === "WORKFLOW" && (sealed || fields.name !== undefined)) {
    const workflow = (sealed?.config ?? current.config) as unknown as WorkflowConfig;
    await checkWorkflow(db, { id, name: fields.name ?? current.name }, workflow);
  }
  if (current.kind !== "WORKFLOW" && kind === "WORKFLOW") await assertNotInWorkflows(db, current.name, "input.kind", `service ${JSON.stringify(current.name)}`);
  // The workflows that run it were checked with its templates as they were: a new config or kind is checked in each of their steps.
  if (sealed) await checkWorkflowsUsing(db, { name: current.name, kind, config: sealed.config as Record<string, unknown> }, config !== undefined ? "input.config" : "input.kind");
  await assertTargetsExist(db, targetDeviceIds, targetPoolIds);
  await assertNotifyServicesExist(db, notify);
  try {
    await withUniqueName("service", fields.name, () =>
      db.service.update({
        where: { id },
        data: {
          ...fields,
          updatedBy: actor,
          ...sealed,
          ...(defaultPayload && { defaultPayload: defaultPayload as Prisma.InputJsonObject }),
          ...(notify !== undefined && { notify: notifyColumn(notify) }),
          ...(tags && { tags: replaceTags(tags) }),
          ...(targetDeviceIds && { targetDevices: { deleteMany: {}, create: targetDeviceIds.map((deviceId) => ({ deviceId })) } }),
          ...(targetPoolIds && { targetPools: { deleteMany: {}, create: targetPoolIds.map((poolId) => ({ poolId })) } }),
        },
        select: { id: true },
      }),
    );
  } catch (error) {
    if (isRecordMissing(error)) throw new NotFoundError("input.id", id, "Service");
    await nameVanishedTarget(db, error, targetDeviceIds, targetPoolIds);
    throw error;
  }
}

/** Deletes a service that no task runs; otherwise names the tasks. */
export async function deleteService(db: DbClient, id: string): Promise<void> {
  const service = await db.service.findUnique({ where: { id }, select: { name: true, tasks: { select: { name: true }, orderBy: { name: "asc" } } } });
  if (!service) throw new NotFoundError("input.id", id, "Service");
  const inUse = (usedBy: string[]) => new InUseError("input.id", usedBy, `service ${JSON.stringify(service.name)}`);
  if (service.tasks.length > 0) throw inUse(service.tasks.map((t) => `task ${JSON.stringify(t.name)}`));
  await assertNotInWorkflows(db, service.name, "input.id", `service ${JSON.stringify(service.name)}`);
  const notifying = await notifyRulesUsing(db, id);
  if (notifying.length > 0) throw inUse(notifying);
  try {
    await db.service.delete({ where: { id } });
  } catch (error) {
    // A task created between the check and the delete: the foreign key still holds.
    if (isForeignKeyViolation(error)) throw inUse(["a task"]);
    if (isRecordMissing(error)) throw new NotFoundError("input.id", id, "Service");
    throw error;
  }
}
