// The stream behind one scheduleView subscription. At most one event waits for its reader
// (the socket): a reader that has not taken the last event gets, instead of a queue of old
// ticks, the latest tick (a CHANGES view's ticks merged, as each holds only what changed), or
// a fresh snapshot when anything else happened meanwhile. Pushing to it costs no promise
// unless a reader waits, which matters at thousands of subscribers per tick.
import { summaryAt } from "./task-summaries.js";
import type { ScheduleViewEvent, ScheduleViewMode } from "./live-schedule.js";

/** A CHANGES tick and the one after it as one: the later tick's time, the tasks of both (the later row of a task wins). */
function mergedTicks(earlier: ScheduleViewEvent, later: ScheduleViewEvent): ScheduleViewEvent {
  if (earlier.tasks.length === 0) return later;
  const tasks = new Map(earlier.tasks.map((task) => [task.id, summaryAt(task, later.at)]));
  for (const task of later.tasks) tasks.set(task.id, task);
  return { ...later, tasks: [...tasks.values()] };
}

export type PushViewEvent = (event: ScheduleViewEvent) => void;

export interface LatestViewStreamOptions {
  mode: ScheduleViewMode;
  /** A snapshot of the view as of now, for a reader that missed more than ticks. */
  snapshot: () => ScheduleViewEvent;
  /** Starts delivering to `push` (at the first read); resolves with how to stop. */
  open: (push: PushViewEvent) => Promise<() => void>;
}

const finished: IteratorReturnResult<undefined> = { done: true, value: undefined };

export class LatestViewStream implements AsyncIterableIterator<ScheduleViewEvent> {
  readonly #options: LatestViewStreamOptions;
  #pending: ScheduleViewEvent | "SNAPSHOT" | undefined;
  #reader: { resolve: (step: IteratorResult<ScheduleViewEvent>) => void; reject: (error: unknown) => void } | undefined;
  #state: "unopened" | "opening" | "open" | "ended" = "unopened";
  #close: (() => void) | undefined;

  constructor(options: LatestViewStreamOptions) {
    this.#options = options;
  }

  /** Hands the event to a waiting reader, or keeps it as the latest for the next read. */
  readonly push: PushViewEvent = (event) => {
    if (this.#state === "ended") return;
    const reader = this.#reader;
    if (reader) {
      this.#reader = undefined;
      return reader.resolve({ done: false, value: event });
    }
    const pending = this.#pending;
    if (pending === undefined) this.#pending = event;
    else if (pending !== "SNAPSHOT" && pending.kind === "TICK" && event.kind === "TICK") this.#pending = this.#options.mode === "FULL" ? event : mergedTicks(pending, event);
    else this.#pending = "SNAPSHOT";
  };

  next(): Promise<IteratorResult<ScheduleViewEvent>> {
    if (this.#state === "unopened") this.#open();
    const pending = this.#pending;
    if (pending !== undefined) {
      this.#pending = undefined;
      return Promise.resolve({ done: false, value: pending === "SNAPSHOT" ? this.#options.snapshot() : pending });
    }
    if (this.#state === "ended") return Promise.resolve(finished);
    // One reader at a time, as graphql-ws and Yoga read: a second next() replaces the first's wait.
    return new Promise((resolve, reject) => (this.#reader = { resolve, reject }));
  }

  /** Ends the stream: a waiting reader is told it is done, and the view lets it go. */
  end(): void {
    if (this.#state === "ended") return;
    const wasOpen = this.#state === "open";
    this.#state = "ended";
    this.#pending = undefined;
    this.#reader?.resolve(finished);
    this.#reader = undefined;
    if (wasOpen) this.#close!();
  }

  return(): Promise<IteratorReturnResult<undefined>> {
    this.end();
    return Promise.resolve(finished);
  }

  throw(error: unknown): Promise<IteratorReturnResult<undefined>> {
    this.end();
    return Promise.reject(error);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  #open(): void {
    this.#state = "opening";
    this.#options.open(this.push).then(
      (close) => {
        // Ended while it was opening: let go at once.
        if (this.#state === "ended") return close();
        this.#state = "open";
        this.#close = close;
      },
      (error: unknown) => {
        this.#state = "ended";
        this.#reader?.reject(error);
        this.#reader = undefined;
      },
    );
  }
}
