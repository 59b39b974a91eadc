// Writes the next migration of every provider from the difference between the models of
// the newest migration (prisma/migrations/models.snapshot.prisma) and prisma/models.prisma:
// `npm run db:migration -- <name>`. The schema engine wants a live database of each
// provider, so PostgreSQL must be reachable (POSTGRES_ADMIN_URL, default the local server):
// both providers' migrations always move together.
import { nextMigrationSql, writeMigration, writeModelsSnapshot } from "../src/db/migrations.js";
import { databaseProviders } from "../src/db/prisma-schema.js";
import { createScratchDatabase } from "../src/db/scratch-database.js";

const name = process.argv[2];
if (!name || !/^[a-z0-9_]+$/.test(name)) {
  console.error("usage: npm run db:migration -- <name>   (lowercase letters, digits and _)");
  process.exit(2);
}

const now = new Date();
let wrote = false;
for (const provider of databaseProviders) {
  const scratch = await createScratchDatabase(provider);
  try {
    const sql = await nextMigrationSql(scratch.location);
    if (sql === "") {
      console.log(`${provider}: migrations already match the models`);
      continue;
    }
    const folder = await writeMigration(provider, name, sql, now);
    wrote = true;
    console.log(`${provider}: wrote prisma/migrations/${provider}/${folder}/migration.sql`);
  } finally {
    await scratch.drop();
  }
}
if (wrote) await writeModelsSnapshot();
