// What GraphQL Yoga logs, in Cronline's JSON log: its errors at ERROR only when they are
// unexpected (with the stack); an error about the caller's input (answered with its own
// message) is DEBUG, a database outage (answered 503) WARN. Every entry has a message.
import { GraphQLError } from "graphql";
import type { YogaLogger } from "graphql-yoga";
import { DatabaseUnavailableError } from "../db/database-unavailable.js";
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
        const unavailable = DatabaseUnavailableError.from(error instanceof GraphQLError ? error.originalError : error);
        if (clientError) logger.debug({ code: clientError.extensions.code, reason: clientError.message }, "request refused: client error");
        else if (unavailable) logger.warn({ reason: unavailable.message }, "request refused: the database is unavailable");
        else logger.error({ err: error }, "unexpected error in a GraphQL operation");
      }
    },
  };
}

