// Events between the API, the scheduler, the executor and the live subscriptions. Each
// thread has its own bus; event-link.ts carries events between the buses of one process, and
// on PostgreSQL the cluster relay (src/cluster/event-relay.ts) brings those of other processes.
// Listeners run synchronously and must not throw.
import { EventEmitter } from "node:events";
import type { NewRun, NewRunResult, RunReport, StepReport } from "../domain/runs.js";

export const taskChanges = ["CREATED", "UPDATED", "PAUSED", "RESUMED", "COMPLETED", "DELETED"] as const;
export type TaskChange = (typeof taskChanges)[number];

export type RunProgressType = "RUN_STARTED" | "STEP_STARTED" | "TARGET_FINISHED" | "STEP_FINISHED" | "RUN_FINISHED";

export interface CronlineEvents {
  /** A task was written by the API or completed by the scheduler. */
  taskChanged: { taskId: string; change: TaskChange };
  /** A scheduler moved these tasks on to their next occurrence (null: none left), writing this version. */
  tasksAdvanced: { tasks: { taskId: string; nextRunAt: Date | null; version: number }[] };
  /** Runs were created (QUEUED ones wait for the executor; SKIPPED ones are records). */
  runsCreated: { runs: NewRun[] };
  /** The other active runs of each task, queued before `runId`, must stop: it replaces them (CANCEL_PREVIOUS). */
  runsSuperseded: { runs: { taskId: string; runId: string }[] };
  /** These runs were set CANCELLED in the database: whoever executes them must stop now. */
  runsCancelled: { runIds: string[] };
  /** A run started, a workflow step started or ended (`step`), one attempt against one target ended (`result`), or the run ended. */
  runProgress: { type: RunProgressType; run: RunReport; result: NewRunResult | null; step?: StepReport | null };
  /** Another process ended these runs: runs of their tasks that it kept waiting may start (read nothing; ids only). */
  runsEndedElsewhere: { runIds: string[] };
  /** drainInstance: that instance claims and starts no new work from now on. */
  instanceDrained: { instanceId: string };
  /** Notifications from other processes may have been lost (the listening connection was down): look at the database. */
  notificationsLost: Record<string, never>;
}

export type EventName = keyof CronlineEvents;

/** What a writer needs of a bus: to emit what it did. */
export interface EventSink {
  emit<K extends EventName>(event: K, payload: CronlineEvents[K]): void;
}

/** Where this bus sends what it emits besides its own listeners (another thread's bus). */
export type EventOutlet = <K extends EventName>(event: K, payload: CronlineEvents[K]) => void;

export class EventBus implements EventSink {
  readonly #emitter = new EventEmitter().setMaxListeners(0);
  readonly #outlets = new Set<EventOutlet>();

  /** An event that happened here: for this bus's listeners and every outlet. */
  emit<K extends EventName>(event: K, payload: CronlineEvents[K]): void {
    this.#emitter.emit(event, payload);
    for (const outlet of this.#outlets) outlet(event, payload);
  }

  /** An event that happened on another bus: for this bus's listeners only, so it never travels back. */
  receive<K extends EventName>(event: K, payload: CronlineEvents[K]): void {
    this.#emitter.emit(event, payload);
  }

  /** Sends everything emitted here to `outlet` too; returns the function that stops it. */
  addOutlet(outlet: EventOutlet): () => void {
    this.#outlets.add(outlet);
    return () => this.#outlets.delete(outlet);
  }

  /** How many listen to the event: whoever subscribes must also let go (the live subscriptions are checked for it). */
  listenerCount(event: EventName): number {
    return this.#emitter.listenerCount(event);
  }

  /** Subscribes; returns the function that unsubscribes. */
  on<K extends EventName>(event: K, listener: (payload: CronlineEvents[K]) => void): () => void {
    this.#emitter.on(event, listener);
    return () => this.#emitter.off(event, listener);
  }
}
