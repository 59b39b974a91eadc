// The in-process scheduler: keeps every active task in a FireQueue, wakes when the earliest
// is due, plans the fires (fire-plan.ts) and claims them in one transaction (task-store.ts).
// The database is the truth: a claim that loses to another process or to an API write
// reloads the task and carries on from what it finds.
import { randomFillSync } from "node:crypto";
import { v7 as uuidv7 } from "uuid";
import type { NewRun } from "../domain/runs.js";
import type { EventBus } from "../events/event-bus.js";
import type { Logger } from "../logger.js";
import { planFire, type ActiveRuns, type FirePlan, type SchedulableTask } from "./fire-plan.js";
import { FireQueue } from "./fire-queue.js";
import { applyJitter, nextOccurrence } from "./time/index.js";
import type { CachedTask, Claim, TaskStore } from "./task-store.js";

export interface SchedulerOptions {
  store: TaskStore;
  events: EventBus;
  logger: Logger;
  /** Epoch milliseconds now; tests pass a fake clock. */
  now?: () => number;
  /** [0, 1); drives jitter. */
  random?: () => number;
  /** How often to look for tasks changed by other processes. */
  resyncIntervalMs?: number;
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
 * Where a series that this plan completes would go on if it turned out not to have reached
 * maxRuns (see Claim.resumeAt): the first occurrence after the last one the plan dealt with.
 */
function resumeAfterMaxRuns(task: CachedTask, plan: FirePlan): Date | null {
  const last = plan.runs.at(-1);
  if (plan.state !== "COMPLETED" || task.maxRuns === null || !last) return null;
  return nextOccurrence(task.schedule, task.timezone, last.occurrence);
}

const noActiveRuns: ActiveRuns = { queued: 0, running: 0 };

/**
 * What planFire reads of a task besides its identity (id, version). A Record so that a
 * field added to SchedulableTask fails to compile here until it is named.
 */
const planInputs: Record<Exclude<keyof SchedulableTask, "id" | "version">, true> = {
  schedule: true,
  timezone: true,
  nextRunAt: true,
  scheduledRunCount: true,
  maxRuns: true,
  misfirePolicy: true,
  misfireGraceSeconds: true,
  overlapPolicy: true,
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
  #timer: NodeJS.Timeout | undefined;
  #resyncTimer: NodeJS.Timeout | undefined;
  #lastResync = 0;
  #busy: Promise<void> | undefined;
  #wakeAgain = false;
  #stopped = true;
  #unsubscribe: (() => void) | undefined;

  constructor(options: SchedulerOptions) {
    this.#store = options.store;
    this.#events = options.events;
    this.#logger = options.logger.child({ component: "scheduler" });
    this.#now = options.now ?? Date.now;
    this.#random = options.random ?? Math.random;
    this.#resyncIntervalMs = options.resyncIntervalMs ?? 10_000;
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
    this.#stopped = false;
    this.#lastResync = this.#now();
    const tasks = await this.#store.loadActiveTasks();
    for (const task of tasks) this.#schedule(task);
    this.#unsubscribe = this.#events.on("taskChanged", ({ taskId }) => this.reload([taskId]));
    this.#resyncTimer = setInterval(() => this.#resync(), this.#resyncIntervalMs);
    this.#resyncTimer.unref();
    this.#logger.info({ tasks: tasks.length }, "scheduler started");
    this.#wake();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    clearInterval(this.#resyncTimer);
    this.#unsubscribe?.();
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
      outcome = await this.#store.applyClaims(claims);
    } catch (error) {
      // Nothing was claimed (one transaction): the tasks are still due, with the same jitter.
      for (const task of tasks) this.#queue.set(task.id, now);
      throw error;
    }
    const { claimed, created, recounted } = outcome;
    // The runs go to the executor first: the rest is this scheduler's own bookkeeping.
    const superseding = claims.filter((claim) => claim.plan.supersedeActiveRuns);
    if (superseding.length > 0) {
      const createdIds = new Set(created.map((run) => run.id));
      const newest = superseding.flatMap(({ task, runs }) => {
        const run = runs.findLast((r) => r.status === "QUEUED" && createdIds.has(r.id));
        return run ? [{ taskId: task.id, runId: run.id }] : [];
      });
      if (newest.length > 0) this.#events.emit("runsSuperseded", { runs: newest });
    }
    if (created.length > 0) this.#events.emit("runsCreated", { runs: created });
    const lost: string[] = [];
    const advanced: { taskId: string; nextRunAt: Date | null }[] = [];
    for (const { task, plan } of claims) {
      if (!claimed.has(task.id)) {
        lost.push(task.id);
        continue;
      }
      const after = recounted.get(task.id) ?? { nextRunAt: plan.nextRunAt, scheduledRunCount: task.scheduledRunCount + plan.queued };
      advanced.push({ taskId: task.id, nextRunAt: after.nextRunAt });
      if (after.nextRunAt) {
        this.#schedule({ ...task, version: task.version + 1, nextRunAt: after.nextRunAt, scheduledRunCount: after.scheduledRunCount });
      } else {
        this.#unschedule(task.id);
        this.#events.emit("taskChanged", { taskId: task.id, change: "COMPLETED" });
      }
    }
    if (lost.length > 0) {
      this.#logger.debug({ tasks: lost.length }, "tasks changed elsewhere; reloading");
      this.reload(lost);
    }
    if (advanced.length > 0) this.#events.emit("tasksAdvanced", { tasks: advanced });
  }

  async #planClaims(tasks: CachedTask[], claimedAt: Date): Promise<Claim[]> {
    const active = await this.#store.activeRuns(tasks.filter((t) => t.overlapPolicy !== "ALLOW").map((t) => t.id));
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
        }),
      );
      return { task, plan, runs, resumeAt: resumeAfterMaxRuns(task, plan) };
    });
  }

  async #resync(): Promise<void> {
    const since = this.#lastResync;
    this.#lastResync = this.#now();
    try {
      // A margin covers writes committed with a timestamp taken just before the last look.
      const changed = await this.#store.changedSince(new Date(since - 2_000));
      if (changed.length > 0) this.reload(changed);
    } catch (error) {
      this.#logger.warn({ err: error }, "could not look for changed tasks");
    }
  }
}
