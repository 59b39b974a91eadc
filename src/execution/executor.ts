// Carries out queued runs: takes each with a conditional update (so one process executes
// it), resolves its targets, fans out under the service's concurrency limit with retries,
// records every attempt and closes the run with a summary. Runs are found through events
// (runs this process queued) and by polling (runs queued elsewhere, or left at startup).
// A lease, renewed while the run goes on, tells other processes this one is alive.
import { setMaxListeners } from "node:events";
import { hostname } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { v7 as uuidv7 } from "uuid";
import type { DbClient } from "../db/database.js";
import { cancelledByOperator } from "../domain/run-control.js";
import { supersededReason, type AttemptOutcome, type NewRunResult, type RunReport, type RunResultStatus, type RunTrigger } from "../domain/runs.js";
import type { CronlineEvents, EventBus } from "../events/event-bus.js";
import type { Logger } from "../logger.js";
import { failedOutcome, storableOutcome } from "./attempt.js";
import { errorText } from "./error-text.js";
import { Semaphore } from "./concurrency.js";
import { ResultWriter } from "./result-writer.js";
import { deservesRetry, retryDelayMs, summarizeRun, type RunSummary } from "./run-outcome.js";
import type { RunStore } from "./run-store.js";
import { prepareAttempt, type Attempt, type ExecutionLimits } from "./service-runner.js";
import { resolveRunTargets, type TargetDevice } from "./targets.js";

export interface ExecutorOptions {
  db: DbClient;
  store: RunStore;
  events: EventBus;
  logger: Logger;
  limits: ExecutionLimits;
  /** Identifies this process in Run.ownerId; the default is stable across restarts of one host and pid. */
  ownerId?: string;
  /** Epoch milliseconds now. */
  now?: () => number;
  /** [0, 1); drives retry jitter. */
  random?: () => number;
  /** Runs executed at the same time by this process. */
  maxConcurrentRuns?: number;
  pollIntervalMs?: number;
  leaseMs?: number;
}

type LoadedRun = NonNullable<Awaited<ReturnType<RunStore["loadRun"]>>>;

interface ActiveRun {
  controller: AbortController;
  /** Set when the run is stopped from outside: its status becomes CANCELLED with this reason. */
  cancelReason: string | null;
  done: Promise<void>;
}

export const shutdownReason = "cancelled: the server was shutting down";

export class Executor {
  readonly #db: DbClient;
  readonly #store: RunStore;
  readonly #events: EventBus;
  readonly #logger: Logger;
  readonly #limits: ExecutionLimits;
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #maxConcurrentRuns: number;
  readonly #pollIntervalMs: number;
  readonly #leaseMs: number;
  readonly ownerId: string;
  readonly #active = new Map<string, ActiveRun>();
  readonly #starting = new Set<string>();
  readonly #semaphores = new Map<string, Semaphore>();
  /** Runs announced by events, tried before the next poll of the database. */
  #hinted: string[] = [];
  #pumping: Promise<void> | undefined;
  #pumpAgain: { poll: boolean } | undefined;
  #stopping = true;
  /** Looking for runs to start: stopped first at shutdown. */
  #intake: { timers: NodeJS.Timeout[]; unsubscribe: () => void } | undefined;
  /** Looking after the runs going on (leases, cancels): stopped once they are all done. */
  #upkeep: { timer: NodeJS.Timeout; unsubscribe: (() => void)[] } | undefined;

  constructor(options: ExecutorOptions) {
    this.#db = options.db;
    this.#store = options.store;
    this.#events = options.events;
    this.#logger = options.logger.child({ component: "executor" });
    this.#limits = options.limits;
    this.#now = options.now ?? Date.now;
    this.#random = options.random ?? Math.random;
    this.#maxConcurrentRuns = options.maxConcurrentRuns ?? 50;
    this.#pollIntervalMs = options.pollIntervalMs ?? 2_000;
    this.#leaseMs = options.leaseMs ?? 30_000;
    this.ownerId = options.ownerId ?? `${hostname()}:${process.pid}`;
  }

  /** Ids of the runs this process is executing. */
  get activeRunIds(): string[] {
    return [...this.#active.keys()];
  }

  /**
   * Closes the runs of processes that died, and the runs this owner id left RUNNING in a
   * previous life; before the scheduler starts, so its overlap checks see the truth.
   */
  async recoverAtStartup(): Promise<void> {
    await this.#recover(true);
  }

  async start(): Promise<void> {
    this.#stopping = false;
    this.#intake = {
      timers: [setInterval(() => this.#kick(true), this.#pollIntervalMs), setInterval(() => void this.#recover(false), this.#leaseMs)],
      unsubscribe: this.#events.on("runsCreated", ({ runs }) => {
        this.#hinted.push(...runs.filter((run) => run.status === "QUEUED").map((run) => run.id));
        this.#kick(false);
      }),
    };
    this.#upkeep = {
      timer: setInterval(() => void this.#renewLeases(), Math.max(this.#leaseMs / 3, 100)),
      unsubscribe: [
        this.#events.on("runsCancelled", ({ runIds }) => this.#cancelLocal(runIds, cancelledByOperator)),
        this.#events.on("runsSuperseded", ({ runs }) => void this.#supersede(runs)),
      ],
    };
    for (const timer of [...this.#intake.timers, this.#upkeep.timer]) timer.unref();
    this.#logger.info({ ownerId: this.ownerId }, "executor started");
    this.#kick(true);
  }

  /**
   * Starts nothing new, lets running runs finish for up to `graceMs`, then cancels the rest
   * (commands killed, requests aborted) and resolves once they are recorded. Until then
   * leases are renewed, so other processes do not take the runs for interrupted ones, and
   * cancels are still obeyed.
   */
  async stop(graceMs: number): Promise<void> {
    this.#stopping = true;
    if (this.#intake) {
      for (const timer of this.#intake.timers) clearInterval(timer);
      this.#intake.unsubscribe();
      this.#intake = undefined;
    }
    while (this.#pumping) await this.#pumping;
    const allDone = () => Promise.all([...this.#active.values()].map((run) => run.done));
    const drained = await Promise.race([allDone().then(() => true), sleep(graceMs, false, { ref: false })]);
    if (!drained) {
      this.#logger.warn({ runs: this.#active.size }, "cancelling runs still going after the shutdown grace period");
      this.#cancelLocal([...this.#active.keys()], shutdownReason);
      await allDone();
    }
    if (this.#upkeep) {
      clearInterval(this.#upkeep.timer);
      for (const unsubscribe of this.#upkeep.unsubscribe) unsubscribe();
      this.#upkeep = undefined;
    }
  }

  #capacity(): number {
    return this.#maxConcurrentRuns - this.#active.size - this.#starting.size;
  }

  /** Tries the hinted runs (and, with `poll`, the oldest queued ones) now, or right after the current pass. */
  #kick(poll: boolean): void {
    if (this.#stopping) return;
    if (this.#pumping) {
      this.#pumpAgain = { poll: poll || (this.#pumpAgain?.poll ?? false) };
      return;
    }
    this.#pumping = this.#pump(poll)
      .catch((error: unknown) => this.#logger.error({ err: error }, "could not look for queued runs"))
      .finally(() => {
        this.#pumping = undefined;
        const again = this.#pumpAgain;
        this.#pumpAgain = undefined;
        if (again) this.#kick(again.poll);
      });
  }

  async #pump(poll: boolean): Promise<void> {
    const ids = this.#hinted.splice(0);
    // Runs blocked behind a running run of their task are passed over, so look further than the free slots.
    if (poll && this.#capacity() > 0) ids.push(...(await this.#store.queuedRunIds(Math.max(this.#capacity() * 4, 100))));
    for (const id of new Set(ids)) {
      if (this.#capacity() <= 0 || this.#stopping) return;
      await this.#tryStart(id);
    }
  }

  async #tryStart(id: string): Promise<void> {
    if (this.#active.has(id) || this.#starting.has(id)) return;
    this.#starting.add(id);
    try {
      const run = await this.#store.loadRun(id);
      if (!run || run.status !== "QUEUED" || this.#stopping) return;
      const now = new Date(this.#now());
      const { deadlineSeconds } = run.task;
      if (deadlineSeconds !== null) {
        const lateMs = now.getTime() - (run.scheduledFor.getTime() + run.jitterMs);
        if (lateMs > deadlineSeconds * 1000) {
          const reason = `could not start within its ${deadlineSeconds}s deadline (${Math.round(lateMs / 1000)}s late)`;
          if (await this.#store.skipRun(id, reason, now)) {
            this.#progress("RUN_FINISHED", { ...this.#report(run, now), status: "SKIPPED", reason, startedAt: null, finishedAt: now });
          }
          return;
        }
      }
      if (!(await this.#store.claimRun(id, this.ownerId, now, new Date(now.getTime() + this.#leaseMs)))) return;
      const controller = new AbortController();
      // Every waiting target listens to the run's signal.
      setMaxListeners(0, controller.signal);
      const active: ActiveRun = { controller, cancelReason: null, done: Promise.resolve() };
      this.#active.set(id, active);
      active.done = this.#carryOut(run, active, now)
        .catch(async (error: unknown) => {
          this.#logger.error({ err: error, runId: id }, "run failed inside the executor");
          controller.abort();
          await this.#failInternally(run, now, error);
        })
        .finally(() => {
          this.#active.delete(id);
          this.#kick(true);
        });
    } finally {
      this.#starting.delete(id);
    }
  }

  /**
   * Closes a run whose execution broke down inside this process. If even that fails, its
   * lease is no longer renewed, and recovery closes it as interrupted once it expires.
   */
  async #failInternally(run: LoadedRun, startedAt: Date, error: unknown): Promise<void> {
    const reason = `internal error: ${errorText(error)}`;
    const finishedAt = new Date(this.#now());
    try {
      if (!(await this.#store.failRun(run, this.ownerId, reason, finishedAt))) return;
      this.#progress("RUN_FINISHED", { ...this.#report(run, startedAt), status: "FAILED", reason, finishedAt });
    } catch (closeError) {
      this.#logger.error({ err: closeError, runId: run.id }, "could not close a run after an internal error; recovery closes it when its lease expires");
    }
  }

  /** The run as it stands once started here, for the live views. */
  #report(run: LoadedRun, startedAt: Date): RunReport {
    const { id, taskId, scheduledFor, reason } = run;
    return { id, taskId, trigger: run.trigger as RunTrigger, status: "RUNNING", scheduledFor, reason, startedAt, finishedAt: null, targetCount: 0, succeededCount: 0, failedCount: 0 };
  }

  #progress(type: CronlineEvents["runProgress"]["type"], run: RunReport, result: NewRunResult | null = null): void {
    this.#events.emit("runProgress", { type, run, result });
  }

  async #carryOut(run: LoadedRun, active: ActiveRun, startedAt: Date): Promise<void> {
    await this.#store.setTaskRunning(run.taskId, startedAt);
    const report = this.#report(run, startedAt);
    this.#progress("RUN_STARTED", report);
    const { service } = run.task;
    const targets = await resolveRunTargets(this.#db, run.taskId);
    let summary: RunSummary;
    if (targets.declared && targets.devices.length === 0) {
      summary = { status: "FAILED", targetCount: 0, succeededCount: 0, failedCount: 0, reason: "no target devices: the targeted pools have no devices" };
    } else {
      const attempt = prepareAttempt(service.kind, service.config, this.#limits);
      const semaphore = this.#semaphoreFor(service.id, service.concurrency);
      const writer = new ResultWriter(this.#store, this.#logger);
      const devices: (TargetDevice | null)[] = targets.declared ? targets.devices : [null];
      const finals = await Promise.all(devices.map((device) => this.#runTarget(run, report, device, attempt, semaphore, writer, active.controller.signal)));
      const lost = await writer.close();
      summary = summarizeRun(finals, active.cancelReason);
      // Counts without the results behind them would mislead: the run says what went missing.
      if (lost && summary.status !== "CANCELLED") {
        summary = { ...summary, status: "FAILED", reason: `${lost.count} result${lost.count === 1 ? "" : "s"} could not be stored: ${lost.error}` };
      }
    }
    const finished = await this.#finish(run, summary);
    if (finished) {
      const { status, cancelReason } = finished;
      const { targetCount, succeededCount, failedCount } = summary;
      // A run cancelled in the database (possibly through another process) ends with the reason stored there.
      const reason = cancelReason ?? summary.reason ?? run.reason;
      this.#progress("RUN_FINISHED", { ...report, status, reason, finishedAt: new Date(this.#now()), targetCount, succeededCount, failedCount });
    }
    this.#logger.info({ runId: run.id, taskId: run.taskId, status: finished?.status, targets: summary.targetCount, failed: summary.failedCount }, "run finished");
  }

  /** Writes the summary, trying again a few times: a run must not stay RUNNING because of one bad moment. */
  async #finish(run: LoadedRun, summary: RunSummary): Promise<Awaited<ReturnType<RunStore["finishRun"]>>> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#store.finishRun(run, this.ownerId, summary, new Date(this.#now()));
      } catch (error) {
        if (attempt >= 5) throw error;
        this.#logger.warn({ err: error, runId: run.id }, "could not record the end of a run; trying again");
        await sleep(200 * attempt);
      }
    }
  }

  #semaphoreFor(serviceId: string, limit: number): Semaphore {
    let semaphore = this.#semaphores.get(serviceId);
    if (!semaphore) this.#semaphores.set(serviceId, (semaphore = new Semaphore(limit)));
    semaphore.limit = limit;
    return semaphore;
  }

  /** Every attempt against one target, recorded; returns the status of the last one. */
  async #runTarget(
    run: LoadedRun,
    report: RunReport,
    device: TargetDevice | null,
    attempt: Attempt,
    semaphore: Semaphore,
    writer: ResultWriter,
    signal: AbortSignal,
  ): Promise<RunResultStatus> {
    const context = { device, payload: run.payload as Record<string, unknown>, task: { name: run.task.name }, run: { id: run.id }, scheduledFor: run.scheduledFor };
    for (let number = 1; ; number++) {
      const release = await semaphore.acquire(signal);
      const startedAt = new Date(this.#now());
      const started = performance.now();
      let outcome: AttemptOutcome;
      if (!release) outcome = failedOutcome("cancelled before it started", "CANCELLED");
      else {
        try {
          outcome = await attempt(context, signal);
        } catch (error) {
          outcome = failedOutcome(`internal error: ${errorText(error)}`);
          this.#logger.error({ err: error, runId: run.id }, "attempt failed unexpectedly");
        } finally {
          release();
        }
      }
      const { permanent, ...recordedOutcome } = outcome;
      const result: NewRunResult = {
        id: uuidv7(),
        runId: run.id,
        deviceId: device?.id ?? null,
        deviceName: device?.name ?? null,
        attempt: number,
        ...storableOutcome(recordedOutcome),
        startedAt,
        finishedAt: new Date(this.#now()),
        durationMs: Math.round(performance.now() - started),
      };
      writer.add(result);
      this.#progress("TARGET_FINISHED", report, result);
      if (!deservesRetry(outcome.status) || permanent || number >= run.task.maxAttempts || signal.aborted) return outcome.status;
      try {
        await sleep(retryDelayMs(run.task.retryBackoffSeconds, number + 1, this.#random), undefined, { signal });
      } catch {
        return outcome.status; // cancelled while waiting to retry
      }
    }
  }

  #cancelLocal(runIds: string[], reason: string): void {
    for (const id of runIds) {
      const active = this.#active.get(id);
      if (!active) continue;
      active.cancelReason ??= reason;
      active.controller.abort();
    }
  }

  async #supersede(superseding: { taskId: string; runId: string }[]): Promise<void> {
    try {
      const { running, queued } = await this.#store.cancelSupersededRuns(superseding, new Date(this.#now()));
      this.#cancelLocal(running, supersededReason);
      for (const run of queued) this.#progress("RUN_FINISHED", run);
      this.#kick(true);
    } catch (error) {
      this.#logger.error({ err: error, superseding }, "could not cancel superseded runs");
    }
  }

  /** Keeps this process's leases alive; runs closed meanwhile by someone else are stopped. */
  async #renewLeases(): Promise<void> {
    try {
      const lost = await this.#store.renewLeases(this.ownerId, this.activeRunIds, new Date(this.#now() + this.#leaseMs));
      this.#cancelLocal(lost, "cancelled");
    } catch (error) {
      this.#logger.warn({ err: error }, "could not renew run leases");
    }
  }

  /**
   * Closes runs whose lease expired: their process died, or this one stopped executing them
   * without closing them; at startup also this owner's runs from a previous life.
   */
  async #recover(atStartup: boolean): Promise<void> {
    try {
      const { closed, reruns } = await this.#store.recoverInterruptedRuns(this.ownerId, this.activeRunIds, new Date(this.#now()), atStartup);
      if (closed.length > 0) this.#logger.warn({ closed: closed.length, reruns: reruns.length }, "closed interrupted runs");
      for (const run of closed) this.#progress("RUN_FINISHED", run);
      if (reruns.length > 0) this.#events.emit("runsCreated", { runs: reruns });
    } catch (error) {
      this.#logger.error({ err: error }, "could not close interrupted runs");
    }
  }
}
