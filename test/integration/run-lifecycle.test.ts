// The life of runs around their execution: deadlines, overlap, crash recovery across
// processes, exactly-once execution by several executors, shutdown, retention.
import { decodeGlobalID, encodeGlobalID } from "@pothos/plugin-relay";
import { mkdtempSync, readFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { v7 as uuidv7 } from "uuid";
import { describe, expect, it } from "vitest";
import { startApp } from "../../src/app.js";
import { interruptedReason } from "../../src/domain/runs.js";
import { shutdownReason } from "../../src/execution/executor.js";
import { RunPruner } from "../../src/execution/retention.js";
import { createLogger } from "../../src/logger.js";
import { describeEachDatabase } from "../support/databases.js";
import { nodeCommand, sleep, useExecutionServer } from "../support/execution-harness.js";
import { RunsByFilter } from "../support/execution-operations.js";
import { testConfig } from "../support/test-server.js";

const databaseId = (globalId: string) => decodeGlobalID(globalId).id;
const forever = nodeCommand("setInterval(() => {}, 1000)");

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
    const overlaps = async (overlapPolicy: string) => {
      const taskId = await h.createTask(serviceId, { overlapPolicy });
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
      const announced = created.map((run) => ({ ...run, trigger: "SCHEDULE" as const, status: "QUEUED" as const, payload: {} }));
      h.server.app.events.emit("runsCreated", { runs: announced });
      second.events.emit("runsCreated", { runs: announced });
      for (const id of runs) await h.waitForRun(id);
      const results = await db().runResult.groupBy({ by: ["runId"], where: { runId: { in: runs.map(databaseId) } }, _count: { _all: true } });
      expect(results).toHaveLength(30);
      expect(results.every((r) => r._count._all === 1)).toBe(true);
      const owners = await db().run.groupBy({ by: ["ownerId"], where: { id: { in: runs.map(databaseId) } }, _count: { _all: true } });
      expect(owners.map((o) => o.ownerId).every((owner) => owner === "second-process:1" || owner === h.server.app.executor.ownerId)).toBe(true);
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
      expect(await prune(1, 0)).toBeGreaterThanOrEqual(4);
      expect(await remaining()).toEqual([databaseId(ids[9]!), databaseId(queued)]);
      await db().run.delete({ where: { id: databaseId(queued) } });
    });
  });
});

describeEachDatabase("shutdown", (provider) => {
  const h = useExecutionServer(provider);

  it("lets running runs finish within the grace period, then cancels the rest and kills their processes", async () => {
    const scratch = mkdtempSync(path.join(tmpdir(), "cronline-shutdown-"));
    const pidFile = path.join(scratch, "pid");
    const app = await startApp(testConfig(h.server.app.database.location.url, { SHUTDOWN_GRACE_SECONDS: "1" }), createLogger("silent"), {
      executorOwnerId: "stopping:1",
    });
    const client = (await import("../support/graphql-client.js")).graphqlClient(app.url, h.server.adminToken);
    const { CreateService } = await import("../support/operations.js");
    const { CreateTask, RunTask } = await import("../support/task-operations.js");
    const service = async (name: string, command: string) => {
      const { createService } = await client.data(CreateService, { input: { name, kind: "COMMAND", config: { command } } });
      if (createService.__typename !== "CreateServiceSuccess") throw new Error(createService.__typename);
      const { createTask } = await client.data(CreateTask, { input: { name, serviceId: createService.service.id, schedule: { once: { at: "2099-01-01T00:00:00Z" } } } });
      if (createTask.__typename !== "CreateTaskSuccess") throw new Error(createTask.__typename);
      const { runTask } = await client.data(RunTask, { input: { id: createTask.task.id, confirm: false } });
      if (runTask.__typename !== "RunTaskSuccess") throw new Error(runTask.__typename);
      return databaseId(runTask.run.id);
    };
    const short = await service("short", nodeCommand("setTimeout(() => {}, 500)"));
    const long = await service("long", nodeCommand(`require("node:fs").writeFileSync(${JSON.stringify(pidFile)}, String(process.pid)); setInterval(() => {}, 1000);`));
    for (let i = 0; i < 100 && !existsSync(pidFile); i++) await sleep(50);
    const pid = Number(readFileSync(pidFile, "utf8"));
    const started = Date.now();
    await app.stop();
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    const runs = await h.server.app.database.client.run.findMany({ where: { id: { in: [short, long] } } });
    expect(runs.find((r) => r.id === short)).toMatchObject({ status: "SUCCEEDED" });
    expect(runs.find((r) => r.id === long)).toMatchObject({ status: "CANCELLED", reason: shutdownReason });
    expect(() => process.kill(pid, 0)).toThrow();
  });
});
