// What the API counts of GraphQL: operations by name and type, their errors by code, how long
// they take, and the websockets and subscriptions open. Over HTTP and websockets alike, the
// operations that reach execution are seen by Yoga's envelop hooks; requests refused before
// (a parse, validation or limit error) by Yoga's result hook over HTTP and by graphql-ws.ts
// over websockets.
import { getOperationAST, type ExecutionArgs, type ExecutionResult, type GraphQLError } from "graphql";
import { isAsyncIterable, type Plugin } from "graphql-yoga";
import type { ApiMetrics } from "./catalog.js";
import { OperationNames } from "./operation-names.js";

type ErrorLike = Pick<GraphQLError, "extensions"> | { extensions?: Record<string, unknown> };

const codePattern = /^[A-Za-z_]{1,64}$/;

/** An error's code as a label: the codes are the server's own, but anything unexpected is collapsed. */
function codeOf(error: ErrorLike): string {
  const code = error.extensions?.code;
  return typeof code === "string" && codePattern.test(code) ? code : "UNKNOWN";
}

/** An answer without `data`: refused before it ran. */
function isRefusal(result: ExecutionResult): boolean {
  return !("data" in result) && (result.errors?.length ?? 0) > 0;
}

export class GraphqlMetrics {
  readonly #metrics: ApiMetrics;
  readonly #names: OperationNames;
  /** HTTP requests one of whose operations reached execution: their errors are counted there. */
  readonly #executed = new WeakSet<object>();
  /** The operation name each HTTP request's parameters gave. */
  readonly #declaredNames = new WeakMap<object, unknown>();

  constructor(metrics: ApiMetrics, names = new OperationNames()) {
    this.#metrics = metrics;
    this.#names = names;
  }

  /** Yoga's hooks; first among the plugins, so that it also sees operations the others refuse. */
  plugin(): Plugin {
    return {
      onParams: ({ params, request }) => {
        this.#declaredNames.set(request, params.operationName);
      },
      onExecute: ({ args }) => {
        const done = this.#begin(args);
        return {
          onExecuteDone: ({ result }) => {
            if (!isAsyncIterable(result)) done(result);
          },
        };
      },
      onSubscribe: ({ args }) => {
        const done = this.#begin(args);
        return {
          onSubscribeResult: ({ result }) => {
            if (!isAsyncIterable(result)) return void done(result);
            // Started: its events' errors count under its name.
            const operation = done({ data: {} });
            return { onNext: ({ result: event }) => this.#countErrors(operation, event.errors ?? []) };
          },
        };
      },
      onResultProcess: ({ request, result }) => {
        if (this.#executed.has(request) || isAsyncIterable(result) || Array.isArray(result)) return;
        const answer = result as ExecutionResult;
        if (isRefusal(answer)) this.refused(this.#declaredNames.get(request), answer.errors!);
      },
    };
  }

  /** An operation refused before it ran: counted with the name its request gave, if admitted already. */
  refused(declaredName: unknown, errors: readonly ErrorLike[]): void {
    const operation = this.#names.ofRefused(declaredName);
    this.#metrics.operations.inc({ operation, type: "unknown" });
    this.#countErrors(operation, errors);
  }

  /** A websocket opened; returns what to call when it closes. */
  webSocketOpened(): () => void {
    this.#metrics.webSocketConnections.inc();
    return () => this.#metrics.webSocketConnections.dec();
  }

  /**
   * A subscription's event stream, counted among the websocket's subscriptions in progress
   * from its first read until it ends (a stream never read was never in progress).
   */
  trackWebSocketSubscription<T>(events: AsyncIterable<T>, args: Pick<ExecutionArgs, "document" | "operationName">): AsyncIterableIterator<T> {
    const operation = this.#names.ofRefused(getOperationAST(args.document, args.operationName)?.name?.value);
    const gauge = this.#metrics.webSocketSubscriptions;
    const source = events[Symbol.asyncIterator]();
    let state: "unread" | "open" | "ended" = "unread";
    const end = () => {
      if (state === "open") gauge.dec({ operation });
      state = "ended";
    };
    // Not an async function*: its return() would wait for the next event before the source is let go.
    const tracked: AsyncIterableIterator<T> = {
      async next() {
        if (state === "unread") {
          state = "open";
          gauge.inc({ operation });
        }
        try {
          const step = await source.next();
          if (step.done) end();
          return step;
        } catch (error) {
          end();
          throw error;
        }
      },
      async return() {
        end();
        await source.return?.();
        return { done: true, value: undefined };
      },
      async throw(error: unknown) {
        end();
        await source.return?.();
        throw error;
      },
      [Symbol.asyncIterator]() {
        return tracked;
      },
    };
    return tracked;
  }

  /** Starts timing an operation; what it returns records its end and answers its operation label. */
  #begin(args: ExecutionArgs): (result: ExecutionResult) => string {
    const request = (args.contextValue as { request?: object } | undefined)?.request;
    if (request) this.#executed.add(request);
    const definition = getOperationAST(args.document, args.operationName);
    const type = definition?.operation ?? "unknown";
    const started = performance.now();
    return (result) => {
      const declared = definition?.name?.value;
      // Refused at execution (no token, over the cost limit): no new name for it.
      const operation = isRefusal(result) ? this.#names.ofRefused(declared) : this.#names.ofExecuted(declared);
      this.#metrics.operations.inc({ operation, type });
      this.#metrics.duration.observe({ operation, type }, (performance.now() - started) / 1000);
      this.#countErrors(operation, result.errors ?? []);
      return operation;
    };
  }

  #countErrors(operation: string, errors: readonly ErrorLike[]): void {
    for (const error of errors) this.#metrics.errors.inc({ operation, code: codeOf(error) });
  }
}
