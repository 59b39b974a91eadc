// Failed statements are heard at the driver adapter, in and out of transactions, with their
// kind, on both databases; the failure still reaches the caller as it was.
import { afterEach, expect, it } from "vitest";
import { openDatabase, type Database } from "../../src/db/database.js";
import type { QueryErrorKind } from "../../src/db/query-errors.js";
import { createScratchDatabase, type ScratchDatabase } from "../../src/db/scratch-database.js";
import { describeEachDatabase } from "../support/databases.js";

describeEachDatabase("failed statements", (provider) => {
  let scratch: ScratchDatabase | undefined;
  let database: Database | undefined;
  afterEach(async () => {
    await database?.close();
    await scratch?.drop();
  });

  it("are reported by kind: a constraint refusing a write, anything else", async () => {
    scratch = await createScratchDatabase(provider);
    const kinds: QueryErrorKind[] = [];
    database = await openDatabase(scratch.location, { onQueryError: (kind) => kinds.push(kind) });
    const db = database.client;
    await db.$executeRawUnsafe('CREATE TABLE "probe" ("id" INTEGER PRIMARY KEY)');
    await db.$executeRawUnsafe('INSERT INTO "probe" ("id") VALUES (1)');
    expect(kinds).toEqual([]);
    await expect(db.$executeRawUnsafe('INSERT INTO "probe" ("id") VALUES (1)')).rejects.toThrow();
    await expect(db.$queryRawUnsafe('SELECT * FROM "no_such_table"')).rejects.toThrow();
    await expect(db.$transaction(async (tx) => tx.$executeRawUnsafe('INSERT INTO "probe" ("id") VALUES (1)'))).rejects.toThrow();
    expect(kinds).toEqual(["constraint", "other", "constraint"]);
  });
});

it("a database that cannot be reached is reported as unavailable", async () => {
  const kinds: QueryErrorKind[] = [];
  // Nothing listens on port 9 (discard): every connection is refused.
  const database = await openDatabase({ provider: "postgresql", url: "postgresql://postgres@127.0.0.1:9/cronline" }, { onQueryError: (kind) => kinds.push(kind) });
  try {
    await expect(database.client.$queryRawUnsafe("SELECT 1")).rejects.toThrow();
    expect(kinds).toEqual(["unavailable"]);
  } finally {
    await database.close();
  }
});
