import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { blockFieldSuggestionsPlugin } from "@escape.tech/graphql-armor-block-field-suggestions";
import { costLimitPlugin } from "@escape.tech/graphql-armor-cost-limit";
import { maxAliasesPlugin } from "@escape.tech/graphql-armor-max-aliases";
import { maxDepthPlugin } from "@escape.tech/graphql-armor-max-depth";
import { maxDirectivesPlugin } from "@escape.tech/graphql-armor-max-directives";
import { maxTokensPlugin } from "@escape.tech/graphql-armor-max-tokens";
import { useCSRFPrevention } from "@graphql-yoga/plugin-csrf-prevention";
import { NoSchemaIntrospectionCustomRule } from "graphql";
import { createYoga, type Plugin } from "graphql-yoga";
import { bearerToken, bootstrapAdminToken, hasUsableAdminToken, TokenVerifier, type Authentication, type Principal } from "./auth/tokens.js";
import type { Config } from "./config.js";
import { createContext } from "./context.js";
import { isDatabaseReachable, openDatabase, type Database, type DatabaseOptions } from "./db/database.js";
import { locateDatabase } from "./db/driver-adapter.js";
import { applyMigrations } from "./db/migrations.js";
import { handleHealth } from "./http/health.js";
import type { Logger } from "./logger.js";
import { EventBus } from "./events/event-bus.js";
import { Executor } from "./execution/executor.js";
import { RunPruner } from "./execution/retention.js";
import { RunStore } from "./execution/run-store.js";
import { attachGraphqlWs } from "./http/graphql-ws.js";
import { LiveSchedule } from "./live/live-schedule.js";
import { Scheduler } from "./scheduler/scheduler.js";
import { TaskStore } from "./scheduler/task-store.js";
import { maskUnexpectedErrors } from "./schema/error-masking.js";
import { schema } from "./schema/index.js";

export interface RunningApp {
  /** The GraphQL endpoint, e.g. http://127.0.0.1:4000/graphql. */
  url: string;
  database: Database;
  events: EventBus;
  scheduler: Scheduler;
  executor: Executor;
  pruner: RunPruner;
  stop(): Promise<void>;
}

export interface AppOptions {
  database?: DatabaseOptions;
  /** Epoch milliseconds now, for the API, the scheduler and the executor. */
  clock?: () => number;
  /** Identifies this process on the runs it executes (tests run several in one process). */
  executorOwnerId?: string;
}

/** Migrates the database, then serves GraphQL and the health endpoints until stop(). */
export async function startApp(config: Config, logger: Logger, options: AppOptions = {}): Promise<RunningApp> {
  const location = locateDatabase(config.databaseUrl);
  // Before the application's own connection touches the file (see pendingMigrationNames).
  const applied = await applyMigrations(location);
  logger.info({ provider: location.provider, applied }, applied.length ? "applied database migrations" : "database schema up to date");
  const database = await openDatabase(location, options.database);
  const clock = options.clock ?? Date.now;
  const events = new EventBus();
  const scheduler = new Scheduler({
    store: new TaskStore(database.client, location.provider),
    events,
    logger,
    now: clock,
    resyncIntervalMs: config.schedulerResyncSeconds * 1000,
  });
  const executor = new Executor({
    db: database.client,
    store: new RunStore(database.client, location.provider),
    events,
    logger,
    now: clock,
    ownerId: options.executorOwnerId,
    maxConcurrentRuns: config.executor.maxConcurrentRuns,
    pollIntervalMs: config.executor.pollSeconds * 1000,
    leaseMs: config.executor.leaseSeconds * 1000,
    limits: {
      outputLimitBytes: config.executor.outputLimitBytes,
      killGraceMs: config.executor.killGraceSeconds * 1000,
      runAsAllowedUsers: config.executor.runAsAllowedUsers,
    },
  });
  const pruner = new RunPruner({
    db: database.client,
    provider: location.provider,
    logger,
    now: clock,
    intervalMs: config.retention.intervalSeconds * 1000,
    keepPerTask: config.retention.keepPerTask,
    maxAgeDays: config.retention.maxAgeDays,
  });
  await executor.recoverAtStartup();
  await scheduler.start();
  // Runs the scheduler queued before this are found by the executor's first poll.
  await executor.start();
  pruner.start();

  await prepareAuthentication(config, database.client, logger, new Date(clock()));
  const verifier = new TokenVerifier(database.client, clock);
  /** AUTH_DISABLED=true: every caller is this ADMIN. */
  const localDeveloper: Principal = { tokenId: null, name: "local-development", role: "ADMIN" };
  const authenticate = (secret: string | null): Promise<Authentication> =>
    config.auth.disabled ? Promise.resolve({ ok: true, principal: localDeveloper }) : verifier.verify(secret);

  const live = new LiveSchedule({ db: database.client, events, clock, logger });
  const yoga = createYoga({
    schema,
    plugins: graphqlLimits(config),
    graphqlEndpoint: "/graphql",
    graphiql: { title: "Cronline" },
    landingPage: false,
    maskedErrors: { maskError: maskUnexpectedErrors },
    logging: {
      debug: (...args) => logger.debug({ args }, "yoga"),
      info: (...args) => logger.info({ args }, "yoga"),
      warn: (...args) => logger.warn({ args }, "yoga"),
      error: (...args) => logger.error({ args }, "yoga"),
    },
    context: async (initial) => {
      // Websocket operations arrive authenticated by the connection (see graphql-ws.ts).
      const authentication =
        (initial as Partial<SocketAuth>).authentication ?? (await authenticate(bearerToken(initial.request.headers.get("authorization"))));
      return createContext(
        { db: database.client, provider: location.provider, logger, events, live, clock, runAsAllowedUsers: config.executor.runAsAllowedUsers },
        authentication.ok ? { principal: authentication.principal, authProblem: null } : { principal: null, authProblem: authentication.problem },
      );
    },
  });

  const server: Server = createServer(async (req, res) => {
    const started = performance.now();
    res.on("finish", () =>
      logger.debug({ method: req.method, url: req.url, status: res.statusCode, ms: Math.round(performance.now() - started) }, "request"),
    );
    // Not ready once shutdown has begun, so load balancers stop sending work first.
    const isReady = async () => stopping === undefined && (await isDatabaseReachable(database.client));
    if (await handleHealth(req, res, { isReady })) return;
    await yoga.handle(req, res);
  });

  const webSockets = attachGraphqlWs(server, yoga, logger, authenticate);

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = config.host.includes(":") ? `[${config.host}]` : config.host;
  const url = `http://${host}:${port}/graphql`;
  logger.info({ url }, "Cronline listening");

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      logger.info("shutting down");
      // No new fires, then running runs get the grace period, then the rest are cancelled.
      await scheduler.stop();
      await executor.stop(config.shutdownGraceSeconds * 1000);
      await pruner.stop();
      live.close();
      await webSockets.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await database.close();
      logger.info("stopped");
    })());

  return { url, database, events, scheduler, executor, pruner, stop };
}

/** What a websocket connection hands each of its operations' context. */
export interface SocketAuth {
  authentication: Authentication;
}

/**
 * The environment bootstrap, and loud words when the API is open or nobody can use it yet.
 */
async function prepareAuthentication(config: Config, db: Database["client"], logger: Logger, now: Date): Promise<void> {
  if (config.auth.disabled) {
    logger.warn(
      { host: config.host },
      "AUTHENTICATION IS DISABLED (AUTH_DISABLED=true): every local caller is ADMIN without a token. For local development only.",
    );
    return;
  }
  if (config.auth.bootstrapAdminToken && (await bootstrapAdminToken(db, config.auth.bootstrapAdminToken, now))) {
    logger.info("stored CRONLINE_BOOTSTRAP_ADMIN_TOKEN as the ADMIN API token \"bootstrap-admin\"");
    return;
  }
  if (!(await hasUsableAdminToken(db, now))) {
    logger.warn(
      "no ADMIN API token exists yet, so every request is refused: create one with `npm run token -- create --role admin --name <name>` (same DATABASE_URL), or set CRONLINE_BOOTSTRAP_ADMIN_TOKEN",
    );
  }
}

/** Limits against abusive queries; applied to HTTP and websocket operations alike. */
function graphqlLimits(config: Config): Plugin[] {
  const limits = config.graphql;
  const plugins: Plugin[] = [
    // Browsers send JSON POSTs only after a CORS preflight; anything a form or an <img> could send needs this header.
    useCSRFPrevention({ requestHeaders: ["x-cronline-csrf", "x-graphql-yoga-csrf"] }),
    maxTokensPlugin({ n: limits.maxTokens }),
    maxDepthPlugin({ n: limits.maxDepth, flattenFragments: true }),
    maxAliasesPlugin({ n: limits.maxAliases }),
    maxDirectivesPlugin({ n: 50 }),
    costLimitPlugin({ maxCost: limits.maxCost }),
    blockFieldSuggestionsPlugin(),
  ];
  if (!limits.introspection) {
    plugins.push({ onValidate: ({ addValidationRule }) => addValidationRule(NoSchemaIntrospectionCustomRule) });
  }
  return plugins;
}
