// The executor works for many runs at once: runs started together share their database
// statements, results and run ends are written in batches across runs, and what it reports
// (TARGET_FINISHED, RUN_FINISHED) is stored by then, so a process that dies loses none of it.
import { decodeGlobalID } from "@pothos/plugin-relay";
import { v7 as uuidv7 } from "uuid";
import { expect, it } from "vitest";
import { generateTokenSecret } from "../../src/auth/tokens.js";
import { openDatabase } from "../../src/db/database.js";
import { createScratchDatabase } from "../../src/db/scratch-database.js";
import type { NewRun } from "../../src/domain/runs.js";
import type { CronlineEvents } from "../../src/events/event-bus.js";
import { describeEachDatabase } from "../support/databases.js";
import { nodeCommand, useExecutionServer } from "../support/execution-harness.js";
import { graphqlClient } from "../support/graphql-client.js";
import { RunEvents, ScheduleView } from "../support/live-operations.js";
import { CreateDevice, CreateService } from "../support/operations.js";
import { spawnServer } from "../support/server-process.js";
import { subscribe, subscriptionClient } from "../support/subscriptions.js";
import { CreateTask, RunTask } from "../support/task-operations.js";

const databaseId = (globalId: string) => decodeGlobalID(globalId).id;

describeEachDatabase("execution in batches", (provider) => {
  // No background lookups while statements are counted.
  const h = useExecutionServer(provider, { EXECUTOR_POLL_SECONDS: "600", SCHEDULER_RESYNC_SECONDS: "600" });
  const db = () => h.server.app.database.client;

  /** Queues `count` runs over the tasks and announces them at once, as the scheduler does. */
  async function queueRuns(taskIds: string[], count: number): Promise<NewRun[]> {
    const now = new Date();
    const runs: NewRun[] = Array.from({ length: count }, (_, i) => ({
      id: uuidv7(),
      taskId: taskIds[i % taskIds.length]!,
      trigger: "MANUAL",
      status: "QUEUED",
      scheduledFor: now,
      occurrence: null,
      jitterMs: 0,
      reason: null,
      payload: {},
      claimedAt: now,
      overlapPolicy: null,
    }));
    await db().run.createMany({ data: runs.map((run) => ({ ...run, payload: {} })) });
    h.server.app.events.emit("runsCreated", { runs });
    return runs;
  }

  /** Collects the executor's runProgress events until `count` runs have finished. */
  function progressUntilFinished(count: number): Promise<CronlineEvents["runProgress"][]> {
    const events: CronlineEvents["runProgress"][] = [];
    return new Promise((resolve) => {
      const unsubscribe = h.server.app.events.on("runProgress", (event) => {
        events.push(event);
        if (events.filter((e) => e.type === "RUN_FINISHED").length === count) {
          unsubscribe();
          resolve(events);
        }
      });
    });
  }

  it("records every result and every event of runs that end together, each run's events in order", async () => {
    const serviceId = await h.createService("COMMAND", { command: "true" }, { concurrency: 50 });
    const devices = await Promise.all(["batch-a", "batch-b", "batch-c"].map((name) => h.createDevice(name)));
    const threeTargets = databaseId(await h.createTask(serviceId, { overlapPolicy: "ALLOW", targetDeviceIds: devices }));
    const oneTarget = databaseId(await h.createTask(serviceId, { overlapPolicy: "ALLOW", targetDeviceIds: [devices[0]] }));
    const progress = progressUntilFinished(40);
    const runs = await queueRuns([threeTargets, oneTarget], 40);
    const events = await progress;

    const stored = await db().run.findMany({ where: { id: { in: runs.map((r) => r.id) } }, include: { results: true } });
    expect(stored).toHaveLength(40);
    for (const run of stored) {
      const targets = run.taskId === threeTargets ? 3 : 1;
      expect(run).toMatchObject({ status: "SUCCEEDED", targetCount: targets, succeededCount: targets, failedCount: 0, ownerId: h.server.app.threads.executorOwnerId });
      expect(run.results.map((r) => r.status)).toEqual(Array(targets).fill("SUCCEEDED"));
      const own = events.filter((e) => e.run.id === run.id);
      expect(own.map((e) => e.type)).toEqual(["RUN_STARTED", ...Array(targets).fill("TARGET_FINISHED"), "RUN_FINISHED"]);
      expect(own.flatMap((e) => (e.result ? [e.result.id] : [])).sort()).toEqual(run.results.map((r) => r.id).sort());
      expect(own.at(-1)!.run).toMatchObject({ status: "SUCCEEDED", targetCount: targets, succeededCount: targets });
    }
    for (const taskId of [threeTargets, oneTarget]) {
      expect((await db().task.findUniqueOrThrow({ where: { id: taskId } })).lastRunStatus).toBe("SUCCEEDED");
    }
  });

  it("starts and ends a burst of runs with a few statements per run, without looking up the queue after each", async () => {
    const serviceId = await h.createService("COMMAND", { command: "true" }, { concurrency: 50 });
    const device = await h.createDevice("burst");
    const taskIds = await Promise.all(Array.from({ length: 4 }, async () => databaseId(await h.createTask(serviceId, { overlapPolicy: "ALLOW", targetDeviceIds: [device] }))));
    const from = h.server.statements.length;
    const progress = progressUntilFinished(40);
    await queueRuns(taskIds, 40);
    await progress;
    const statements = h.server.statements.slice(from);
    const queueLookups = statements.filter((sql) => /FROM [`"]?(main|public)?[`"]?\.?[`"]Run[`"] WHERE .*[`"]status[`"] = .* ORDER BY/.test(sql));
    expect(queueLookups).toEqual([]);
    // Inserting the runs takes one; executing a run one at a time took 17.
    expect(statements.length).toBeLessThan(40 * 5);
  });

  it("keeps the results it reported when the server process is killed at once", async () => {
    const scratch = await createScratchDatabase(provider);
    const adminToken = generateTokenSecret();
    const server = spawnServer({ DATABASE_URL: scratch.location.url, CRONLINE_BOOTSTRAP_ADMIN_TOKEN: adminToken, LOG_LEVEL: "info" });
    const watcher = { unsubscribe: () => {}, dispose: () => {} };
    try {
      const url = await server.listening;
      const client = graphqlClient(url, adminToken);
      // One target ends at once; the other runs until the server is gone (it leaves with its parent).
      const script = `if (process.argv[1] === "quick") process.exit(0); const parent = process.ppid; setInterval(() => { if (process.ppid !== parent) process.exit(0); }, 100);`;
      const { createService } = await client.data(CreateService, {
        input: { name: "quick-and-slow", kind: "COMMAND", config: { command: nodeCommand(script, "{{device.properties.pace}}") } },
      });
      if (createService.__typename !== "CreateServiceSuccess") throw new Error(createService.__typename);
      const deviceIds: string[] = [];
      for (const pace of ["quick", "slow"]) {
        const { createDevice } = await client.data(CreateDevice, { input: { name: pace, address: "127.0.0.1", properties: { pace } } });
        if (createDevice.__typename !== "CreateDeviceSuccess") throw new Error(createDevice.__typename);
        deviceIds.push(createDevice.device.id);
      }
      const { createTask } = await client.data(CreateTask, {
        input: { name: "half-done", serviceId: createService.service.id, targetDeviceIds: deviceIds, schedule: { once: { at: "2099-01-01T00:00:00Z" } } },
      });
      if (createTask.__typename !== "CreateTaskSuccess") throw new Error(createTask.__typename);
      const ws = subscriptionClient(url, adminToken);
      watcher.dispose = () => void ws.dispose();
      const events = subscribe(ws, RunEvents, { taskId: createTask.task.id });
      // Subscribed after runEvents on the same socket: its snapshot says both are open.
      const view = subscribe(ws, ScheduleView, { filter: { taskIds: [createTask.task.id] }, tickSeconds: 3600 });
      watcher.unsubscribe = () => {
        events.unsubscribe();
        view.unsubscribe();
      };
      await view.waitFor((e) => e.scheduleView.kind === "SNAPSHOT", { from: 0 });
      const { runTask } = await client.data(RunTask, { input: { id: createTask.task.id, confirm: true } });
      if (runTask.__typename !== "RunTaskSuccess") throw new Error(runTask.__typename);
      await events.waitFor((e) => e.runEvents.type === "TARGET_FINISHED", { from: 0 });
      server.child.kill("SIGKILL");
      await server.exited;

      const database = await openDatabase(scratch.location);
      try {
        const results = await database.client.runResult.findMany({ where: { runId: databaseId(runTask.run.id) } });
        expect(results).toMatchObject([{ deviceName: "quick", status: "SUCCEEDED" }]);
      } finally {
        await database.close();
      }
    } finally {
      watcher.unsubscribe();
      watcher.dispose();
      server.child.kill("SIGKILL");
      await server.exited;
      await scratch.drop();
    }
  }, 90_000);
});
