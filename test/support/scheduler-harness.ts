// A Scheduler on a real database with a clock the test moves by hand.
import { afterAll, afterEach, beforeAll } from "vitest";
import { openDatabase, type Database } from "../../src/db/database.js";
import { applyMigrations } from "../../src/db/migrations.js";
import type { DatabaseProvider } from "../../src/db/prisma-schema.js";
import { createScratchDatabase, type ScratchDatabase } from "../../src/db/scratch-database.js";
import type { NewRun } from "../../src/domain/runs.js";
import { createTask } from "../../src/domain/tasks.js";
import { EventBus, type CronlineEvents } from "../../src/events/event-bus.js";
import { createLogger } from "../../src/logger.js";
import { Scheduler } from "../../src/scheduler/scheduler.js";
import { TaskStore } from "../../src/scheduler/task-store.js";

export class FakeClock {
  constructor(public epochMs: number) {}
  readonly now = () => this.epochMs;
  set(iso: string): void {
    this.epochMs = Date.parse(iso);
  }
  advance(ms: number): void {
    this.epochMs += ms;
  }
  get date(): Date {
    return new Date(this.epochMs);
  }
}

export interface SchedulerHarness {
  database: Database;
  clock: FakeClock;
  events: EventBus;
  serviceId: string;
  /** Everything emitted on the bus since the last reset. */
  emitted: { [K in keyof CronlineEvents]: CronlineEvents[K][] };
  startScheduler(options?: { random?: () => number; database?: Database; store?: TaskStore }): Promise<Scheduler>;
  createTask(input: Record<string, unknown>, activate?: boolean): Promise<string>;
  runsOf(taskId: string): Promise<(Omit<NewRun, "payload"> & { payload: unknown })[]>;
}

export function useSchedulerHarness(provider: DatabaseProvider, startIso = "2026-01-01T00:00:00.000Z"): SchedulerHarness {
  let scratch: ScratchDatabase;
  const schedulers: Scheduler[] = [];
  const emitted = { taskChanged: [], tasksAdvanced: [], runsCreated: [], runsSuperseded: [], runsCancelled: [], runProgress: [], instanceDrained: [], notificationsLost: [], runsEndedElsewhere: [] } as SchedulerHarness["emitted"];
  const harness = { clock: new FakeClock(Date.parse(startIso)), events: new EventBus(), emitted } as SchedulerHarness;
  for (const event of Object.keys(emitted) as (keyof CronlineEvents)[]) {
    harness.events.on(event, (payload) => (emitted[event] as unknown[]).push(payload));
  }

  beforeAll(async () => {
    scratch = await createScratchDatabase(provider);
    await applyMigrations(scratch.location);
    harness.database = await openDatabase(scratch.location);
    const service = await harness.database.client.service.create({
      data: { name: "noop", kind: "COMMAND", config: { command: "true" }, defaultPayload: { from: "service", level: 1 } },
    });
    harness.serviceId = service.id;
  });
  afterEach(async () => {
    await Promise.all(schedulers.splice(0).map((s) => s.stop()));
    for (const list of Object.values(emitted)) list.length = 0;
    await harness.database.client.task.deleteMany();
  });
  afterAll(async () => {
    await harness.database.close();
    await scratch.drop();
  });

  harness.startScheduler = async (options = {}) => {
    const database = options.database ?? harness.database;
    const scheduler = new Scheduler({
      store: options.store ?? new TaskStore(database.client, provider),
      events: harness.events,
      logger: createLogger("silent"),
      now: harness.clock.now,
      random: options.random ?? (() => 0),
      resyncIntervalMs: 3_600_000,
    });
    schedulers.push(scheduler);
    await scheduler.start();
    await scheduler.checkNow();
    return scheduler;
  };
  harness.createTask = (input, activate = true) =>
    createTask({ db: harness.database.client, now: harness.clock.date }, { serviceId: harness.serviceId, ...input }, activate);
  harness.runsOf = async (taskId) =>
    (await harness.database.client.run.findMany({ where: { taskId }, orderBy: [{ scheduledFor: "asc" }, { claimedAt: "asc" }] })) as never;
  return harness;
}
