import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import type { DiffTarget, MigrationList } from "@prisma/schema-engine-wasm";
import { createDriverAdapter, type DatabaseLocation } from "./driver-adapter.js";
import { migrationsDirectory, prismaDirectory, prismaSchemaText, readModels, type DatabaseProvider } from "./prisma-schema.js";
import { openSchemaEngine, type SchemaEngine } from "./schema-engine.js";

const noFilters = { externalTables: [], externalEnums: [] };
const lockFileName = "migration_lock.toml";

/** The migrations folder of a provider, loaded the way `prisma migrate deploy` reads it. */
export async function loadMigrationList(provider: DatabaseProvider): Promise<MigrationList> {
  const baseDir = migrationsDirectory(provider);
  const entries = await readdir(baseDir, { withFileTypes: true }).catch(() => []);
  const names = entries.filter((e) => e.isDirectory()).map((e) => e.name).sort();
  const migrationDirectories = await Promise.all(
    names.map(async (name) => ({
      path: name,
      migrationFile: {
        path: "migration.sql",
        content: { tag: "ok" as const, value: await readFile(path.join(baseDir, name, "migration.sql"), "utf8") },
      },
    })),
  );
  const lockContent = await readFile(path.join(baseDir, lockFileName), "utf8").catch(() => null);
  return {
    baseDir,
    lockfile: { path: lockFileName, content: lockContent },
    migrationDirectories,
    shadowDbInitScript: "",
  };
}

/**
 * Names of the migration folders not yet recorded as finished in the database, read over a
 * short-lived connection of our own. Starting the schema engine only when something is
 * pending lets a second process start on a migrated SQLite file: the engine locks the
 * file exclusively, which it cannot while another connection has read from it.
 */
export async function pendingMigrationNames(location: DatabaseLocation): Promise<string[]> {
  const { migrationDirectories } = await loadMigrationList(location.provider);
  // The bare driver, not a Prisma client: this runs at every start, and a client compiles its query engine.
  const connection = await (await createDriverAdapter(location)).connect();
  const query = async (sql: string) => (await connection.queryRaw({ sql, args: [], argTypes: [] })).rows;
  try {
    const table = await query(
      location.provider === "sqlite"
        ? "SELECT name FROM sqlite_master WHERE type = 'table' AND name = '_prisma_migrations'"
        : "SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = '_prisma_migrations'",
    );
    const finished =
      table.length === 0 ? [] : await query('SELECT migration_name FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL');
    const names = new Set(finished.map(([name]) => name));
    return migrationDirectories.map((m) => m.path).filter((name) => !names.has(name));
  } finally {
    await connection.dispose();
  }
}

/**
 * Applies pending migrations and records them in `_prisma_migrations` with the same
 * checksums as `prisma migrate deploy`, so either tool can take over a database. Returns
 * the names applied; with none pending, the schema engine is not started.
 */
export async function applyMigrations(location: DatabaseLocation): Promise<string[]> {
  if ((await pendingMigrationNames(location)).length === 0) return [];
  const { engine, close } = await openSchemaEngine(location);
  try {
    return await applyWith(engine, location.provider);
  } finally {
    await close();
  }
}

async function applyWith(engine: SchemaEngine, provider: DatabaseProvider): Promise<string[]> {
  const migrationsList = await loadMigrationList(provider);
  const { appliedMigrationNames } = await engine.applyMigrations({ migrationsList, filters: noFilters });
  return appliedMigrationNames;
}

/** The models as of the newest migration, written with each migration (see writeMigration). */
export const modelsSnapshotPath = (prismaDir = prismaDirectory): string => path.join(prismaDir, "migrations", "models.snapshot.prisma");

function datamodel(provider: DatabaseProvider, models: string | null, prismaDir: string): DiffTarget {
  if (models === null) return { tag: "empty" };
  return { tag: "schemaDatamodel", files: [{ path: "schema.prisma", content: prismaSchemaText(provider, models, prismaDir) }] };
}

async function diffScript(location: DatabaseLocation, from: DiffTarget, to: DiffTarget): Promise<string> {
  const { engine, close } = await openSchemaEngine(location);
  try {
    const result = await engine.diff({ from, to, script: true, exitCode: null, filters: noFilters });
    const sql = (result.stdout ?? "").trim();
    return sql === "-- This is an empty migration." ? "" : sql;
  } finally {
    await close();
  }
}

/**
 * The SQL of the next migration: from the models of the newest migration to the current
 * ones. Comparing two schema texts needs no shadow database, which the engine cannot
 * replay through the SQLite adapter, nor introspection, which the pg adapter cannot serve.
 * The engine still wants a live connection of the provider: `location` gives it one.
 */
export async function nextMigrationSql(location: DatabaseLocation, prismaDir = prismaDirectory): Promise<string> {
  const snapshot = await readFile(modelsSnapshotPath(prismaDir), "utf8").catch(() => null);
  return diffScript(
    location,
    datamodel(location.provider, snapshot, prismaDir),
    datamodel(location.provider, readModels(prismaDir), prismaDir),
  );
}

/**
 * What a database migrated from scratch lacks against the current models: empty when the
 * migrations build exactly the models. `scratch` must be an empty SQLite database.
 */
export async function replayedMigrationsDrift(scratch: DatabaseLocation): Promise<string> {
  await applyMigrations(scratch);
  const files = [{ path: "schema.prisma", content: prismaSchemaText(scratch.provider) }];
  return diffScript(scratch, { tag: "schemaDatasource", files, configDir: prismaDirectory }, { tag: "schemaDatamodel", files });
}

export async function writeModelsSnapshot(prismaDir = prismaDirectory): Promise<void> {
  await writeFile(modelsSnapshotPath(prismaDir), readModels(prismaDir));
}

/** Writes a new migration folder `<UTC timestamp>_<name>` (and the lock file on the first one). */
export async function writeMigration(
  provider: DatabaseProvider,
  name: string,
  sql: string,
  now: Date,
  prismaDir = prismaDirectory,
): Promise<string> {
  const baseDir = migrationsDirectory(provider, prismaDir);
  const stamp = now.toISOString().replace(/[-:T]/g, "").slice(0, 14);
  const folder = `${stamp}_${name}`;
  await mkdir(path.join(baseDir, folder), { recursive: true });
  await writeFile(path.join(baseDir, folder, "migration.sql"), `${sql}\n`);
  const lockFile = path.join(baseDir, lockFileName);
  const lockExists = await readFile(lockFile).then(() => true, () => false);
  if (!lockExists) {
    await writeFile(
      lockFile,
      `# Please do not edit this file manually\n# It should be added in your version-control system (e.g., Git)\nprovider = "${provider}"\n`,
    );
  }
  return folder;
}
