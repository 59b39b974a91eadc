// The worker role: executes queued runs and prunes old ones; starts no new run once its
// instance is drained.
import type { Membership } from "../cluster/membership.js";
import type { Config } from "../config.js";
import type { Database } from "../db/database.js";
import type { EventBus } from "../events/event-bus.js";
import { HttpEgressPolicy } from "../domain/http-egress.js";
import { CommandLauncher } from "../execution/command-launcher.js";
import { CommandReaper } from "../execution/command-reaper.js";
import { createEgressAgent } from "../execution/egress-agent.js";
import { Executor } from "../execution/executor.js";
import { RunPruner } from "../execution/retention.js";
import { RunStore } from "../execution/run-store.js";
import type { Logger } from "../logger.js";
import type { ExecutionMetrics } from "../metrics/catalog.js";
import type { SecretsCipher } from "../secrets/secrets-cipher.js";

export interface WorkerRole {
  readonly ownerId: string;
  /** Closes the runs of dead processes, then takes queued runs. */
  start(): Promise<void>;
  /** Running runs get `graceMs` to finish, then are cancelled. */
  stop(graceMs: number): Promise<void>;
}

export function createWorkerRole(config: Config, database: Database, events: EventBus, logger: Logger, secrets: SecretsCipher, membership: Membership, metrics?: ExecutionMetrics, ownerId?: string): WorkerRole {
  const { client, location } = database;
  const egressPolicy = new HttpEgressPolicy(config.httpEgress);
  const egressAgent = createEgressAgent(egressPolicy);
  const commandReaper = new CommandReaper(logger.child({ component: "executor" }));
  const commandLauncher = new CommandLauncher(logger.child({ component: "executor" }));
  const executor = new Executor({
    db: client,
    store: new RunStore(client, location.provider, membership.notifier, (runs) => events.emit("runsCreated", { runs })),
    events,
    logger,
    secrets,
    ownerId,
    now: membership.stats.clock,
    stats: membership.stats,
    metrics,
    maxConcurrentRuns: config.executor.maxConcurrentRuns,
    pollIntervalMs: config.executor.pollSeconds * 1000,
    leaseMs: config.executor.leaseSeconds * 1000,
    limits: {
      outputLimitBytes: config.executor.outputLimitBytes,
      killGraceMs: config.executor.killGraceSeconds * 1000,
      runAsAllowedUsers: config.executor.runAsAllowedUsers,
      httpEgress: { policy: egressPolicy, agent: egressAgent },
      runAsAllowedGroups: config.executor.runAsAllowedGroups,
      commandDefaultUser: config.executor.commandDefaultUser,
      commandReaper,
      commandLauncher,
    },
  });
  const pruner = new RunPruner({
    db: client,
    provider: location.provider,
    logger,
    intervalMs: config.retention.intervalSeconds * 1000,
    keepPerTask: config.retention.keepPerTask,
    maxAgeDays: config.retention.maxAgeDays,
  });
  events.on("instanceDrained", ({ instanceId }) => {
    if (instanceId === membership.instanceId) void executor.drain();
  });
  return {
    ownerId: executor.ownerId,
    async start() {
      if (config.executor.commandDefaultUser === "root" && process.getuid?.() === 0) {
        logger.warn("COMMAND_DEFAULT_USER=root: commands without runAs run as root, and can read all that the server can, its secrets included");
      }
      commandReaper.start();
      commandLauncher.start();
      await executor.recoverAtStartup();
      await executor.start();
      pruner.start();
    },
    async stop(graceMs) {
      await executor.stop(graceMs);
      await commandLauncher.stop();
      await commandReaper.stop();
      await pruner.stop();
      await egressAgent.close();
    },
  };
}
