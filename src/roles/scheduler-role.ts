// The scheduler role: fires every active task on time, by the database's clock, claiming each
// occurrence once; claims nothing more once its instance is drained.
import type { Membership } from "../cluster/membership.js";
import type { Config } from "../config.js";
import type { Database } from "../db/database.js";
import type { EventBus } from "../events/event-bus.js";
import type { Logger } from "../logger.js";
import type { SchedulerMetrics } from "../metrics/catalog.js";
import { Scheduler } from "../scheduler/scheduler.js";
import { TaskStore } from "../scheduler/task-store.js";

/** `metricsFor` registers the scheduler's metrics, given how to count the tasks it holds. */
export function createSchedulerRole(
  config: Config,
  database: Database,
  events: EventBus,
  logger: Logger,
  membership: Membership,
  metricsFor?: (scheduledTasks: () => number) => SchedulerMetrics,
): Scheduler {
  const scheduler: Scheduler = new Scheduler({
    store: new TaskStore(database.client, database.location.provider, membership.notifier),
    events,
    logger,
    now: membership.stats.clock,
    resyncIntervalMs: config.schedulerResyncSeconds * 1000,
    stats: membership.stats,
    metrics: metricsFor?.(() => scheduler.size),
  });
  events.on("instanceDrained", ({ instanceId }) => {
    if (instanceId === membership.instanceId) void scheduler.drain();
  });
  return scheduler;
}
