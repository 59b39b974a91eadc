import { PothosSchemaError, PothosValidationError } from "@pothos/core";
import { GraphQLError, Kind } from "graphql";
import { maskError } from "graphql-yoga";
import { DatabaseUnavailableError } from "../db/database-unavailable.js";
import { ConflictError, InUseError, NotFoundError, ValidationError } from "../domain/errors.js";

/**
 * Domain errors raised where no typed result catches them (arguments of queries) become
 * GraphQL errors with their message and fields, a database outage SERVICE_UNAVAILABLE;
 * anything else stays masked.
 */
export function maskUnexpectedErrors(error: unknown, message: string, isDev?: boolean): Error {
  return clientErrorOf(error) ?? unavailableErrorOf(error) ?? maskError(error, message, isDev);
}

/** How long a client is asked to wait before trying again after a database outage (Retry-After). */
const retryAfterSeconds = 5;

/** The answer to an operation the database could not serve: HTTP 503 over HTTP when no other error comes with it. */
export function serviceUnavailableError(options: { nodes?: GraphQLError["nodes"]; path?: GraphQLError["path"] } = {}): GraphQLError {
  return new GraphQLError("The database is unavailable; try again later.", {
    ...options,
    extensions: { code: "SERVICE_UNAVAILABLE", http: { status: 503, headers: { "retry-after": String(retryAfterSeconds) } } },
  });
}

/** SERVICE_UNAVAILABLE, where it was raised, when `error` says the database is unavailable; null otherwise. */
export function unavailableErrorOf(error: unknown): GraphQLError | null {
  const original = error instanceof GraphQLError ? error.originalError : error;
  if (!DatabaseUnavailableError.from(original)) return null;
  return error instanceof GraphQLError ? serviceUnavailableError({ nodes: error.nodes, path: error.path }) : serviceUnavailableError();
}

/**
 * The GraphQL error a client is answered with when `error` is about the caller's input (a
 * domain error, an id or cursor that is not one); null for anything unexpected.
 */
export function clientErrorOf(error: unknown): GraphQLError | null {
  const original = error instanceof GraphQLError ? error.originalError : error;
  const invalid =
    original instanceof ValidationError ? original : error instanceof GraphQLError ? relayArgumentError(error, original) : null;
  if (invalid) {
    return new GraphQLError(invalid.message, { extensions: { code: "BAD_USER_INPUT", fieldErrors: invalid.issues } });
  }
  if (original instanceof NotFoundError || original instanceof ConflictError || original instanceof InUseError) {
    return new GraphQLError(original.message, { extensions: { code: original.name, field: original.field } });
  }
  return null;
}

/**
 * Pothos decodes global ids (node, nodes) and connection cursors itself and throws untyped
 * errors about the caller's text: "Invalid global ID: x", "Invalid cursor: x", for a global
 * id naming no type "X has not been implemented", and for one naming a type that is not a
 * Node "X does not support loading by id". Each becomes a ValidationError on the argument it
 * came from. (Page sizes and their combinations are refused before execution: page-arguments.ts.)
 */
function relayArgumentError(error: GraphQLError, original: unknown): ValidationError | null {
  // The field the error is about, as written (the path would give its alias).
  const field = error.nodes?.[0]?.kind === Kind.FIELD ? error.nodes[0] : undefined;
  const idArgument = field?.name.value === "node" ? "id" : field?.name.value === "nodes" ? "ids" : null;
  const aboutTheId = original instanceof PothosValidationError && /global ID|does not support loading by id/i.test(original.message);
  if (idArgument && (original instanceof PothosSchemaError || aboutTheId)) return ValidationError.of(idArgument, "is not the id of any object");
  if (!(original instanceof PothosValidationError) || !/cursor/i.test(original.message)) return null;
  const given = field?.arguments?.map((argument) => argument.name.value) ?? [];
  const cursorArgument = ["after", "before"].find((name) => given.includes(name));
  return cursorArgument ? ValidationError.of(cursorArgument, "is not a cursor of this connection") : null;
}
