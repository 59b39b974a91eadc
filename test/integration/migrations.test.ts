import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openDatabase } from "../../src/db/database.js";
import { applyMigrations, loadMigrationList, modelsSnapshotPath, replayedMigrationsDrift } from "../../src/db/migrations.js";
import { migrationsDirectory, readModels } from "../../src/db/prisma-schema.js";
import { createScratchDatabase, type ScratchDatabase } from "../../src/db/scratch-database.js";
import { describeEachDatabase } from "../support/databases.js";

let scratch: ScratchDatabase | undefined;
afterEach(async () => {
  await scratch?.drop();
  scratch = undefined;
});

describe("migrations folder", () => {
  it("has a migration for the current models (else run `npm run db:migration -- <name>`)", async () => {
    expect(await readFile(modelsSnapshotPath, "utf8")).toBe(readModels());
  });

  it("builds exactly the models when replayed on an empty SQLite database", async () => {
    scratch = await createScratchDatabase("sqlite");
    expect(await replayedMigrationsDrift(scratch.location)).toBe("");
  });
});

describeEachDatabase("applying migrations", (provider) => {
  it("records each migration the way `prisma migrate deploy` does, and applies nothing twice", async () => {
    scratch = await createScratchDatabase(provider);
    const { migrationDirectories, lockfile } = await loadMigrationList(provider);
    expect(lockfile.content).toContain(`provider = "${provider}"`);
    expect(await applyMigrations(scratch.location)).toEqual(migrationDirectories.map((m) => m.path));
    expect(await applyMigrations(scratch.location)).toEqual([]);

    const database = await openDatabase(scratch.location);
    try {
      const rows = await database.client.$queryRawUnsafe<{ migration_name: string; checksum: string; finished_at: unknown }[]>(
        'SELECT migration_name, checksum, finished_at FROM "_prisma_migrations" ORDER BY migration_name',
      );
      const expected = await Promise.all(
        migrationDirectories.map(async (m) => ({
          migration_name: m.path,
          checksum: createHash("sha256")
            .update(await readFile(path.join(migrationsDirectory(provider), m.path, "migration.sql")))
            .digest("hex"),
        })),
      );
      expect(rows.map(({ migration_name, checksum }) => ({ migration_name, checksum }))).toEqual(expected);
      expect(rows.every((row) => row.finished_at !== null)).toBe(true);
    } finally {
      await database.close();
    }
  });
});
