// The API role: GraphQL over HTTP (and GraphiQL) and over websockets, the live views behind
// the subscriptions, and authentication. It runs on the main thread; nothing it does holds
// up the scheduler or the worker, which have threads of their own.
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { createYoga } from "graphql-yoga";
import { announcingAfterCommit, type ClusterNotifier } from "../cluster/notifier.js";
import { bootstrapAdminToken, hasUsableAdminToken, onTokenRevoked, TokenVerifier, type Authentication, type PresentedToken, type Principal } from "../auth/tokens.js";
import type { Config } from "../config.js";
import { createContext } from "../context.js";
import type { Database } from "../db/database.js";
import { HttpEgressPolicy } from "../domain/http-egress.js";
import type { EventBus } from "../events/event-bus.js";
import { authenticateRequest, type RequestAuthentication } from "../http/authenticate-request.js";
import { sendError } from "../http/error-response.js";
import { CostAdmission, executionAdmission } from "../http/execution-admission.js";
import { graphqlLimits } from "../http/graphql-limits.js";
import { graphqlServerLogging } from "../http/graphql-server-logging.js";
import { requireAuthentication } from "../http/require-authentication.js";
import { attachGraphqlWs, type WebSocketTimings } from "../http/graphql-ws.js";
import { originRefusal, type OriginPolicy } from "../http/origin-policy.js";
import { codedRequestParsing } from "../http/request-parsing.js";
import { responseStatus } from "../http/response-status.js";
import { slicedJsonAnswers } from "../http/sliced-json-answers.js";
import { discardUnreadBody } from "../http/unread-body.js";
import { SharedSubscriptionResults } from "../http/shared-subscription-results.js";
import { loadWebPage, securityHeaders } from "../http/web-page.js";
import type { ReaderLimits } from "../live/bounded-stream.js";
import { LiveSchedule } from "../live/live-schedule.js";
import type { Logger } from "../logger.js";
import type { GraphqlMetrics } from "../metrics/graphql-metrics.js";
import type { SecretsCipher } from "../secrets/secrets-cipher.js";
import { maskUnexpectedErrors } from "../schema/error-masking.js";
import { schema } from "../schema/index.js";
import { computedCost } from "../schema/query-cost.js";

export interface ApiRoleOptions {
  config: Config;
  database: Database;
  events: EventBus;
  /** How the other instances hear of what the API writes. */
  notifier: ClusterNotifier;
  logger: Logger;
  secrets: SecretsCipher;
  clock: () => number;
  webSocketTimings: WebSocketTimings;
  readerLimits?: ReaderLimits;
  metrics: GraphqlMetrics;
}

export interface ApiRole {
  /** How often subscription events were executed and serialized (shared between subscribers). */
  subscriptionResults: SharedSubscriptionResults;
  /** Serves GraphQL, GraphiQL and the schedule page to a request the origin policy lets through. */
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
  /** Serves graphql-ws on the server's websocket upgrades. */
  attachWebSockets(server: Server): void;
  /** Ends every subscription and closes the websockets, cutting what is left at the deadline. */
  close(deadline: AbortSignal): Promise<void>;
}

const graphqlEndpoint = "/graphql";
/** How much of a refused body is read and dropped before its connection is cut instead. */
const unreadBodyDiscardBytes = (maxBodyBytes: number) => 8 * maxBodyBytes;

export async function createApiRole(options: ApiRoleOptions): Promise<ApiRole> {
  const { config, database, events, logger, clock } = options;
  const { client: db, location } = database;
  await prepareAuthentication(config, db, logger, new Date(clock()));
  const verifier = new TokenVerifier(db, clock);
  /** AUTH_DISABLED=true: every caller is this ADMIN. */
  const localDeveloper: Principal = { name: "local-development", role: "ADMIN" };
  const authenticate = (presented: PresentedToken, options?: { fresh?: boolean }): Promise<Authentication> =>
    config.auth.disabled ? Promise.resolve({ ok: true, principal: localDeveloper }) : verifier.verify(presented, options);

  const originPolicy: OriginPolicy = { corsOrigins: config.corsOrigins, loopbackHostOnly: config.auth.disabled };
  const httpEgress = new HttpEgressPolicy(config.httpEgress);
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
  const webPage = loadWebPage();
  const yoga = createYoga<RequestAuthentication>({
    schema,
    plugins: [
      // First: it also counts the operations the other plugins refuse.
      options.metrics.plugin(),
      // Before the body is read: an anonymous caller may send little.
      authenticateRequest(authenticate),
      codedRequestParsing(),
      // Authentication first: an anonymous caller's operation is refused before any limit measures it.
      requireAuthentication(),
      ...graphqlLimits(config.graphql),
      // After the cost limit, which computes what each operation costs.
      executionAdmission(new CostAdmission({ maxCostInFlight: config.graphql.maxCostInFlight, maxQueued: config.graphql.maxQueued }), computedCost),
      subscriptionResults.plugin(),
      responseStatus(),
      // Last: it takes over Yoga's JSON answer once every other plugin has had its say.
      slicedJsonAnswers(),
    ],
    graphqlEndpoint,
    // Refused with 413 and REQUEST_ENTITY_TOO_LARGE before it is parsed: by its Content-Length, or once that much has arrived.
    maxRequestBodySize: config.http.maxBodyBytes,
    // No CORS headers unless CORS_ORIGINS lists pages; Yoga's default would allow every origin.
    cors: config.corsOrigins.length > 0 ? { origin: config.corsOrigins, credentials: false } : false,
    graphiql: {
      title: "Cronline",
      // The token stays out of localStorage; graphiql-start fills in the schedule page's, if signed in there.
      shouldPersistHeaders: false,
      headers: config.auth.disabled ? "{}" : JSON.stringify({ Authorization: "Bearer cl_paste-your-token-here" }, null, 2),
      // Subscriptions go as server-sent events over GET, which the CSRF check refuses without it.
      additionalHeaders: { "x-cronline-csrf": "graphiql" },
    },
    renderGraphiQL: (options) => webPage.renderGraphiQL(options),
    landingPage: false,
    maskedErrors: { maskError: maskUnexpectedErrors },
    logging: graphqlServerLogging(logger),
    context: (initial) => {
      // HTTP requests are authenticated before their body is read (authenticate-request.ts), websocket operations by their connection (graphql-ws.ts).
      const authentication: Authentication = initial.authentication ?? { ok: false, problem: "missing" };
      return createContext(
        {
          db,
          provider: location.provider,
          logger,
          events: announce,
          live,
          clock,
          runAsAllowedUsers: config.executor.runAsAllowedUsers,
          runAsAllowedGroups: config.executor.runAsAllowedGroups,
          httpEgress,
          secrets: options.secrets,
          runOutputVisibleTo: config.runOutputVisibleTo,
        },
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
        return sendError(res, 403, refusal, "FORBIDDEN_ORIGIN");
      }
      for (const [name, value] of Object.entries(securityHeaders)) res.setHeader(name, value);
      if (await webPage.handle(req, res)) return;
      // Answers about the caller's data, and GraphiQL's page names the current build's assets.
      res.setHeader("cache-control", "no-store");
      const path = (req.url ?? "").split("?")[0];
      if (path !== graphqlEndpoint && path !== `${graphqlEndpoint}/`) return sendError(res, 404, `Not found: the GraphQL endpoint is ${graphqlEndpoint}`, "NOT_FOUND");
      await yoga.handle(req, res);
      discardUnreadBody(req, unreadBodyDiscardBytes(config.http.maxBodyBytes));
    },
    attachWebSockets(server) {
      const auth = { authenticate, onRevoked: (listener: () => void) => onTokenRevoked(db, listener) };
      webSockets = attachGraphqlWs(server, yoga, logger, auth, subscriptionResults, (headers) => originRefusal(headers, originPolicy), config.websocket, options.metrics, options.webSocketTimings);
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
