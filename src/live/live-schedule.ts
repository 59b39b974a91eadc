// The live schedule behind the subscriptions. One in-memory table of task summaries, loaded
// when the first subscriber arrives and kept current from the event bus; one ticker for all
// views; each distinct view (filter and tick) computes its countdowns once per tick and
// hands the same event to all of its subscribers.
import { Repeater, FixedBuffer, type RepeaterBuffer } from "@repeaterjs/repeater";
import type { DbClient } from "../db/database.js";
import { reportOfNewRun, type NewRun, type NewRunResult, type RunReport } from "../domain/runs.js";
import type { TaskState } from "../domain/task-policies.js";
import type { CronlineEvents, EventBus, TaskChange } from "../events/event-bus.js";
import type { Logger } from "../logger.js";
import { loadTaskSummaries, summaryAt, type TaskSummary, type TaskSummaryAt } from "./task-summaries.js";

/** Which tasks a view shows; an empty list does not restrict. Tags match when the task has any of them. */
export interface TaskFilter {
  tags: string[];
  states: TaskState[];
  taskIds: string[];
  serviceIds: string[];
}

/** What happened to a run; `result` is the attempt a TARGET_FINISHED is about. */
export interface RunEvent {
  type: "RUN_QUEUED" | "RUN_STARTED" | "TARGET_FINISHED" | "RUN_FINISHED";
  run: RunReport;
  result: NewRunResult | null;
}

export const scheduleViewEventKinds = ["SNAPSHOT", "TICK", "TASK_CHANGED", "TASK_REMOVED", "RUNS"] as const;
export type ScheduleViewEventKind = (typeof scheduleViewEventKinds)[number];

export interface ScheduleViewEvent {
  kind: ScheduleViewEventKind;
  /** When the server made the event. */
  at: Date;
  /** SNAPSHOT and TICK: every task in view; otherwise the tasks the event is about. */
  tasks: TaskSummaryAt[];
  change: TaskChange | null;
  removedTaskIds: string[];
  runs: RunReport[];
}

export interface TaskEvent {
  change: TaskChange;
  taskId: string;
  /** Null once the task is deleted. */
  task: TaskSummaryAt | null;
}

export interface LiveScheduleOptions {
  db: DbClient;
  events: EventBus;
  clock: () => number;
  logger: Logger;
  /** Events a taskEvents or runEvents subscriber may leave unread before it is cut off. */
  bufferLimit?: number;
}

const matches = (filter: TaskFilter, task: TaskSummary | undefined): task is TaskSummary =>
  task !== undefined &&
  (filter.states.length === 0 || filter.states.includes(task.state)) &&
  (filter.taskIds.length === 0 || filter.taskIds.includes(task.id)) &&
  (filter.serviceIds.length === 0 || filter.serviceIds.includes(task.serviceId)) &&
  (filter.tags.length === 0 || filter.tags.some((tag) => task.tags.includes(tag)));

/**
 * Keeps at most one event for a reader that has not taken the last one: ticks replace ticks,
 * and anything else collapses into a fresh snapshot, so a lagging client skips to the
 * present instead of working through old countdowns.
 */
class LatestViewBuffer implements RepeaterBuffer<ScheduleViewEvent> {
  #pending: ScheduleViewEvent | undefined;
  constructor(private readonly snapshot: () => ScheduleViewEvent) {}
  get empty(): boolean {
    return this.#pending === undefined;
  }
  get full(): boolean {
    return false;
  }
  add(event: ScheduleViewEvent): void {
    const bothTicks = this.#pending?.kind === "TICK" && event.kind === "TICK";
    this.#pending = this.#pending === undefined || bothTicks ? event : this.snapshot();
  }
  remove(): ScheduleViewEvent {
    const event = this.#pending!;
    this.#pending = undefined;
    return event;
  }
}

type Push<T> = (value: T) => unknown;

/** One distinct filter and tick: its subscribers share every event. */
class ScheduleView {
  readonly subscribers = new Set<Push<ScheduleViewEvent>>();
  constructor(
    readonly filter: TaskFilter,
    readonly tickSeconds: number,
    readonly firstBeat: number,
  ) {}

  broadcast(event: ScheduleViewEvent): void {
    for (const push of this.subscribers) void push(event);
  }
}

const emptyEvent = (kind: ScheduleViewEventKind, at: Date): ScheduleViewEvent => ({ kind, at, tasks: [], change: null, removedTaskIds: [], runs: [] });

export class LiveSchedule {
  readonly #db: DbClient;
  readonly #events: EventBus;
  readonly #clock: () => number;
  readonly #logger: Logger;
  readonly #bufferLimit: number;
  readonly #summaries = new Map<string, TaskSummary>();
  readonly #views = new Map<string, ScheduleView>();
  readonly #taskListeners = new Set<{ filter: TaskFilter; push: (event: TaskEvent) => void }>();
  readonly #runListeners = new Set<(events: RunEvent[]) => void>();
  /** Database reads, one after the other, so a later read never loses to an earlier one. */
  #reads: Promise<void> | undefined;
  #unsubscribe: (() => void)[] = [];
  #ticker: NodeJS.Timeout | undefined;
  #beat = 0;
  #openStreams = 0;

  constructor(options: LiveScheduleOptions) {
    this.#db = options.db;
    this.#events = options.events;
    this.#clock = options.clock;
    this.#logger = options.logger.child({ component: "live-schedule" });
    this.#bufferLimit = options.bufferLimit ?? 1_000;
  }

  /** A snapshot of the tasks in view, then a tick every tickSeconds and every change at once. */
  scheduleView(filter: TaskFilter, tickSeconds: number): AsyncIterableIterator<ScheduleViewEvent> {
    const key = JSON.stringify([filter, tickSeconds]);
    let view: ScheduleView | undefined;
    return new Repeater<ScheduleViewEvent>(async (push, stop) => {
      await this.#attach();
      view = this.#views.get(key) ?? new ScheduleView(filter, tickSeconds, this.#beat);
      this.#views.set(key, view);
      view.subscribers.add(push);
      void push(this.#viewEvent(view, "SNAPSHOT"));
      await stop;
      view.subscribers.delete(push);
      if (view.subscribers.size === 0) this.#views.delete(key);
      this.#release();
    }, new LatestViewBuffer(() => this.#viewEvent(view!, "SNAPSHOT")));
  }

  /** Every change of a matching task, with its summary. */
  taskEvents(filter: TaskFilter): AsyncIterableIterator<TaskEvent> {
    return this.#boundedStream<TaskEvent>(async (push) => {
      const listener = { filter, push };
      this.#taskListeners.add(listener);
      return () => this.#taskListeners.delete(listener);
    });
  }

  /** What happens to runs, in batches as it happens. */
  runEvents(): AsyncIterableIterator<RunEvent[]> {
    return this.#boundedStream<RunEvent[]>(async (push) => {
      this.#runListeners.add(push);
      return () => this.#runListeners.delete(push);
    });
  }

  /** Stops feeding every stream (server shutdown; the sockets close next). */
  close(): void {
    for (const view of this.#views.values()) view.subscribers.clear();
    this.#views.clear();
    this.#taskListeners.clear();
    this.#runListeners.clear();
    this.#detach();
  }

  /** A stream that ends with an error when its reader falls more than bufferLimit events behind. */
  #boundedStream<T>(listen: (push: (value: T) => void) => Promise<() => void>): AsyncIterableIterator<T> {
    const buffer = new FixedBuffer(this.#bufferLimit);
    return new Repeater<T>(async (push, stop) => {
      await this.#attach();
      const unlisten = await listen((value) => {
        if (buffer.full) stop(new Error(`the subscriber fell more than ${this.#bufferLimit} events behind and was cut off`));
        else void push(value);
      });
      await stop;
      unlisten();
      this.#release();
    }, buffer);
  }

  #viewEvent(view: ScheduleView, kind: "SNAPSHOT" | "TICK"): ScheduleViewEvent {
    const at = new Date(this.#clock());
    const tasks: TaskSummaryAt[] = [];
    for (const task of this.#summaries.values()) if (matches(view.filter, task)) tasks.push(summaryAt(task, at));
    return { ...emptyEvent(kind, at), tasks };
  }

  /** Loads the summaries and starts listening when the first stream opens; every stream calls #release when it ends. */
  async #attach(): Promise<void> {
    this.#openStreams += 1;
    if (this.#unsubscribe.length === 0) {
      this.#unsubscribe = [
        this.#events.on("taskChanged", ({ taskId, change }) => this.#read(() => this.#taskChanged(taskId, change))),
        this.#events.on("tasksAdvanced", ({ tasks }) => this.#tasksAdvanced(tasks)),
        this.#events.on("runsCreated", ({ runs }) => this.#runsCreated(runs)),
        this.#events.on("runProgress", (event) => this.#runProgress(event)),
      ];
      this.#read(async () => {
        for (const summary of await loadTaskSummaries(this.#db)) this.#summaries.set(summary.id, summary);
      });
      this.#ticker = setInterval(() => this.#tick(), 1_000);
    }
    await this.#reads;
  }

  #release(): void {
    this.#openStreams -= 1;
    if (this.#openStreams === 0) this.#detach();
  }

  #detach(): void {
    for (const unsubscribe of this.#unsubscribe) unsubscribe();
    this.#unsubscribe = [];
    clearInterval(this.#ticker);
    this.#summaries.clear();
  }

  #read(work: () => Promise<void>): void {
    this.#reads = (this.#reads ?? Promise.resolve())
      .then(work)
      .catch((error: unknown) => this.#logger.warn({ err: error }, "could not refresh the live schedule"));
  }

  #tick(): void {
    this.#beat += 1;
    for (const view of this.#views.values()) {
      if ((this.#beat - view.firstBeat) % view.tickSeconds === 0) view.broadcast(this.#viewEvent(view, "TICK"));
    }
  }

  async #taskChanged(taskId: string, change: TaskChange): Promise<void> {
    const before = this.#summaries.get(taskId);
    const [after] = change === "DELETED" ? [] : await loadTaskSummaries(this.#db, [taskId]);
    if (after) this.#summaries.set(taskId, after);
    else this.#summaries.delete(taskId);
    const at = new Date(this.#clock());
    const summary = after ? summaryAt(after, at) : null;
    for (const view of this.#views.values()) {
      if (matches(view.filter, after)) view.broadcast({ ...emptyEvent("TASK_CHANGED", at), change, tasks: [summary!] });
      else if (matches(view.filter, before)) view.broadcast({ ...emptyEvent("TASK_REMOVED", at), change, removedTaskIds: [taskId] });
    }
    for (const listener of this.#taskListeners) {
      if (matches(listener.filter, after ?? before)) listener.push({ change, taskId, task: summary });
    }
  }

  #tasksAdvanced(tasks: CronlineEvents["tasksAdvanced"]["tasks"]): void {
    for (const { taskId, nextRunAt } of tasks) {
      const summary = this.#summaries.get(taskId);
      if (summary) summary.nextRunAt = nextRunAt;
    }
  }

  #runsCreated(runs: NewRun[]): void {
    const events = runs.map((run): RunEvent => ({ type: run.status === "SKIPPED" ? "RUN_FINISHED" : "RUN_QUEUED", run: reportOfNewRun(run), result: null }));
    this.#runsChanged(events.filter((event) => event.run.status !== "SKIPPED").map((event) => event.run), (summary, run) => {
      summary.lastRunAt = run.scheduledFor;
      summary.lastRunStatus = run.status;
    });
    this.#broadcastRuns(events.map((event) => event.run));
    for (const listener of this.#runListeners) listener(events);
  }

  #runProgress(event: RunEvent): void {
    if (event.type === "RUN_STARTED" || (event.type === "RUN_FINISHED" && event.run.status !== "SKIPPED")) {
      this.#runsChanged([event.run], (summary, run) => {
        if (run.startedAt) summary.lastRunAt = run.startedAt;
        summary.lastRunStatus = run.status;
      });
    }
    // Each attempt against each target is for runEvents only: a schedule table shows runs.
    if (event.type !== "TARGET_FINISHED") this.#broadcastRuns([event.run]);
    for (const listener of this.#runListeners) listener([event]);
  }

  /** Brings the summaries of these runs' tasks up to date, as the executor does in the database. */
  #runsChanged(runs: RunReport[], apply: (summary: TaskSummary, run: RunReport) => void): void {
    for (const run of runs) {
      const summary = this.#summaries.get(run.taskId);
      if (summary) apply(summary, run);
    }
  }

  #broadcastRuns(runs: RunReport[]): void {
    const at = new Date(this.#clock());
    for (const view of this.#views.values()) {
      const inView = runs.filter((run) => matches(view.filter, this.#summaries.get(run.taskId)));
      if (inView.length === 0) continue;
      const taskIds = [...new Set(inView.map((run) => run.taskId))];
      view.broadcast({ ...emptyEvent("RUNS", at), runs: inView, tasks: taskIds.map((id) => summaryAt(this.#summaries.get(id)!, at)) });
    }
  }
}
