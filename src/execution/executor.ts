// Carries out queued runs: takes them with a conditional update (so one process executes
// each), resolves their targets, fans out under the service's concurrency limit with
// retries, records every attempt and closes each run with a summary. Runs are found through
// events (runs this process queued) and by polling (runs queued elsewhere, or left at
// startup). A lease, renewed while the run goes on, tells other processes this one is alive.
// The database work is done for many runs at once: runs are started in batches (one claim,
// one load, one target resolution per batch), and results and run ends are written in
// batches across runs by the RunWriter.
import { setMaxListeners } from "node:events";
import { hostname } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { v7 as uuidv7 } from "uuid";
import type { DbClient } from "../db/database.js";
import { cancelledByOperator } from "../domain/run-control.js";
import { deadlineSkipReason, supersededReason, type AttemptOutcome, type NewRunResult, type RunReport, type RunResultStatus, type RunTrigger } from "../domain/runs.js";
import type { CronlineEvents, EventBus } from "../events/event-bus.js";
import type { Logger } from "../logger.js";
import type { ExecutionMetrics } from "../metrics/catalog.js";
import type { SecretsCipher } from "../secrets/secrets-cipher.js";
import { failedOutcome, permanentFailure, storableOutcome } from "./attempt.js";
import type { WorkflowConfig } from "../domain/workflow-config.js";
import { TemplateError, type TemplateContext } from "./templates.js";
import { WorkflowRunner, type RecordedProgress, type WorkflowHost } from "./workflow-runner.js";
import { errorText } from "./error-text.js";
import { Semaphore } from "./concurrency.js";
import { deservesRetry, retryDelayMs, summarizeRun, type RunSummary } from "./run-outcome.js";
import type { RunStore } from "./run-store.js";
import { RunWriter } from "./run-writer.js";
import { prepareAttempt, type Attempt, type ExecutionLimits } from "./service-runner.js";
import { resolveTargetRefs, resolveTargetsOfServices, resolveTargetsOfTasks, type RunTargets, type TargetDevice, type TargetRefs } from "./targets.js";

export interface ExecutorOptions {
  db: DbClient;
  store: RunStore;
  events: EventBus;
  logger: Logger;
  limits: ExecutionLimits;
  /** Opens the services' secrets. */
  secrets: SecretsCipher;
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
  /** Where the number of runs executing here is kept (the instance's heartbeat reports it). */
  stats?: { runsExecuting: number };
  /** Where runs' ends, durations and start lag are recorded (GET /metrics). */
  metrics?: ExecutionMetrics;
}

type LoadedRun = Awaited<ReturnType<RunStore["loadRuns"]>>[number];

/** How the attempts against one target go: outside workflows the task's settings, in a step the step's. */
interface TargetSettings {
  /** The workflow step the results belong to; null outside workflows. */
  stepName: string | null;
  maxAttempts: number;
  retryBackoffSeconds: number;
  /** The template context of the target; throws a TemplateError when it cannot be made for it. */
  context: (device: TargetDevice | null) => TemplateContext;
  /** The run as TARGET_FINISHED reports it (a workflow's with its step tree). */
  report?: () => RunReport;
}

/** The last attempt against a target, and when every attempt is stored. */
interface TargetEnd {
  status: RunResultStatus;
  result: NewRunResult;
  stored: Promise<void>;
}

const stepServiceColumns = { id: true, name: true, kind: true, config: true, secrets: true, secretsKeyId: true, concurrency: true } as const;
type StepServiceRow = { id: string; name: string; kind: string; config: unknown; secrets: string | null; secretsKeyId: string | null; concurrency: number };
/** Notification runs are about the task's runs, not runs of it: its overlap policy, limits and deadline leave them alone. */
const isNotification = (run: { trigger: string }) => run.trigger === "NOTIFICATION";
/** The overlap policy a run goes by: its own (a backfill's, a catch-up chain's), else its task's. */
const overlapPolicyOf = (run: LoadedRun) => (isNotification(run) ? "ALLOW" : (run.overlapPolicy ?? run.task.overlapPolicy));
/** Whether a run that could not start waits here for a run of its task to end. */
const waitsForItsTask = (run: LoadedRun) => !isNotification(run) && (overlapPolicyOf(run) !== "ALLOW" || run.task.maxConcurrentRuns !== null);

/** What a batch of started runs needs before their targets run, per task; an error for a task it could not be done for. */
interface BatchPreparation {
  /** Tasks whose lastRunStatus could not be set RUNNING: their runs fail at once. */
  notMarkedRunning: Map<string, unknown>;
  targets: Map<string, RunTargets | { error: unknown }>;
  /** The targets of runs that name their own (manual overrides, re-runs of failed targets), by run. */
  runTargets: Map<string, RunTargets | { error: unknown }>;
}

/** Runs started together at most: one claim statement, one load, one target resolution. */
const maxBatch = 500;

interface ActiveRun {
  controller: AbortController;
  /** Its targets are still being run: it holds one of the process's slots (its end may still be on its way to the database). */
  executing: boolean;
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
  readonly #secrets: SecretsCipher;
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #maxConcurrentRuns: number;
  readonly #pollIntervalMs: number;
  readonly #leaseMs: number;
  readonly ownerId: string;
  readonly #active = new Map<string, ActiveRun>();
  /** Active runs whose targets are still being run. */
  #executing = 0;
  readonly #starting = new Set<string>();
  readonly #semaphores = new Map<string, Semaphore>();
  readonly #writer: RunWriter;
  /** Queued runs known to this process (announced by events, or found by a poll), oldest first, waiting for a free slot. */
  readonly #queued = new Set<string>();
  /** Queued runs waiting for a run of their task to end (overlap policy other than ALLOW), by task, and since when (epoch ms). */
  readonly #blocked = new Map<string, { runIds: Set<string>; since: number }>();
  /** The ids of the runs in #blocked. */
  readonly #blockedRunIds = new Set<string>();
  /** The last poll filled its page: more runs may be queued than this process knows of. */
  #moreQueued = false;
  #pumping: Promise<void> | undefined;
  #pumpAgain: { poll: boolean } | undefined;
  #pumpSoon: NodeJS.Immediate | undefined;
  #stopping = true;
  /** Looking for runs to start: stopped first at shutdown. */
  #intake: { timers: NodeJS.Timeout[]; unsubscribe: () => void } | undefined;
  /** Looking after the runs going on (leases, cancels) and closing those of dead processes: stopped once they are all done. */
  #upkeep: { timers: NodeJS.Timeout[]; unsubscribe: (() => void)[] } | undefined;
  readonly #stats: { runsExecuting: number } | undefined;
  readonly #metrics: ExecutionMetrics | undefined;
  #recovering = false;
  /** Wakes recovery when the earliest lease of another process's running runs ends. */
  #leaseEndTimer: NodeJS.Timeout | undefined;

  constructor(options: ExecutorOptions) {
    this.#db = options.db;
    this.#store = options.store;
    this.#events = options.events;
    this.#logger = options.logger.child({ component: "executor" });
    this.#limits = options.limits;
    this.#secrets = options.secrets;
    this.#now = options.now ?? Date.now;
    this.#random = options.random ?? Math.random;
    this.#maxConcurrentRuns = options.maxConcurrentRuns ?? 50;
    this.#pollIntervalMs = options.pollIntervalMs ?? 2_000;
    this.#leaseMs = options.leaseMs ?? 30_000;
    this.ownerId = options.ownerId ?? `${hostname()}:${process.pid}`;
    this.#stats = options.stats;
    this.#metrics = options.metrics;
    this.#writer = new RunWriter(this.#store, this.ownerId, this.#logger);
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
      timers: [setInterval(() => this.#kick(true), this.#pollIntervalMs)],
      unsubscribe: this.#events.on("runsCreated", ({ runs }) => {
        for (const run of runs) if (run.status === "QUEUED") this.#queued.add(run.id);
        this.#kick(false);
      }),
    };
    this.#upkeep = {
      timers: [
        setInterval(() => void this.#renewLeases(), Math.max(this.#leaseMs / 3, 100)),
        // At every poll (at least every third of a lease), and at the end of the earliest lease
        // of another process's running runs (see #recover).
        setInterval(() => void this.#recover(false), Math.min(this.#pollIntervalMs, this.#leaseMs / 3)),
      ],
      unsubscribe: [
        this.#events.on("runsCancelled", ({ runIds }) => this.#cancelLocal(runIds, cancelledByOperator)),
        this.#events.on("runsSuperseded", ({ runs }) => void this.#supersede(runs)),
        // A run another process ended may be the one runs waiting here waited for: they are
        // tried again at once rather than at the next poll.
        this.#events.on("runsEndedElsewhere", ({ runIds }) => void this.#unblockTasksOf(runIds)),
        // Runs queued or left by others may have gone unannounced, and ends unheard.
        this.#events.on("notificationsLost", () => {
          this.#unblockAll();
          this.#kick(true);
          void this.#recover(false);
        }),
      ],
    };
    for (const timer of [...this.#intake.timers, ...this.#upkeep.timers]) timer.unref();
    this.#logger.info({ ownerId: this.ownerId }, "executor started");
    this.#kick(true);
  }

  /** Starts no new run (drainInstance); running runs go on, their leases renewed, and dead processes' runs are still closed. */
  async drain(): Promise<void> {
    await this.#stopIntake();
    this.#logger.info({ runs: this.#active.size }, "executor drained: starting no new run");
  }

  async #stopIntake(): Promise<void> {
    this.#stopping = true;
    if (this.#intake) {
      for (const timer of this.#intake.timers) clearInterval(timer);
      this.#intake.unsubscribe();
      this.#intake = undefined;
    }
    clearImmediate(this.#pumpSoon);
    this.#pumpSoon = undefined;
    while (this.#pumping) await this.#pumping;
  }

  /**
   * Starts nothing new, lets running runs finish for up to `graceMs`, then cancels the rest
   * (commands killed, requests aborted) and resolves once they are recorded. Until then
   * leases are renewed, so other processes do not take the runs for interrupted ones, and
   * cancels are still obeyed.
   */
  async stop(graceMs: number): Promise<void> {
    await this.#stopIntake();
    const allDone = () => Promise.all([...this.#active.values()].map((run) => run.done));
    const drained = await Promise.race([allDone().then(() => true), sleep(graceMs, false, { ref: false })]);
    if (!drained) {
      this.#logger.warn({ runs: this.#active.size }, "cancelling runs still going after the shutdown grace period");
      this.#cancelLocal([...this.#active.keys()], shutdownReason);
      await allDone();
    }
    if (this.#upkeep) {
      for (const timer of this.#upkeep.timers) clearInterval(timer);
      for (const unsubscribe of this.#upkeep.unsubscribe) unsubscribe();
      this.#upkeep = undefined;
      clearTimeout(this.#leaseEndTimer);
    }
  }

  #countActive(): void {
    if (this.#stats) this.#stats.runsExecuting = this.#active.size;
  }

  /**
   * Free slots. A run holds one while its targets run, not while its end is being stored: the
   * next runs start meanwhile, and their ends are stored together with it.
   */
  #capacity(): number {
    return this.#maxConcurrentRuns - this.#executing - this.#starting.size;
  }

  /** The run's targets are done: its slot goes to the next queued run. */
  #releaseSlot(active: ActiveRun): void {
    if (!active.executing) return;
    active.executing = false;
    this.#executing -= 1;
    // Known queued runs first; the database only when it may hold more than those.
    this.#kick(this.#queued.size === 0 && this.#moreQueued);
  }

  /**
   * Starts known queued runs (with `poll`, after looking for more in the database) in the
   * next turn of the event loop, or right after the current pass: runs that end together
   * free their slots first, and are refilled with one batch.
   */
  #kick(poll: boolean): void {
    if (this.#stopping) return;
    this.#pumpAgain = { poll: poll || (this.#pumpAgain?.poll ?? false) };
    if (this.#pumping || this.#pumpSoon) return;
    this.#pumpSoon = setImmediate(() => {
      this.#pumpSoon = undefined;
      const again = this.#pumpAgain;
      this.#pumpAgain = undefined;
      if (!again || this.#stopping) return;
      this.#pumping = this.#pump(again.poll)
        .catch((error: unknown) => this.#logger.error({ err: error }, "could not look for queued runs"))
        .finally(() => {
          this.#pumping = undefined;
          if (this.#pumpAgain) this.#kick(this.#pumpAgain.poll);
        });
    });
  }

  async #pump(poll: boolean): Promise<void> {
    if (poll && this.#capacity() > 0) {
      // Runs blocked behind a running run of their task are passed over, so look further than the free slots.
      const limit = Math.max(this.#capacity() * 4, 100);
      const ids = await this.#store.queuedRunIds(limit);
      this.#moreQueued = ids.length === limit;
      // Runs known to wait for a run of their task are tried again when it ends, not at every
      // poll (a poll retrying them all held every task's claim lock, and held up every other
      // executor's claims); after a lease of waiting, in case that end went unheard, they are.
      this.#unblockWaitingSince(this.#now() - this.#leaseMs);
      for (const id of ids) if (!this.#blockedRunIds.has(id)) this.#queued.add(id);
    }
    while (!this.#stopping && this.#capacity() > 0 && this.#queued.size > 0) {
      const batch: string[] = [];
      const room = Math.min(this.#capacity(), maxBatch);
      for (const id of this.#queued) {
        if (batch.length >= room) break;
        this.#queued.delete(id);
        if (!this.#active.has(id) && !this.#starting.has(id)) batch.push(id);
      }
      if (batch.length > 0) await this.#startBatch(batch);
    }
  }

  /**
   * Starts the runs among `ids` that are still queued: late ones are skipped, the others
   * claimed with one statement; a task that does not allow overlaps gets one of them at a
   * time, the others wait for its end. Started runs go on in the background.
   */
  async #startBatch(ids: string[]): Promise<void> {
    for (const id of ids) this.#starting.add(id);
    try {
      const order = new Map(ids.map((id, i) => [id, i]));
      const runs = (await this.#store.loadRuns(ids)).sort((a, b) => order.get(a.id)! - order.get(b.id)!);
      const now = new Date(this.#now());
      const candidates: LoadedRun[] = [];
      const oneAtATime = new Set<string>();
      for (const run of runs) {
        if (run.status !== "QUEUED" || this.#stopping) continue;
        if (await this.#skipIfLate(run, now)) continue;
        if (overlapPolicyOf(run) !== "ALLOW") {
          if (oneAtATime.has(run.taskId)) {
            this.#block(run);
            continue;
          }
          oneAtATime.add(run.taskId);
        }
        candidates.push(run);
      }
      if (candidates.length === 0) return;
      const claimed = await this.#store.claimRuns(
        candidates.map((run) => run.id),
        this.ownerId,
        now,
        this.#leaseMs,
      );
      const started: { run: LoadedRun; active: ActiveRun }[] = [];
      for (const run of candidates) {
        if (!claimed.has(run.id)) {
          // Queued behind a running run of its task (or taken by another process, which the next try finds out).
          if (waitsForItsTask(run)) this.#block(run);
          continue;
        }
        const controller = new AbortController();
        // Every waiting target listens to the run's signal.
        setMaxListeners(0, controller.signal);
        const active: ActiveRun = { controller, executing: true, cancelReason: null, done: Promise.resolve() };
        this.#active.set(run.id, active);
        this.#metrics?.fireLag.observe({ stage: "start" }, Math.max(0, now.getTime() - run.claimedAt.getTime()) / 1000);
        this.#executing += 1;
        started.push({ run, active });
      }
      this.#countActive();
      const preparation = this.#prepare([...new Set(started.filter(({ run }) => !isNotification(run)).map(({ run }) => run.taskId))], started.map(({ run }) => run), now);
      for (const { run, active } of started) {
        active.done = preparation
          .then((prepared) => this.#carryOut(run, active, now, prepared))
          .catch(async (error: unknown) => {
            this.#logger.error({ err: error, runId: run.id }, "run failed inside the executor");
            active.controller.abort();
            await this.#failInternally(run, now, error);
          })
          .finally(() => {
            this.#active.delete(run.id);
            this.#countActive();
            this.#releaseSlot(active);
            // Runs of its task that waited for its end may start now.
            if (this.#unblock(run.taskId)) this.#kick(false);
          });
      }
    } finally {
      for (const id of ids) this.#starting.delete(id);
    }
  }

  /** Skips a run that can no longer start within its task's deadline; true if it was late. */
  async #skipIfLate(run: LoadedRun, now: Date): Promise<boolean> {
    const { deadlineSeconds } = run.task;
    // A run that started before (a workflow taken up again after a restart) is not late: it resumes.
    if (deadlineSeconds === null || run.startedAt !== null || isNotification(run)) return false;
    // A backfill's occurrences are past by design: its deadline counts from when it was asked for.
    const dueAt = run.trigger === "BACKFILL" ? run.claimedAt.getTime() : run.scheduledFor.getTime() + run.jitterMs;
    const lateMs = now.getTime() - dueAt;
    if (lateMs <= deadlineSeconds * 1000) return false;
    const reason = deadlineSkipReason(deadlineSeconds, lateMs);
    if (await this.#store.skipRun(run.id, reason, now)) {
      this.#progress("RUN_FINISHED", { ...this.#report(run, now), status: "SKIPPED", reason, startedAt: null, finishedAt: now });
      if (run.trigger === "SCHEDULE" || run.trigger === "CATCHUP") this.#metrics?.occurrences.inc({ outcome: "skipped_deadline" });
      this.#metrics?.runsFinished.inc({ status: "SKIPPED", service_kind: run.task.service.kind });
    }
    return true;
  }

  #block(run: LoadedRun): void {
    let waiting = this.#blocked.get(run.taskId);
    if (!waiting) this.#blocked.set(run.taskId, (waiting = { runIds: new Set(), since: this.#now() }));
    waiting.runIds.add(run.id);
    this.#blockedRunIds.add(run.id);
  }

  /**
   * The runs waiting here for a run of the same task as one of `endedRunIds` (ended by another
   * process) are tried again. Only those: trying every waiting run at every end anywhere had
   * each executor load and claim, under every task's lock, all its waiting runs many times a
   * second, which slowed every task's chain of runs. Which task a run was is not sent with
   * its end, so it is read (unless nothing waits here); should that fail, all are tried.
   */
  async #unblockTasksOf(endedRunIds: string[]): Promise<void> {
    if (this.#blocked.size === 0) return;
    let taskIds: Iterable<string>;
    try {
      taskIds = await this.#store.taskIdsOf(endedRunIds);
    } catch (error) {
      this.#logger.warn({ err: error }, "could not read the tasks of runs ended elsewhere; trying every waiting run again");
      taskIds = [...this.#blocked.keys()];
    }
    let any = false;
    for (const taskId of taskIds) any = this.#unblock(taskId) || any;
    if (any) this.#kick(false);
  }

  /** Every run waiting for a run of its task is tried again. */
  #unblockAll(): void {
    for (const taskId of [...this.#blocked.keys()]) this.#unblock(taskId);
  }

  /** The runs of tasks whose runs have waited since `before` (epoch ms) or earlier are tried again. */
  #unblockWaitingSince(before: number): void {
    for (const [taskId, { since }] of [...this.#blocked]) if (since <= before) this.#unblock(taskId);
  }

  /** A run of the task ended here: the runs that waited for it are tried again; true if there were any. */
  #unblock(taskId: string): boolean {
    const waiting = this.#blocked.get(taskId);
    if (!waiting) return false;
    this.#blocked.delete(taskId);
    for (const id of waiting.runIds) {
      this.#blockedRunIds.delete(id);
      this.#queued.add(id);
    }
    return true;
  }

  /**
   * For the tasks of runs just started: their lastRunStatus set RUNNING and their targets
   * resolved, each with one statement for all the tasks. Should that fail, task by task, so
   * that one task's problem fails only its own runs.
   */
  async #prepare(taskIds: string[], runs: LoadedRun[], startedAt: Date): Promise<BatchPreparation> {
    const notMarkedRunning = new Map<string, unknown>();
    await eachOrOneByOne(taskIds, (ids) => this.#store.setTasksRunning(ids, startedAt), notMarkedRunning);
    const targets = new Map<string, RunTargets | { error: unknown }>();
    const unresolved = new Map<string, unknown>();
    await eachOrOneByOne(
      taskIds.filter((id) => !notMarkedRunning.has(id)),
      async (ids) => {
        const resolved = await resolveTargetsOfTasks(this.#db, ids);
        for (const id of ids) {
          const found = resolved.get(id);
          if (!found && ids.length === 1) throw new Error("the task no longer exists");
          if (found) targets.set(id, found);
        }
      },
      unresolved,
    );
    for (const [id, error] of unresolved) targets.set(id, { error });
    const runTargets = new Map<string, RunTargets | { error: unknown }>();
    const ownRefs = new Map(runs.flatMap((run) => (run.targets ? [[run.id, run.targets as unknown as TargetRefs] as const] : [])));
    if (ownRefs.size > 0) {
      try {
        for (const [id, resolved] of await resolveTargetRefs(this.#db, ownRefs)) runTargets.set(id, resolved);
      } catch (error) {
        for (const id of ownRefs.keys()) runTargets.set(id, { error });
      }
    }
    // A notification run goes to its service's own targets (none: once, without a device).
    const notifying = runs.filter((run) => run.serviceId !== null);
    if (notifying.length > 0) {
      try {
        const resolved = await resolveTargetsOfServices(this.#db, [...new Set(notifying.map((run) => run.serviceId!))]);
        for (const run of notifying) runTargets.set(run.id, resolved.get(run.serviceId!) ?? { declared: false, devices: [] });
      } catch (error) {
        for (const run of notifying) runTargets.set(run.id, { error });
      }
    }
    return { notMarkedRunning, targets, runTargets };
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
      this.#measureEnd(run, "FAILED", startedAt, finishedAt);
    } catch (closeError) {
      this.#logger.error({ err: closeError, runId: run.id }, "could not close a run after an internal error; recovery closes it when its lease expires");
    }
  }

  /** The run as it stands once started here, for the live views. */
  #report(run: LoadedRun, startedAt: Date): RunReport {
    const { id, taskId, scheduledFor, reason } = run;
    // A workflow run resumed after a restart keeps the start it had.
    return { id, taskId, trigger: run.trigger as RunTrigger, status: "RUNNING", scheduledFor, reason, startedAt: run.startedAt ?? startedAt, finishedAt: null, targetCount: 0, succeededCount: 0, failedCount: 0 };
  }

  #measureEnd(run: LoadedRun, status: string, startedAt: Date, finishedAt: Date): void {
    const labels = { status, service_kind: run.task.service.kind };
    this.#metrics?.runsFinished.inc(labels);
    this.#metrics?.runDuration.observe(labels, Math.max(0, finishedAt.getTime() - startedAt.getTime()) / 1000);
  }

  #progress(type: CronlineEvents["runProgress"]["type"], run: RunReport, result: NewRunResult | null = null): void {
    this.#events.emit("runProgress", { type, run, result, step: null });
  }

  async #carryOut(run: LoadedRun, active: ActiveRun, startedAt: Date, prepared: BatchPreparation): Promise<void> {
    if (!isNotification(run) && prepared.notMarkedRunning.has(run.taskId)) throw prepared.notMarkedRunning.get(run.taskId);
    const report = this.#report(run, startedAt);
    this.#progress("RUN_STARTED", report);
    const { service } = run.task;
    const targets = prepared.runTargets.get(run.id) ?? prepared.targets.get(run.taskId) ?? { error: new Error("the targets were not resolved") };
    if ("error" in targets) throw targets.error;
    let summary: RunSummary;
    if (targets.declared && targets.devices.length === 0) {
      summary = { status: "FAILED", targetCount: 0, succeededCount: 0, failedCount: 0, reason: "no target devices: the targeted pools have no devices" };
    } else if (service.kind === "WORKFLOW") {
      summary = await this.#carryOutWorkflow(run, report, targets, active);
    } else {
      const attempt = prepareAttempt(service, this.#limits, this.#secrets, this.#logger);
      const semaphore = this.#semaphoreFor(service.id, service.concurrency);
      const devices: (TargetDevice | null)[] = targets.declared ? targets.devices : [null];
      const settings: TargetSettings = { stepName: null, maxAttempts: run.task.maxAttempts, retryBackoffSeconds: run.task.retryBackoffSeconds, context: (device) => this.#context(run, device) };
      const finals = await Promise.all(devices.map((device) => this.#runTarget(run, report, device, attempt, semaphore, active.controller.signal, settings)));
      summary = summarizeRun(finals.map((end) => end.status), active.cancelReason);
    }
    this.#releaseSlot(active);
    const finishedAt = new Date(this.#now());
    // After every result of the run: a run whose results could not all be stored ends FAILED, saying so.
    const written = await this.#writer.endRun({ runId: run.id, summary, finishedAt });
    if (written) {
      const { status, cancelReason } = written;
      const { targetCount, succeededCount, failedCount } = written.summary;
      // A run cancelled in the database (possibly through another process) ends with the reason stored there.
      const reason = cancelReason ?? written.summary.reason ?? run.reason;
      this.#progress("RUN_FINISHED", { ...report, status, reason, finishedAt, targetCount, succeededCount, failedCount });
      this.#measureEnd(run, status, startedAt, finishedAt);
    }
    this.#logger.info({ runId: run.id, taskId: run.taskId, status: written?.status, targets: summary.targetCount, failed: summary.failedCount }, "run finished");
  }

  #semaphoreFor(serviceId: string, limit: number): Semaphore {
    let semaphore = this.#semaphores.get(serviceId);
    if (!semaphore) this.#semaphores.set(serviceId, (semaphore = new Semaphore(limit)));
    semaphore.limit = limit;
    return semaphore;
  }

  /**
   * Every attempt against one target, recorded (under `target.stepName` in a workflow);
   * returns the last one's outcome, and a promise settled once all are stored (or given up).
   */
  async #runTarget(run: LoadedRun, report: RunReport, device: TargetDevice | null, attempt: Attempt, semaphore: Semaphore, signal: AbortSignal, target: TargetSettings): Promise<TargetEnd> {
    const stored: Promise<void>[] = [];
    for (let number = 1; ; number++) {
      const release = await semaphore.acquire(signal);
      const startedAt = new Date(this.#now());
      const started = performance.now();
      let outcome: AttemptOutcome;
      if (!release) outcome = failedOutcome("cancelled before it started", "CANCELLED");
      else {
        try {
          outcome = await attempt(target.context(device), signal);
        } catch (error) {
          if (error instanceof TemplateError) outcome = permanentFailure(error.unquoted);
          else {
            outcome = failedOutcome(`internal error: ${errorText(error)}`);
            this.#logger.error({ err: error, runId: run.id }, "attempt failed unexpectedly");
          }
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
        stepName: target.stepName,
        attempt: number,
        ...storableOutcome(recordedOutcome),
        startedAt,
        finishedAt: new Date(this.#now()),
        durationMs: Math.round(performance.now() - started),
      };
      this.#metrics?.targetDuration.observe({ status: result.status, service_kind: run.task.service.kind }, result.durationMs / 1000);
      // Reported once stored: a process that dies loses nothing it has reported.
      stored.push(new Promise((resolve) => this.#writer.addResult(result, () => {
        this.#progress("TARGET_FINISHED", target.report?.() ?? report, result);
        resolve();
      })));
      const last = !deservesRetry(outcome.status) || permanent || number >= target.maxAttempts || signal.aborted;
      if (!last) {
        try {
          await sleep(retryDelayMs(target.retryBackoffSeconds, number + 1, this.#random), undefined, { signal });
          continue;
        } catch {
          // cancelled while waiting to retry
        }
      }
      return { status: outcome.status, result, stored: Promise.all(stored).then(() => {}) };
    }
  }

  /** The template context of a target outside workflows. */
  #context(run: LoadedRun, device: TargetDevice | null): TemplateContext {
    return { device, payload: run.payload as Record<string, unknown>, task: { name: run.task.name }, run: { id: run.id }, scheduledFor: run.scheduledFor };
  }

  /** A WORKFLOW run: its steps, recorded as they go, after those it recorded before a restart. */
  async #carryOutWorkflow(run: LoadedRun, report: RunReport, targets: RunTargets, active: ActiveRun): Promise<RunSummary> {
    const signal = active.controller.signal;
    const steps = await this.#store.loadSteps(run.id);
    const progress: RecordedProgress = { steps: new Map(steps.map((step) => [step.name, step])), results: await this.#store.loadStepResults(run.id) };
    // The tree as it stands, for the live views: every event of the run carries it.
    const tree = new Map(steps.map((step) => [step.name, step]));
    const current = (): RunReport => ({ ...report, steps: [...tree.values()].map((step) => ({ ...step })) });
    const host: WorkflowHost = {
      signal,
      now: () => new Date(this.#now()),
      services: async (names) => {
        const rows = await this.#db.service.findMany({ where: { name: { in: names } }, select: stepServiceColumns });
        return new Map(rows.map((row) => [row.name, row]));
      },
      serviceTargets: async (serviceId) => (await resolveTargetsOfServices(this.#db, [serviceId])).get(serviceId) ?? { declared: false, devices: [] },
      saveStep: async (step, event) => {
        await this.#store.saveStep(run.id, step, event);
        tree.set(step.name, { ...step });
        this.#events.emit("runProgress", { type: event, run: current(), result: null, step: { ...step } });
      },
      runLeaf: async (path, step, service, devices, context) => {
        const stored = service as StepServiceRow;
        const config = step.timeoutSeconds === undefined ? stored.config : { ...(stored.config as object), timeoutSeconds: step.timeoutSeconds };
        const limits = step.killGraceSeconds === undefined ? this.#limits : { ...this.#limits, killGraceMs: step.killGraceSeconds * 1000 };
        const attempt = prepareAttempt({ ...stored, config }, limits, this.#secrets, this.#logger);
        const semaphore = this.#semaphoreFor(stored.id, stored.concurrency);
        const settings: TargetSettings = {
          stepName: path,
          maxAttempts: step.maxAttempts ?? run.task.maxAttempts,
          retryBackoffSeconds: step.retryBackoffSeconds ?? run.task.retryBackoffSeconds,
          context,
          report: current,
        };
        const ends = await Promise.all(devices.map((device) => this.#runTarget(run, report, device, attempt, semaphore, signal, settings)));
        // The step ends once its results are stored: a run resumed later finds them.
        await Promise.all(ends.map((end) => end.stored));
        return ends.map(({ status, result }) => ({
          status,
          result: { deviceName: result.deviceName, status: result.status, exitCode: result.exitCode, httpStatus: result.httpStatus, output: result.output, errorOutput: result.errorOutput },
        }));
      },
    };
    const runner = new WorkflowRunner(host, progress, this.#context(run, null), () => active.cancelReason);
    const outcome = await runner.run(run.task.service.config as WorkflowConfig, targets);
    report.steps = [...tree.values()];
    return { ...outcome, status: outcome.status };
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
      if (queued.length > 0) this.#metrics?.runsFinished.inc({ status: "CANCELLED", service_kind: "unknown" }, queued.length);
      this.#kick(true);
    } catch (error) {
      this.#logger.error({ err: error, superseding }, "could not cancel superseded runs");
    }
  }

  /** Keeps this process's leases alive; runs closed meanwhile by someone else are stopped. */
  async #renewLeases(): Promise<void> {
    try {
      const lost = await this.#store.renewLeases(this.ownerId, this.activeRunIds, this.#leaseMs);
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
    // One pass at a time: a slow one does not pile up more behind it.
    if (this.#recovering) return;
    this.#recovering = true;
    try {
      const { closed, reruns, resumed } = await this.#store.recoverInterruptedRuns(this.ownerId, this.activeRunIds, new Date(this.#now()), atStartup);
      if (resumed.length > 0) {
        this.#logger.warn({ runs: resumed.length }, "queued interrupted workflow runs again: they resume after their recorded steps");
        for (const id of resumed) this.#queued.add(id);
        this.#kick(false);
      }
      if (closed.length > 0) {
        this.#logger.warn({ closed: closed.length, reruns: reruns.length }, "closed interrupted runs");
        for (const run of closed) this.#progress("RUN_FINISHED", run);
        this.#metrics?.runsFinished.inc({ status: "FAILED", service_kind: "unknown" }, closed.length);
        if (reruns.length > 0) this.#events.emit("runsCreated", { runs: reruns });
        // Queued runs that waited behind the closed ones may start now: those known here at
        // once, without a poll first (the database only when none are known).
        for (const run of closed) this.#unblock(run.taskId);
        this.#kick(this.#queued.size === 0);
      }
      await this.#wakeAtLeaseEnd();
    } catch (error) {
      this.#logger.error({ err: error }, "could not close interrupted runs");
    } finally {
      this.#recovering = false;
    }
  }

  /**
   * A dead process's runs are closed right as their lease ends, not up to a poll later: the
   * runs of their tasks queued behind them (overlap policies other than ALLOW) wait no longer
   * than the lease. A live process renews its leases before then, and the pass finds nothing.
   */
  async #wakeAtLeaseEnd(): Promise<void> {
    if (!this.#upkeep) return;
    const end = await this.#store.earliestLeaseEnd(this.activeRunIds);
    clearTimeout(this.#leaseEndTimer);
    if (end === null || !this.#upkeep) return;
    // Just past the end, by the database's clock (which this.#now follows).
    this.#leaseEndTimer = setTimeout(() => void this.#recover(false), Math.max(end.getTime() - this.#now(), 0) + 100);
    this.#leaseEndTimer.unref();
  }
}

/**
 * Does `work` for all `ids` at once; if that fails, for each id on its own, recording in
 * `failures` the ids it failed for and why.
 */
async function eachOrOneByOne(ids: string[], work: (ids: string[]) => Promise<void>, failures: Map<string, unknown>): Promise<void> {
  if (ids.length === 0) return;
  try {
    await work(ids);
    return;
  } catch (error) {
    if (ids.length === 1) {
      failures.set(ids[0]!, error);
      return;
    }
  }
  for (const id of ids) {
    try {
      await work([id]);
    } catch (error) {
      failures.set(id, error);
    }
  }
}
