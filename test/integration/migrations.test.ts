import { createHash } from "node:crypto";
import { appendFile, cp, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openDatabase } from "../../src/db/database.js";
import { applyMigrations, loadMigrationList, modelsSnapshotPath, replayedMigrationsDrift } from "../../src/db/migrations.js";
import { writeNextMigrations } from "../../src/db/next-migration.js";
import { databaseProviders, migrationsDirectory, prismaDirectory, readModels } from "../../src/db/prisma-schema.js";
import { createScratchDatabase, type ScratchDatabase } from "../../src/db/scratch-database.js";
import { runInGroup } from "../support/child-processes.js";
import { describeEachDatabase, withoutPostgres } from "../support/databases.js";
import { childEnvironment } from "../support/server-process.js";

let scratch: ScratchDatabase | undefined;
afterEach(async () => {
  await scratch?.drop();
  scratch = undefined;
});

describe("migrations folder", () => {
  it("has a migration for the current models (else run `npm run db:migration -- <name>`)", async () => {
    expect(await readFile(modelsSnapshotPath(), "utf8")).toBe(readModels());
  });

  it("builds exactly the models when replayed on an empty SQLite database", async () => {
    scratch = await createScratchDatabase("sqlite");
    expect(await replayedMigrationsDrift(scratch.location)).toBe("");
  });
});

describe("writing the next migration (npm run db:migration)", () => {
  let copy: string | undefined;
  afterEach(async () => {
    if (copy) await rm(copy, { recursive: true, force: true });
    copy = undefined;
  });

  /** A copy of prisma/ whose models gained a table the migrations do not have yet. */
  async function prismaCopyWithNewModel(): Promise<string> {
    copy = await mkdtemp(path.join(tmpdir(), "cronline-prisma-"));
    await cp(prismaDirectory, copy, { recursive: true, filter: (source) => !source.includes(`${path.sep}.schema`) });
    await appendFile(path.join(copy, "models.prisma"), "\nmodel Note {\n  id   String @id\n  text String\n}\n");
    return copy;
  }

  const migrationFolders = async (prismaDir: string) =>
    Object.fromEntries(
      await Promise.all(databaseProviders.map(async (provider) => [provider, (await readdir(migrationsDirectory(provider, prismaDir))).sort()])),
    );

  it.skipIf(withoutPostgres)(
    "writes one migration per provider and the new snapshot; a second run writes nothing",
    async () => {
      const prismaDir = await prismaCopyWithNewModel();
      const before = await migrationFolders(prismaDir);
      const written = await writeNextMigrations("add_note", new Date("2030-01-02T03:04:05Z"), { prismaDir });
      expect(written).toEqual(databaseProviders.map((provider) => ({ provider, folder: "20300102030405_add_note" })));
      for (const provider of databaseProviders) {
        expect((await migrationFolders(prismaDir))[provider]).toEqual([...before[provider], "20300102030405_add_note"].sort());
        const sql = await readFile(path.join(migrationsDirectory(provider, prismaDir), "20300102030405_add_note", "migration.sql"), "utf8");
        expect(sql).toContain('CREATE TABLE "Note"');
      }
      expect(await readFile(modelsSnapshotPath(prismaDir), "utf8")).toBe(readModels(prismaDir));

      const again = await writeNextMigrations("add_note_again", new Date("2030-01-02T03:04:06Z"), { prismaDir });
      expect(again).toEqual(databaseProviders.map((provider) => ({ provider, folder: null })));
    },
  );

  it("writes nothing, for either provider, when PostgreSQL is unreachable", async () => {
    const prismaDir = await prismaCopyWithNewModel();
    const before = await migrationFolders(prismaDir);
    const snapshotBefore = await readFile(modelsSnapshotPath(prismaDir), "utf8");
    await expect(
      writeNextMigrations("add_note", new Date(), { prismaDir, postgresAdminUrl: "postgresql://postgres@127.0.0.1:1/postgres" }),
    ).rejects.toThrow(/ECONNREFUSED/);
    expect(await migrationFolders(prismaDir)).toEqual(before);
    expect(await readFile(modelsSnapshotPath(prismaDir), "utf8")).toBe(snapshotBefore);
  });
});

describe("scratch PostgreSQL databases", () => {
  it.skipIf(withoutPostgres)("sort by code point (C collation) whatever the cluster's locale, as SQLite does", async () => {
    scratch = await createScratchDatabase("postgresql");
    const database = await openDatabase(scratch.location);
    try {
      const [settings] = await database.client.$queryRawUnsafe<{ datcollate: string; datctype: string }[]>(
        "SELECT datcollate, datctype FROM pg_database WHERE datname = current_database()",
      );
      expect(settings).toEqual({ datcollate: "C", datctype: "C" });
    } finally {
      await database.close();
    }
  });
});

/** `npm run db:migrate` in the project, as an operator runs it. */
async function runDbMigrate(databaseUrl: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return runInGroup("npm", ["run", "--silent", "db:migrate"], {
    cwd: path.dirname(prismaDirectory),
    env: { ...childEnvironment(), DATABASE_URL: databaseUrl },
  });
}

// Each run starts npm, tsx and the schema engine: slow on a loaded machine.
describe("npm run db:migrate", { timeout: 120_000 }, () => {
  it("applies every migration to a new SQLite file, then reports it up to date", async () => {
    scratch = await createScratchDatabase("sqlite");
    const names = (await loadMigrationList("sqlite")).migrationDirectories.map((m) => m.path);
    const first = await runDbMigrate(scratch.location.url);
    expect(first).toMatchObject({ code: 0, stdout: `applied: ${names.join(", ")}\n` });
    const second = await runDbMigrate(scratch.location.url);
    expect(second).toMatchObject({ code: 0, stdout: "sqlite: already up to date\n" });
  });

  it("refuses a bad DATABASE_URL with exit code 2 and a message naming it, not a stack trace", async () => {
    const result = await runDbMigrate("mysql://admin:secret@localhost/cronline");
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/DATABASE_URL=\(hidden\): must start with postgresql:\/\//);
    expect(result.stderr).not.toMatch(/secret/);
    expect(result.stderr).not.toMatch(/\s+at /);
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
