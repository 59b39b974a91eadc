// The in-process scheduler: keeps every active task in a FireQueue, wakes when the earliest
// is due, plans the fires (fire-plan.ts) and claims them in one transaction (task-store.ts).
// The database is the truth: a claim that loses to another process or to an API write
// reloads the task and carries on from what it finds. Changes made elsewhere arrive as events
// (from this process's API, or other processes through the cluster relay); a slow resync
// compares versions with the database in case one was lost.
import { randomFillSync } from "node:crypto";
import { v7 as uuidv7 } from "uuid";
import { notesOfEvent } from "../cluster/notes.js";
import type { NewRun } from "../domain/runs.js";
import type { CronlineEvents, EventBus, EventName } from "../events/event-bus.js";
import type { Logger } from "../logger.js";
import type { SchedulerMetrics } from "../metrics/catalog.js";
import { planFire, type ActiveRuns, type FirePlan, type SchedulableTask } from "./fire-plan.js";
import { FireQueue } from "./fire-queue.js";
import { applyJitter, nextOccurrence } from "./time/index.js";
import type { CachedTask, Claim, ClaimOutcome, TaskStore } from "./task-store.js";

export interface SchedulerOptions {
  store: TaskStore;
  events: EventBus;
  logger: Logger;
  /** Epoch milliseconds now; tests pass a fake clock. */
  now?: () => number;
  /** [0, 1); drives jitter. */
  random?: () => number;
  /** How often to compare the tasks held with the database, for changes whose event was lost. */
  resyncIntervalMs?: number;
  /** Where claims and changes the resync had to catch are counted (the instance's heartbeat reports them). */
  stats?: SchedulerStats;
  /** Where fire lag, occurrences and claim conflicts are recorded (GET /metrics). */
  metrics?: Pick<SchedulerMetrics, "fireLag" | "occurrences" | "claimConflicts">;
}

export interface SchedulerStats {
  recordClaims(count: number, at: number): void;
  recordMissedChanges(count: number): void;
}

/**
 * Timers never wait longer than this: a long wait is re-armed, so a suspended machine or a
 * clock step is noticed within this time, and no timer exceeds Node's 32-bit limit.
 */
const maxTimerMs = 30_000;
/** Tasks claimed in one transaction. */
const claimBatchSize = 5_000;
/** How soon a failed cycle (database unreachable, say) is tried again. */
const retryDelayMs = 1_000;
/**
 * A difference the resync finds is counted as missed when no event about the task came
 * within this time: an event still on its way when the resync read (late, on a busy
 * machine) is not a lost one.
 */
export const missedChangeGraceMs = 10_000;

/**
 * Where a series that this plan completes would go on if it turned out not to have reached
 * maxRuns (see Claim.resumeAt): the first occurrence after the last one the plan dealt with.
 */
function resumeAfterMaxRuns(task: CachedTask, plan: FirePlan): Date | null {
  const last = plan.runs.at(-1);
  if (plan.state !== "COMPLETED" || task.maxRuns === null || !last) return null;
  return nextOccurrence(task.schedule, task.timezone, last.occurrence, task.dstPolicy);
}

const noActiveRuns: ActiveRuns = { queued: 0, running: 0 };

type EventList = { [K in EventName]: [K, CronlineEvents[K]] }[EventName][];

/** What a claim's outcome tells everyone: the runs to stop and the runs created first, then the tasks that completed or moved on. */
function claimEvents(claims: Claim[], { claimed, created, recounted }: ClaimOutcome): { runs: EventList; tasks: EventList } {
  const runs: EventList = [];
  const createdIds = new Set(created.map((run) => run.id));
  const superseding = claims.filter((claim) => claim.plan.supersedeActiveRuns && claimed.has(claim.task.id));
  const newest = superseding.flatMap(({ task, runs: planned }) => {
    // The first run the fire queued: a chain of catch-up runs cancels what came before it, not itself.
    const run = planned.find((r) => r.status === "QUEUED" && createdIds.has(r.id));
    return run ? [{ taskId: task.id, runId: run.id }] : [];
  });
  if (newest.length > 0) runs.push(["runsSuperseded", { runs: newest }]);
  if (created.length > 0) runs.push(["runsCreated", { runs: created }]);
  const tasks: EventList = [];
  const advanced = claims.filter(({ task }) => claimed.has(task.id)).map(({ task, plan }) => ({ taskId: task.id, nextRunAt: advancedTask(task, plan, recounted).nextRunAt, version: task.version + 1 }));
  for (const { taskId, nextRunAt } of advanced) if (!nextRunAt) tasks.push(["taskChanged", { taskId, change: "COMPLETED" }]);
  if (advanced.length > 0) tasks.push(["tasksAdvanced", { tasks: advanced }]);
  return { runs, tasks };
}

/** What a resync watches for within its grace, to tell a lost event from one on its way. */
interface ResyncWatch {
  /** Tasks an event told of. */
  heard: Set<string>;
  /** The version each claim of this scheduler wrote. */
  claimed: Map<string, number>;
}

/** A claimed task as its row now holds it. */
function advancedTask(task: CachedTask, plan: FirePlan, recounted: ClaimOutcome["recounted"]): { nextRunAt: Date | null; scheduledRunCount: number } {
  return recounted.get(task.id) ?? { nextRunAt: plan.nextRunAt, scheduledRunCount: task.scheduledRunCount + plan.queued };
}

/**
 * What planFire reads of a task besides its identity (id, version). A Record so that a
 * field added to SchedulableTask fails to compile here until it is named.
 */
const planInputs: Record<Exclude<keyof SchedulableTask, "id" | "version">, true> = {
  schedule: true,
  timezone: true,
  dstPolicy: true,
  nextRunAt: true,
  scheduledRunCount: true,
  maxRuns: true,
  misfirePolicy: true,
  misfireGraceSeconds: true,
  overlapPolicy: true,
  maxConcurrentRuns: true,
};
const planInputNames = Object.keys(planInputs) as (keyof typeof planInputs)[];

/**
 * The plans of one batch. planFire is pure, and tasks made from one template come due
 * together sharing one schedule object: tasks that agree on everything it reads get one
 * plan, computed once (its runs are copied per task, not shared).
 */
class SharedPlans {
  static readonly #scheduleIds = new WeakMap<object, number>();
  static #nextScheduleId = 0;
  readonly #plans = new Map<string, FirePlan>();
  readonly #now: Date;

  constructor(now: Date) {
    this.#now = now;
  }

  planFor(task: SchedulableTask, active: ActiveRuns, jitterMs: number): FirePlan {
    const inputs = planInputNames.map((name) => (name === "schedule" ? SharedPlans.#scheduleId(task.schedule) : plannedValue(task[name])));
    const key = [...inputs, active.queued, active.running, jitterMs].join("\u0000");
    let plan = this.#plans.get(key);
    if (!plan) {
      plan = planFire(task, this.#now, active, jitterMs);
      this.#plans.set(key, plan);
    }
    return plan;
  }

  static #scheduleId(schedule: object): number {
    let id = SharedPlans.#scheduleIds.get(schedule);
    if (id === undefined) {
      id = SharedPlans.#nextScheduleId++;
      SharedPlans.#scheduleIds.set(schedule, id);
    }
    return id;
  }
}

const plannedValue = (value: unknown) => (value instanceof Date ? value.getTime() : String(value));

/**
 * Ids for a batch's runs, ascending in the order they are asked for (so the rows go into
 * Run's primary key in order). uuid's v7 asks the system for 16 random bytes per id, which
 * costs more than the rest of planning a run: the batch's bytes are drawn in one go, and the
 * ids share the claim instant with a counter from a random start, as v7 prescribes.
 */
function runIdSource(count: number, claimedAt: Date): () => string {
  const random = randomFillSync(new Uint8Array(16 * (count + 1)));
  // 30 random bits, so that adding the count never passes v7's 32-bit counter.
  const firstSeq = new DataView(random.buffer).getUint32(0) >>> 2;
  let next = 0;
  return () => {
    next += 1;
    return uuidv7({ random: random.subarray(16 * next, 16 * next + 16), msecs: claimedAt.getTime(), seq: firstSeq + next });
  };
}

export class Scheduler {
  readonly #store: TaskStore;
  readonly #events: EventBus;
  readonly #logger: Logger;
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #resyncIntervalMs: number;
  readonly #queue = new FireQueue();
  readonly #tasks = new Map<string, CachedTask>();
  /** Jitter of each task's next fire, recorded in the run it creates. */
  readonly #jitter = new Map<string, number>();
  readonly #pendingReloads = new Set<string>();
  readonly #stats: SchedulerStats | undefined;
  readonly #metrics: SchedulerOptions["metrics"];
  /** One per resync within its grace: what events told of, and what this scheduler claimed, since it began. */
  readonly #watches = new Set<ResyncWatch>();
  #timer: NodeJS.Timeout | undefined;
  #resyncTimer: NodeJS.Timeout | undefined;
  #resyncing = false;
  #busy: Promise<void> | undefined;
  #wakeAgain = false;
  #stopped = true;
  #unsubscribe: (() => void)[] = [];

  constructor(options: SchedulerOptions) {
    this.#store = options.store;
    this.#events = options.events;
    this.#logger = options.logger.child({ component: "scheduler" });
    this.#now = options.now ?? Date.now;
    this.#random = options.random ?? Math.random;
    this.#resyncIntervalMs = options.resyncIntervalMs ?? 10_000;
    this.#stats = options.stats;
    this.#metrics = options.metrics;
  }

  /** Number of tasks waiting to fire. */
  get size(): number {
    return this.#queue.size;
  }

  /** When a task will fire next (after jitter), or undefined if it is not scheduled here. */
  fireTimeOf(taskId: string): number | undefined {
    const task = this.#tasks.get(taskId);
    return task ? task.nextRunAt.getTime() + (this.#jitter.get(taskId) ?? 0) : undefined;
  }

  async start(): Promise<void> {
    // Listening before the load: a change made while it reads is reloaded after it (nothing
    // runs before #stopped is cleared).
    this.#unsubscribe = [
      this.#events.on("taskChanged", ({ taskId }) => this.#heard([taskId])),
      this.#events.on("tasksAdvanced", ({ tasks }) => this.#heard(tasks.filter((task) => this.#isNewer(task.taskId, task.version, task.nextRunAt)).map((task) => task.taskId))),
      this.#events.on("notificationsLost", () => void this.#resync()),
    ];
    const tasks = await this.#store.loadActiveTasks();
    for (const task of tasks) this.#schedule(task);
    this.#stopped = false;
    this.#resyncTimer = setInterval(() => void this.#resync(), this.#resyncIntervalMs);
    this.#resyncTimer.unref();
    this.#logger.info({ tasks: tasks.length }, "scheduler started");
    this.#wake();
  }

  /** Claims nothing more (drainInstance); what it claimed goes on. */
  async drain(): Promise<void> {
    await this.stop();
    this.#logger.info("scheduler drained: claiming nothing more");
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    clearInterval(this.#resyncTimer);
    for (const unsubscribe of this.#unsubscribe.splice(0)) unsubscribe();
    await this.#busy;
  }

  /** Looks at the clock now, fires what is due, and resolves when that is done. */
  async checkNow(): Promise<void> {
    this.#wake();
    while (this.#busy) await this.#busy;
  }

  /** Re-reads these tasks from the database at the next wake-up (at once). */
  reload(taskIds: string[]): void {
    for (const id of taskIds) this.#pendingReloads.add(id);
    this.#wake();
  }

  /** An event told of changes to these tasks. */
  #heard(taskIds: string[]): void {
    for (const watch of this.#watches) for (const id of taskIds) watch.heard.add(id);
    this.reload(taskIds);
  }

  /** A claim wrote `version` of the task: news unless this scheduler holds it at that version (its own claim) or let it go (its own completion). */
  #isNewer(taskId: string, version: number, nextRunAt: Date | null): boolean {
    const held = this.#tasks.get(taskId);
    return held ? held.version < version : nextRunAt !== null;
  }

  #schedule(task: CachedTask): void {
    const { fireAt, jitterMs } = applyJitter(task.nextRunAt, task.jitterSeconds, this.#random);
    this.#tasks.set(task.id, task);
    this.#jitter.set(task.id, jitterMs);
    this.#queue.set(task.id, fireAt.getTime());
  }

  #unschedule(taskId: string): void {
    this.#tasks.delete(taskId);
    this.#jitter.delete(taskId);
    this.#queue.delete(taskId);
  }

  /** Runs a cycle now, or right after the one in progress. */
  #wake(): void {
    if (this.#stopped) return;
    if (this.#busy) {
      this.#wakeAgain = true;
      return;
    }
    clearTimeout(this.#timer);
    let failed = false;
    this.#busy = this.#cycle()
      .catch((error: unknown) => {
        failed = true;
        this.#logger.error({ err: error, retryInMs: retryDelayMs }, "scheduler cycle failed; retrying");
      })
      .finally(() => {
        this.#busy = undefined;
        if (this.#wakeAgain && !failed) {
          this.#wakeAgain = false;
          this.#wake();
        } else {
          this.#arm(failed ? retryDelayMs : maxTimerMs);
        }
      });
  }

  #arm(maxDelayMs: number): void {
    if (this.#stopped) return;
    const next = this.#queue.peekTime();
    const delay = next === undefined ? maxDelayMs : Math.min(Math.max(next - this.#now(), 0), maxDelayMs);
    this.#timer = setTimeout(() => this.#wake(), delay);
  }

  /** A cycle that fails (the database is away) leaves its work to be done again, not lost. */
  async #cycle(): Promise<void> {
    if (this.#pendingReloads.size > 0) {
      const ids = [...this.#pendingReloads];
      this.#pendingReloads.clear();
      try {
        await this.#reloadNow(ids);
      } catch (error) {
        for (const id of ids) this.#pendingReloads.add(id);
        throw error;
      }
    }
    // One batch a cycle: each commits and reaches the executor on its own, no write
    // transaction holds the database (a SQLite file) long while thousands of tasks fire in one
    // second, and between batches the timer lets HTTP requests and other timers run (the
    // SQLite driver answers without ever yielding to them).
    const now = this.#now();
    // In id order, the batch's writes walk Task's and Run's indexes in order: SQLite then
    // touches (and commits) far fewer pages than in the queue's order.
    const due = this.#queue.popDue(now, claimBatchSize).sort();
    if (due.length > 0) await this.#fire(due, now);
  }

  async #reloadNow(ids: string[]): Promise<void> {
    for (const [id, task] of await this.#store.loadTasks(ids)) {
      if (task) this.#schedule(task);
      else this.#unschedule(id);
    }
  }

  async #fire(taskIds: string[], now: number): Promise<void> {
    const tasks = taskIds.flatMap((id) => this.#tasks.get(id) ?? []);
    let claims: Claim[];
    let outcome: Awaited<ReturnType<TaskStore["applyClaims"]>>;
    try {
      claims = await this.#planClaims(tasks, new Date(now));
      const planned = claims;
      // The other processes hear of the claim from its own transaction.
      outcome = await this.#store.applyClaims(planned, (applied) => {
        const { runs, tasks: news } = claimEvents(planned, applied);
        return [...runs, ...news].flatMap(([event, payload]) => notesOfEvent(event, payload));
      });
    } catch (error) {
      // Nothing was claimed (one transaction): the tasks are still due, with the same jitter.
      for (const task of tasks) this.#queue.set(task.id, now);
      throw error;
    }
    const { claimed, recounted } = outcome;
    const events = claimEvents(claims, outcome);
    // The runs go to the executor first; the tasks' news once this scheduler holds them as they are now.
    emitAll(this.#events, events.runs);
    const lost: string[] = [];
    for (const { task, plan } of claims) {
      if (!claimed.has(task.id)) {
        lost.push(task.id);
        continue;
      }
      const after = advancedTask(task, plan, recounted);
      if (after.nextRunAt) {
        this.#schedule({ ...task, version: task.version + 1, nextRunAt: after.nextRunAt, scheduledRunCount: after.scheduledRunCount });
      } else {
        this.#unschedule(task.id);
      }
    }
    if (claimed.size > 0) this.#stats?.recordClaims(claimed.size, now);
    this.#measure(claims, outcome, now);
    for (const watch of this.#watches) for (const { task } of claims) if (claimed.has(task.id)) watch.claimed.set(task.id, task.version + 1);
    if (lost.length > 0) {
      this.#logger.debug({ tasks: lost.length }, "tasks changed elsewhere; reloading");
      this.reload(lost);
    }
    emitAll(this.#events, events.tasks);
  }

  /** Fire lag of the runs queued, what became of the occurrences, and the claims lost. */
  #measure(claims: Claim[], { claimed, created }: ClaimOutcome, now: number): void {
    const metrics = this.#metrics;
    if (!metrics) return;
    if (claimed.size < claims.length) metrics.claimConflicts.inc(claims.length - claimed.size);
    // Usually every planned run is created; else only those created count.
    const createdIds = created.length === claims.reduce((sum, claim) => sum + claim.runs.length, 0) ? null : new Set(created.map((run) => run.id));
    const occurrences = new Map<string, number>();
    for (const { task, plan, runs } of claims) {
      if (!claimed.has(task.id)) continue;
      plan.runs.forEach((planned, i) => {
        const run = runs[i]!;
        if (createdIds && !createdIds.has(run.id)) return;
        occurrences.set(planned.outcome, (occurrences.get(planned.outcome) ?? 0) + planned.occurrences);
        if (run.status === "QUEUED") metrics.fireLag.observe({ stage: "claim" }, Math.max(0, now - run.scheduledFor.getTime() - run.jitterMs) / 1000);
      });
    }
    for (const [outcome, count] of occurrences) metrics.occurrences.inc({ outcome }, count);
  }

  async #planClaims(tasks: CachedTask[], claimedAt: Date): Promise<Claim[]> {
    const active = await this.#store.activeRuns(tasks.filter((t) => t.overlapPolicy !== "ALLOW" || t.maxConcurrentRuns !== null).map((t) => t.id));
    const plans = new SharedPlans(claimedAt);
    const planned = tasks.map((task) => {
      const jitterMs = this.#jitter.get(task.id) ?? 0;
      return { task, jitterMs, plan: plans.planFor(task, active.get(task.id) ?? noActiveRuns, jitterMs) };
    });
    const runId = runIdSource(planned.reduce((sum, { plan }) => sum + plan.runs.length, 0), claimedAt);
    return planned.map(({ task, jitterMs, plan }) => {
      // The jitter delayed this fire: it belongs to the run queued by it, not to a skipped record.
      const firedRun = plan.runs.find((run) => run.status === "QUEUED");
      const runs = plan.runs.map(
        (run): NewRun => ({
          id: runId(),
          taskId: task.id,
          trigger: run.trigger,
          status: run.status,
          scheduledFor: run.occurrence,
          occurrence: run.occurrence,
          jitterMs: run === firedRun ? jitterMs : 0,
          reason: run.reason,
          payload: task.payload,
          claimedAt,
          overlapPolicy: run.overlapPolicy,
        }),
      );
      return { task, plan, runs, resumeAt: resumeAfterMaxRuns(task, plan) };
    });
  }

  /**
   * Compares the versions of the tasks to schedule with those held, and reloads whatever
   * differs: a change whose event was lost (the listening connection was down, a process died
   * between its commit and its notification). A difference no event explains within
   * missedChangeGraceMs is counted as missed.
   */
  async #resync(): Promise<void> {
    if (this.#resyncing || this.#stopped) return;
    this.#resyncing = true;
    const watch: ResyncWatch = { heard: new Set(this.#pendingReloads), claimed: new Map() };
    this.#watches.add(watch);
    try {
      const versions = await this.#store.activeTaskVersions();
      const differing = [...versions].filter(([id, version]) => (this.#tasks.get(id)?.version ?? -1) < version).map(([id]) => id);
      for (const id of this.#tasks.keys()) if (!versions.has(id)) differing.push(id);
      if (differing.length > 0) this.reload(differing);
      const timer = setTimeout(() => {
        this.#watches.delete(watch);
        // A version this scheduler's own claim wrote, read before the claim's end was taken in, is no news either.
        const missed = differing.filter((id) => !watch.heard.has(id) && watch.claimed.get(id) !== versions.get(id));
        if (missed.length === 0) return;
        this.#stats?.recordMissedChanges(missed.length);
        this.#logger.warn({ tasks: missed.length }, "the resync found task changes that no event had announced");
      }, missedChangeGraceMs);
      timer.unref();
    } catch (error) {
      this.#watches.delete(watch);
      this.#logger.warn({ err: error }, "could not compare the tasks with the database");
    } finally {
      this.#resyncing = false;
    }
  }
}

function emitAll(bus: EventBus, events: EventList): void {
  for (const [event, payload] of events) bus.emit(event, payload as never);
}
