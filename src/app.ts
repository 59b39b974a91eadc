import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createYoga } from "graphql-yoga";
import { bearerToken, bootstrapAdminToken, hasUsableAdminToken, TokenVerifier, type Authentication, type PresentedToken, type Principal } from "./auth/tokens.js";
import type { Config } from "./config.js";
import { createContext } from "./context.js";
import { isDatabaseReachable, openDatabase, type Database, type DatabaseOptions } from "./db/database.js";
import { locateDatabase } from "./db/driver-adapter.js";
import { applyMigrations } from "./db/migrations.js";
import { graphqlLimits } from "./http/graphql-limits.js";
import { graphqlServerLogging } from "./http/graphql-server-logging.js";
import { handleHealth } from "./http/health.js";
import { originRefusal, type OriginPolicy } from "./http/origin-policy.js";
import type { Logger } from "./logger.js";
import { EventBus } from "./events/event-bus.js";
import { Executor } from "./execution/executor.js";
import { RunPruner } from "./execution/retention.js";
import { RunStore } from "./execution/run-store.js";
import { attachGraphqlWs, defaultWebSocketTimings, type WebSocketTimings } from "./http/graphql-ws.js";
import { SharedSubscriptionResults } from "./http/shared-subscription-results.js";
import type { ReaderLimits } from "./live/bounded-stream.js";
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
  /** How often subscription events were executed and serialized (shared between subscribers). */
  subscriptionResults: SharedSubscriptionResults;
  stop(): Promise<void>;
}

export interface AppOptions {
  database?: DatabaseOptions;
  /** Epoch milliseconds now, for the API, the scheduler and the executor. */
  clock?: () => number;
  /** Identifies this process on the runs it executes (tests run several in one process). */
  executorOwnerId?: string;
  /** Websocket keep-alive and connection_init timeout (tests shorten them). */
  webSocketTimings?: WebSocketTimings;
  /** When a taskEvents or runEvents subscriber that stopped reading is cut off. */
  readerLimits?: ReaderLimits;
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
  const localDeveloper: Principal = { name: "local-development", role: "ADMIN" };
  const authenticate = (presented: PresentedToken): Promise<Authentication> =>
    config.auth.disabled ? Promise.resolve({ ok: true, principal: localDeveloper }) : verifier.verify(presented);

  const originPolicy: OriginPolicy = { corsOrigins: config.corsOrigins, loopbackHostOnly: config.auth.disabled };
  const live = new LiveSchedule({
    db: database.client,
    provider: location.provider,
    events,
    clock,
    logger,
    resyncIntervalMs: config.liveResyncSeconds * 1000,
    readerLimits: options.readerLimits,
  });
  const subscriptionResults = new SharedSubscriptionResults();
  const yoga = createYoga({
    schema,
    plugins: [...graphqlLimits(config.graphql), subscriptionResults.plugin()],
    graphqlEndpoint: "/graphql",
    // No CORS headers unless CORS_ORIGINS lists pages; Yoga's default would allow every origin.
    cors: config.corsOrigins.length > 0 ? { origin: config.corsOrigins, credentials: false } : false,
    graphiql: { title: "Cronline" },
    landingPage: false,
    maskedErrors: { maskError: maskUnexpectedErrors },
    logging: graphqlServerLogging(logger),
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
    const refusal = originRefusal(req.headers, originPolicy);
    if (refusal) {
      logger.debug({ origin: req.headers.origin, host: req.headers.host }, "request refused by the origin policy");
      res.writeHead(403, { "content-type": "application/json" }).end(JSON.stringify({ errors: [{ message: refusal, extensions: { code: "FORBIDDEN_ORIGIN" } }] }));
      return;
    }
    await yoga.handle(req, res);
  });

  const webSockets = attachGraphqlWs(
    server,
    yoga,
    logger,
    authenticate,
    subscriptionResults,
    (headers) => originRefusal(headers, originPolicy),
    options.webSocketTimings ?? defaultWebSocketTimings,
  );

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
      // One limit for the whole stop: runs get the grace period and their commands the kill grace;
      // whatever is still open then (a client not reading its response, a websocket that never
      // answers the close handshake) is cut, so the process exits within its own forced-exit time.
      const deadline = AbortSignal.timeout((config.shutdownGraceSeconds + config.executor.killGraceSeconds) * 1000);
      // No new fires, then running runs get the grace period, then the rest are cancelled.
      await scheduler.stop();
      await executor.stop(config.shutdownGraceSeconds * 1000);
      await pruner.stop();
      // Ends every subscription stream, so server-sent-event responses finish and their connections can close.
      live.close();
      await webSockets.close(deadline);
      await new Promise<void>((resolve) => {
        const cut = () => server.closeAllConnections();
        server.close(() => {
          deadline.removeEventListener("abort", cut);
          resolve();
        });
        server.closeIdleConnections();
        if (deadline.aborted) cut();
        else deadline.addEventListener("abort", cut, { once: true });
      });
      await database.close();
      logger.info("stopped");
    })());

  return { url, database, events, scheduler, executor, pruner, subscriptionResults, stop };
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
    const warning = "AUTHENTICATION IS DISABLED (AUTH_DISABLED=true): every local caller is ADMIN without a token. For local development only.";
    logger.warn({ host: config.host }, warning);
    // Also on stderr whatever LOG_LEVEL says: error, fatal or silent must not hide it.
    process.stderr.write(`WARNING: ${warning}\n`);
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
