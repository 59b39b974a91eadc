import { expect, it } from "vitest";
import { generateTokenSecret } from "../../src/auth/tokens.js";
import { openDatabase } from "../../src/db/database.js";
import { createScratchDatabase } from "../../src/db/scratch-database.js";
import { describeEachDatabase } from "../support/databases.js";
import { graphqlClient } from "../support/graphql-client.js";
import { CreateService } from "../support/operations.js";
import { spawnServer } from "../support/server-process.js";
import { CreateTask, TasksPage } from "../support/task-operations.js";

describeEachDatabase("two server processes on one database", (provider) => {
  it("fire every occurrence exactly once between them", async () => {
    const scratch = await createScratchDatabase(provider);
    const adminToken = generateTokenSecret();
    const env = { DATABASE_URL: scratch.location.url, LOG_LEVEL: "debug", SCHEDULER_RESYNC_SECONDS: "0.2", CRONLINE_BOOTSTRAP_ADMIN_TOKEN: adminToken };
    const servers = [spawnServer(env)];
    let expectedSeconds: number[] = [];
    try {
      const url = await servers[0]!.listening;
      servers.push(spawnServer(env));
      await servers[1]!.listening;

      const client = graphqlClient(url, adminToken);
      const { createService } = await client.data(CreateService, { input: { name: "noop", kind: "COMMAND", config: { command: "true" } } });
      if (createService.__typename !== "CreateServiceSuccess") throw new Error(createService.__typename);
      // Far enough ahead for the second process to have seen the tasks; endAt (inclusive)
      // makes each task fire exactly five times, then complete.
      const startAt = new Date(Math.ceil(Date.now() / 1000) * 1000 + 2_000);
      const endAt = new Date(startAt.getTime() + 4_000);
      for (const name of ["a", "b", "c"]) {
        const { createTask } = await client.data(CreateTask, {
          input: {
            name,
            serviceId: createService.service.id,
            overlapPolicy: "ALLOW",
            schedule: { standard: { startAt: startAt.toISOString(), frequencySeconds: 1, endAt: endAt.toISOString() } },
          },
          schedule: true,
        });
        expect(createTask.__typename).toBe("CreateTaskSuccess");
      }
      const completed = async () => (await client.data(TasksPage, { filter: { states: ["COMPLETED"] } })).tasks.totalCount;
      await expect.poll(completed, { timeout: 45_000, interval: 250 }).toBe(3);
      expectedSeconds = [0, 1, 2, 3, 4].map((i) => startAt.getTime() / 1000 + i);
    } finally {
      for (const server of servers) server.child.kill("SIGTERM");
      const exitCodes = await Promise.all(servers.map((s) => s.exited));
      if (exitCodes.some((code) => code !== 0)) console.error(servers.map((s) => [...s.logs.slice(-8), s.stderr.join("")]));
      expect(exitCodes).toEqual([0, 0]);
    }

    const database = await openDatabase(scratch.location);
    try {
      const runs = await database.client.run.findMany({ include: { task: { select: { name: true } } }, orderBy: { scheduledFor: "asc" } });
      for (const name of ["a", "b", "c"]) {
        // The first at startAt, then each second to endAt: none missing, none twice.
        const scheduled = runs.filter((r) => r.task.name === name);
        expect(scheduled.map((r) => r.scheduledFor.getTime() / 1000), name).toEqual(expectedSeconds);
        expect(scheduled.every((r) => r.trigger === "SCHEDULE")).toBe(true);
      }
      // Both processes competed: the loser of a claim logs that the task changed elsewhere.
      const lostClaims = servers.map((s) => s.logs.filter((entry) => entry.msg === "tasks changed elsewhere; reloading").length);
      expect(lostClaims.some((count) => count > 0)).toBe(true);
    } finally {
      await database.close();
      await scratch.drop();
    }
  }, 90_000);
});
