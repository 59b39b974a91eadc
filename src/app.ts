// Composes a Cronline process from its roles: the scheduler and the worker in threads of their
// own (loading while this thread migrates the database), the API on this thread, the HTTP
// server that fronts them, and the process's part in the cluster of instances on its database.
import { v7 as uuidv7 } from "uuid";
import { joinCluster, type ClusterMember } from "./cluster/cluster-member.js";
import { notifierFor } from "./cluster/membership.js";
import { ProcessStats } from "./cluster/process-stats.js";
import { setSliceMs } from "./event-loop-slices.js";
import type { Config } from "./config.js";
import { isDatabaseReachable, openDatabase, type Database, type DatabaseOptions } from "./db/database.js";
import { locateDatabase } from "./db/driver-adapter.js";
import { applyMigrations } from "./db/migrations.js";
import { EventBus } from "./events/event-bus.js";
import { defaultWebSocketTimings, type WebSocketTimings } from "./http/graphql-ws.js";
import { createHttpServer, listen } from "./http/http-server.js";
import type { SharedSubscriptionResults } from "./http/shared-subscription-results.js";
import type { ReaderLimits } from "./live/bounded-stream.js";
import type { Logger } from "./logger.js";
import { ProcessMetrics } from "./metrics/process-metrics.js";
import { createApiRole, type ApiRole } from "./roles/api-role.js";
import { RoleThreads } from "./roles/role-threads.js";
import { eventsConsumedBy, roleNames, type Role, type ThreadRole } from "./roles/roles.js";
import { sealServiceSecretsAtStart } from "./secrets/seal-at-start.js";
import { SecretsCipher } from "./secrets/secrets-cipher.js";
import { resolveSecretsKeys } from "./secrets/secrets-key.js";

export interface RunningApp {
  /** The GraphQL endpoint, e.g. http://127.0.0.1:4000/graphql. */
  url: string;
  roles: readonly Role[];
  /** This thread's connection (the role threads have their own). */
  database: Database;
  /** This thread's bus, linked to the role threads' buses. */
  events: EventBus;
  /** The role threads: ask the scheduler, the executor's owner id. */
  threads: RoleThreads;
  /** This process as an instance of the cluster on its database (the `instances` query). */
  instanceId: string;
  /** How often subscription events were executed and serialized (shared between subscribers); null without the API role. */
  subscriptionResults: SharedSubscriptionResults | null;
  stop(): Promise<void>;
}

export interface AppOptions {
  /** The roles of this process; all of them by default. */
  roles?: readonly Role[];
  /** This thread's database options; `onQuery` also hears the role threads' statements. */
  database?: DatabaseOptions;
  /** Epoch milliseconds now, for the API (the role threads keep the database's time). */
  clock?: () => number;
  /** Identifies this process on the runs it executes (tests run several in one process). */
  executorOwnerId?: string;
  /** Websocket keep-alive and connection_init timeout (tests shorten them). */
  webSocketTimings?: WebSocketTimings;
  /** When a taskEvents or runEvents subscriber that stopped reading is cut off. */
  readerLimits?: ReaderLimits;
  /** A role thread failed: this process no longer does all its roles. By default it is logged. */
  onRoleFailure?: (error: Error) => void;
}

/**
 * Migrates the database, seals the secrets of services saved before secrets were, starts the
 * roles, then serves until stop(). A secrets key that cannot be had is a ConfigError.
 */
export async function startApp(config: Config, logger: Logger, options: AppOptions = {}): Promise<RunningApp> {
  const roles = options.roles ?? roleNames;
  setSliceMs(config.eventLoopSliceMs);
  const location = locateDatabase(config.databaseUrl);
  const secretsKeys = resolveSecretsKeys(config.secrets, location, logger);
  const secrets = new SecretsCipher(secretsKeys);
  const events = new EventBus();
  const instanceId = uuidv7();
  const stats = new ProcessStats();
  const metrics = new ProcessMetrics(stats);
  // The threads load their code while this thread migrates the database.
  const threads = RoleThreads.load({
    roles: roles.filter((role): role is ThreadRole => role !== "api"),
    config,
    location,
    secretsKeys,
    logger,
    events,
    mainConsumes: roles.includes("api") ? eventsConsumedBy.api : [],
    instanceId,
    stats: stats.buffer,
    executorOwnerId: options.executorOwnerId,
    onQuery: options.database?.onQuery,
    onFailure: options.onRoleFailure ?? ((error) => logger.fatal({ err: error }, "a Cronline role thread failed")),
  });
  let database: Database | undefined;
  let api: ApiRole | null = null;
  let member: ClusterMember | undefined;
  try {
    // Before any connection of this process touches the file (see pendingMigrationNames).
    const applied = await applyMigrations(location);
    logger.info({ provider: location.provider, applied }, applied.length ? "applied database migrations" : "database schema up to date");
    database = await openDatabase(location, { ...options.database, onQueryError: (kind) => metrics.database.queryErrors.inc({ kind }) });
    metrics.countFrom(database.client, logger);
    metrics.collectFromThreads(threads);
    await sealServiceSecretsAtStart(database.client, secrets, logger);
    // Before the roles start: they go by the database's clock, and hear the other instances from their first read.
    member = await joinCluster({ database, instanceId, roles, stats, events, leaseMs: config.executor.leaseSeconds * 1000, logger });
    const threadsStarting = threads.start();
    // Awaited below; should building the API fail first, its failure is the one reported.
    threadsStarting.catch(() => {});
    // The API is built while the threads load their tasks.
    api = roles.includes("api")
      ? await createApiRole({
          config,
          database,
          events,
          notifier: notifierFor(location.provider, instanceId),
          logger,
          secrets,
          clock: options.clock ?? stats.clock,
          webSocketTimings: options.webSocketTimings ?? defaultWebSocketTimings,
          readerLimits: options.readerLimits,
          metrics: metrics.graphql,
        })
      : null;
    await threadsStarting;
  } catch (error) {
    await threads.terminate();
    await api?.close(AbortSignal.timeout(1_000));
    await member?.leave();
    await database?.close();
    throw error;
  }

  let stopping: Promise<void> | undefined;
  // Not ready once shutdown has begun (load balancers stop sending work first), nor while a role thread is stuck.
  const isReady = async () =>
    stopping === undefined && (await Promise.all([isDatabaseReachable(database.client), threads.areResponsive(2_000)])).every(Boolean);
  const server = createHttpServer(logger, { isReady }, { source: metrics, access: config.metrics }, api && ((req, res) => api.handle(req, res)));
  api?.attachWebSockets(server);
  const listening = await listen(server, config.port, config.host);
  logger.info({ url: listening.url, roles, instanceId }, "Cronline listening");

  const stop = () =>
    (stopping ??= (async () => {
      logger.info("shutting down");
      // One limit for the whole stop: runs get the grace period and their commands the kill grace;
      // whatever is still open then (a client not reading its response, a websocket that never
      // answers the close handshake) is cut, so the process exits within its own forced-exit time.
      const deadline = AbortSignal.timeout((config.shutdownGraceSeconds + config.executor.killGraceSeconds) * 1000);
      // No new fires, then running runs get the grace period, then the rest are cancelled.
      await threads.stop(config.shutdownGraceSeconds * 1000);
      await api?.close(deadline);
      await listening.close(deadline);
      await member!.leave();
      await database.close();
      logger.info("stopped");
    })());

  return { url: listening.url, roles, database, events, threads, instanceId, subscriptionResults: api?.subscriptionResults ?? null, stop };
}
