// The life of runs around their execution: deadlines, overlap, crash recovery across
// processes, exactly-once execution by several executors, shutdown, retention.
import { decodeGlobalID, encodeGlobalID } from "@pothos/plugin-relay";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { v7 as uuidv7 } from "uuid";
import { describe, expect, it } from "vitest";
import { startApp, type RunningApp } from "../../src/app.js";
import { openDatabase } from "../../src/db/database.js";
import { createScratchDatabase } from "../../src/db/scratch-database.js";
import { cancelledByOperator, cancelRun } from "../../src/domain/run-control.js";
import { interruptedReason, supersededReason } from "../../src/domain/runs.js";
import type { CronlineEvents } from "../../src/events/event-bus.js";
import { shutdownReason } from "../../src/execution/executor.js";
import { RunPruner } from "../../src/execution/retention.js";
import { createLogger } from "../../src/logger.js";
import { describeEachDatabase } from "../support/databases.js";
import { executorRecordedCancel, nodeCommand, sleep, useExecutionServer } from "../support/execution-harness.js";
import { CancelRun, RunsByFilter } from "../support/execution-operations.js";
import { graphqlClient } from "../support/graphql-client.js";
import { CreateService } from "../support/operations.js";
import { CreateTask, RunTask } from "../support/task-operations.js";
import { testConfig } from "../support/test-server.js";
import { createTestToken } from "../support/tokens.js";

const databaseId = (globalId: string) => decodeGlobalID(globalId).id;
const forever = nodeCommand("setInterval(() => {}, 1000)");

/** Polls `find` until it returns something, for up to 90 s (a loaded machine). */
async function eventually<T>(find: () => T | undefined | Promise<T | undefined>, what: string): Promise<T> {
  for (const deadline = Date.now() + 90_000; Date.now() < deadline; await sleep(50)) {
    const found = await find();
    if (found !== undefined) return found;
  }
  throw new Error(`never happened: ${what}`);
}

/** The RUN_FINISHED events an app emits from now on. */
function finishedRuns(app: RunningApp): CronlineEvents["runProgress"]["run"][] {
  const runs: CronlineEvents["runProgress"]["run"][] = [];
  app.events.on("runProgress", (event) => event.type === "RUN_FINISHED" && runs.push(event.run));
  return runs;
}

describeEachDatabase("run lifecycle", (provider) => {
  const h = useExecutionServer(provider, { EXECUTOR_LEASE_SECONDS: "1" });
  const db = () => h.server.app.database.client;

  /** Inserts a run as the scheduler would, announced on the bus or left for the poller. */
  async function queueRun(taskGlobalId: string, fields: { status?: string; scheduledFor?: Date; ownerId?: string; leaseExpiresAt?: Date; claimedAt?: Date } = {}) {
    const now = new Date();
    const run = await db().run.create({
      data: {
        id: uuidv7(),
        taskId: databaseId(taskGlobalId),
        trigger: "SCHEDULE",
        status: fields.status ?? "QUEUED",
        scheduledFor: fields.scheduledFor ?? now,
        payload: {},
        claimedAt: fields.claimedAt ?? now,
        ownerId: fields.ownerId,
        leaseExpiresAt: fields.leaseExpiresAt,
        startedAt: fields.status === "RUNNING" ? now : undefined,
      },
    });
    return encodeGlobalID("Run", run.id);
  }

  it("skips a run that cannot start within its deadline", async () => {
    const serviceId = await h.createService("COMMAND", { command: "true" });
    const taskId = await h.createTask(serviceId, { deadlineSeconds: 60 });
    const late = await queueRun(taskId, { scheduledFor: new Date(Date.now() - 120_000) });
    const onTime = await queueRun(taskId, { scheduledFor: new Date(Date.now() - 10_000) });
    const skipped = await h.waitForRun(late);
    expect(skipped).toMatchObject({ status: "SKIPPED", startedAt: null, results: [] });
    expect(skipped.reason).toMatch(/^could not start within its 60s deadline \(12\ds late\)$/);
    expect((await h.waitForRun(onTime)).status).toBe("SUCCEEDED");
  });

  it("runs queued runs of a task one after the other unless its overlap policy is ALLOW", async () => {
    const serviceId = await h.createService("COMMAND", { command: nodeCommand("setTimeout(() => {}, 400)") });
    // Under ALLOW each run waits (up to a minute) until the other has started too, so they
    // overlap however late a loaded machine starts the second.
    const started = mkdtempSync(path.join(tmpdir(), "cronline-overlap-"));
    const waitForBoth = `const fs = require("node:fs"); fs.writeFileSync(${JSON.stringify(started)} + "/" + process.pid, "");
      const give = Date.now() + 60000; const look = () => fs.readdirSync(${JSON.stringify(started)}).length >= 2 ? process.exit(0) : Date.now() > give ? process.exit(1) : setTimeout(look, 20); look();`;
    const allowServiceId = await h.createService("COMMAND", { command: nodeCommand(waitForBoth) });
    const overlaps = async (overlapPolicy: string) => {
      const taskId = await h.createTask(overlapPolicy === "ALLOW" ? allowServiceId : serviceId, { overlapPolicy });
      const runs = await Promise.all([h.runTask(taskId), h.runTask(taskId)]);
      const [a, b] = await Promise.all(runs.map((id) => h.waitForRun(id)));
      const [first, second] = [a!.results[0]!, b!.results[0]!].sort((x, y) => Date.parse(x.startedAt) - Date.parse(y.startedAt));
      return Date.parse(second!.startedAt) < Date.parse(first!.finishedAt);
    };
    expect(await overlaps("BUFFER_ALL")).toBe(false);
    expect(await overlaps("ALLOW")).toBe(true);
  });

  it("cancels the running run when a newer occurrence comes under CANCEL_PREVIOUS", async () => {
    const serviceId = await h.createService("COMMAND", { command: forever });
    const { createTask } = await import("../support/task-operations.js").then(async ({ CreateTask }) =>
      h.server.client.data(CreateTask, {
        input: { name: "superseding", serviceId, overlapPolicy: "CANCEL_PREVIOUS", schedule: { standard: { frequencySeconds: 2 } } },
        schedule: true,
      }),
    );
    if (createTask.__typename !== "CreateTaskSuccess") throw new Error(createTask.__typename);
    let runs: { id: string; status: string; reason?: string | null }[] = [];
    for (let i = 0; i < 100 && runs.length < 2; i++) {
      await sleep(100);
      const { runs: page } = await h.server.client.data(RunsByFilter, { filter: { taskId: createTask.task.id, triggers: ["SCHEDULE"] } });
      runs = page.edges.map((e) => e.node);
    }
    await db().task.update({ where: { id: databaseId(createTask.task.id) }, data: { state: "PAUSED", nextRunAt: null, version: { increment: 1 } } });
    h.server.app.events.emit("taskChanged", { taskId: databaseId(createTask.task.id), change: "PAUSED" });
    const [newer, older] = runs;
    const superseded = await h.waitForRun(older!.id, (r) => r.task.lastRunStatus !== null && r.results.length === 1);
    expect(superseded).toMatchObject({ status: "CANCELLED", reason: "superseded by a newer occurrence (overlap policy CANCEL_PREVIOUS)" });
    expect(superseded.results[0]!.status).toBe("CANCELLED");
    const { cancelRun } = await import("../support/execution-operations.js").then(({ CancelRun }) => h.server.client.data(CancelRun, { input: { id: newer!.id } }));
    expect(cancelRun.__typename).toBe("CancelRunSuccess");
  });

  it("closes RUNNING runs whose owner's lease expired as FAILED \"interrupted\", leaves live ones, and re-runs per misfire policy", async () => {
    const serviceId = await h.createService("COMMAND", { command: "true" });
    const skipTask = await h.createTask(serviceId, { misfirePolicy: "SKIP" });
    const onceTask = await h.createTask(serviceId, { misfirePolicy: "RUN_ONCE" });
    const past = new Date(Date.now() - 5_000);
    const dead = await queueRun(skipTask, { status: "RUNNING", ownerId: "crashed-host:42", leaseExpiresAt: past });
    const deadWithRerun = await queueRun(onceTask, { status: "RUNNING", ownerId: "crashed-host:42", leaseExpiresAt: past });
    const live = await queueRun(skipTask, { status: "RUNNING", ownerId: "live-host:7", leaseExpiresAt: new Date(Date.now() + 3_600_000) });

    expect(await h.waitForRun(dead, (r) => r.task.lastRunStatus !== null)).toMatchObject({ status: "FAILED", reason: interruptedReason, task: { lastRunStatus: "FAILED" } });
    expect((await h.waitForRun(deadWithRerun)).status).toBe("FAILED");
    expect((await db().run.findUniqueOrThrow({ where: { id: databaseId(live) } })).status).toBe("RUNNING");

    const reruns = await db().run.findMany({ where: { taskId: databaseId(onceTask), trigger: "RETRY" } });
    expect(reruns).toHaveLength(1);
    expect(reruns[0]!.reason).toBe(`re-run of interrupted run ${databaseId(deadWithRerun)}`);
    expect((await h.waitForRun(encodeGlobalID("Run", reruns[0]!.id))).status).toBe("SUCCEEDED");
    expect(await db().run.count({ where: { taskId: databaseId(skipTask), trigger: "RETRY" } })).toBe(0);
    await db().run.update({ where: { id: databaseId(live) }, data: { status: "FAILED", finishedAt: new Date() } });
  });

  it("closes its own RUNNING runs that it no longer executes once their lease expires, and says so on runProgress", async () => {
    const finished = finishedRuns(h.server.app);
    const serviceId = await h.createService("COMMAND", { command: "true" });
    const taskId = await h.createTask(serviceId, { misfirePolicy: "SKIP" });
    const orphan = await queueRun(taskId, { status: "RUNNING", ownerId: h.server.app.threads.executorOwnerId!, leaseExpiresAt: new Date(Date.now() - 5_000) });
    expect(await h.waitForRun(orphan, (r) => r.task.lastRunStatus !== null)).toMatchObject({ status: "FAILED", reason: interruptedReason, task: { lastRunStatus: "FAILED" } });
    const event = await eventually(() => finished.find((run) => run.id === databaseId(orphan)), "RUN_FINISHED of the recovered run");
    expect(event).toMatchObject({ status: "FAILED", reason: interruptedReason });
  });

  it("closes a run whose execution breaks down inside the executor as FAILED with the internal error, at once", async () => {
    const finished = finishedRuns(h.server.app);
    const name = "refused-when-running";
    // The database refuses to mark this task RUNNING: the executor's first write for the run fails.
    const setUp =
      provider === "postgresql"
        ? [
            `CREATE FUNCTION refuse_running_task() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'task refused to run'; END $$`,
            `CREATE TRIGGER "refuses_running_task" BEFORE UPDATE OF "lastRunStatus" ON "Task" FOR EACH ROW WHEN (NEW."lastRunStatus" = 'RUNNING' AND NEW."name" = '${name}') EXECUTE FUNCTION refuse_running_task()`,
          ]
        : [`CREATE TRIGGER "refuses_running_task" BEFORE UPDATE OF "lastRunStatus" ON "Task" WHEN NEW."lastRunStatus" = 'RUNNING' AND NEW."name" = '${name}' BEGIN SELECT RAISE(ABORT, 'task refused to run'); END`];
    const tearDown = provider === "postgresql" ? [`DROP TRIGGER "refuses_running_task" ON "Task"`, `DROP FUNCTION refuse_running_task()`] : [`DROP TRIGGER "refuses_running_task"`];
    for (const sql of setUp) await db().$executeRawUnsafe(sql);
    try {
      const serviceId = await h.createService("COMMAND", { command: "true" });
      const runId = await h.runTask(await h.createTask(serviceId, { name }));
      const run = await h.waitForRun(runId);
      expect(run).toMatchObject({ status: "FAILED", results: [] });
      expect(run.reason).toMatch(/^internal error: .*task refused to run/);
      expect(await eventually(() => finished.find((r) => r.id === databaseId(runId)), "RUN_FINISHED")).toMatchObject({ status: "FAILED", reason: run.reason });
    } finally {
      for (const sql of tearDown) await db().$executeRawUnsafe(sql);
    }
  });

  it("reports RUN_FINISHED for queued runs cancelled by a newer occurrence (CANCEL_PREVIOUS)", async () => {
    const finished = finishedRuns(h.server.app);
    const serviceId = await h.createService("COMMAND", { command: "true" });
    const taskId = await h.createTask(serviceId, { overlapPolicy: "CANCEL_PREVIOUS" });
    const now = Date.now();
    // A run of the task in another live process keeps the older queued one waiting.
    const elsewhere = await queueRun(taskId, { status: "RUNNING", ownerId: "live-host:9", leaseExpiresAt: new Date(now + 3_600_000), claimedAt: new Date(now - 3_000) });
    const waiting = await queueRun(taskId, { claimedAt: new Date(now - 2_000) });
    const newer = await queueRun(taskId, { claimedAt: new Date(now) });
    h.server.app.events.emit("runsSuperseded", { runs: [{ taskId: databaseId(taskId), runId: databaseId(newer) }] });
    expect(await h.waitForRun(waiting)).toMatchObject({ status: "CANCELLED", reason: supersededReason, startedAt: null });
    expect(await eventually(() => finished.find((run) => run.id === databaseId(waiting)), "RUN_FINISHED of the queued run")).toMatchObject({
      status: "CANCELLED",
      reason: supersededReason,
      startedAt: null,
    });
    expect((await db().run.findUniqueOrThrow({ where: { id: databaseId(elsewhere) } })).status).toBe("CANCELLED");
    expect((await h.waitForRun(newer)).status).toBe("SUCCEEDED");
  });

  it("ends a run cancelled through another process with the reason stored in the database", async () => {
    const finished = finishedRuns(h.server.app);
    const serviceId = await h.createService("COMMAND", { command: forever });
    const runId = await h.runTask(await h.createTask(serviceId));
    await eventually(async () => ((await db().run.findUniqueOrThrow({ where: { id: databaseId(runId) } })).status === "RUNNING" ? true : undefined), "the run started");
    // Written to the database only, as another process's cancelRun does: this one notices at lease renewal.
    await cancelRun(db(), databaseId(runId), new Date());
    const run = await h.waitForRun(runId, executorRecordedCancel);
    expect(run).toMatchObject({ status: "CANCELLED", reason: cancelledByOperator });
    expect(run.results[0]!.status).toBe("CANCELLED");
    expect(await eventually(() => finished.find((r) => r.id === databaseId(runId)), "RUN_FINISHED")).toMatchObject({ status: "CANCELLED", reason: cancelledByOperator });
  });

  it("filters the runs query by statuses and by scheduled time", async () => {
    const serviceId = await h.createService("COMMAND", { command: "true" });
    const taskId = await h.createTask(serviceId);
    const at = (minute: number) => new Date(Date.UTC(2030, 0, 1, 0, minute));
    const succeeded = await queueRun(taskId, { status: "SUCCEEDED", scheduledFor: at(0) });
    const failed = await queueRun(taskId, { status: "FAILED", scheduledFor: at(10) });
    const skipped = await queueRun(taskId, { status: "SKIPPED", scheduledFor: at(20) });
    const runIds = async (filter: Record<string, unknown>) =>
      (await h.server.client.data(RunsByFilter, { filter: { taskId, ...filter } })).runs.edges.map((e) => e.node.id).sort();
    expect(await runIds({ statuses: ["FAILED", "SKIPPED"] })).toEqual([failed, skipped].sort());
    expect(await runIds({ statuses: ["SUCCEEDED"] })).toEqual([succeeded]);
    // scheduledAfter is inclusive, scheduledBefore exclusive.
    expect(await runIds({ scheduledAfter: at(10).toISOString() })).toEqual([failed, skipped].sort());
    expect(await runIds({ scheduledBefore: at(10).toISOString() })).toEqual([succeeded]);
    expect(await runIds({ scheduledAfter: at(5).toISOString(), scheduledBefore: at(20).toISOString() })).toEqual([failed]);
    expect(await runIds({ statuses: ["FAILED"], scheduledBefore: at(10).toISOString() })).toEqual([]);
  });

  it("at startup, closes the runs its own owner id left RUNNING in a previous life, even with a lease left", async () => {
    const serviceId = await h.createService("COMMAND", { command: "true" });
    const taskId = await h.createTask(serviceId);
    const leftover = await queueRun(taskId, { status: "RUNNING", ownerId: "reborn:1", leaseExpiresAt: new Date(Date.now() + 3_600_000) });
    const app = await startApp(testConfig(h.server.app.database.location.url), createLogger("silent"), { executorOwnerId: "reborn:1" });
    try {
      expect((await db().run.findUniqueOrThrow({ where: { id: databaseId(leftover) } })).status).toBe("FAILED");
    } finally {
      await app.stop();
    }
  });

  it("executes each queued run exactly once when two processes share the database", async () => {
    const second = await startApp(testConfig(h.server.app.database.location.url), createLogger("silent"), { executorOwnerId: "second-process:1" });
    try {
      const serviceId = await h.createService("COMMAND", { command: "true" }, { concurrency: 50 });
      const taskId = await h.createTask(serviceId, { overlapPolicy: "ALLOW" });
      const runs = await Promise.all(Array.from({ length: 30 }, () => queueRun(taskId)));
      // Both hear of them at once, as if each had queued them.
      const created = await db().run.findMany({ where: { id: { in: runs.map(databaseId) } } });
      const announced = created.map((run) => ({ ...run, trigger: "SCHEDULE" as const, status: "QUEUED" as const, payload: {}, overlapPolicy: null }));
      h.server.app.events.emit("runsCreated", { runs: announced });
      second.events.emit("runsCreated", { runs: announced });
      for (const id of runs) await h.waitForRun(id);
      const results = await db().runResult.groupBy({ by: ["runId"], where: { runId: { in: runs.map(databaseId) } }, _count: { _all: true } });
      expect(results).toHaveLength(30);
      expect(results.every((r) => r._count._all === 1)).toBe(true);
      const owners = await db().run.groupBy({ by: ["ownerId"], where: { id: { in: runs.map(databaseId) } }, _count: { _all: true } });
      expect(owners.map((o) => o.ownerId).every((owner) => owner === "second-process:1" || owner === h.server.app.threads.executorOwnerId)).toBe(true);
    } finally {
      await second.stop();
    }
  });

  describe("retention", () => {
    it("deletes finished runs beyond the newest N per task and older than D days, in batches, with their results", async () => {
      const serviceId = await h.createService("COMMAND", { command: "true" });
      const taskId = await h.createTask(serviceId);
      const day = 86_400_000;
      const now = Date.now();
      const ids: string[] = [];
      for (let age = 10; age >= 1; age--) ids.push(await queueRun(taskId, { status: "SUCCEEDED", claimedAt: new Date(now - age * day) }));
      // Old but still running (in another, live process): never pruned.
      const queued = await queueRun(taskId, { status: "RUNNING", claimedAt: new Date(now - 20 * day), ownerId: "elsewhere:1", leaseExpiresAt: new Date(now + 3_600_000) });
      await db().runResult.create({
        data: { runId: databaseId(ids[0]!), attempt: 1, status: "SUCCEEDED", output: "", startedAt: new Date(), finishedAt: new Date(), durationMs: 1 },
      });
      const remaining = async () => (await db().run.findMany({ where: { taskId: databaseId(taskId) }, orderBy: { claimedAt: "desc" } })).map((r) => r.id);
      const prune = (keepPerTask: number, maxAgeDays: number) =>
        new RunPruner({ db: db(), provider, logger: createLogger("silent"), intervalMs: 60_000, keepPerTask, maxAgeDays, batchSize: 2 }).pruneNow();

      // Kept when among the newest 7 or younger than 2.5 days: the 7 newest.
      expect(await prune(7, 2.5)).toBe(3);
      expect(await db().runResult.count({ where: { runId: databaseId(ids[0]!) } })).toBe(0);
      // Kept when among the newest 3 or younger than 5.5 days: 5 runs.
      expect(await prune(3, 5.5)).toBe(2);
      expect(await remaining()).toEqual([...ids.slice(5).reverse().map(databaseId), databaseId(queued)]);
      // By count alone (other tasks' runs go too); the unfinished run stays whatever its age and rank.
      // Other tests' finished runs count too; each pass deletes a few batches at most.
      let pruned = 0;
      for (let deleted = await prune(1, 0); deleted > 0; deleted = await prune(1, 0)) pruned += deleted;
      expect(pruned).toBeGreaterThanOrEqual(4);
      expect(await remaining()).toEqual([databaseId(ids[9]!), databaseId(queued)]);
      await db().run.delete({ where: { id: databaseId(queued) } });
    });
  });
});

describeEachDatabase("shutdown", (provider) => {
  it("renews leases and obeys cancels while it waits for running runs to finish", async () => {
    const scratchDatabase = await createScratchDatabase(provider);
    const settings = { EXECUTOR_LEASE_SECONDS: "1", SHUTDOWN_GRACE_SECONDS: "600" };
    const draining = await startApp(testConfig(scratchDatabase.location.url, settings), createLogger("silent"), { executorOwnerId: "draining:1" });
    let observer: RunningApp | undefined;
    try {
      const pidFile = path.join(mkdtempSync(path.join(tmpdir(), "cronline-draining-")), "pid");
      const client = graphqlClient(draining.url, await createTestToken(draining, "ADMIN"));
      const command = nodeCommand(`require("node:fs").writeFileSync(${JSON.stringify(pidFile)}, String(process.pid)); setInterval(() => {}, 1000);`);
      const { createService } = await client.data(CreateService, { input: { name: "draining", kind: "COMMAND", config: { command } } });
      if (createService.__typename !== "CreateServiceSuccess") throw new Error(createService.__typename);
      const { createTask } = await client.data(CreateTask, { input: { name: "draining", serviceId: createService.service.id, schedule: { once: { at: "2099-01-01T00:00:00Z" } } } });
      if (createTask.__typename !== "CreateTaskSuccess") throw new Error(createTask.__typename);
      const { runTask } = await client.data(RunTask, { input: { id: createTask.task.id, confirm: false } });
      if (runTask.__typename !== "RunTaskSuccess") throw new Error(runTask.__typename);
      const runId = databaseId(runTask.run.id);
      const pid = Number(await eventually(() => (existsSync(pidFile) ? readFileSync(pidFile, "utf8") || undefined : undefined), "the command started"));

      // Another process on the database, which closes runs whose lease has expired.
      observer = await startApp(testConfig(scratchDatabase.location.url, settings), createLogger("silent"), { executorOwnerId: "observer:1" });
      const stopped = draining.stop();
      const stopBegan = Date.now();
      const readRun = () => observer!.database.client.run.findUniqueOrThrow({ where: { id: runId } });
      // Two lease periods into the grace period, the run is still the draining process's and alive.
      await eventually(async () => ((await readRun()).leaseExpiresAt!.getTime() > stopBegan + 2_000 ? true : undefined), "a lease renewed during the grace period");
      expect(await readRun()).toMatchObject({ status: "RUNNING", ownerId: "draining:1" });

      const observerClient = graphqlClient(observer.url, await createTestToken(observer, "ADMIN"));
      expect((await observerClient.data(CancelRun, { input: { id: runTask.run.id } })).cancelRun.__typename).toBe("CancelRunSuccess");
      await stopped;
      expect(await readRun()).toMatchObject({ status: "CANCELLED", reason: cancelledByOperator, failedCount: 1 });
      expect(await observer.database.client.runResult.findMany({ where: { runId } })).toMatchObject([{ status: "CANCELLED" }]);
      expect(() => process.kill(pid, 0)).toThrow();
    } finally {
      await observer?.stop();
      await draining.stop();
      await scratchDatabase.drop();
    }
  });

  it("lets running runs finish within the grace period, then cancels the rest and kills their processes", async () => {
    const scratch = mkdtempSync(path.join(tmpdir(), "cronline-shutdown-"));
    const pidFile = path.join(scratch, "pid");
    const shortStarted = path.join(scratch, "short-started");
    const release = path.join(scratch, "release");
    // A database of its own: no other executor may take these runs, so the stop below waits for them.
    const scratchDatabase = await createScratchDatabase(provider);
    let app: RunningApp | undefined;
    try {
      app = await startApp(testConfig(scratchDatabase.location.url, { SHUTDOWN_GRACE_SECONDS: "3" }), createLogger("silent"), {
        executorOwnerId: "stopping:1",
      });
      const client = graphqlClient(app.url, await createTestToken(app, "ADMIN"));
      const service = async (name: string, command: string) => {
        const { createService } = await client.data(CreateService, { input: { name, kind: "COMMAND", config: { command } } });
        if (createService.__typename !== "CreateServiceSuccess") throw new Error(createService.__typename);
        const { createTask } = await client.data(CreateTask, { input: { name, serviceId: createService.service.id, schedule: { once: { at: "2099-01-01T00:00:00Z" } } } });
        if (createTask.__typename !== "CreateTaskSuccess") throw new Error(createTask.__typename);
        const { runTask } = await client.data(RunTask, { input: { id: createTask.task.id, confirm: false } });
        if (runTask.__typename !== "RunTaskSuccess") throw new Error(runTask.__typename);
        return databaseId(runTask.run.id);
      };
      // The short run ends once released, which the test does as the stop begins: well within the grace period, however loaded the machine.
      const short = await service(
        "short",
        nodeCommand(`const fs = require("node:fs"); fs.writeFileSync(${JSON.stringify(shortStarted)}, ""); setInterval(() => fs.existsSync(${JSON.stringify(release)}) && process.exit(0), 50);`),
      );
      const long = await service("long", nodeCommand(`require("node:fs").writeFileSync(${JSON.stringify(pidFile)}, String(process.pid)); setInterval(() => {}, 1000);`));
      await expect.poll(() => existsSync(pidFile) && existsSync(shortStarted), { timeout: 90_000 }).toBe(true);
      const pid = Number(readFileSync(pidFile, "utf8"));
      const started = Date.now();
      const stopping = app.stop();
      writeFileSync(release, "");
      await stopping;
      expect(Date.now() - started).toBeGreaterThanOrEqual(2_900);
      const database = await openDatabase(scratchDatabase.location);
      try {
        const runs = await database.client.run.findMany({ where: { id: { in: [short, long] } } });
        expect(runs.find((r) => r.id === short)).toMatchObject({ status: "SUCCEEDED" });
        expect(runs.find((r) => r.id === long)).toMatchObject({ status: "CANCELLED", reason: shutdownReason });
      } finally {
        await database.close();
      }
      expect(() => process.kill(pid, 0)).toThrow();
    } finally {
      await app?.stop();
      await scratchDatabase.drop();
    }
  });
});
