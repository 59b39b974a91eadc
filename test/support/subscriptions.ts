// GraphQL subscriptions as an external UI opens them: the graphql-ws client over a real
// websocket, with typed documents from the generated client.
import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { print } from "graphql";
import { createClient, type Client } from "graphql-ws";
import WebSocket from "ws";

export interface Subscription<T> {
  /** Every event received so far, in order. */
  events: T[];
  /** GraphQL errors the subscription ended with, if any. */
  errors: unknown[];
  /**
   * Resolves with the first event at index `from` or later that passes `test`. The default,
   * the events not yet received, misses one that arrives before the call: for an event an
   * action causes, take `from` before the action.
   */
  waitFor(test: (event: T) => boolean, options?: { from?: number; timeoutMs?: number }): Promise<T>;
  /** Resolves once the subscription has ended (completed or failed). */
  ended: Promise<void>;
  unsubscribe(): void;
}

/** `token` goes in connectionParams as `authorization: Bearer <token>`; none: no connectionParams. */
export function subscriptionClient(httpUrl: string, token?: string): Client & { closed: Promise<{ code: number; reason: string }> } {
  let onClosed: (event: { code: number; reason: string }) => void = () => {};
  const closed = new Promise<{ code: number; reason: string }>((resolve) => (onClosed = resolve));
  const client = createClient({
    url: httpUrl.replace(/^http/, "ws"),
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    lazy: false,
    // A closed connection is reported through `closed` and each subscription's errors; not on the console.
    onNonLazyError: () => {},
    ...(token !== undefined && { connectionParams: { authorization: `Bearer ${token}` } }),
    on: { closed: (event) => onClosed(event as { code: number; reason: string }) },
  });
  return Object.assign(client, { closed });
}

export function subscribe<TResult, TVariables>(
  client: Client,
  document: TypedDocumentNode<TResult, TVariables>,
  variables: TVariables,
): Subscription<TResult> {
  const events: TResult[] = [];
  const errors: unknown[] = [];
  const waiters = new Set<() => void>();
  let resolveEnded: () => void = () => {};
  const ended = new Promise<void>((resolve) => (resolveEnded = resolve));
  const notify = () => {
    for (const waiter of waiters) waiter();
  };
  const unsubscribe = client.subscribe<TResult>(
    { query: print(document), variables: variables as Record<string, unknown> },
    {
      next: (result) => {
        if (result.errors) errors.push(...result.errors);
        if (result.data) events.push(result.data as TResult);
        notify();
      },
      error: (error) => {
        errors.push(error);
        resolveEnded();
        notify();
      },
      complete: () => {
        resolveEnded();
        notify();
      },
    },
  );
  const waitFor = (test: (event: TResult) => boolean, { from = events.length, timeoutMs = 60_000 } = {}) =>
    new Promise<TResult>((resolve, reject) => {
      const check = () => {
        const found = events.slice(from).find(test);
        if (found === undefined) return;
        cleanUp();
        resolve(found);
      };
      const timer = setTimeout(() => {
        cleanUp();
        reject(new Error(`no matching event within ${timeoutMs} ms; received ${JSON.stringify(events.slice(from))}, errors ${JSON.stringify(errors)}`));
      }, timeoutMs);
      const cleanUp = () => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
      check();
    });
  return { events, errors, waitFor, ended, unsubscribe };
}

export interface RawSocket {
  socket: WebSocket;
  /** Every message received, parsed. */
  messages: { type: string; id?: string; payload?: unknown }[];
  /** Pings received from the server. */
  pings: number;
  closed: Promise<{ code: number; reason: string }>;
  /** Resolves with the first message at index `from` or later that passes `test`. */
  waitFor(test: (message: RawSocket["messages"][number]) => boolean, from?: number): Promise<RawSocket["messages"][number]>;
}

/**
 * A websocket speaking graphql-transport-ws by hand, for what the graphql-ws client does for
 * us: answering pings (autoPong: false does not), sending connection_init, reading promptly.
 */
export function rawSocket(httpUrl: string, options: { autoPong?: boolean } = {}): RawSocket {
  const socket = new WebSocket(httpUrl.replace(/^http/, "ws"), "graphql-transport-ws", { autoPong: options.autoPong ?? true });
  const messages: RawSocket["messages"] = [];
  const raw: RawSocket = {
    socket,
    messages,
    pings: 0,
    closed: new Promise((resolve) => socket.on("close", (code, reason) => resolve({ code, reason: reason.toString() }))),
    waitFor: (test, from = 0) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const found = messages.slice(from).find(test);
          if (!found) return false;
          socket.off("message", onMessage);
          resolve(found);
          return true;
        };
        const onMessage = () => void check();
        if (check()) return;
        socket.on("message", onMessage);
        void raw.closed.then(() => check() || reject(new Error(`closed before a matching message; received ${JSON.stringify(messages)}`)));
      }),
  };
  socket.on("message", (data) => messages.push(JSON.parse(String(data)) as RawSocket["messages"][number]));
  socket.on("ping", () => (raw.pings += 1));
  return raw;
}
