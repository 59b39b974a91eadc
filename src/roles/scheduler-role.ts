// The scheduler role: fires every active task on time, claiming each occurrence once.
import type { Config } from "../config.js";
import type { Database } from "../db/database.js";
import type { EventBus } from "../events/event-bus.js";
import type { Logger } from "../logger.js";
import { Scheduler } from "../scheduler/scheduler.js";
import { TaskStore } from "../scheduler/task-store.js";

export function createSchedulerRole(config: Config, database: Database, events: EventBus, logger: Logger): Scheduler {
  return new Scheduler({
    store: new TaskStore(database.client, database.location.provider),
    events,
    logger,
    resyncIntervalMs: config.schedulerResyncSeconds * 1000,
  });
}
