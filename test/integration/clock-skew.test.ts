// Two instances on one PostgreSQL, one with its clock 45 s fast: each fires, leases and
// recovers by the database's clock, so the fast one fires nothing early, closes none of the
// other's runs, and fires a task created through the other.
import { afterEach, describe, expect, it } from "vitest";
import { openDatabase, type Database } from "../../src/db/database.js";
import { createScratchDatabase, type ScratchDatabase } from "../../src/db/scratch-database.js";
import { testCluster, type TestCluster } from "../support/cluster.js";
import { DrainInstance, Instances } from "../support/cluster-operations.js";
import { withoutPostgres } from "../support/databases.js";
import { shiftedClock, withoutFaketime } from "../support/faketime.js";
import { createService } from "../support/fixtures.js";
import { CreateTask } from "../support/task-operations.js";

/** A run is early when its claim is visible before its time by more than the clock measurement could be off. */
const earlyByMs = 250;

describe.skipIf(withoutPostgres || withoutFaketime)("an instance whose clock is 45 s fast", () => {
  let scratch: ScratchDatabase | undefined;
  let cluster: TestCluster | undefined;
  let database: Database | undefined;
  afterEach(async () => {
    await database?.close();
    const codes = await cluster?.stop();
    await scratch?.drop();
    expect(codes?.every((code) => code === 0)).not.toBe(false);
  });

  it("fires nothing early, closes none of the other's runs, and fires tasks created through the other", { timeout: 180_000 }, async () => {
    scratch = await createScratchDatabase("postgresql");
    // The lease (30 s) is shorter than the skew, and dead processes' runs are looked for twice a second.
    cluster = testCluster(scratch.location.url, { EXECUTOR_LEASE_SECONDS: "30", EXECUTOR_POLL_SECONDS: "0.5" });
    const normal = await cluster.start();
    const fast = await cluster.start({ env: shiftedClock("+45s") });
    database = await openDatabase(scratch.location);
    const db = database.client;

    let early = 0;
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        const [row] = await db.$queryRawUnsafe<{ early: number }[]>(
          `SELECT CAST(COUNT(*) AS integer) AS "early" FROM "Run" WHERE "trigger" = 'SCHEDULE' AND "scheduledFor" > (now() AT TIME ZONE 'UTC') + $1 * interval '1 millisecond'`,
          earlyByMs,
        );
        early = Math.max(early, Number(row!.early));
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    try {
      const service = await createService(normal.client, { name: "two-seconds", config: { command: "sleep 2" } });
      const startAt = new Date(Math.ceil(Date.now() / 1000) * 1000 + 2_000);
      for (const name of ["a", "b", "c"]) {
        const { createTask } = await normal.client.data(CreateTask, {
          input: { name, serviceId: service.id, overlapPolicy: "ALLOW", schedule: { standard: { startAt: startAt.toISOString(), frequencySeconds: 1 } } },
          schedule: true,
        });
        expect(createTask.__typename).toBe("CreateTaskSuccess");
      }
      const owners = async () => new Set((await db.run.findMany({ where: { status: "SUCCEEDED" }, select: { ownerId: true } })).map((run) => run.ownerId));
      // Both execute runs, which each other's recovery looks at twice a second while they go on.
      await expect.poll(async () => (await owners()).size, { timeout: 60_000 }).toBe(2);
      const { instances } = await normal.client.data(Instances);
      const fastInstance = instances.find((instance) => instance.id === fast.instanceId)!;
      expect(fastInstance.clockOffsetMs).toBeGreaterThan(44_000);
      expect(fastInstance.clockOffsetMs).toBeLessThan(46_000);
      expect(fast.server.logs.some((entry) => entry.msg === "this machine's clock is off from the database's; Cronline goes by the database's")).toBe(true);

      // With the normal instance drained, a task created through it fires only if the fast one sees it.
      await normal.client.data(DrainInstance, { input: { id: normal.instanceId } });
      const { createTask: late } = await normal.client.data(CreateTask, {
        input: { name: "created-through-normal", serviceId: service.id, schedule: { standard: { startAt: new Date(Date.now() + 1_000).toISOString(), frequencySeconds: 1 } } },
        schedule: true,
      });
      if (late.__typename !== "CreateTaskSuccess") throw new Error(late.__typename);
      await expect.poll(() => db.run.count({ where: { task: { name: "created-through-normal" }, status: "SUCCEEDED" } }), { timeout: 60_000 }).toBeGreaterThan(0);
    } finally {
      watching = false;
      await watcher;
    }
    expect(early).toBe(0);
    expect(await db.run.count({ where: { reason: "interrupted" } })).toBe(0);
  });
});
