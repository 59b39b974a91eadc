// Turns the other processes' notifications into this process's events: reads the rows a note
// names (only for events some role of this process listens to) and emits the events on the
// main thread's bus, whose links carry them on to the role threads that use them. Payloads
// are handled one after the other, in the order they arrived.
import type { DbClient } from "../db/database.js";
import { runReportColumns, type NewRun, type NewRunResult, type RunReport, type RunResultStatus, type RunTrigger } from "../domain/runs.js";
import type { CronlineEvents, EventBus, EventName } from "../events/event-bus.js";
import type { Logger } from "../logger.js";
import { decodeNotes, type ClusterNote } from "./notes.js";

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

const newRunColumns = { id: true, taskId: true, trigger: true, scheduledFor: true, occurrence: true, jitterMs: true, reason: true, payload: true, claimedAt: true } as const;
const resultColumns = {
  id: true,
  runId: true,
  deviceId: true,
  deviceName: true,
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

const byId = <T extends { id: string }>(rows: T[]) => new Map(rows.map((row) => [row.id, row]));

export class EventRelay {
  readonly #options: EventRelayOptions;
  readonly #logger: Logger;
  #queue: Promise<void> = Promise.resolve();

  constructor(options: EventRelayOptions) {
    this.#options = options;
    this.#logger = options.logger.child({ component: "cluster-relay" });
  }

  /** A notification's payload, as received. */
  accept(payload: string): void {
    const decoded = decodeNotes(payload);
    if (!decoded || decoded.origin === this.#options.instanceId) return;
    this.#queue = this.#queue
      .then(async () => {
        for (const note of decoded.notes) for (const [event, data] of await this.#eventsOf(note)) this.#options.bus.emit(event, data as never);
      })
      .catch((error: unknown) => this.#logger.warn({ err: error }, "could not relay another instance's events; the resyncs will catch up"));
  }

  /** Resolves once every payload accepted so far is relayed. */
  settled(): Promise<void> {
    return this.#queue;
  }

  async #eventsOf([kind, items]: ClusterNote): Promise<Emission[]> {
    const { db, wanted } = this.#options;
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
        if (!wanted("tasksAdvanced")) return [];
        const rows = await db.task.findMany({ where: { id: { in: items.map(([id]) => id) } }, select: { id: true, nextRunAt: true, version: true } });
        return [["tasksAdvanced", { tasks: rows.map((row) => ({ taskId: row.id, nextRunAt: row.nextRunAt, version: row.version })) }]];
      }
      case "runsCreated": {
        if (!wanted("runsCreated")) return [];
        const rows = byId(await db.run.findMany({ where: { id: { in: items.map(([id]) => id) } }, select: newRunColumns }));
        const runs = items.flatMap(([id, status]): NewRun[] => {
          const row = rows.get(id);
          return row ? [{ ...row, status, trigger: row.trigger as RunTrigger, payload: row.payload as Record<string, unknown> }] : [];
        });
        return runs.length > 0 ? [["runsCreated", { runs }]] : [];
      }
      case "runsStarted":
      case "runsFinished": {
        if (!wanted("runProgress")) return [];
        const rows = byId(await this.#reports(items));
        return items.flatMap((id): Emission[] => {
          const run = rows.get(id);
          if (!run) return [];
          return [["runProgress", kind === "runsStarted" ? { type: "RUN_STARTED", run: whileRunning(run), result: null } : { type: "RUN_FINISHED", run, result: null }]];
        });
      }
      case "targetsFinished": {
        if (!wanted("runProgress")) return [];
        const results = byId(await db.runResult.findMany({ where: { id: { in: items } }, select: resultColumns }));
        const runs = byId(await this.#reports([...new Set([...results.values()].map((result) => result.runId))]));
        return items.flatMap((id): Emission[] => {
          const result = results.get(id);
          const run = result && runs.get(result.runId);
          if (!result || !run) return [];
          return [["runProgress", { type: "TARGET_FINISHED", run: whileRunning(run), result: { ...result, status: result.status as RunResultStatus } }]];
        });
      }
    }
  }

  async #reports(ids: string[]): Promise<RunReport[]> {
    const rows = await this.#options.db.run.findMany({ where: { id: { in: ids } }, select: runReportColumns });
    return rows as RunReport[];
  }
}
