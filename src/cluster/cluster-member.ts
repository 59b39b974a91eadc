// A process's part in the cluster of instances sharing its database, on its main thread: it
// measures its clock against the database's, records itself as an instance and renews its
// lease (the heartbeat, with the counters the `instances` query shows), obeys drainInstance,
// and on PostgreSQL listens to the other instances and relays their events to its roles.
// SQLite is one process: it has an instance row and a heartbeat, and nothing to listen to.
import type { Database } from "../db/database.js";
import type { EventBus, EventName } from "../events/event-bus.js";
import type { Logger } from "../logger.js";
import { eventsConsumedBy, type Role } from "../roles/roles.js";
import { cronlineVersion } from "../version.js";
import { ClockOffsetEstimate, clockOffsetWarningMs, measureClockOffset } from "./clock-offset.js";
import { EventRelay } from "./event-relay.js";
import { deregisterInstance, heartbeat, registerInstance } from "./instances.js";
import { NotificationListener } from "./notification-listener.js";
import type { ProcessStats } from "./process-stats.js";

export interface ClusterMemberOptions {
  /** The main thread's connection. */
  database: Database;
  instanceId: string;
  roles: readonly Role[];
  stats: ProcessStats;
  /** The main thread's bus, linked to the role threads. */
  events: EventBus;
  /** The instance's lease (EXECUTOR_LEASE_SECONDS): renewed every third of it. */
  leaseMs: number;
  logger: Logger;
}

export interface ClusterMember {
  /** Stops listening and renewing, and removes the instance. */
  leave(): Promise<void>;
}

export async function joinCluster(options: ClusterMemberOptions): Promise<ClusterMember> {
  const { database, instanceId, roles, stats, events, leaseMs } = options;
  const { client: db, location } = database;
  const logger = options.logger.child({ component: "cluster", instanceId });
  const onPostgres = location.provider === "postgresql";
  const estimate = new ClockOffsetEstimate();
  let warnedOffset: number | undefined;

  /** SQLite's clock is this machine's: only PostgreSQL's can differ. */
  const measureClock = async () => {
    if (!onPostgres) return;
    estimate.update(await measureClockOffset(db));
    const { offsetMs, roundTripMs } = estimate.current!;
    stats.clockOffsetMs = offsetMs;
    if (estimate.surelyFar && (warnedOffset === undefined || Math.abs(offsetMs - warnedOffset) > clockOffsetWarningMs)) {
      warnedOffset = offsetMs;
      logger.warn({ clockOffsetMs: offsetMs, roundTripMs, thresholdMs: clockOffsetWarningMs }, "this machine's clock is off from the database's; Cronline goes by the database's");
    } else if (!estimate.surelyFar && warnedOffset !== undefined && Math.abs(offsetMs) <= clockOffsetWarningMs) {
      warnedOffset = undefined;
      logger.info({ clockOffsetMs: offsetMs }, "this machine's clock agrees with the database's again");
    }
  };
  const identity = { id: instanceId, version: cronlineVersion, roles };
  await measureClock();
  await registerInstance(db, location.provider, identity, stats.clockOffsetMs, leaseMs);

  let listener: NotificationListener | undefined;
  if (onPostgres) {
    const threadsConsume = new Set(roles.filter((role) => role !== "api").flatMap((role) => eventsConsumedBy[role]));
    const relay = new EventRelay({
      db,
      bus: events,
      instanceId,
      wanted: (event: EventName) => threadsConsume.has(event) || events.listenerCount(event) > 0,
      logger,
    });
    listener = new NotificationListener({
      url: location.url,
      applicationName: `cronline ${instanceId}`,
      logger,
      onNotification: (payload) => relay.accept(payload),
      onReconnected: () => events.emit("notificationsLost", {}),
    });
    await listener.start();
  }

  let draining = false;
  let beating: Promise<void> | undefined;
  const beat = async () => {
    try {
      await measureClock();
      const renewed = await heartbeat(db, location.provider, instanceId, { ...stats.counters(), clockOffsetMs: stats.clockOffsetMs }, leaseMs);
      if (renewed === null) {
        logger.warn("this instance's lease had expired and its record was removed; registering again");
        await registerInstance(db, location.provider, identity, stats.clockOffsetMs, leaseMs);
      } else if (renewed.draining && !draining) {
        // drainInstance's notification may have been lost: the record says so too.
        draining = true;
        events.emit("instanceDrained", { instanceId });
      }
    } catch (error) {
      logger.warn({ err: error }, "could not renew this instance's lease");
    }
  };
  const timer = setInterval(() => {
    beating ??= beat().finally(() => (beating = undefined));
  }, leaseMs / 3);
  timer.unref();
  const stopDrainWatch = events.on("instanceDrained", (event) => {
    if (event.instanceId === instanceId) draining = true;
  });

  return {
    async leave() {
      clearInterval(timer);
      stopDrainWatch();
      await beating;
      await listener?.stop();
      await deregisterInstance(db, instanceId).catch((error: unknown) => logger.warn({ err: error }, "could not remove this instance's record"));
    },
  };
}
