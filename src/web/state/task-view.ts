// What the task page shows of one task, kept current: its settings (read again when the live
// schedule says it changed), its next occurrences (again whenever its next run moves), its
// recent runs and their per-target results (live from runEvents, and read again after a
// reconnection, which may have missed events).
import { batch, computed, effect, signal, type ReadonlySignal } from "@preact/signals";
import type {
  RunFieldsFragment,
  TargetResultFieldsFragment,
  TaskDetailsQuery,
  TaskRunEventsSubscription,
} from "../../generated/web-graphql/graphql.js";
import type { ApiError } from "../api/api-error.js";
import { RunResultsQuery, TaskDetailsQuery as TaskDetailsDocument, TaskRunEventsSubscription as TaskRunEventsDocument, UpcomingRunsQuery } from "../api/operations.js";
import { scheduleInput } from "../format/schedule-words.js";
import { report } from "./notices.js";
import type { Api } from "./session.js";

export type TaskDetails = Extract<NonNullable<TaskDetailsQuery["node"]>, { __typename: "Task" }>;
export type RunView = RunFieldsFragment;
export type ResultView = TargetResultFieldsFragment;

/** The results of one run: those read from the server and those that arrived since. */
export interface RunResults {
  results: readonly ResultView[];
  /** Results stored in all, when more than the page read. */
  totalCount: number;
  loaded: boolean;
}

export type Upcoming = { instants: readonly string[] } | { message: string };

const upcomingCount = 10;
/** An attempt against a target, the same whether read from the server or announced live. */
const resultKey = (result: ResultView) => `${result.deviceName ?? ""}|${result.attempt}|${result.startedAt}`;

/** How far a run has gone: its events only ever move it forward. */
const progress = (run: RunView): number => (run.status === "QUEUED" ? 0 : run.status === "RUNNING" ? 1 : 2) * 1e6 + run.succeededCount + run.failedCount;

/** Calls `listener` with each later value of the signal, not with the current one. */
function onChange<T>(source: ReadonlySignal<T>, listener: (value: T) => void): () => void {
  let current = true;
  const stop = source.subscribe((value) => {
    if (!current) listener(value);
  });
  current = false;
  return stop;
}

export class TaskView {
  /** null while loading. */
  readonly details = signal<TaskDetails | null>(null);
  /** The task does not exist (deleted, or a wrong link). */
  readonly missing = signal(false);
  readonly loadError = signal<ApiError | null>(null);
  readonly upcoming = signal<Upcoming | null>(null);
  /** Newest first. */
  readonly runs = signal<readonly RunView[]>([]);
  readonly results = signal<ReadonlyMap<string, RunResults>>(new Map());
  readonly #stops: (() => void)[] = [];
  #loads = 0;
  #upcomingLoads = 0;
  /** Runs an event or this page put in the list since the current read began. */
  #putSinceLoad = new Set<string>();

  constructor(
    private readonly api: Api,
    readonly taskId: string,
  ) {
    // undefined until the live schedule has the task's row.
    const nextRunAt = computed(() => api.schedule.tasks.value?.get(taskId)?.nextRunAt);
    this.#stops.push(
      api.live.subscribe(TaskRunEventsDocument, { taskId }, ({ runEvents }) => this.#onRunEvent(runEvents), (error) => report(error, "follow this task's runs")),
      // Settings: again when the live schedule says the task changed.
      onChange(api.schedule.lastChange, ({ taskIds }) => {
        if (taskIds.includes(taskId)) void this.load();
      }),
      // Runs: again after a reconnection, which may have missed their events.
      onChange(api.live.connections, () => void this.load()),
      // Next occurrences: again when the task's next run moves.
      effect(() => {
        const details = this.details.value;
        if (details) void this.#loadUpcoming(details, nextRunAt.value === undefined ? details.nextRunAt : nextRunAt.value);
      }),
    );
    void this.load();
  }

  stop(): void {
    for (const stop of this.#stops) stop();
  }

  /**
   * Reads the task and its latest runs; a slower earlier read never overwrites a later one, and
   * what events told while it was on its way is kept: runs queued since, and the furthest state
   * of each run.
   */
  async load(): Promise<void> {
    const load = ++this.#loads;
    this.#putSinceLoad = new Set();
    try {
      const { node } = await this.api.request(TaskDetailsDocument, { id: this.taskId });
      if (load !== this.#loads) return;
      batch(() => {
        this.loadError.value = null;
        if (node?.__typename !== "Task") {
          this.missing.value = true;
          return;
        }
        this.details.value = node;
        const loaded = node.runs.edges.map((edge) => edge.node);
        const known = new Map(this.runs.peek().map((run) => [run.id, run]));
        const loadedIds = new Set(loaded.map((run) => run.id));
        const newer = [...known.values()].filter((run) => this.#putSinceLoad.has(run.id) && !loadedIds.has(run.id));
        this.runs.value = [...newer, ...loaded.map((run) => {
          const local = known.get(run.id);
          return local && progress(local) > progress(run) ? local : run;
        })];
      });
      // Results of runs already open may have grown while no event could arrive.
      for (const [runId, results] of this.results.peek()) if (results.loaded) void this.loadResults(runId);
    } catch (error) {
      if (load === this.#loads) this.loadError.value = error as ApiError;
    }
  }

  async loadResults(runId: string): Promise<void> {
    try {
      const { run } = await this.api.request(RunResultsQuery, { id: runId });
      if (!run) return;
      const loaded = run.results.edges.map((edge) => edge.node);
      const known = this.results.peek().get(runId)?.results ?? [];
      const keys = new Set(loaded.map(resultKey));
      this.#setResults(runId, {
        // Those announced while the read was on its way are kept.
        results: [...loaded, ...known.filter((result) => !keys.has(resultKey(result)))],
        totalCount: run.results.totalCount,
        loaded: true,
      });
    } catch (error) {
      report(error, "read the run's results");
    }
  }

  /** A run this page started: shown at once, before its events arrive. */
  addRun(run: RunView): void {
    this.#putRun(run);
  }

  #onRunEvent(event: TaskRunEventsSubscription["runEvents"]): void {
    this.#putRun(event.run);
    if (event.type === "TARGET_FINISHED" && event.result) {
      const current = this.results.peek().get(event.run.id) ?? { results: [], totalCount: 0, loaded: false };
      if (current.results.some((result) => resultKey(result) === resultKey(event.result!))) return;
      this.#setResults(event.run.id, { ...current, results: [...current.results, event.result], totalCount: current.totalCount + 1 });
    }
  }

  /** Puts the run in the list, unless the list already has it further on (a mutation's answer can come after its run's events). */
  #putRun(run: RunView): void {
    const runs = this.runs.peek();
    const known = runs.find((shown) => shown.id === run.id);
    this.#putSinceLoad.add(run.id);
    if (known && progress(known) > progress(run)) return;
    // Events carry a RunSummary, with more fields than the list keeps.
    const { id, trigger, status, scheduledFor, startedAt, finishedAt, reason, targetCount, succeededCount, failedCount } = run;
    const shown: RunView = { id, trigger, status, scheduledFor, startedAt, finishedAt, reason, targetCount, succeededCount, failedCount };
    this.runs.value = known ? runs.map((other) => (other.id === id ? shown : other)) : [shown, ...runs];
  }

  #setResults(runId: string, results: RunResults): void {
    const next = new Map(this.results.peek());
    next.set(runId, results);
    this.results.value = next;
  }

  async #loadUpcoming(details: TaskDetails, nextRunAt: string | null): Promise<void> {
    const load = ++this.#upcomingLoads;
    const left = details.maxRuns === null ? upcomingCount : details.maxRuns - details.runCount;
    if (details.state !== "ACTIVE" || nextRunAt === null || left <= 0) {
      this.upcoming.value = { instants: [] };
      return;
    }
    try {
      const { previewSchedule } = await this.api.request(UpcomingRunsQuery, {
        schedule: scheduleInput(details.schedule),
        timezone: details.timezone,
        from: nextRunAt,
        count: Math.min(upcomingCount, left),
      });
      if (load !== this.#upcomingLoads) return;
      this.upcoming.value = previewSchedule.__typename === "PreviewScheduleSuccess" ? { instants: previewSchedule.instants } : { message: previewSchedule.message };
    } catch (error) {
      if (load === this.#upcomingLoads) this.upcoming.value = { message: (error as Error).message };
    }
  }
}
