import { GraphQLError } from "graphql";
import type { TokenProblem } from "../auth/tokens.js";

/** The refusal of a caller without a usable token, saying what is wrong with what it sent: HTTP 401 over HTTP. */
export function unauthenticatedError(problem: TokenProblem | null): GraphQLError {
  const why =
    problem === "missing" || problem === null
      ? "no API token was sent (Authorization: Bearer <token>)"
      : problem === "malformed"
        ? 'the Authorization header is not "Bearer <token>"'
        : `the API token is ${problem}`;
  return new GraphQLError(`Not authenticated: ${why}`, {
    extensions: { code: "UNAUTHENTICATED", http: { status: 401, headers: { "www-authenticate": 'Bearer realm="cronline"' } } },
  });
}
