// GraphQL over WebSocket (the graphql-ws protocol) on the HTTP server's own port and path.
// Every operation goes through Yoga's envelop pipeline, so websocket and HTTP requests share
// plugins, context and error masking.
import type { IncomingHttpHeaders, Server } from "node:http";
import { GraphQLError, type ExecutionArgs } from "graphql";
import { useServer } from "graphql-ws/use/ws";
import type { YogaServerInstance } from "graphql-yoga";
import { WebSocketServer } from "ws";
import type { Authentication } from "../auth/tokens.js";
import { bearerToken } from "../auth/tokens.js";
import type { Logger } from "../logger.js";

/** Ping every this often; a client that does not answer is dropped. */
const keepAliveMs = 12_000;
/** A client must send connection_init within this time. */
const connectionInitWaitTimeoutMs = 3_000;

/** The arguments onSubscribe returns, carrying this operation's enveloped execute and subscribe. */
type EnvelopedArgs = ExecutionArgs & { execute: (args: ExecutionArgs) => unknown; subscribe: (args: ExecutionArgs) => unknown };

export function attachGraphqlWs<ServerContext extends object, UserContext extends object>(
  server: Server,
  yoga: YogaServerInstance<ServerContext, UserContext>,
  logger: Logger,
  authenticate: (secret: string | null) => Promise<Authentication>,
  /** Why an upgrade is refused (the HTTP requests' origin policy), or null. */
  upgradeRefusal: (headers: IncomingHttpHeaders) => string | null,
): { close(): Promise<void> } {
  const webSocketServer = new WebSocketServer({
    server,
    path: yoga.graphqlEndpoint,
    // Browsers let any page open a websocket anywhere; the Origin header says which page it is.
    verifyClient: ({ req }, accept) => {
      const refusal = upgradeRefusal(req.headers);
      if (refusal) logger.debug({ origin: req.headers.origin, host: req.headers.host }, "websocket upgrade refused by the origin policy");
      accept(refusal === null, 403, refusal ?? undefined);
    },
  });
  // The token each connection authenticated with, checked again for every new subscription.
  const secrets = new WeakMap<object, string | null>();
  const disposable = useServer(
    {
      connectionInitWaitTimeout: connectionInitWaitTimeoutMs,
      // At connection_init: no token closes with 4401 Unauthorized; a bad, revoked or expired one with 4403 Forbidden.
      onConnect: async (context) => {
        const secret = tokenOf(context.connectionParams);
        const authentication = await authenticate(secret);
        if (!authentication.ok) {
          logger.debug({ problem: authentication.problem }, "websocket connection refused");
          if (authentication.problem === "missing") context.extra.socket.close(4401, "Unauthorized");
          return false;
        }
        secrets.set(context.extra.socket, secret);
        return true;
      },
      execute: (args) => (args as EnvelopedArgs).execute(args) as never,
      subscribe: (args) => (args as EnvelopedArgs).subscribe(args) as never,
      onSubscribe: async (context, _id, payload) => {
        // A token revoked or expired since the connection opened can start nothing new.
        const authentication = await authenticate(secrets.get(context.extra.socket) ?? null);
        if (!authentication.ok) {
          return [new GraphQLError(`Not authenticated: the API token is ${authentication.problem}`, { extensions: { code: "UNAUTHENTICATED" } })];
        }
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
          if (errors.length > 0) return errors;
        } catch (error) {
          if (error instanceof GraphQLError) return [error];
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
      onError: (_context, _id, _payload, errors) => {
        logger.debug({ errors: errors.map((error) => error.message) }, "websocket operation failed");
      },
    },
    webSocketServer,
    keepAliveMs,
  );
  return {
    // Closes every socket with 1001 (going away) and stops accepting new ones.
    close: async () => {
      await disposable.dispose();
    },
  };
}

/** `authorization` ("Bearer <token>" or the bare token) or `token` from connectionParams. */
function tokenOf(params: Readonly<Record<string, unknown>> | undefined): string | null {
  const authorization = params?.authorization ?? params?.Authorization;
  if (typeof authorization === "string") return bearerToken(authorization) ?? (authorization.trim() || null);
  return typeof params?.token === "string" && params.token !== "" ? params.token : null;
}
