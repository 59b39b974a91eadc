// GraphQL over WebSocket (the graphql-ws protocol) on the HTTP server's own port and path.
// Every operation goes through Yoga's envelop pipeline, so websocket and HTTP requests share
// plugins, context and error masking.
import type { Server } from "node:http";
import type { ExecutionArgs } from "graphql";
import { useServer } from "graphql-ws/use/ws";
import type { YogaServerInstance } from "graphql-yoga";
import { WebSocketServer } from "ws";
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
): { close(): Promise<void> } {
  const webSocketServer = new WebSocketServer({ server, path: yoga.graphqlEndpoint });
  const disposable = useServer(
    {
      connectionInitWaitTimeout: connectionInitWaitTimeoutMs,
      execute: (args) => (args as EnvelopedArgs).execute(args) as never,
      subscribe: (args) => (args as EnvelopedArgs).subscribe(args) as never,
      onSubscribe: async (context, _id, payload) => {
        const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
          ...context,
          req: context.extra.request,
          socket: context.extra.socket,
          params: payload,
        });
        const document = parse(payload.query);
        const errors = validate(schema, document);
        if (errors.length > 0) return errors;
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
