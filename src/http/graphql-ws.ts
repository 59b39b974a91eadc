// GraphQL over WebSocket (the graphql-ws protocol) on the HTTP server's own port and path.
// Every operation goes through Yoga's envelop pipeline, so websocket and HTTP requests share
// plugins, context and error masking.
import type { IncomingHttpHeaders, IncomingMessage, Server } from "node:http";
import { GraphQLError, type ExecutionArgs } from "graphql";
import { CloseCode, handleProtocols, makeServer } from "graphql-ws";
import { isAsyncIterable } from "graphql-yoga";
import type { YogaServerInstance } from "graphql-yoga";
import { WebSocketServer, type WebSocket } from "ws";
import { connectionParamsToken, noTokenPresented, type Authentication, type PresentedToken } from "../auth/tokens.js";
import type { Config } from "../config.js";
import { DatabaseUnavailableError } from "../db/database-unavailable.js";
import type { Logger } from "../logger.js";
import type { GraphqlMetrics } from "../metrics/graphql-metrics.js";
import { serviceUnavailableError } from "../schema/error-masking.js";
import { unauthenticatedError } from "../schema/unauthenticated.js";
import { publicError, type SharedSubscriptionResults } from "./shared-subscription-results.js";

export interface WebSocketTimings {
  /** Ping every this often; a client that has not answered by the next ping is dropped. */
  keepAliveMs: number;
  /** A client must send connection_init within this time. */
  connectionInitTimeoutMs: number;
  /** How often the tokens of open sockets are read again, to close those revoked or expired elsewhere. */
  tokenRecheckMs: number;
}

export const defaultWebSocketTimings: WebSocketTimings = { keepAliveMs: 12_000, connectionInitTimeoutMs: 3_000, tokenRecheckMs: 2_000 };

/** How sockets are authenticated, and told of revocations made through this process. */
export interface SocketAuthentication {
  /** `fresh`: read the token from the database, not from the copy remembered for a few seconds. */
  authenticate(presented: PresentedToken, options?: { fresh?: boolean }): Promise<Authentication>;
  /** Calls `listener` after each revocation made through this process; returns what stops it. */
  onRevoked(listener: () => void): () => void;
}

/** Close code of a socket refused, or closed, because of its token (graphql-ws's Forbidden). */
const forbidden = 4403;
/** Close code of a socket that cannot be served for now (the database is unavailable): try again later. */
const tryAgainLater = 1013;

/** The arguments onSubscribe returns, carrying this operation's enveloped execute and subscribe. */
type EnvelopedArgs = ExecutionArgs & { execute: (args: ExecutionArgs) => unknown; subscribe: (args: ExecutionArgs) => unknown };

/**
 * A `next` payload serialized once for all its subscribers (see SharedSubscriptionResults).
 * graphql-ws stringifies each message itself, so the payload goes through as a short stand-in
 * that the socket's send swaps for the JSON.
 */
class SerializedPayload {
  constructor(readonly bytes: Buffer) {}
}
const payloadStandIn = "\u0000serialized-payload";
// Messages are stringified as { id, type, payload }: the payload is last.
const standInEnding = `"payload":${JSON.stringify(payloadStandIn)}}`;
const closingBrace = Buffer.from("}");
/**
 * Past this size a shared payload is sent as the middle fragment of its message, not copied
 * into a message of its own per socket: every socket's queue then holds the one shared buffer.
 */
const fragmentFromBytes = 16 * 1024;

/** A message as sent: whole, or in fragments (text frame, continuations) that reassemble into it. */
type OutgoingMessage = string | Buffer | Buffer[];

export function attachGraphqlWs<ServerContext extends object, UserContext extends object>(
  server: Server,
  yoga: YogaServerInstance<ServerContext, UserContext>,
  logger: Logger,
  auth: SocketAuthentication,
  sharedResults: SharedSubscriptionResults,
  /** Why an upgrade is refused (the HTTP requests' origin policy), or null. */
  upgradeRefusal: (headers: IncomingHttpHeaders) => string | null,
  limits: Config["websocket"],
  /** Counts the sockets, their subscriptions and the operations refused before they ran. */
  metrics: GraphqlMetrics,
  timings: WebSocketTimings = defaultWebSocketTimings,
): { close(deadline: AbortSignal): Promise<void> } {
  const webSocketServer = new WebSocketServer({
    server,
    path: yoga.graphqlEndpoint,
    handleProtocols,
    // ws closes the socket with 1009 (message too big) as soon as a message grows past this,
    // before it is buffered whole: also before connection_init, so before authentication.
    maxPayload: limits.maxMessageBytes,
    // Browsers let any page open a websocket anywhere; the Origin header says which page it is.
    verifyClient: ({ req }, accept) => {
      const refusal = upgradeRefusal(req.headers);
      if (refusal) logger.debug({ origin: req.headers.origin, host: req.headers.host }, "websocket upgrade refused by the origin policy");
      accept(refusal === null, 403, refusal ?? undefined);
    },
  });
  // The token each open connection authenticated with, checked again for every new subscription and every tokenRecheckMs.
  const presentedTokens = new Map<WebSocket, PresentedToken>();
  const tokenChecks = closeSocketsOfRefusedTokens(presentedTokens, auth, logger, timings.tokenRecheckMs);
  // The payload the last stringified message stood in for; send() runs right after the stringify.
  let pendingPayload: SerializedPayload | undefined;
  const graphqlWs = makeServer<Record<string, unknown> | undefined, { socket: WebSocket; request: IncomingMessage }>(
    {
      connectionInitWaitTimeout: timings.connectionInitTimeoutMs,
      // At connection_init: no token closes with 4401 Unauthorized (a token in a form Cronline does not read
      // too, with a reason saying which form it wants); a bad, revoked or expired one with 4403 Forbidden.
      onConnect: async (context) => {
        const presented = connectionParamsToken(context.connectionParams);
        let authentication: Authentication;
        try {
          authentication = await auth.authenticate(presented);
        } catch (error) {
          const unavailable = DatabaseUnavailableError.from(error);
          if (!unavailable) throw error;
          logger.warn({ reason: unavailable.message }, "websocket connection refused: the database is unavailable");
          context.extra.socket.close(tryAgainLater, "Try again later: the database is unavailable");
          return false;
        }
        if (!authentication.ok) {
          logger.debug({ problem: authentication.problem }, "websocket connection refused");
          if (authentication.problem === "missing") context.extra.socket.close(4401, "Unauthorized");
          if (authentication.problem === "malformed") context.extra.socket.close(4401, malformedConnectionParams);
          return false;
        }
        presentedTokens.set(context.extra.socket, presented);
        return true;
      },
      execute: (args) => (args as EnvelopedArgs).execute(args) as never,
      subscribe: (args) => (args as EnvelopedArgs).subscribe(args) as never,
      onSubscribe: async (context, _id, payload) => {
        const refused = (errors: readonly GraphQLError[]) => {
          metrics.refused(payload.operationName, errors);
          return [...errors];
        };
        // graphql-ws lists every operation in progress, this one included, until it ends.
        if (Object.keys(context.subscriptions).length > limits.maxSubscriptions) {
          return refused([
            new GraphQLError(`Too many subscriptions on this socket: at most ${limits.maxSubscriptions} at a time (WEBSOCKET_MAX_SUBSCRIPTIONS)`, {
              extensions: { code: "TOO_MANY_SUBSCRIPTIONS", maxSubscriptions: limits.maxSubscriptions },
            }),
          ]);
        }
        // A token revoked or expired since the connection opened can start nothing new.
        let authentication: Authentication;
        try {
          authentication = await auth.authenticate(presentedTokens.get(context.extra.socket) ?? noTokenPresented);
        } catch (error) {
          if (!DatabaseUnavailableError.from(error)) throw error;
          return refused([serviceUnavailableError()]);
        }
        if (!authentication.ok) return refused([unauthenticatedError(authentication.problem)]);
        const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
          ...context,
          req: context.extra.request,
          socket: context.extra.socket,
          params: payload,
          authentication,
        });
        // The limits (GraphQL Armor) throw from parse and validate; the client gets them as this operation's errors.
        let document;
        try {
          document = parse(payload.query);
          const errors = validate(schema, document);
          if (errors.length > 0) return refused(errors);
        } catch (error) {
          if (error instanceof GraphQLError) return refused([error]);
          throw error;
        }
        const args: EnvelopedArgs = {
          schema,
          document,
          operationName: payload.operationName,
          variableValues: payload.variables,
          contextValue: await contextFactory(),
          execute,
          subscribe,
        };
        return args;
      },
      onOperation: (_context, _id, _payload, args, result) => (isAsyncIterable(result) ? (metrics.trackWebSocketSubscription(result, args) as never) : undefined),
      onNext: (_context, _id, _payload, _args, result) => new SerializedPayload(sharedResults.payloadBytes(result)) as never,
      jsonMessageReplacer: (_key, value: unknown) => {
        if (!(value instanceof SerializedPayload)) return value;
        pendingPayload = value;
        return payloadStandIn;
      },
      onError: (_context, _id, _payload, errors) => {
        logger.debug({ errors: errors.map((error) => error.message) }, "websocket operation failed");
        // Without what is meant for HTTP responses (their status), as over HTTP.
        return errors.map(publicError);
      },
    },
  );
  // Sending the shared bytes costs far less than encoding a large string once per socket.
  const withPayload = (data: string): OutgoingMessage => {
    const payload = pendingPayload;
    pendingPayload = undefined;
    if (!payload || !data.endsWith(standInEnding)) return data;
    const parts = [Buffer.from(`${data.slice(0, -standInEnding.length)}"payload":`), payload.bytes, closingBrace];
    return payload.bytes.length < fragmentFromBytes ? Buffer.concat(parts) : parts;
  };
  // Text frames, as graphql-ws clients expect, also when the message is made of bytes.
  const sendMessage = (socket: WebSocket, message: OutgoingMessage, done: (error?: Error) => void) => {
    if (!Array.isArray(message)) return socket.send(message, { binary: false }, done);
    // Sent one after the other with nothing between them: nothing else can interleave.
    message.forEach((fragment, i) => {
      const last = i === message.length - 1;
      socket.send(fragment, { binary: false, fin: last }, last ? done : undefined);
    });
  };

  // graphql-ws's own ws adapter (graphql-ws/use/ws) sends the messages as graphql-ws makes
  // them; this one is the same but for the shared payloads.
  webSocketServer.on("connection", (socket, request) => {
    const closedForMetrics = metrics.webSocketOpened();
    socket.once("error", (error) => {
      logger.warn({ err: error }, "websocket error");
      socket.close(CloseCode.InternalServerError, "Internal server error");
    });
    // A client that has not answered one ping by the next is gone.
    let awaitingPong = false;
    const keepAlive = setInterval(() => {
      if (awaitingPong) return socket.terminate();
      awaitingPong = true;
      socket.ping();
    }, timings.keepAliveMs);
    socket.on("pong", () => (awaitingPong = false));
    const closed = graphqlWs.opened(
      {
        protocol: socket.protocol,
        send: (message) =>
          new Promise<void>((resolve, reject) => {
            const data = withPayload(message);
            if (socket.readyState !== socket.OPEN) return resolve();
            sendMessage(socket, data, (error) => (error ? reject(error) : resolve()));
          }),
        close: (code, reason) => socket.close(code, reason),
        onMessage: (handle) =>
          socket.on("message", async (data) => {
            try {
              await handle(String(data));
            } catch (error) {
              logger.error({ err: error }, "websocket message handling failed");
              socket.close(CloseCode.InternalServerError, "Internal server error");
            }
          }),
      },
      { socket, request },
    );
    socket.once("close", (code, reason) => {
      closedForMetrics();
      clearInterval(keepAlive);
      presentedTokens.delete(socket);
      void closed(code, String(reason));
    });
  });

  return {
    // Closes every socket with 1001 (going away) and stops accepting new ones. A client that has
    // not finished the close handshake when `deadline` aborts is dropped (ws would wait 30 s for it).
    close: async (deadline: AbortSignal) => {
      tokenChecks.stop();
      const closed = new Promise<void>((resolve, reject) => webSocketServer.close((error) => (error ? reject(error) : resolve())));
      for (const socket of webSocketServer.clients) socket.close(1001, "Going away");
      const dropRemaining = () => {
        for (const socket of webSocketServer.clients) socket.terminate();
      };
      if (deadline.aborted) dropRemaining();
      else deadline.addEventListener("abort", dropRemaining, { once: true });
      try {
        await closed;
      } finally {
        deadline.removeEventListener("abort", dropRemaining);
      }
    },
  };
}

/**
 * Closes with 4403 the sockets whose token was revoked or expired while they were open: at once
 * for a revocation through this process, within `intervalMs` for one elsewhere (the command
 * line, another instance) and for an expiry. Each token is read once per check, however many
 * sockets use it. While the database is unavailable, sockets are left open.
 */
function closeSocketsOfRefusedTokens(presentedTokens: ReadonlyMap<WebSocket, PresentedToken>, auth: SocketAuthentication, logger: Logger, intervalMs: number) {
  let checking = false;
  let again = false;
  const checkOnce = async () => {
    const socketsBySecret = new Map<string | null, { presented: PresentedToken; sockets: WebSocket[] }>();
    for (const [socket, presented] of presentedTokens) {
      const group = socketsBySecret.get(presented.secret) ?? { presented, sockets: [] };
      group.sockets.push(socket);
      socketsBySecret.set(presented.secret, group);
    }
    for (const { presented, sockets } of socketsBySecret.values()) {
      const authentication = await auth.authenticate(presented, { fresh: true });
      if (authentication.ok) continue;
      logger.info({ problem: authentication.problem, sockets: sockets.length }, "websockets closed: their API token is no longer usable");
      for (const socket of sockets) socket.close(forbidden, `Forbidden: the API token is ${authentication.problem}`);
    }
  };
  // One check at a time; a revocation during a check asks for one more after it.
  const check = async () => {
    if (checking) return void (again = true);
    checking = true;
    try {
      do {
        again = false;
        await checkOnce();
      } while (again);
    } catch (error) {
      const unavailable = DatabaseUnavailableError.from(error);
      if (!unavailable) throw error;
      logger.warn({ reason: unavailable.message }, "could not check the tokens of open websockets: the database is unavailable");
    } finally {
      checking = false;
    }
  };
  const run = () => void check().catch((error: unknown) => logger.error({ err: error }, "checking the tokens of open websockets failed"));
  const timer = setInterval(run, intervalMs).unref();
  const stopListening = auth.onRevoked(run);
  return {
    stop: () => {
      clearInterval(timer);
      stopListening();
    },
  };
}

export const malformedConnectionParams = 'Unauthorized: connectionParams must be { "authorization": "Bearer <token>" }';
