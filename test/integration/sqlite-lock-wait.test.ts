// A thread whose statement waits for SQLite's write lock goes on with its other work: the
// wait is the event loop's, not a sleep inside SQLite. Here the lock's holder is another
// connection of the same thread, which can only let go if the thread is not stuck waiting.
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, type Database as CronlineDatabase } from "../../src/db/database.js";
import { sqliteFilePath } from "../../src/db/driver-adapter.js";
import { applyMigrations } from "../../src/db/migrations.js";
import { createScratchDatabase, type ScratchDatabase } from "../../src/db/scratch-database.js";

describe("waiting for SQLite's write lock", () => {
  let scratch: ScratchDatabase;
  let database: CronlineDatabase;
  let holder: Database.Database;

  beforeAll(async () => {
    scratch = await createScratchDatabase("sqlite");
    await applyMigrations(scratch.location);
    database = await openDatabase(scratch.location);
    holder = new Database(sqliteFilePath(scratch.location));
  });
  afterAll(async () => {
    holder.close();
    await database.close();
    await scratch.drop();
  });

  /** Holds the write lock until the thread's timers have run `turns` times, then commits; resolves with the turns seen. */
  function holdLockFor(turns: number, id: string): Promise<number> {
    holder.exec("BEGIN IMMEDIATE");
    holder.prepare(`INSERT INTO "Device" ("id", "name", "address", "properties", "createdAt", "updatedAt") VALUES (?, ?, '127.0.0.1', '{}', 0, 0)`).run(id, id);
    return new Promise((resolve) => {
      let seen = 0;
      const timer = setInterval(() => {
        if (++seen < turns) return;
        clearInterval(timer);
        holder.exec("COMMIT");
        resolve(seen);
      }, 5);
    });
  }

  it("lets the thread run while a statement waits, and writes once the lock is free", async () => {
    const released = holdLockFor(10, "held");
    const written = database.client.$executeRawUnsafe(
      `INSERT INTO "Device" ("id", "name", "address", "properties", "createdAt", "updatedAt") VALUES ('waited', 'waited', '127.0.0.1', '{}', 0, 0)`,
    );
    expect(await released).toBe(10);
    expect(await written).toBe(1);
    expect(await database.client.device.count({ where: { id: { in: ["held", "waited"] } } })).toBe(2);
  });

  it("lets the thread run while a transaction waits to begin, and runs it whole once the lock is free", async () => {
    const released = holdLockFor(10, "held-too");
    const transaction = database.client.$transaction(async (tx) => {
      const before = await tx.device.count();
      await tx.device.create({ data: { id: "in-transaction", name: "in-transaction", address: "127.0.0.1", properties: {} } });
      return before;
    });
    expect(await released).toBe(10);
    // It began after the holder committed, so it saw the holder's row.
    expect(await transaction).toBe(await database.client.device.count({ where: { id: { not: "in-transaction" } } }));
    expect(await database.client.device.findUnique({ where: { id: "in-transaction" } })).not.toBeNull();
  });
});
