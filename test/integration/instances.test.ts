// The cluster view: every live Cronline process on the database with what it does, and
// drainInstance, which stops one from taking new work while its running runs finish.
import { hostname } from "node:os";
import { decodeGlobalID } from "@pothos/plugin-relay";
import { describe, expect, it } from "vitest";
import { createScratchDatabase } from "../../src/db/scratch-database.js";
import { cronlineVersion } from "../../src/version.js";
import { testCluster } from "../support/cluster.js";
import { DrainInstance, Instances } from "../support/cluster-operations.js";
import { describeEachDatabase, withoutPostgres } from "../support/databases.js";
import { useExecutionServer } from "../support/execution-harness.js";
import { signalProcessGroup } from "../support/child-processes.js";
import { PauseTask, ResumeTask } from "../support/task-operations.js";

describeEachDatabase("the instances of a database", (provider) => {
  // A heartbeat every second (a third of the lease), so counters show soon.
  const h = useExecutionServer(provider, { EXECUTOR_LEASE_SECONDS: "3" });
  const instances = async () => (await h.server.client.data(Instances)).instances;

  it("show this process: where it runs, what it does, its claims and the runs it executes", async () => {
    const [instance] = await instances();
    expect(instance).toMatchObject({
      id: h.server.app.instanceId,
      host: hostname(),
      pid: process.pid,
      version: cronlineVersion,
      roles: ["API", "SCHEDULER", "WORKER"],
      draining: false,
      missedChanges: 0,
      lastClaimAt: null,
    });
    expect(Math.abs(instance!.clockOffsetMs)).toBeLessThan(1_000);
    expect(Date.parse(instance!.leaseExpiresAt)).toBeGreaterThan(Date.parse(instance!.lastHeartbeatAt));

    const serviceId = await h.createService("COMMAND", { command: "sleep 2" });
    const taskId = await h.createTask(serviceId, { schedule: { standard: { frequencySeconds: 1 } }, overlapPolicy: "ALLOW" });
    await h.server.client.data(ResumeTask, { input: { id: taskId } });
    await expect.poll(async () => (await instances())[0]!.runsExecuting, { timeout: 30_000 }).toBeGreaterThan(0);
    const [busy] = await instances();
    expect(busy!.claimsMade).toBeGreaterThan(0);
    expect(busy!.lastClaimAt).not.toBeNull();
    await h.server.client.data(PauseTask, { input: { id: taskId } });
  });

  it("drainInstance: the instance claims and starts nothing new, and its running run finishes", async () => {
    const db = h.server.app.database.client;
    const slow = await h.createTask(await h.createService("COMMAND", { command: "sleep 4" }));
    const runningId = await h.runTask(slow);
    await expect.poll(async () => (await db.run.findUnique({ where: { id: decodeGlobalID(runningId).id } }))?.status, { timeout: 30_000 }).toBe("RUNNING");
    const everySecond = await h.createTask(await h.createService("COMMAND", { command: "true" }), { schedule: { standard: { frequencySeconds: 1 } }, overlapPolicy: "ALLOW" });
    await h.server.client.data(ResumeTask, { input: { id: everySecond } });
    const scheduled = { taskId: decodeGlobalID(everySecond).id, trigger: "SCHEDULE" };
    await expect.poll(() => db.run.count({ where: scheduled }), { timeout: 30_000 }).toBeGreaterThan(0);

    const { drainInstance } = await h.server.client.data(DrainInstance, { input: { id: h.server.app.instanceId } });
    expect(drainInstance).toEqual({ __typename: "DrainInstanceSuccess", instance: { id: h.server.app.instanceId, draining: true } });
    // The drain reaches the scheduler and the worker within moments; a claim already under way may still land.
    const drainedAt = new Date(Date.now() + 1_000);
    const queuedAfter = await h.runTask(slow);

    const finished = await h.waitForRun(runningId);
    expect(finished.status).toBe("SUCCEEDED");
    expect(await db.run.count({ where: { ...scheduled, claimedAt: { gt: drainedAt } } })).toBe(0);
    expect((await db.run.findUnique({ where: { id: decodeGlobalID(queuedAfter).id } }))?.status).toBe("QUEUED");
    await expect.poll(async () => (await instances())[0], { timeout: 30_000 }).toMatchObject({ draining: true, runsExecuting: 0 });
  });

  it("drainInstance of an instance that is not running is a NotFoundError on input.id", async () => {
    const { drainInstance } = await h.server.client.data(DrainInstance, { input: { id: "not-an-instance" } });
    expect(drainInstance).toMatchObject({ __typename: "NotFoundError", field: "input.id", message: "input.id: no Instance with id not-an-instance" });
  });
});

describe.skipIf(withoutPostgres)("instances that stop", () => {
  it("leave the view at once when they stop, and once their lease has expired when they die", { timeout: 120_000 }, async () => {
    const scratch = await createScratchDatabase("postgresql");
    const cluster = testCluster(scratch.location.url, { EXECUTOR_LEASE_SECONDS: "2" });
    try {
      const first = await cluster.start();
      const killed = await cluster.start();
      const stopped = await cluster.start();
      const ids = async () => (await first.client.data(Instances)).instances.map((instance) => instance.id);
      expect(await ids()).toEqual([first.instanceId, killed.instanceId, stopped.instanceId]);
      stopped.server.child.kill("SIGTERM");
      expect(await stopped.server.exited).toBe(0);
      expect(await ids()).toEqual([first.instanceId, killed.instanceId]);
      signalProcessGroup(killed.server.child, "SIGKILL");
      await killed.server.exited;
      await expect.poll(ids, { timeout: 30_000 }).toEqual([first.instanceId]);
    } finally {
      await cluster.stop();
      await scratch.drop();
    }
  });
});
