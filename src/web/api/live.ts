// The page's websocket (graphql-ws) for the live views. It reconnects by itself, with a growing
// wait, after a server restart or a network drop, and subscriptions start again on the new
// socket (scheduleView then sends a fresh SNAPSHOT). A dropped network tells neither end, so
// the page does not wait for TCP to notice: a socket whose ping goes unanswered, or one not
// accepted in time, is given up and another tried. Only a refused token stops it.
import { signal, type ReadonlySignal } from "@preact/signals";
import { createClient, type Client } from "graphql-ws";
import type { TypedDocumentString } from "../../generated/web-graphql/graphql.js";
import { ApiError, fromGraphqlErrors } from "./api-error.js";
import { graphqlUrl } from "./http.js";

export type ConnectionStatus = "connecting" | "live" | "reconnecting";

export interface LiveConnection {
  status: ReadonlySignal<ConnectionStatus>;
  /** How many times a socket was accepted: a change after the first means events may have been missed meanwhile. */
  connections: ReadonlySignal<number>;
  /** Calls `onData` with each event until the returned function is called. */
  subscribe<TResult, TVariables>(
    document: TypedDocumentString<TResult, TVariables>,
    variables: TVariables,
    onData: (data: TResult) => void,
    onError: (error: ApiError) => void,
  ): () => void;
  close(): void;
}

/** Close codes with which the server refuses the token: no token (4401), a bad, revoked or expired one (4403). */
const refusedCodes = [4401, 4403];
const pingEveryMs = 5_000;
const pongWithinMs = 3_000;
/** From opening a socket to the server's connection_ack. */
const acceptedWithinMs = 10_000;
const longestRetryWaitMs = 5_000;

const isCloseEvent = (value: unknown): value is { code: number; reason: string } =>
  typeof value === "object" && value !== null && "code" in value && "reason" in value;

/** `onRefused`: the server refused the token; the connection has stopped trying. */
export function openLiveConnection(token: string | null, onRefused: () => void): LiveConnection {
  const status = signal<ConnectionStatus>("connecting");
  const connections = signal(0);
  let pongDeadline: ReturnType<typeof setTimeout> | undefined;
  let acceptDeadline: ReturnType<typeof setTimeout> | undefined;
  let closed = false;
  const client: Client = createClient({
    url: () => {
      const url = graphqlUrl();
      url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
      return url.toString();
    },
    connectionParams: token === null ? undefined : { authorization: `Bearer ${token}` },
    lazy: false,
    retryAttempts: Infinity,
    shouldRetry: (event) => !(isCloseEvent(event) && refusedCodes.includes(event.code)),
    retryWait: (retries) => new Promise((resolve) => setTimeout(resolve, Math.min(500 * 2 ** retries, longestRetryWaitMs) * (0.5 + Math.random() / 2))),
    keepAlive: pingEveryMs,
    // Reported through the status and onRefused.
    onNonLazyError: () => {},
    on: {
      connecting: (isRetry) => {
        if (closed) return;
        status.value = isRetry || connections.peek() > 0 ? "reconnecting" : "connecting";
        acceptDeadline = setTimeout(() => client.terminate(), acceptedWithinMs);
      },
      connected: () => {
        clearTimeout(acceptDeadline);
        connections.value += 1;
        status.value = "live";
      },
      ping: (received) => {
        if (!received) pongDeadline = setTimeout(() => client.terminate(), pongWithinMs);
      },
      pong: (received) => {
        if (received) clearTimeout(pongDeadline);
      },
      closed: (event) => {
        clearTimeout(pongDeadline);
        clearTimeout(acceptDeadline);
        if (closed) return;
        status.value = connections.peek() > 0 ? "reconnecting" : "connecting";
        if (isCloseEvent(event) && refusedCodes.includes(event.code)) onRefused();
      },
    },
  });

  function subscribe<TResult, TVariables>(
    document: TypedDocumentString<TResult, TVariables>,
    variables: TVariables,
    onData: (data: TResult) => void,
    onError: (error: ApiError) => void,
  ): () => void {
    return client.subscribe<TResult>(
      { query: document.toString(), variables: variables as Record<string, unknown> },
      {
        next: (result) => {
          if (result.errors?.length) onError(fromGraphqlErrors(result.errors));
          else if (result.data) onData(result.data);
        },
        error: (error) => {
          if (closed) return;
          if (Array.isArray(error)) onError(fromGraphqlErrors(error));
          // The close reason says why ("Forbidden: the API token is revoked").
          else if (isCloseEvent(error) && refusedCodes.includes(error.code)) onError(new ApiError(`The server refused the API token.${error.reason ? ` ${error.reason}` : ""}`, "UNAUTHENTICATED"));
          else onError(new ApiError("The live connection failed.", "NETWORK"));
        },
        complete: () => {},
      },
    );
  }

  return {
    status,
    connections,
    subscribe,
    close() {
      closed = true;
      clearTimeout(pongDeadline);
      clearTimeout(acceptDeadline);
      void client.dispose();
    },
  };
}
