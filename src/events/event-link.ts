// Carries events between the buses of two threads over a MessagePort. What one bus emits and
// the other side consumes is posted (structured clone keeps Dates) and arrives there as
// received, so it never travels back. Events emitted in one turn of the event loop travel
// as one message: a claim of thousands of runs costs one post, not thousands.
import type { MessagePort } from "node:worker_threads";
import type { CronlineEvents, EventBus, EventName } from "./event-bus.js";

type EventMessage = [EventName, CronlineEvents[EventName]][];

/** Links `bus` to the bus at the other end of `port`; returns the function that unlinks. */
export function linkEventBus(bus: EventBus, port: MessagePort, peerConsumes: readonly EventName[]): () => void {
  const wanted = new Set(peerConsumes);
  let pending: EventMessage = [];
  const flush = () => {
    const batch = pending;
    pending = [];
    port.postMessage(batch);
  };
  const removeOutlet = bus.addOutlet((event, payload) => {
    if (!wanted.has(event)) return;
    if (pending.length === 0) setImmediate(flush);
    pending.push([event, payload]);
  });
  port.on("message", (batch: EventMessage) => {
    for (const [event, payload] of batch) bus.receive(event, payload);
  });
  // The link alone keeps no thread alive: the threads' owners decide when they end.
  port.unref();
  return () => {
    removeOutlet();
    port.close();
  };
}
