// What GraphQL Yoga logs, in Cronline's JSON log: its errors at ERROR only when they are
// unexpected; an error about the caller's input (answered with its own message) is DEBUG.
import type { YogaLogger } from "graphql-yoga";
import type { Logger } from "../logger.js";
import { clientErrorOf } from "../schema/error-masking.js";

export function graphqlServerLogging(logger: Logger): YogaLogger {
  return {
    debug: (...args: unknown[]) => logger.debug({ details: args }, "GraphQL server"),
    info: (...args: unknown[]) => logger.info({ details: args }, "GraphQL server"),
    warn: (...args: unknown[]) => logger.warn({ details: args }, "GraphQL server"),
    // Yoga logs here every error it masks or converts: unexpected ones, and also the caller's own mistakes.
    error: (...args: unknown[]) => {
      for (const error of args) {
        const clientError = clientErrorOf(error);
        if (clientError) logger.debug({ code: clientError.extensions.code, reason: clientError.message }, "request refused: client error");
        else logger.error({ err: error }, "unexpected error in a GraphQL operation");
      }
    },
  };
}
