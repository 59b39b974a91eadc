import { GraphQLError } from "graphql";
import { maskError } from "graphql-yoga";
import { ConflictError, InUseError, NotFoundError, ValidationError } from "../domain/errors.js";

/**
 * Domain errors raised where no typed result catches them (arguments of queries) become
 * GraphQL errors with their message and fields; anything else stays masked.
 */
export function maskUnexpectedErrors(error: unknown, message: string, isDev?: boolean): Error {
  const original = error instanceof GraphQLError ? error.originalError : error;
  if (original instanceof ValidationError) {
    return new GraphQLError(original.message, { extensions: { code: "BAD_USER_INPUT", fieldErrors: original.issues } });
  }
  if (original instanceof NotFoundError || original instanceof ConflictError || original instanceof InUseError) {
    return new GraphQLError(original.message, { extensions: { code: original.name, field: original.field } });
  }
  return maskError(error, message, isDev);
}
