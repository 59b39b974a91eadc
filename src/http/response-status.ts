// The HTTP status of a GraphQL answer. A request refused before execution (no `data`: it does
// not parse, validate, authenticate or fit the limits) is a 4xx whatever the client accepts:
// Yoga would answer it 200 to a client asking for application/json. An answer that cannot be
// given in any media type the client accepts is a 406 with a code, not an empty body.
import { GraphQLError, type ExecutionResult } from "graphql";
import { isAsyncIterable, type Plugin } from "graphql-yoga";

export function responseStatus(): Plugin {
  return {
    onResultProcess: ({ result, setResult, resultProcessor, setResultProcessor }) => {
      if (isRequestError(result)) {
        const status = Math.max(...result.errors.map(statusOf));
        setResult({ ...result, extensions: { ...result.extensions, http: { ...httpOf(result.extensions), status } } });
      }
      if (resultProcessor) return;
      // A subscription's events are not sent: it ends here.
      if (isAsyncIterable(result)) void result[Symbol.asyncIterator]().return?.();
      setResultProcessor((_result, fetchAPI) => {
        const body = { errors: [{ message: notAcceptable, extensions: { code: "NOT_ACCEPTABLE" } }] };
        return new fetchAPI.Response(JSON.stringify(body), { status: 406, headers: { "content-type": "application/json; charset=utf-8" } });
      }, "application/json");
    },
  };
}

/** An answer without `data`, only errors: the request was refused before it ran. */
function isRequestError(result: unknown): result is ExecutionResult & { errors: readonly GraphQLError[] } {
  return typeof result === "object" && result !== null && !Array.isArray(result) && !isAsyncIterable(result) && !("data" in result) && Array.isArray((result as ExecutionResult).errors) && (result as ExecutionResult).errors!.length > 0;
}

const notAcceptable =
  "Not acceptable: the Accept header must allow application/graphql-response+json or application/json, or text/event-stream for a subscription";

/** A request error's status: the one it was raised with, else 500 for an unexpected error and 400 for any other. */
function statusOf(error: GraphQLError | { extensions?: Record<string, unknown> }): number {
  const status = httpOf(error.extensions).status;
  if (typeof status === "number") return status;
  return error.extensions?.unexpected ? 500 : 400;
}

function httpOf(extensions: ExecutionResult["extensions"]): { status?: unknown; headers?: unknown } {
  const http = extensions?.http;
  return typeof http === "object" && http !== null ? http : {};
}
