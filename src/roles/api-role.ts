// The API role: GraphQL over HTTP (and GraphiQL) and over websockets, the live views behind
// the subscriptions, and authentication. It runs on the main thread; nothing it does holds
// up the scheduler or the worker, which have threads of their own.
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { createYoga } from "graphql-yoga";
import { announcingAfterCommit, type ClusterNotifier } from "../cluster/notifier.js";
import { bearerToken, bootstrapAdminToken, hasUsableAdminToken, TokenVerifier, type Authentication, type PresentedToken, type Principal } from "../auth/tokens.js";
import type { Config } from "../config.js";
import { createContext } from "../context.js";
import type { Database } from "../db/database.js";
import type { EventBus } from "../events/event-bus.js";
import { graphqlLimits } from "../http/graphql-limits.js";
import { graphqlServerLogging } from "../http/graphql-server-logging.js";
import { requireAuthentication } from "../http/require-authentication.js";
import { attachGraphqlWs, type WebSocketTimings } from "../http/graphql-ws.js";
import { originRefusal, type OriginPolicy } from "../http/origin-policy.js";
import { SharedSubscriptionResults } from "../http/shared-subscription-results.js";
import type { ReaderLimits } from "../live/bounded-stream.js";
import { LiveSchedule } from "../live/live-schedule.js";
import type { Logger } from "../logger.js";
import { maskUnexpectedErrors } from "../schema/error-masking.js";
import { schema } from "../schema/index.js";

export interface ApiRoleOptions {
  config: Config;
  database: Database;
  events: EventBus;
  /** How the other instances hear of what the API writes. */
  notifier: ClusterNotifier;
  logger: Logger;
  clock: () => number;
  webSocketTimings: WebSocketTimings;
  readerLimits?: ReaderLimits;
}

export interface ApiRole {
  /** How often subscription events were executed and serialized (shared between subscribers). */
  subscriptionResults: SharedSubscriptionResults;
  /** Serves GraphQL and GraphiQL to a request the origin policy lets through. */
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
  /** Serves graphql-ws on the server's websocket upgrades. */
  attachWebSockets(server: Server): void;
  /** Ends every subscription and closes the websockets, cutting what is left at the deadline. */
  close(deadline: AbortSignal): Promise<void>;
}

/** What a websocket connection hands each of its operations' context. */
export interface SocketAuth {
  authentication: Authentication;
}

export async function createApiRole(options: ApiRoleOptions): Promise<ApiRole> {
  const { config, database, events, logger, clock } = options;
  const { client: db, location } = database;
  await prepareAuthentication(config, db, logger, new Date(clock()));
  const verifier = new TokenVerifier(db, clock);
  /** AUTH_DISABLED=true: every caller is this ADMIN. */
  const localDeveloper: Principal = { name: "local-development", role: "ADMIN" };
  const authenticate = (presented: PresentedToken): Promise<Authentication> =>
    config.auth.disabled ? Promise.resolve({ ok: true, principal: localDeveloper }) : verifier.verify(presented);

  const originPolicy: OriginPolicy = { corsOrigins: config.corsOrigins, loopbackHostOnly: config.auth.disabled };
  const live = new LiveSchedule({
    db,
    provider: location.provider,
    events,
    clock,
    logger,
    resyncIntervalMs: config.liveResyncSeconds * 1000,
    readerLimits: options.readerLimits,
  });
  const subscriptionResults = new SharedSubscriptionResults();
  // What the API writes reaches this process's roles at once, and the other instances right after its commit.
  const announce = location.provider === "postgresql" ? announcingAfterCommit(events, db, options.notifier, logger) : events;
  const yoga = createYoga({
    schema,
    // Authentication first: an anonymous caller's operation is refused before any limit measures it.
    plugins: [requireAuthentication(), ...graphqlLimits(config.graphql), subscriptionResults.plugin()],
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
        { db, provider: location.provider, logger, events: announce, live, clock, runAsAllowedUsers: config.executor.runAsAllowedUsers },
        authentication.ok ? { principal: authentication.principal, authProblem: null } : { principal: null, authProblem: authentication.problem },
      );
    },
  });

  let webSockets: ReturnType<typeof attachGraphqlWs> | undefined;
  return {
    subscriptionResults,
    async handle(req, res) {
      const refusal = originRefusal(req.headers, originPolicy);
      if (refusal) {
        logger.debug({ origin: req.headers.origin, host: req.headers.host }, "request refused by the origin policy");
        res.writeHead(403, { "content-type": "application/json" }).end(JSON.stringify({ errors: [{ message: refusal, extensions: { code: "FORBIDDEN_ORIGIN" } }] }));
        return;
      }
      await yoga.handle(req, res);
    },
    attachWebSockets(server) {
      webSockets = attachGraphqlWs(server, yoga, logger, authenticate, subscriptionResults, (headers) => originRefusal(headers, originPolicy), config.websocket, options.webSocketTimings);
    },
    async close(deadline) {
      // Ends every subscription stream, so server-sent-event responses finish and their connections can close.
      live.close();
      await webSockets?.close(deadline);
    },
  };
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
