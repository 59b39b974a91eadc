// Two instances on one PostgreSQL database racing for the same occurrences: each exports its
// own metrics, the claims one loses to the other are counted as conflicts, and the occurrences
// both count add up to the runs the database holds, none counted twice.
import { afterEach, describe, expect, it } from "vitest";
import { openDatabase, type Database } from "../../src/db/database.js";
import { applyMigrations } from "../../src/db/migrations.js";
import { createScratchDatabase, type ScratchDatabase } from "../../src/db/scratch-database.js";
import { taskDefaults } from "../../src/domain/task-policies.js";
import { scheduleToJson } from "../../src/domain/task-schedule.js";
import { testCluster, type TestCluster } from "../support/cluster.js";
import { withoutPostgres } from "../support/databases.js";
import { scrapeMetrics } from "../support/metrics.js";

const taskCount = 300;

describe.skipIf(withoutPostgres)("metrics of several instances on PostgreSQL", () => {
  let scratch: ScratchDatabase | undefined;
  let cluster: TestCluster | undefined;
  let database: Database | undefined;
  afterEach(async () => {
    await database?.close();
    await cluster?.stop();
    await scratch?.drop();
  });

  it("are each instance's own: claims lost to the other are conflicts, and occurrences add up to the runs recorded", async () => {
    scratch = await createScratchDatabase("postgresql");
    await applyMigrations(scratch.location);
    database = await openDatabase(scratch.location);
    const db = database.client;
    // Runs fail at once against a closed port: no process is spawned.
    const service = await db.service.create({ data: { name: "refused", kind: "HTTP", config: { url: "http://127.0.0.1:9/", method: "POST" }, defaultPayload: {} } });
    const startAt = new Date(Math.ceil(Date.now() / 1000) * 1000);
    await db.task.createMany({
      data: Array.from({ length: taskCount }, (_, k) => ({
        id: `every-second-${k}`,
        name: `every-second-${k}`,
        serviceId: service.id,
        schedule: scheduleToJson({ kind: "STANDARD", startAt, frequencySeconds: 1, endAt: null }),
        payload: {},
        state: "PAUSED",
        misfirePolicy: taskDefaults.misfirePolicy,
        misfireGraceSeconds: taskDefaults.misfireGraceSeconds,
        overlapPolicy: "ALLOW",
      })),
    });
    cluster = testCluster(scratch.location.url, { SCHEDULER_RESYNC_SECONDS: "1" });
    const instances = await Promise.all([cluster.start(), cluster.start()]);
    // Both schedulers take the tasks up at the same resync, and fire them at the same instants.
    const nextSecond = new Date(Math.ceil((Date.now() + 2_000) / 1000) * 1000);
    await db.task.updateMany({ data: { state: "ACTIVE", nextRunAt: nextSecond, version: { increment: 1 } } });

    const scrapeBoth = () => Promise.all(instances.map((instance) => scrapeMetrics(instance.url)));
    await expect
      .poll(async () => (await scrapeBoth()).reduce((sum, scrape) => sum + scrape.value("cronline_claim_conflicts_total"), 0), { timeout: 90_000, interval: 500 })
      .toBeGreaterThan(0);
    await db.task.updateMany({ data: { state: "PAUSED", version: { increment: 1 } } });

    // Once both have heard of the pause, what they counted is what the database holds.
    const recorded = async () => {
      const [row] = await db.$queryRawUnsafe<{ ran: number; skipped: number }[]>(
        `SELECT CAST(COUNT(*) FILTER (WHERE "status" <> 'SKIPPED') AS integer) AS "ran", CAST(COUNT(*) FILTER (WHERE "status" = 'SKIPPED') AS integer) AS "skipped" FROM "Run" WHERE "occurrence" IS NOT NULL`,
      );
      return row!;
    };
    await expect
      .poll(
        async () => {
          const scrapes = await scrapeBoth();
          const counted = (...outcomes: string[]) => scrapes.reduce((sum, scrape) => sum + outcomes.reduce((s, outcome) => s + scrape.value("cronline_occurrences_total", { outcome }), 0), 0);
          const { ran, skipped } = await recorded();
          return { ran: counted("queued", "caught_up") - ran, skipped: counted("skipped_misfire", "skipped_overlap") - skipped, noneCountedYet: ran === 0 };
        },
        { timeout: 60_000, interval: 500 },
      )
      .toEqual({ ran: 0, skipped: 0, noneCountedYet: false });
    const scrapes = await scrapeBoth();
    // Every queued occurrence's fire lag was measured once, by the instance that claimed it.
    const { ran } = await recorded();
    expect(scrapes.reduce((sum, scrape) => sum + scrape.value("cronline_fire_lag_seconds_count", { stage: "claim" }), 0)).toBe(ran);
    // The database's gauges are the same on both.
    expect(scrapes[0]!.value("cronline_tasks", { state: "PAUSED" })).toBe(taskCount);
    expect(scrapes[1]!.value("cronline_tasks", { state: "PAUSED" })).toBe(taskCount);
  });
});
