// The live schedule behind the subscriptions. One in-memory table of task summaries, loaded
// when the first subscriber arrives and kept current from the event bus, which also carries
// what other Cronline processes do (on PostgreSQL), with a periodic look at the database in
// case some of it was lost (and for what no event tells: a service renamed); one ticker for all views;
// each distinct view (filter and tick) computes its countdowns once per tick and hands the
// same event to all of its subscribers.
import type { DbClient } from "../db/database.js";
import type { DatabaseProvider } from "../db/prisma-schema.js";
import { reportOfNewRun, type NewRun, type NewRunResult, type RunReport, type RunStatus, type StepReport } from "../domain/runs.js";
import type { TaskState } from "../domain/task-policies.js";
import type { CronlineEvents, EventBus, RunProgressType, TaskChange } from "../events/event-bus.js";
import type { Logger } from "../logger.js";
import { boundedStream, defaultReaderLimits, type ReaderLimits } from "./bounded-stream.js";
import { LatestViewStream, type PushViewEvent } from "./latest-view-stream.js";
import { loadServiceNames, loadTaskFingerprints, loadTaskSummaries, summaryAt, type TaskFingerprint, type TaskSummary, type TaskSummaryAt } from "./task-summaries.js";

/** Which tasks a view shows; an empty list does not restrict. Tags match when the task has any of them. */
export interface TaskFilter {
  tags: string[];
  states: TaskState[];
  taskIds: string[];
  serviceIds: string[];
}

/** Which run events a runEvents subscriber gets; null and empty lists do not restrict. */
export interface RunEventFilter {
  taskId: string | null;
  runId: string | null;
  /** The run's status after the event. */
  statuses: RunStatus[];
}

/** What happened to a run; `result` is the attempt a TARGET_FINISHED is about. */
export interface RunEvent {
  type: "RUN_QUEUED" | RunProgressType;
  run: RunReport;
  result: NewRunResult | null;
  /** For STEP_STARTED and STEP_FINISHED: the step. */
  step?: StepReport | null;
}

export const scheduleViewEventKinds = ["SNAPSHOT", "TICK", "TASK_CHANGED", "TASK_REMOVED", "RUNS"] as const;
export type ScheduleViewEventKind = (typeof scheduleViewEventKinds)[number];

/**
 * What a view's TICK holds: FULL, every task in view with its countdown; CHANGES, only the
 * tasks that changed since the view's previous event without an event of their own (a task
 * whose countdown merely went down has not changed), for clients that count down themselves.
 */
export const scheduleViewModes = ["FULL", "CHANGES"] as const;
export type ScheduleViewMode = (typeof scheduleViewModes)[number];

export interface ScheduleViewEvent {
  kind: ScheduleViewEventKind;
  /** When the server made the event. */
  at: Date;
  /** SNAPSHOT and a FULL view's TICK: every task in view; otherwise the tasks the event is about. */
  tasks: TaskSummaryAt[];
  /** TASK_CHANGED and TASK_REMOVED: what happened; null when another process only moved the task's next or last run, or its service was renamed. */
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
  provider: DatabaseProvider;
  events: EventBus;
  clock: () => number;
  logger: Logger;
  /** How often, while anyone subscribes, to look for tasks other Cronline processes changed. */
  resyncIntervalMs: number;
  /** When a taskEvents or runEvents subscriber that stopped reading is cut off. */
  readerLimits?: ReaderLimits;
}

const matches = (filter: TaskFilter, task: TaskSummary | undefined): task is TaskSummary =>
  task !== undefined &&
  (filter.states.length === 0 || filter.states.includes(task.state)) &&
  (filter.taskIds.length === 0 || filter.taskIds.includes(task.id)) &&
  (filter.serviceIds.length === 0 || filter.serviceIds.includes(task.serviceId)) &&
  (filter.tags.length === 0 || filter.tags.some((tag) => task.tags.includes(tag)));

const runMatches = (filter: RunEventFilter, run: RunReport): boolean =>
  (filter.taskId === null || run.taskId === filter.taskId) &&
  (filter.runId === null || run.id === filter.runId) &&
  (filter.statuses.length === 0 || filter.statuses.includes(run.status));

/** The same filter however its lists are ordered, so equal filters share one view. */
const viewKey = (filter: TaskFilter, tickSeconds: number, mode: ScheduleViewMode): string =>
  JSON.stringify([[...filter.tags].sort(), [...filter.states].sort(), [...filter.taskIds].sort(), [...filter.serviceIds].sort(), tickSeconds, mode]);

const sameStrings = (a: string[], b: string[]) => a.length === b.length && a.every((value, index) => value === b[index]);
const sameInstant = (a: Date | null, b: Date | null) => (a?.getTime() ?? null) === (b?.getTime() ?? null);

/**
 * What another process did to a task, told from its summary before and after: undefined when
 * nothing shown changed; null when only its schedule position or last run moved.
 */
function changeBetween(before: TaskSummary | undefined, after: TaskSummary, written: boolean): TaskChange | null | undefined {
  if (!before) return "CREATED";
  if (before.state !== after.state) {
    if (after.state === "PAUSED") return "PAUSED";
    if (after.state === "COMPLETED") return "COMPLETED";
    return before.state === "PAUSED" ? "RESUMED" : "UPDATED";
  }
  const edited =
    before.name !== after.name || before.serviceId !== after.serviceId || before.serviceName !== after.serviceName ||
    before.pauseNote !== after.pauseNote || !sameStrings(before.tags, after.tags) ||
    before.timezone !== after.timezone || JSON.stringify(before.schedule) !== JSON.stringify(after.schedule);
  if (written || edited) return "UPDATED";
  const moved =
    !sameInstant(before.nextRunAt, after.nextRunAt) || !sameInstant(before.lastRunAt, after.lastRunAt) || before.lastRunStatus !== after.lastRunStatus;
  return moved ? null : undefined;
}

/** One distinct filter, tick and mode: its subscribers share every event. */
class ScheduleView {
  readonly subscribers = new Set<PushViewEvent>();
  /** CHANGES: the tasks in view that changed since the view's last event without an event of their own, for the next tick. */
  readonly unsent = new Set<string>();
  constructor(
    readonly filter: TaskFilter,
    readonly tickSeconds: number,
    readonly mode: ScheduleViewMode,
    readonly firstBeat: number,
  ) {}

  broadcast(event: ScheduleViewEvent): void {
    // What an event carries, its subscribers have: the next tick need not repeat it.
    for (const task of event.tasks) this.unsent.delete(task.id);
    for (const push of this.subscribers) push(event);
  }
}

const emptyEvent = (kind: ScheduleViewEventKind, at: Date): ScheduleViewEvent => ({ kind, at, tasks: [], change: null, removedTaskIds: [], runs: [] });

/** The tasks as the live views know them, for as long as anyone subscribes. */
interface LiveTable {
  summaries: Map<string, TaskSummary>;
  /** As of the last read of each task, to tell what other processes changed since. */
  fingerprints: Map<string, TaskFingerprint>;
  /**
   * The fingerprint at which a resync announced a change of a task: a resync can read a
   * change this process made before the event about it is applied, which then has nothing
   * more to announce.
   */
  announcedByResync: Map<string, string>;
}

const emptyTable = (): LiveTable => ({ summaries: new Map(), fingerprints: new Map(), announcedByResync: new Map() });

/** When a run became its task's latest, as the database records it in Task.lastRunAt: its start, or when it was due while queued. */
const runTime = (run: RunReport): Date => run.startedAt ?? run.scheduledFor;

export class LiveSchedule {
  readonly #db: DbClient;
  readonly #provider: DatabaseProvider;
  readonly #events: EventBus;
  readonly #clock: () => number;
  readonly #logger: Logger;
  readonly #resyncIntervalMs: number;
  readonly #readerLimits: ReaderLimits;
  #table: LiveTable = emptyTable();
  readonly #views = new Map<string, ScheduleView>();
  readonly #taskListeners = new Set<{ filter: TaskFilter; push: (event: TaskEvent) => void }>();
  readonly #runListeners = new Set<(event: RunEvent) => void>();
  /** Ends each open stream (server shutdown). */
  readonly #stops = new Set<() => void>();
  /**
   * Every change to the table, one after the other: events wait for an earlier database read,
   * so a read that resolves late never overwrites what a later event applied.
   */
  #changes: Promise<void> = Promise.resolve();
  #unsubscribe: (() => void)[] = [];
  #ticker: NodeJS.Timeout | undefined;
  #resync: NodeJS.Timeout | undefined;
  #resyncPending = false;
  #beat = 0;
  #openStreams = 0;
  #closed = false;

  constructor(options: LiveScheduleOptions) {
    this.#db = options.db;
    this.#provider = options.provider;
    this.#events = options.events;
    this.#clock = options.clock;
    this.#logger = options.logger.child({ component: "live-schedule" });
    this.#resyncIntervalMs = options.resyncIntervalMs;
    this.#readerLimits = options.readerLimits ?? defaultReaderLimits;
  }

  /** A snapshot of the tasks in view, then a tick every tickSeconds and every change at once. */
  scheduleView(filter: TaskFilter, tickSeconds: number, mode: ScheduleViewMode = "FULL"): AsyncIterableIterator<ScheduleViewEvent> {
    const key = viewKey(filter, tickSeconds, mode);
    let view: ScheduleView | undefined;
    const stream: LatestViewStream = new LatestViewStream({
      mode,
      snapshot: () => this.#viewEvent(view!, "SNAPSHOT"),
      open: async (push) => {
        const end = () => stream.end();
        this.#stops.add(end);
        if (this.#closed) end();
        await this.#attach();
        const shown = (view = this.#views.get(key) ?? new ScheduleView(filter, tickSeconds, mode, this.#beat));
        this.#views.set(key, shown);
        shown.subscribers.add(push);
        push(this.#viewEvent(shown, "SNAPSHOT"));
        return () => {
          this.#stops.delete(end);
          shown.subscribers.delete(push);
          if (shown.subscribers.size === 0 && this.#views.get(key) === shown) this.#views.delete(key);
          this.#release();
        };
      },
    });
    return stream;
  }

  /** Every change of a task that matches the filter before or after it. */
  taskEvents(filter: TaskFilter): AsyncIterableIterator<TaskEvent> {
    return this.#boundedStream<TaskEvent>((push) => {
      const listener = { filter, push };
      this.#taskListeners.add(listener);
      return () => this.#taskListeners.delete(listener);
    });
  }

  /** What happens to the runs the filter selects, as it happens. */
  runEvents(filter: RunEventFilter): AsyncIterableIterator<RunEvent> {
    return this.#boundedStream<RunEvent>((push) => {
      const listener = (event: RunEvent) => {
        if (runMatches(filter, event.run)) push(event);
      };
      this.#runListeners.add(listener);
      return () => this.#runListeners.delete(listener);
    });
  }

  /** Ends every stream (server shutdown: SSE responses finish, websocket subscriptions complete); none open after this. */
  close(): void {
    this.#closed = true;
    for (const stop of [...this.#stops]) stop();
  }

  #boundedStream<T>(listen: (push: (event: T) => void) => () => void): AsyncIterableIterator<T> {
    return boundedStream<T>(this.#readerLimits, async (push, stop) => {
      this.#stops.add(stop);
      if (this.#closed) stop();
      // Listening before the table is loaded loses nothing: events reach listeners only once they are applied, after the load.
      const unlisten = listen(push);
      await this.#attach();
      return () => {
        this.#stops.delete(stop);
        unlisten();
        this.#release();
      };
    });
  }

  #viewEvent(view: ScheduleView, kind: "SNAPSHOT" | "TICK", at = new Date(this.#clock())): ScheduleViewEvent {
    const tasks: TaskSummaryAt[] = [];
    const { summaries } = this.#table;
    if (kind === "TICK" && view.mode === "CHANGES") {
      for (const id of view.unsent) {
        const task = summaries.get(id);
        if (matches(view.filter, task)) tasks.push(summaryAt(task, at));
      }
      view.unsent.clear();
    } else {
      for (const task of summaries.values()) if (matches(view.filter, task)) tasks.push(summaryAt(task, at));
    }
    return { ...emptyEvent(kind, at), tasks };
  }

  /** Loads the table and starts listening when the first stream opens; every stream calls #release when it ends. */
  async #attach(): Promise<void> {
    this.#openStreams += 1;
    if (this.#openStreams === 1) {
      const table = emptyTable();
      this.#table = table;
      this.#unsubscribe = [
        this.#events.on("taskChanged", ({ taskId, change }) => this.#change(() => this.#taskChanged(table, taskId, change))),
        this.#events.on("tasksAdvanced", ({ tasks }) => this.#change(() => this.#tasksAdvanced(table, tasks))),
        this.#events.on("runsCreated", ({ runs }) => this.#change(() => this.#runsCreated(table, runs))),
        this.#events.on("runProgress", (event) => this.#change(() => this.#runProgress(table, event))),
        // Other instances' events may have been lost: the database has what they said.
        this.#events.on("notificationsLost", () => this.#queueResync(table)),
      ];
      this.#change(async () => {
        for (const { summary, fingerprint } of await loadTaskSummaries(this.#db, this.#provider)) {
          table.summaries.set(summary.id, summary);
          table.fingerprints.set(summary.id, fingerprint);
        }
      });
      this.#ticker = setInterval(() => this.#tick(), 1_000);
      this.#resync = setInterval(() => this.#queueResync(table), this.#resyncIntervalMs);
    }
    await this.#changes;
  }

  #release(): void {
    this.#openStreams -= 1;
    if (this.#openStreams > 0) return;
    for (const unsubscribe of this.#unsubscribe) unsubscribe();
    this.#unsubscribe = [];
    clearInterval(this.#ticker);
    clearInterval(this.#resync);
    // Changes still queued apply to this table, which nothing reads any more.
    this.#table = emptyTable();
  }

  /** One resync waits at a time: a look at the database that outlasts the interval does not pile up more behind it. */
  #queueResync(table: LiveTable): void {
    if (this.#resyncPending) return;
    this.#resyncPending = true;
    this.#change(async () => {
      try {
        await this.#resyncWithDatabase(table);
      } finally {
        this.#resyncPending = false;
      }
    });
  }

  #change(work: () => void | Promise<void>): void {
    this.#changes = this.#changes
      .then(work)
      .catch((error: unknown) => this.#logger.warn({ err: error }, "could not refresh the live schedule"));
  }

  /** Every view due ticks as of the same instant, so views of one beat show the same countdowns. */
  #tick(): void {
    this.#beat += 1;
    const at = new Date(this.#clock());
    for (const view of this.#views.values()) {
      if ((this.#beat - view.firstBeat) % view.tickSeconds === 0) view.broadcast(this.#viewEvent(view, "TICK", at));
    }
  }

  async #taskChanged(table: LiveTable, taskId: string, reported: TaskChange): Promise<void> {
    const [after] = reported === "DELETED" ? [] : await loadTaskSummaries(this.#db, this.#provider, [taskId]);
    // An event that comes late (a busy process, a slow notification) may find its task
    // deleted since: what the subscribers learn then is the deletion, and the deletion's own
    // event, finding the task gone from the table, is not announced twice.
    const change = after ? reported : "DELETED";
    const announced = table.announcedByResync.get(taskId);
    table.announcedByResync.delete(taskId);
    const alreadyAnnounced = change === "DELETED" ? !table.summaries.has(taskId) : after !== undefined && after.fingerprint.key === announced;
    if (alreadyAnnounced) return;
    if (after) table.fingerprints.set(taskId, after.fingerprint);
    else table.fingerprints.delete(taskId);
    this.#applyTaskChange(table, taskId, change, after?.summary);
  }

  /** Finds the tasks other processes created, changed or deleted, and the services renamed, since the last look, and tells the subscribers. */
  async #resyncWithDatabase(table: LiveTable): Promise<void> {
    const current = await loadTaskFingerprints(this.#db);
    const changedIds = [...current].filter(([id, fingerprint]) => table.fingerprints.get(id)?.key !== fingerprint.key).map(([id]) => id);
    const loaded = changedIds.length > 0 ? await loadTaskSummaries(this.#db, this.#provider, changedIds) : [];
    for (const { summary, fingerprint } of loaded) {
      const written = fingerprint.writtenAt !== table.fingerprints.get(summary.id)?.writtenAt;
      table.fingerprints.set(summary.id, fingerprint);
      const change = changeBetween(table.summaries.get(summary.id), summary, written);
      if (change === undefined) table.summaries.set(summary.id, summary);
      else this.#applyTaskChange(table, summary.id, change, summary);
      if (change) table.announcedByResync.set(summary.id, fingerprint.key);
    }
    for (const id of [...table.summaries.keys()].filter((id) => !current.has(id))) {
      table.fingerprints.delete(id);
      table.announcedByResync.delete(id);
      this.#applyTaskChange(table, id, "DELETED", undefined);
    }
    // Renamed services (by this process or another): the rows show their names.
    const serviceNames = await loadServiceNames(this.#db);
    for (const summary of [...table.summaries.values()]) {
      const serviceName = serviceNames.get(summary.serviceId);
      if (serviceName !== undefined && serviceName !== summary.serviceName) this.#applyTaskChange(table, summary.id, null, { ...summary, serviceName });
    }
  }

  /** Puts the task's new summary (none: deleted) in the table and tells every view and listener it concerns. */
  #applyTaskChange(table: LiveTable, taskId: string, change: TaskChange | null, after: TaskSummary | undefined): void {
    const before = table.summaries.get(taskId);
    if (after) table.summaries.set(taskId, after);
    else table.summaries.delete(taskId);
    if (table !== this.#table) return;
    const at = new Date(this.#clock());
    const summary = after ? summaryAt(after, at) : null;
    for (const view of this.#views.values()) {
      if (matches(view.filter, after)) view.broadcast({ ...emptyEvent("TASK_CHANGED", at), change, tasks: [summary!] });
      else if (matches(view.filter, before)) view.broadcast({ ...emptyEvent("TASK_REMOVED", at), change, removedTaskIds: [taskId] });
    }
    if (change === null) return;
    // One event object for every listener, so its result is executed and serialized once.
    const event: TaskEvent = { change, taskId, task: summary };
    for (const listener of this.#taskListeners) {
      // A task that leaves the filter is reported too: it is the last the subscriber hears of it.
      if (matches(listener.filter, after) || matches(listener.filter, before)) listener.push(event);
    }
  }

  /** A task's next run moved on (it fired): no event of its own, its views' next tick shows it. */
  #tasksAdvanced(table: LiveTable, tasks: CronlineEvents["tasksAdvanced"]["tasks"]): void {
    for (const { taskId, nextRunAt } of tasks) {
      const summary = table.summaries.get(taskId);
      if (!summary) continue;
      summary.nextRunAt = nextRunAt;
      if (table !== this.#table) continue;
      for (const view of this.#views.values()) if (view.mode === "CHANGES" && matches(view.filter, summary)) view.unsent.add(taskId);
    }
  }

  #runsCreated(table: LiveTable, runs: NewRun[]): void {
    const events = runs.map((run): RunEvent => ({ type: run.status === "SKIPPED" ? "RUN_FINISHED" : "RUN_QUEUED", run: reportOfNewRun(run), result: null }));
    this.#runsChanged(table, events.filter((event) => event.run.status !== "SKIPPED").map((event) => event.run), (summary, run) => {
      summary.lastRunAt = run.scheduledFor;
      summary.lastRunStatus = run.status;
    });
    this.#broadcastRuns(table, events.map((event) => event.run));
    for (const event of events) this.#tellRunListeners(table, event);
  }

  #runProgress(table: LiveTable, event: RunEvent): void {
    if (event.type === "RUN_STARTED" || (event.type === "RUN_FINISHED" && event.run.status !== "SKIPPED")) {
      this.#runsChanged(table, [event.run], (summary, run) => {
        // As in the database: a start always makes the run the task's latest, but a run that ends
        // after a newer one was queued or started no longer decides what the task shows.
        if (event.type === "RUN_FINISHED" && summary.lastRunAt && runTime(run) < summary.lastRunAt) return;
        if (run.startedAt) summary.lastRunAt = run.startedAt;
        summary.lastRunStatus = run.status;
      });
    }
    // Each attempt against each target is for runEvents only: a schedule table shows runs.
    if (event.type !== "TARGET_FINISHED") this.#broadcastRuns(table, [event.run]);
    this.#tellRunListeners(table, event);
  }

  #tellRunListeners(table: LiveTable, event: RunEvent): void {
    if (table !== this.#table) return;
    for (const listener of this.#runListeners) listener(event);
  }

  /** Brings the summaries of these runs' tasks up to date, as the executor does in the database. */
  #runsChanged(table: LiveTable, runs: RunReport[], apply: (summary: TaskSummary, run: RunReport) => void): void {
    for (const run of runs) {
      const summary = table.summaries.get(run.taskId);
      if (summary) apply(summary, run);
    }
  }

  #broadcastRuns(table: LiveTable, runs: RunReport[]): void {
    if (table !== this.#table) return;
    const at = new Date(this.#clock());
    for (const view of this.#views.values()) {
      const inView = runs.filter((run) => matches(view.filter, table.summaries.get(run.taskId)));
      if (inView.length === 0) continue;
      const taskIds = [...new Set(inView.map((run) => run.taskId))];
      view.broadcast({ ...emptyEvent("RUNS", at), runs: inView, tasks: taskIds.map((id) => summaryAt(table.summaries.get(id)!, at)) });
    }
  }
}
