// The stream behind one taskEvents or runEvents subscription. Events wait here until the
// subscriber (its socket) takes them; a subscriber that stops taking them is cut off with an
// error rather than holding memory without end. A burst of events is not a reason: a reader
// that keeps taking events keeps its stream, however many arrived at once.
import { Repeater, type RepeaterBuffer } from "@repeaterjs/repeater";
import { GraphQLError } from "graphql";

export interface ReaderLimits {
  /** A subscriber with unread events that takes none for this long is cut off. */
  stalledReaderMs: number;
  /** More unread events than this cut a subscriber off at once, reading or not: the memory bound. */
  maxUnreadEvents: number;
}

export const defaultReaderLimits: ReaderLimits = { stalledReaderMs: 10_000, maxUnreadEvents: 10_000 };

/** Unread events, in order; `taken` hears of every event the reader takes. */
class UnreadEvents<T> implements RepeaterBuffer<T> {
  #events: T[] = [];
  constructor(private readonly taken: () => void) {}
  get empty(): boolean {
    return this.#events.length === 0;
  }
  // The limit is applied before pushing (see boundedStream), so the Repeater never queues pushes.
  get full(): boolean {
    return false;
  }
  get length(): number {
    return this.#events.length;
  }
  add(event: T): void {
    this.#events.push(event);
  }
  remove(): T {
    const event = this.#events.shift()!;
    this.taken();
    return event;
  }
  clear(): void {
    this.#events = [];
  }
}

const cutOff = (why: string) =>
  new GraphQLError(`The subscription was cut off: ${why}. Subscribe again to continue.`, { extensions: { code: "SUBSCRIBER_TOO_SLOW" } });

/**
 * `listen` starts delivering events (and returns how to stop); the stream ends with a
 * SUBSCRIBER_TOO_SLOW error when the reader falls behind for good.
 */
export function boundedStream<T>(
  limits: ReaderLimits,
  listen: (push: (event: T) => void, stop: () => void) => Promise<() => void>,
): Repeater<T> {
  let stalled: NodeJS.Timeout | undefined;
  // Once the stream has stopped, taking what is left unread arms no timer.
  let stopped = false;
  let fail: (error: GraphQLError) => void = () => {};
  // Restarted whenever the reader takes an event, so it measures how long the reader has not read.
  const watch = () => {
    clearTimeout(stalled);
    if (stopped) return;
    stalled = unread.empty ? undefined : setTimeout(() => fail(cutOff(`no event was read for ${limits.stalledReaderMs} ms`)), limits.stalledReaderMs);
  };
  const unread = new UnreadEvents<T>(watch);
  return new Repeater<T>(async (push, stop) => {
    fail = (error) => {
      // What is unread is dropped: the subscriber gets the error now, not after the backlog.
      unread.clear();
      stop(error);
    };
    const unlisten = await listen(
      (event) => {
        if (unread.length >= limits.maxUnreadEvents) return fail(cutOff(`more than ${limits.maxUnreadEvents} events were left unread`));
        void push(event);
        if (stalled === undefined && !unread.empty) watch();
      },
      () => stop(),
    );
    await stop;
    stopped = true;
    clearTimeout(stalled);
    unlisten();
  }, unread);
}
