import { hostname } from "node:os";
import { decodeGlobalID } from "@pothos/plugin-relay";
import { expect, it } from "vitest";
import { generateTokenSecret } from "../../src/auth/tokens.js";
import { openDatabase } from "../../src/db/database.js";
import { createScratchDatabase } from "../../src/db/scratch-database.js";
import { describeEachDatabase } from "../support/databases.js";
import { useExecutionServer } from "../support/execution-harness.js";
import { graphqlClient } from "../support/graphql-client.js";
import { CreateService } from "../support/operations.js";
import { spawnServer } from "../support/server-process.js";
import { CreateTask, ResumeTask, TaskRuns } from "../support/task-operations.js";

/** Holds this thread (the API's, in a test server) without yielding, as a heavy request would. */
function blockThisThread(ms: number): { from: number; until: number } {
  const from = Date.now();
  while (Date.now() - from < ms);
  return { from, until: Date.now() };
}

describeEachDatabase("the scheduler and the worker in threads of their own", (provider) => {
  const h = useExecutionServer(provider);

  it("fire and execute while the API's thread is held", async () => {
    const serviceId = await h.createService("COMMAND", { command: "true" });
    const taskId = await h.createTask(serviceId, { schedule: { standard: { frequencySeconds: 1 } }, overlapPolicy: "ALLOW" });
    const db = h.server.app.database.client;
    const task = { taskId: decodeGlobalID(taskId).id };
    await h.server.client.data(ResumeTask, { input: { id: taskId } });
    await expect.poll(() => db.run.count({ where: { ...task, status: "SUCCEEDED" } }), { timeout: 30_000 }).toBeGreaterThan(0);

    // Claimed, started and finished while this thread could do nothing: none of it went through
    // here. A held thread cannot look at the database, so it is held for longer each time
    // until a run fitted in, as one does within seconds unless the machine is very busy.
    const heldRuns = async (ms: number) => {
      const held = blockThisThread(ms);
      const during = { gte: new Date(held.from), lte: new Date(held.until) };
      return db.run.findMany({ where: { ...task, claimedAt: during, startedAt: during, finishedAt: during } });
    };
    let runs = await heldRuns(4_000);
    for (let ms = 8_000; runs.length === 0 && ms <= 32_000; ms *= 2) runs = await heldRuns(ms);
    expect(runs.length).toBeGreaterThan(0);
    expect(runs.every((run) => run.status === "SUCCEEDED")).toBe(true);
  }, 120_000);
});

describeEachDatabase("processes with separate roles on one database", (provider) => {
  it("share the work: the API process serves, the other fires and executes", async () => {
    const scratch = await createScratchDatabase(provider);
    const adminToken = generateTokenSecret();
    const env = {
      DATABASE_URL: scratch.location.url,
      CRONLINE_BOOTSTRAP_ADMIN_TOKEN: adminToken,
      SCHEDULER_RESYNC_SECONDS: "0.2",
      EXECUTOR_POLL_SECONDS: "0.2",
    };
    const api = spawnServer(env, undefined, { args: ["--role", "api"] });
    const servers = [api];
    try {
      // One after the other: the first applies the migrations of the fresh database.
      const apiUrl = await api.listening;
      const engine = spawnServer(env, undefined, { args: ["--role", "scheduler,worker"] });
      servers.push(engine);
      const engineUrl = await engine.listening;
      const client = graphqlClient(apiUrl, adminToken);
      const { createService } = await client.data(CreateService, { input: { name: "noop", kind: "COMMAND", config: { command: "true" } } });
      if (createService.__typename !== "CreateServiceSuccess") throw new Error(createService.__typename);
      const { createTask } = await client.data(CreateTask, {
        input: { name: "every-second", serviceId: createService.service.id, overlapPolicy: "ALLOW", schedule: { standard: { frequencySeconds: 1 } } },
        schedule: true,
      });
      if (createTask.__typename !== "CreateTaskSuccess") throw new Error(createTask.__typename);
      const runStatuses = async () => {
        const { node } = await client.data(TaskRuns, { id: createTask.task.id, first: 5 });
        return node && "runs" in node ? node.runs.edges.map((edge) => edge.node.status) : [];
      };
      await expect.poll(runStatuses, { timeout: 30_000, interval: 200 }).toContain("SUCCEEDED");

      // The engine process answers health checks only; the API process has no threads.
      expect((await fetch(new URL("/healthz", engineUrl))).status).toBe(200);
      expect((await fetch(new URL("/readyz", engineUrl))).status).toBe(200);
      expect((await fetch(engineUrl, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" })).status).toBe(404);
      expect((await fetch(new URL("/readyz", apiUrl))).status).toBe(200);
      expect(api.logs.find((entry) => entry.msg === "Cronline listening")?.roles).toEqual(["api"]);
      expect(engine.logs.find((entry) => entry.msg === "Cronline listening")?.roles).toEqual(["scheduler", "worker"]);
    } finally {
      for (const server of servers) server.child.kill("SIGTERM");
      expect(await Promise.all(servers.map((server) => server.exited))).toEqual([0, 0]);
    }
    const database = await openDatabase(scratch.location);
    try {
      // Every run was executed by the engine process, whose executor is the only one.
      const owners = await database.client.run.findMany({ where: { status: "SUCCEEDED" }, select: { ownerId: true }, distinct: ["ownerId"] });
      expect(owners.map((run) => run.ownerId)).toEqual([`${hostname()}:${servers[1]!.child.pid}`]);
    } finally {
      await database.close();
      await scratch.drop();
    }
  }, 90_000);
});

it("refuses an unknown role, saying which ones exist", async () => {
  const server = spawnServer({}, undefined, { args: ["--role", "cron"] });
  expect(await server.exited).toBe(2);
  expect(server.stderr.join("")).toMatch(/--role must be all, or one or more of api, scheduler, worker/);
});
