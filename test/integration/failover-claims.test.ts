// Two processes starting queued runs of one task at the same instant on PostgreSQL: the task
// does not allow overlaps (BUFFER_ALL), so exactly one of them may start. Each side claims a
// different queued run through its own connection pool, both statements sent together, 200
// times. Under READ COMMITTED neither side sees the other's uncommitted RUNNING row: without
// the per-task lock both started in most rounds.
import { describe, expect, it } from "vitest";
import { v7 as uuidv7 } from "uuid";
import { openDatabase, type Database } from "../../src/db/database.js";
import { applyMigrations } from "../../src/db/migrations.js";
import { createScratchDatabase } from "../../src/db/scratch-database.js";
import { RunStore } from "../../src/execution/run-store.js";
import { withoutPostgres } from "../support/databases.js";

const rounds = 200;

describe.skipIf(withoutPostgres)("runs of one task started by two processes at once", () => {
  it(`never both start (${rounds} races)`, { timeout: 120_000 }, async () => {
    const scratch = await createScratchDatabase("postgresql");
    const databases: Database[] = [];
    try {
      await applyMigrations(scratch.location);
      for (let i = 0; i < 2; i++) databases.push(await openDatabase(scratch.location));
      const [first, second] = databases.map((database) => new RunStore(database.client, "postgresql")) as [RunStore, RunStore];
      const db = databases[0]!.client;
      const service = await db.service.create({ data: { name: "noop", kind: "COMMAND", config: { command: "true" }, defaultPayload: {} } });
      const task = await db.task.create({
        data: { name: "one-at-a-time", serviceId: service.id, schedule: { once: { at: "2099-01-01T00:00:00Z" } }, payload: {}, state: "PAUSED", misfirePolicy: "RUN_ALL", misfireGraceSeconds: 0, overlapPolicy: "BUFFER_ALL" },
      });
      const queue = async () => {
        const id = uuidv7();
        const now = new Date();
        await db.run.create({ data: { id, taskId: task.id, trigger: "MANUAL", status: "QUEUED", scheduledFor: now, payload: {}, claimedAt: now } });
        return id;
      };

      let bothStarted = 0;
      for (let round = 0; round < rounds; round++) {
        const [a, b] = [await queue(), await queue()];
        const now = new Date();
        const [startedA, startedB] = await Promise.all([first.claimRuns([a], "process-a", now, 60_000), second.claimRuns([b], "process-b", now, 60_000)]);
        const started = startedA.size + startedB.size;
        expect(started).toBeGreaterThanOrEqual(1);
        if (started === 2) bothStarted += 1;
        // Both ended before the next round.
        await db.run.updateMany({ where: { id: { in: [a, b] } }, data: { status: "SUCCEEDED", finishedAt: new Date() } });
      }
      console.log(`runs of one task started by two processes at once: both started in ${bothStarted} of ${rounds} races`);
      expect(bothStarted).toBe(0);
    } finally {
      for (const database of databases) await database.close();
      await scratch.drop();
    }
  });
});
