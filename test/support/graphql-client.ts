// A small typed GraphQL-over-HTTP client: documents come from the generated client, so
// results and variables are typed by schema.graphql.
import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { Kind, print, type DocumentNode } from "graphql";

export interface GraphQLResponse<T> {
  status: number;
  data?: T | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
}

/** `token`: an API token sent as `Authorization: Bearer <token>`; none: anonymous requests. */
export function graphqlClient(url: string, token?: string) {
  async function request<TResult, TVariables>(
    document: TypedDocumentNode<TResult, TVariables>,
    ...[variables]: TVariables extends Record<string, never> ? [] : [TVariables]
  ): Promise<GraphQLResponse<TResult>> {
    const send = () => fetch(url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/graphql-response+json",
        ...(token !== undefined && { authorization: `Bearer ${token}` }),
      },
      body: JSON.stringify({ query: print(document), variables }),
    });
    let response: Response;
    try {
      response = await send();
    } catch (error) {
      // A kept-alive connection the server closed just as it was reused (likeliest on a loaded
      // machine, whose late timers keep an idle connection past the server's keep-alive
      // timeout): reset while sending, or found closed before the answer ("other side
      // closed"). A query has no effect, so it is sent again on a new connection.
      if (!isQuery(document) || !closedConnectionCodes.has(String((error as { cause?: { code?: string } }).cause?.code))) throw error;
      response = await send();
    }
    return { status: response.status, ...((await response.json()) as Omit<GraphQLResponse<TResult>, "status">) };
  }

  /** The data of a request that must succeed without GraphQL errors. */
  async function data<TResult, TVariables>(
    document: TypedDocumentNode<TResult, TVariables>,
    ...variables: TVariables extends Record<string, never> ? [] : [TVariables]
  ): Promise<TResult> {
    const result = await request(document, ...variables);
    if (result.errors?.length || !result.data) {
      throw new Error(`GraphQL request failed (${result.status}): ${JSON.stringify(result.errors)}`);
    }
    return result.data;
  }

  return { request, data };
}

/** undici's causes of a failed fetch on a connection the other side closed. */
const closedConnectionCodes = new Set(["ECONNRESET", "UND_ERR_SOCKET"]);

function isQuery(document: DocumentNode): boolean {
  return document.definitions.every((definition) => definition.kind !== Kind.OPERATION_DEFINITION || definition.operation === "query");
}

export type GraphQLClient = ReturnType<typeof graphqlClient>;
