// Operations take turns by cost, so that many heavy requests at once do not all run
// interleaved: each would hold its rows and half-built answer in memory until the last one
// finishes, and the garbage collector's pauses on that heap stall the API's event loop
// (/healthz, websockets, light requests) for hundreds of milliseconds. In turns, the same
// work finishes as fast, one heavy answer after another, with a fraction of the heap.
import { GraphQLError, type ExecutionArgs, type ExecutionResult } from "graphql";
import type { Plugin } from "graphql-yoga";

export interface AdmissionLimits {
  /** The total cost (GRAPHQL_MAX_COST's units) of the operations executing at once. */
  maxCostInFlight: number;
  /** Operations waiting for their turn; one more is refused with 503 SERVICE_UNAVAILABLE. */
  maxQueued: number;
}

/** Operations this cheap (a page of tasks, a mutation) never wait behind heavy ones. */
const lightShareOfBudget = 0.01;

interface Waiter {
  units: number;
  admit: () => void;
}

/** The budget of cost executing at once, and the operations waiting for room in it, first come first served. */
export class CostAdmission {
  #inFlight = 0;
  readonly #waiting: Waiter[] = [];

  constructor(private readonly limits: AdmissionLimits) {}

  get queued(): number {
    return this.#waiting.length;
  }

  /**
   * Resolves with the function that gives the room back once `cost` fits; null when the
   * queue is full. Light operations go at once; an operation dearer than the whole budget
   * waits until it runs alone.
   */
  enter(cost: number, signal?: AbortSignal): Promise<(() => void) | "aborted"> | null {
    const units = Math.min(Math.max(cost, 1), this.limits.maxCostInFlight);
    const light = units <= this.limits.maxCostInFlight * lightShareOfBudget;
    if (light || (this.#waiting.length === 0 && this.#inFlight + units <= this.limits.maxCostInFlight)) {
      return Promise.resolve(this.#take(units));
    }
    if (this.#waiting.length >= this.limits.maxQueued) return null;
    return new Promise((resolve) => {
      const waiter: Waiter = { units, admit: () => resolve(this.#take(units)) };
      this.#waiting.push(waiter);
      signal?.addEventListener(
        "abort",
        () => {
          const index = this.#waiting.indexOf(waiter);
          if (index < 0) return;
          this.#waiting.splice(index, 1);
          resolve("aborted");
          // The one behind it may fit now.
          this.#admitWaiting();
        },
        { once: true },
      );
    });
  }

  #take(units: number): () => void {
    this.#inFlight += units;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#inFlight -= units;
      this.#admitWaiting();
    };
  }

  #admitWaiting(): void {
    while (this.#waiting.length > 0) {
      const next = this.#waiting[0]!;
      // Alone, it runs whatever its cost: the budget bounds sharing, not what one operation may be.
      if (this.#inFlight > 0 && this.#inFlight + next.units > this.limits.maxCostInFlight) return;
      this.#waiting.shift();
      next.admit();
    }
  }
}

/** A request error (no data): HTTP 503 with Retry-After, like a database outage. */
const busy = (): ExecutionResult => ({
  errors: [
    new GraphQLError("The server is busy with other operations: try again shortly", {
      extensions: { code: "SERVICE_UNAVAILABLE", http: { status: 503, headers: { "retry-after": "1" } } },
    }),
  ],
});

const abandoned = (): ExecutionResult => ({
  errors: [new GraphQLError("The request was abandoned while it waited for its turn", { extensions: { code: "REQUEST_ABORTED" } })],
});

/**
 * Queries and mutations, over HTTP and websocket, execute when their cost fits the budget;
 * subscriptions are not held back (their events are executed once for every subscriber).
 * `costOf` gives what the cost limit computed for the same execution.
 */
export function executionAdmission(admission: CostAdmission, costOf: (args: ExecutionArgs) => number | undefined): Plugin {
  return {
    onExecute: ({ args, executeFn, setExecuteFn }) => {
      setExecuteFn(async (executionArgs) => {
        const signal = (args.contextValue as { request?: Request } | undefined)?.request?.signal;
        const turn = admission.enter(costOf(args) ?? 1, signal);
        if (turn === null) return busy();
        const release = await turn;
        if (release === "aborted") return abandoned();
        try {
          return await executeFn(executionArgs);
        } finally {
          release();
        }
      });
    },
  };
}
