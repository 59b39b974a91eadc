// A role's own thread: its own event loop and database connection, so no API request, live
// view or burst of runs in another thread delays firing or execution. The main thread steers
// it with control messages on parentPort (role-threads.ts); its events travel to the other
// threads' buses through event links.
import { setSliceMs } from "../event-loop-slices.js";
import { parentPort, workerData, type MessagePort } from "node:worker_threads";
import { Registry } from "prom-client";
import { notifierFor, type Membership } from "../cluster/membership.js";
import { ProcessStats } from "../cluster/process-stats.js";
import type { Config } from "../config.js";
import { openDatabase, type Database } from "../db/database.js";
import type { DatabaseLocation } from "../db/driver-adapter.js";
import { EventBus, type EventName } from "../events/event-bus.js";
import { linkEventBus } from "../events/event-link.js";
import { createLogger } from "../logger.js";
import { databaseMetrics, executionMetrics, schedulerMetrics } from "../metrics/catalog.js";
import { SecretsCipher } from "../secrets/secrets-cipher.js";
import type { SecretsKeys } from "../secrets/secrets-key.js";
import type { ThreadRole } from "./roles.js";
import { createSchedulerRole } from "./scheduler-role.js";
import { createWorkerRole } from "./worker-role.js";

export interface RoleThreadData {
  role: ThreadRole;
  /** The configuration without secrets the thread does not need. */
  config: Config;
  location: DatabaseLocation;
  secretsKeys: SecretsKeys;
  /** The instance this process is (see src/cluster/), and the counters and clock offset its threads share. */
  instanceId: string;
  stats: SharedArrayBuffer;
  executorOwnerId?: string;
  /** Send every SQL statement to the main thread (tests count them). */
  reportStatements: boolean;
  /** One per other thread of the process (the main thread included). */
  links: { port: MessagePort; peerConsumes: readonly EventName[] }[];
}

/** What the main thread may ask a role thread at any time. */
export type Question = { question: "ping" } | { question: "fireTimeOf"; taskId: string } | { question: "metrics" };

export type ControlRequest = { type: "open" } | { type: "start" } | { type: "stop"; graceMs: number } | ({ type: "ask"; id: number } & Question);

export type ControlReply =
  | { type: "loaded" }
  | { type: "opened" }
  | { type: "started"; executorOwnerId: string | null }
  | { type: "stopped" }
  | { type: "statements"; statements: string[] }
  | { type: "answer"; id: number; value: unknown };

/** What the thread runs, whichever role it is. */
interface RunningRole {
  start(): Promise<void>;
  stop(graceMs: number): Promise<void>;
  executorOwnerId: string | null;
  fireTimeOf(taskId: string): number | undefined;
}

const control = parentPort;
if (!control) throw new Error("role-thread.ts runs as a worker thread (see role-threads.ts)");
const data = workerData as RoleThreadData;
const logger = createLogger(data.config.logLevel).child({ thread: data.role });
setSliceMs(data.config.eventLoopSliceMs);
const reply = (message: ControlReply) => control.postMessage(message);
let statements: string[] = [];
const reportStatement = (sql: string) => {
  if (statements.length === 0)
    setImmediate(() => {
      reply({ type: "statements", statements });
      statements = [];
    });
  statements.push(sql);
};
const events = new EventBus();
// This thread's metrics; the main thread sums them with every other thread's at each scrape.
const registry = new Registry();
const queryErrors = databaseMetrics(registry).queryErrors;
for (const link of data.links) linkEventBus(events, link.port, link.peerConsumes);

interface OpenedRole {
  role: RunningRole;
  database: Database;
}

/** Opens the database (migrated by then: the main thread migrates while the threads load) and creates the role. */
async function openRole(): Promise<OpenedRole> {
  const database = await openDatabase(data.location, {
    ...(data.reportStatements && { onQuery: reportStatement }),
    onQueryError: (kind) => queryErrors.inc({ kind }),
  });
  const membership: Membership = { instanceId: data.instanceId, stats: new ProcessStats(data.stats), notifier: notifierFor(data.location.provider, data.instanceId) };
  if (data.role === "scheduler") {
    const scheduler = createSchedulerRole(data.config, database, events, logger, membership, (scheduledTasks) => schedulerMetrics(registry, scheduledTasks));
    const role = { start: () => scheduler.start(), stop: () => scheduler.stop(), executorOwnerId: null, fireTimeOf: (taskId: string) => scheduler.fireTimeOf(taskId) };
    return { role, database };
  }
  const worker = createWorkerRole(data.config, database, events, logger, new SecretsCipher(data.secretsKeys), membership, executionMetrics(registry), data.executorOwnerId);
  const role = { start: () => worker.start(), stop: (graceMs: number) => worker.stop(graceMs), executorOwnerId: worker.ownerId, fireTimeOf: () => undefined };
  return { role, database };
}
/** Set once "open" is done; the main thread sends "start" only after that. */
let opened: OpenedRole | undefined;

control.on("message", (request: ControlRequest) => {
  switch (request.type) {
    // A failure to open, start or stop is left unhandled on purpose: it ends the thread, and
    // the main thread reports it (see RoleThreadsOptions.onFailure).
    case "open":
      void openRole().then((result) => {
        opened = result;
        reply({ type: "opened" });
      });
      return;
    case "start": {
      const { role } = opened!;
      void role.start().then(() => reply({ type: "started", executorOwnerId: role.executorOwnerId }));
      return;
    }
    case "stop":
      void (async () => {
        await opened?.role.stop(request.graceMs);
        await opened?.database.close();
        reply({ type: "stopped" });
        control.close();
      })();
      return;
    case "ask":
      void answer(request).then((value) => reply({ type: "answer", id: request.id, value }));
      return;
  }
});
async function answer(question: Question): Promise<unknown> {
  switch (question.question) {
    case "ping":
      return true;
    case "fireTimeOf":
      return opened?.role.fireTimeOf(question.taskId);
    case "metrics":
      return registry.getMetricsAsJSON();
  }
}

reply({ type: "loaded" });
