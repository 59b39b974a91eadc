import { expect, it } from "vitest";
import { generateTokenSecret } from "../../src/auth/tokens.js";
import { openDatabase } from "../../src/db/database.js";
import { createScratchDatabase } from "../../src/db/scratch-database.js";
import { describeEachDatabase } from "../support/databases.js";
import { graphqlClient } from "../support/graphql-client.js";
import { CreateService } from "../support/operations.js";
import { spawnServer } from "../support/server-process.js";
import { CreateTask } from "../support/task-operations.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describeEachDatabase("two server processes on one database", (provider) => {
  it("fire every occurrence exactly once between them", async () => {
    const scratch = await createScratchDatabase(provider);
    const adminToken = generateTokenSecret();
    const env = { DATABASE_URL: scratch.location.url, LOG_LEVEL: "debug", SCHEDULER_RESYNC_SECONDS: "0.2", CRONLINE_BOOTSTRAP_ADMIN_TOKEN: adminToken };
    const servers = [spawnServer(env)];
    try {
      const url = await servers[0]!.listening;
      servers.push(spawnServer(env));
      await servers[1]!.listening;

      const client = graphqlClient(url, adminToken);
      const { createService } = await client.data(CreateService, { input: { name: "noop", kind: "COMMAND", config: { command: "true" } } });
      if (createService.__typename !== "CreateServiceSuccess") throw new Error(createService.__typename);
      // Far enough ahead for the second process to have seen the tasks.
      const startAt = new Date(Math.ceil(Date.now() / 1000) * 1000 + 2_000);
      for (const name of ["a", "b", "c"]) {
        const { createTask } = await client.data(CreateTask, {
          input: { name, serviceId: createService.service.id, overlapPolicy: "ALLOW", schedule: { standard: { startAt: startAt.toISOString(), frequencySeconds: 1 } } },
          schedule: true,
        });
        expect(createTask.__typename).toBe("CreateTaskSuccess");
      }
      await sleep(startAt.getTime() - Date.now() + 4_500);
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
        const seconds = runs.filter((r) => r.task.name === name).map((r) => r.scheduledFor.getTime() / 1000);
        expect(seconds.length).toBeGreaterThanOrEqual(4);
        expect(seconds).toEqual(seconds.map((_, i) => seconds[0]! + i));
      }
      // Both processes competed: the loser of a claim logs that the task changed elsewhere.
      const lostClaims = servers.map((s) => s.logs.filter((entry) => entry.msg === "tasks changed elsewhere; reloading").length);
      expect(lostClaims.some((count) => count > 0)).toBe(true);
    } finally {
      await database.close();
      await scratch.drop();
    }
  });
});
