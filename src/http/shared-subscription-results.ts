// Subscription events reach many subscribers at once: every scheduleView subscriber of one
// filter gets the same event object, every runEvents subscriber the same run event. Executing
// the operation and serializing its result for each of them would cost, at 1,000 subscribers
// of a 1,000-task view, 1,000 executions and 1,000 JSON encodings of the same table per tick.
// Here each distinct (event, document, operation name, variables, role) is executed once, and
// each result is serialized and UTF-8 encoded once; every socket is sent the same bytes.
import { createSourceEventStream, execute, type DocumentNode, type ExecutionArgs, type ExecutionResult, type GraphQLError, type GraphQLFormattedError } from "graphql";
import type { Plugin } from "graphql-yoga";
import type { Context } from "../context.js";

type Results = Map<string, ExecutionResult | Promise<ExecutionResult>>;

export class SharedSubscriptionResults {
  /** How many times a subscription event was executed, and a result serialized (the benchmark reports them). */
  executions = 0;
  serializations = 0;
  readonly #results = new WeakMap<object, WeakMap<DocumentNode, Results>>();
  readonly #payloads = new WeakMap<ExecutionResult, Buffer>();

  /** Subscriptions, over websockets and server-sent events alike, execute their events through the shared results. */
  plugin(): Plugin {
    return { onSubscribe: ({ setSubscribeFn }) => setSubscribeFn((args) => this.#subscribe(args)) };
  }

  /** The `payload` of a graphql-ws `next` message for this result, as UTF-8 JSON, made once per result. */
  payloadBytes(result: ExecutionResult): Buffer {
    let bytes = this.#payloads.get(result);
    if (bytes === undefined) {
      const { errors, ...withoutErrors } = result;
      bytes = Buffer.from(JSON.stringify({ ...withoutErrors, ...(errors && { errors: errors.map(publicError) }) }));
      this.serializations += 1;
      this.#payloads.set(result, bytes);
    }
    return bytes;
  }

  /** graphql-js `subscribe`, except that the execution of each event is shared. */
  async #subscribe(args: ExecutionArgs): Promise<AsyncGenerator<ExecutionResult> | ExecutionResult> {
    const stream = await createSourceEventStream(args);
    if (!(Symbol.asyncIterator in stream)) return stream;
    // The resolvers of Cronline's subscription payloads read only the event, and what a
    // caller may see depends on nothing but its role: results are shared within a role.
    const key = JSON.stringify([args.operationName ?? null, args.variableValues ?? null, (args.contextValue as Context).principal?.role ?? null]);
    const source = stream[Symbol.asyncIterator]();
    const resultFor = (event: unknown) => this.#resultFor(event, args, key);
    // Not an async function*: its return() would wait for the next event before the source is let go.
    const results: AsyncGenerator<ExecutionResult> = {
      async next() {
        const step = await source.next();
        return step.done ? { done: true, value: undefined } : { done: false, value: await resultFor(step.value) };
      },
      async return() {
        await source.return?.();
        return { done: true, value: undefined };
      },
      async throw(error: unknown) {
        await source.return?.();
        throw error;
      },
      [Symbol.asyncIterator]() {
        return results;
      },
    };
    return results;
  }

  #resultFor(event: unknown, args: ExecutionArgs, key: string): ExecutionResult | Promise<ExecutionResult> {
    const run = () => {
      this.executions += 1;
      return execute({ ...args, rootValue: event });
    };
    if (typeof event !== "object" || event === null) return run();
    let byDocument = this.#results.get(event);
    if (!byDocument) this.#results.set(event, (byDocument = new WeakMap()));
    let results = byDocument.get(args.document);
    if (!results) byDocument.set(args.document, (results = new Map()));
    let result = results.get(key);
    if (!result) results.set(key, (result = run()));
    return result;
  }
}

/**
 * An error as a client sees it: without the extensions meant for the server, `http` (the status
 * a refusal answers with over HTTP) and `unexpected` (set on masked errors), which Yoga leaves
 * out of HTTP responses too.
 */
export function publicError(error: GraphQLError): GraphQLFormattedError {
  const { extensions, ...formatted } = error.toJSON();
  if (!extensions) return formatted;
  const { http: _http, unexpected: _unexpected, ...forClients } = extensions;
  return Object.keys(forClients).length > 0 ? { ...formatted, extensions: forClients } : formatted;
}
