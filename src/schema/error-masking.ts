import { PothosSchemaError, PothosValidationError } from "@pothos/core";
import { GraphQLError } from "graphql";
import { maskError } from "graphql-yoga";
import { ConflictError, InUseError, NotFoundError, ValidationError } from "../domain/errors.js";

/**
 * Domain errors raised where no typed result catches them (arguments of queries) become
 * GraphQL errors with their message and fields; anything else stays masked.
 */
export function maskUnexpectedErrors(error: unknown, message: string, isDev?: boolean): Error {
  return clientErrorOf(error) ?? maskError(error, message, isDev);
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
 * errors about the caller's text: "Invalid global ID: x", "Invalid cursor: x", and, for a
 * global id naming no type, "X has not been implemented". Each becomes a ValidationError on
 * the argument it came from.
 */
function relayArgumentError(error: GraphQLError, original: unknown): ValidationError | null {
  const fieldName = error.path?.length === 1 ? error.path[0] : undefined;
  const idArgument = fieldName === "node" ? "id" : fieldName === "nodes" ? "ids" : null;
  if (idArgument && (original instanceof PothosSchemaError || (original instanceof PothosValidationError && /global ID/i.test(original.message)))) {
    return ValidationError.of(idArgument, "is not the id of any object");
  }
  if (!(original instanceof PothosValidationError)) return null;
  if (/cursor/i.test(original.message)) {
    const given = error.nodes?.[0]?.kind === "Field" ? error.nodes[0].arguments?.map((argument) => argument.name.value) ?? [] : [];
    const cursorArgument = ["after", "before"].find((name) => given.includes(name));
    if (cursorArgument) return ValidationError.of(cursorArgument, "is not a cursor of this connection");
  }
  // 'Argument "first" must be a non-negative integer' and the like.
  const single = /^Argument "(\w+)" (.+)$/.exec(original.message);
  return single ? ValidationError.of(single[1]!, single[2]!) : null;
}
