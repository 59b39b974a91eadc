// Writes the next migration of every provider from the difference between the models of the
// newest migration (migrations/models.snapshot.prisma) and models.prisma. The schema engine
// wants a live database of each provider, so every provider's SQL is computed before any file
// is written: an unreachable PostgreSQL leaves the folder untouched instead of a SQLite
// migration without its PostgreSQL twin.
import { nextMigrationSql, writeMigration, writeModelsSnapshot } from "./migrations.js";
import { databaseProviders, prismaDirectory, type DatabaseProvider } from "./prisma-schema.js";
import { createScratchDatabase } from "./scratch-database.js";

export interface WrittenMigration {
  provider: DatabaseProvider;
  /** The new folder under migrations/<provider>/, or null when the migrations already match the models. */
  folder: string | null;
}

export async function writeNextMigrations(
  name: string,
  now: Date,
  { prismaDir = prismaDirectory, postgresAdminUrl }: { prismaDir?: string; postgresAdminUrl?: string } = {},
): Promise<WrittenMigration[]> {
  const migrations: { provider: DatabaseProvider; sql: string }[] = [];
  for (const provider of databaseProviders) {
    const scratch = await createScratchDatabase(provider, postgresAdminUrl);
    try {
      migrations.push({ provider, sql: await nextMigrationSql(scratch.location, prismaDir) });
    } finally {
      await scratch.drop();
    }
  }
  const written: WrittenMigration[] = [];
  for (const { provider, sql } of migrations) {
    written.push({ provider, folder: sql === "" ? null : await writeMigration(provider, name, sql, now, prismaDir) });
  }
  if (written.some((migration) => migration.folder !== null)) await writeModelsSnapshot(prismaDir);
  return written;
}
