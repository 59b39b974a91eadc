// Queries and mutations over HTTP (POST /graphql), each sent once: a mutation is never repeated
// behind the reader's back, as a websocket reconnecting would.
import type { TypedDocumentString } from "../../generated/web-graphql/graphql.js";
import { ApiError, fromGraphqlErrors } from "./api-error.js";

/** The GraphQL endpoint beside the page, so the page also works under a reverse proxy's path prefix. */
export const graphqlUrl = (): URL => new URL("graphql", document.baseURI);

/** The data of the operation, or an ApiError saying why there is none. */
export async function sendRequest<TResult, TVariables>(
  document: TypedDocumentString<TResult, TVariables>,
  variables: TVariables,
  token: string | null,
): Promise<TResult> {
  let response: Response;
  try {
    response = await fetch(graphqlUrl(), {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/graphql-response+json, application/json",
        ...(token !== null && { authorization: `Bearer ${token}` }),
      },
      body: JSON.stringify({ query: document.toString(), variables }),
    });
  } catch (error) {
    throw new ApiError(`Cannot reach the Cronline server (${error instanceof Error ? error.message : String(error)}).`, "NETWORK");
  }
  let body: { data?: TResult | null; errors?: { message: string; extensions?: Record<string, unknown> }[] };
  try {
    body = await response.json();
  } catch {
    throw new ApiError(`The server answered HTTP ${response.status} ${response.statusText} without a GraphQL result.`, "BAD_RESPONSE");
  }
  if (body.errors?.length) throw fromGraphqlErrors(body.errors);
  if (!body.data) throw new ApiError(`The server answered HTTP ${response.status} without data.`, "BAD_RESPONSE");
  return body.data;
}
