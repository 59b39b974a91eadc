// Turns the other processes' notifications into this process's events: reads the rows a note
// names (only for events some role of this process listens to) and emits the events on the
// main thread's bus, whose links carry them on to the role threads that use them, in the
// order they were received.
import type { DbClient } from "../db/database.js";
import { runReportColumns, type NewRun, type NewRunResult, type RunReport, type RunResultStatus, type RunTrigger, type StepReport, type StepStatus } from "../domain/runs.js";
import type { CronlineEvents, EventBus, EventName } from "../events/event-bus.js";
import type { Logger } from "../logger.js";
import { decodeNotes, type ClusterNote } from "./notes.js";
import type { OverlapPolicy } from "../domain/task-policies.js";

export interface EventRelayOptions {
  db: DbClient;
  bus: EventBus;
  /** This process's instance: its own notifications are not relayed back to it. */
  instanceId: string;
  /** Whether anyone in this process listens to the event now. */
  wanted(event: EventName): boolean;
  logger: Logger;
}

type Emission = { [K in EventName]: [K, CronlineEvents[K]] }[EventName];

const newRunColumns = { id: true, taskId: true, trigger: true, scheduledFor: true, occurrence: true, jitterMs: true, reason: true, payload: true, claimedAt: true, overlapPolicy: true } as const;
const resultColumns = {
  id: true,
  runId: true,
  deviceId: true,
  deviceName: true,
  stepName: true,
  attempt: true,
  status: true,
  exitCode: true,
  httpStatus: true,
  output: true,
  outputTruncated: true,
  errorOutput: true,
  errorOutputTruncated: true,
  error: true,
  startedAt: true,
  finishedAt: true,
  durationMs: true,
} as const satisfies Record<Exclude<keyof NewRunResult, "permanent">, true>;

/** A run as its executor reports it while it goes on: RUNNING, nothing counted yet. */
const whileRunning = (run: RunReport): RunReport => ({ ...run, status: "RUNNING", finishedAt: null, targetCount: 0, succeededCount: 0, failedCount: 0 });

/** A step as its executor reports it when it starts, whatever it has become since. */
const justStarted = (step: StepReport): StepReport => ({ ...step, status: "RUNNING", reason: null, finishedAt: null, targetCount: 0, succeededCount: 0, failedCount: 0 });

const byId = <T extends { id: string }>(rows: T[]) => new Map(rows.map((row) => [row.id, row]));

/** The rows the notes of a batch name, read once for the whole batch. */
interface Rows {
  tasks: Map<string, { id: string; nextRunAt: Date | null; version: number }>;
  newRuns: Map<string, Omit<NewRun, "status">>;
  reports: Map<string, RunReport>;
  results: Map<string, NewRunResult>;
  /** The steps of the runs in `reports`, by run, in the order they started (as the run's `steps`). */
  steps: Map<string, StepReport[]>;
}

export class EventRelay {
  readonly #options: EventRelayOptions;
  readonly #logger: Logger;
  /** Notes received and not yet relayed, in order. */
  #pending: ClusterNote[] = [];
  #relaying = false;

  constructor(options: EventRelayOptions) {
    this.#options = options;
    this.#logger = options.logger.child({ component: "cluster-relay" });
  }

  /** A notification's payload, as received. */
  accept(payload: string): void {
    const decoded = decodeNotes(payload);
    if (!decoded || decoded.origin === this.#options.instanceId) return;
    this.#pending.push(...decoded.notes);
    if (!this.#relaying) void this.#relay();
  }

  /** Relays what is pending, each batch with one read per kind of row: a busy moment costs a few statements, not a few per notification. */
  async #relay(): Promise<void> {
    this.#relaying = true;
    while (this.#pending.length > 0) {
      const notes = this.#pending;
      this.#pending = [];
      try {
        const rows = await this.#read(notes);
        for (const note of notes) for (const [event, data] of this.#eventsOf(note, rows)) this.#options.bus.emit(event, data as never);
      } catch (error) {
        this.#logger.warn({ err: error, notes: notes.length }, "could not relay other instances' events; the resyncs will catch up");
      }
    }
    this.#relaying = false;
  }

  async #read(notes: ClusterNote[]): Promise<Rows> {
    const { db, wanted } = this.#options;
    const ids = (kinds: ClusterNote[0][]) => [...new Set(notes.filter(([kind]) => kinds.includes(kind)).flatMap(([, items]) => items.map((item) => (Array.isArray(item) ? item[0] : item))))];
    const taskIds = wanted("tasksAdvanced") ? ids(["tasksAdvanced"]) : [];
    const newRunIds = wanted("runsCreated") ? ids(["runsCreated"]) : [];
    const progress = wanted("runProgress");
    const resultIds = progress ? ids(["targetsFinished"]) : [];
    const [tasks, newRuns, results] = await Promise.all([
      taskIds.length > 0 ? db.task.findMany({ where: { id: { in: taskIds } }, select: { id: true, nextRunAt: true, version: true } }) : [],
      newRunIds.length > 0 ? db.run.findMany({ where: { id: { in: newRunIds } }, select: newRunColumns }) : [],
      resultIds.length > 0 ? db.runResult.findMany({ where: { id: { in: resultIds } }, select: resultColumns }) : [],
    ]);
    const reportIds = progress ? [...new Set([...ids(["runsStarted", "runsFinished", "stepsSaved"]), ...results.map((result) => result.runId)])] : [];
    const [reports, stepRows] =
      reportIds.length > 0
        ? await Promise.all([
            db.run.findMany({ where: { id: { in: reportIds } }, select: runReportColumns }) as Promise<RunReport[]>,
            db.runStep.findMany({ where: { runId: { in: reportIds } }, orderBy: [{ startedAt: "asc" }, { name: "asc" }] }),
          ])
        : [[], []];
    const steps = new Map<string, StepReport[]>();
    for (const { runId, ...row } of stepRows) {
      let ofRun = steps.get(runId);
      if (!ofRun) steps.set(runId, (ofRun = []));
      ofRun.push({ ...row, status: row.status as StepStatus });
    }
    return {
      tasks: byId(tasks),
      newRuns: byId(newRuns.map((row) => ({ ...row, trigger: row.trigger as RunTrigger, payload: row.payload as Record<string, unknown>, overlapPolicy: row.overlapPolicy as OverlapPolicy | null }))),
      results: byId(results.map((row) => ({ ...row, status: row.status as RunResultStatus }))),
      // A workflow run's events carry its step tree, as the executor's own do (read now: it may be ahead of the event).
      reports: byId(reports.map((run) => (steps.has(run.id) ? { ...run, steps: steps.get(run.id) } : run))),
      steps,
    };
  }

  #eventsOf([kind, items]: ClusterNote, rows: Rows): Emission[] {
    const { wanted } = this.#options;
    switch (kind) {
      case "taskChanged":
        return wanted("taskChanged") ? items.map(([taskId, change]): Emission => ["taskChanged", { taskId, change }]) : [];
      case "runsSuperseded":
        return wanted("runsSuperseded") ? [["runsSuperseded", { runs: items.map(([taskId, runId]) => ({ taskId, runId })) }]] : [];
      case "runsCancelled":
        return wanted("runsCancelled") ? [["runsCancelled", { runIds: items }]] : [];
      case "instanceDrained":
        return wanted("instanceDrained") ? items.map((instanceId): Emission => ["instanceDrained", { instanceId }]) : [];
      case "tasksAdvanced": {
        const tasks = items.flatMap(([id]) => rows.tasks.get(id) ?? []).map((row) => ({ taskId: row.id, nextRunAt: row.nextRunAt, version: row.version }));
        return tasks.length > 0 ? [["tasksAdvanced", { tasks }]] : [];
      }
      case "runsCreated": {
        const runs = items.flatMap(([id, status]): NewRun[] => {
          const row = rows.newRuns.get(id);
          return row ? [{ ...row, status }] : [];
        });
        return runs.length > 0 ? [["runsCreated", { runs }]] : [];
      }
      case "runsFinished":
        // The executors waiting for a run of the task to end hear it without reading any row.
        return [...(wanted("runsEndedElsewhere") ? [["runsEndedElsewhere", { runIds: items }] as Emission] : []), ...this.#progressOf(kind, items, rows)];
      case "runsStarted":
        return this.#progressOf(kind, items, rows);
      case "stepsSaved":
        return items.flatMap(([runId, name, type]): Emission[] => {
          const run = rows.reports.get(runId);
          const row = rows.steps.get(runId)?.find((step) => step.name === name);
          if (!run || !row) return [];
          const step = type === "STEP_STARTED" ? justStarted(row) : row;
          const tree = (run.steps ?? []).map((other) => (other.name === name ? step : other));
          return [["runProgress", { type, run: { ...whileRunning(run), steps: tree }, result: null, step }]];
        });
      case "targetsFinished":
        return items.flatMap((id): Emission[] => {
          const result = rows.results.get(id);
          const run = result && rows.reports.get(result.runId);
          return result && run ? [["runProgress", { type: "TARGET_FINISHED", run: whileRunning(run), result }]] : [];
        });
    }
  }

  #progressOf(kind: "runsStarted" | "runsFinished", items: string[], rows: Rows): Emission[] {
    return items.flatMap((id): Emission[] => {
      const run = rows.reports.get(id);
      if (!run) return [];
      return [["runProgress", kind === "runsStarted" ? { type: "RUN_STARTED", run: whileRunning(run), result: null } : { type: "RUN_FINISHED", run, result: null }]];
    });
  }
}
