import { builder } from "../builder.js";
import { markDraining } from "../cluster/instances.js";
import { NotFoundError } from "../domain/errors.js";
import { roleNames } from "../roles/roles.js";
import { withSelection } from "./prisma-query.js";

const InstanceRole = builder.enumType("InstanceRole", {
  description: "What a Cronline process does (`--role`).",
  values: { API: { description: "Serves GraphQL and the live views." }, SCHEDULER: { description: "Claims occurrences." }, WORKER: { description: "Executes runs." } },
});

builder.prismaObject("Instance", {
  description:
    "A running Cronline process on this database (ADMIN). It renews its lease every third of its EXECUTOR_LEASE_SECONDS; one that stops (a crash, a lost machine) is left out once its lease has expired. Times are the database's clock.",
  authScopes: { admin: true },
  fields: (t) => ({
    id: t.exposeID("id", { description: "Chosen at each start: a process started again is a new instance." }),
    host: t.exposeString("host"),
    pid: t.exposeInt("pid"),
    version: t.exposeString("version", { description: "Cronline's version." }),
    roles: t.field({
      type: [InstanceRole],
      select: { roles: true },
      resolve: (instance) => roleNames.filter((role) => instance.roles.split(",").includes(role)).map((role) => role.toUpperCase() as "API" | "SCHEDULER" | "WORKER"),
    }),
    startedAt: t.expose("startedAt", { type: "DateTime" }),
    lastHeartbeatAt: t.field({ type: "DateTime", select: { heartbeatAt: true }, resolve: (instance) => instance.heartbeatAt }),
    leaseExpiresAt: t.expose("leaseExpiresAt", { type: "DateTime", description: "Without a heartbeat by then, the instance is gone." }),
    runsExecuting: t.exposeInt("runsExecuting", { description: "Runs it executes now, as of its last heartbeat." }),
    claimsMade: t.exposeInt("claimsMade", { description: "Occurrences its scheduler claimed since it started, as of its last heartbeat." }),
    lastClaimAt: t.expose("lastClaimAt", { type: "DateTime", nullable: true, description: "When its scheduler last claimed; null before its first claim." }),
    clockOffsetMs: t.exposeInt("clockOffsetMs", {
      description: "Its clock minus the database's, as last measured; it fires and stamps by the database's clock, and warns in its log beyond 1000 ms.",
    }),
    missedChanges: t.exposeInt("missedChanges", {
      description: "Task changes its scheduler's slow resync found that no event had brought (notifications lost): 0 while the instances hear each other.",
    }),
    draining: t.exposeBoolean("draining", { description: "drainInstance was called: it claims and starts no new work; its running runs finish." }),
  }),
});

builder.queryField("instances", (t) =>
  t.prismaField({
    type: ["Instance"],
    description: "Every live Cronline process on this database, oldest first (ADMIN).",
    authScopes: { admin: true },
    resolve: (query, _parent, _args, ctx) =>
      ctx.db.instance.findMany({ ...withSelection(query), where: { leaseExpiresAt: { gt: ctx.now } }, orderBy: [{ startedAt: "asc" }, { id: "asc" }] }),
  }),
);

const DrainInstanceInput = builder.inputType("DrainInstanceInput", { fields: (t) => ({ id: t.id({ required: true, description: "An `Instance.id`." }) }) });

builder.mutationField("drainInstance", (t) =>
  t.prismaField({
    type: "Instance",
    description:
      "Stops a live instance from claiming occurrences and starting runs, at once, while the runs it executes finish (for a rolling upgrade: wait until its runsExecuting is 0, then stop it). It stays drained until it stops; draining a drained instance changes nothing.",
    args: { input: t.arg({ type: DrainInstanceInput, required: true }) },
    errors: { types: [NotFoundError], dataField: { name: "instance" } },
    resolve: async (query, _parent, { input }, ctx) => {
      const id = String(input.id);
      await markDraining(ctx.db, id, ctx.now);
      ctx.events.emit("instanceDrained", { instanceId: id });
      return ctx.db.instance.findUniqueOrThrow({ ...withSelection(query), where: { id } });
    },
  }),
);
