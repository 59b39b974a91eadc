// `npm run db:migration -- <name>`: writes the next migration of every provider from the
// model changes (see src/db/next-migration.ts). PostgreSQL must be reachable
// (POSTGRES_ADMIN_URL, default the local server): both providers' migrations always move together.
import { writeNextMigrations } from "../src/db/next-migration.js";

const name = process.argv[2];
if (!name || !/^[a-z0-9_]+$/.test(name)) {
  console.error("usage: npm run db:migration -- <name>   (lowercase letters, digits and _)");
  process.exit(2);
}

try {
  for (const { provider, folder } of await writeNextMigrations(name, new Date())) {
    console.log(
      folder === null
        ? `${provider}: migrations already match the models`
        : `${provider}: wrote prisma/migrations/${provider}/${folder}/migration.sql`,
    );
  }
} catch (error) {
  console.error(`no migration written: ${(error as Error).message}`);
  process.exit(1);
}
